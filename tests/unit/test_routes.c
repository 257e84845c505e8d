/* The route table: which row answers which request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <strings.h>

#include "routes.h"

static int
target_present(const void *arg, const char *name)
{
	return *(const int *)arg && strcasecmp(name, "X-Amz-Target") == 0;
}

struct row {
	const char *method, *path;
	int target;		/* X-Amz-Target present */
	const char *want;	/* route name */
	int aws;
};

static const struct row rows[] = {
	{ "GET", "/healthz", 0, "healthz", 0 },
	{ "GET", "/.well-known/jwks.json", 0, "jwks", 0 },
	{ "GET", "/metrics", 0, "metrics", 0 },
	{ "POST", "/_rtstage/reset", 0, "reset", 0 },
	{ "GET", "/_rtstage/reset", 0, "ivs-realtime", 1 },	/* reset is POST only */
	{ "POST", "/healthz", 0, "ivs-realtime", 1 },
	{ "GET", "/healthz/", 0, "ivs-realtime", 1 },
	{ "GET", "/healthz", 1, "healthz", 0 },		/* exact paths come first */
	{ "POST", "/", 1, "cloudcontrol", 1 },
	{ "GET", "/anything", 1, "cloudcontrol", 1 },	/* the pipeline refuses it */
	{ "POST", "/CreateStage", 0, "ivs-realtime", 1 },
	{ "DELETE", "/tags/x", 0, "ivs-realtime", 1 },
	{ "POST", "/", 0, "ivs-realtime", 1 },
};

static void
test_rows(void **state)
{
	const struct route_row *r;
	struct route_key k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		k.method = rows[i].method;
		k.path = rows[i].path;
		k.has_header = target_present;
		k.arg = &rows[i].target;
		r = routes_find(&k);
		assert_non_null(r);
		if (strcmp(r->name, rows[i].want) != 0 || r->aws != rows[i].aws)
			fail_msg("row %zu (%s %s): got %s", i, rows[i].method, rows[i].path, r->name);
		assert_non_null(r->fn);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
