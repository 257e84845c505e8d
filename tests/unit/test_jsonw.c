/* The JSON string writer, checked against jansson reading its output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "util/jsonw.h"

static void
test_escapes(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "", "\"\"" }, { "plain", "\"plain\"" }, { "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" }, { "\n\t\x01", "\"\\u000a\\u0009\\u0001\"" },
		{ "é/ü 😀", "\"é/ü 😀\"" },
	};
	struct buf b;
	json_t *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_init(&b, 0);
		jsonw_string(&b, rows[i].in, strlen(rows[i].in));
		assert_string_equal(buf_cstr(&b), rows[i].out);
		v = json_loads(buf_cstr(&b), JSON_DECODE_ANY, NULL);	/* round trip */
		assert_non_null(v);
		assert_string_equal(json_string_value(v), rows[i].in);
		json_decref(v);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
	};

	return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
