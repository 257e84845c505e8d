/* AWS::IVS::StorageConfiguration for Cloud Control: the row of its type
 * and the calls behind it, over the typed storage configuration calls
 * (ivs/ivs.h). Name and S3 are create-only, Arn read-only: an update
 * changes Tags alone.
 */
#include <stdlib.h>

#include "cloudcontrol/model.h"
#include "cloudcontrol/schema.h"
#include "cloudcontrol/tagged.h"
#include "cloudcontrol/types.h"
#include "ivs/ivs.h"
#include "store/storage_store.h"

#define TYPE_NAME "AWS::IVS::StorageConfiguration"

static const struct schema *
schema(void)
{
	return schema_for(TYPE_NAME);
}

/* The model of configuration r with tags (NULL: none); NULL when out of
 * memory. */
static json_t *
model_of(const struct storage_rec *r, const struct tag_set *tags)
{
	json_t *m = json_pack("{s:s, s:s, s:{s:s}}", "Arn", r->arn, "Name", r->name, "S3",
	    "BucketName", r->bucket);

	if (m != NULL && model_put_tags(m, tags) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* A create, checked and ready to store. */
struct plan {
	struct storage_rec r;
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
	struct plan *p = calloc(1, sizeof(*p));
	enum err_code rc;

	*plan = NULL;
	if (p == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	tag_set_init(&p->tags);
	/* the schema requires S3 and its BucketName */
	if ((rc = schema_check_read_only(schema(), NULL, desired, &c->err)) != ERR_OK ||
	    (rc = schema_check(schema(), desired, &c->err)) != ERR_OK ||
	    (rc = model_tags(json_object_get(desired, "Tags"), &p->tags, &c->err)) != ERR_OK ||
	    (rc = storage_prepare(c, json_string_value(json_object_get(desired, "Name")),
	    json_string_value(json_object_get(json_object_get(desired, "S3"), "BucketName")),
	    &p->r)) != ERR_OK) {
		plan_free(p);
		return rc;
	}
	snprintf(id, cap, "%s", p->r.arn);
	*plan = p;
	return ERR_OK;
}

static enum err_code
create_in(struct call *c, struct store *s, void *arg)
{
	struct plan *p = arg;

	return storage_create_in(c, s, &p->r, &p->tags);
}

/* Loads id with its tags into p and its model into *model. */
static enum err_code
load(struct call *c, struct store *s, const char *id, struct plan *p, json_t **model)
{
	*model = NULL;
	if (storage_load_in(c, s, id, &p->r) != ERR_OK ||
	    tags_load_in(c, s, p->r.arn, &p->tags) != ERR_OK)
		return c->err.code;
	if ((*model = model_of(&p->r, &p->tags)) == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	return ERR_OK;
}

static enum err_code
read_in(struct call *c, struct store *s, const char *id, json_t **model)
{
	struct plan p;
	enum err_code rc;

	tag_set_init(&p.tags);
	rc = load(c, s, id, &p, model);
	tag_set_free(&p.tags);
	return rc;
}

static enum err_code
update_in(struct call *c, struct store *s, const char *id, const json_t *patch)
{
	struct plan p;
	json_t *before = NULL;
	enum err_code rc;

	tag_set_init(&p.tags);
	if ((rc = load(c, s, id, &p, &before)) == ERR_OK)
		rc = cc_update_tags_in(c, s, schema(), p.r.arn, before, &p.tags, patch);
	json_decref(before);
	tag_set_free(&p.tags);
	return rc;
}

static enum err_code
delete_in(struct call *c, struct store *s, const char *id)
{
	return storage_delete_in(c, s, id);
}

/* model_of in the walk's terms */
static json_t *
row_model(const void *rec, const struct tag_set *tags)
{
	return model_of(rec, tags);
}

static enum err_code
walk_row(void *arg, const struct storage_rec *r)
{
	return cc_walk_row(arg, r->seq, r->arn, row_model, r);
}

static enum err_code
page_in(struct call *c, struct store *s, long long after, int limit, cc_row_fn row, void *arg)
{
	struct cc_walk w = { .c = c, .s = s, .row = row, .arg = arg };

	return storage_page_in(c, s, after, limit, walk_row, &w);
}

const struct cc_type cc_storage_type = {
	.name = TYPE_NAME,
	.arn_type = "storage-configuration",
	.list_scope = "ListStorageConfigurations",
	.create_action = "ivs:CreateStorageConfiguration",
	.read_action = "ivs:GetStorageConfiguration",
	.delete_action = "ivs:DeleteStorageConfiguration",
	.list_action = "ivs:ListStorageConfigurations",
	.prepare = prepare,
	.plan_free = plan_free,
	.create_in = create_in,
	.update_in = update_in,
	.delete_in = delete_in,
	.read_in = read_in,
	.page_in = page_in,
};
