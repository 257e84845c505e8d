/* Queries on the stages and tags tables. Portable SQL, parameters bound. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/stage_store.h"
#include "store/tag_store.h"

/* The stage's active session id, NULL (read as "") when none: one probe
 * of the unique index stage_sessions_active. */
#define ACTIVE_SESSION "(SELECT x.id FROM stage_sessions x WHERE x.stage_arn = s.arn " \
	"AND x.end_ms = 0)"
#define STAGE_COLS "s.seq, s.id, s.account, s.region, s.arn, s.name, s.rec_storage_arn, " \
	"s.rec_media_types, s.rec_thumb_interval, s.rec_thumb_storage, s.rec_thumb_mode, " \
	"s.rec_reconnect_window, s.rec_hls_segment, s.rec_replicas, " ACTIVE_SESSION
#define TAG_KEY_COL 15		/* after STAGE_COLS: tag_key, tag_value; NULL without tags */

static const char SQL_INSERT[] =
    "INSERT INTO stages (id, account, region, arn, name, rec_storage_arn, "
    "rec_media_types, rec_thumb_interval, rec_thumb_storage, rec_thumb_mode, "
    "rec_reconnect_window, rec_hls_segment, rec_replicas, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/* A stage is looked up by its unique id; the owner test is written so that
 * no planner can answer it from stages_by_owner instead (PostgreSQL did,
 * scanning an account's every stage, while its statistics were young). */
#define BY_ID "s.id = ? AND (s.account || '') = ? AND (s.region || '') = ?"

static const char SQL_GET[] =
    "SELECT " STAGE_COLS " FROM stages s WHERE " BY_ID;
static const char SQL_UPDATE[] =
    "UPDATE stages SET name = ?, rec_storage_arn = ?, rec_media_types = ?, "
    "rec_thumb_interval = ?, rec_thumb_storage = ?, rec_thumb_mode = ?, "
    "rec_reconnect_window = ?, rec_hls_segment = ?, rec_replicas = ? WHERE id = ?";
static const char SQL_DELETE[] = "DELETE FROM stages WHERE id = ?";
static const char SQL_READ[] =
    "SELECT " STAGE_COLS ", t.tag_key, t.tag_value FROM stages s "
    "LEFT JOIN tags t ON t.resource_arn = s.arn "
    "WHERE " BY_ID " ORDER BY t.tag_key";
/* the page first (an index range), then its tags */
static const char SQL_PAGE[] =
    "SELECT s.seq, s.arn, s.name, " ACTIVE_SESSION ", t.tag_key, t.tag_value FROM "
    "(SELECT seq, arn, name FROM stages WHERE account = ? AND region = ? AND seq > ? "
    "ORDER BY seq LIMIT ?) s LEFT JOIN tags t ON t.resource_arn = s.arn ORDER BY s.seq, t.tag_key";
#define PAGE_TAG_KEY_COL 4
/* the same page with every column of its stages */
static const char SQL_PAGE_FULL[] =
    "SELECT " STAGE_COLS ", t.tag_key, t.tag_value FROM "
    "(SELECT * FROM stages WHERE account = ? AND region = ? AND seq > ? "
    "ORDER BY seq LIMIT ?) s LEFT JOIN tags t ON t.resource_arn = s.arn ORDER BY s.seq, t.tag_key";

#define COPY(dst, st, i) store_col_copy((st), (i), (dst), sizeof(dst))

static void
read_row(struct store_stmt *st, struct stage_rec *r)
{
	r->seq = store_col_int(st, 0);
	COPY(r->id, st, 1);
	COPY(r->account, st, 2);
	COPY(r->region, st, 3);
	COPY(r->arn, st, 4);
	COPY(r->name, st, 5);
	COPY(r->rec.storage_arn, st, 6);
	COPY(r->rec.media_types, st, 7);
	r->rec.thumb_interval = (int)store_col_int(st, 8);
	COPY(r->rec.thumb_storage, st, 9);
	COPY(r->rec.thumb_mode, st, 10);
	r->rec.reconnect_window = (int)store_col_int(st, 11);
	r->rec.hls_segment = (int)store_col_int(st, 12);
	r->rec.record_replicas = (int)store_col_int(st, 13);
	COPY(r->active_session_id, st, 14);
}

/* Binds name and the recording from parameter i on; returns the next index. */
static int
bind_body(struct store_stmt *st, int i, const struct stage_rec *r)
{
	store_bind_text(st, i++, r->name);
	store_bind_text(st, i++, r->rec.storage_arn);
	store_bind_text(st, i++, r->rec.media_types);
	store_bind_int(st, i++, r->rec.thumb_interval);
	store_bind_text(st, i++, r->rec.thumb_storage);
	store_bind_text(st, i++, r->rec.thumb_mode);
	store_bind_int(st, i++, r->rec.reconnect_window);
	store_bind_int(st, i++, r->rec.hls_segment);
	store_bind_int(st, i++, r->rec.record_replicas);
	return i;
}

enum err_code
store_stage_insert(struct store *s, const struct stage_rec *r, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_INSERT, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, r->id);
	store_bind_text(st, 2, r->account);
	store_bind_text(st, 3, r->region);
	store_bind_text(st, 4, r->arn);
	store_bind_int(st, bind_body(st, 5, r), (long long)time(NULL));
	return store_run(st, e);
}

static void
read_stage(struct store_stmt *st, void *out)
{
	read_row(st, out);
}

enum err_code
store_stage_get(struct store *s, const char *account, const char *region,
    const char *id, struct stage_rec *out, struct err *e)
{
	return store_get_one(s, SQL_GET, id, account, region, read_stage, out, e);
}

enum err_code
store_stage_update(struct store *s, const struct stage_rec *r, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_UPDATE, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, bind_body(st, 1, r), r->id);
	return store_run(st, e);
}

enum err_code
store_stage_delete(struct store *s, const struct stage_rec *r, struct err *e)
{
	struct store_stmt *st;

	if (store_tags_delete_all(s, r->arn, e) != ERR_OK)
		return e->code;
	if ((st = store_sql(s, SQL_DELETE, e)) == NULL)
		return e->code;
	store_bind_text(st, 1, r->id);
	return store_run(st, e);
}

enum err_code
store_stage_read(struct store *s, const char *account, const char *region,
    const char *id, struct stage_rec *out, void (*tag)(void *, const char *, const char *),
    void *arg, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_READ, e);
	enum store_step r;
	const char *k;
	int rows = 0;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, account);
	store_bind_text(st, 3, region);
	while ((r = store_step(st, e)) == STORE_ROW) {
		if (rows++ == 0)
			read_row(st, out);
		if (*(k = store_col_text(st, TAG_KEY_COL)) != '\0')	/* "" is the join's NULL */
			tag(arg, k, store_col_text(st, TAG_KEY_COL + 1));
	}
	store_reset(st);
	if (r == STORE_FAILED)
		return e->code;
	if (rows == 0)
		return err_set(e, ERR_NOT_FOUND, "Stage not found: no stage with id '%s' "
		    "in account %s, region %s", id, account, region);
	return ERR_OK;
}

struct page_walk {
	enum err_code (*row)(void *, const struct stage_summary *, const char *, const char *);
	void *arg;
	struct stage_summary r;		/* the stage of the current rows */
};

static enum err_code
page_row(void *arg, struct store_stmt *st)
{
	struct page_walk *w = arg;
	const char *k;

	if (store_col_int(st, 0) != w->r.seq) {
		w->r.seq = store_col_int(st, 0);
		store_col_copy(st, 1, w->r.arn, sizeof(w->r.arn));
		store_col_copy(st, 2, w->r.name, sizeof(w->r.name));
		store_col_copy(st, 3, w->r.active_session_id, sizeof(w->r.active_session_id));
	}
	k = store_col_text(st, PAGE_TAG_KEY_COL);	/* "" is the join's NULL */
	return w->row(w->arg, &w->r, *k ? k : NULL, store_col_text(st, PAGE_TAG_KEY_COL + 1));
}

enum err_code
store_stage_page(struct store *s, const char *account, const char *region,
    long long after, int limit,
    enum err_code (*row)(void *, const struct stage_summary *, const char *, const char *),
    void *arg, struct err *e)
{
	struct page_walk w = { .row = row, .arg = arg, .r = { .seq = -1 } };

	return store_page(s, SQL_PAGE, account, region, after, limit, page_row, &w, e);
}

struct full_walk {
	enum err_code (*row)(void *, const struct stage_rec *, const char *, const char *);
	void *arg;
	struct stage_rec r;		/* the stage of the current rows */
};

static enum err_code
full_row(void *arg, struct store_stmt *st)
{
	struct full_walk *w = arg;
	const char *k;

	if (store_col_int(st, 0) != w->r.seq)
		read_row(st, &w->r);
	k = store_col_text(st, TAG_KEY_COL);	/* "" is the join's NULL */
	return w->row(w->arg, &w->r, *k ? k : NULL, store_col_text(st, TAG_KEY_COL + 1));
}

enum err_code
store_stage_page_full(struct store *s, const char *account, const char *region,
    long long after, int limit,
    enum err_code (*row)(void *, const struct stage_rec *, const char *, const char *),
    void *arg, struct err *e)
{
	struct full_walk w = { .row = row, .arg = arg, .r = { .seq = -1 } };

	return store_page(s, SQL_PAGE_FULL, account, region, after, limit, full_row, &w, e);
}

static const char SQL_IN_USE[] = "SELECT 1 FROM stages WHERE rec_storage_arn = ? LIMIT 1";

enum err_code
store_stage_uses_storage(struct store *s, const char *storage_arn, int *used, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_IN_USE, e);
	enum store_step r;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, storage_arn);
	r = store_step(st, e);
	store_reset(st);
	*used = r == STORE_ROW;
	return r == STORE_FAILED ? e->code : ERR_OK;
}
