/* SQLite driver: WAL, synchronous=FULL, one connection per thread.
 *
 * Implements struct store_driver only; knows no table.
 */
#include <sqlite3.h>
#include <string.h>

#include "limits.h"
#include "store/store.h"

static enum err_code
fail(sqlite3 *db, const char *what, struct err *e)
{
	return err_set(e, ERR_INTERNAL, "sqlite: %s: %s", what,
	    db ? sqlite3_errmsg(db) : "cannot allocate");
}

static enum err_code
lite_exec(void *db, const char *sql, struct err *e)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, sql, e);
	return ERR_OK;
}

void
store_sqlite_configure(void)
{
	/* Memory statistics take a process-wide mutex on every allocation;
	 * rtstage never reads them. Fails harmlessly if SQLite is already up. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void *
lite_open(const char *path, struct err *e)
{
	static const char *const pragmas[] = {
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = FULL",	/* an acknowledged write survives power loss */
		"PRAGMA foreign_keys = ON",
	};
	sqlite3 *db = NULL;
	size_t i;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fail(db, path, e);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, LIMIT_STORE_BUSY_MS);
	for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		if (lite_exec(db, pragmas[i], e) != ERR_OK) {
			sqlite3_close(db);
			return NULL;
		}
	}
	return db;
}

static void
lite_close(void *db)
{
	sqlite3_close(db);
}

static void *
lite_prepare(void *db, const char *sql, struct err *e)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		fail(db, sql, e);
		return NULL;
	}
	return st;
}

static void
lite_finalize(void *st)
{
	sqlite3_finalize(st);
}

static void
lite_reset(void *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int
lite_bind_text(void *st, int i, const char *s, size_t n)
{
	return sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
}

static int
lite_bind_int(void *st, int i, long long v)
{
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -1;
}

static enum store_step
lite_step(void *st, struct err *e)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return STORE_ROW;
	if (rc == SQLITE_DONE)
		return STORE_DONE;
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		sqlite3_reset(st);
		return STORE_CONSTRAINT;
	}
	fail(sqlite3_db_handle(st), sqlite3_sql(st), e);
	sqlite3_reset(st);
	return STORE_FAILED;
}

static const char *
lite_col_text(void *st, int i, size_t *len)
{
	const char *p = (const char *)sqlite3_column_text(st, i);

	*len = (size_t)sqlite3_column_bytes(st, i);
	return p;
}

static long long
lite_col_int(void *st, int i)
{
	return sqlite3_column_int64(st, i);
}

const struct store_driver store_sqlite = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.bind_text = lite_bind_text,
	.bind_int = lite_bind_int,
	.step = lite_step,
	.col_text = lite_col_text,
	.col_int = lite_col_int,
	.exec = lite_exec,
	.begin_write = "BEGIN IMMEDIATE",	/* take the write lock up front: no upgrade deadlocks */
	/* the one writing connection inserts at random places of every index
	 * (ids are random): a larger cache keeps those pages in memory */
	.writer_setup = "PRAGMA cache_size = -16384",
	.begin_read = "BEGIN",
};
