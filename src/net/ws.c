/* RFC 6455 WebSocket protocol: handshake checks, the accept key, the
 * incremental frame parser (reassembly, control frames, UTF-8 checked
 * across fragments, bounded messages) and the frame writer. Moves no
 * bytes over any transport and never blocks.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"
#include "net/ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24		/* base64 of 16 bytes, with "==" */

enum { ST_HEADER, ST_PAYLOAD, ST_CLOSED, ST_FAILED };

/* ---- handshake ---- */

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* [*s, *s + *n) trimmed of spaces and tabs at both ends. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_ows(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*s)[*n - 1]))
		(*n)--;
}

/* Whether the comma list value holds want as one element, in any case. */
static int
list_has(const char *value, const char *want)
{
	size_t wlen = strlen(want), n;
	const char *p = value, *comma, *el;

	while (p != NULL) {
		comma = strchr(p, ',');
		el = p;
		n = comma ? (size_t)(comma - p) : strlen(p);
		trim(&el, &n);
		if (n == wlen && strncasecmp(el, want, n) == 0)
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* Whether value, trimmed, equals want exactly. */
static int
trimmed_is(const char *value, const char *want)
{
	size_t n = strlen(value);

	trim(&value, &n);
	return n == strlen(want) && memcmp(value, want, n) == 0;
}

static int
is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/';
}

/* Whether k (n chars) is base64 of exactly 16 bytes: 22 digits and "==". */
static int
key_is_16_bytes(const char *k, size_t n)
{
	size_t i;

	if (n != WS_KEY_LEN || k[22] != '=' || k[23] != '=')
		return 0;
	for (i = 0; i < 22; i++)
		if (!is_b64(k[i]))
			return 0;
	return 1;
}

int
ws_accept_key(const char *key, char accept[WS_ACCEPT_LEN + 1])
{
	char in[64];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t klen = strlen(key);

	if (klen + sizeof(WS_GUID) > sizeof(in))
		return -1;
	memcpy(in, key, klen);
	memcpy(in + klen, WS_GUID, sizeof(WS_GUID) - 1);
	if (EVP_Digest(in, klen + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		return -1;
	return EVP_EncodeBlock((unsigned char *)accept, md, 20) == WS_ACCEPT_LEN ? 0 : -1;
}

enum err_code
ws_handshake_check(const struct ws_request *r, char accept[WS_ACCEPT_LEN + 1], struct err *e)
{
	char key[WS_KEY_LEN + 1];
	const char *k = r->key;
	size_t klen;

	if (r->method == NULL || strcmp(r->method, "GET") != 0)
		return err_set(e, ERR_VALIDATION, "A WebSocket upgrade must use GET");
	if (r->http_version == NULL || strcmp(r->http_version, "HTTP/1.1") != 0)
		return err_set(e, ERR_VALIDATION, "A WebSocket upgrade must use HTTP/1.1");
	if (r->upgrade == NULL || !list_has(r->upgrade, "websocket"))
		return err_set(e, ERR_VALIDATION, "Upgrade must name websocket");
	if (r->connection == NULL || !list_has(r->connection, "upgrade"))
		return err_set(e, ERR_VALIDATION, "Connection must contain upgrade");
	if (r->version == NULL || !trimmed_is(r->version, WS_VERSION))
		return err_set(e, ERR_VALIDATION, "Sec-WebSocket-Version must be " WS_VERSION);
	if (k == NULL)
		return err_set(e, ERR_VALIDATION, "Sec-WebSocket-Key is missing");
	klen = strlen(k);
	trim(&k, &klen);
	if (!key_is_16_bytes(k, klen))
		return err_set(e, ERR_VALIDATION, "Sec-WebSocket-Key must be base64 of 16 bytes");
	memcpy(key, k, klen);
	key[klen] = '\0';
	if (ws_accept_key(key, accept) != 0)
		return err_set(e, ERR_INTERNAL, "Cannot compute Sec-WebSocket-Accept");
	return ERR_OK;
}

/* RFC 7230 tchar. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
ws_protocol_next(const char **cursor, const char **tok, size_t *len)
{
	const char *p = *cursor, *el;
	size_t n, i;

	while (*p != '\0') {
		el = p;
		while (*p != '\0' && *p != ',')
			p++;
		n = (size_t)(p - el);
		if (*p == ',')
			p++;
		trim(&el, &n);
		if (n == 0)
			continue;
		*cursor = p;
		for (i = 0; i < n; i++)
			if (!is_tchar((unsigned char)el[i]))
				return -1;
		*tok = el;
		*len = n;
		return 1;
	}
	*cursor = p;
	return 0;
}

/* ---- UTF-8, checked byte by byte so a message may end anywhere ---- */

/* Lead bytes: how many continuation bytes follow and the range allowed for
 * the first of them (RFC 3629 section 4), which refuses overlong forms,
 * surrogates (ED A0..BF) and code points past U+10FFFF. The others must be
 * 80..BF. A lead byte outside every row is invalid (80..C1, F5..FF). */
static const struct {
	uint8_t lead_lo, lead_hi, need, lo, hi;
} utf8_leads[] = {
	{ 0xC2, 0xDF, 1, 0x80, 0xBF },
	{ 0xE0, 0xE0, 2, 0xA0, 0xBF },
	{ 0xE1, 0xEC, 2, 0x80, 0xBF },
	{ 0xED, 0xED, 2, 0x80, 0x9F },
	{ 0xEE, 0xEF, 2, 0x80, 0xBF },
	{ 0xF0, 0xF0, 3, 0x90, 0xBF },
	{ 0xF1, 0xF3, 3, 0x80, 0xBF },
	{ 0xF4, 0xF4, 3, 0x80, 0x8F },
};

/* Advances the decoder u over n bytes; returns 0, or -1 at an invalid one. */
static int
utf8_feed(struct ws_utf8 *u, const unsigned char *s, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (u->need > 0) {
			if (s[i] < u->lo || s[i] > u->hi)
				return -1;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xBF;
			continue;
		}
		if (s[i] < 0x80)
			continue;
		for (j = 0; j < sizeof(utf8_leads) / sizeof(utf8_leads[0]); j++)
			if (s[i] >= utf8_leads[j].lead_lo && s[i] <= utf8_leads[j].lead_hi)
				break;
		if (j == sizeof(utf8_leads) / sizeof(utf8_leads[0]))
			return -1;
		u->need = utf8_leads[j].need;
		u->lo = utf8_leads[j].lo;
		u->hi = utf8_leads[j].hi;
	}
	return 0;
}

static void
utf8_reset(struct ws_utf8 *u)
{
	u->need = 0;
	u->lo = 0x80;
	u->hi = 0xBF;
}

/* ---- parser ---- */

void
ws_parser_init(struct ws_parser *p, enum ws_role role, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->max = max ? max : LIMIT_WS_MESSAGE_BYTES;
	p->state = ST_HEADER;
	p->hdr_need = 2;
	utf8_reset(&p->utf8);
}

void
ws_parser_free(struct ws_parser *p)
{
	if (p == NULL)
		return;
	free(p->msg);
	p->msg = NULL;
	p->msg_len = p->msg_alloc = 0;
}

static int
is_control(int op)
{
	return op >= WS_OP_CLOSE;
}

static int
opcode_known(int op)
{
	return op == WS_OP_CONTINUATION || op == WS_OP_TEXT || op == WS_OP_BINARY ||
	    op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG;
}

/* Close codes a peer may send (section 7.4): the defined ones that are not
 * reserved for local use, and the registered and private ranges. */
static int
close_code_valid(unsigned code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	    (code >= 3000 && code <= 4999);
}

/* Puts p in the failed state and describes the failure in ev. Returns -1. */
static int
fail(struct ws_parser *p, struct ws_event *ev, uint16_t code, const char *why)
{
	p->state = ST_FAILED;
	p->err_code = code;
	p->err_text = why;
	memset(ev, 0, sizeof(*ev));
	ev->kind = WS_EV_ERROR;
	ev->code = code;
	ev->error = why;
	return -1;
}

/* Checks what the first two header bytes alone decide and sets hdr_need.
 * Returns 0, or -1 after fail(). */
static int
header_start(struct ws_parser *p, struct ws_event *ev)
{
	unsigned len7 = p->hdr[1] & 0x7F;

	p->fin = (p->hdr[0] & 0x80) != 0;
	p->opcode = p->hdr[0] & 0x0F;
	p->masked = (p->hdr[1] & 0x80) != 0;
	if (p->hdr[0] & 0x70)
		return fail(p, ev, WS_CLOSE_PROTOCOL, "reserved bits set without an extension");
	if (!opcode_known(p->opcode))
		return fail(p, ev, WS_CLOSE_PROTOCOL, "unknown opcode");
	if (is_control(p->opcode) && !p->fin)
		return fail(p, ev, WS_CLOSE_PROTOCOL, "fragmented control frame");
	if (is_control(p->opcode) && len7 > WS_CONTROL_MAX)
		return fail(p, ev, WS_CLOSE_PROTOCOL, "control frame over 125 bytes");
	if (p->opcode == WS_OP_CONTINUATION && p->msg_opcode == 0)
		return fail(p, ev, WS_CLOSE_PROTOCOL, "continuation without a message");
	if ((p->opcode == WS_OP_TEXT || p->opcode == WS_OP_BINARY) && p->msg_opcode != 0)
		return fail(p, ev, WS_CLOSE_PROTOCOL, "new message inside a fragmented one");
	if (p->role == WS_SERVER && !p->masked)
		return fail(p, ev, WS_CLOSE_PROTOCOL, "client frame not masked");
	if (p->role == WS_CLIENT && p->masked)
		return fail(p, ev, WS_CLOSE_PROTOCOL, "server frame masked");
	p->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (p->masked ? 4 : 0);
	return 0;
}

/* Grows the message buffer to hold need bytes and a NUL (need <= max). */
static int
msg_reserve(struct ws_parser *p, size_t need)
{
	size_t alloc = p->msg_alloc ? p->msg_alloc : 256;
	unsigned char *m;

	if (need + 1 <= p->msg_alloc)
		return 0;
	while (alloc < need + 1)
		alloc *= 2;
	if (alloc > p->max + 1)
		alloc = p->max + 1;
	if ((m = realloc(p->msg, alloc)) == NULL)
		return -1;
	p->msg = m;
	p->msg_alloc = alloc;
	return 0;
}

/* The header is whole: reads the length and mask, checks the length rules.
 * Returns 0, or -1 after fail(). */
static int
header_end(struct ws_parser *p, struct ws_event *ev)
{
	unsigned len7 = p->hdr[1] & 0x7F;
	uint64_t len = len7;
	size_t i;

	if (len7 == 126) {
		len = (uint64_t)p->hdr[2] << 8 | p->hdr[3];
		if (len < 126)
			return fail(p, ev, WS_CLOSE_PROTOCOL, "length not in its shortest form");
	} else if (len7 == 127) {
		for (len = 0, i = 2; i < 10; i++)
			len = len << 8 | p->hdr[i];
		if (len >> 63)
			return fail(p, ev, WS_CLOSE_PROTOCOL, "64-bit length with its top bit set");
		if (len <= 0xFFFF)
			return fail(p, ev, WS_CLOSE_PROTOCOL, "length not in its shortest form");
	}
	p->frame_len = len;
	p->frame_got = 0;
	if (!is_control(p->opcode)) {
		if (p->opcode != WS_OP_CONTINUATION)
			p->msg_len = 0;
		if (len > p->max - p->msg_len)
			return fail(p, ev, WS_CLOSE_TOO_BIG, "message over the size limit");
		if (p->opcode != WS_OP_CONTINUATION) {
			p->msg_opcode = p->opcode;
			utf8_reset(&p->utf8);
		}
		if (msg_reserve(p, p->msg_len + (size_t)len) != 0)
			return fail(p, ev, WS_CLOSE_INTERNAL, "out of memory");
	}
	return 0;
}

/* A control frame's payload is whole: turns it into an event. */
static void
control_end(struct ws_parser *p, struct ws_event *ev)
{
	size_t n = (size_t)p->frame_len;
	struct ws_utf8 reason;
	unsigned code;

	memset(ev, 0, sizeof(*ev));
	ev->data = p->ctl;
	ev->len = n;
	if (p->opcode == WS_OP_PING || p->opcode == WS_OP_PONG) {
		ev->kind = p->opcode == WS_OP_PING ? WS_EV_PING : WS_EV_PONG;
		return;
	}
	if (n == 1) {
		fail(p, ev, WS_CLOSE_PROTOCOL, "close payload of one byte");
		return;
	}
	code = n >= 2 ? (unsigned)p->ctl[0] << 8 | p->ctl[1] : WS_CLOSE_NO_STATUS;
	if (n >= 2 && !close_code_valid(code)) {
		fail(p, ev, WS_CLOSE_PROTOCOL, "invalid close code");
		return;
	}
	utf8_reset(&reason);
	if (n > 2 && (utf8_feed(&reason, p->ctl + 2, n - 2) != 0 || reason.need != 0)) {
		fail(p, ev, WS_CLOSE_INVALID_DATA, "close reason is not UTF-8");
		return;
	}
	ev->kind = WS_EV_CLOSE;
	ev->code = (uint16_t)code;
	ev->data = n >= 2 ? p->ctl + 2 : p->ctl;
	ev->len = n >= 2 ? n - 2 : 0;
	p->state = ST_CLOSED;
}

/* A data frame's payload is whole: a final one completes the message. */
static void
data_end(struct ws_parser *p, struct ws_event *ev)
{
	p->msg_len += (size_t)p->frame_len;
	if (!p->fin)
		return;
	if (p->msg_opcode == WS_OP_TEXT && p->utf8.need != 0) {
		fail(p, ev, WS_CLOSE_INVALID_DATA, "text ends inside a UTF-8 sequence");
		return;
	}
	p->msg[p->msg_len] = '\0';
	memset(ev, 0, sizeof(*ev));
	ev->kind = WS_EV_MESSAGE;
	ev->opcode = (enum ws_opcode)p->msg_opcode;
	ev->data = p->msg;
	ev->len = p->msg_len;
	p->msg_opcode = 0;
}

/* The current frame is whole: yields its event (if any), readies the next. */
static void
frame_end(struct ws_parser *p, struct ws_event *ev)
{
	if (is_control(p->opcode))
		control_end(p, ev);
	else
		data_end(p, ev);
	if (p->state == ST_PAYLOAD) {
		p->state = ST_HEADER;
		p->hdr_len = 0;
		p->hdr_need = 2;
	}
}

/* Copies and unmasks payload bytes into their buffer. Returns 0, or -1
 * after fail() when text stops being UTF-8. */
static int
payload_take(struct ws_parser *p, const unsigned char *in, size_t n, struct ws_event *ev)
{
	const unsigned char *mask = p->masked ? p->hdr + p->hdr_need - 4 : NULL;
	unsigned char *dst;
	size_t i;

	dst = is_control(p->opcode) ? p->ctl + p->frame_got
	    : p->msg + p->msg_len + (size_t)p->frame_got;
	for (i = 0; i < n; i++)
		dst[i] = mask ? in[i] ^ mask[(p->frame_got + i) & 3] : in[i];
	if (!is_control(p->opcode) && p->msg_opcode == WS_OP_TEXT && utf8_feed(&p->utf8, dst, n) != 0)
		return fail(p, ev, WS_CLOSE_INVALID_DATA, "text is not UTF-8");
	p->frame_got += n;
	return 0;
}

size_t
ws_parse(struct ws_parser *p, const unsigned char *in, size_t n, struct ws_event *ev)
{
	size_t i = 0, take;

	memset(ev, 0, sizeof(*ev));
	if (p->state == ST_FAILED) {
		fail(p, ev, p->err_code, p->err_text);
		return n;
	}
	if (p->state == ST_CLOSED)
		return n;
	while (i < n) {
		if (p->state == ST_HEADER) {
			p->hdr[p->hdr_len++] = in[i++];
			if (p->hdr_len == 2 && header_start(p, ev) != 0)
				return i;
			if (p->hdr_len < p->hdr_need)
				continue;
			if (header_end(p, ev) != 0)
				return i;
			p->state = ST_PAYLOAD;
		} else {
			take = n - i;
			if (take > p->frame_len - p->frame_got)
				take = (size_t)(p->frame_len - p->frame_got);
			if (payload_take(p, in + i, take, ev) != 0)
				return i + take;
			i += take;
		}
		if (p->frame_got == p->frame_len) {
			frame_end(p, ev);
			if (ev->kind != WS_EV_NONE)
				return i;
		}
	}
	return i;
}

/* ---- writer ---- */

size_t
ws_frame_header(unsigned char out[WS_HEADER_MAX], enum ws_opcode op, int fin, uint64_t len,
    const unsigned char *mask)
{
	unsigned char m = mask ? 0x80 : 0;
	size_t at, i;

	if (!opcode_known((int)op) || (is_control((int)op) && (!fin || len > WS_CONTROL_MAX)) ||
	    (len >> 63))
		return 0;
	out[0] = (unsigned char)((fin ? 0x80 : 0) | op);
	if (len < 126) {
		out[1] = (unsigned char)(m | len);
		at = 2;
	} else if (len <= 0xFFFF) {
		out[1] = m | 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		at = 4;
	} else {
		out[1] = m | 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
		at = 10;
	}
	if (mask) {
		memcpy(out + at, mask, 4);
		at += 4;
	}
	return at;
}

size_t
ws_frame_size(size_t len, int masked)
{
	return len + (len < 126 ? 2 : len <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0);
}

size_t
ws_frame_write(unsigned char *out, size_t cap, enum ws_opcode op, int fin,
    const void *payload, size_t len, const unsigned char *mask)
{
	unsigned char hdr[WS_HEADER_MAX];
	const unsigned char *src = payload;
	size_t h = ws_frame_header(hdr, op, fin, len, mask), i;

	if (h == 0 || cap < h || cap - h < len)
		return 0;
	memcpy(out, hdr, h);
	for (i = 0; i < len; i++)
		out[h + i] = mask ? src[i] ^ mask[i & 3] : src[i];
	return h + len;
}

size_t
ws_close_write(unsigned char *out, size_t cap, uint16_t code, const char *reason,
    size_t reason_len, const unsigned char *mask)
{
	unsigned char body[WS_CONTROL_MAX];
	size_t n = 0;

	if (code != 0) {
		if (reason_len > WS_CONTROL_MAX - 2)
			return 0;
		body[0] = (unsigned char)(code >> 8);
		body[1] = (unsigned char)code;
		if (reason_len > 0)
			memcpy(body + 2, reason, reason_len);
		n = 2 + reason_len;
	}
	return ws_frame_write(out, cap, WS_OP_CLOSE, 1, body, n, mask);
}
