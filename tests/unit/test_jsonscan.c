/* JSON pre-scan: the count of values, one row per shape of text, and the
 * stop that bounds its work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonscan.h"

static const struct {
	const char *text;
	size_t want;
} rows[] = {
	{ "{}", 2 },				/* an empty container counts one extra */
	{ "{\"a\":1}", 2 },
	{ "{\"a\":1,\"b\":[1,2,3]}", 6 },
	{ "[{},{},{}]", 7 },
	{ "\"[{,,,}]\"", 1 },			/* inside a string: nothing */
	{ "{\"a\\\"[,\":\"{,\\\\\",\"b\":[]}", 4 },	/* escaped quotes and backslashes */
	{ "  7 ", 1 },
	{ "", 1 },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (jsonscan_values(rows[i].text, strlen(rows[i].text), 1000) != rows[i].want)
			fail_msg("row %zu (%s): %zu, want %zu", i, rows[i].text,
			    jsonscan_values(rows[i].text, strlen(rows[i].text), 1000), rows[i].want);
}

/* Never less than the parser builds: a count per value of the largest
 * shapes of text, and the stop. */
static void
test_bound_and_stop(void **state)
{
	size_t n = 1024 * 1024, i;
	char *s = malloc(n);

	(void)state;
	assert_non_null(s);
	s[0] = '[';
	for (i = 1; i + 3 < n; i += 3)
		memcpy(s + i, "{},", 3);
	s[i - 1] = ']';
	assert_true(jsonscan_values(s, i, (size_t)-2) >= i / 3);
	assert_int_equal(jsonscan_values(s, i, 10000), 10001);
	assert_int_equal(jsonscan_values("[1,2,3]", 7, 3), 4);
	assert_int_equal(jsonscan_values("[1,2,3]", 7, 4), 4);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bound_and_stop),
	};

	return cmocka_run_group_tests_name("jsonscan", tests, NULL, NULL);
}
