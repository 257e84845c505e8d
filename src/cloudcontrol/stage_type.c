/* AWS::IVS::Stage for Cloud Control: the row of its type and the calls
 * behind it, over the typed stage calls (ivs/stage.h). Knows the resource
 * model (through model.c and schema.c); never sees a request record.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/auth.h"
#include "cloudcontrol/model.h"
#include "cloudcontrol/schema.h"
#include "cloudcontrol/tagged.h"
#include "cloudcontrol/types.h"
#include "ivs/stage.h"
#include "util/jsonpatch.h"

#define TYPE_NAME "AWS::IVS::Stage"

static const struct schema *
schema(void)
{
	return schema_for(TYPE_NAME);
}

/* A create, checked and ready to store. */
struct plan {
	struct stage_rec st;
	struct tag_set tags;
};

static void
plan_free(void *arg)
{
	struct plan *p = arg;

	if (p == NULL)
		return;
	tag_set_free(&p->tags);
	free(p);
}

/* The spec a model asks for: name, recording, tags (into tags, rec). */
static enum err_code
spec_of(struct call *c, const json_t *model, struct stage_spec *spec, struct recording *rec,
    struct tag_set *tags)
{
	if (model_tags(json_object_get(model, "Tags"), tags, &c->err) != ERR_OK ||
	    model_recording(json_object_get(model, "AutoParticipantRecordingConfiguration"), rec,
	    &c->err) != ERR_OK)
		return c->err.code;
	spec->name = json_string_value(json_object_get(model, "Name"));
	spec->rec = rec;
	spec->tags = tags;
	return ERR_OK;
}

static enum err_code
prepare(struct call *c, const json_t *desired, void **plan, char *id, size_t cap)
{
	struct plan *p = calloc(1, sizeof(*p));
	struct stage_spec spec = { 0 };
	struct recording rec;
	enum err_code rc;

	*plan = NULL;
	if (p == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	tag_set_init(&p->tags);
	if ((rc = schema_check_read_only(schema(), NULL, desired, &c->err)) != ERR_OK ||
	    (rc = schema_check(schema(), desired, &c->err)) != ERR_OK ||
	    (rc = spec_of(c, desired, &spec, &rec, &p->tags)) != ERR_OK ||
	    (rc = stage_prepare(c, &spec, &p->st)) != ERR_OK) {
		plan_free(p);
		return rc;
	}
	snprintf(id, cap, "%s", p->st.arn);
	*plan = p;
	return ERR_OK;
}

static enum err_code
create_in(struct call *c, struct store *s, void *arg)
{
	struct plan *p = arg;

	return stage_create_in(c, s, &p->st, &p->tags);
}

static enum err_code
read_in(struct call *c, struct store *s, const char *id, json_t **model)
{
	struct stage_rec st;
	struct tag_set tags;
	enum err_code rc;

	*model = NULL;
	tag_set_init(&tags);
	if ((rc = stage_load_in(c, s, id, &st, &tags)) == ERR_OK &&
	    (*model = model_from_stage(&st, &tags)) == NULL)
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
	tag_set_free(&tags);
	return rc;
}

/* Do the members of the two models differ? */
static int
differ(const json_t *a, const json_t *b, const char *member)
{
	const json_t *x = json_object_get(a, member), *y = json_object_get(b, member);

	return (x == NULL) != (y == NULL) || (x != NULL && !json_equal(x, y));
}

/* The permissions a change needs, as the API operations that would make
 * it: UpdateStage for name and recording, UntagResource, TagResource. */
static enum err_code
authorize(struct call *c, const char *arn, int staged, int untag, int tag)
{
	if ((staged && auth_allow(c, "ivs:UpdateStage", arn) != ERR_OK) ||
	    (untag && auth_allow(c, "ivs:UntagResource", arn) != ERR_OK) ||
	    (tag && auth_allow(c, "ivs:TagResource", arn) != ERR_OK))
		return c->err.code;
	return ERR_OK;
}

static enum err_code
update_in(struct call *c, struct store *s, const char *id, const json_t *patch)
{
	struct stage_rec st;
	struct tag_set have, want;
	struct stage_spec ch = { 0 }, all = { 0 };
	struct recording rec;
	json_t *before = NULL, *after = NULL;
	int staged, untag, tag;
	enum err_code rc;

	tag_set_init(&have);
	tag_set_init(&want);
	/* everything is read, checked and authorized before anything is written */
	if ((rc = stage_load_in(c, s, id, &st, &have)) != ERR_OK)
		goto out;
	if ((before = model_from_stage(&st, &have)) == NULL ||
	    (after = json_deep_copy(before)) == NULL) {
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((rc = jsonpatch_apply(&after, patch, &c->err)) != ERR_OK ||
	    (rc = schema_check_read_only(schema(), before, after, &c->err)) != ERR_OK ||
	    (rc = schema_check(schema(), after, &c->err)) != ERR_OK ||
	    (rc = spec_of(c, after, &all, &rec, &want)) != ERR_OK)
		goto out;
	staged = differ(before, after, "Name") ||
	    differ(before, after, "AutoParticipantRecordingConfiguration");
	cc_tag_changes(&have, &want, &untag, &tag);
	if ((rc = authorize(c, st.arn, staged, untag, tag)) != ERR_OK)
		goto out;
	if (staged) {
		ch.name = all.name ? all.name : "";
		ch.rec = all.rec;
	}
	ch.tags = untag || tag ? &want : NULL;
	rc = stage_apply_in(c, s, &st, &ch);
out:
	json_decref(before);
	json_decref(after);
	tag_set_free(&have);
	tag_set_free(&want);
	return rc;
}

static enum err_code
delete_in(struct call *c, struct store *s, const char *id)
{
	return stage_delete_in(c, s, id);
}

/* A page is read as rows of (stage, tag): each stage is handed on when
 * the rows move to the next, and the last after the walk. */
struct walk {
	struct call *c;
	cc_row_fn row;
	void *arg;
	struct stage_rec st;
	struct tag_set tags;
	int open;
};

static enum err_code
flush(struct walk *w)
{
	json_t *model;

	if (!w->open)
		return ERR_OK;
	w->open = 0;
	if ((model = model_from_stage(&w->st, &w->tags)) == NULL)
		return err_set(&w->c->err, ERR_INTERNAL, "out of memory");
	return w->row(w->arg, w->st.seq, w->st.arn, model);
}

static enum err_code
walk_row(void *arg, const struct stage_rec *st, const char *key, const char *value)
{
	struct walk *w = arg;

	if (!w->open || st->seq != w->st.seq) {
		if (flush(w) != ERR_OK)
			return w->c->err.code;
		w->st = *st;
		tag_set_free(&w->tags);
		w->open = 1;
	}
	if (key != NULL)
		return tag_set_put(&w->tags, key, value, &w->c->err);
	return ERR_OK;
}

static enum err_code
page_in(struct call *c, struct store *s, long long after, int limit, cc_row_fn row, void *arg)
{
	struct walk w = { .c = c, .row = row, .arg = arg };
	enum err_code rc;

	tag_set_init(&w.tags);
	if ((rc = stage_page_in(c, s, after, limit, walk_row, &w)) == ERR_OK)
		rc = flush(&w);
	tag_set_free(&w.tags);
	return rc;
}

const struct cc_type cc_stage_type = {
	.name = TYPE_NAME,
	.arn_type = "stage",
	.list_scope = "ListStages",
	.create_action = "ivs:CreateStage",
	.read_action = "ivs:GetStage",
	.delete_action = "ivs:DeleteStage",
	.list_action = "ivs:ListStages",
	.prepare = prepare,
	.plan_free = plan_free,
	.create_in = create_in,
	.update_in = update_in,
	.delete_in = delete_in,
	.read_in = read_in,
	.page_in = page_in,
};
