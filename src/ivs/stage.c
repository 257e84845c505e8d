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
#include "ivs/paging.h"
#include "ivs/quota.h"
#include "ivs/recording.h"
#include "store/stage_store.h"
#include "store/tag_store.h"
#include "store/token_store.h"
#include "util/jsonw.h"

#define TYPE "stage"

/* Appends one tag as a member of a JSON object to the buf arg. */
static void
tag_text(void *arg, const char *key, const char *value)
{
	struct buf *b = arg;

	if (b->len > 0)
		buf_puts(b, ",");
	jsonw_string(b, key, strlen(key));
	buf_puts(b, ":");
	jsonw_string(b, value, strlen(value));
}

/* Answers {"stage": {...}} (and "participantTokens" when tokens is not
 * NULL) as text: tags holds the stage's tags as written by tag_text. */
static enum err_code
answer(struct call *c, const struct stage_rec *st, const struct buf *tags, const json_t *tokens)
{
	char *issued = tokens ? json_dumps(tokens, JSON_COMPACT) : NULL;
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "{\"stage\":{\"arn\":");
	jsonw_string(&b, st->arn, strlen(st->arn));
	buf_puts(&b, ",\"name\":");
	jsonw_string(&b, st->name, strlen(st->name));
	buf_puts(&b, ",\"tags\":{");
	buf_append(&b, buf_cstr(tags), tags->len);
	buf_puts(&b, "},\"autoParticipantRecordingConfiguration\":");
	recording_write(&b, &st->rec);
	buf_puts(&b, ",\"endpoints\":");
	endpoints_write(&b, c->cfg, st);
	buf_puts(&b, "}");
	if (issued != NULL) {
		buf_puts(&b, ",\"participantTokens\":");
		buf_puts(&b, issued);
	}
	buf_puts(&b, "}");
	free(issued);
	if (b.truncated || tags->truncated || (tokens != NULL && issued == NULL)) {
		buf_free(&b);
		return err_set(&c->err, ERR_INTERNAL, "response too large or out of memory");
	}
	c->text_out = buf_take(&b);
	return ERR_OK;
}

/* Loads, inside a job, the caller's stage named by arn. A stage of
 * another account or region does not exist for the caller. */
static enum err_code
load(struct call *c, struct store *s, const char *arn, struct stage_rec *st)
{
	struct arn a;

	if (!arn_owned(arn, TYPE, c->who.account, c->who.region, &a) ||
	    store_stage_get(s, a.account, a.region, a.id, st, &c->err) == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	return c->err.code;
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

struct create_job {
	struct call *c;
	struct stage_rec st;
	const json_t *tags;
	struct issued *tokens;
	size_t n_tokens;
};

static enum err_code
create_tx(struct store *s, void *arg, struct err *e)
{
	struct create_job *j = arg;
	size_t i;

	if (storage_check_ref(j->c, s, j->st.rec.storage_arn) != ERR_OK ||
	    quota_take(j->c, s, QUOTA_STAGES) != ERR_OK ||
	    store_stage_insert(s, &j->st, e) != ERR_OK ||
	    (j->tags && tags_save(j->c, s, j->st.arn, j->tags) != ERR_OK))
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
	const json_t *tags = json_object_get(in, "tags");
	const json_t *rec = json_object_get(in, "autoParticipantRecordingConfiguration");
	const json_t *configs = json_object_get(in, "participantTokenConfigurations");
	struct issued tokens[16];	/* the model allows 12 */
	struct create_job j = { .c = c, .tags = tags, .tokens = tokens, .n_tokens = 0 };
	struct stage_rec *st = &j.st;
	json_t *issued = NULL, *conf, *v;
	const char *k;
	struct buf tag_buf;
	enum err_code rc = ERR_OK;
	size_t i;

	(void)out;	/* answered as text */
	if (tags && tags_check(c, tags) != ERR_OK)
		return c->err.code;
	if (configs && check_token_configs(c, configs) != ERR_OK)
		return c->err.code;
	if (ids_alnum(st->id, IDS_RESOURCE_LEN) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for a stage id");
	snprintf(st->account, sizeof(st->account), "%s", c->who.account);
	snprintf(st->region, sizeof(st->region), "%s", c->who.region);
	arn_format(st->arn, sizeof(st->arn), st->region, st->account, TYPE, st->id);
	snprintf(st->name, sizeof(st->name), "%s", name ? json_string_value(name) : "");
	if (rec != NULL)
		recording_from_json(rec, &st->rec);
	else
		recording_defaults(&st->rec);
	/* tokens are signed before the transaction: signing never holds the write lock */
	json_array_foreach(configs, i, conf) {
		if (i >= sizeof(tokens) / sizeof(tokens[0])) {
			rc = err_set(&c->err, ERR_VALIDATION, "too many participantTokenConfigurations");
			goto out;
		}
		if ((rc = token_make(c, st, conf, &tokens[j.n_tokens])) != ERR_OK)
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
	buf_init(&tag_buf, 0);
	json_object_foreach((json_t *)tags, k, v)
		tag_text(&tag_buf, k, json_string_value(v));
	rc = answer(c, st, &tag_buf, issued);
	buf_free(&tag_buf);
out:
	json_decref(issued);
	for (i = 0; i < j.n_tokens; i++)
		token_release(&tokens[i]);
	return rc;
}

enum err_code
stage_get(struct call *c, const json_t *in, json_t **out)
{
	const char *arn = json_string_value(json_object_get(in, "arn"));
	struct stage_rec st;
	struct store *s;
	struct arn a;
	struct buf tags;
	enum err_code rc;

	(void)out;
	if (!arn_owned(arn, TYPE, c->who.account, c->who.region, &a))
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	if ((s = store_thread(&c->err)) == NULL)
		return c->err.code;
	buf_init(&tags, 0);
	rc = store_stage_read(s, a.account, a.region, a.id, &st, tag_text, &tags, &c->err);
	if (rc == ERR_NOT_FOUND)
		err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	else if (rc == ERR_OK)
		rc = answer(c, &st, &tags, NULL);
	buf_free(&tags);
	return rc;
}

struct update_job {
	struct call *c;
	const json_t *in;
	struct stage_rec st;	/* out: the stage as written */
	struct buf tags;	/* out: its tags, as tag_text writes them */
};

static enum err_code
update_tx(struct store *s, void *arg, struct err *e)
{
	struct update_job *j = arg;
	const json_t *name = json_object_get(j->in, "name");
	const json_t *rec = json_object_get(j->in, "autoParticipantRecordingConfiguration");

	if (load(j->c, s, json_string_value(json_object_get(j->in, "arn")), &j->st) != ERR_OK)
		return e->code;
	if (name != NULL)
		snprintf(j->st.name, sizeof(j->st.name), "%s", json_string_value(name));
	if (rec != NULL) {
		recording_from_json(rec, &j->st.rec);
		if (storage_check_ref(j->c, s, j->st.rec.storage_arn) != ERR_OK)
			return e->code;
	}
	buf_reset(&j->tags);
	if (store_stage_update(s, &j->st, e) != ERR_OK ||
	    store_tags_each(s, j->st.arn, tag_text, &j->tags, e) != ERR_OK)
		return e->code;
	return ERR_OK;
}

enum err_code
stage_update(struct call *c, const json_t *in, json_t **out)
{
	struct update_job j = { .c = c, .in = in };
	enum err_code rc;

	(void)out;
	buf_init(&j.tags, 0);
	rc = store_write(update_tx, &j, &c->err);
	if (rc == ERR_OK)
		rc = answer(c, &j.st, &j.tags, NULL);
	buf_free(&j.tags);
	return rc;
}

static enum err_code
delete_tx(struct store *s, void *arg, struct err *e)
{
	struct arn_job *j = arg;
	struct stage_rec st;

	if (load(j->c, s, j->arn, &st) != ERR_OK || quota_release(j->c, s, QUOTA_STAGES) != ERR_OK ||
	    store_tokens_delete_stage(s, st.arn, e) != ERR_OK)
		return e->code;
	return store_stage_delete(s, &st, e);
}

enum err_code
stage_delete(struct call *c, const json_t *in, json_t **out)
{
	struct arn_job j = { .c = c, .arn = json_string_value(json_object_get(in, "arn")) };

	return ivs_write_empty(c, delete_tx, &j, out);
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
