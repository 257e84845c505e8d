/* STUN and ICE-lite checks: RFC 5769's test vectors (request, IPv4 and
 * IPv6 responses) with MESSAGE-INTEGRITY and FINGERPRINT verified, built
 * responses parsed back, the Binding request checks and malformed messages
 * as tables, the media port's demultiplexer, and RFC 6544 framing fed in
 * every split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "media/stun.h"

/* ---- RFC 5769 ---- */

#define RFC_PASSWORD "VOkJxbRl1RmTxUk/WvJxBt"

/* Section 2.1: sample request. */
static const uint8_t rfc_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* Section 2.2: sample IPv4 response (192.0.2.1 port 32853). */
static const uint8_t rfc_response4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* Section 2.3: sample IPv6 response
 * (2001:db8:1234:5678:11:2233:4455:6677 port 32853). */
static const uint8_t rfc_response6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static struct sockaddr_storage
addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') == NULL) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	}
	return ss;
}

static void
assert_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	assert_int_equal(a->ss_family, b->ss_family);
	if (a->ss_family == AF_INET)
		assert_memory_equal(a, b, sizeof(struct sockaddr_in));
	else
		assert_memory_equal(a, b, sizeof(struct sockaddr_in6));
}

static void
test_rfc5769_request(void **state)
{
	struct stun_binding b;
	struct stun_msg m;
	struct err e;

	(void)state;
	assert_int_equal(stun_parse(rfc_request, sizeof(rfc_request), &m, &e), ERR_OK);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_memory_equal(m.txid, rfc_request + 8, STUN_TXID_LEN);
	assert_true(m.has_username);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_true(m.has_priority);
	assert_int_equal(m.priority, 0x6e0001ff);
	assert_true(m.ice_controlled);
	assert_false(m.ice_controlling);
	assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
	assert_int_equal(m.n_unknown, 0);
	assert_int_not_equal(m.fingerprint_off, 0);
	assert_true(stun_integrity_ok(&m, RFC_PASSWORD, strlen(RFC_PASSWORD)));
	assert_false(stun_integrity_ok(&m, "VOkJxbRl1RmTxUk/WvJxBu", 22));
	assert_false(stun_integrity_ok(&m, "", 0));

	/* To an ICE-lite agent with those credentials, a controlled peer is a
	 * role conflict; with another ufrag, unauthorized. */
	assert_int_equal(stun_binding_check(&m, "evtj", RFC_PASSWORD, &b, &e), ERR_VALIDATION);
	assert_int_equal(b.answer, STUN_ERR_ROLE_CONFLICT);
	assert_int_equal(stun_binding_check(&m, "evtk", RFC_PASSWORD, &b, &e), ERR_VALIDATION);
	assert_int_equal(b.answer, STUN_ERR_UNAUTHORIZED);
	assert_int_equal(stun_binding_check(&m, "evtj", "wrong-password-of-22ch", &b, &e),
	    ERR_VALIDATION);
	assert_int_equal(b.answer, STUN_ERR_UNAUTHORIZED);
}

static void
check_response(const uint8_t *msg, size_t n, const char *ip)
{
	struct sockaddr_storage want = addr(ip, 32853);
	struct stun_msg m;
	struct err e;

	assert_int_equal(stun_parse(msg, n, &m, &e), ERR_OK);
	assert_int_equal(m.type, STUN_BINDING_SUCCESS);
	assert_true(m.has_mapped);
	assert_addr_equal(&m.mapped, &want);
	assert_true(stun_integrity_ok(&m, RFC_PASSWORD, strlen(RFC_PASSWORD)));
	assert_false(stun_integrity_ok(&m, "x", 1));
	assert_int_not_equal(m.fingerprint_off, 0);
}

static void
test_rfc5769_responses(void **state)
{
	(void)state;
	check_response(rfc_response4, sizeof(rfc_response4), "192.0.2.1");
	check_response(rfc_response6, sizeof(rfc_response6), "2001:db8:1234:5678:11:2233:4455:6677");
}

/* Our success response to the RFC's request carries the very
 * XOR-MAPPED-ADDRESS attribute of the RFC's responses, and verifies. */
static void
test_built_success(void **state)
{
	static const struct {
		const char *ip;
		const uint8_t *vector;
		size_t attr_off, attr_len;
	} rows[] = {
		{ "192.0.2.1", rfc_response4, 36, 12 },
		{ "2001:db8:1234:5678:11:2233:4455:6677", rfc_response6, 36, 24 },
	};
	uint8_t out[LIMIT_STUN_MESSAGE_BYTES];
	struct sockaddr_storage from;
	struct stun_msg req, m;
	struct err e;
	size_t i, n;

	(void)state;
	assert_int_equal(stun_parse(rfc_request, sizeof(rfc_request), &req, &e), ERR_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		from = addr(rows[i].ip, 32853);
		n = stun_write_binding_success(out, sizeof(out), &req, (struct sockaddr *)&from,
		    RFC_PASSWORD);
		assert_int_equal(n, 20 + rows[i].attr_len + 24 + 8);
		assert_memory_equal(out + 20, rows[i].vector + rows[i].attr_off, rows[i].attr_len);
		assert_int_equal(stun_parse(out, n, &m, &e), ERR_OK);
		assert_int_equal(m.type, STUN_BINDING_SUCCESS);
		assert_memory_equal(m.txid, req.txid, STUN_TXID_LEN);
		assert_addr_equal(&m.mapped, &from);
		assert_true(stun_integrity_ok(&m, RFC_PASSWORD, strlen(RFC_PASSWORD)));
		assert_int_not_equal(m.fingerprint_off, 0);
		/* Too small a buffer: nothing. */
		assert_int_equal(stun_write_binding_success(out, n - 1, &req,
		    (struct sockaddr *)&from, RFC_PASSWORD), 0);
	}
	from.ss_family = AF_UNIX;
	assert_int_equal(stun_write_binding_success(out, sizeof(out), &req,
	    (struct sockaddr *)&from, RFC_PASSWORD), 0);
}

static void
test_built_errors(void **state)
{
	static const struct {
		int code;
		const char *pwd;
	} rows[] = {
		{ STUN_ERR_BAD_REQUEST, NULL },
		{ STUN_ERR_UNAUTHORIZED, NULL },
		{ STUN_ERR_UNKNOWN_ATTRIBUTE, RFC_PASSWORD },
		{ STUN_ERR_ROLE_CONFLICT, RFC_PASSWORD },
	};
	uint8_t out[LIMIT_STUN_MESSAGE_BYTES];
	struct stun_msg req, m;
	struct err e;
	size_t i, n, a;

	(void)state;
	assert_int_equal(stun_parse(rfc_request, sizeof(rfc_request), &req, &e), ERR_OK);
	req.unknown[0] = 0x0031;
	req.unknown[1] = 0x7777;
	req.n_unknown = 2;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = stun_write_binding_error(out, sizeof(out), &req, rows[i].code, rows[i].pwd);
		assert_int_not_equal(n, 0);
		assert_int_equal(stun_parse(out, n, &m, &e), ERR_OK);
		assert_int_equal(m.type, STUN_BINDING_ERROR);
		assert_int_equal(m.error_code, rows[i].code);
		assert_memory_equal(m.txid, req.txid, STUN_TXID_LEN);
		assert_int_not_equal(m.fingerprint_off, 0);
		if (rows[i].pwd != NULL)
			assert_true(stun_integrity_ok(&m, RFC_PASSWORD, strlen(RFC_PASSWORD)));
		else
			assert_int_equal(m.integrity_off, 0);
	}
	/* 420 lists the attributes: find UNKNOWN-ATTRIBUTES after ERROR-CODE. */
	n = stun_write_binding_error(out, sizeof(out), &req, STUN_ERR_UNKNOWN_ATTRIBUTE, NULL);
	a = 20 + 4 + ((4 + strlen("Unknown Attribute") + 3) & ~(size_t)3);
	assert_true(n > a + 8);
	assert_int_equal(out[a] << 8 | out[a + 1], STUN_ATTR_UNKNOWN_ATTRIBUTES);
	assert_int_equal(out[a + 2] << 8 | out[a + 3], 4);
	assert_int_equal(out[a + 4] << 8 | out[a + 5], 0x0031);
	assert_int_equal(out[a + 6] << 8 | out[a + 7], 0x7777);
	/* Codes not answered by ICE-lite are refused. */
	assert_int_equal(stun_write_binding_error(out, sizeof(out), &req, 500, NULL), 0);
}

/* ---- Binding request checks ---- */

#define UFRAG "srvU"
#define PWD "serverpassword0123456789"

enum role { NONE, CONTROLLING, CONTROLLED };

struct brow {
	const char *name;
	uint16_t type;
	const char *username;		/* NULL: none */
	const char *key;		/* MESSAGE-INTEGRITY key; NULL: none */
	int priority, use_candidate;
	enum role role;
	uint16_t extra;			/* an extra attribute type, 0: none */
	enum err_code rc;
	int answer;
};

static const struct brow brows[] = {
	{ "valid check", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD, 1, 0, CONTROLLING, 0, ERR_OK, 0 },
	{ "nominating check", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD, 1, 1, CONTROLLING, 0, ERR_OK, 0 },
	{ "unknown optional attribute", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD, 1, 0, CONTROLLING, 0xC057, ERR_OK, 0 },
	{ "unknown required attribute", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD, 1, 0, CONTROLLING, 0x0057, ERR_VALIDATION, 420 },
	{ "indication", STUN_BINDING_INDICATION, UFRAG ":cli1", PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 0 },
	{ "response", STUN_BINDING_SUCCESS, UFRAG ":cli1", PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 0 },
	{ "no username", STUN_BINDING_REQUEST, NULL, PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 400 },
	{ "no integrity", STUN_BINDING_REQUEST, UFRAG ":cli1", NULL, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 400 },
	{ "no priority", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD, 0, 0, CONTROLLING, 0, ERR_VALIDATION, 400 },
	{ "no role", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD, 1, 0, NONE, 0, ERR_VALIDATION, 400 },
	{ "username without colon", STUN_BINDING_REQUEST, UFRAG "cli1", PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 401 },
	{ "username without remote", STUN_BINDING_REQUEST, UFRAG ":", PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 401 },
	{ "other ufrag", STUN_BINDING_REQUEST, "srvV:cli1", PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 401 },
	{ "ufrag prefix", STUN_BINDING_REQUEST, "srv:cli1", PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 401 },
	{ "remote ufrag first", STUN_BINDING_REQUEST, "cli1:" UFRAG, PWD, 1, 0, CONTROLLING, 0, ERR_VALIDATION, 401 },
	{ "wrong password", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD "x", 1, 0, CONTROLLING, 0, ERR_VALIDATION, 401 },
	{ "controlled peer", STUN_BINDING_REQUEST, UFRAG ":cli1", PWD, 1, 0, CONTROLLED, 0, ERR_VALIDATION, 487 },
};

static size_t
build_request(const struct brow *r, uint8_t *out, size_t cap)
{
	static const uint8_t txid[STUN_TXID_LEN] = "0123456789ab";
	struct stun_writer w;

	stun_writer_init(&w, out, cap, r->type, txid);
	if (r->username)
		stun_writer_attr(&w, STUN_ATTR_USERNAME, r->username, strlen(r->username));
	if (r->priority)
		stun_writer_u32(&w, STUN_ATTR_PRIORITY, 0x6e7f1eff);
	if (r->use_candidate)
		stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (r->role == CONTROLLING)
		stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, 0x0102030405060708ull);
	if (r->role == CONTROLLED)
		stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLED, 0x0102030405060708ull);
	if (r->extra)
		stun_writer_attr(&w, r->extra, "xyz", 3);
	if (r->key)
		stun_writer_integrity(&w, r->key, strlen(r->key));
	stun_writer_fingerprint(&w);
	return stun_writer_finish(&w);
}

static void
test_binding_check(void **state)
{
	uint8_t buf[LIMIT_STUN_MESSAGE_BYTES], out[LIMIT_STUN_MESSAGE_BYTES];
	struct sockaddr_storage from = addr("198.51.100.7", 50000);
	struct stun_binding b;
	struct stun_msg m, resp;
	struct err e;
	enum err_code rc;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(brows) / sizeof(brows[0]); i++) {
		n = build_request(&brows[i], buf, sizeof(buf));
		assert_int_not_equal(n, 0);
		if (stun_parse(buf, n, &m, &e) != ERR_OK)
			fail_msg("%s: parse: %s", brows[i].name, e.msg);
		rc = stun_binding_check(&m, UFRAG, PWD, &b, &e);
		if (rc != brows[i].rc || (rc != ERR_OK && b.answer != brows[i].answer))
			fail_msg("%s: got %d answer %d (%s)", brows[i].name, rc, b.answer,
			    rc ? e.msg : "ok");
		if (rc == ERR_OK) {
			assert_int_equal(b.remote_ufrag_len, 4);
			assert_memory_equal(b.remote_ufrag, "cli1", 4);
			assert_int_equal(b.priority, 0x6e7f1eff);
			assert_int_equal(b.use_candidate, brows[i].use_candidate);
			assert_true(b.tiebreaker == 0x0102030405060708ull);
			n = stun_write_binding_success(out, sizeof(out), &m, (struct sockaddr *)&from, PWD);
		} else if (b.answer != 0) {
			n = stun_write_binding_error(out, sizeof(out), &m, b.answer,
			    b.answer >= 420 ? PWD : NULL);
		} else {
			continue;
		}
		/* Whatever is answered parses and verifies on the client's side. */
		assert_int_not_equal(n, 0);
		assert_int_equal(stun_parse(out, n, &resp, &e), ERR_OK);
		assert_memory_equal(resp.txid, m.txid, STUN_TXID_LEN);
		assert_int_equal(resp.error_code, rc == ERR_OK ? 0 : b.answer);
		if (resp.integrity_off != 0)
			assert_true(stun_integrity_ok(&resp, PWD, strlen(PWD)));
	}
}

/* ---- malformed messages ---- */

struct mrow {
	const char *name;
	size_t keep;			/* bytes of the request kept */
	int at;				/* byte to overwrite, or -1 */
	uint8_t value;
	int fix_length;			/* make the header's length match what is kept */
};

#define ALL sizeof(rfc_request)

static const struct mrow mrows[] = {
	{ "empty", 0, -1, 0, 0 },
	{ "shorter than a header", 19, -1, 0, 0 },
	{ "header only, length says more", 20, -1, 0, 0 },
	{ "top bits of the type", ALL, 0, 0x40, 0 },
	{ "magic cookie", ALL, 4, 0x22, 0 },
	{ "length not a multiple of 4", ALL, 3, 0x57, 0 },
	{ "length larger than received", ALL, 3, 0x5c, 0 },
	{ "length smaller than received", ALL, 3, 0x54, 0 },
	{ "cut inside an attribute", ALL - 4, -1, 0, 1 },
	{ "attribute overruns the message", ALL, 22, 0x01, 0 },
	{ "PRIORITY of 8 bytes", ALL, 43, 0x08, 0 },
	{ "FINGERPRINT mismatch", ALL, 30, 0x00, 0 },
	{ "ICE-CONTROLLED of 4 bytes", ALL, 51, 0x04, 0 },
};

static void
test_malformed(void **state)
{
	uint8_t buf[sizeof(rfc_request)];
	struct stun_msg m;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mrows) / sizeof(mrows[0]); i++) {
		memcpy(buf, rfc_request, sizeof(buf));
		if (mrows[i].at >= 0)
			buf[mrows[i].at] = mrows[i].value;
		if (mrows[i].fix_length)
			buf[3] = (uint8_t)(mrows[i].keep - 20);
		if (stun_parse(buf, mrows[i].keep, &m, &e) != ERR_VALIDATION)
			fail_msg("%s: accepted", mrows[i].name);
	}
}

/* Messages the writer can make but the parser must refuse. */
static void
test_malformed_built(void **state)
{
	static const uint8_t txid[STUN_TXID_LEN] = "abcdefghijkl";
	static uint8_t big[LIMIT_STUN_MESSAGE_BYTES];
	uint8_t buf[2 * LIMIT_STUN_MESSAGE_BYTES];
	struct stun_writer w;
	struct stun_msg m;
	struct err e;
	size_t n;
	int k;

	(void)state;
	for (k = 0; k < 5; k++) {
		stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING_REQUEST, txid);
		stun_writer_attr(&w, STUN_ATTR_USERNAME, "a:b", 3);
		switch (k) {
		case 0:		/* an attribute after FINGERPRINT */
			stun_writer_fingerprint(&w);
			stun_writer_u32(&w, STUN_ATTR_PRIORITY, 1);
			break;
		case 1:		/* an attribute after MESSAGE-INTEGRITY */
			stun_writer_integrity(&w, "k", 1);
			stun_writer_u32(&w, STUN_ATTR_PRIORITY, 1);
			break;
		case 2:		/* MESSAGE-INTEGRITY of 16 bytes */
			stun_writer_attr(&w, STUN_ATTR_MESSAGE_INTEGRITY, big, 16);
			break;
		case 3:		/* over LIMIT_STUN_MESSAGE_BYTES */
			stun_writer_attr(&w, 0x8050, big, sizeof(big));
			break;
		case 4:		/* a bad XOR-MAPPED-ADDRESS family */
			stun_writer_attr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, "\0\3\0\0\0\0\0\0", 8);
			break;
		}
		n = stun_writer_finish(&w);
		assert_int_not_equal(n, 0);
		if (stun_parse(buf, n, &m, &e) != ERR_VALIDATION)
			fail_msg("built case %d: accepted", k);
	}
	/* An unknown comprehension-required attribute is listed, not refused. */
	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING_REQUEST, txid);
	stun_writer_attr(&w, 0x0042, "x", 1);
	stun_writer_attr(&w, 0x8042, "y", 1);
	n = stun_writer_finish(&w);
	assert_int_equal(stun_parse(buf, n, &m, &e), ERR_OK);
	assert_int_equal(m.n_unknown, 1);
	assert_int_equal(m.unknown[0], 0x0042);
	/* The writer refuses what does not fit. */
	stun_writer_init(&w, buf, 24, STUN_BINDING_REQUEST, txid);
	stun_writer_attr(&w, STUN_ATTR_USERNAME, "a:b", 3);
	assert_int_equal(stun_writer_finish(&w), 0);
}

/* ---- the one port ---- */

static void
test_demux(void **state)
{
	static const struct {
		uint8_t first;
		enum stun_demux want;
	} rows[] = {
		{ 0, STUN_DEMUX_STUN }, { 1, STUN_DEMUX_STUN }, { 3, STUN_DEMUX_STUN },
		{ 4, STUN_DEMUX_OTHER }, { 16, STUN_DEMUX_OTHER }, { 19, STUN_DEMUX_OTHER },
		{ 20, STUN_DEMUX_DTLS }, { 22, STUN_DEMUX_DTLS }, { 63, STUN_DEMUX_DTLS },
		{ 64, STUN_DEMUX_OTHER }, { 79, STUN_DEMUX_OTHER }, { 127, STUN_DEMUX_OTHER },
		{ 128, STUN_DEMUX_RTP }, { 0x80, STUN_DEMUX_RTP }, { 191, STUN_DEMUX_RTP },
		{ 192, STUN_DEMUX_OTHER }, { 255, STUN_DEMUX_OTHER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (stun_demux(&rows[i].first, 1) != rows[i].want)
			fail_msg("first byte %u", rows[i].first);
	assert_int_equal(stun_demux(NULL, 0), STUN_DEMUX_OTHER);
	assert_int_equal(stun_demux(rfc_request, sizeof(rfc_request)), STUN_DEMUX_STUN);
}

static void
test_username_split(void **state)
{
	static const struct {
		const char *in, *local, *remote;
	} rows[] = {
		{ "evtj:h6vY", "evtj", "h6vY" },
		{ "a:b", "a", "b" },
		{ "a:b:c", "a", "b:c" },
		{ "abc", NULL, NULL },
		{ ":abc", NULL, NULL },
		{ "abc:", NULL, NULL },
		{ ":", NULL, NULL },
		{ "", NULL, NULL },
	};
	const uint8_t *l, *r;
	size_t i, ll, rl;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rc = stun_username_split((const uint8_t *)rows[i].in, strlen(rows[i].in), &l, &ll,
		    &r, &rl);
		if (rows[i].local == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(ll, strlen(rows[i].local));
		assert_memory_equal(l, rows[i].local, ll);
		assert_int_equal(rl, strlen(rows[i].remote));
		assert_memory_equal(r, rows[i].remote, rl);
	}
}

static void
test_crc32(void **state)
{
	(void)state;
	/* The CRC-32 check value. */
	assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926);
	assert_int_equal(stun_crc32(NULL, 0), 0);
}

/* ---- RFC 6544 framing ---- */

/* Feeds stream in pieces of at most step bytes; collects the frames'
 * payloads end to end into got and their count into *frames. */
static size_t
feed(struct stun_tcp_reader *r, const uint8_t *stream, size_t n, size_t step, uint8_t *got,
    size_t *frames, size_t *lens)
{
	const uint8_t *frame;
	size_t off = 0, total = 0, piece, used, len;

	*frames = 0;
	while (off < n) {
		piece = n - off < step ? n - off : step;
		while (piece > 0) {
			used = stun_tcp_read(r, stream + off, piece, &frame, &len);
			if (used == (size_t)-1)
				return (size_t)-1;
			assert_true(used >= 1 && used <= piece);
			off += used;
			piece -= used;
			if (frame != NULL) {
				memcpy(got + total, frame, len);
				total += len;
				lens[(*frames)++] = len;
			} else {
				assert_int_equal(piece, 0);
			}
		}
	}
	return total;
}

static void
test_tcp_framing(void **state)
{
	static const size_t sizes[] = { 0, 1, 300, sizeof(rfc_request), 1500 };
	static uint8_t stream[8192], got[8192], payload[8192];
	static struct stun_tcp_reader r;
	size_t i, n = 0, total = 0, frames, lens[8], step, w;

	(void)state;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		w = stun_tcp_frame(stream + n, sizeof(stream) - n, payload + total, sizes[i]);
		assert_int_equal(w, sizes[i] + 2);
		n += w;
		total += sizes[i];
	}
	for (step = 1; step <= n; step = step < 8 ? step + 1 : step * 3) {
		stun_tcp_reader_init(&r);
		assert_int_equal(feed(&r, stream, n, step, got, &frames, lens), total);
		assert_int_equal(frames, sizeof(sizes) / sizeof(sizes[0]));
		for (i = 0; i < frames; i++)
			assert_int_equal(lens[i], sizes[i]);
		assert_memory_equal(got, payload, total);
	}
	/* A frame over the limit fails the connection, for good. */
	stun_tcp_reader_init(&r);
	stream[0] = 0xff;
	stream[1] = 0xff;
	assert_true(feed(&r, stream, 2, 1, got, &frames, lens) == (size_t)-1);
	assert_true(feed(&r, stream + 2, 4, 4, got, &frames, lens) == (size_t)-1);
	/* The writer refuses the same and what does not fit. */
	assert_int_equal(stun_tcp_prefix(stream, LIMIT_ICE_TCP_FRAME_BYTES + 1), 0);
	assert_int_equal(stun_tcp_prefix(stream, LIMIT_ICE_TCP_FRAME_BYTES), 2);
	assert_int_equal(stun_tcp_frame(stream, 10, payload, 9), 0);
	assert_int_equal(stun_tcp_frame(stream, 11, payload, 9), 11);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_request),
		cmocka_unit_test(test_rfc5769_responses),
		cmocka_unit_test(test_built_success),
		cmocka_unit_test(test_built_errors),
		cmocka_unit_test(test_binding_check),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_built),
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_username_split),
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_tcp_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
