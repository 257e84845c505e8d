/* Routing and percent-decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "aws/route.h"
#include "util/pct.h"

struct row {
	const char *method, *path;
	enum err_code want;
	int op;			/* expected op id when ERR_OK */
	const char *label;	/* expected decoded label, or NULL */
};

static const struct row rows[] = {
	{ "POST", "/CreateStage", ERR_OK, OP_CreateStage, NULL },
	{ "POST", "/ListStages", ERR_OK, OP_ListStages, NULL },
	{ "GET", "/CreateStage", ERR_UNKNOWN_OPERATION, 0, NULL },
	{ "POST", "/CreateStage/", ERR_UNKNOWN_OPERATION, 0, NULL },
	{ "POST", "/Nope", ERR_UNKNOWN_OPERATION, 0, NULL },
	{ "POST", "/", ERR_UNKNOWN_OPERATION, 0, NULL },
	{ "GET", "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2FabcDEF123456",
	  ERR_OK, OP_ListTagsForResource, "arn:aws:ivs:us-east-1:123456789012:stage/abcDEF123456" },
	{ "POST", "/tags/x", ERR_OK, OP_TagResource, "x" },
	{ "DELETE", "/tags/x", ERR_OK, OP_UntagResource, "x" },
	{ "GET", "/tags/", ERR_UNKNOWN_OPERATION, 0, NULL },
	{ "GET", "/tags/a%zz", ERR_VALIDATION, 0, NULL },
	{ "GET", "/tags/a%00b", ERR_VALIDATION, 0, NULL },
	{ "GET", "/tags/a%4", ERR_VALIDATION, 0, NULL },
};

static void
test_rows(void **state)
{
	struct route rt;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum err_code rc = route_match(rows[i].method, rows[i].path, &rt, &e);
		if (rc != rows[i].want)
			fail_msg("row %zu %s %s: got %d", i, rows[i].method, rows[i].path, rc);
		if (rc != ERR_OK)
			continue;
		assert_int_equal(rt.op, rows[i].op);
		if (rows[i].label) {
			assert_int_equal(rt.n_labels, 1);
			assert_string_equal(rt.labels[0].name, "resourceArn");
			assert_string_equal(rt.labels[0].value, rows[i].label);
		}
	}
}

static void
test_pct(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(pct_decode("a%2Fb", 5, out, sizeof(out)), 3);
	assert_string_equal(out, "a/b");
	assert_int_equal(pct_decode("a+b", 3, out, sizeof(out)), 3);
	assert_string_equal(out, "a+b");
	assert_int_equal(pct_decode("12345678", 8, out, sizeof(out)), -1);	/* no room */
	assert_int_equal(pct_decode("%", 1, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_pct),
	};

	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
