/* Queries on the storage_configurations table. */
#include <stdio.h>
#include <time.h>

#include "store/storage_store.h"
#include "store/tag_store.h"

#define COLS "seq, id, account, region, arn, name, bucket"

static const char SQL_INSERT[] =
    "INSERT INTO storage_configurations (id, account, region, arn, name, bucket, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_GET[] =
    "SELECT " COLS " FROM storage_configurations WHERE id = ? "
    "AND (account || '') = ? AND (region || '') = ?";	/* by id alone: see stage_store.c */
static const char SQL_DELETE[] = "DELETE FROM storage_configurations WHERE id = ?";
static const char SQL_PAGE[] =
    "SELECT " COLS " FROM storage_configurations WHERE account = ? AND region = ? AND seq > ? "
    "ORDER BY seq LIMIT ?";

#define COPY(dst, st, i) store_col_copy((st), (i), (dst), sizeof(dst))

static void
read_row(struct store_stmt *st, struct storage_rec *r)
{
	r->seq = store_col_int(st, 0);
	COPY(r->id, st, 1);
	COPY(r->account, st, 2);
	COPY(r->region, st, 3);
	COPY(r->arn, st, 4);
	COPY(r->name, st, 5);
	COPY(r->bucket, st, 6);
}

enum err_code
store_storage_insert(struct store *s, const struct storage_rec *r, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_INSERT, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, r->id);
	store_bind_text(st, 2, r->account);
	store_bind_text(st, 3, r->region);
	store_bind_text(st, 4, r->arn);
	store_bind_text(st, 5, r->name);
	store_bind_text(st, 6, r->bucket);
	store_bind_int(st, 7, (long long)time(NULL));
	return store_run(st, e);
}

static void
read_storage(struct store_stmt *st, void *out)
{
	read_row(st, out);
}

enum err_code
store_storage_get(struct store *s, const char *account, const char *region,
    const char *id, struct storage_rec *out, struct err *e)
{
	return store_get_one(s, SQL_GET, id, account, region, read_storage, out, e);
}

enum err_code
store_storage_delete(struct store *s, const struct storage_rec *r, struct err *e)
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
	enum err_code (*each)(void *, const struct storage_rec *);
	void *arg;
};

static enum err_code
page_row(void *arg, struct store_stmt *st)
{
	struct walk *w = arg;
	struct storage_rec r;

	read_row(st, &r);
	return w->each(w->arg, &r);
}

enum err_code
store_storage_page(struct store *s, const char *account, const char *region,
    long long after, int limit, enum err_code (*each)(void *, const struct storage_rec *),
    void *arg, struct err *e)
{
	struct walk w = { each, arg };

	return store_page(s, SQL_PAGE, account, region, after, limit, page_row, &w, e);
}
