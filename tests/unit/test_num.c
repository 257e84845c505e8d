/* The range-checked number parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/num.h"

struct row {
	const char *text;
	long long min, max;
	enum err_code want;
	long long value;	/* when ERR_OK */
};

static const struct row rows[] = {
	{ "0", 0, 65535, ERR_OK, 0 },
	{ "65535", 0, 65535, ERR_OK, 65535 },
	{ "65536", 0, 65535, ERR_VALIDATION, 0 },
	{ "99999", 0, 65535, ERR_VALIDATION, 0 },
	{ "007", 0, 10, ERR_OK, 7 },
	{ "", 0, 10, ERR_VALIDATION, 0 },
	{ "-1", 0, 10, ERR_VALIDATION, 0 },	/* no sign unless min < 0 */
	{ "-0", 0, 10, ERR_VALIDATION, 0 },
	{ "+1", 0, 10, ERR_VALIDATION, 0 },
	{ " 1", 0, 10, ERR_VALIDATION, 0 },
	{ "1 ", 0, 10, ERR_VALIDATION, 0 },
	{ "0x10", 0, 100, ERR_VALIDATION, 0 },
	{ "1e3", 0, 10000, ERR_VALIDATION, 0 },
	{ "12abc", 0, 100, ERR_VALIDATION, 0 },
	{ "-5", -10, 10, ERR_OK, -5 },
	{ "-11", -10, 10, ERR_VALIDATION, 0 },
	{ "-", -10, 10, ERR_VALIDATION, 0 },
	{ "5", 6, 10, ERR_VALIDATION, 0 },
	{ "9223372036854775807", 0, INT64_MAX, ERR_OK, INT64_MAX },
	{ "9223372036854775808", 0, INT64_MAX, ERR_VALIDATION, 0 },
	{ "-9223372036854775808", INT64_MIN, 0, ERR_OK, INT64_MIN },
	{ "-9223372036854775809", INT64_MIN, 0, ERR_VALIDATION, 0 },
	{ "99999999999999999999999", 0, INT64_MAX, ERR_VALIDATION, 0 },
	{ "18446744073709551621", 0, 10, ERR_VALIDATION, 0 },	/* wraps to 5 in 64 bits */
};

static void
test_rows(void **state)
{
	struct err e;
	long long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		v = -42;
		e.code = ERR_OK;
		e.msg[0] = '\0';
		if (num_parse(rows[i].text, rows[i].min, rows[i].max, "--x", &v, &e) !=
		    rows[i].want)
			fail_msg("row %zu ('%s'): %s", i, rows[i].text, e.msg);
		if (rows[i].want == ERR_OK)
			assert_int_equal(v, rows[i].value);
		else
			assert_int_equal(v, -42);	/* untouched */
	}
}

static void
test_message_names_the_option(void **state)
{
	struct err e;
	long long v;

	(void)state;
	assert_int_equal(num_parse("99999", 0, 65535, "the port of --listen (RTSTAGE_LISTEN)", &v,
	    &e), ERR_VALIDATION);
	assert_string_equal(e.msg, "the port of --listen (RTSTAGE_LISTEN) must be a whole number "
	    "from 0 to 65535, not '99999'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_message_names_the_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
