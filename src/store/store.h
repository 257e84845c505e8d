/* The store: a small driver interface and the connection each thread uses.
 *
 * Queries are written once, in portable SQL with '?' parameters, in the
 * per-resource files (stage_store.c, ...). A driver (sqlite.c; postgres
 * later) executes them. Statements are prepared once per connection and
 * cached by the address of their SQL text, so pass string literals.
 */
#ifndef RTSTAGE_STORE_STORE_H
#define RTSTAGE_STORE_STORE_H

#include <stddef.h>

#include "util/err.h"

struct store;		/* one database connection; one thread at a time */
struct store_stmt;	/* a prepared statement of a connection */

enum store_step { STORE_ROW = 1, STORE_DONE, STORE_CONSTRAINT, STORE_FAILED };

/* A textual substitution: how a dialect reads the migration scripts. */
struct store_rewrite {
	const char *from, *to;
};

/* A back-end. Every function reports failures through e as ERR_INTERNAL. */
struct store_driver {
	const char *name;
	int shared;		/* several nodes may use the database: server-wide
				 * state (signing keys) lives in it */
	void *(*open)(const char *target, struct err *e);
	void (*close)(void *db);
	void *(*prepare)(void *db, const char *sql, struct err *e);
	void (*finalize)(void *stmt);
	void (*reset)(void *stmt);
	int (*bind_text)(void *stmt, int i, const char *s, size_t n);
	int (*bind_int)(void *stmt, int i, long long v);
	enum store_step (*step)(void *stmt, struct err *e);
	const char *(*col_text)(void *stmt, int i, size_t *len);
	long long (*col_int)(void *stmt, int i);
	enum err_code (*exec)(void *db, const char *sql, struct err *e);
	/* Is db still connected to the database it opened (not a file
	 * removed or replaced meanwhile)? May be NULL. The reason is short and
	 * safe to show anyone; details go to the log. */
	enum err_code (*check)(void *db, struct err *e);
	const char *begin_write;	/* SQL that starts a writing transaction */
	const char *writer_setup;	/* SQL run once on the group-commit connection */
	const char *write_lock;		/* run after begin_write, if set */
	const char *begin_read;
	const char *migrate_setup;	/* run in the migration transaction, if set */
	int batch_max;			/* most jobs in one group commit; 0: STORE_BATCH */
	const struct store_rewrite *dialect;	/* for migrations; NULL-terminated; may be NULL */
};

extern const struct store_driver store_sqlite;
extern const struct store_driver store_postgres;

/* Process-wide SQLite settings; before the first connection opens. */
void store_sqlite_configure(void);

/* Chooses the back-end for url ("sqlite:PATH", "postgres://...",
 * "postgresql://..."), opens a first connection and applies pending
 * migrations. Call once before serving. */
enum err_code store_init(const char *url, struct err *e);

/* The back-end chosen by store_init. */
const struct store_driver *store_driver(void);

/* Can the calling thread's connection answer a trivial query now? ERR_OK,
 * or the reason in e. For readiness checks. */
enum err_code store_ping(struct err *e);

/* Closes every connection opened through store_thread. Call after the
 * last request has finished. */
void store_fini(void);

/* The calling thread's connection, opened on first use. NULL with e set on
 * failure. Owned by the store; valid until store_fini. */
struct store *store_thread(struct err *e);

/* The cached prepared statement for sql on s, reset and unbound: prepared
 * on first use, the same statement (same address, valid until store_fini)
 * on every later one. sql must be a string with static storage: the cache
 * is keyed by its address and holds at most LIMIT_STORE_STATEMENTS. NULL
 * with e set on failure. */
struct store_stmt *store_sql(struct store *s, const char *sql, struct err *e);

/* Binds parameter i (from 1). Return 0, or -1 on failure. */
int store_bind_text(struct store_stmt *st, int i, const char *v);
int store_bind_int(struct store_stmt *st, int i, long long v);

/* Runs st: STORE_ROW while rows come, then STORE_DONE; STORE_CONSTRAINT on
 * a uniqueness violation; STORE_FAILED with e set otherwise. */
enum store_step store_step(struct store_stmt *st, struct err *e);

/* Columns of the current row (from 0). Text is valid until the next step;
 * NULL reads as "". */
const char *store_col_text(struct store_stmt *st, int i);
long long store_col_int(struct store_stmt *st, int i);

/* Copies column i's text into out (cap bytes, cut to fit, NUL-terminated). */
void store_col_copy(struct store_stmt *st, int i, char *out, size_t cap);

/* Ends st early, releasing what it holds (read snapshot, locks). */
void store_reset(struct store_stmt *st);

/* Runs a statement expected to return no rows. */
enum err_code store_run(struct store_stmt *st, struct err *e);

/* Runs a page query, whose parameters are (account, region, after, limit),
 * calling row(arg, st) for each row until it returns an error. Returns
 * ERR_OK, row's error, or the store's. */
enum err_code store_page(struct store *s, const char *sql, const char *account,
    const char *region, long long after, int limit,
    enum err_code (*row)(void *arg, struct store_stmt *st), void *arg, struct err *e);

/* Runs sql, whose parameters are (id, account, region), and calls
 * read(st, out) on its one row. ERR_NOT_FOUND when there is none (the
 * caller says what was not found). */
enum err_code store_get_one(struct store *s, const char *sql, const char *id,
    const char *account, const char *region, void (*read)(struct store_stmt *st, void *out),
    void *out, struct err *e);

/* Runs one or more SQL statements that return nothing (migrations). */
enum err_code store_exec(struct store *s, const char *sql, struct err *e);

/* A unit of writing work: reads and writes through s, reports failure in
 * e. It must not commit, and must leave nothing behind that it needs
 * after it returns (it may run on another thread's connection). */
typedef enum err_code (*store_job_fn)(struct store *s, void *arg, struct err *e);

/* Runs job inside a writing transaction and returns once that transaction
 * has committed (group commit: writes that arrive together share one
 * transaction and one sync, each inside its own savepoint, so one job's
 * failure undoes only that job). Returns job's error, with nothing of it
 * kept, or the commit's, with nothing of the batch kept. Thread-safe. */
enum err_code store_write(store_job_fn job, void *arg, struct err *e);

/* Runs job in a read-only transaction on the calling thread's connection,
 * so that every read it makes sees one snapshot. Returns job's error or
 * the store's. */
enum err_code store_read(store_job_fn job, void *arg, struct err *e);

/* Transactions. A request is acknowledged only after store_commit
 * returned ERR_OK. store_rollback is safe to call when none is open. */
enum err_code store_begin(struct store *s, int write, struct err *e);
enum err_code store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/* A named server-wide secret of n random bytes, made once and kept in the
 * database (so every node of a shared database has the same). */
enum err_code store_secret(const char *name, unsigned char *out, size_t n, struct err *e);

#endif
