/* Page tokens: round trip, scope binding, tamper and forgery refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ivs/page_token.h"

static const unsigned char key[PAGE_TOKEN_KEY_BYTES] = "0123456789abcdef0123456789abcde";
static const unsigned char other[PAGE_TOKEN_KEY_BYTES] = "fedcba9876543210fedcba987654321";

static void
test_round_trip(void **state)
{
	static const long long seqs[] = { 0, 1, 50, 123456789, 9007199254740993LL };
	char tok[PAGE_TOKEN_MAX];
	long long after;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		assert_int_equal(page_token_encode(key, "ListStages|1|r", seqs[i], tok), 0);
		assert_true(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
		    == strlen(tok));
		assert_int_equal(page_token_decode(key, "ListStages|1|r", tok, &after, &e), ERR_OK);
		assert_int_equal(after, seqs[i]);
	}
}

static void
test_refused(void **state)
{
	char tok[PAGE_TOKEN_MAX];
	long long after;
	struct err e;

	(void)state;
	assert_int_equal(page_token_encode(key, "ListStages|1|r", 42, tok), 0);
	assert_int_equal(page_token_decode(key, "ListStages|2|r", tok, &after, &e), ERR_VALIDATION);
	assert_int_equal(page_token_decode(other, "ListStages|1|r", tok, &after, &e), ERR_VALIDATION);
	tok[3] = tok[3] == 'A' ? 'B' : 'A';
	assert_int_equal(page_token_decode(key, "ListStages|1|r", tok, &after, &e), ERR_VALIDATION);
	assert_int_equal(page_token_decode(key, "ListStages|1|r", "garbage", &after, &e), ERR_VALIDATION);
	assert_int_equal(page_token_decode(key, "ListStages|1|r", "", &after, &e), ERR_VALIDATION);
	assert_non_null(strstr(e.msg, "nextToken"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests_name("page_token", tests, NULL, NULL);
}
