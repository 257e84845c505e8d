/* The store's prepared-statement cache, on a real SQLite store in a
 * temporary directory: many more distinct statements than its first
 * size, each prepared once and handed back (the same statement) on every
 * later use, a held statement surviving the cache's growth, and the
 * bound refusing loudly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "store/store.h"
#include "unit_store.h"

/* Distinct statements with static storage, as the cache requires: one
 * more than the bound. */
static char sqls[LIMIT_STORE_STATEMENTS + 1][32];

static int
setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++)
		snprintf(sqls[i], sizeof(sqls[i]), "SELECT %zu", i);
	return unit_store_open(0);
}

static int
teardown(void **state)
{
	(void)state;
	unit_store_close();
	return 0;
}

/* Runs statement i and checks that it answers i. */
static struct store_stmt *
run(struct store *s, size_t i)
{
	struct err e;
	struct store_stmt *st = store_sql(s, sqls[i], &e);

	assert_non_null(st);
	assert_int_equal(store_step(st, &e), STORE_ROW);
	assert_int_equal(store_col_int(st, 0), (long long)i);
	store_reset(st);
	return st;
}

/* Past the old fixed size of 64, and again: every statement works and
 * the second use returns the statement prepared by the first. */
static void
test_grows_and_reuses(void **state)
{
	static const size_t counts[] = { 1, 63, 64, 65, 200, LIMIT_STORE_STATEMENTS - 8 };
	static struct store_stmt *first[LIMIT_STORE_STATEMENTS];
	struct err e;
	struct store *s = store_thread(&e);
	struct store_stmt *held;
	size_t c, i;

	(void)state;
	assert_non_null(s);
	held = store_sql(s, sqls[0], &e);	/* held across growth */
	assert_non_null(held);
	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		for (i = 0; i < counts[c]; i++) {
			struct store_stmt *st = run(s, i);
			if (first[i] == NULL)
				first[i] = st;
			assert_ptr_equal(st, first[i]);
		}
	}
	assert_ptr_equal(held, first[0]);
	assert_int_equal(store_step(held, &e), STORE_ROW);
	assert_int_equal(store_col_int(held, 0), 0);
	store_reset(held);
}

/* The bound: once the connection holds LIMIT_STORE_STATEMENTS statements
 * (a few of them the migrations'), a new one fails with the reason, and
 * those already cached keep working. */
static void
test_bound_fails_loudly(void **state)
{
	struct err e = { ERR_OK, "" };
	struct store *s = store_thread(&e);
	struct store_stmt *st = NULL;
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i <= LIMIT_STORE_STATEMENTS; i++)
		if ((st = store_sql(s, sqls[i], &e)) == NULL)
			break;
	assert_null(st);
	assert_true(i > LIMIT_STORE_STATEMENTS - 16 && i < LIMIT_STORE_STATEMENTS);
	assert_int_equal(e.code, ERR_INTERNAL);
	assert_non_null(strstr(e.msg, "statement cache full"));
	assert_null(store_sql(s, sqls[i], &e));	/* still full, still refused */
	run(s, 0);
	run(s, i - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_and_reuses),
		cmocka_unit_test(test_bound_fails_loudly),
	};

	return cmocka_run_group_tests_name("stmt_cache", tests, setup, teardown);
}
