/* Connections per thread, the statement cache, transactions, secrets.
 *
 * Nothing here knows a table but `settings`; resource queries live in the
 * per-resource files.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "crypto/ids.h"
#include "limits.h"
#include "store/migrations.h"
#include "store/store.h"

struct store_stmt {
	const struct store_driver *drv;
	void *h;
	const char *sql;	/* the key it is cached under */
};

/* The statement cache: an open-addressing hash table from the address of
 * a statement's SQL text to the statement, which is allocated on its own
 * so that it never moves while a caller holds it. It grows (doubling, at
 * half full) up to LIMIT_STORE_STATEMENTS statements. */
struct stmt_cache {
	struct store_stmt **slot;	/* cap entries, NULL when free */
	size_t cap, n;
};

struct store {
	const struct store_driver *drv;
	void *db;
	int in_tx;
	struct stmt_cache cache;
	struct store *next;	/* registry of every open connection */
};

static const struct store_driver *driver;
static char *target;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *registry;
static _Thread_local struct store *mine;

/* Every write batch runs on this one connection, used only by the current
 * group-commit leader: its page cache stays warm, where a different
 * connection per batch would find its cache invalidated by the others'
 * commits. */
static struct store *writer;

static struct store *
store_open(struct err *e)
{
	struct store *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	s->drv = driver;
	if ((s->db = driver->open(target, e)) == NULL) {
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&registry_lock);
	s->next = registry;
	registry = s;
	pthread_mutex_unlock(&registry_lock);
	return s;
}

enum err_code
store_init(const char *url, struct err *e)
{
	struct store *s;

	if (strncmp(url, "sqlite:", 7) == 0) {
		store_sqlite_configure();
		driver = &store_sqlite;
		target = strdup(url + 7);
	} else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
		driver = &store_postgres;
		target = strdup(url);
	} else {
		return err_set(e, ERR_VALIDATION, "unsupported database URL '%s' (expected "
		    "sqlite:PATH, postgres://... or postgresql://...)", url);
	}
	if (target == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if ((s = store_thread(e)) == NULL)
		return e->code;
	return migrations_apply(s, e);
}

const struct store_driver *
store_driver(void)
{
	return driver;
}

static const char SQL_PING[] = "SELECT 1";

/* The reason health reports while the database does not answer: the
 * driver's message may name the database's host and port, which an
 * unauthenticated caller must not learn, so it goes to the log instead
 * (when it changes, not on every probe). */
static enum err_code
unreachable(struct err *e)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char logged[sizeof(e->msg)];

	pthread_mutex_lock(&lock);
	if (strcmp(logged, e->msg) != 0) {
		fprintf(stderr, "rtstage: health: database unreachable: %s\n", e->msg);
		memcpy(logged, e->msg, sizeof(logged));
	}
	pthread_mutex_unlock(&lock);
	return err_set(e, ERR_INTERNAL, "database unreachable");
}

enum err_code
store_ping(struct err *e)
{
	struct store *s;
	struct store_stmt *st;

	if (driver->check != NULL && driver->check(NULL, e) != ERR_OK)
		return e->code;		/* a short reason, safe to show */
	if ((s = store_thread(e)) == NULL || (st = store_sql(s, SQL_PING, e)) == NULL ||
	    store_run(st, e) != ERR_OK)
		return unreachable(e);
	return ERR_OK;
}

void
store_fini(void)
{
	struct store *s, *next;
	size_t i;

	pthread_mutex_lock(&registry_lock);
	for (s = registry; s != NULL; s = next) {
		next = s->next;
		for (i = 0; i < s->cache.cap; i++) {
			if (s->cache.slot[i] != NULL)
				s->drv->finalize(s->cache.slot[i]->h);
			free(s->cache.slot[i]);
		}
		free(s->cache.slot);
		s->drv->close(s->db);
		free(s);
	}
	registry = NULL;
	pthread_mutex_unlock(&registry_lock);
	mine = NULL;
	writer = NULL;
	free(target);
	target = NULL;
}

struct store *
store_thread(struct err *e)
{
	if (mine == NULL)
		mine = store_open(e);
	return mine;
}

/* The slot of sql in a table of cap (a power of two) slots: its own, or
 * the free one where it belongs. */
static size_t
slot_of(struct store_stmt **slot, size_t cap, const char *sql)
{
	uintptr_t h = (uintptr_t)sql;
	size_t i;

	h ^= h >> 17;		/* string literals are aligned: mix the high bits in */
	h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	for (i = (size_t)(h >> 7) & (cap - 1); slot[i] != NULL && slot[i]->sql != sql;
	    i = (i + 1) & (cap - 1))
		;
	return i;
}

/* Doubles the table (first size: 64). */
static enum err_code
cache_grow(struct stmt_cache *c, struct err *e)
{
	size_t cap = c->cap ? 2 * c->cap : 64, i;
	struct store_stmt **slot = calloc(cap, sizeof(*slot));

	if (slot == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (i = 0; i < c->cap; i++)
		if (c->slot[i] != NULL)
			slot[slot_of(slot, cap, c->slot[i]->sql)] = c->slot[i];
	free(c->slot);
	c->slot = slot;
	c->cap = cap;
	return ERR_OK;
}

struct store_stmt *
store_sql(struct store *s, const char *sql, struct err *e)
{
	struct stmt_cache *c = &s->cache;
	struct store_stmt *st;
	size_t i;

	if (c->cap != 0 && (st = c->slot[slot_of(c->slot, c->cap, sql)]) != NULL) {
		s->drv->reset(st->h);
		return st;
	}
	if (c->n == LIMIT_STORE_STATEMENTS) {
		err_set(e, ERR_INTERNAL, "statement cache full: %d distinct statements on one "
		    "connection (is SQL text being built at run time?)", LIMIT_STORE_STATEMENTS);
		return NULL;
	}
	if (2 * (c->n + 1) > c->cap && cache_grow(c, e) != ERR_OK)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if ((st->h = s->drv->prepare(s->db, sql, e)) == NULL) {
		free(st);
		return NULL;
	}
	st->drv = s->drv;
	st->sql = sql;
	i = slot_of(c->slot, c->cap, sql);
	c->slot[i] = st;
	c->n++;
	return st;
}

int
store_bind_text(struct store_stmt *st, int i, const char *v)
{
	return st->drv->bind_text(st->h, i, v, strlen(v));
}

int
store_bind_int(struct store_stmt *st, int i, long long v)
{
	return st->drv->bind_int(st->h, i, v);
}

enum store_step
store_step(struct store_stmt *st, struct err *e)
{
	return st->drv->step(st->h, e);
}

const char *
store_col_text(struct store_stmt *st, int i)
{
	size_t n;
	const char *p = st->drv->col_text(st->h, i, &n);

	return p ? p : "";
}

void
store_col_copy(struct store_stmt *st, int i, char *out, size_t cap)
{
	size_t n;
	const char *p = st->drv->col_text(st->h, i, &n);

	if (p == NULL)
		n = 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p ? p : "", n);
	out[n] = '\0';
}

long long
store_col_int(struct store_stmt *st, int i)
{
	return st->drv->col_int(st->h, i);
}

void
store_reset(struct store_stmt *st)
{
	st->drv->reset(st->h);
}

enum err_code
store_run(struct store_stmt *st, struct err *e)
{
	enum store_step r = store_step(st, e);

	st->drv->reset(st->h);
	if (r == STORE_DONE || r == STORE_ROW)
		return ERR_OK;
	if (r == STORE_CONSTRAINT)
		return err_set(e, ERR_CONFLICT, "the resource already exists");
	return e->code;
}

enum err_code
store_page(struct store *s, const char *sql, const char *account, const char *region,
    long long after, int limit, enum err_code (*row)(void *, struct store_stmt *),
    void *arg, struct err *e)
{
	struct store_stmt *st = store_sql(s, sql, e);
	enum store_step step;
	enum err_code rc = ERR_OK;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, account);
	store_bind_text(st, 2, region);
	store_bind_int(st, 3, after);
	store_bind_int(st, 4, limit);
	while ((step = store_step(st, e)) == STORE_ROW)
		if ((rc = row(arg, st)) != ERR_OK)
			break;
	if (rc == ERR_OK && step == STORE_FAILED)
		rc = e->code;
	store_reset(st);
	return rc;
}

enum err_code
store_get_one(struct store *s, const char *sql, const char *id, const char *account,
    const char *region, void (*read)(struct store_stmt *, void *), void *out, struct err *e)
{
	struct store_stmt *st = store_sql(s, sql, e);
	enum store_step r;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, account);
	store_bind_text(st, 3, region);
	if ((r = store_step(st, e)) == STORE_ROW)
		read(st, out);
	store_reset(st);
	if (r == STORE_DONE)
		return err_set(e, ERR_NOT_FOUND, "no resource '%s' in account %s, region %s",
		    id, account, region);
	return r == STORE_ROW ? ERR_OK : e->code;
}

enum err_code
store_exec(struct store *s, const char *sql, struct err *e)
{
	return s->drv->exec(s->db, sql, e);
}

/* Transaction control runs often enough to keep prepared, like any query. */
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_SAVEPOINT[] = "SAVEPOINT job";
static const char SQL_RELEASE[] = "RELEASE job";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO job";

static enum err_code
run_sql(struct store *s, const char *sql, struct err *e)
{
	struct store_stmt *st = store_sql(s, sql, e);

	return st ? store_run(st, e) : e->code;
}

enum err_code
store_begin(struct store *s, int write, struct err *e)
{
	enum err_code rc = run_sql(s, write ? s->drv->begin_write : s->drv->begin_read, e);

	if (rc != ERR_OK)
		return rc;
	s->in_tx = 1;
	if (write && s->drv->write_lock != NULL && (rc = run_sql(s, s->drv->write_lock, e)) != ERR_OK)
		store_rollback(s);
	return rc;
}

enum err_code
store_commit(struct store *s, struct err *e)
{
	enum err_code rc = run_sql(s, SQL_COMMIT, e);

	if (rc != ERR_OK) {
		store_rollback(s);
		return rc;
	}
	s->in_tx = 0;
	return ERR_OK;
}

void
store_rollback(struct store *s)
{
	struct err ignored;
	size_t i;

	if (!s->in_tx)
		return;
	for (i = 0; i < s->cache.cap; i++)	/* release read cursors first */
		if (s->cache.slot[i] != NULL)
			s->drv->reset(s->cache.slot[i]->h);
	(void)s->drv->exec(s->db, "ROLLBACK", &ignored);
	s->in_tx = 0;
}

/* ---- group commit ----------------------------------------------------------
 *
 * Writers queue up; the one at the front leads: it takes the jobs queued so
 * far (up to STORE_BATCH, or the driver's batch_max), runs them in one transaction on its own connection,
 * commits, wakes their callers and hands the lead to the next in line.
 * The others sleep until their job is done or they reach the front
 * (STORE_BATCH is in limits.h). */

struct job {
	store_job_fn fn;
	void *arg;
	struct err *e;
	enum err_code rc;
	int done;
	pthread_cond_t wake;
	struct job *next;
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct job *queue_head, *queue_tail;

/* Runs the batch from first for n jobs on s; sets each job's rc. */
static void
run_batch(struct store *s, struct job *first, int n)
{
	struct err e;
	struct job *j;
	int i;

	metrics_store_batch(n);
	if (store_begin(s, 1, &e) != ERR_OK) {
		metrics_store_error();
		for (i = 0, j = first; i < n; i++, j = j->next)
			j->rc = err_set(j->e, e.code, "%s", e.msg);
		return;
	}
	for (i = 0, j = first; i < n; i++, j = j->next) {
		if (run_sql(s, SQL_SAVEPOINT, j->e) != ERR_OK) {
			j->rc = j->e->code;
			continue;
		}
		j->rc = j->fn(s, j->arg, j->e);
		if (j->rc != ERR_OK)
			(void)run_sql(s, SQL_ROLLBACK_TO, &e);
		if (run_sql(s, SQL_RELEASE, &e) != ERR_OK && j->rc == ERR_OK)
			j->rc = err_set(j->e, e.code, "%s", e.msg);
	}
	/* a database file removed or replaced meanwhile would take the commit
	 * and lose it: refuse instead */
	if ((s->drv->check != NULL && s->drv->check(s->db, &e) != ERR_OK) ||
	    store_commit(s, &e) != ERR_OK) {	/* nothing of the batch was kept */
		store_rollback(s);
		metrics_store_error();
		for (i = 0, j = first; i < n; i++, j = j->next)
			if (j->rc == ERR_OK)
				j->rc = err_set(j->e, e.code, "%s", e.msg);
	}
}

enum err_code
store_write(store_job_fn fn, void *arg, struct err *e)
{
	struct job me = { .fn = fn, .arg = arg, .e = e, .rc = ERR_OK, .done = 0 };
	struct job *j, *last;
	struct store *s;
	int n;

	pthread_cond_init(&me.wake, NULL);
	pthread_mutex_lock(&queue_lock);
	if (queue_tail)
		queue_tail->next = &me;
	else
		queue_head = &me;
	queue_tail = &me;
	while (!me.done && queue_head != &me)
		pthread_cond_wait(&me.wake, &queue_lock);
	if (me.done) {
		pthread_mutex_unlock(&queue_lock);
		pthread_cond_destroy(&me.wake);
		return me.rc;
	}
	/* leading: the batch is me and whoever queued behind me so far */
	for (n = 1, last = &me; last->next != NULL &&
	    n < (driver->batch_max ? driver->batch_max : STORE_BATCH); n++)
		last = last->next;
	pthread_mutex_unlock(&queue_lock);

	if (writer == NULL && (writer = store_open(e)) != NULL && writer->drv->writer_setup)
		(void)store_exec(writer, writer->drv->writer_setup, e);	/* a hint; works without */
	if ((s = writer) == NULL) {
		for (j = &me; ; j = j->next) {
			j->rc = err_set(j->e, e->code, "%s", e->msg);
			if (j == last)
				break;
		}
	} else {
		run_batch(s, &me, n);
	}

	pthread_mutex_lock(&queue_lock);
	queue_head = last->next;
	if (queue_head == NULL)
		queue_tail = NULL;
	for (j = me.next; j != NULL && j != queue_head; j = j->next) {
		j->done = 1;
		pthread_cond_signal(&j->wake);
	}
	if (queue_head != NULL)
		pthread_cond_signal(&queue_head->wake);	/* the next leader */
	pthread_mutex_unlock(&queue_lock);
	pthread_cond_destroy(&me.wake);
	return me.rc;
}

enum err_code
store_read(store_job_fn job, void *arg, struct err *e)
{
	struct store *s = store_thread(e);

	if (s == NULL || store_begin(s, 0, e) != ERR_OK)
		return e->code;
	if (job(s, arg, e) != ERR_OK || store_commit(s, e) != ERR_OK) {
		store_rollback(s);
		return e->code;
	}
	return ERR_OK;
}

static const char SQL_SECRET_PUT[] =
    "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING";
static const char SQL_SECRET_GET[] = "SELECT value FROM settings WHERE name = ?";

enum err_code
store_secret(const char *name, unsigned char *out, size_t n, struct err *e)
{
	unsigned char fresh[64];
	char hex[129];
	struct store *s;
	struct store_stmt *st;
	const char *v;

	if (n > sizeof(fresh))
		return err_set(e, ERR_INTERNAL, "secret %s too long", name);
	if ((s = store_thread(e)) == NULL)
		return e->code;
	if (ids_random(fresh, n) != 0)
		return err_set(e, ERR_INTERNAL, "no randomness for secret %s", name);
	ids_hex(fresh, n, hex);
	if ((st = store_sql(s, SQL_SECRET_PUT, e)) == NULL)
		return e->code;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, hex);
	if (store_run(st, e) != ERR_OK)
		return e->code;
	if ((st = store_sql(s, SQL_SECRET_GET, e)) == NULL)
		return e->code;
	store_bind_text(st, 1, name);
	if (store_step(st, e) != STORE_ROW)
		return err_set(e, ERR_INTERNAL, "secret %s missing after insert", name);
	v = store_col_text(st, 0);
	if (strlen(v) != 2 * n || ids_unhex(v, out, n) != 0) {
		store_reset(st);
		return err_set(e, ERR_INTERNAL, "secret %s is corrupt", name);
	}
	store_reset(st);
	return ERR_OK;
}
