/* Tags as the domain speaks them: a set of (key, value) pairs, and the
 * typed calls that check the tag rules (reserved "aws:" keys, at most
 * TAGS_MAX per resource, counted after the change) and write tags inside
 * a store job. JSON belongs to the callers (the API edges).
 */
#ifndef RTSTAGE_IVS_TAGS_H
#define RTSTAGE_IVS_TAGS_H

#include <stddef.h>

#include <jansson.h>

#include "aws/call.h"
#include "store/store.h"
#include "limits.h"


struct tag {
	char *key, *value;
};

/* Keys unique; in the order they were put. Owns its strings. */
struct tag_set {
	size_t n, cap;
	struct tag *v;
};

/* An empty set; nothing to free until something is put. */
void tag_set_init(struct tag_set *t);

/* Sets key to value (a copy of each is kept; an existing key's value is
 * replaced). ERR_INTERNAL when out of memory. */
enum err_code tag_set_put(struct tag_set *t, const char *key, const char *value,
    struct err *e);

/* The value of key, or NULL. */
const char *tag_set_get(const struct tag_set *t, const char *key);

/* Releases what t holds and leaves it empty. Accepts NULL. */
void tag_set_free(struct tag_set *t);

/* The edges' JSON forms: a tag map {"key": "value"} (NULL: none), a list
 * of keys ["key"] (values ""), both validated, into t (emptied first);
 * and t as a new map (caller owns; NULL when out of memory). */
enum err_code tag_set_from_map(const json_t *map, struct tag_set *t, struct err *e);
enum err_code tag_set_from_keys(const json_t *keys, struct tag_set *t, struct err *e);
json_t *tag_set_to_map(const struct tag_set *t);

/* Collects rows of tags read by the store (store_tags_each,
 * store_stage_read) into t: tag_load_row is the row callback; e keeps the
 * first failure (ERR_OK: none). */
struct tag_load {
	struct tag_set *t;
	struct err e;
};
void tag_load_row(void *arg, const char *key, const char *value);

/* Refuses, with ERR_VALIDATION, a key of t that is reserved ("aws:..."). */
enum err_code tags_check_keys(struct call *c, const struct tag_set *t);

/* Reads every tag of arn into t (emptied first), in key order, inside a
 * job (or as one statement on a thread's connection). */
enum err_code tags_load_in(struct call *c, struct store *s, const char *arn,
    struct tag_set *t);

/* The tags of arn as a new map {"key": "value"} (caller owns), read inside
 * a job; NULL with c->err set on failure. */
json_t *tags_map_in(struct call *c, struct store *s, const char *arn);

/* Inside a writing job: removes the keys of remove (values ignored; may
 * be NULL), then sets every tag of add (may be NULL) on arn, an existing
 * taggable resource of the caller. Checks first, writes after: reserved
 * keys, then that the resource exists (ERR_NOT_FOUND), then that at most
 * TAGS_MAX tags remain; a refused change writes nothing. */
enum err_code tags_apply_in(struct call *c, struct store *s, const char *arn,
    const struct tag_set *add, const struct tag_set *remove);

/* Inside a writing job: makes the tags of arn exactly want, with the
 * checks of tags_apply_in (the resource is not looked up: the caller has
 * it in hand). */
enum err_code tags_replace_in(struct call *c, struct store *s, const char *arn,
    const struct tag_set *want);

/* Inside a writing job: writes tags (may be NULL) on arn, a resource made
 * in the same job, after checking the keys and the count. */
enum err_code tags_attach_in(struct call *c, struct store *s, const char *arn,
    const struct tag_set *tags);

#endif
