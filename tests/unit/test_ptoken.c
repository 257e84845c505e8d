/* Participant token verification: every claim rule, the header, the
 * signature, and the customer-key hook, over tokens signed by a keyring
 * made for the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/ids.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "ivs/ptoken.h"

#define NOW 1700000000LL
#define ARN "arn:aws:ivs:us-east-1:123456789012:stage/AbCdEf123456"

static struct key_files files;
static struct key_store ks;
static struct keyring *ring;
static char dir[] = "/tmp/rtstage-ptoken-XXXXXX";

/* The claims of a good token; a row changes one member. */
static json_t *
good_claims(void)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:{s:b, s:b}, s:s, s:s, s:{s:s}}",
	    "exp", (json_int_t)(NOW + 3600), "iat", (json_int_t)NOW, "jti", "pArTiCiPaNt_1-x",
	    "resource", ARN, "topic", "AbCdEf123456", "events_url", "ws://127.0.0.1:1/events",
	    "whip_url", "http://127.0.0.1:1/whip", "capabilities", "allow_publish", 1,
	    "allow_subscribe", 0, "version", "1.0", "user_id", "alice", "attributes", "k", "v");
}

struct row {
	const char *what;
	const char *member;	/* the claim changed; NULL: none */
	const char *value;	/* its JSON value; NULL: removed */
	enum ptoken_code want;
};

static const struct row rows[] = {
	{ "a good token", NULL, NULL, PTOKEN_OK },
	{ "expired", "exp", "1699999999", PTOKEN_EXPIRED },
	{ "expiring now", "exp", "1700000000", PTOKEN_EXPIRED },
	{ "no exp", "exp", NULL, PTOKEN_INVALID },
	{ "exp a string", "exp", "\"1800000000\"", PTOKEN_INVALID },
	{ "iat a string", "iat", "\"x\"", PTOKEN_INVALID },
	{ "iat far ahead", "iat", "1700003600", PTOKEN_INVALID },
	{ "iat a little ahead", "iat", "1700000100", PTOKEN_OK },
	{ "no jti", "jti", NULL, PTOKEN_INVALID },
	{ "jti empty", "jti", "\"\"", PTOKEN_INVALID },
	{ "jti with a dot", "jti", "\"a.b\"", PTOKEN_INVALID },
	{ "jti of 65", "jti", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	  PTOKEN_INVALID },
	{ "jti of 64", "jti", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	  PTOKEN_OK },
	{ "jti a number", "jti", "5", PTOKEN_INVALID },
	{ "no resource", "resource", NULL, PTOKEN_INVALID },
	{ "resource of another type", "resource",
	  "\"arn:aws:ivs:us-east-1:123456789012:storage-configuration/AbCdEf123456\"",
	  PTOKEN_INVALID },
	{ "resource of another stage", "resource",
	  "\"arn:aws:ivs:us-east-1:123456789012:stage/Zzzzzz123456\"", PTOKEN_INVALID },
	{ "no topic", "topic", NULL, PTOKEN_INVALID },
	{ "topic of another stage", "topic", "\"Zzzzzz123456\"", PTOKEN_INVALID },
	{ "capabilities null", "capabilities", "null", PTOKEN_INVALID },
	{ "capabilities a list", "capabilities", "[\"PUBLISH\"]", PTOKEN_INVALID },
	{ "capabilities empty", "capabilities", "{}", PTOKEN_OK },
	{ "allow_publish a string", "capabilities", "{\"allow_publish\":\"yes\"}",
	  PTOKEN_INVALID },
	{ "no capabilities", "capabilities", NULL, PTOKEN_INVALID },
	{ "version 2.0", "version", "\"2.0\"", PTOKEN_INVALID },
	{ "no version", "version", NULL, PTOKEN_INVALID },
	{ "user_id a number", "user_id", "3", PTOKEN_INVALID },
	{ "no user_id", "user_id", NULL, PTOKEN_OK },
	{ "attributes a list", "attributes", "[]", PTOKEN_INVALID },
	{ "attribute value a number", "attributes", "{\"k\":1}", PTOKEN_INVALID },
	{ "events_url a number", "events_url", "1", PTOKEN_INVALID },
};

static int
setup(void **state)
{
	struct err e = { ERR_OK, "" };

	(void)state;
	if (mkdtemp(dir) == NULL || key_files_open(&files, dir, 1, &ks, &e) != ERR_OK ||
	    (ring = keys_open(&ks, 1, &e)) == NULL) {
		fprintf(stderr, "keyring: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	keys_free(ring);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
sign(const json_t *claims)
{
	struct err e = { ERR_OK, "" };
	char *t = jwt_sign(ring, claims, &e);

	assert_non_null(t);
	return t;
}

static void
test_claims(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *c = good_claims();
		struct ptoken t;
		char *tok;
		enum ptoken_code got;

		if (rows[i].member != NULL && rows[i].value == NULL)
			json_object_del(c, rows[i].member);
		else if (rows[i].member != NULL)
			json_object_set_new(c, rows[i].member,
			    json_loads(rows[i].value, JSON_DECODE_ANY, NULL));
		tok = sign(c);
		got = ptoken_verify(ring, tok, NOW, &t);
		if (got != rows[i].want)
			fail_msg("%s: got %s (%s), want %s", rows[i].what, ptoken_code_name(got), t.why,
			    ptoken_code_name(rows[i].want));
		if (got != PTOKEN_OK)
			assert_true(t.why[0] != '\0');
		ptoken_free(&t);
		free(tok);
		json_decref(c);
	}
}

static void
test_good_token_read(void **state)
{
	json_t *c = good_claims();
	char *tok = sign(c);
	struct ptoken t;

	(void)state;
	assert_int_equal(ptoken_verify(ring, tok, NOW, &t), PTOKEN_OK);
	assert_string_equal(t.participant_id, "pArTiCiPaNt_1-x");
	assert_string_equal(t.stage_arn, ARN);
	assert_string_equal(t.topic, "AbCdEf123456");
	assert_string_equal(t.user_id, "alice");
	assert_string_equal(t.attributes, "{\"k\":\"v\"}");
	assert_int_equal(t.publish, 1);
	assert_int_equal(t.subscribe, 0);
	assert_int_equal(t.exp, NOW + 3600);
	assert_string_equal(t.whip_url, "http://127.0.0.1:1/whip");
	ptoken_free(&t);
	free(tok);
	json_decref(c);
}

/* Tokens broken outside the claims: each a text made from a good one. */
static void
test_shape_header_signature(void **state)
{
	json_t *c = good_claims();
	char *tok = sign(c), buf[4096], head[256];
	char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
	struct ptoken t;
	size_t n;

	(void)state;
	assert_int_equal(ptoken_verify(ring, NULL, NOW, &t), PTOKEN_MISSING);
	assert_int_equal(ptoken_verify(ring, "", NOW, &t), PTOKEN_MISSING);
	assert_int_equal(ptoken_verify(ring, "abc", NOW, &t), PTOKEN_INVALID);
	assert_int_equal(ptoken_verify(ring, "a.b.c.d", NOW, &t), PTOKEN_INVALID);
	/* a signature changed in one character */
	snprintf(buf, sizeof(buf), "%s", tok);
	buf[dot2 - tok + 5] = buf[dot2 - tok + 5] == 'A' ? 'B' : 'A';
	assert_int_equal(ptoken_verify(ring, buf, NOW, &t), PTOKEN_INVALID_SIGNATURE);
	/* claims changed after signing */
	snprintf(buf, sizeof(buf), "%.*sX%s", (int)(dot1 - tok + 1), tok, dot1 + 1);
	assert_true(ptoken_verify(ring, buf, NOW, &t) != PTOKEN_OK);
	/* a header of another algorithm, kid or typ */
	static const struct {
		const char *header;
		enum ptoken_code want;
	} heads[] = {
		{ "{\"alg\":\"none\",\"typ\":\"JWT\"}", PTOKEN_INVALID },
		{ "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}", PTOKEN_INVALID },
		{ "{\"alg\":\"ES384\",\"typ\":\"JWT\",\"kid\":\"unknownkid000000\"}",
		  PTOKEN_INVALID_SIGNATURE },
		{ "{\"alg\":\"ES384\",\"typ\":\"JWT\",\"kid\":"
		  "\"arn:aws:ivs:us-east-1:123456789012:public-key/abc\"}", PTOKEN_INVALID_SIGNATURE },
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		n = ids_b64url_encode((const unsigned char *)heads[i].header,
		    strlen(heads[i].header), head);
		head[n] = '\0';
		snprintf(buf, sizeof(buf), "%s%s", head, dot1);
		if (ptoken_verify(ring, buf, NOW, &t) != heads[i].want)
			fail_msg("header %s: %s", heads[i].header, t.why);
	}
	free(tok);
	json_decref(c);
}

static void
test_code_names(void **state)
{
	(void)state;
	assert_string_equal(ptoken_code_name(PTOKEN_MISSING), "TOKEN_MISSING");
	assert_string_equal(ptoken_code_name(PTOKEN_INVALID), "TOKEN_INVALID");
	assert_string_equal(ptoken_code_name(PTOKEN_INVALID_SIGNATURE), "TOKEN_INVALID_SIGNATURE");
	assert_string_equal(ptoken_code_name(PTOKEN_EXPIRED), "TOKEN_EXPIRED");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_good_token_read),
		cmocka_unit_test(test_shape_header_signature),
		cmocka_unit_test(test_code_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
