/* Queries on the resource_requests table. Portable SQL, parameters bound. */
#include <stdlib.h>
#include <string.h>

#include "store/request_store.h"

#define COLS "seq, token, account, region, COALESCE(client_token, ''), fingerprint, " \
	"type_name, identifier, operation, status, status_message, error_code, " \
	"resource_model, event_ms, created_ms"

static const char SQL_INSERT[] =
    "INSERT INTO resource_requests (token, account, region, client_token, fingerprint, "
    "type_name, identifier, operation, status, status_message, error_code, resource_model, "
    "event_ms, created_ms) VALUES (?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_FINISH[] =
    "UPDATE resource_requests SET status = CASE WHEN status = 'CANCEL_IN_PROGRESS' "
    "THEN 'CANCEL_COMPLETE' ELSE ? END, identifier = ?, status_message = ?, error_code = ?, "
    "resource_model = ?, event_ms = ? WHERE token = ? RETURNING status";
static const char SQL_CANCEL[] =
    "UPDATE resource_requests SET status = 'CANCEL_IN_PROGRESS' "
    "WHERE token = ? AND status = 'IN_PROGRESS'";
static const char SQL_GET[] =
    "SELECT " COLS " FROM resource_requests WHERE token = ? "
    "AND (account || '') = ? AND (region || '') = ?";	/* by token alone: see stage_store.c */
static const char SQL_BY_CLIENT_TOKEN[] =
    "SELECT " COLS " FROM resource_requests WHERE client_token = ? AND account = ? "
    "AND region = ?";
static const char SQL_PAGE[] =
    "SELECT " COLS " FROM resource_requests WHERE account = ? AND region = ? AND seq < ? "
    "AND created_ms >= ? AND ? LIKE '%,' || operation || ',%' "
    "AND ? LIKE '%,' || status || ',%' ORDER BY seq DESC LIMIT ?";
static const char SQL_EXPIRE[] = "DELETE FROM resource_requests WHERE created_ms < ?";

#define COPY(dst, st, i) store_col_copy((st), (i), (dst), sizeof(dst))

/* Reads the current row; r->model is malloc'd (NULL when out of memory). */
static void
read_row(struct store_stmt *st, struct request_rec *r)
{
	r->seq = store_col_int(st, 0);
	COPY(r->token, st, 1);
	COPY(r->account, st, 2);
	COPY(r->region, st, 3);
	COPY(r->client_token, st, 4);
	COPY(r->fingerprint, st, 5);
	COPY(r->type_name, st, 6);
	COPY(r->identifier, st, 7);
	COPY(r->operation, st, 8);
	COPY(r->status, st, 9);
	COPY(r->message, st, 10);
	COPY(r->error_code, st, 11);
	r->model = strdup(store_col_text(st, 12));
	r->event_ms = store_col_int(st, 13);
	r->created_ms = store_col_int(st, 14);
}

enum err_code
store_request_insert(struct store *s, const struct request_rec *r, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_INSERT, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, r->token);
	store_bind_text(st, 2, r->account);
	store_bind_text(st, 3, r->region);
	store_bind_text(st, 4, r->client_token);
	store_bind_text(st, 5, r->fingerprint);
	store_bind_text(st, 6, r->type_name);
	store_bind_text(st, 7, r->identifier);
	store_bind_text(st, 8, r->operation);
	store_bind_text(st, 9, r->status);
	store_bind_text(st, 10, r->message);
	store_bind_text(st, 11, r->error_code);
	store_bind_text(st, 12, r->model ? r->model : "");
	store_bind_int(st, 13, r->event_ms);
	store_bind_int(st, 14, r->created_ms);
	return store_run(st, e);
}

enum err_code
store_request_finish(struct store *s, struct request_rec *r, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_FINISH, e);
	enum store_step step;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, r->status);
	store_bind_text(st, 2, r->identifier);
	store_bind_text(st, 3, r->message);
	store_bind_text(st, 4, r->error_code);
	store_bind_text(st, 5, r->model ? r->model : "");
	store_bind_int(st, 6, r->event_ms);
	store_bind_text(st, 7, r->token);
	if ((step = store_step(st, e)) == STORE_ROW)
		store_col_copy(st, 0, r->status, sizeof(r->status));
	store_reset(st);
	if (step == STORE_DONE)
		return err_set(e, ERR_NOT_FOUND, "no resource request %s", r->token);
	return step == STORE_ROW ? ERR_OK : e->code;
}

enum err_code
store_request_cancel(struct store *s, const char *token, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_CANCEL, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, token);
	return store_run(st, e);
}

static void
read_request(struct store_stmt *st, void *out)
{
	read_row(st, out);
}

/* The request sql finds by (key, account, region), if made at or after
 * since_ms. */
static enum err_code
get_by(struct store *s, const char *sql, const char *key, const char *account,
    const char *region, long long since_ms, struct request_rec *out, struct err *e)
{
	out->model = NULL;
	if (store_get_one(s, sql, key, account, region, read_request, out, e) != ERR_OK)
		return e->code;
	if (out->model == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (out->created_ms < since_ms) {	/* expired: as good as deleted */
		free(out->model);
		out->model = NULL;
		return err_set(e, ERR_NOT_FOUND, "no resource request %s", key);
	}
	return ERR_OK;
}

enum err_code
store_request_get(struct store *s, const char *account, const char *region, const char *token,
    long long since_ms, struct request_rec *out, struct err *e)
{
	return get_by(s, SQL_GET, token, account, region, since_ms, out, e);
}

enum err_code
store_request_by_client_token(struct store *s, const char *account, const char *region,
    const char *client_token, long long since_ms, struct request_rec *out, struct err *e)
{
	return get_by(s, SQL_BY_CLIENT_TOKEN, client_token, account, region, since_ms, out, e);
}

enum err_code
store_request_page(struct store *s, const char *account, const char *region, long long before,
    int limit, const char *ops, const char *statuses, long long since_ms,
    enum err_code (*row)(void *, const struct request_rec *), void *arg, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_PAGE, e);
	struct request_rec r;
	enum store_step step;
	enum err_code rc = ERR_OK;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, account);
	store_bind_text(st, 2, region);
	store_bind_int(st, 3, before);
	store_bind_int(st, 4, since_ms);
	store_bind_text(st, 5, ops);
	store_bind_text(st, 6, statuses);
	store_bind_int(st, 7, limit);
	while ((step = store_step(st, e)) == STORE_ROW) {
		read_row(st, &r);
		rc = r.model ? row(arg, &r) : err_set(e, ERR_INTERNAL, "out of memory");
		free(r.model);
		if (rc != ERR_OK)
			break;
	}
	if (rc == ERR_OK && step == STORE_FAILED)
		rc = e->code;
	store_reset(st);
	return rc;
}

enum err_code
store_request_expire(struct store *s, long long before_ms, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_EXPIRE, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, before_ms);
	return store_run(st, e);
}
