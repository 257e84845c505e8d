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
#include "ivs/page_token.h"
#include "ivs/recording.h"
#include "store/stage_store.h"

#define DEFAULT_PAGE 50

/* The Stage object of the API. Caller owns the result. */
static json_t *
stage_json(const struct call *c, const struct stage_rec *st, json_t *tags)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o}",
	    "arn", st->arn, "name", st->name,
	    "tags", tags ? tags : json_object(),
	    "autoParticipantRecordingConfiguration", recording_to_json(&st->rec),
	    "endpoints", endpoints_to_json(c->cfg, st));
}

/* Loads the caller's stage named by the arn member of in. A stage of
 * another account or region does not exist for the caller. */
static enum err_code
load(struct call *c, struct store *s, const json_t *in, struct stage_rec *st)
{
	const char *arn = json_string_value(json_object_get(in, "arn"));
	struct arn a;

	if (arn_parse(arn, &a) != 0 || strcmp(a.type, "stage") != 0 ||
	    strcmp(a.account, c->who.account) != 0 || strcmp(a.region, c->who.region) != 0)
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	if (store_stage_get(s, a.account, a.region, a.id, st, &c->err) == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	return c->err.code;
}

static enum err_code
put_tags(struct store *s, const char *arn, const json_t *tags, struct err *e)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)tags, k, v)
		if (store_tag_put(s, arn, k, json_string_value(v), e) != ERR_OK)
			return e->code;
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
	json_t *tag_copy;

	if (json_array_size(tokens) > 0)
		return err_set(&c->err, ERR_NOT_IMPLEMENTED, "rtstage does not issue "
		    "participant tokens from CreateStage yet; call CreateStage without "
		    "participantTokenConfigurations");
	memset(&st, 0, sizeof(st));
	if (ids_alnum(st.id, IDS_RESOURCE_LEN) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for a stage id");
	snprintf(st.account, sizeof(st.account), "%s", c->who.account);
	snprintf(st.region, sizeof(st.region), "%s", c->who.region);
	arn_format(st.arn, sizeof(st.arn), st.region, st.account, "stage", st.id);
	snprintf(st.name, sizeof(st.name), "%s", name ? json_string_value(name) : "");
	if (rec != NULL)
		recording_from_json(rec, &st.rec);
	else
		recording_defaults(&st.rec);

	if ((s = store_thread(&c->err)) == NULL)
		return c->err.code;
	if (store_begin(s, 1, &c->err) != ERR_OK)
		return c->err.code;
	if (store_stage_insert(s, &st, &c->err) != ERR_OK ||
	    (tags && put_tags(s, st.arn, tags, &c->err) != ERR_OK) ||
	    store_commit(s, &c->err) != ERR_OK) {
		store_rollback(s);
		return c->err.code;
	}
	tag_copy = tags ? json_deep_copy(tags) : json_object();
	*out = json_pack("{s:o}", "stage", stage_json(c, &st, tag_copy));
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

enum err_code
stage_get(struct call *c, const json_t *in, json_t **out)
{
	struct stage_rec st;
	struct store *s;
	json_t *tags = json_object();

	if ((s = store_thread(&c->err)) == NULL || store_begin(s, 0, &c->err) != ERR_OK)
		goto fail;
	if (load(c, s, in, &st) != ERR_OK || store_tags_get(s, st.arn, tags, &c->err) != ERR_OK ||
	    store_commit(s, &c->err) != ERR_OK)
		goto fail;
	*out = json_pack("{s:o}", "stage", stage_json(c, &st, tags));
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
fail:
	if (s != NULL)
		store_rollback(s);
	json_decref(tags);
	return c->err.code;
}

enum err_code
stage_update(struct call *c, const json_t *in, json_t **out)
{
	const json_t *name = json_object_get(in, "name");
	const json_t *rec = json_object_get(in, "autoParticipantRecordingConfiguration");
	struct stage_rec st;
	struct store *s;
	json_t *tags = json_object();

	if ((s = store_thread(&c->err)) == NULL || store_begin(s, 1, &c->err) != ERR_OK)
		goto fail;
	if (load(c, s, in, &st) != ERR_OK)
		goto fail;
	if (name != NULL)
		snprintf(st.name, sizeof(st.name), "%s", json_string_value(name));
	if (rec != NULL)
		recording_from_json(rec, &st.rec);
	if (store_stage_update(s, &st, &c->err) != ERR_OK ||
	    store_tags_get(s, st.arn, tags, &c->err) != ERR_OK ||
	    store_commit(s, &c->err) != ERR_OK)
		goto fail;
	*out = json_pack("{s:o}", "stage", stage_json(c, &st, tags));
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
fail:
	if (s != NULL)
		store_rollback(s);
	json_decref(tags);
	return c->err.code;
}

enum err_code
stage_delete(struct call *c, const json_t *in, json_t **out)
{
	struct stage_rec st;
	struct store *s;

	if ((s = store_thread(&c->err)) == NULL || store_begin(s, 1, &c->err) != ERR_OK)
		goto fail;
	if (load(c, s, in, &st) != ERR_OK || store_stage_delete(s, &st, &c->err) != ERR_OK ||
	    store_commit(s, &c->err) != ERR_OK)
		goto fail;
	*out = json_object();
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
fail:
	if (s != NULL)
		store_rollback(s);
	return c->err.code;
}

struct page {
	struct call *c;
	struct store *s;
	json_t *list;
	int want;		/* page size; one more row tells a next page exists */
	long long last;		/* seq of the last summary added */
	int more;
};

static enum err_code
add_summary(void *arg, const struct stage_rec *st)
{
	struct page *p = arg;
	json_t *tags, *sum;

	if ((int)json_array_size(p->list) == p->want) {
		p->more = 1;
		return ERR_OK;
	}
	if ((tags = json_object()) == NULL ||
	    store_tags_get(p->s, st->arn, tags, &p->c->err) != ERR_OK) {
		json_decref(tags);
		return p->c->err.code ? p->c->err.code : ERR_INTERNAL;
	}
	sum = json_pack("{s:s, s:s, s:o}", "arn", st->arn, "name", st->name, "tags", tags);
	if (sum == NULL || json_array_append_new(p->list, sum) != 0)
		return err_set(&p->c->err, ERR_INTERNAL, "out of memory");
	p->last = st->seq;
	return ERR_OK;
}

enum err_code
stage_list(struct call *c, const json_t *in, json_t **out)
{
	const json_t *max = json_object_get(in, "maxResults");
	const char *token = json_string_value(json_object_get(in, "nextToken"));
	struct page p = { .c = c, .want = max ? (int)json_integer_value(max) : DEFAULT_PAGE };
	char scope[128], next[PAGE_TOKEN_MAX];
	long long after = 0;

	snprintf(scope, sizeof(scope), "ListStages|%s|%s", c->who.account, c->who.region);
	if (token != NULL && *token != '\0' &&
	    page_token_decode(ivs_page_key(), scope, token, &after, &c->err) != ERR_OK)
		return c->err.code;
	if ((p.s = store_thread(&c->err)) == NULL || (p.list = json_array()) == NULL)
		return p.s ? err_set(&c->err, ERR_INTERNAL, "out of memory") : c->err.code;
	if (store_begin(p.s, 0, &c->err) != ERR_OK ||
	    store_stage_page(p.s, c->who.account, c->who.region, after, p.want + 1,
	    add_summary, &p, &c->err) != ERR_OK ||
	    store_commit(p.s, &c->err) != ERR_OK) {
		store_rollback(p.s);
		json_decref(p.list);
		return c->err.code;
	}
	*out = json_pack("{s:o}", "stages", p.list);
	if (*out != NULL && p.more) {
		if (page_token_encode(ivs_page_key(), scope, p.last, next) != 0)
			return err_set(&c->err, ERR_INTERNAL, "cannot sign the page token");
		json_object_set_new(*out, "nextToken", json_string(next));
	}
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}
