/* Queries on the tags table. */
#include "store/tag_store.h"

static const char SQL_GET[] =
    "SELECT tag_key, tag_value FROM tags WHERE resource_arn = ? ORDER BY tag_key";
static const char SQL_PUT[] =
    "INSERT INTO tags (resource_arn, tag_key, tag_value) VALUES (?, ?, ?) "
    "ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value";
static const char SQL_DELETE[] = "DELETE FROM tags WHERE resource_arn = ? AND tag_key = ?";
static const char SQL_DELETE_ALL[] = "DELETE FROM tags WHERE resource_arn = ?";

enum err_code
store_tags_each(struct store *s, const char *arn,
    void (*each)(void *, const char *, const char *), void *arg, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_GET, e);
	enum store_step step;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, arn);
	while ((step = store_step(st, e)) == STORE_ROW)
		each(arg, store_col_text(st, 0), store_col_text(st, 1));
	store_reset(st);
	return step == STORE_DONE ? ERR_OK : e->code;
}

static void
add_to_object(void *obj, const char *key, const char *value)
{
	json_object_set_new(obj, key, json_string(value));
}

enum err_code
store_tags_get(struct store *s, const char *arn, json_t *obj, struct err *e)
{
	return store_tags_each(s, arn, add_to_object, obj, e);
}

enum err_code
store_tag_put(struct store *s, const char *arn, const char *key, const char *value,
    struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_PUT, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, arn);
	store_bind_text(st, 2, key);
	store_bind_text(st, 3, value);
	return store_run(st, e);
}

enum err_code
store_tag_delete(struct store *s, const char *arn, const char *key, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_DELETE, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, arn);
	store_bind_text(st, 2, key);
	return store_run(st, e);
}

enum err_code
store_tags_delete_all(struct store *s, const char *arn, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_DELETE_ALL, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, arn);
	return store_run(st, e);
}

