/* Storage configurations: CreateStorageConfiguration,
 * GetStorageConfiguration, ListStorageConfigurations,
 * DeleteStorageConfiguration as edges over the typed calls (ivs.h), and
 * the reference check stages use. */
#include <stdio.h>
#include <string.h>

#include "crypto/ids.h"
#include "ivs/arn.h"
#include "ivs/ivs.h"
#include "ivs/paging.h"
#include "ivs/quota.h"
#include "ivs/tags.h"
#include "store/stage_store.h"
#include "store/storage_store.h"
#include "store/tag_store.h"

#define TYPE "storage-configuration"

/* The StorageConfiguration (or its summary: the same members) object. */
static json_t *
storage_json(const struct storage_rec *r, json_t *tags)
{
	return json_pack("{s:s, s:s, s:{s:s}, s:o}", "arn", r->arn, "name", r->name,
	    "s3", "bucketName", r->bucket, "tags", tags ? tags : json_object());
}

enum err_code
storage_load_in(struct call *c, struct store *s, const char *arn, struct storage_rec *r)
{
	struct arn a;

	if (!arn_owned(arn, TYPE, c->who.account, c->who.region, &a) ||
	    store_storage_get(s, a.account, a.region, a.id, r, &c->err) == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_NOT_FOUND, "Storage configuration not found: %s", arn);
	return c->err.code;
}

enum err_code
storage_check_ref(struct call *c, struct store *s, const char *arn)
{
	struct storage_rec r;

	if (*arn == '\0')
		return ERR_OK;		/* recording disabled */
	c->err.code = ERR_OK;
	if (storage_load_in(c, s, arn, &r) == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_VALIDATION, "storageConfigurationArn '%s' does not name "
		    "a storage configuration of account %s in %s", arn, c->who.account,
		    c->who.region);
	return c->err.code;
}

enum err_code
storage_create_in(struct call *c, struct store *s, const struct storage_rec *r,
    const struct tag_set *tags)
{
	if (tags_check_keys(c, tags) != ERR_OK ||
	    quota_take(c, s, QUOTA_STORAGE_CONFIGURATIONS) != ERR_OK ||
	    store_storage_insert(s, r, &c->err) != ERR_OK ||
	    tags_attach_in(c, s, r->arn, tags) != ERR_OK)
		return c->err.code;
	return ERR_OK;
}

struct create_job {
	struct call *c;
	struct storage_rec r;
	const struct tag_set *tags;
};

static enum err_code
create_tx(struct store *s, void *arg, struct err *e)
{
	struct create_job *j = arg;

	(void)e;	/* j->c->err */
	return storage_create_in(j->c, s, &j->r, j->tags);
}

enum err_code
storage_prepare(struct call *c, const char *name, const char *bucket, struct storage_rec *r)
{
	int w;

	memset(r, 0, sizeof(*r));
	if (ids_alnum(r->id, IDS_RESOURCE_LEN) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for an id");
	snprintf(r->account, sizeof(r->account), "%s", c->who.account);
	snprintf(r->region, sizeof(r->region), "%s", c->who.region);
	arn_format(r->arn, sizeof(r->arn), r->region, r->account, TYPE, r->id);
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	w = snprintf(r->bucket, sizeof(r->bucket), "%s", bucket);
	if (w < 0 || (size_t)w >= sizeof(r->bucket))
		return err_set(&c->err, ERR_VALIDATION, "bucketName is too long");
	return ERR_OK;
}

enum err_code
storage_create(struct call *c, const json_t *in, json_t **out)
{
	const json_t *name = json_object_get(in, "name");
	struct tag_set tags;
	struct create_job j = { .c = c, .tags = &tags };
	struct storage_rec *r = &j.r;
	enum err_code rc;

	tag_set_init(&tags);
	if ((rc = tag_set_from_map(json_object_get(in, "tags"), &tags, &c->err)) != ERR_OK ||
	    (rc = tags_check_keys(c, &tags)) != ERR_OK ||
	    (rc = storage_prepare(c, json_string_value(name),
	    json_string_value(json_object_get(json_object_get(in, "s3"), "bucketName")), r)) !=
	    ERR_OK)
		goto out;
	if ((rc = store_write(create_tx, &j, &c->err)) != ERR_OK)
		goto out;
	*out = json_pack("{s:o}", "storageConfiguration", storage_json(r, tag_set_to_map(&tags)));
	if (*out == NULL)
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
out:
	tag_set_free(&tags);
	return rc;
}

struct get_job {
	struct call *c;
	const char *arn;
	struct storage_rec r;	/* out */
	json_t *tags;		/* out: filled */
};

static enum err_code
get_tx(struct store *s, void *arg, struct err *e)
{
	struct get_job *j = arg;

	if (storage_load_in(j->c, s, j->arn, &j->r) != ERR_OK)
		return e->code;
	return store_tags_get(s, j->r.arn, j->tags, e);
}

enum err_code
storage_get(struct call *c, const json_t *in, json_t **out)
{
	struct get_job j = { .c = c, .arn = json_string_value(json_object_get(in, "arn")),
	    .tags = json_object() };

	if (j.tags == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	if (store_read(get_tx, &j, &c->err) != ERR_OK) {
		json_decref(j.tags);
		return c->err.code;
	}
	*out = json_pack("{s:o}", "storageConfiguration", storage_json(&j.r, j.tags));
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

enum err_code
storage_delete_in(struct call *c, struct store *s, const char *arn)
{
	struct storage_rec r;
	int used = 0;

	if (storage_load_in(c, s, arn, &r) != ERR_OK ||
	    store_stage_uses_storage(s, r.arn, &used, &c->err) != ERR_OK)
		return c->err.code;
	if (used)
		return err_set(&c->err, ERR_CONFLICT, "Storage configuration %s is in use: a stage's "
		    "autoParticipantRecordingConfiguration refers to it", arn);
	if (quota_release(c, s, QUOTA_STORAGE_CONFIGURATIONS) != ERR_OK)
		return c->err.code;
	return store_storage_delete(s, &r, &c->err);
}

static enum err_code
delete_tx(struct store *s, void *arg, struct err *e)
{
	struct arn_job *j = arg;

	(void)e;	/* j->c->err */
	return storage_delete_in(j->c, s, j->arn);
}

enum err_code
storage_delete(struct call *c, const json_t *in, json_t **out)
{
	struct arn_job j = { .c = c, .arn = json_string_value(json_object_get(in, "arn")) };

	return ivs_write_empty(c, delete_tx, &j, out);
}

struct list {
	struct call *c;
	struct store *s;
	struct paging p;
};

static enum err_code
add_summary(void *arg, const struct storage_rec *r)
{
	struct list *l = arg;
	json_t *tags;

	if (paging_full(&l->p))
		return ERR_OK;
	if ((tags = tags_map_in(l->c, l->s, r->arn)) == NULL)
		return l->c->err.code;
	return paging_add(l->c, &l->p, storage_json(r, tags), r->seq);
}

enum err_code
storage_page_in(struct call *c, struct store *s, long long after, int limit,
    enum err_code (*row)(void *arg, const struct storage_rec *r), void *arg)
{
	return store_storage_page(s, c->who.account, c->who.region, after, limit, row, arg,
	    &c->err);
}

static enum err_code
list_tx(struct store *s, void *arg, struct err *e)
{
	struct list *l = arg;

	(void)e;	/* l->c->err */
	l->s = s;
	return storage_page_in(l->c, s, l->p.after, l->p.want + 1, add_summary, l);
}

enum err_code
storage_list(struct call *c, const json_t *in, json_t **out)
{
	struct list l = { .c = c };

	if (paging_start(c, in, "ListStorageConfigurations", &l.p) != ERR_OK)
		return c->err.code;
	if (store_read(list_tx, &l, &c->err) != ERR_OK) {
		paging_abort(&l.p);
		return c->err.code;
	}
	return paging_finish(c, &l.p, "storageConfigurations", out);
}
