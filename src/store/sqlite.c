/* SQLite driver: WAL, synchronous=FULL, one connection per thread.
 *
 * Implements struct store_driver only; knows no table.
 *
 * The database file. It holds secrets (the page-token key, token
 * records), so it is mode 0600 whatever the umask and the directory's
 * mode; SQLite gives its -wal and -shm files the same mode. The first
 * connection remembers which file (device and inode) it opened; a file
 * removed or replaced under the running server is then noticed: later
 * connections refuse to open, health reports it, and every write fails
 * before its commit instead of being acknowledged into a file that no
 * longer has a name (check). Reads on the connections already open go on
 * answering from the file the server opened: what was acknowledged.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "store/store.h"

/* The file the first connection opened. */
static struct {
	pthread_mutex_t lock;
	int known;		/* dev and ino are set */
	dev_t dev;
	ino_t ino;
	char path[4096];
	int state;		/* what was last logged: 0 fine, else the errno-like fault */
} file = { .lock = PTHREAD_MUTEX_INITIALIZER };

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

/* Is path a file of the file system (not ":memory:", a URI or empty)? */
static int
on_disk(const char *path)
{
	return path[0] != '\0' && strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0;
}

/* Makes sure the database file exists (only when none was opened yet:
 * later connections must find the same file) with mode 0600, as its -wal
 * and -shm if they exist; the first time, remembers its identity. */
static enum err_code
prepare_file(const char *path, struct err *e)
{
	static const char *const sides[] = { "-wal", "-shm" };
	char side[4200];
	struct stat st;
	enum err_code rc = ERR_OK;
	size_t i;
	int fd;

	pthread_mutex_lock(&file.lock);
	if (file.known && strcmp(path, file.path) == 0) {
		if (stat(path, &st) != 0 || st.st_dev != file.dev || st.st_ino != file.ino)
			rc = err_set(e, ERR_INTERNAL, "sqlite: %s was removed or replaced since the "
			    "server opened it", path);
		goto out;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		rc = err_set(e, ERR_INTERNAL, "sqlite: cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || fstat(fd, &st) != 0) {
		rc = err_set(e, ERR_INTERNAL, "sqlite: cannot make %s private: %s", path,
		    strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
		if ((size_t)snprintf(side, sizeof(side), "%s%s", path, sides[i]) < sizeof(side) &&
		    chmod(side, 0600) != 0 && errno != ENOENT) {
			rc = err_set(e, ERR_INTERNAL, "sqlite: cannot make %s private: %s", side,
			    strerror(errno));
			goto out;
		}
	if ((size_t)snprintf(file.path, sizeof(file.path), "%s", path) >= sizeof(file.path)) {
		rc = err_set(e, ERR_INTERNAL, "sqlite: database path too long");
		goto out;
	}
	file.dev = st.st_dev;
	file.ino = st.st_ino;
	file.known = 1;
out:
	pthread_mutex_unlock(&file.lock);
	return rc;
}

/* Is the database file still the one the server opened? The reason, if
 * not, is short and names no path (health answers it unauthenticated);
 * the path goes to the log, once per change. */
static enum err_code
lite_check(void *db, struct err *e)
{
	struct stat st;
	int state = 0;
	const char *why = NULL;

	(void)db;
	pthread_mutex_lock(&file.lock);
	if (!file.known)
		;
	else if (stat(file.path, &st) != 0)
		state = errno == ENOENT ? ENOENT : EIO;
	else if (st.st_dev != file.dev || st.st_ino != file.ino)
		state = EEXIST;
	why = state == ENOENT ? "database file removed" : state == EEXIST ?
	    "database file replaced" : state ? "database file unreadable" : NULL;
	if (state != file.state && state != 0)
		fprintf(stderr, "rtstage: %s: %s is no longer the file the server opened; writes "
		    "fail until the server is restarted on a sound database\n", why, file.path);
	file.state = state;
	pthread_mutex_unlock(&file.lock);
	return why ? err_set(e, ERR_INTERNAL, "%s", why) : ERR_OK;
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

	if (on_disk(path) && prepare_file(path, e) != ERR_OK)
		return NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    (on_disk(path) ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
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
	.check = lite_check,
	.begin_write = "BEGIN IMMEDIATE",	/* take the write lock up front: no upgrade deadlocks */
	/* the one writing connection inserts at random places of every index
	 * (ids are random): a larger cache keeps those pages in memory */
	.writer_setup = "PRAGMA cache_size = -16384",
	.begin_read = "BEGIN",
};
