/* WebSocket protocol: RFC 6455's handshake and framing examples, every
 * header rule, every protocol error with its close code, UTF-8 across
 * fragments, the message cap, and split-invariance of the parser.
 * Parser rows describe a byte stream and the events it must yield. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "net/ws.h"

/* ---- handshake ---- */

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

struct hrow {
	const char *name;
	struct ws_request req;
	int ok;
};

#define REQ(m, v, up, conn, ver, key) { m, v, up, conn, ver, key }
#define GOOD(up, conn) REQ("GET", "HTTP/1.1", up, conn, "13", RFC_KEY)

static const struct hrow hrows[] = {
	{ "RFC 6455 section 1.3", GOOD("websocket", "Upgrade"), 1 },
	{ "Upgrade in any case", GOOD("WebSocket", "upgrade"), 1 },
	{ "Upgrade as a list", GOOD("h2c, websocket", "Upgrade"), 1 },
	{ "Connection list", GOOD("websocket", "keep-alive, Upgrade"), 1 },
	{ "Connection spaces and case", GOOD("websocket", " keep-alive ,\tUPGRADE "), 1 },
	{ "Connection without upgrade", GOOD("websocket", "keep-alive"), 0 },
	{ "Connection upgrades is not upgrade", GOOD("websocket", "upgrades"), 0 },
	{ "Connection absent", GOOD("websocket", NULL), 0 },
	{ "Upgrade absent", GOOD(NULL, "Upgrade"), 0 },
	{ "Upgrade other protocol", GOOD("websocket2", "Upgrade"), 0 },
	{ "Upgrade h2c", GOOD("h2c", "Upgrade"), 0 },
	{ "method POST", REQ("POST", "HTTP/1.1", "websocket", "Upgrade", "13", RFC_KEY), 0 },
	{ "method get", REQ("get", "HTTP/1.1", "websocket", "Upgrade", "13", RFC_KEY), 0 },
	{ "HTTP/1.0", REQ("GET", "HTTP/1.0", "websocket", "Upgrade", "13", RFC_KEY), 0 },
	{ "HTTP version absent", REQ("GET", NULL, "websocket", "Upgrade", "13", RFC_KEY), 0 },
	{ "version 8", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "8", RFC_KEY), 0 },
	{ "version 13 with spaces", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", " 13 ", RFC_KEY), 1 },
	{ "version list", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13, 8", RFC_KEY), 0 },
	{ "version absent", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", NULL, RFC_KEY), 0 },
	{ "key absent", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", NULL), 0 },
	{ "key with spaces", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", " " RFC_KEY "\t"), 1 },
	{ "key unpadded", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ"), 0 },
	{ "key of 17 bytes", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZTE="), 0 },
	{ "key of 15 bytes", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25j"), 0 },
	{ "key not base64", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25j!Q=="), 0 },
	{ "key base64url", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25j_Q=="), 0 },
	{ "key empty", REQ("GET", "HTTP/1.1", "websocket", "Upgrade", "13", ""), 0 },
};

static void
test_handshake(void **state)
{
	char accept[WS_ACCEPT_LEN + 1];
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hrows) / sizeof(hrows[0]); i++) {
		memset(accept, 0, sizeof(accept));
		enum err_code rc = ws_handshake_check(&hrows[i].req, accept, &e);
		if ((rc == ERR_OK) != hrows[i].ok)
			fail_msg("%s: got %d (%s)", hrows[i].name, rc, rc ? e.msg : "ok");
		if (rc == ERR_OK)
			assert_string_equal(accept, RFC_ACCEPT);
		else
			assert_int_equal(rc, ERR_VALIDATION);
	}
}

static void
test_accept_key(void **state)
{
	char accept[WS_ACCEPT_LEN + 1];
	char longkey[200];

	(void)state;
	assert_int_equal(ws_accept_key(RFC_KEY, accept), 0);
	assert_string_equal(accept, RFC_ACCEPT);
	/* A second known pair (the key of RFC 6455 section 4.1's client). */
	assert_int_equal(ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", accept), 0);
	assert_string_equal(accept, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
	memset(longkey, 'A', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(ws_accept_key(longkey, accept), -1);
}

/* ---- subprotocols ---- */

struct prow_tok {
	const char *value;
	const char *want;	/* tokens joined by '|', "!" for a refusal */
};

static const struct prow_tok tokrows[] = {
	{ "", "" },
	{ "chat", "chat" },
	{ "a, b ,,c", "a|b|c" },
	{ " , ,\t", "" },
	{ "eyJhbGciOiJFUzM4NCJ9.eyJleHAiOjF9.c2ln", "eyJhbGciOiJFUzM4NCJ9.eyJleHAiOjF9.c2ln" },
	{ "a b", "!" },
	{ "a;b", "!" },
	{ "ok, \"quoted\"", "ok|!" },
};

static void
tokens_of(const char *value, char *out, size_t cap)
{
	const char *cur = value, *tok;
	size_t len, at = 0;
	int r;

	out[0] = '\0';
	while ((r = ws_protocol_next(&cur, &tok, &len)) != 0) {
		if (at > 0)
			out[at++] = '|';
		if (r < 0) {
			out[at++] = '!';
			break;
		}
		assert_true(at + len + 2 < cap);
		memcpy(out + at, tok, len);
		at += len;
	}
	out[at] = '\0';
}

static void
test_protocols(void **state)
{
	char got[256], *jwt, *big;
	size_t i, n = 4096;

	(void)state;
	for (i = 0; i < sizeof(tokrows) / sizeof(tokrows[0]); i++) {
		tokens_of(tokrows[i].value, got, sizeof(got));
		if (strcmp(got, tokrows[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", tokrows[i].value, got, tokrows[i].want);
	}
	/* A participant token of a few KB is one token. */
	jwt = malloc(n + 1);
	big = malloc(n + 16);
	assert_non_null(jwt);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		jwt[i] = i % 97 == 96 ? '.' : (char)('a' + i % 26);
	jwt[n] = '\0';
	snprintf(big, n + 16, " %s , x", jwt);
	{
		const char *cur = big, *tok;
		size_t len;

		assert_int_equal(ws_protocol_next(&cur, &tok, &len), 1);
		assert_int_equal(len, n);
		assert_memory_equal(tok, jwt, n);
		assert_int_equal(ws_protocol_next(&cur, &tok, &len), 1);
		assert_int_equal(len, 1);
		assert_int_equal(ws_protocol_next(&cur, &tok, &len), 0);
	}
	free(jwt);
	free(big);
}

/* ---- parser ---- */

/* A frame to build: first byte as sent (FIN, RSV, opcode), masked or not,
 * payload (len bytes, or strlen, or fill bytes of a pattern). */
struct frame {
	int on;
	uint8_t b0;
	int masked;
	const char *payload;
	size_t len, fill;
};

#define M(b0, p) { 1, b0, 1, p, 0, 0 }		/* masked, as a client sends */
#define U(b0, p) { 1, b0, 0, p, 0, 0 }		/* unmasked, as a server sends */
#define MN(b0, p, n) { 1, b0, 1, p, n, 0 }	/* masked, n bytes (may hold NULs) */
#define MF(b0, n) { 1, b0, 1, NULL, 0, n }	/* masked, n pattern bytes */
#define UF(b0, n) { 1, b0, 0, NULL, 0, n }

struct prow {
	const char *name;
	enum ws_role role;
	size_t max;		/* 0: LIMIT_WS_MESSAGE_BYTES */
	const char *hex;	/* raw bytes before the frames, or NULL */
	struct frame frames[6];
	const char *want;	/* events, each ending with ';' */
};

#define S WS_SERVER
#define C WS_CLIENT

static const struct prow prows[] = {
	/* RFC 6455 section 5.7 */
	{ "5.7 single-frame unmasked text, to a client", C, 0, "81 05 48 65 6c 6c 6f", { { 0 } },
	  "text 5 Hello;" },
	{ "5.7 single-frame unmasked text, to a server", S, 0, "81 05 48 65 6c 6c 6f", { { 0 } },
	  "error 1002;" },
	{ "5.7 single-frame masked text", S, 0, "81 85 37 fa 21 3d 7f 9f 4d 51 58", { { 0 } },
	  "text 5 Hello;" },
	{ "5.7 fragmented unmasked text, to a client", C, 0, "01 03 48 65 6c 80 02 6c 6f", { { 0 } },
	  "text 5 Hello;" },
	{ "5.7 fragmented unmasked text, to a server", S, 0, "01 03 48 65 6c 80 02 6c 6f", { { 0 } },
	  "error 1002;" },
	{ "5.7 unmasked ping", C, 0, "89 05 48 65 6c 6c 6f", { { 0 } }, "ping 5 Hello;" },
	{ "5.7 masked pong", S, 0, "8a 85 37 fa 21 3d 7f 9f 4d 51 58", { { 0 } }, "pong 5 Hello;" },
	{ "5.7 256 bytes binary, 16-bit length", C, 0, NULL, { UF(0x82, 256) }, "binary 256;" },
	{ "5.7 64 KiB binary, 64-bit length", C, 0, NULL, { UF(0x82, 65536) }, "binary 65536;" },
	{ "256 bytes binary from a client", S, 0, NULL, { MF(0x82, 256) }, "binary 256;" },
	{ "64 KiB binary from a client", S, 0, NULL, { MF(0x82, 65536) }, "binary 65536;" },

	/* messages and control frames */
	{ "empty text", S, 0, NULL, { M(0x81, "") }, "text 0 ;" },
	{ "three fragments", S, 0, NULL, { M(0x01, "ab"), M(0x00, ""), M(0x80, "cd") }, "text 4 abcd;" },
	{ "ping between fragments", S, 0, NULL, { M(0x01, "Hel"), M(0x89, "x"), M(0x80, "lo") },
	  "ping 1 x;text 5 Hello;" },
	{ "two messages", S, 0, NULL, { M(0x81, "one"), M(0x82, "two") }, "text 3 one;binary 3 two;" },
	{ "binary need not be UTF-8", S, 0, NULL, { M(0x82, "\xff\xfe") }, "binary 2 \xff\xfe;" },
	{ "ping of 125 bytes", S, 0, NULL, { MF(0x89, 125) }, "ping 125;" },
	{ "close with code and reason", S, 0, NULL, { MN(0x88, "\x03\xe8" "bye", 5) }, "close 1000 bye;" },
	{ "empty close", S, 0, NULL, { M(0x88, "") }, "close 1005 ;" },
	{ "close 1001", S, 0, NULL, { MN(0x88, "\x03\xe9", 2) }, "close 1001 ;" },
	{ "close 3000", S, 0, NULL, { MN(0x88, "\x0b\xb8", 2) }, "close 3000 ;" },
	{ "close 4999", S, 0, NULL, { MN(0x88, "\x13\x87", 2) }, "close 4999 ;" },
	{ "bytes after close are ignored", S, 0, NULL, { M(0x88, ""), M(0x81, "late"), U(0x81, "x") },
	  "close 1005 ;" },

	/* protocol errors: 1002 */
	{ "server frame masked", C, 0, NULL, { M(0x81, "x") }, "error 1002;" },
	{ "RSV1", S, 0, NULL, { M(0xC1, "x") }, "error 1002;" },
	{ "RSV2", S, 0, NULL, { M(0xA1, "x") }, "error 1002;" },
	{ "RSV3", S, 0, NULL, { M(0x91, "x") }, "error 1002;" },
	{ "opcode 3", S, 0, NULL, { M(0x83, "x") }, "error 1002;" },
	{ "opcode 7", S, 0, NULL, { M(0x87, "x") }, "error 1002;" },
	{ "opcode B", S, 0, NULL, { M(0x8B, "x") }, "error 1002;" },
	{ "opcode F", S, 0, NULL, { M(0x8F, "x") }, "error 1002;" },
	{ "fragmented ping", S, 0, NULL, { M(0x09, "x") }, "error 1002;" },
	{ "fragmented close", S, 0, NULL, { M(0x08, "") }, "error 1002;" },
	{ "ping of 126 bytes", S, 0, NULL, { MF(0x89, 126) }, "error 1002;" },
	{ "continuation first", S, 0, NULL, { M(0x80, "x") }, "error 1002;" },
	{ "continuation after a whole message", S, 0, NULL, { M(0x81, "a"), M(0x80, "b") },
	  "text 1 a;error 1002;" },
	{ "text inside a fragmented message", S, 0, NULL, { M(0x01, "a"), M(0x81, "b") }, "error 1002;" },
	{ "binary inside a fragmented message", S, 0, NULL, { M(0x02, "a"), M(0x82, "b") }, "error 1002;" },
	{ "16-bit length not minimal", S, 0, "81 fe 00 05 00 00 00 00 61 62 63 64 65", { { 0 } },
	  "error 1002;" },
	{ "64-bit length not minimal", S, 0, "82 ff 00 00 00 00 00 00 01 00 00 00 00 00", { { 0 } },
	  "error 1002;" },
	{ "64-bit length top bit", S, 0, "82 ff 80 00 00 00 00 00 00 00 00 00 00 00", { { 0 } },
	  "error 1002;" },
	{ "close of one byte", S, 0, NULL, { M(0x88, "\x03") }, "error 1002;" },
	{ "close code 999", S, 0, NULL, { MN(0x88, "\x03\xe7", 2) }, "error 1002;" },
	{ "close code 0", S, 0, NULL, { MN(0x88, "\x00\x00", 2) }, "error 1002;" },
	{ "close code 1004", S, 0, NULL, { MN(0x88, "\x03\xec", 2) }, "error 1002;" },
	{ "close code 1005", S, 0, NULL, { MN(0x88, "\x03\xed", 2) }, "error 1002;" },
	{ "close code 1006", S, 0, NULL, { MN(0x88, "\x03\xee", 2) }, "error 1002;" },
	{ "close code 1015", S, 0, NULL, { MN(0x88, "\x03\xf7", 2) }, "error 1002;" },
	{ "close code 2999", S, 0, NULL, { MN(0x88, "\x0b\xb7", 2) }, "error 1002;" },
	{ "close code 5000", S, 0, NULL, { MN(0x88, "\x13\x88", 2) }, "error 1002;" },
	{ "the error sticks", S, 0, NULL, { M(0x83, "x"), M(0x81, "fine") }, "error 1002;" },

	/* UTF-8: 1007 */
	{ "UTF-8 of every width", S, 0, NULL, { M(0x81, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") },
	  "text 10 a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80;" },
	{ "4-byte character over 3 frames", S, 0, NULL,
	  { M(0x01, "\xf0"), M(0x00, "\x9f\x98"), M(0x80, "\x80") }, "text 4 \xf0\x9f\x98\x80;" },
	{ "2-byte character over 2 frames", S, 0, NULL, { M(0x01, "x\xc3"), M(0x80, "\xa9") },
	  "text 3 x\xc3\xa9;" },
	{ "U+10FFFF", S, 0, NULL, { M(0x81, "\xf4\x8f\xbf\xbf") }, "text 4 \xf4\x8f\xbf\xbf;" },
	{ "U+D7FF and U+E000", S, 0, NULL, { M(0x81, "\xed\x9f\xbf\xee\x80\x80") },
	  "text 6 \xed\x9f\xbf\xee\x80\x80;" },
	{ "overlong 2-byte", S, 0, NULL, { M(0x81, "\xc0\x80") }, "error 1007;" },
	{ "overlong 2-byte C1", S, 0, NULL, { M(0x81, "\xc1\xbf") }, "error 1007;" },
	{ "overlong 3-byte", S, 0, NULL, { M(0x81, "\xe0\x80\xaf") }, "error 1007;" },
	{ "overlong 4-byte", S, 0, NULL, { M(0x81, "\xf0\x80\x80\xaf") }, "error 1007;" },
	{ "overlong split over frames", S, 0, NULL, { M(0x01, "\xe0"), M(0x80, "\x9f\xbf") }, "error 1007;" },
	{ "surrogate U+D800", S, 0, NULL, { M(0x81, "\xed\xa0\x80") }, "error 1007;" },
	{ "surrogate U+DFFF", S, 0, NULL, { M(0x81, "\xed\xbf\xbf") }, "error 1007;" },
	{ "surrogate split over frames", S, 0, NULL, { M(0x01, "\xed"), M(0x80, "\xa0\x80") }, "error 1007;" },
	{ "past U+10FFFF", S, 0, NULL, { M(0x81, "\xf4\x90\x80\x80") }, "error 1007;" },
	{ "lead byte F5", S, 0, NULL, { M(0x81, "\xf5\x80\x80\x80") }, "error 1007;" },
	{ "lone continuation", S, 0, NULL, { M(0x81, "a\x80") }, "error 1007;" },
	{ "byte FF", S, 0, NULL, { M(0x81, "\xff") }, "error 1007;" },
	{ "ends inside a character", S, 0, NULL, { M(0x81, "\xe2\x82") }, "error 1007;" },
	{ "ends inside a character, fragmented", S, 0, NULL, { M(0x01, "\xf0\x9f"), M(0x80, "\x98") },
	  "error 1007;" },
	{ "invalid in a first fragment fails at once", S, 0, NULL, { M(0x01, "\xc0") }, "error 1007;" },
	{ "missing continuation", S, 0, NULL, { M(0x81, "\xc3(") }, "error 1007;" },
	{ "close reason not UTF-8", S, 0, NULL, { MN(0x88, "\x03\xe8\xff", 3) }, "error 1007;" },
	{ "close reason cut inside a character", S, 0, NULL, { MN(0x88, "\x03\xe8\xc3", 3) }, "error 1007;" },

	/* the message cap: 1009 */
	{ "one byte over the limit", S, 0, NULL, { MF(0x82, LIMIT_WS_MESSAGE_BYTES + 1) }, "error 1009;" },
	{ "fragments over the limit", S, 0, NULL,
	  { MF(0x02, LIMIT_WS_MESSAGE_BYTES / 2), MF(0x00, LIMIT_WS_MESSAGE_BYTES / 2), MF(0x80, 1) },
	  "error 1009;" },
	{ "fragments at the limit", S, 0, NULL,
	  { MF(0x02, LIMIT_WS_MESSAGE_BYTES / 2), MF(0x80, LIMIT_WS_MESSAGE_BYTES / 2) },
	  "binary 65536;" },
	{ "small cap", S, 10, NULL, { M(0x01, "hello"), M(0x80, "world!") }, "error 1009;" },
	{ "small cap reached exactly, then again", S, 10, NULL, { M(0x81, "helloworld"), M(0x81, "0123456789") },
	  "text 10 helloworld;text 10 0123456789;" },
	{ "a declared length over the cap is refused before its payload", S, 10,
	  "82 ff 00 00 00 00 7f ff ff ff 00 00 00 00", { { 0 } }, "error 1009;" },
	{ "control frames do not count", S, 4, NULL, { M(0x01, "ab"), MF(0x89, 100), M(0x80, "cd") },
	  "ping 100;text 4 abcd;" },
};

static const unsigned char mask_key[4] = { 0x37, 0xfa, 0x21, 0x3d };

struct bytes {
	unsigned char *p;
	size_t n, cap;
};

static void
put(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
put_hex(struct bytes *b, const char *hex)
{
	unsigned v;
	unsigned char c;
	int used;

	while (sscanf(hex, " %2x%n", &v, &used) == 1) {
		c = (unsigned char)v;
		put(b, &c, 1);
		hex += used;
	}
}

/* A frame as the spec says, whatever the rules: the parser's input. */
static void
put_frame(struct bytes *b, const struct frame *f)
{
	size_t n = f->payload ? (f->len ? f->len : strlen(f->payload)) : f->fill, i;
	unsigned char h[WS_HEADER_MAX], c;
	size_t hl = 0;

	h[hl++] = f->b0;
	if (n < 126)
		h[hl++] = (unsigned char)((f->masked ? 0x80 : 0) | n);
	else if (n <= 0xFFFF) {
		h[hl++] = (unsigned char)((f->masked ? 0x80 : 0) | 126);
		h[hl++] = (unsigned char)(n >> 8);
		h[hl++] = (unsigned char)n;
	} else {
		h[hl++] = (unsigned char)((f->masked ? 0x80 : 0) | 127);
		for (i = 0; i < 8; i++)
			h[hl++] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	}
	if (f->masked) {
		memcpy(h + hl, mask_key, 4);
		hl += 4;
	}
	put(b, h, hl);
	for (i = 0; i < n; i++) {
		c = f->payload ? (unsigned char)f->payload[i] : (unsigned char)(i * 7 + 3);
		if (f->masked)
			c ^= mask_key[i & 3];
		put(b, &c, 1);
	}
}

static void
build(const struct prow *r, struct bytes *b)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	if (r->hex)
		put_hex(b, r->hex);
	for (i = 0; i < 6 && r->frames[i].on; i++)
		put_frame(b, &r->frames[i]);
}

/* One event as text: kind, size, and the data when short. */
static void
describe(const struct ws_event *ev, struct bytes *out)
{
	static const char *kinds[] = { "none", "?", "ping", "pong", "close", "error" };
	char line[96];
	int n;

	if (ev->kind == WS_EV_MESSAGE)
		n = snprintf(line, sizeof(line), "%s %zu", ev->opcode == WS_OP_TEXT ? "text" : "binary", ev->len);
	else if (ev->kind == WS_EV_CLOSE || ev->kind == WS_EV_ERROR)
		n = snprintf(line, sizeof(line), "%s %u", kinds[ev->kind], ev->code);
	else
		n = snprintf(line, sizeof(line), "%s %zu", kinds[ev->kind], ev->len);
	assert_true(n > 0 && (size_t)n < sizeof(line));
	put(out, line, (size_t)n);
	if (ev->kind != WS_EV_ERROR && (ev->len <= 16 || ev->kind == WS_EV_CLOSE)) {
		put(out, " ", 1);
		put(out, ev->data, ev->len);
	}
	if (ev->kind == WS_EV_MESSAGE && ev->opcode == WS_OP_TEXT)
		assert_int_equal(ev->data[ev->len], '\0');
	if (ev->kind == WS_EV_ERROR)
		assert_non_null(ev->error);
	put(out, ";", 1);
}

/* Feeds in to a new parser in pieces of step bytes (0: all at once), or
 * split once at cut (step SIZE_MAX), and returns the events as text. */
static char *
run(const struct prow *r, const unsigned char *in, size_t n, size_t step, size_t cut)
{
	struct ws_parser p;
	struct ws_event ev;
	struct bytes out = { 0 };
	size_t at = 0, end, used;
	int stop = 0;

	ws_parser_init(&p, r->role, r->max);
	while (at < n && !stop) {
		end = step == 0 ? n : step == SIZE_MAX ? (at < cut ? cut : n) : at + step;
		if (end > n)
			end = n;
		while (at < end) {
			used = ws_parse(&p, in + at, end - at, &ev);
			assert_true(used <= end - at);
			assert_true(used > 0);
			at += used;
			if (ev.kind != WS_EV_NONE)
				describe(&ev, &out);
			if (ev.kind == WS_EV_ERROR) {
				stop = 1;
				break;
			}
		}
	}
	ws_parser_free(&p);
	put(&out, "", 1);
	return (char *)out.p;
}

static void
test_parse_rows(void **state)
{
	struct bytes in;
	char *once, *bytewise, *split;
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(prows) / sizeof(prows[0]); i++) {
		build(&prows[i], &in);
		once = run(&prows[i], in.p, in.n, 0, 0);
		if (strcmp(once, prows[i].want) != 0)
			fail_msg("%s: got '%s', want '%s'", prows[i].name, once, prows[i].want);
		bytewise = run(&prows[i], in.p, in.n, 1, 0);
		if (strcmp(bytewise, once) != 0)
			fail_msg("%s: byte by byte '%s' != at once '%s'", prows[i].name, bytewise, once);
		for (cut = 1; in.n < 2048 && cut < in.n; cut++) {
			split = run(&prows[i], in.p, in.n, SIZE_MAX, cut);
			if (strcmp(split, once) != 0)
				fail_msg("%s: split at %zu '%s' != '%s'", prows[i].name, cut, split, once);
			free(split);
		}
		free(once);
		free(bytewise);
		free(in.p);
	}
}

/* The whole of a multi-frame stream, every split, and every chunk size. */
static void
test_stream_splits(void **state)
{
	static const struct prow stream = { "stream", S, 0, NULL,
	    { M(0x01, "H\xc3"), M(0x89, "p"), M(0x00, "\xa9l\xf0\x9f"), M(0x80, "\x98\x80!"),
	      MF(0x82, 300), MN(0x88, "\x03\xe8ok", 4) },
	    "ping 1 p;text 9 H\xc3\xa9l\xf0\x9f\x98\x80!;binary 300;close 1000 ok;" };
	struct bytes in;
	char *got;
	size_t step;

	(void)state;
	build(&stream, &in);
	for (step = 0; step <= in.n; step++) {
		got = run(&stream, in.p, in.n, step, 0);
		if (strcmp(got, stream.want) != 0)
			fail_msg("chunks of %zu: '%s'", step, got);
		free(got);
	}
	free(in.p);
}

/* The message buffer keeps its memory between messages and the data of an
 * event stays valid until the next call. */
static void
test_parser_reuse(void **state)
{
	static const struct frame f[] = { MF(0x82, 1000), M(0x81, "x") };
	struct ws_parser p;
	struct ws_event ev;
	struct bytes in = { 0 };
	size_t used;
	unsigned char *buf;

	(void)state;
	put_frame(&in, &f[0]);
	put_frame(&in, &f[1]);
	ws_parser_init(&p, WS_SERVER, 0);
	used = ws_parse(&p, in.p, in.n, &ev);
	assert_int_equal(ev.kind, WS_EV_MESSAGE);
	assert_int_equal(ev.len, 1000);
	assert_int_equal(ev.data[999], (unsigned char)(999 * 7 + 3));
	buf = p.msg;
	assert_true(p.msg_alloc <= LIMIT_WS_MESSAGE_BYTES + 1);
	ws_parse(&p, in.p + used, in.n - used, &ev);
	assert_int_equal(ev.kind, WS_EV_MESSAGE);
	assert_ptr_equal(p.msg, buf);
	assert_string_equal((const char *)ev.data, "x");
	ws_parser_free(&p);
	ws_parser_free(&p);
	free(in.p);
}

/* ---- writer ---- */

struct wrow {
	const char *name;
	enum ws_opcode op;
	int fin;
	size_t len;
	int masked;
	const char *header;	/* hex, NULL when refused */
};

static const struct wrow wrows[] = {
	{ "text Hello", WS_OP_TEXT, 1, 5, 0, "81 05" },
	{ "masked text Hello", WS_OP_TEXT, 1, 5, 1, "81 85 37 fa 21 3d" },
	{ "first fragment", WS_OP_TEXT, 0, 3, 0, "01 03" },
	{ "continuation", WS_OP_CONTINUATION, 1, 2, 0, "80 02" },
	{ "125 bytes", WS_OP_BINARY, 1, 125, 0, "82 7d" },
	{ "126 bytes", WS_OP_BINARY, 1, 126, 0, "82 7e 00 7e" },
	{ "256 bytes", WS_OP_BINARY, 1, 256, 0, "82 7e 01 00" },
	{ "65535 bytes", WS_OP_BINARY, 1, 65535, 0, "82 7e ff ff" },
	{ "64 KiB", WS_OP_BINARY, 1, 65536, 0, "82 7f 00 00 00 00 00 01 00 00" },
	{ "64 KiB masked", WS_OP_BINARY, 1, 65536, 1, "82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d" },
	{ "ping", WS_OP_PING, 1, 5, 0, "89 05" },
	{ "pong of 125", WS_OP_PONG, 1, 125, 0, "8a 7d" },
	{ "ping of 126", WS_OP_PING, 1, 126, 0, NULL },
	{ "fragmented ping", WS_OP_PING, 0, 1, 0, NULL },
	{ "opcode 3", (enum ws_opcode)3, 1, 1, 0, NULL },
};

static void
test_frame_header(void **state)
{
	unsigned char h[WS_HEADER_MAX];
	struct bytes want;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(wrows) / sizeof(wrows[0]); i++) {
		n = ws_frame_header(h, wrows[i].op, wrows[i].fin, wrows[i].len,
		    wrows[i].masked ? mask_key : NULL);
		if (wrows[i].header == NULL) {
			if (n != 0)
				fail_msg("%s: accepted", wrows[i].name);
			continue;
		}
		memset(&want, 0, sizeof(want));
		put_hex(&want, wrows[i].header);
		if (n != want.n || memcmp(h, want.p, n) != 0)
			fail_msg("%s: wrong header", wrows[i].name);
		assert_int_equal(ws_frame_size(wrows[i].len, wrows[i].masked), n + wrows[i].len);
		free(want.p);
	}
}

static void
test_frame_write(void **state)
{
	static const unsigned char rfc_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
	    0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const unsigned char rfc_close[] = { 0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e' };
	static const size_t sizes[] = { 0, 1, 125, 126, 65535, 65536 };
	unsigned char out[16], *big, *payload;
	char reason[WS_CONTROL_MAX];
	struct ws_parser p;
	struct ws_event ev;
	size_t i, n, cap;

	(void)state;
	assert_int_equal(ws_frame_write(out, sizeof(out), WS_OP_TEXT, 1, "Hello", 5, mask_key), 11);
	assert_memory_equal(out, rfc_masked, 11);
	assert_int_equal(ws_frame_write(out, 10, WS_OP_TEXT, 1, "Hello", 5, mask_key), 0);
	assert_int_equal(ws_close_write(out, sizeof(out), 1000, "bye", 3, NULL), 7);
	assert_memory_equal(out, rfc_close, 7);
	assert_int_equal(ws_close_write(out, sizeof(out), 0, NULL, 0, NULL), 2);
	memset(reason, 'r', sizeof(reason));
	assert_int_equal(ws_close_write(out, sizeof(out), 1000, reason, WS_CONTROL_MAX - 1, NULL), 0);
	big = malloc(200);
	assert_non_null(big);
	assert_int_equal(ws_close_write(big, 200, 1000, reason, WS_CONTROL_MAX - 2, NULL), 2 + WS_CONTROL_MAX);
	free(big);

	/* Round trip: what the client writer makes, the server parser reads. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		payload = malloc(sizes[i] + 1);
		cap = ws_frame_size(sizes[i], 1);
		big = malloc(cap);
		assert_non_null(payload);
		assert_non_null(big);
		for (n = 0; n < sizes[i]; n++)
			payload[n] = (unsigned char)(n * 13);
		n = ws_frame_write(big, cap, WS_OP_BINARY, 1, payload, sizes[i], mask_key);
		assert_int_equal(n, cap);
		ws_parser_init(&p, WS_SERVER, 0);
		assert_int_equal(ws_parse(&p, big, n, &ev), n);
		assert_int_equal(ev.kind, WS_EV_MESSAGE);
		assert_int_equal(ev.len, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(ev.data, payload, sizes[i]);
		ws_parser_free(&p);
		/* and a server frame reads back on the client side */
		n = ws_frame_write(big, cap, WS_OP_BINARY, 1, payload, sizes[i], NULL);
		assert_int_equal(n, cap - 4);
		ws_parser_init(&p, WS_CLIENT, 0);
		assert_int_equal(ws_parse(&p, big, n, &ev), n);
		assert_int_equal(ev.kind, WS_EV_MESSAGE);
		assert_int_equal(ev.len, sizes[i]);
		ws_parser_free(&p);
		free(payload);
		free(big);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_accept_key),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_stream_splits),
		cmocka_unit_test(test_parser_reuse),
		cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_frame_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
