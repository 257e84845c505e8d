/* Imported public keys (src/ivs/public_key.c): the PEM check, table-driven
 * over keys made here with OpenSSL (P-384, P-256, RSA) and texts built
 * from them; the fingerprint against SHA-256's published "abc" vector and
 * an independent digest of the DER; and the typed calls with the token
 * lookup (public_key_find) on a real SQLite store in a temporary
 * directory (RTSTAGE_UNIT_DB names an empty PostgreSQL database to run
 * them there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "ivs/public_key.h"
#include "store/store.h"
#include "unit_store.h"

/* ---- keys and texts ------------------------------------------------------------ */

static EVP_PKEY *p384, *p256, *rsa;
static char good[1024], good_crlf[1024], priv_pkcs8[4096], priv_ec[4096], spki_p256[1024],
    spki_rsa[2048];

/* PEM text of key, public (SubjectPublicKeyInfo) or private, into out. */
static void
pem_of(EVP_PKEY *key, int private, int traditional, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(b);
	if (!private)
		assert_int_equal(PEM_write_bio_PUBKEY(b, key), 1);
	else if (traditional)
		assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL,
		    NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &p);
	assert_true(n > 0 && (size_t)n < cap);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
}

/* The same text with CRLF line ends. */
static void
crlf(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in && n + 2 < cap; in++) {
		if (*in == '\n')
			out[n++] = '\r';
		out[n++] = *in;
	}
	out[n] = '\0';
}

static int
setup_keys(void)
{
	p384 = EVP_EC_gen("P-384");
	p256 = EVP_EC_gen("P-256");
	rsa = EVP_RSA_gen(2048);
	if (p384 == NULL || p256 == NULL || rsa == NULL)
		return -1;
	pem_of(p384, 0, 0, good, sizeof(good));
	crlf(good, good_crlf, sizeof(good_crlf));
	pem_of(p384, 1, 0, priv_pkcs8, sizeof(priv_pkcs8));
	pem_of(p384, 1, 1, priv_ec, sizeof(priv_ec));
	pem_of(p256, 0, 0, spki_p256, sizeof(spki_p256));
	pem_of(rsa, 0, 0, spki_rsa, sizeof(spki_rsa));
	return 0;
}

/* ---- the PEM check ------------------------------------------------------------- */

/* text: how the case builds its input from the good key's PEM. */
enum build { AS_IS, TWICE, JUNK_AFTER, JUNK_BEFORE, SPACE_AROUND, TOO_LONG };

static const struct {
	const char *name;
	const char *const *text;	/* a text made by setup_keys, or NULL: fixed */
	const char *fixed;
	enum build build;
	enum err_code want;
	const char *words;		/* in the message when refused */
} pem_cases[] = {
	{ "P-384 SPKI", (const char *const[]){ good }, NULL, AS_IS, ERR_OK, NULL },
	{ "P-384 SPKI, CRLF", (const char *const[]){ good_crlf }, NULL, AS_IS, ERR_OK, NULL },
	{ "whitespace around", (const char *const[]){ good }, NULL, SPACE_AROUND, ERR_OK, NULL },
	{ "RSA", (const char *const[]){ spki_rsa }, NULL, AS_IS, ERR_VALIDATION, "RSA key" },
	{ "P-256", (const char *const[]){ spki_p256 }, NULL, AS_IS, ERR_VALIDATION, "prime256v1" },
	{ "PKCS#8 private key", (const char *const[]){ priv_pkcs8 }, NULL, AS_IS, ERR_VALIDATION,
	  "is a private key" },
	{ "EC private key", (const char *const[]){ priv_ec }, NULL, AS_IS, ERR_VALIDATION,
	  "is a private key" },
	{ "certificate", NULL, "-----BEGIN CERTIFICATE-----\nMIIBszCCATqgAwIBAgIU\n"
	  "-----END CERTIFICATE-----\n", AS_IS, ERR_VALIDATION, "is a certificate" },
	{ "unknown label", NULL, "-----BEGIN SOMETHING-----\nAAAA\n-----END SOMETHING-----\n",
	  AS_IS, ERR_VALIDATION, "type 'SOMETHING'" },
	{ "garbage", NULL, "hello, world", AS_IS, ERR_VALIDATION, "must be a PEM text" },
	{ "empty", NULL, "", AS_IS, ERR_VALIDATION, "must be a PEM text" },
	{ "bad base64", NULL, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	  AS_IS, ERR_VALIDATION, "does not decode" },
	{ "no end line", NULL, "-----BEGIN PUBLIC KEY-----\nAAAA\n", AS_IS, ERR_VALIDATION,
	  "no '-----END PUBLIC KEY-----' line" },
	{ "two blocks", (const char *const[]){ good }, NULL, TWICE, ERR_VALIDATION,
	  "more than one PEM block" },
	{ "trailing junk", (const char *const[]){ good }, NULL, JUNK_AFTER, ERR_VALIDATION,
	  "text after" },
	{ "leading junk", (const char *const[]){ good }, NULL, JUNK_BEFORE, ERR_VALIDATION,
	  "nothing before it" },
	{ "too long", (const char *const[]){ good }, NULL, TOO_LONG, ERR_VALIDATION,
	  "longer than" },
};

static void
build(const char *base, enum build how, char *out, size_t cap)
{
	size_t n;

	switch (how) {
	case AS_IS:
		snprintf(out, cap, "%s", base);
		break;
	case TWICE:
		snprintf(out, cap, "%s%s", base, base);
		break;
	case JUNK_AFTER:
		snprintf(out, cap, "%sjunk\n", base);
		break;
	case JUNK_BEFORE:
		snprintf(out, cap, "junk %s", base);
		break;
	case SPACE_AROUND:
		snprintf(out, cap, "\n  %s\n\n", base);
		break;
	case TOO_LONG:
		n = (size_t)snprintf(out, cap, "%s", base);
		while (n + 1 < cap && n <= LIMIT_PUBLIC_KEY_PEM_BYTES)
			out[n++] = '\n';
		out[n] = '\0';
		break;
	}
}

/* The fingerprint computed apart from the code under test. */
static void
expected_fingerprint(EVP_PKEY *key, char *fp)
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int n = i2d_PUBKEY(key, &der), i;

	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	for (i = 0; i < 32; i++)
		snprintf(fp + 3 * i, 4, i < 31 ? "%02x:" : "%02x", md[i]);
}

static void
test_pem_checks(void **state)
{
	static char text[LIMIT_PUBLIC_KEY_PEM_BYTES * 3];
	char fp[PUBLIC_KEY_FINGERPRINT_LEN + 1], want_fp[PUBLIC_KEY_FINGERPRINT_LEN + 1];
	EVP_PKEY *key;
	struct err e;
	size_t i;

	(void)state;
	expected_fingerprint(p384, want_fp);
	for (i = 0; i < sizeof(pem_cases) / sizeof(pem_cases[0]); i++) {
		build(pem_cases[i].text ? pem_cases[i].text[0] : pem_cases[i].fixed,
		    pem_cases[i].build, text, sizeof(text));
		memset(&e, 0, sizeof(e));
		key = (EVP_PKEY *)1;
		if (public_key_parse(text, fp, &key, &e) != pem_cases[i].want)
			fail_msg("%s: got %d (%s)", pem_cases[i].name, e.code, e.msg);
		if (pem_cases[i].want == ERR_OK) {
			assert_string_equal(fp, want_fp);
			assert_non_null(key);
			assert_int_equal(EVP_PKEY_eq(key, p384), 1);
			EVP_PKEY_free(key);
		} else {
			assert_null(key);
			if (strstr(e.msg, pem_cases[i].words) == NULL)
				fail_msg("%s: '%s' lacks '%s'", pem_cases[i].name, e.msg,
				    pem_cases[i].words);
		}
	}
}

/* SHA-256("abc") from FIPS 180-2, in the fingerprint's form. */
static void
test_fingerprint_vector(void **state)
{
	char fp[PUBLIC_KEY_FINGERPRINT_LEN + 1];

	(void)state;
	assert_int_equal(public_key_fingerprint((const unsigned char *)"abc", 3, fp), 0);
	assert_string_equal(fp, "ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:"
	    "96:17:7a:9c:b4:10:ff:61:f2:00:15:ad");
	assert_int_equal(strlen(fp), PUBLIC_KEY_FINGERPRINT_LEN);
}

/* ---- the typed calls and the lookup, on a store --------------------------------- */

static struct config cfg;

struct job {
	struct call c;
	struct public_key_rec r;
	const char *arn;
	int del;
};

static enum err_code
job_tx(struct store *s, void *arg, struct err *e)
{
	struct job *j = arg;

	(void)e;
	return j->del ? public_key_delete_in(&j->c, s, j->arn) :
	    public_key_create_in(&j->c, s, &j->r, NULL);
}

static void
call_init(struct call *c, const char *account)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->who.account, sizeof(c->who.account), "%s", account);
	snprintf(c->who.region, sizeof(c->who.region), "us-east-1");
	c->cfg = &cfg;
}

/* Imports pem for account; returns the code, the ARN into arn. */
static enum err_code
import(const char *account, const char *pem, char *arn)
{
	static struct job j;

	call_init(&j.c, account);
	j.del = 0;
	if (public_key_prepare(&j.c, "k", pem, &j.r) != ERR_OK)
		return j.c.err.code;
	snprintf(arn, 192, "%s", j.r.arn);
	return store_write(job_tx, &j, &j.c.err);
}

static enum err_code
delete(const char *account, const char *arn)
{
	static struct job j;

	call_init(&j.c, account);
	j.del = 1;
	j.arn = arn;
	return store_write(job_tx, &j, &j.c.err);
}

static enum err_code
find(const char *arn, EVP_PKEY **key)
{
	struct err e = { .code = ERR_OK };
	struct store *s = store_thread(&e);

	assert_non_null(s);
	return public_key_find(s, arn, key, &e);
}

static void
test_store_rules_and_lookup(void **state)
{
	char arn[192], other[192], pem[1024];
	EVP_PKEY *key = NULL, *k[3];
	int i;

	(void)state;
	cfg.quota_public_keys = 3;
	assert_int_equal(import("111111111111", good, arn), ERR_OK);
	assert_int_equal(find(arn, &key), ERR_OK);
	assert_int_equal(EVP_PKEY_eq(key, p384), 1);
	EVP_PKEY_free(key);
	/* the same material, however written, is a conflict in its account... */
	assert_int_equal(import("111111111111", good_crlf, other), ERR_CONFLICT);
	/* ...but not in another */
	assert_int_equal(import("222222222222", good, other), ERR_OK);
	/* the quota: 3 per account and region */
	for (i = 0; i < 3; i++) {
		assert_non_null(k[i] = EVP_EC_gen("P-384"));
		pem_of(k[i], 0, 0, pem, sizeof(pem));
		assert_int_equal(import("111111111111", pem, other), i < 2 ? ERR_OK : ERR_QUOTA);
	}
	/* not found: garbage, another type, another account's id */
	assert_int_equal(find("nonsense", &key), ERR_NOT_FOUND);
	assert_null(key);
	assert_int_equal(find(NULL, &key), ERR_NOT_FOUND);
	assert_int_equal(find("arn:aws:ivs:us-east-1:111111111111:stage/abcdABCD1234", &key),
	    ERR_NOT_FOUND);
	memcpy(other, arn, sizeof(other));
	memcpy(strstr(other, "111111111111"), "333333333333", 12);
	assert_int_equal(find(other, &key), ERR_NOT_FOUND);
	/* another account cannot delete it */
	assert_int_equal(delete("222222222222", arn), ERR_NOT_FOUND);
	assert_int_equal(find(arn, &key), ERR_OK);
	EVP_PKEY_free(key);
	/* deleted: tokens it signed no longer verify, and the quota is free again */
	assert_int_equal(delete("111111111111", arn), ERR_OK);
	assert_int_equal(find(arn, &key), ERR_NOT_FOUND);
	assert_null(key);
	assert_int_equal(import("111111111111", pem, other), ERR_OK);
	for (i = 0; i < 3; i++)
		EVP_PKEY_free(k[i]);
}

static int
setup(void **state)
{
	(void)state;
	return setup_keys() != 0 ? -1 : unit_store_open(1);
}

static int
teardown(void **state)
{
	(void)state;
	unit_store_close();
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(rsa);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_checks),
		cmocka_unit_test(test_fingerprint_vector),
		cmocka_unit_test(test_store_rules_and_lookup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
