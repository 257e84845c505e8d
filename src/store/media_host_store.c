/* Queries on media_nodes and media_hosts (see media_host_store.h).
 * Portable SQL, parameters bound; each a key lookup or a range of
 * media_hosts_by_node. */

#include "store/media_host_store.h"

static const char SQL_BEAT[] =
    "INSERT INTO media_nodes (node, url, heartbeat_ms) VALUES (?, ?, ?) "
    "ON CONFLICT (node) DO UPDATE SET url = excluded.url, heartbeat_ms = excluded.heartbeat_ms";
static const char SQL_FORGET_HOSTS[] = "DELETE FROM media_hosts WHERE node = ?";
static const char SQL_FORGET_NODE[] = "DELETE FROM media_nodes WHERE node = ?";
static const char SQL_HOST_GET[] =
    "SELECT h.node, COALESCE(n.url, ''), COALESCE(n.heartbeat_ms, 0) FROM media_hosts h "
    "LEFT JOIN media_nodes n ON n.node = h.node WHERE h.stage_arn = ?";
static const char SQL_HOST_SET[] =
    "INSERT INTO media_hosts (stage_arn, node, since_ms) VALUES (?, ?, ?) "
    "ON CONFLICT (stage_arn) DO UPDATE SET node = excluded.node, since_ms = excluded.since_ms";
static const char SQL_HOST_DROP[] = "DELETE FROM media_hosts WHERE stage_arn = ? AND node = ?";
static const char SQL_HOSTS_PRUNE[] =
    "DELETE FROM media_hosts WHERE node = ? AND NOT EXISTS "
    "(SELECT 1 FROM stages WHERE stages.arn = media_hosts.stage_arn)";
static const char SQL_HOSTS_COUNT[] = "SELECT COUNT(*) FROM media_hosts WHERE node = ?";

/* The cached statement sql with the texts a and b (b may be NULL) bound. */
static struct store_stmt *
prepare2(struct store *s, const char *sql, const char *a, const char *b, struct err *e)
{
	struct store_stmt *st = store_sql(s, sql, e);

	if (st != NULL && a != NULL)
		store_bind_text(st, 1, a);
	if (st != NULL && b != NULL)
		store_bind_text(st, 2, b);
	return st;
}

/* Runs sql with the texts a and b and the time ms (its third parameter). */
static enum err_code
run_at(struct store *s, const char *sql, const char *a, const char *b, long long ms,
    struct err *e)
{
	struct store_stmt *st = prepare2(s, sql, a, b, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 3, ms);
	return store_run(st, e);
}

enum err_code
store_media_node_beat(struct store *s, const char *node, const char *url, long long now_ms,
    struct err *e)
{
	return run_at(s, SQL_BEAT, node, url, now_ms, e);
}

enum err_code
store_media_node_forget(struct store *s, const char *node, struct err *e)
{
	struct store_stmt *st = prepare2(s, SQL_FORGET_HOSTS, node, NULL, e);

	if (st == NULL || store_run(st, e) != ERR_OK)
		return e->code;
	if ((st = prepare2(s, SQL_FORGET_NODE, node, NULL, e)) == NULL)
		return e->code;
	return store_run(st, e);
}

enum err_code
store_media_host_get(struct store *s, const char *stage_arn, struct media_host *out,
    struct err *e)
{
	struct store_stmt *st = prepare2(s, SQL_HOST_GET, stage_arn, NULL, e);
	enum store_step r;

	if (st == NULL)
		return e->code;
	if ((r = store_step(st, e)) == STORE_ROW) {
		store_col_copy(st, 0, out->node, sizeof(out->node));
		store_col_copy(st, 1, out->url, sizeof(out->url));
		out->heartbeat_ms = store_col_int(st, 2);
	}
	store_reset(st);
	if (r == STORE_DONE)
		return err_set(e, ERR_NOT_FOUND, "no node hosts the media of %s", stage_arn);
	return r == STORE_ROW ? ERR_OK : e->code;
}

enum err_code
store_media_host_set(struct store *s, const char *stage_arn, const char *node, long long now_ms,
    struct err *e)
{
	return run_at(s, SQL_HOST_SET, stage_arn, node, now_ms, e);
}

enum err_code
store_media_host_drop(struct store *s, const char *stage_arn, const char *node, struct err *e)
{
	struct store_stmt *st = prepare2(s, SQL_HOST_DROP, stage_arn, node, e);

	return st ? store_run(st, e) : e->code;
}

enum err_code
store_media_hosts_prune(struct store *s, const char *node, struct err *e)
{
	struct store_stmt *st = prepare2(s, SQL_HOSTS_PRUNE, node, NULL, e);

	return st ? store_run(st, e) : e->code;
}

enum err_code
store_media_hosts_count(struct store *s, const char *node, long long *n, struct err *e)
{
	struct store_stmt *st = prepare2(s, SQL_HOSTS_COUNT, node, NULL, e);
	enum store_step r;

	if (st == NULL)
		return e->code;
	if ((r = store_step(st, e)) == STORE_ROW)
		*n = store_col_int(st, 0);
	store_reset(st);
	return r == STORE_ROW ? ERR_OK : e->code;
}
