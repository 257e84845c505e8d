/* Stage operations: CreateStage, GetStage, UpdateStage, DeleteStage,
 * ListStages. Domain rules live here; the store only reads and writes.
 *
 * Every handler receives input already validated against the model.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/ids.h"
#include "ivs/arn.h"
#include "ivs/endpoints.h"
#include "ivs/ivs.h"
#include "ivs/paging.h"
#include "ivs/quota.h"
#include "ivs/recording.h"
#include "store/stage_store.h"
#include "store/tag_store.h"
#include "store/token_store.h"

#define TYPE "stage"

/* The Stage object of the API; takes tags (NULL: none). */
static json_t *
stage_json(const struct call *c, const struct stage_rec *st, json_t *tags)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o}",
	    "arn", st->arn, "name", st->name,
	    "tags", tags ? tags : json_object(),
	    "autoParticipantRecordingConfiguration", recording_to_json(&st->rec),
	    "endpoints", endpoints_to_json(c->cfg, st));
}

/* As answer, adding "participantTokens" when tokens is not NULL (stolen). */
static enum err_code
answer_with(struct call *c, struct store *s, const struct stage_rec *st, json_t *tokens,
    json_t **out)
{
	json_t *tags = json_object();

	if (tags == NULL) {
		json_decref(tokens);
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	}
	if (store_tags_get(s, st->arn, tags, &c->err) != ERR_OK ||
	    store_commit(s, &c->err) != ERR_OK) {
		json_decref(tags);
		json_decref(tokens);
		return c->err.code;
	}
	*out = json_pack("{s:o}", "stage", stage_json(c, st, tags));
	if (*out != NULL && tokens != NULL)
		json_object_set_new(*out, "participantTokens", tokens);
	else
		json_decref(tokens);
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

/* Loads the caller's stage named by the arn member of in. A stage of
 * another account or region does not exist for the caller. */
static enum err_code
load(struct call *c, struct store *s, const json_t *in, struct stage_rec *st)
{
	const char *arn = json_string_value(json_object_get(in, "arn"));
	struct arn a;

	if (!arn_owned(arn, TYPE, c->who.account, c->who.region, &a) ||
	    store_stage_get(s, a.account, a.region, a.id, st, &c->err) == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	return c->err.code;
}

/* Answers {"stage": ...} for st with its stored tags, inside the open
 * transaction, which it commits. */
static enum err_code
answer(struct call *c, struct store *s, const struct stage_rec *st, json_t **out)
{
	return answer_with(c, s, st, NULL, out);
}

static enum err_code
check_token_configs(struct call *c, const json_t *configs)
{
	char where[96];
	json_t *conf;
	size_t i;

	json_array_foreach(configs, i, conf) {
		snprintf(where, sizeof(where), "participantTokenConfigurations.%zu.member.", i + 1);
		if (token_check(c, conf, where) != ERR_OK)
			return c->err.code;
	}
	return ERR_OK;
}

/* Issues one token per configuration, in order, into *issued. */
static enum err_code
issue_tokens(struct call *c, struct store *s, const struct stage_rec *st,
    const json_t *configs, json_t **issued)
{
	json_t *conf, *tok;
	size_t i;

	if ((*issued = json_array()) == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	json_array_foreach(configs, i, conf) {
		if (token_issue(c, s, st, conf, &tok) != ERR_OK) {
			json_decref(*issued);
			*issued = NULL;
			return c->err.code;
		}
		json_array_append_new(*issued, tok);
	}
	return ERR_OK;
}

enum err_code
stage_create(struct call *c, const json_t *in, json_t **out)
{
	const json_t *name = json_object_get(in, "name");
	const json_t *tags = json_object_get(in, "tags");
	const json_t *rec = json_object_get(in, "autoParticipantRecordingConfiguration");
	const json_t *tokens = json_object_get(in, "participantTokenConfigurations");
	struct stage_rec st;
	struct store *s;
	json_t *issued = NULL;

	if (tags && tags_check(c, tags) != ERR_OK)
		return c->err.code;
	if (tokens && check_token_configs(c, tokens) != ERR_OK)
		return c->err.code;
	memset(&st, 0, sizeof(st));
	if (ids_alnum(st.id, IDS_RESOURCE_LEN) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for a stage id");
	snprintf(st.account, sizeof(st.account), "%s", c->who.account);
	snprintf(st.region, sizeof(st.region), "%s", c->who.region);
	arn_format(st.arn, sizeof(st.arn), st.region, st.account, TYPE, st.id);
	snprintf(st.name, sizeof(st.name), "%s", name ? json_string_value(name) : "");
	if (rec != NULL)
		recording_from_json(rec, &st.rec);
	else
		recording_defaults(&st.rec);

	if ((s = store_thread(&c->err)) == NULL || store_begin(s, 1, &c->err) != ERR_OK)
		return c->err.code;
	if (storage_check_ref(c, s, st.rec.storage_arn) != ERR_OK ||
	    quota_take(c, s, QUOTA_STAGES) != ERR_OK ||
	    store_stage_insert(s, &st, &c->err) != ERR_OK ||
	    (tags && tags_save(c, s, st.arn, tags) != ERR_OK) ||
	    (tokens && issue_tokens(c, s, &st, tokens, &issued) != ERR_OK)) {
		store_rollback(s);
		return c->err.code;
	}
	if (answer_with(c, s, &st, issued, out) != ERR_OK) {
		store_rollback(s);
		return c->err.code;
	}
	return ERR_OK;
}

enum err_code
stage_get(struct call *c, const json_t *in, json_t **out)
{
	struct stage_rec st;
	struct store *s;

	if ((s = store_thread(&c->err)) == NULL || store_begin(s, 0, &c->err) != ERR_OK)
		return c->err.code;
	if (load(c, s, in, &st) != ERR_OK || answer(c, s, &st, out) != ERR_OK) {
		store_rollback(s);
		return c->err.code;
	}
	return ERR_OK;
}

enum err_code
stage_update(struct call *c, const json_t *in, json_t **out)
{
	const json_t *name = json_object_get(in, "name");
	const json_t *rec = json_object_get(in, "autoParticipantRecordingConfiguration");
	struct stage_rec st;
	struct store *s;

	if ((s = store_thread(&c->err)) == NULL || store_begin(s, 1, &c->err) != ERR_OK)
		return c->err.code;
	if (load(c, s, in, &st) != ERR_OK)
		goto fail;
	if (name != NULL)
		snprintf(st.name, sizeof(st.name), "%s", json_string_value(name));
	if (rec != NULL) {
		recording_from_json(rec, &st.rec);
		if (storage_check_ref(c, s, st.rec.storage_arn) != ERR_OK)
			goto fail;
	}
	if (store_stage_update(s, &st, &c->err) != ERR_OK || answer(c, s, &st, out) != ERR_OK)
		goto fail;
	return ERR_OK;
fail:
	store_rollback(s);
	return c->err.code;
}

enum err_code
stage_delete(struct call *c, const json_t *in, json_t **out)
{
	struct stage_rec st;
	struct store *s;

	if ((s = store_thread(&c->err)) == NULL || store_begin(s, 1, &c->err) != ERR_OK)
		return c->err.code;
	if (load(c, s, in, &st) != ERR_OK || quota_release(c, s, QUOTA_STAGES) != ERR_OK ||
	    store_tokens_delete_stage(s, st.arn, &c->err) != ERR_OK ||
	    store_stage_delete(s, &st, &c->err) != ERR_OK || store_commit(s, &c->err) != ERR_OK) {
		store_rollback(s);
		return c->err.code;
	}
	*out = json_object();
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

struct list {
	struct call *c;
	struct store *s;
	struct paging p;
};

static enum err_code
add_summary(void *arg, const struct stage_rec *st)
{
	struct list *l = arg;
	json_t *tags;

	if (paging_full(&l->p))
		return ERR_OK;
	if ((tags = json_object()) == NULL)
		return err_set(&l->c->err, ERR_INTERNAL, "out of memory");
	if (store_tags_get(l->s, st->arn, tags, &l->c->err) != ERR_OK) {
		json_decref(tags);
		return l->c->err.code;
	}
	return paging_add(l->c, &l->p, json_pack("{s:s, s:s, s:o}", "arn", st->arn,
	    "name", st->name, "tags", tags), st->seq);
}

enum err_code
stage_list(struct call *c, const json_t *in, json_t **out)
{
	struct list l = { .c = c };

	if (paging_start(c, in, "ListStages", &l.p) != ERR_OK)
		return c->err.code;
	if ((l.s = store_thread(&c->err)) == NULL || store_begin(l.s, 0, &c->err) != ERR_OK)
		goto fail;
	if (store_stage_page(l.s, c->who.account, c->who.region, l.p.after, l.p.want + 1,
	    add_summary, &l, &c->err) != ERR_OK || store_commit(l.s, &c->err) != ERR_OK) {
		store_rollback(l.s);
		goto fail;
	}
	return paging_finish(c, &l.p, "stages", out);
fail:
	paging_abort(&l.p);
	return c->err.code;
}
