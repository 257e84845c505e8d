/* STUN messages parsed in place and written into a caller's buffer, the
 * checks of an ICE-lite agent, the media port's demultiplexer and ICE-TCP
 * framing. Never allocates; no state outside the caller's structs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "media/stun.h"

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* CRC-32 a nibble at a time: a 16-entry table, reflected polynomial
 * 0xEDB88320. STUN messages are small, so this is fast enough. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t
stun_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		c = (c >> 4) ^ crc_nibble[c & 15];
		c = (c >> 4) ^ crc_nibble[c & 15];
	}
	return c ^ 0xffffffffu;
}

/* ---- parsing ---- */

/* Attributes whose value has one fixed length; 0: any length. */
struct attr_rule {
	uint16_t type;
	uint16_t len;
	uint16_t max;		/* for variable ones: most bytes allowed */
};

static const struct attr_rule attr_rules[] = {
	{ STUN_ATTR_MAPPED_ADDRESS, 0, 20 },
	{ STUN_ATTR_USERNAME, 0, 513 },		/* RFC 8489: under 509 bytes; ICE ufrags 256 each */
	{ STUN_ATTR_MESSAGE_INTEGRITY, STUN_HMAC_LEN, 0 },
	{ STUN_ATTR_ERROR_CODE, 0, 4 + 763 },
	{ STUN_ATTR_UNKNOWN_ATTRIBUTES, 0, 0xffff },
	{ STUN_ATTR_REALM, 0, 763 },
	{ STUN_ATTR_NONCE, 0, 763 },
	{ STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 0, 32 },
	{ STUN_ATTR_PASSWORD_ALGORITHM, 0, 0xffff },
	{ STUN_ATTR_USERHASH, 32, 0 },
	{ STUN_ATTR_XOR_MAPPED_ADDRESS, 0, 20 },
	{ STUN_ATTR_PRIORITY, 4, 0 },
	{ STUN_ATTR_USE_CANDIDATE, 0, 0 },
	{ STUN_ATTR_PASSWORD_ALGORITHMS, 0, 0xffff },
	{ STUN_ATTR_ALTERNATE_DOMAIN, 0, 255 },
	{ STUN_ATTR_SOFTWARE, 0, 763 },
	{ STUN_ATTR_ALTERNATE_SERVER, 0, 20 },
	{ STUN_ATTR_FINGERPRINT, 4, 0 },
	{ STUN_ATTR_ICE_CONTROLLED, 8, 0 },
	{ STUN_ATTR_ICE_CONTROLLING, 8, 0 },
};

static const struct attr_rule *
attr_rule_find(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(attr_rules) / sizeof(attr_rules[0]); i++)
		if (attr_rules[i].type == type)
			return &attr_rules[i];
	return NULL;
}

/* Decodes an (XOR-)MAPPED-ADDRESS value into ss; returns 0 or -1. */
static int
read_address(const uint8_t *v, size_t len, const uint8_t *txid, int xored,
    struct sockaddr_storage *ss)
{
	uint8_t mask[16];
	size_t i;

	if (len < 4 || v[0] != 0)
		return -1;
	wr32(mask, xored ? STUN_MAGIC_COOKIE : 0);
	memcpy(mask + 4, txid, STUN_TXID_LEN);
	if (!xored)
		memset(mask, 0, sizeof(mask));
	memset(ss, 0, sizeof(*ss));
	if (v[1] == 0x01 && len == 8) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		uint8_t a[4];
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)(rd16(v + 2) ^ rd16(mask)));
		for (i = 0; i < 4; i++)
			a[i] = v[4 + i] ^ mask[i];
		memcpy(&in->sin_addr, a, 4);
		return 0;
	}
	if (v[1] == 0x02 && len == 20) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		uint8_t a[16];
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)(rd16(v + 2) ^ rd16(mask)));
		for (i = 0; i < 16; i++)
			a[i] = v[4 + i] ^ mask[i];
		memcpy(&in6->sin6_addr, a, 16);
		return 0;
	}
	return -1;
}

/* Records one attribute's meaning in m. Returns 0 or -1 (with e set). */
static int
take_attr(struct stun_msg *m, uint16_t type, const uint8_t *v, size_t len, size_t off,
    struct err *e)
{
	switch (type) {
	case STUN_ATTR_USERNAME:
		m->username = v;
		m->username_len = len;
		m->has_username = 1;
		break;
	case STUN_ATTR_PRIORITY:
		m->priority = rd32(v);
		m->has_priority = 1;
		break;
	case STUN_ATTR_USE_CANDIDATE:
		m->use_candidate = 1;
		break;
	case STUN_ATTR_ICE_CONTROLLING:
	case STUN_ATTR_ICE_CONTROLLED:
		if (type == STUN_ATTR_ICE_CONTROLLING)
			m->ice_controlling = 1;
		else
			m->ice_controlled = 1;
		m->tiebreaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
		break;
	case STUN_ATTR_ERROR_CODE:
		if (len < 4 || v[2] < 3 || v[2] > 6 || v[3] > 99) {
			err_set(e, ERR_VALIDATION, "STUN ERROR-CODE malformed");
			return -1;
		}
		m->error_code = v[2] * 100 + v[3];
		break;
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
		if (read_address(v, len, m->txid, 1, &m->mapped) != 0) {
			err_set(e, ERR_VALIDATION, "STUN XOR-MAPPED-ADDRESS malformed");
			return -1;
		}
		m->has_mapped = 1;
		break;
	case STUN_ATTR_MESSAGE_INTEGRITY:
		m->integrity_off = off;
		break;
	case STUN_ATTR_FINGERPRINT:
		m->fingerprint_off = off;
		break;
	default:
		break;
	}
	return 0;
}

enum err_code
stun_parse(const uint8_t *p, size_t n, struct stun_msg *m, struct err *e)
{
	const struct attr_rule *rule;
	size_t off, len, padded;
	uint16_t type;

	memset(m, 0, sizeof(*m));
	if (n < STUN_HEADER_LEN)
		return err_set(e, ERR_VALIDATION, "STUN message shorter than its header");
	if (n > LIMIT_STUN_MESSAGE_BYTES)
		return err_set(e, ERR_VALIDATION, "STUN message over %d bytes", LIMIT_STUN_MESSAGE_BYTES);
	if ((p[0] & 0xc0) != 0)
		return err_set(e, ERR_VALIDATION, "STUN message type with its top bits set");
	if (rd32(p + 4) != STUN_MAGIC_COOKIE)
		return err_set(e, ERR_VALIDATION, "STUN magic cookie missing");
	if (rd16(p + 2) % 4 != 0 || (size_t)rd16(p + 2) != n - STUN_HEADER_LEN)
		return err_set(e, ERR_VALIDATION, "STUN length %u does not match the %zu bytes received",
		    rd16(p + 2), n - STUN_HEADER_LEN);
	m->data = p;
	m->len = n;
	m->type = rd16(p);
	m->txid = p + 8;
	for (off = STUN_HEADER_LEN; off < n; off += 4 + padded) {
		if (n - off < 4)
			return err_set(e, ERR_VALIDATION, "STUN attribute header cut short");
		type = rd16(p + off);
		len = rd16(p + off + 2);
		padded = (len + 3) & ~(size_t)3;
		if (padded > n - off - 4)
			return err_set(e, ERR_VALIDATION, "STUN attribute 0x%04x overruns the message", type);
		if (m->fingerprint_off != 0)
			return err_set(e, ERR_VALIDATION, "STUN attribute after FINGERPRINT");
		if (m->integrity_off != 0 && type != STUN_ATTR_FINGERPRINT)
			return err_set(e, ERR_VALIDATION, "STUN attribute 0x%04x after MESSAGE-INTEGRITY", type);
		rule = attr_rule_find(type);
		if (rule != NULL && (rule->len ? len != rule->len : len > rule->max))
			return err_set(e, ERR_VALIDATION, "STUN attribute 0x%04x of wrong length %zu",
			    type, len);
		if (rule == NULL && type < 0x8000 && m->n_unknown < STUN_UNKNOWN_MAX)
			m->unknown[m->n_unknown++] = type;
		if (take_attr(m, type, p + off + 4, len, off, e) != 0)
			return e->code;
	}
	if (m->fingerprint_off != 0 &&
	    (stun_crc32(p, m->fingerprint_off) ^ STUN_FINGERPRINT_XOR) != rd32(p + m->fingerprint_off + 4))
		return err_set(e, ERR_VALIDATION, "STUN FINGERPRINT does not match");
	return ERR_OK;
}

/* HMAC-SHA1 of the message's first end bytes (everything before the
 * MESSAGE-INTEGRITY attribute), the header's length field set as if the
 * message ended with that attribute (RFC 8489 section 14.5). */
static int
integrity(const uint8_t *msg, size_t end, const void *key, size_t key_len,
    uint8_t mac[STUN_HMAC_LEN])
{
	uint8_t copy[LIMIT_STUN_MESSAGE_BYTES];
	unsigned int mac_len = 0;

	if (end < STUN_HEADER_LEN || end > sizeof(copy) || key_len > 0x7fffffff)
		return -1;
	memcpy(copy, msg, end);
	wr16(copy + 2, (uint16_t)(end - STUN_HEADER_LEN + 4 + STUN_HMAC_LEN));
	if (HMAC(EVP_sha1(), key, (int)key_len, copy, end, mac, &mac_len) == NULL ||
	    mac_len != STUN_HMAC_LEN)
		return -1;
	return 0;
}

int
stun_integrity_ok(const struct stun_msg *m, const void *key, size_t key_len)
{
	uint8_t mac[STUN_HMAC_LEN];
	int ok;

	if (m->integrity_off == 0)
		return 0;
	if (integrity(m->data, m->integrity_off, key, key_len, mac) != 0)
		return 0;
	ok = CRYPTO_memcmp(mac, m->data + m->integrity_off + 4, STUN_HMAC_LEN) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

int
stun_username_split(const uint8_t *u, size_t n, const uint8_t **local, size_t *local_len,
    const uint8_t **remote, size_t *remote_len)
{
	const uint8_t *colon = memchr(u, ':', n);

	if (colon == NULL || colon == u || colon == u + n - 1)
		return -1;
	*local = u;
	*local_len = (size_t)(colon - u);
	*remote = colon + 1;
	*remote_len = n - *local_len - 1;
	return 0;
}

static enum err_code
refuse(struct stun_binding *b, int answer, struct err *e, const char *why)
{
	b->answer = answer;
	return err_set(e, ERR_VALIDATION, "STUN Binding request refused (%d): %s", answer, why);
}

enum err_code
stun_binding_check(const struct stun_msg *m, const char *ufrag, const char *pwd,
    struct stun_binding *b, struct err *e)
{
	const uint8_t *local;
	size_t local_len;

	memset(b, 0, sizeof(*b));
	if (m->type != STUN_BINDING_REQUEST)
		return refuse(b, 0, e, "not a Binding request");
	if (m->n_unknown > 0)
		return refuse(b, STUN_ERR_UNKNOWN_ATTRIBUTE, e, "unknown comprehension-required attribute");
	if (!m->has_username || m->integrity_off == 0)
		return refuse(b, STUN_ERR_BAD_REQUEST, e, "USERNAME or MESSAGE-INTEGRITY missing");
	if (!m->has_priority)
		return refuse(b, STUN_ERR_BAD_REQUEST, e, "PRIORITY missing");
	if (!m->ice_controlling && !m->ice_controlled)
		return refuse(b, STUN_ERR_BAD_REQUEST, e, "ICE-CONTROLLING missing");
	if (stun_username_split(m->username, m->username_len, &local, &local_len,
	    &b->remote_ufrag, &b->remote_ufrag_len) != 0)
		return refuse(b, STUN_ERR_UNAUTHORIZED, e, "USERNAME is not local:remote");
	if (local_len != strlen(ufrag) || memcmp(local, ufrag, local_len) != 0)
		return refuse(b, STUN_ERR_UNAUTHORIZED, e, "USERNAME names another ufrag");
	if (!stun_integrity_ok(m, pwd, strlen(pwd)))
		return refuse(b, STUN_ERR_UNAUTHORIZED, e, "MESSAGE-INTEGRITY does not verify");
	if (m->ice_controlled)
		return refuse(b, STUN_ERR_ROLE_CONFLICT, e, "both agents controlled (this one is ICE-lite)");
	b->priority = m->priority;
	b->use_candidate = m->use_candidate;
	b->tiebreaker = m->tiebreaker;
	return ERR_OK;
}

/* ---- writing ---- */

void
stun_writer_init(struct stun_writer *w, uint8_t *out, size_t cap, uint16_t type,
    const uint8_t txid[STUN_TXID_LEN])
{
	w->out = out;
	w->cap = cap;
	w->len = 0;
	w->failed = cap < STUN_HEADER_LEN || (type & 0xc000) != 0;
	if (w->failed)
		return;
	wr16(out, type);
	wr16(out + 2, 0);
	wr32(out + 4, STUN_MAGIC_COOKIE);
	memcpy(out + 8, txid, STUN_TXID_LEN);
	w->len = STUN_HEADER_LEN;
}

/* Reserves an attribute of len value bytes (padding zeroed) and updates
 * the header's length; returns the value's address or NULL. */
static uint8_t *
reserve(struct stun_writer *w, uint16_t type, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	uint8_t *v;

	if (w->failed || len > 0xffff || padded + 4 > w->cap - w->len ||
	    w->len + 4 + padded - STUN_HEADER_LEN > 0xffff) {
		w->failed = 1;
		return NULL;
	}
	wr16(w->out + w->len, type);
	wr16(w->out + w->len + 2, (uint16_t)len);
	v = w->out + w->len + 4;
	memset(v + len, 0, padded - len);
	w->len += 4 + padded;
	wr16(w->out + 2, (uint16_t)(w->len - STUN_HEADER_LEN));
	return v;
}

void
stun_writer_attr(struct stun_writer *w, uint16_t type, const void *value, size_t len)
{
	uint8_t *v = reserve(w, type, len);

	if (v != NULL && len > 0)
		memcpy(v, value, len);
}

void
stun_writer_u32(struct stun_writer *w, uint16_t type, uint32_t x)
{
	uint8_t *v = reserve(w, type, 4);

	if (v != NULL)
		wr32(v, x);
}

void
stun_writer_u64(struct stun_writer *w, uint16_t type, uint64_t x)
{
	uint8_t *v = reserve(w, type, 8);

	if (v != NULL) {
		wr32(v, (uint32_t)(x >> 32));
		wr32(v + 4, (uint32_t)x);
	}
}

void
stun_writer_xor_address(struct stun_writer *w, const struct sockaddr *addr)
{
	const uint8_t *txid = w->out + 8;
	uint8_t mask[16], *v;
	size_t i;

	if (w->failed)
		return;
	wr32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, txid, STUN_TXID_LEN);
	if (addr != NULL && addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
		uint8_t a[4];
		if ((v = reserve(w, STUN_ATTR_XOR_MAPPED_ADDRESS, 8)) == NULL)
			return;
		memcpy(a, &in->sin_addr, 4);
		v[0] = 0;
		v[1] = 0x01;
		wr16(v + 2, (uint16_t)(ntohs(in->sin_port) ^ rd16(mask)));
		for (i = 0; i < 4; i++)
			v[4 + i] = a[i] ^ mask[i];
	} else if (addr != NULL && addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
		uint8_t a[16];
		if ((v = reserve(w, STUN_ATTR_XOR_MAPPED_ADDRESS, 20)) == NULL)
			return;
		memcpy(a, &in6->sin6_addr, 16);
		v[0] = 0;
		v[1] = 0x02;
		wr16(v + 2, (uint16_t)(ntohs(in6->sin6_port) ^ rd16(mask)));
		for (i = 0; i < 16; i++)
			v[4 + i] = a[i] ^ mask[i];
	} else {
		w->failed = 1;
	}
}

void
stun_writer_error(struct stun_writer *w, int code, const char *reason)
{
	size_t rlen = strlen(reason);
	uint8_t *v;

	if (code < 300 || code > 699 || rlen > 127) {
		w->failed = 1;
		return;
	}
	if ((v = reserve(w, STUN_ATTR_ERROR_CODE, 4 + rlen)) == NULL)
		return;
	v[0] = 0;
	v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, rlen);
}

void
stun_writer_integrity(struct stun_writer *w, const void *key, size_t key_len)
{
	uint8_t mac[STUN_HMAC_LEN];
	size_t end = w->len;
	uint8_t *v;

	if (w->failed)
		return;
	if (integrity(w->out, end, key, key_len, mac) != 0) {
		w->failed = 1;
		return;
	}
	if ((v = reserve(w, STUN_ATTR_MESSAGE_INTEGRITY, STUN_HMAC_LEN)) != NULL)
		memcpy(v, mac, STUN_HMAC_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
}

void
stun_writer_fingerprint(struct stun_writer *w)
{
	uint8_t *v = reserve(w, STUN_ATTR_FINGERPRINT, 4);

	/* The header's length already counts the fingerprint (reserve set
	 * it), as RFC 8489 section 14.7 requires. */
	if (v != NULL)
		wr32(v, stun_crc32(w->out, w->len - 8) ^ STUN_FINGERPRINT_XOR);
}

size_t
stun_writer_finish(const struct stun_writer *w)
{
	return w->failed ? 0 : w->len;
}

size_t
stun_write_binding_success(uint8_t *out, size_t cap, const struct stun_msg *req,
    const struct sockaddr *from, const char *pwd)
{
	struct stun_writer w;

	stun_writer_init(&w, out, cap, STUN_BINDING_SUCCESS, req->txid);
	stun_writer_xor_address(&w, from);
	stun_writer_integrity(&w, pwd, strlen(pwd));
	stun_writer_fingerprint(&w);
	return stun_writer_finish(&w);
}

/* Reason phrases of the errors rtstage answers. */
static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{ STUN_ERR_BAD_REQUEST, "Bad Request" },
	{ STUN_ERR_UNAUTHORIZED, "Unauthorized" },
	{ STUN_ERR_UNKNOWN_ATTRIBUTE, "Unknown Attribute" },
	{ STUN_ERR_ROLE_CONFLICT, "Role Conflict" },
};

size_t
stun_write_binding_error(uint8_t *out, size_t cap, const struct stun_msg *req, int code,
    const char *pwd)
{
	uint8_t unknown[2 * STUN_UNKNOWN_MAX];
	const char *reason = NULL;
	struct stun_writer w;
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			reason = reasons[i].reason;
	if (reason == NULL)
		return 0;
	stun_writer_init(&w, out, cap, STUN_BINDING_ERROR, req->txid);
	stun_writer_error(&w, code, reason);
	if (code == STUN_ERR_UNKNOWN_ATTRIBUTE) {
		for (i = 0; i < req->n_unknown; i++)
			wr16(unknown + 2 * i, req->unknown[i]);
		stun_writer_attr(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, unknown, 2 * req->n_unknown);
	}
	if (pwd != NULL)
		stun_writer_integrity(&w, pwd, strlen(pwd));
	stun_writer_fingerprint(&w);
	return stun_writer_finish(&w);
}

/* ---- the one port ---- */

enum stun_demux
stun_demux(const uint8_t *p, size_t n)
{
	if (n == 0)
		return STUN_DEMUX_OTHER;
	if (p[0] <= 3)
		return STUN_DEMUX_STUN;
	if (p[0] >= 20 && p[0] <= 63)
		return STUN_DEMUX_DTLS;
	if (p[0] >= 128 && p[0] <= 191)
		return STUN_DEMUX_RTP;
	return STUN_DEMUX_OTHER;
}

/* ---- RFC 6544 framing ---- */

void
stun_tcp_reader_init(struct stun_tcp_reader *r)
{
	r->hdr_got = 0;
	r->need = 0;
	r->got = 0;
	r->failed = 0;
}

size_t
stun_tcp_read(struct stun_tcp_reader *r, const uint8_t *in, size_t n, const uint8_t **frame,
    size_t *len)
{
	size_t used = 0, take;

	*frame = NULL;
	*len = 0;
	if (r->failed)
		return (size_t)-1;
	while (used < n) {
		if (r->hdr_got < 2) {
			r->hdr[r->hdr_got++] = in[used++];
			if (r->hdr_got < 2)
				continue;
			r->need = rd16(r->hdr);
			r->got = 0;
			if (r->need > LIMIT_ICE_TCP_FRAME_BYTES) {
				r->failed = 1;
				return (size_t)-1;
			}
		} else {
			take = r->need - r->got < n - used ? r->need - r->got : n - used;
			memcpy(r->frame + r->got, in + used, take);
			r->got += take;
			used += take;
		}
		if (r->got == r->need) {
			r->hdr_got = 0;
			*frame = r->frame;
			*len = r->need;
			return used;
		}
	}
	return used;
}

size_t
stun_tcp_prefix(uint8_t out[2], size_t len)
{
	if (len > LIMIT_ICE_TCP_FRAME_BYTES)
		return 0;
	wr16(out, (uint16_t)len);
	return 2;
}

size_t
stun_tcp_frame(uint8_t *out, size_t cap, const void *payload, size_t len)
{
	if (cap < 2 || len > cap - 2 || stun_tcp_prefix(out, len) == 0)
		return 0;
	if (len > 0)
		memcpy(out + 2, payload, len);
	return len + 2;
}
