/* Stages: the typed calls of stage.h, where the stage rules live, and the
 * ivs-realtime operations CreateStage, GetStage, UpdateStage, DeleteStage,
 * ListStages as thin edges over them (JSON -> spec -> typed call in one
 * store job -> JSON). The store only reads and writes.
 *
 * Every handler receives input already validated against the model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ids.h"
#include "ivs/arn.h"
#include "ivs/endpoints.h"
#include "ivs/ivs.h"
#include "ivs/page_token.h"
#include "ivs/paging.h"
#include "ivs/quota.h"
#include "ivs/recording.h"
#include "ivs/session.h"
#include "ivs/stage.h"
#include "store/stage_store.h"
#include "store/tag_store.h"
#include "store/token_store.h"
#include "util/jsonw.h"

#define TYPE "stage"

/* Appends the tags of t as the members of a JSON object to b. */
static void
tags_text(struct buf *b, const struct tag_set *t)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++) {
		if (i > 0)
			buf_puts(b, ",");
		jsonw_string(b, t->v[i].key, strlen(t->v[i].key));
		buf_puts(b, ":");
		jsonw_string(b, t->v[i].value, strlen(t->v[i].value));
	}
}

/* Answers {"stage": {...}} (and "participantTokens" when tokens is not
 * NULL) as text. */
static enum err_code
answer(struct call *c, const struct stage_rec *st, const struct tag_set *tags,
    const json_t *tokens)
{
	char *issued = tokens ? json_dumps(tokens, JSON_COMPACT) : NULL;
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "{\"stage\":{\"arn\":");
	jsonw_string(&b, st->arn, strlen(st->arn));
	buf_puts(&b, ",\"name\":");
	jsonw_string(&b, st->name, strlen(st->name));
	buf_puts(&b, ",\"tags\":{");
	tags_text(&b, tags);
	buf_puts(&b, "},\"autoParticipantRecordingConfiguration\":");
	recording_write(&b, &st->rec);
	buf_puts(&b, ",\"endpoints\":");
	endpoints_write(&b, c->cfg, st);
	if (st->active_session_id[0] != '\0') {
		buf_puts(&b, ",\"activeSessionId\":");
		jsonw_string(&b, st->active_session_id, strlen(st->active_session_id));
	}
	buf_puts(&b, "}");
	if (issued != NULL) {
		buf_puts(&b, ",\"participantTokens\":");
		buf_puts(&b, issued);
	}
	buf_puts(&b, "}");
	free(issued);
	if (b.truncated || (tokens != NULL && issued == NULL)) {
		buf_free(&b);
		return err_set(&c->err, ERR_INTERNAL, "response too large or out of memory");
	}
	c->text_out = buf_take(&b);
	return ERR_OK;
}

/* ---- the typed calls --------------------------------------------------------- */

/* The reset rule: without a storage configuration, recording is off and
 * every other member takes its default. */
static void
reset_rule(struct recording *r)
{
	if (r->storage_arn[0] == '\0')
		recording_defaults(r);
}

enum err_code
stage_prepare(struct call *c, const struct stage_spec *spec, struct stage_rec *st)
{
	memset(st, 0, sizeof(*st));
	if (ids_alnum(st->id, IDS_RESOURCE_LEN) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for a stage id");
	snprintf(st->account, sizeof(st->account), "%s", c->who.account);
	snprintf(st->region, sizeof(st->region), "%s", c->who.region);
	arn_format(st->arn, sizeof(st->arn), st->region, st->account, TYPE, st->id);
	snprintf(st->name, sizeof(st->name), "%s", spec->name ? spec->name : "");
	if (spec->rec != NULL)
		st->rec = *spec->rec;
	else
		recording_defaults(&st->rec);
	reset_rule(&st->rec);
	return ERR_OK;
}

enum err_code
stage_create_in(struct call *c, struct store *s, const struct stage_rec *st,
    const struct tag_set *tags)
{
	if (storage_check_ref(c, s, st->rec.storage_arn) != ERR_OK ||
	    tags_check_keys(c, tags) != ERR_OK ||
	    quota_take(c, s, QUOTA_STAGES) != ERR_OK ||
	    store_stage_insert(s, st, &c->err) != ERR_OK ||
	    tags_attach_in(c, s, st->arn, tags) != ERR_OK)
		return c->err.code;
	return ERR_OK;
}

enum err_code
stage_load_in(struct call *c, struct store *s, const char *arn, struct stage_rec *st,
    struct tag_set *tags)
{
	struct tag_set ignored;
	struct tag_load l = { .t = tags ? tags : &ignored, .e = { .code = ERR_OK } };
	struct arn a;
	enum err_code rc;

	tag_set_init(&ignored);
	tag_set_free(tags);
	if (!arn_owned(arn, TYPE, c->who.account, c->who.region, &a))
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	if (tags != NULL)
		rc = store_stage_read(s, a.account, a.region, a.id, st, tag_load_row, &l, &c->err);
	else
		rc = store_stage_get(s, a.account, a.region, a.id, st, &c->err);
	if (rc == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	if (rc == ERR_OK && l.e.code != ERR_OK)
		rc = err_set(&c->err, l.e.code, "%s", l.e.msg);
	return rc;
}

enum err_code
stage_apply_in(struct call *c, struct store *s, struct stage_rec *st,
    const struct stage_spec *ch)
{
	struct stage_rec next = *st;

	if (ch->name != NULL)
		snprintf(next.name, sizeof(next.name), "%s", ch->name);
	if (ch->rec != NULL) {
		next.rec = *ch->rec;
		reset_rule(&next.rec);
		if (storage_check_ref(c, s, next.rec.storage_arn) != ERR_OK)
			return c->err.code;
	}
	/* the tag rules are checked before the tags are written, and nothing
	 * that can be refused comes after them */
	if (ch->tags != NULL && tags_replace_in(c, s, st->arn, ch->tags) != ERR_OK)
		return c->err.code;
	if ((ch->name != NULL || ch->rec != NULL) && store_stage_update(s, &next, &c->err) != ERR_OK)
		return c->err.code;
	*st = next;
	return ERR_OK;
}

enum err_code
stage_delete_in(struct call *c, struct store *s, const char *arn)
{
	struct stage_rec st;

	if (stage_load_in(c, s, arn, &st, NULL) != ERR_OK ||
	    session_end_stage(s, st.arn, session_now_ms(), &c->err) != ERR_OK ||
	    quota_release(c, s, QUOTA_STAGES) != ERR_OK ||
	    store_tokens_delete_stage(s, st.arn, &c->err) != ERR_OK)
		return c->err.code;
	return store_stage_delete(s, &st, &c->err);
}

enum err_code
stage_page_in(struct call *c, struct store *s, long long after, int limit,
    enum err_code (*row)(void *, const struct stage_rec *, const char *, const char *),
    void *arg)
{
	return store_stage_page_full(s, c->who.account, c->who.region, after, limit, row, arg,
	    &c->err);
}

/* ---- the JSON edges: CreateStage, GetStage, UpdateStage, DeleteStage ------------- */

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

struct create_job {
	struct call *c;
	struct stage_rec st;
	const struct tag_set *tags;
	struct issued *tokens;
	size_t n_tokens;
};

static enum err_code
create_tx(struct store *s, void *arg, struct err *e)
{
	struct create_job *j = arg;
	size_t i;

	if (stage_create_in(j->c, s, &j->st, j->tags) != ERR_OK)
		return e->code;
	for (i = 0; i < j->n_tokens; i++)
		if (store_token_insert(s, &j->tokens[i].rec, e) != ERR_OK)
			return e->code;
	return ERR_OK;
}

enum err_code
stage_create(struct call *c, const json_t *in, json_t **out)
{
	const json_t *name = json_object_get(in, "name");
	const json_t *rec_in = json_object_get(in, "autoParticipantRecordingConfiguration");
	const json_t *configs = json_object_get(in, "participantTokenConfigurations");
	struct issued tokens[16];	/* the model allows 12 */
	struct tag_set tags;
	struct recording rec;
	struct stage_spec spec = { .name = json_string_value(name), .rec = NULL, .tags = &tags };
	struct create_job j = { .c = c, .tags = &tags, .tokens = tokens, .n_tokens = 0 };
	json_t *issued = NULL, *conf;
	enum err_code rc;
	size_t i;

	(void)out;	/* answered as text */
	tag_set_init(&tags);
	if ((rc = tag_set_from_map(json_object_get(in, "tags"), &tags, &c->err)) != ERR_OK ||
	    (rc = tags_check_keys(c, &tags)) != ERR_OK ||
	    (configs && (rc = check_token_configs(c, configs)) != ERR_OK))
		goto out;
	if (rec_in != NULL) {
		recording_from_json(rec_in, &rec);
		spec.rec = &rec;
	}
	if ((rc = stage_prepare(c, &spec, &j.st)) != ERR_OK)
		goto out;
	/* tokens are signed before the transaction: signing never holds the write lock */
	json_array_foreach(configs, i, conf) {
		if (i >= sizeof(tokens) / sizeof(tokens[0])) {
			rc = err_set(&c->err, ERR_VALIDATION, "too many participantTokenConfigurations");
			goto out;
		}
		if ((rc = token_make(c, &j.st, conf, &tokens[j.n_tokens])) != ERR_OK)
			goto out;
		j.n_tokens++;
	}
	if ((rc = store_write(create_tx, &j, &c->err)) != ERR_OK)
		goto out;
	if (configs != NULL) {
		if ((issued = json_array()) == NULL) {
			rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
			goto out;
		}
		for (i = 0; i < j.n_tokens; i++)
			json_array_append(issued, tokens[i].json);
	}
	rc = answer(c, &j.st, &tags, issued);
out:
	json_decref(issued);
	for (i = 0; i < j.n_tokens; i++)
		token_release(&tokens[i]);
	tag_set_free(&tags);
	return rc;
}

enum err_code
stage_get(struct call *c, const json_t *in, json_t **out)
{
	struct stage_rec st;
	struct tag_set tags;
	struct store *s;
	enum err_code rc;

	(void)out;
	tag_set_init(&tags);
	if ((s = store_thread(&c->err)) == NULL)
		return c->err.code;
	rc = stage_load_in(c, s, json_string_value(json_object_get(in, "arn")), &st, &tags);
	if (rc == ERR_OK)
		rc = answer(c, &st, &tags, NULL);
	tag_set_free(&tags);
	return rc;
}

struct update_job {
	struct call *c;
	const char *arn;
	const struct stage_spec *ch;
	struct stage_rec st;	/* out: the stage as written */
	struct tag_set tags;	/* out: its tags */
};

static enum err_code
update_tx(struct store *s, void *arg, struct err *e)
{
	struct update_job *j = arg;

	if (stage_load_in(j->c, s, j->arn, &j->st, NULL) != ERR_OK ||
	    stage_apply_in(j->c, s, &j->st, j->ch) != ERR_OK ||
	    tags_load_in(j->c, s, j->st.arn, &j->tags) != ERR_OK)
		return e->code;
	return ERR_OK;
}

enum err_code
stage_update(struct call *c, const json_t *in, json_t **out)
{
	const json_t *rec_in = json_object_get(in, "autoParticipantRecordingConfiguration");
	struct recording rec;
	struct stage_spec ch = { .name = json_string_value(json_object_get(in, "name")) };
	struct update_job j = { .c = c, .arn = json_string_value(json_object_get(in, "arn")),
	    .ch = &ch };
	enum err_code rc;

	(void)out;
	if (rec_in != NULL) {
		recording_from_json(rec_in, &rec);
		ch.rec = &rec;
	}
	tag_set_init(&j.tags);
	rc = store_write(update_tx, &j, &c->err);
	if (rc == ERR_OK)
		rc = answer(c, &j.st, &j.tags, NULL);
	tag_set_free(&j.tags);
	return rc;
}

static enum err_code
delete_tx(struct store *s, void *arg, struct err *e)
{
	struct arn_job *j = arg;

	(void)e;	/* j->c->err */
	return stage_delete_in(j->c, s, j->arn);
}

enum err_code
stage_delete(struct call *c, const json_t *in, json_t **out)
{
	struct arn_job j = { .c = c, .arn = json_string_value(json_object_get(in, "arn")) };
	struct session_note n = { .what = SESSION_NOTE_STAGE_DELETED, .stage_arn = j.arn,
	    .participant_id = NULL, .reason = "" };

	if (ivs_write_empty(c, delete_tx, &j, out) != ERR_OK)
		return c->err.code;
	session_notify(&n);	/* after the commit: its sockets are told and closed */
	return ERR_OK;
}

/* ListStages writes its page as JSON text: the hottest read there is. */
struct list {
	struct paging p;
	struct buf out;
	long long open;		/* seq of the summary being written; -1: none */
};

static enum err_code
add_row(void *arg, const struct stage_summary *st, const char *key, const char *value)
{
	struct list *l = arg;

	if (st->seq != l->open) {
		if (!paging_take(&l->p, st->seq))
			return ERR_OK;	/* the row past the page: only tells that more exist */
		buf_puts(&l->out, l->open < 0 ? "{\"arn\":" : "}},{\"arn\":");
		jsonw_string(&l->out, st->arn, strlen(st->arn));
		buf_puts(&l->out, ",\"name\":");
		jsonw_string(&l->out, st->name, strlen(st->name));
		if (st->active_session_id[0] != '\0') {
			buf_puts(&l->out, ",\"activeSessionId\":");
			jsonw_string(&l->out, st->active_session_id, strlen(st->active_session_id));
		}
		buf_puts(&l->out, ",\"tags\":{");
		l->open = st->seq;
	} else if (key != NULL) {
		buf_puts(&l->out, ",");
	}
	if (key != NULL) {
		jsonw_string(&l->out, key, strlen(key));
		buf_puts(&l->out, ":");
		jsonw_string(&l->out, value, strlen(value));
	}
	return ERR_OK;
}

enum err_code
stage_list(struct call *c, const json_t *in, json_t **out)
{
	struct list l = { .open = -1 };
	char next[PAGE_TOKEN_MAX];
	struct store *s;
	int has;

	(void)out;
	if (paging_start(c, in, "ListStages", &l.p) != ERR_OK)
		return c->err.code;
	paging_abort(&l.p);	/* the text is written here, not in p's list */
	buf_init(&l.out, 0);
	buf_puts(&l.out, "{\"stages\":[");
	if ((s = store_thread(&c->err)) == NULL ||
	    store_stage_page(s, c->who.account, c->who.region, l.p.after, l.p.want + 1,
	    add_row, &l, &c->err) != ERR_OK || (has = paging_token(c, &l.p, next)) < 0) {
		buf_free(&l.out);
		return c->err.code;
	}
	buf_puts(&l.out, l.open < 0 ? "]" : "}}]");
	if (has) {
		buf_puts(&l.out, ",\"nextToken\":");
		jsonw_string(&l.out, next, strlen(next));
	}
	buf_puts(&l.out, "}");
	if (l.out.truncated) {
		buf_free(&l.out);
		return err_set(&c->err, ERR_INTERNAL, "response too large or out of memory");
	}
	c->text_out = buf_take(&l.out);
	return ERR_OK;
}
