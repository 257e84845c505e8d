/* Identifiers, encodings and ARNs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "crypto/ids.h"
#include "ivs/arn.h"

static void
test_alnum(void **state)
{
	char a[13], b[13];
	int i;

	(void)state;
	assert_int_equal(ids_alnum(a, 12), 0);
	assert_int_equal(ids_alnum(b, 12), 0);
	assert_int_equal(strlen(a), 12);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 12);
	assert_string_not_equal(a, b);
	for (i = 0; i < 1000; i++)	/* never a short or odd character */
		assert_int_equal(ids_alnum(a, 12), 0), assert_int_equal(strlen(a), 12);
}

static void
test_request_id(void **state)
{
	char id[37];

	(void)state;
	assert_int_equal(ids_request_id(id), 0);
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[8], '-');
	assert_int_equal(id[14], '4');
}

/* Ids drawn across several refills of the thread's random bytes are
 * well-formed and all differ. */
static void
test_request_ids_differ(void **state)
{
	static char ids[100][37];
	int i, j;

	(void)state;
	for (i = 0; i < 100; i++) {
		assert_int_equal(ids_request_id(ids[i]), 0);
		assert_int_equal(ids[i][14], '4');
		assert_true(strchr("89ab", ids[i][19]) != NULL);
		for (j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
}

static void
test_b64url(void **state)
{
	/* RFC 4648 test vectors, in the url alphabet without padding */
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "-_8" },
	};
	char out[32];
	unsigned char back[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ids_b64url_encode((const unsigned char *)v[i].in, strlen(v[i].in), out);
		assert_string_equal(out, v[i].out);
		assert_int_equal(ids_b64url_decode(out, strlen(out), back, sizeof(back)),
		    (long)strlen(v[i].in));
		assert_memory_equal(back, v[i].in, strlen(v[i].in));
	}
	assert_int_equal(ids_b64url_decode("Zh", 2, back, sizeof(back)), -1);	/* non-zero tail bits */
	assert_int_equal(ids_b64url_decode("Z", 1, back, sizeof(back)), -1);
	assert_int_equal(ids_b64url_decode("Zm9+", 4, back, sizeof(back)), -1);
}

static void
test_arn(void **state)
{
	struct arn a;
	char out[200];

	(void)state;
	assert_int_equal(arn_parse("arn:aws:ivs:us-west-2:123456789012:stage/abcdABCDefgh", &a), 0);
	assert_string_equal(a.region, "us-west-2");
	assert_string_equal(a.account, "123456789012");
	assert_string_equal(a.type, "stage");
	assert_string_equal(a.id, "abcdABCDefgh");
	assert_int_equal(arn_parse("arn:aws:ivs:us-west-2:12345:stage/a", &a), -1);
	assert_int_equal(arn_parse("arn:aws:ivs::123456789012:stage/a", &a), -1);
	assert_int_equal(arn_parse("arn:aws:ivs:r:123456789012:stage/", &a), -1);
	assert_int_equal(arn_parse("arn:aws:s3:r:123456789012:stage/a", &a), -1);
	assert_int_equal(arn_format(out, sizeof(out), "eu-west-1", "111122223333", "stage", "x"), 0);
	assert_string_equal(out, "arn:aws:ivs:eu-west-1:111122223333:stage/x");
	assert_int_equal(arn_format(out, 10, "eu-west-1", "111122223333", "stage", "x"), -1);
}

/* A keyed HMAC gives, message after message, what the one-shot HMAC gives
 * (RFC 4231 test case 2 first: key "Jefe"). */
static void
test_keyed_hmac(void **state)
{
	static const char *const messages[] = {
		"what do ya want for nothing?", "", "AWS4-HMAC-SHA256\n20260101T000000Z",
		"what do ya want for nothing?",
	};
	const unsigned char key[] = "Jefe";
	unsigned char want[32], got[32];
	char hex[65];
	struct ids_hmac *h = ids_hmac_new(key, 4);
	size_t i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		assert_int_equal(ids_hmac_sha256(key, 4, messages[i], strlen(messages[i]), want), 0);
		assert_int_equal(ids_hmac_run(h, messages[i], strlen(messages[i]), got), 0);
		assert_memory_equal(got, want, 32);
	}
	ids_hex(got, 32, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	ids_hmac_free(h);
	ids_hmac_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alnum),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_request_ids_differ),
		cmocka_unit_test(test_keyed_hmac),
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_arn),
	};

	return cmocka_run_group_tests_name("ids", tests, NULL, NULL);
}
