/* The store of a unit test that needs one: SQLite in a fresh temporary
 * directory, or, for a test that may, the empty PostgreSQL database
 * RTSTAGE_UNIT_DB names (tests/run.sh runs the tests whose source
 * mentions it a second time that way). One store per process, as
 * store_init allows. */
#ifndef RTSTAGE_TESTS_UNIT_STORE_H
#define RTSTAGE_TESTS_UNIT_STORE_H

/* Opens the store (store_init). may_pg: honour RTSTAGE_UNIT_DB. Returns 0,
 * or -1 with the reason on stderr, as a cmocka group setup does. */
int unit_store_open(int may_pg);

/* store_fini, then the SQLite files and their directory removed. */
void unit_store_close(void);

#endif
