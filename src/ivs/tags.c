/* TagResource, UntagResource, ListTagsForResource, and the tag rules every
 * taggable resource shares. */
#include <stdio.h>
#include <string.h>

#include "ivs/arn.h"
#include "ivs/ivs.h"
#include "store/stage_store.h"
#include "store/storage_store.h"
#include "store/tag_store.h"

#define MAX_TAGS 50
#define RESERVED "aws:"

/* Does the resource a names exist? One row per taggable resource type. */
static enum err_code
stage_exists(struct store *s, const struct arn *a, struct err *e)
{
	struct stage_rec r;

	return store_stage_get(s, a->account, a->region, a->id, &r, e);
}

static enum err_code
storage_exists(struct store *s, const struct arn *a, struct err *e)
{
	struct storage_rec r;

	return store_storage_get(s, a->account, a->region, a->id, &r, e);
}

static const struct {
	const char *type;
	enum err_code (*exists)(struct store *, const struct arn *, struct err *);
} taggable[] = {
	{ "stage", stage_exists },
	{ "storage-configuration", storage_exists },
};

enum err_code
tags_check(struct call *c, const json_t *tags)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)tags, k, v)
		if (strncmp(k, RESERVED, strlen(RESERVED)) == 0)
			return err_set(&c->err, ERR_VALIDATION, "Tag key '%s' is not allowed: "
			    "keys starting with '" RESERVED "' are reserved for AWS use", k);
	return ERR_OK;
}

enum err_code
tags_save(struct call *c, struct store *s, const char *arn, const json_t *tags)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)tags, k, v)
		if (store_tag_put(s, arn, k, json_string_value(v), &c->err) != ERR_OK)
			return c->err.code;
	return ERR_OK;
}

/* Checks, inside the open transaction, that arn names a taggable resource
 * of the caller. */
static enum err_code
find(struct call *c, struct store *s, const char *arn)
{
	struct arn a;
	size_t i;

	if (arn_owned(arn, NULL, c->who.account, c->who.region, &a))
		for (i = 0; i < sizeof(taggable) / sizeof(taggable[0]); i++)
			if (strcmp(a.type, taggable[i].type) == 0 &&
			    taggable[i].exists(s, &a, &c->err) == ERR_OK)
				return ERR_OK;
	return err_set(&c->err, ERR_NOT_FOUND, "Resource not found: %s", arn);
}

typedef enum err_code (*apply_fn)(struct call *, struct store *, const char *, const json_t *);

struct change_job {
	struct call *c;
	const json_t *in;
	apply_fn apply;
};

static enum err_code
change_tx(struct store *s, void *arg, struct err *e)
{
	struct change_job *j = arg;
	const char *arn = json_string_value(json_object_get(j->in, "resourceArn"));

	if (find(j->c, s, arn) != ERR_OK)
		return e->code;
	return j->apply(j->c, s, arn, j->in);
}

/* Runs apply on an existing resource in a writing transaction; nothing
 * changes unless all of it succeeds. */
static enum err_code
change(struct call *c, const json_t *in, apply_fn apply, json_t **out)
{
	struct change_job j = { c, in, apply };

	return ivs_write_empty(c, change_tx, &j, out);
}

static enum err_code
add(struct call *c, struct store *s, const char *arn, const json_t *in)
{
	const json_t *tags = json_object_get(in, "tags");
	json_t *have = json_object();
	const char *k;
	json_t *v;
	size_t after;

	if (have == NULL || store_tags_get(s, arn, have, &c->err) != ERR_OK) {
		json_decref(have);
		return have ? c->err.code : err_set(&c->err, ERR_INTERNAL, "out of memory");
	}
	after = json_object_size(have);
	json_object_foreach((json_t *)tags, k, v)
		if (json_object_get(have, k) == NULL)
			after++;
	json_decref(have);
	if (after > MAX_TAGS)
		return err_set(&c->err, ERR_VALIDATION, "Too many tags: a resource can have at most "
		    "%d tags, and this request would leave %zu on %s", MAX_TAGS, after, arn);
	return tags_save(c, s, arn, tags);
}

static enum err_code
remove_keys(struct call *c, struct store *s, const char *arn, const json_t *in)
{
	const json_t *keys = json_object_get(in, "tagKeys");
	json_t *k;
	size_t i;

	json_array_foreach(keys, i, k)
		if (store_tag_delete(s, arn, json_string_value(k), &c->err) != ERR_OK)
			return c->err.code;
	return ERR_OK;
}

enum err_code
tag_resource(struct call *c, const json_t *in, json_t **out)
{
	if (tags_check(c, json_object_get(in, "tags")) != ERR_OK)
		return c->err.code;
	return change(c, in, add, out);
}

enum err_code
untag_resource(struct call *c, const json_t *in, json_t **out)
{
	const json_t *keys = json_object_get(in, "tagKeys");
	json_t *k;
	size_t i;

	json_array_foreach(keys, i, k)
		if (strncmp(json_string_value(k), RESERVED, strlen(RESERVED)) == 0)
			return err_set(&c->err, ERR_VALIDATION, "Tag key '%s' is not allowed: keys "
			    "starting with '" RESERVED "' are reserved for AWS use", json_string_value(k));
	return change(c, in, remove_keys, out);
}

struct list_job {
	struct call *c;
	const char *arn;
	json_t *tags;		/* out: filled */
};

static enum err_code
list_tx(struct store *s, void *arg, struct err *e)
{
	struct list_job *j = arg;

	if (find(j->c, s, j->arn) != ERR_OK)
		return e->code;
	return store_tags_get(s, j->arn, j->tags, e);
}

enum err_code
list_tags(struct call *c, const json_t *in, json_t **out)
{
	struct list_job j = { .c = c, .arn = json_string_value(json_object_get(in, "resourceArn")),
	    .tags = json_object() };

	if (j.tags == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	if (store_read(list_tx, &j, &c->err) != ERR_OK) {
		json_decref(j.tags);
		return c->err.code;
	}
	*out = json_pack("{s:o}", "tags", j.tags);
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}
