/* Participant token verification: every claim rule, the header, the
 * signature, and the customer-key hook, over tokens signed by a keyring
 * made for the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
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
	{ "no events_url", "events_url", NULL, PTOKEN_INVALID },
	{ "whip_url empty", "whip_url", "\"\"", PTOKEN_INVALID },
	{ "no whip_url", "whip_url", NULL, PTOKEN_INVALID },
	{ "no iat", "iat", NULL, PTOKEN_INVALID },
	{ "iat negative", "iat", "-1", PTOKEN_INVALID },
	{ "exp a real", "exp", "1700003600.5", PTOKEN_OK },
	{ "exp past 9999", "exp", "253402300800", PTOKEN_INVALID },
	{ "exp a huge real", "exp", "1e300", PTOKEN_INVALID },
	{ "exp 14 days after iat", "exp", "1701209600", PTOKEN_OK },
	{ "exp 14 days and 1 s after iat", "exp", "1701209601", PTOKEN_INVALID },
	{ "exp a year after iat", "exp", "1731536000", PTOKEN_INVALID },
	{ "resource not an ARN", "resource", "\"AbCdEf123456\"", PTOKEN_INVALID },
	{ "resource of an 11-digit account", "resource",
	  "\"arn:aws:ivs:us-east-1:12345678901:stage/AbCdEf123456\"", PTOKEN_INVALID },
	{ "user_id empty", "user_id", "\"\"", PTOKEN_OK },
	{ "attributes empty", "attributes", "{}", PTOKEN_OK },
};

/* Claims of a given size: member is {"k": unit x count} for attributes,
 * else unit x count. */
static const struct sized {
	const char *what;
	const char *member;
	const char *unit;
	int count;
	enum ptoken_code want;
} sized[] = {
	{ "user_id of 128", "user_id", "u", 128, PTOKEN_OK },
	{ "user_id of 129", "user_id", "u", 129, PTOKEN_INVALID },
	{ "user_id of 128 three-byte characters", "user_id", "\xe2\x82\xac", 128, PTOKEN_OK },
	{ "user_id of 64 characters past U+FFFF", "user_id", "\xf0\x9f\x8e\xa5", 64, PTOKEN_OK },
	{ "user_id of 65 characters past U+FFFF", "user_id", "\xf0\x9f\x8e\xa5", 65,
	  PTOKEN_INVALID },
	{ "attributes of 1024 bytes", "attributes", "v", 1023, PTOKEN_OK },
	{ "attributes of 1025 bytes", "attributes", "v", 1024, PTOKEN_INVALID },
	{ "jti of 65", "jti", "a", 65, PTOKEN_INVALID },
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

static json_t *
sized_value(const struct sized *r)
{
	size_t n = strlen(r->unit);
	char *text = malloc(n * (size_t)r->count + 1);
	json_t *v;

	assert_non_null(text);
	for (int i = 0; i < r->count; i++)
		memcpy(text + n * (size_t)i, r->unit, n);
	text[n * (size_t)r->count] = '\0';
	v = json_string(text);
	free(text);
	assert_non_null(v);
	return strcmp(r->member, "attributes") == 0 ? json_pack("{s:o}", "k", v) : v;
}

static void
test_sized_claims(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]); i++) {
		json_t *c = good_claims();
		struct ptoken t;
		char *tok;
		enum ptoken_code got;

		json_object_set_new(c, sized[i].member, sized_value(&sized[i]));
		tok = sign(c);
		got = ptoken_verify(ring, tok, NOW, &t);
		if (got != sized[i].want)
			fail_msg("%s: got %s (%s), want %s", sized[i].what, ptoken_code_name(got),
			    t.why, ptoken_code_name(sized[i].want));
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

/* ---- customer-signed tokens: an imported key through the lookup hook ---- */

#define KEY_ARN "arn:aws:ivs:us-east-1:123456789012:public-key/k1"

static EVP_PKEY *customer;

/* The hook: the customer's key for any kid ending in "/k1" (so that only
 * the verifier's own rules can refuse another account's or region's); a
 * store failure for one ending in "/down"; none otherwise. */
static enum err_code
lookup(const char *kid, EVP_PKEY **key)
{
	size_t n = strlen(kid);

	*key = NULL;
	if (n >= 5 && strcmp(kid + n - 5, "/down") == 0)
		return ERR_INTERNAL;
	if (n < 3 || strcmp(kid + n - 3, "/k1") != 0)
		return ERR_NOT_FOUND;
	EVP_PKEY_up_ref(customer);
	*key = customer;
	return ERR_OK;
}

/* Appends base64url of data to out at *at. */
static void
b64(char *out, size_t *at, const void *data, size_t n)
{
	*at += ids_b64url_encode(data, n, out + *at);
	out[*at] = '\0';
}

/* A compact JWS of claims under header {alg, typ, kid} signed by key, as a
 * customer's JWT library makes it: raw R||S. Caller frees. */
static char *
customer_sign(EVP_PKEY *key, const char *kid, const json_t *claims)
{
	json_t *h = json_pack("{s:s, s:s, s:s}", "alg", "ES384", "typ", "JWT", "kid", kid);
	char *ht = json_dumps(h, JSON_COMPACT), *ct = json_dumps(claims, JSON_COMPACT);
	char *out = malloc(8192);
	unsigned char der[128], raw[96];
	const unsigned char *p = der;
	size_t at = 0, dlen = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es;

	assert_true(ht && ct && out && md);
	b64(out, &at, ht, strlen(ht));
	out[at++] = '.';
	b64(out, &at, ct, strlen(ct));
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, der, &dlen, (unsigned char *)out, at), 1);
	assert_non_null(es = d2i_ECDSA_SIG(NULL, &p, (long)dlen));
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 48);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 48, 48);
	out[at++] = '.';
	b64(out, &at, raw, sizeof(raw));
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	free(ht);
	free(ct);
	json_decref(h);
	return out;
}

static void
test_customer_keys(void **state)
{
	static const struct {
		const char *what;
		const char *kid;
		int other_key;		/* signed by a key the kid does not name */
		enum ptoken_code want;
	} kids[] = {
		{ "the stage's account and region", KEY_ARN, 0, PTOKEN_OK },
		{ "another account", "arn:aws:ivs:us-east-1:210987654321:public-key/k1", 0,
		  PTOKEN_INVALID_SIGNATURE },
		{ "another region", "arn:aws:ivs:eu-west-1:123456789012:public-key/k1", 0,
		  PTOKEN_INVALID_SIGNATURE },
		{ "not a public key ARN", "arn:aws:ivs:us-east-1:123456789012:stage/k1", 0,
		  PTOKEN_INVALID_SIGNATURE },
		{ "not an ARN", "k1/k1", 0, PTOKEN_INVALID_SIGNATURE },
		{ "no such key", "arn:aws:ivs:us-east-1:123456789012:public-key/k2", 0,
		  PTOKEN_INVALID_SIGNATURE },
		{ "another key's signature", KEY_ARN, 1, PTOKEN_INVALID_SIGNATURE },
		{ "the key store fails", "arn:aws:ivs:us-east-1:123456789012:public-key/down", 0,
		  PTOKEN_UNREADABLE },
	};
	EVP_PKEY *other = EVP_EC_gen("P-384");
	json_t *c = good_claims();

	(void)state;
	assert_non_null(customer = EVP_EC_gen("P-384"));
	assert_non_null(other);
	ptoken_set_key_lookup(lookup);
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		char *tok = customer_sign(kids[i].other_key ? other : customer, kids[i].kid, c);
		struct ptoken t;
		enum ptoken_code got = ptoken_verify(ring, tok, NOW, &t);

		if (got != kids[i].want)
			fail_msg("%s: got %s (%s)", kids[i].what, ptoken_code_name(got), t.why);
		assert_string_equal(t.key_arn, got == PTOKEN_OK ? kids[i].kid : "");
		ptoken_free(&t);
		free(tok);
	}
	/* the claim rules hold for customer-signed tokens too */
	json_object_set_new(c, "exp", json_integer(NOW + 15 * 86400));
	{
		char *tok = customer_sign(customer, KEY_ARN, c);
		struct ptoken t;

		assert_int_equal(ptoken_verify(ring, tok, NOW, &t), PTOKEN_INVALID);
		ptoken_free(&t);
		free(tok);
	}
	/* no hook: no customer key verifies */
	ptoken_set_key_lookup(NULL);
	json_object_set_new(c, "exp", json_integer(NOW + 60));
	{
		char *tok = customer_sign(customer, KEY_ARN, c);
		struct ptoken t;

		assert_int_equal(ptoken_verify(ring, tok, NOW, &t), PTOKEN_INVALID_SIGNATURE);
		ptoken_free(&t);
		free(tok);
	}
	json_decref(c);
	EVP_PKEY_free(other);
	EVP_PKEY_free(customer);
	customer = NULL;
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
		cmocka_unit_test(test_sized_claims),
		cmocka_unit_test(test_good_token_read),
		cmocka_unit_test(test_shape_header_signature),
		cmocka_unit_test(test_customer_keys),
		cmocka_unit_test(test_code_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
