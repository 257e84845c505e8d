/* PostgreSQL driver (libpq): one connection per thread, reconnecting.
 *
 * Implements struct store_driver only; knows no table. Queries arrive with
 * '?' parameters and are rewritten to $1, $2, ... once, when first
 * prepared. Parameters travel as text and the server infers their types
 * from the query. Prepared statements belong to a session, so each
 * remembers the connection generation it was prepared in and is prepared
 * again after a reconnect.
 *
 * Faults. Every connection carries timeouts (limits.h), and every query
 * is sent asynchronously and waited for with a deadline, so no request
 * waits long on a database that stalls, even one whose TCP stays up. A connection found broken is
 * re-established on its next use, but never inside a transaction (that
 * transaction is lost and must fail); a BEGIN or a read outside a
 * transaction that finds its connection dead (the database restarted)
 * did nothing, and is sent once more on a new connection at once. While the database is unreachable,
 * attempts are spaced LIMIT_PG_RETRY_MS apart across all threads: within
 * the spacing one caller waits for its end and tries, the others fail at
 * once; the first failure and the recovery are logged once each.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits.h"
#include "store/postgres.h"
#include "store/store.h"


enum kind { K_OTHER, K_BEGIN, K_END };	/* what a statement does to the transaction */

struct pg {
	PGconn *c;
	char *url;
	unsigned gen;		/* bumped on every (re)connect */
	unsigned names;		/* statement names handed out */
	int in_tx;
	int unbounded;		/* in the migration transaction: no time limit */
	int gone;		/* the last failure said the connection is finished */
};

struct pg_stmt {
	struct pg *db;
	char *sql;		/* with $n parameters */
	enum kind kind;
	char name[16];
	unsigned gen;		/* db->gen when prepared; 0: not yet */
	int nparams;
	char *vals[MAX_PARAMS];
	PGresult *res;
	int row, rows;
};

static atomic_llong last_failure;	/* ms, CLOCK_MONOTONIC; 0 while reachable */
static atomic_int down;			/* the outage has been logged */
static atomic_int probing;		/* a thread is waiting out the spacing to try */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* First line of libpq's message, for logs and errors. */
static const char *
first_line(const char *msg, char *out, size_t cap)
{
	size_t n = strcspn(msg, "\n");

	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), msg);
	return out;
}

/* The database failed a connection: why, for the log. Only a failure that
 * says it may be unreachable (a connection attempt refused, a statement
 * not answered in time) holds off new connections for LIMIT_PG_RETRY_MS;
 * a pooled connection found dead on use says nothing of that, and must not
 * turn away the first connection of a thread that has none yet. */
static void
note_down(const char *why, int unreachable)
{
	char line[256];

	if (unreachable)
		atomic_store(&last_failure, now_ms());
	if (atomic_exchange(&down, 1) == 0)
		fprintf(stderr, "rtstage: database unavailable: %s; requests fail with "
		    "InternalServerException until it is back\n", first_line(why, line, sizeof(line)));
}

static void
note_up(void)
{
	atomic_store(&last_failure, 0);
	if (atomic_exchange(&down, 0) == 1)
		fprintf(stderr, "rtstage: database reachable again\n");
}

void
postgres_options(struct postgres_options *o, const char *url, const char *application,
    int statement_ms)
{
	static const char *const keys[POSTGRES_OPTIONS] = { "connect_timeout", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	    "options", "application_name", "dbname" };
	const char *vals[POSTGRES_OPTIONS] = { o->connect, "1", "5", "2", "2", o->tcp, o->options,
	    application, url };

	snprintf(o->connect, sizeof(o->connect), "%d", LIMIT_PG_CONNECT_SECONDS);
	snprintf(o->tcp, sizeof(o->tcp), "%d", LIMIT_PG_TCP_TIMEOUT_MS);
	snprintf(o->options, sizeof(o->options), "-c statement_timeout=%d -c lock_timeout=%d "
	    "-c idle_in_transaction_session_timeout=%d", statement_ms, statement_ms,
	    6 * statement_ms);
	memcpy(o->keys, keys, sizeof(keys));
	memcpy(o->vals, vals, sizeof(vals));
	o->keys[POSTGRES_OPTIONS] = o->vals[POSTGRES_OPTIONS] = NULL;
}

/* Within LIMIT_PG_RETRY_MS of a failure, one caller at a time (the probe)
 * waits out the rest of it, then tries: the database may be back, and a
 * request must not fail only because a background attempt failed just
 * before. Others fail at once meanwhile. Returns 1 when the caller is the
 * probe (it ends the probe with probe_done), 0 when it may try anyway,
 * -1 when it must not try. */
static int
probe_turn(void)
{
	long long last = atomic_load(&last_failure), wait;
	struct timespec ts;

	if (last == 0 || (wait = last + LIMIT_PG_RETRY_MS - now_ms()) <= 0)
		return 0;
	if (atomic_exchange(&probing, 1) == 1)
		return -1;
	ts.tv_sec = wait / 1000;
	ts.tv_nsec = (wait % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return 1;
}

static void
probe_done(int turn)
{
	if (turn == 1)
		atomic_store(&probing, 0);
}

/* Connects db->c. Our timeouts come before the URL, so that the URL's own
 * settings win (libpq lets later keywords override earlier ones). Within
 * LIMIT_PG_RETRY_MS of a failure only the probe tries (probe_turn), unless
 * at_once: a connection found dead on use says nothing of whether the
 * database is reachable now. */
static int
pg_connect(struct pg *db, int at_once, struct err *e)
{
	struct postgres_options o;
	char line[256];
	int turn = at_once ? 0 : probe_turn();

	if (turn < 0) {
		err_set(e, ERR_INTERNAL, "postgres: database unavailable (retrying)");
		return -1;
	}
	postgres_options(&o, db->url, "rtstage", LIMIT_PG_STATEMENT_MS);
	PQfinish(db->c);
	db->c = PQconnectdbParams(o.keys, o.vals, 1);
	if (db->c == NULL || PQstatus(db->c) != CONNECTION_OK) {
		const char *why = db->c ? PQerrorMessage(db->c) : "out of memory";
		note_down(why, 1);
		err_set(e, ERR_INTERNAL, "postgres: cannot connect: %s", first_line(why, line,
		    sizeof(line)));
		PQfinish(db->c);
		db->c = NULL;
		probe_done(turn);
		return -1;
	}
	db->gen++;
	db->in_tx = db->gone = 0;
	note_up();
	probe_done(turn);
	return 0;
}

/* A usable connection, reconnecting if it broke outside a transaction. */
static int
ready(struct pg *db, enum kind kind, struct err *e)
{
	if (db->c != NULL && PQstatus(db->c) == CONNECTION_OK && !db->gone)
		return 0;
	if (db->in_tx && kind != K_BEGIN) {
		if (kind == K_END)	/* the transaction went with the connection */
			db->in_tx = 0;
		err_set(e, ERR_INTERNAL, "postgres: connection lost inside a transaction");
		return -1;
	}
	return pg_connect(db, 0, e);
}

/* Does SQLSTATE state say the server ended the session: class 08
 * (connection exception) or 57P (shut down, crashed, cannot connect now)?
 * libpq may hand such a FATAL error back before it has read the end of
 * the connection, while PQstatus still says CONNECTION_OK. */
static int
session_ended(const char *state)
{
	return state != NULL && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0);
}

/* A failed result: its message in e; notes a lost connection. */
static enum err_code
fail(struct pg *db, PGresult *res, struct err *e)
{
	char line[256];
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->c);

	if (db->c == NULL || PQstatus(db->c) != CONNECTION_OK ||
	    (res != NULL && session_ended(PQresultErrorField(res, PG_DIAG_SQLSTATE)))) {
		db->gone = 1;
		note_down(msg, 0);
	}
	return err_set(e, ERR_INTERNAL, "postgres: %s", first_line(msg, line, sizeof(line)));
}

/* Drops a connection that did not answer in time: whatever it was doing is
 * abandoned (the server rolls back its transaction when it notices). */
static void
abandon(struct pg *db, const char *why)
{
	note_down(why, 1);
	PQfinish(db->c);
	db->c = NULL;
}

/* The result of what was just sent on db: the first error, else the last
 * result. Waits at most a little longer than the server's own statement
 * timeout, so that a database that stops answering (a stalled host, a
 * paused process: TCP stays up) cannot hold a request. NULL, with e set,
 * when the connection failed or timed out. */
static PGresult *
wait_result(struct pg *db, struct err *e)
{
	long long deadline = now_ms() + LIMIT_PG_STATEMENT_MS + 2000;
	struct pollfd pfd = { .fd = PQsocket(db->c), .events = POLLIN };
	PGresult *res, *keep = NULL;
	long long left;

	for (;;) {
		while (PQisBusy(db->c)) {
			left = deadline - now_ms();
			if (!db->unbounded && left <= 0) {
				PQclear(keep);
				abandon(db, "no answer in time");
				err_set(e, ERR_INTERNAL, "postgres: no answer within %d ms",
				    LIMIT_PG_STATEMENT_MS + 2000);
				return NULL;
			}
			if (poll(&pfd, 1, db->unbounded ? 1000 : (int)left) < 0 && errno != EINTR)
				break;
			if (!PQconsumeInput(db->c))
				break;	/* the connection failed: PQgetResult says so */
		}
		if ((res = PQgetResult(db->c)) == NULL)
			break;
		if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(res);	/* keep the first error */
		} else {
			PQclear(keep);
			keep = res;
		}
		if (PQstatus(db->c) != CONNECTION_OK)
			break;
	}
	if (keep == NULL)
		fail(db, NULL, e);
	return keep;
}

static void *
pg_open(const char *url, struct err *e)
{
	struct pg *db = calloc(1, sizeof(*db));

	if (db == NULL || (db->url = strdup(url)) == NULL) {
		free(db);
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (pg_connect(db, 0, e) != 0) {
		free(db->url);
		free(db);
		return NULL;
	}
	return db;
}

static void
pg_close(void *p)
{
	struct pg *db = p;

	PQfinish(db->c);
	free(db->url);
	free(db);
}

static enum kind
kind_of(const char *sql)
{
	if (strncmp(sql, "BEGIN", 5) == 0)
		return K_BEGIN;
	if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
		return K_END;
	return K_OTHER;
}

/* Rewrites each '?' outside quotes to $n. Caller frees. */
static char *
number_params(const char *sql, int *n)
{
	char *out = malloc(strlen(sql) * 4 + 1), *o = out;
	char quote = 0;

	if (out == NULL)
		return NULL;
	*n = 0;
	for (; *sql; sql++) {
		if (quote) {
			quote = *sql == quote ? 0 : quote;
			*o++ = *sql;
		} else if (*sql == '\'' || *sql == '"') {
			quote = *sql;
			*o++ = *sql;
		} else if (*sql == '?') {
			o += sprintf(o, "$%d", ++*n);
		} else {
			*o++ = *sql;
		}
	}
	*o = '\0';
	return out;
}

static void *
pg_prepare(void *p, const char *sql, struct err *e)
{
	struct pg *db = p;
	struct pg_stmt *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->sql = number_params(sql, &st->nparams)) == NULL) {
		free(st);
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (st->nparams > MAX_PARAMS) {
		free(st->sql);
		free(st);
		err_set(e, ERR_INTERNAL, "postgres: more than %d parameters: %s", MAX_PARAMS, sql);
		return NULL;
	}
	st->db = db;
	st->kind = kind_of(sql);
	snprintf(st->name, sizeof(st->name), "q%u", ++db->names);
	return st;
}

static void
pg_reset(void *p)
{
	struct pg_stmt *st = p;
	int i;

	PQclear(st->res);
	st->res = NULL;
	st->row = st->rows = 0;
	for (i = 0; i < st->nparams; i++) {
		free(st->vals[i]);
		st->vals[i] = NULL;
	}
}

static void
pg_finalize(void *p)
{
	struct pg_stmt *st = p;

	pg_reset(st);
	free(st->sql);
	free(st);
}

static int
set_param(struct pg_stmt *st, int i, char *v)
{
	if (v == NULL || i < 1 || i > st->nparams) {
		free(v);
		return -1;
	}
	free(st->vals[i - 1]);
	st->vals[i - 1] = v;
	return 0;
}

static int
pg_bind_text(void *p, int i, const char *s, size_t n)
{
	return set_param(p, i, strndup(s, n));
}

static int
pg_bind_int(void *p, int i, long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	return set_param(p, i, strdup(buf));
}

/* Runs the statement (preparing it in this session first if needed). */
static enum store_step
execute(struct pg_stmt *st, struct err *e)
{
	struct pg *db = st->db;
	ExecStatusType status;
	const char *state;
	PGresult *res;

	if (ready(db, st->kind, e) != 0)
		return STORE_FAILED;
	if (st->gen != db->gen) {
		if (!PQsendPrepare(db->c, st->name, st->sql, st->nparams, NULL)) {
			fail(db, NULL, e);
			return STORE_FAILED;
		}
		if ((res = wait_result(db, e)) == NULL)
			return STORE_FAILED;
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fail(db, res, e);
			PQclear(res);
			return STORE_FAILED;
		}
		PQclear(res);
		st->gen = db->gen;
	}
	if (!PQsendQueryPrepared(db->c, st->name, st->nparams, (const char *const *)st->vals,
	    NULL, NULL, 0)) {
		fail(db, NULL, e);
		return STORE_FAILED;
	}
	if ((st->res = wait_result(db, e)) == NULL) {
		if (st->kind == K_END)
			db->in_tx = 0;
		return STORE_FAILED;
	}
	status = PQresultStatus(st->res);
	if (st->kind == K_BEGIN && status == PGRES_COMMAND_OK)
		db->in_tx = 1;
	if (st->kind == K_END)
		db->in_tx = db->unbounded = 0;
	if (status == PGRES_TUPLES_OK) {
		st->rows = PQntuples(st->res);
		st->row = -1;
		return STORE_ROW;
	}
	if (status == PGRES_COMMAND_OK) {
		/* COMMIT of a transaction that failed answers ROLLBACK, not an error */
		if (strcmp(st->sql, "COMMIT") == 0 && strcmp(PQcmdStatus(st->res), "ROLLBACK") == 0) {
			err_set(e, ERR_INTERNAL, "postgres: the transaction was rolled back");
			return STORE_FAILED;
		}
		st->rows = 0;
		st->row = -1;
		return STORE_DONE;
	}
	state = PQresultErrorField(st->res, PG_DIAG_SQLSTATE);
	if (state != NULL && strncmp(state, "23", 2) == 0)	/* integrity constraint violation */
		return STORE_CONSTRAINT;
	fail(db, st->res, e);
	return STORE_FAILED;
}

/* Did st fail on a connection that had ended before it (the database
 * restarted, or a pooled connection went stale: fail set db->gone), at a point where nothing
 * was done: a BEGIN, or a read outside a transaction? A connection dropped
 * for not answering in time (abandon: db->c NULL) is not one: the
 * database may be stalled, and trying again would wait as long again. */
static int
failed_unused(const struct pg_stmt *st)
{
	const struct pg *db = st->db;

	return !db->in_tx && db->c != NULL && db->gone &&
	    (st->kind == K_BEGIN || strncmp(st->sql, "SELECT", 6) == 0);
}

/* execute, sent once more on a new connection when it failed unused. The
 * first try's failure reaches e only if it is the answer: callers may read
 * e->code after a call that succeeded. */
static enum store_step
execute_once_more(struct pg_stmt *st, struct err *e)
{
	struct err first = { ERR_OK, "" };
	enum store_step r = execute(st, &first);

	if (r != STORE_FAILED || !failed_unused(st)) {
		if (first.code != ERR_OK)
			*e = first;
		return r;
	}
	PQclear(st->res);
	st->res = NULL;
	if (pg_connect(st->db, 1, e) != 0)
		return STORE_FAILED;
	return execute(st, e);
}

static enum store_step
pg_step(void *p, struct err *e)
{
	struct pg_stmt *st = p;
	enum store_step r;

	if (st->res == NULL) {
		r = execute_once_more(st, e);
		if (r == STORE_DONE)	/* the result stays: stepping on is DONE again */
			return r;
		if (r != STORE_ROW) {
			PQclear(st->res);
			st->res = NULL;
			return r;
		}
	}
	if (++st->row < st->rows)
		return STORE_ROW;
	return STORE_DONE;
}

static const char *
pg_col_text(void *p, int i, size_t *len)
{
	struct pg_stmt *st = p;

	if (st->res == NULL || st->row >= st->rows || PQgetisnull(st->res, st->row, i)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(st->res, st->row, i);
	return PQgetvalue(st->res, st->row, i);
}

static long long
pg_col_int(void *p, int i)
{
	size_t n;
	const char *v = pg_col_text(p, i, &n);

	return v ? strtoll(v, NULL, 10) : 0;
}

static enum err_code
pg_exec(void *p, const char *sql, struct err *e)
{
	struct pg *db = p;
	enum kind kind = kind_of(sql);
	ExecStatusType status;
	PGresult *res;

	if (ready(db, kind, e) != 0)
		return e->code;
	if (sql == store_postgres.migrate_setup)
		db->unbounded = 1;
	if (kind == K_END)
		db->in_tx = db->unbounded = 0;
	if (!PQsendQuery(db->c, sql))
		return fail(db, NULL, e);
	if ((res = wait_result(db, e)) == NULL)
		return e->code;
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		fail(db, res, e);
		PQclear(res);
		return e->code;
	}
	PQclear(res);
	return ERR_OK;
}

/* How the SQLite-flavoured migration scripts read in PostgreSQL: applied
 * in order, each to the whole script. */
static const struct store_rewrite pg_dialect[] = {
	{ "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY" },
	{ "INTEGER", "BIGINT" },	/* SQLite's integers are 64-bit */
	{ NULL, NULL },
};

const struct store_driver store_postgres = {
	.name = "postgres",
	.shared = 1,
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_text = pg_bind_text,
	.bind_int = pg_bind_int,
	.step = pg_step,
	.col_text = pg_col_text,
	.col_int = pg_col_int,
	.exec = pg_exec,
	.begin_write = "BEGIN",
	/* writers of every node take turns, as SQLite's do within one: each
	 * writing transaction reads what the previous one committed */
	.write_lock = "SELECT pg_advisory_xact_lock(4590)",
	.begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	.migrate_setup = "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0",
	.dialect = pg_dialect,
	/* each job's savepoint is a subtransaction; past 64 in one transaction
	 * PostgreSQL's snapshots overflow into pg_subtrans lookups, a known
	 * slow path for every session: batches stay under it */
	.batch_max = 60,
};
