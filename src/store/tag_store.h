/* Tags of any resource, keyed by its ARN. The caller holds the transaction. */
#ifndef RTSTAGE_STORE_TAG_STORE_H
#define RTSTAGE_STORE_TAG_STORE_H

#include <jansson.h>

#include "store/store.h"

/* Calls each(arg, key, value) for every tag of arn, in key order. */
enum err_code store_tags_each(struct store *s, const char *arn,
    void (*each)(void *arg, const char *key, const char *value), void *arg, struct err *e);

/* Adds every tag of arn to obj (a JSON object of strings). */
enum err_code store_tags_get(struct store *s, const char *arn, json_t *obj, struct err *e);

/* Sets (inserts or replaces) the tag key of arn. */
enum err_code store_tag_put(struct store *s, const char *arn, const char *key,
    const char *value, struct err *e);

/* Removes the tag key of arn; absent keys are no error. */
enum err_code store_tag_delete(struct store *s, const char *arn, const char *key, struct err *e);

/* Removes every tag of arn. */
enum err_code store_tags_delete_all(struct store *s, const char *arn, struct err *e);

#endif
