/* Tags: the tag set, the tag rules every taggable resource shares (typed
 * calls run inside store jobs), and their JSON edges TagResource,
 * UntagResource, ListTagsForResource.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivs/arn.h"
#include "ivs/ivs.h"
#include "ivs/tags.h"
#include "store/stage_store.h"
#include "store/public_key_store.h"
#include "store/storage_store.h"
#include "store/tag_store.h"

#define RESERVED "aws:"

/* ---- the set ------------------------------------------------------------- */

void
tag_set_init(struct tag_set *t)
{
	memset(t, 0, sizeof(*t));
}

void
tag_set_free(struct tag_set *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	tag_set_init(t);
}

static long
find_key(const struct tag_set *t, const char *key)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			return (long)i;
	return -1;
}

const char *
tag_set_get(const struct tag_set *t, const char *key)
{
	long i = find_key(t, key);

	return i < 0 ? NULL : t->v[i].value;
}

enum err_code
tag_set_put(struct tag_set *t, const char *key, const char *value, struct err *e)
{
	long at = find_key(t, key);
	char *v = strdup(value), *k = at < 0 ? strdup(key) : NULL;
	struct tag *grown;
	size_t cap;

	if (v == NULL || (at < 0 && k == NULL))
		goto oom;
	if (at >= 0) {
		free(t->v[at].value);
		t->v[at].value = v;
		return ERR_OK;
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 8;
		if ((grown = realloc(t->v, cap * sizeof(*grown))) == NULL)
			goto oom;
		t->v = grown;
		t->cap = cap;
	}
	t->v[t->n].key = k;
	t->v[t->n].value = v;
	t->n++;
	return ERR_OK;
oom:
	free(k);
	free(v);
	return err_set(e, ERR_INTERNAL, "out of memory");
}

enum err_code
tag_set_from_map(const json_t *map, struct tag_set *t, struct err *e)
{
	const char *k;
	json_t *v;

	tag_set_free(t);
	json_object_foreach((json_t *)map, k, v)
		if (tag_set_put(t, k, json_string_value(v), e) != ERR_OK)
			return e->code;
	return ERR_OK;
}

enum err_code
tag_set_from_keys(const json_t *keys, struct tag_set *t, struct err *e)
{
	json_t *k;
	size_t i;

	tag_set_free(t);
	json_array_foreach(keys, i, k)
		if (tag_set_put(t, json_string_value(k), "", e) != ERR_OK)
			return e->code;
	return ERR_OK;
}

json_t *
tag_set_to_map(const struct tag_set *t)
{
	json_t *m = json_object();
	size_t i;

	for (i = 0; m != NULL && i < t->n; i++)
		if (json_object_set_new(m, t->v[i].key, json_string(t->v[i].value)) != 0) {
			json_decref(m);
			return NULL;
		}
	return m;
}

/* ---- the rules, inside jobs ------------------------------------------------ */

enum err_code
tags_check_keys(struct call *c, const struct tag_set *t)
{
	size_t i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (strncmp(t->v[i].key, RESERVED, strlen(RESERVED)) == 0)
			return err_set(&c->err, ERR_VALIDATION, "Tag key '%s' is not allowed: "
			    "keys starting with '" RESERVED "' are reserved for AWS use", t->v[i].key);
	return ERR_OK;
}

void
tag_load_row(void *arg, const char *key, const char *value)
{
	struct tag_load *l = arg;

	if (l->e.code == ERR_OK)
		tag_set_put(l->t, key, value, &l->e);
}

enum err_code
tags_load_in(struct call *c, struct store *s, const char *arn, struct tag_set *t)
{
	struct tag_load l = { .t = t, .e = { .code = ERR_OK } };

	tag_set_free(t);
	if (store_tags_each(s, arn, tag_load_row, &l, &c->err) != ERR_OK)
		return c->err.code;
	if (l.e.code != ERR_OK)
		return err_set(&c->err, l.e.code, "%s", l.e.msg);
	return ERR_OK;
}

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

static enum err_code
public_key_exists(struct store *s, const struct arn *a, struct err *e)
{
	struct public_key_rec r;

	return store_public_key_get(s, a->account, a->region, a->id, &r, e);
}

static const struct {
	const char *type;
	enum err_code (*exists)(struct store *, const struct arn *, struct err *);
} taggable[] = {
	{ "stage", stage_exists },
	{ "storage-configuration", storage_exists },
	{ "public-key", public_key_exists },
};

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

/* The rule of the count: have, less remove, plus add, at most TAGS_MAX. */
static enum err_code
check_count(struct call *c, const char *arn, const struct tag_set *have,
    const struct tag_set *add, const struct tag_set *remove)
{
	size_t after = 0, i;

	for (i = 0; have != NULL && i < have->n; i++)
		if (find_key(remove, have->v[i].key) < 0)
			after++;
	for (i = 0; add != NULL && i < add->n; i++)
		if (find_key(have, add->v[i].key) < 0 || find_key(remove, add->v[i].key) >= 0)
			after++;
	if (after > TAGS_MAX)
		return err_set(&c->err, ERR_VALIDATION, "Too many tags: a resource can have at most "
		    "%d tags, and this request would leave %zu on %s", TAGS_MAX, after, arn);
	return ERR_OK;
}

/* Writes the change, already checked. */
static enum err_code
write_change(struct call *c, struct store *s, const char *arn, const struct tag_set *add,
    const struct tag_set *remove)
{
	size_t i;

	for (i = 0; remove != NULL && i < remove->n; i++)
		if (store_tag_delete(s, arn, remove->v[i].key, &c->err) != ERR_OK)
			return c->err.code;
	for (i = 0; add != NULL && i < add->n; i++)
		if (store_tag_put(s, arn, add->v[i].key, add->v[i].value, &c->err) != ERR_OK)
			return c->err.code;
	return ERR_OK;
}

/* Checks the count against the tags arn has, then writes. */
static enum err_code
change_in(struct call *c, struct store *s, const char *arn, const struct tag_set *add,
    const struct tag_set *remove)
{
	struct tag_set have;
	enum err_code rc;

	tag_set_init(&have);
	if ((rc = tags_load_in(c, s, arn, &have)) == ERR_OK &&
	    (rc = check_count(c, arn, &have, add, remove)) == ERR_OK)
		rc = write_change(c, s, arn, add, remove);
	tag_set_free(&have);
	return rc;
}

enum err_code
tags_apply_in(struct call *c, struct store *s, const char *arn, const struct tag_set *add,
    const struct tag_set *remove)
{
	if (tags_check_keys(c, add) != ERR_OK || tags_check_keys(c, remove) != ERR_OK ||
	    find(c, s, arn) != ERR_OK)
		return c->err.code;
	return change_in(c, s, arn, add, remove);
}

enum err_code
tags_replace_in(struct call *c, struct store *s, const char *arn, const struct tag_set *want)
{
	struct tag_set have, gone, set;
	enum err_code rc;
	size_t i;

	tag_set_init(&have);
	tag_set_init(&gone);
	tag_set_init(&set);
	if ((rc = tags_check_keys(c, want)) != ERR_OK ||
	    (rc = tags_load_in(c, s, arn, &have)) != ERR_OK)
		goto out;
	for (i = 0; i < have.n && rc == ERR_OK; i++)
		if (tag_set_get(want, have.v[i].key) == NULL)
			rc = tag_set_put(&gone, have.v[i].key, "", &c->err);
	for (i = 0; i < want->n && rc == ERR_OK; i++) {
		const char *old = tag_set_get(&have, want->v[i].key);
		if (old == NULL || strcmp(old, want->v[i].value) != 0)
			rc = tag_set_put(&set, want->v[i].key, want->v[i].value, &c->err);
	}
	if (rc == ERR_OK && (rc = check_count(c, arn, &have, &set, &gone)) == ERR_OK)
		rc = write_change(c, s, arn, &set, &gone);
out:
	tag_set_free(&have);
	tag_set_free(&gone);
	tag_set_free(&set);
	return rc;
}

enum err_code
tags_attach_in(struct call *c, struct store *s, const char *arn, const struct tag_set *tags)
{
	if (tags == NULL)
		return ERR_OK;
	if (tags_check_keys(c, tags) != ERR_OK || check_count(c, arn, NULL, tags, NULL) != ERR_OK)
		return c->err.code;
	return write_change(c, s, arn, tags, NULL);
}

/* ---- the JSON edges ----------------------------------------------------------- */

struct change_job {
	struct call *c;
	const char *arn;
	const struct tag_set *add, *remove;
};

static enum err_code
change_tx(struct store *s, void *arg, struct err *e)
{
	struct change_job *j = arg;

	(void)e;	/* j->c->err */
	return tags_apply_in(j->c, s, j->arn, j->add, j->remove);
}

/* TagResource and UntagResource: one change of the resource's tags, in
 * one writing job. */
static enum err_code
change(struct call *c, const json_t *in, const struct tag_set *add,
    const struct tag_set *remove, json_t **out)
{
	struct change_job j = { c, json_string_value(json_object_get(in, "resourceArn")), add,
	    remove };

	return ivs_write_empty(c, change_tx, &j, out);
}

enum err_code
tag_resource(struct call *c, const json_t *in, json_t **out)
{
	struct tag_set add;
	enum err_code rc;

	tag_set_init(&add);
	if ((rc = tag_set_from_map(json_object_get(in, "tags"), &add, &c->err)) == ERR_OK)
		rc = change(c, in, &add, NULL, out);
	tag_set_free(&add);
	return rc;
}

enum err_code
untag_resource(struct call *c, const json_t *in, json_t **out)
{
	struct tag_set remove;
	enum err_code rc;

	tag_set_init(&remove);
	if ((rc = tag_set_from_keys(json_object_get(in, "tagKeys"), &remove, &c->err)) == ERR_OK)
		rc = change(c, in, NULL, &remove, out);
	tag_set_free(&remove);
	return rc;
}

struct list_job {
	struct call *c;
	const char *arn;
	struct tag_set tags;		/* out */
};

static enum err_code
list_tx(struct store *s, void *arg, struct err *e)
{
	struct list_job *j = arg;

	if (find(j->c, s, j->arn) != ERR_OK)
		return e->code;
	return tags_load_in(j->c, s, j->arn, &j->tags);
}

enum err_code
list_tags(struct call *c, const json_t *in, json_t **out)
{
	struct list_job j = { .c = c, .arn = json_string_value(json_object_get(in, "resourceArn")) };
	json_t *map = NULL;
	enum err_code rc;

	tag_set_init(&j.tags);
	if ((rc = store_read(list_tx, &j, &c->err)) == ERR_OK) {
		map = tag_set_to_map(&j.tags);
		*out = map ? json_pack("{s:o}", "tags", map) : NULL;
		if (*out == NULL)
			rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
	}
	tag_set_free(&j.tags);
	return rc;
}

json_t *
tags_map_in(struct call *c, struct store *s, const char *arn)
{
	json_t *tags = json_object();

	if (tags == NULL) {
		err_set(&c->err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (store_tags_get(s, arn, tags, &c->err) != ERR_OK) {
		json_decref(tags);
		return NULL;
	}
	return tags;
}
