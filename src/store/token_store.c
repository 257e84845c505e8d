/* Queries on the participant_tokens table. */
#include <stdio.h>
#include <string.h>

#include "store/token_store.h"

static const char SQL_INSERT[] =
    "INSERT INTO participant_tokens (participant_id, stage_arn, user_id, attributes, "
    "capabilities, duration, issued_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)";
static const char SQL_GET[] =
    "SELECT participant_id, stage_arn, user_id, attributes, capabilities, duration, "
    "issued_at, expires_at, revoked FROM participant_tokens WHERE participant_id = ?";
static const char SQL_REVOKE[] =
    "UPDATE participant_tokens SET revoked = 1 WHERE participant_id = ? AND stage_arn = ?";
static const char SQL_DELETE_STAGE[] = "DELETE FROM participant_tokens WHERE stage_arn = ?";

enum err_code
store_token_insert(struct store *s, const struct token_rec *r, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_INSERT, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, r->participant_id);
	store_bind_text(st, 2, r->stage_arn);
	store_bind_text(st, 3, r->user_id);
	store_bind_text(st, 4, r->attributes);
	store_bind_text(st, 5, r->capabilities);
	store_bind_int(st, 6, r->duration);
	store_bind_int(st, 7, r->issued_at);
	store_bind_int(st, 8, r->expires_at);
	return store_run(st, e);
}

enum err_code
store_token_get(struct store *s, const char *participant_id, struct token_rec *out,
    struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_GET, e);
	enum store_step r;

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, participant_id);
	if ((r = store_step(st, e)) == STORE_ROW) {
		store_col_copy(st, 0, out->participant_id, sizeof(out->participant_id));
		store_col_copy(st, 1, out->stage_arn, sizeof(out->stage_arn));
		store_col_copy(st, 2, out->user_id, sizeof(out->user_id));
		out->attributes = strdup(store_col_text(st, 3));
		store_col_copy(st, 4, out->capabilities, sizeof(out->capabilities));
		out->duration = (int)store_col_int(st, 5);
		out->issued_at = store_col_int(st, 6);
		out->expires_at = store_col_int(st, 7);
		out->revoked = (int)store_col_int(st, 8);
	}
	store_reset(st);
	if (r == STORE_DONE)
		return err_set(e, ERR_NOT_FOUND, "no record of participant %s", participant_id);
	return r == STORE_ROW ? ERR_OK : e->code;
}

enum err_code
store_tokens_delete_stage(struct store *s, const char *stage_arn, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_DELETE_STAGE, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, stage_arn);
	return store_run(st, e);
}

enum err_code
store_token_revoke(struct store *s, const char *stage_arn, const char *participant_id,
    struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_REVOKE, e);

	if (st == NULL)
		return e->code;
	store_bind_text(st, 1, participant_id);
	store_bind_text(st, 2, stage_arn);
	return store_run(st, e);
}
