/* Queries on the usage table. */
#include "store/usage_store.h"

static const char SQL_ENSURE[] =
    "INSERT INTO usage (account, region, kind, used) VALUES (?, ?, ?, 0) "
    "ON CONFLICT (account, region, kind) DO NOTHING";
static const char SQL_TAKE[] =
    "UPDATE usage SET used = used + 1 "
    "WHERE account = ? AND region = ? AND kind = ? AND used < ? RETURNING used";
static const char SQL_RELEASE[] =
    "UPDATE usage SET used = used - 1 WHERE account = ? AND region = ? AND kind = ? AND used > 0";

static struct store_stmt *
prepare(struct store *s, const char *sql, const char *account, const char *region,
    const char *kind, struct err *e)
{
	struct store_stmt *st = store_sql(s, sql, e);

	if (st != NULL) {
		store_bind_text(st, 1, account);
		store_bind_text(st, 2, region);
		store_bind_text(st, 3, kind);
	}
	return st;
}

enum err_code
store_usage_take(struct store *s, const char *account, const char *region,
    const char *kind, unsigned limit, int *taken, struct err *e)
{
	struct store_stmt *st;
	enum store_step r;
	int attempt;

	/* The counter row usually exists: one UPDATE. Else make it and retry. */
	for (attempt = 0; attempt < 2; attempt++) {
		if ((st = prepare(s, SQL_TAKE, account, region, kind, e)) == NULL)
			return e->code;
		store_bind_int(st, 4, limit);
		r = store_step(st, e);
		*taken = r == STORE_ROW;	/* a row comes back only when the counter moved */
		if (r == STORE_ROW)
			r = store_step(st, e);	/* let the UPDATE finish */
		store_reset(st);
		if (r == STORE_FAILED)
			return e->code;
		if (*taken || attempt == 1)
			return ERR_OK;
		if ((st = prepare(s, SQL_ENSURE, account, region, kind, e)) == NULL ||
		    store_run(st, e) != ERR_OK)
			return e->code;
	}
	return ERR_OK;
}

enum err_code
store_usage_release(struct store *s, const char *account, const char *region,
    const char *kind, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_RELEASE, account, region, kind, e);

	return st ? store_run(st, e) : e->code;
}
