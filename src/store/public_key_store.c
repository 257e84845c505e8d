/* Queries on the public_keys table. */
#include <time.h>

#include "store/public_key_store.h"
#include "store/tag_store.h"

#define COLS "seq, id, account, region, arn, name, fingerprint, material"

static const char SQL_INSERT[] =
    "INSERT INTO public_keys (id, account, region, arn, name, fingerprint, material, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_GET[] =
    "SELECT " COLS " FROM public_keys WHERE id = ? "
    "AND (account || '') = ? AND (region || '') = ?";	/* by id alone: see stage_store.c */
static const char SQL_BY_FINGERPRINT[] =
    "SELECT " COLS " FROM public_keys WHERE fingerprint = ? AND account = ? AND region = ?";
static const char SQL_DELETE[] = "DELETE FROM public_keys WHERE id = ?";
static const char SQL_PAGE[] =
    "SELECT " COLS " FROM public_keys WHERE account = ? AND region = ? AND seq > ? "
    "ORDER BY seq LIMIT ?";

#define COPY(dst, st, i) store_col_copy((st), (i), (dst), sizeof(dst))

static void
read_row(struct store_stmt *st, struct public_key_rec *r)
{
	r->seq = store_col_int(st, 0);
	COPY(r->id, st, 1);
	COPY(r->account, st, 2);
	COPY(r->region, st, 3);
	COPY(r->arn, st, 4);
	COPY(r->name, st, 5);
	COPY(r->fingerprint, st, 6);
	COPY(r->material, st, 7);
}

static void
read_key(struct store_stmt *st, void *out)
{
	read_row(st, out);
}

enum err_code
store_public_key_insert(struct store *s, const struct public_key_rec *r, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_INSERT, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, r->id);
	store_bind_text(st, 2, r->account);
	store_bind_text(st, 3, r->region);
	store_bind_text(st, 4, r->arn);
	store_bind_text(st, 5, r->name);
	store_bind_text(st, 6, r->fingerprint);
	store_bind_text(st, 7, r->material);
	store_bind_int(st, 8, (long long)time(NULL));
	return store_run(st, e);
}

enum err_code
store_public_key_get(struct store *s, const char *account, const char *region,
    const char *id, struct public_key_rec *out, struct err *e)
{
	return store_get_one(s, SQL_GET, id, account, region, read_key, out, e);
}

enum err_code
store_public_key_by_fingerprint(struct store *s, const char *account, const char *region,
    const char *fp, struct public_key_rec *out, struct err *e)
{
	return store_get_one(s, SQL_BY_FINGERPRINT, fp, account, region, read_key, out, e);
}

enum err_code
store_public_key_delete(struct store *s, const struct public_key_rec *r, struct err *e)
{
	struct store_stmt *st;

	if (store_tags_delete_all(s, r->arn, e) != ERR_OK)
		return e->code;
	if ((st = store_sql(s, SQL_DELETE, e)) == NULL)
		return e->code;
	store_bind_text(st, 1, r->id);
	return store_run(st, e);
}

struct walk {
	enum err_code (*each)(void *, const struct public_key_rec *);
	void *arg;
};

static enum err_code
page_row(void *arg, struct store_stmt *st)
{
	struct walk *w = arg;
	struct public_key_rec r;

	read_row(st, &r);
	return w->each(w->arg, &r);
}

enum err_code
store_public_key_page(struct store *s, const char *account, const char *region,
    long long after, int limit, enum err_code (*each)(void *, const struct public_key_rec *),
    void *arg, struct err *e)
{
	struct walk w = { each, arg };

	return store_page(s, SQL_PAGE, account, region, after, limit, page_row, &w, e);
}
