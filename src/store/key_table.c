/* The key store in the database: the signing_keys table.
 *
 * Used when the database is shared by several nodes, so that every node
 * signs with the same key and publishes the same JWK Set. Each node asks
 * for the table's stamp at most once a second; a token signed elsewhere
 * with a key this node has not seen yet makes it look at once. Rows of
 * keys retired past their retention are deleted (keys.c decides which).
 */
#include <stdio.h>

#include "store/key_table.h"
#include "store/store.h"

static const char SQL_STAMP[] =
    "SELECT COUNT(*), COALESCE(MAX(created), 0) FROM signing_keys";
static const char SQL_EACH[] = "SELECT created, pem FROM signing_keys ORDER BY created";
static const char SQL_INSERT[] = "INSERT INTO signing_keys (created, kid, pem) VALUES (?, ?, ?)";
static const char SQL_PRUNE[] = "DELETE FROM signing_keys WHERE created < ?";

static enum err_code
table_stamp(void *ctx, char *out, size_t cap, struct err *e)
{
	struct store *s = store_thread(e);
	struct store_stmt *st;

	(void)ctx;
	if (s == NULL || (st = store_sql(s, SQL_STAMP, e)) == NULL)
		return e->code;
	if (store_step(st, e) != STORE_ROW)
		return e->code;
	snprintf(out, cap, "%lld:%lld", store_col_int(st, 0), store_col_int(st, 1));
	store_reset(st);
	return ERR_OK;
}

static enum err_code
table_each(void *ctx, void (*fn)(void *, long long, const char *), void *arg, struct err *e)
{
	struct store *s = store_thread(e);
	struct store_stmt *st;
	enum store_step r;

	(void)ctx;
	if (s == NULL || (st = store_sql(s, SQL_EACH, e)) == NULL)
		return e->code;
	while ((r = store_step(st, e)) == STORE_ROW)
		fn(arg, store_col_int(st, 0), store_col_text(st, 1));
	store_reset(st);
	return r == STORE_DONE ? ERR_OK : e->code;
}

struct add_job {
	long long created;
	const char *kid, *pem;
	int first;
};

static enum err_code
add_tx(struct store *s, void *arg, struct err *e)
{
	struct add_job *j = arg;
	struct store_stmt *st;
	long long have;

	if (j->first) {		/* under the write lock: one node makes the first key */
		if ((st = store_sql(s, SQL_STAMP, e)) == NULL || store_step(st, e) != STORE_ROW)
			return e->code;
		have = store_col_int(st, 0);
		store_reset(st);
		if (have > 0)
			return ERR_OK;
	}
	if ((st = store_sql(s, SQL_INSERT, e)) == NULL)
		return e->code;
	store_bind_int(st, 1, j->created);
	store_bind_text(st, 2, j->kid);
	store_bind_text(st, 3, j->pem);
	return store_run(st, e);
}

static enum err_code
table_add(void *ctx, long long created, const char *kid, const char *pem, int first,
    struct err *e)
{
	struct add_job j = { created, kid, pem, first };

	(void)ctx;
	return store_write(add_tx, &j, e);
}

static enum err_code
prune_tx(struct store *s, void *arg, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_PRUNE, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, *(const long long *)arg);
	return store_run(st, e);
}

static enum err_code
table_prune(void *ctx, long long before, struct err *e)
{
	(void)ctx;
	return store_write(prune_tx, &before, e);
}

void
key_table_open(struct key_store *ks)
{
	ks->ctx = NULL;
	ks->where = "the database (signing_keys)";
	ks->poll_ms = 1000;
	ks->stamp = table_stamp;
	ks->each = table_each;
	ks->add = table_add;
	ks->prune = table_prune;
}

enum err_code
key_store_for(const char *data_dir, int create, struct key_files *files, struct key_store *ks,
    struct err *e)
{
	if (store_driver() != NULL && store_driver()->shared) {
		key_table_open(ks);
		return ERR_OK;
	}
	return key_files_open(files, data_dir, create, ks, e);
}
