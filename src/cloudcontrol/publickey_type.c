/* AWS::IVS::PublicKey for Cloud Control: the row of its type and the calls
 * behind it, over the typed public key calls (ivs/public_key.h). Name and
 * PublicKeyMaterial are create-only, Arn and Fingerprint read-only: an
 * update changes Tags alone.
 */
#include <stdlib.h>

#include "cloudcontrol/model.h"
#include "cloudcontrol/schema.h"
#include "cloudcontrol/tagged.h"
#include "cloudcontrol/types.h"
#include "ivs/public_key.h"

#define TYPE_NAME "AWS::IVS::PublicKey"

static const struct schema *
schema(void)
{
	return schema_for(TYPE_NAME);
}

/* The model of key r with tags (NULL: none); NULL when out of memory. */
static json_t *
model_of(const struct public_key_rec *r, const struct tag_set *tags)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:s}", "Arn", r->arn, "Name", r->name,
	    "PublicKeyMaterial", r->material, "Fingerprint", r->fingerprint);

	if (m != NULL && model_put_tags(m, tags) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* A create, checked and ready to store. */
struct plan {
	struct public_key_rec r;
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

static enum err_code
prepare(struct call *c, const json_t *desired, void **plan, char *id, size_t cap)
{
	const char *material = json_string_value(json_object_get(desired, "PublicKeyMaterial"));
	struct plan *p = calloc(1, sizeof(*p));
	enum err_code rc;

	*plan = NULL;
	if (p == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	tag_set_init(&p->tags);
	if ((rc = schema_check_read_only(schema(), NULL, desired, &c->err)) != ERR_OK ||
	    (rc = schema_check(schema(), desired, &c->err)) != ERR_OK)
		goto fail;
	if (material == NULL) {
		rc = err_set(&c->err, ERR_VALIDATION, "Model validation failed (#: required key "
		    "[PublicKeyMaterial] not found)");
		goto fail;
	}
	if ((rc = model_tags(json_object_get(desired, "Tags"), &p->tags, &c->err)) != ERR_OK ||
	    (rc = public_key_prepare(c, json_string_value(json_object_get(desired, "Name")),
	    material, &p->r)) != ERR_OK)
		goto fail;
	snprintf(id, cap, "%s", p->r.arn);
	*plan = p;
	return ERR_OK;
fail:
	plan_free(p);
	return rc;
}

static enum err_code
create_in(struct call *c, struct store *s, void *arg)
{
	struct plan *p = arg;

	return public_key_create_in(c, s, &p->r, &p->tags);
}

/* Loads id with its tags into p and its model into *model. */
static enum err_code
load(struct call *c, struct store *s, const char *id, struct plan *p, json_t **model)
{
	*model = NULL;
	if (public_key_load_in(c, s, id, &p->r, &p->tags) != ERR_OK)
		return c->err.code;
	if ((*model = model_of(&p->r, &p->tags)) == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	return ERR_OK;
}

static enum err_code
read_in(struct call *c, struct store *s, const char *id, json_t **model)
{
	struct plan *p = calloc(1, sizeof(*p));	/* a record holds the PEM text */
	enum err_code rc;

	*model = NULL;
	if (p == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	tag_set_init(&p->tags);
	rc = load(c, s, id, p, model);
	plan_free(p);
	return rc;
}

static enum err_code
update_in(struct call *c, struct store *s, const char *id, const json_t *patch)
{
	struct plan *p = calloc(1, sizeof(*p));
	json_t *before = NULL;
	enum err_code rc;

	if (p == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	tag_set_init(&p->tags);
	if ((rc = load(c, s, id, p, &before)) == ERR_OK)
		rc = cc_update_tags_in(c, s, schema(), p->r.arn, before, &p->tags, patch);
	json_decref(before);
	plan_free(p);
	return rc;
}

static enum err_code
delete_in(struct call *c, struct store *s, const char *id)
{
	return public_key_delete_in(c, s, id);
}

/* model_of in the walk's terms */
static json_t *
row_model(const void *rec, const struct tag_set *tags)
{
	return model_of(rec, tags);
}

static enum err_code
walk_row(void *arg, const struct public_key_rec *r)
{
	return cc_walk_row(arg, r->seq, r->arn, row_model, r);
}

static enum err_code
page_in(struct call *c, struct store *s, long long after, int limit, cc_row_fn row, void *arg)
{
	struct cc_walk w = { .c = c, .s = s, .row = row, .arg = arg };

	return public_key_page_in(c, s, after, limit, walk_row, &w);
}

const struct cc_type cc_public_key_type = {
	.name = TYPE_NAME,
	.arn_type = PUBLIC_KEY_TYPE,
	.list_scope = "ListPublicKeys",
	.create_action = "ivs:ImportPublicKey",
	.read_action = "ivs:GetPublicKey",
	.delete_action = "ivs:DeletePublicKey",
	.list_action = "ivs:ListPublicKeys",
	.prepare = prepare,
	.plan_free = plan_free,
	.create_in = create_in,
	.update_in = update_in,
	.delete_in = delete_in,
	.read_in = read_in,
	.page_in = page_in,
};
