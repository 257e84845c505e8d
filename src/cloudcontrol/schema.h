/* The resource schemas (spec/schemas/) of the types Cloud Control serves:
 * what a resource model may hold, and which properties a patch may not
 * change. */
#ifndef RTSTAGE_CLOUDCONTROL_SCHEMA_H
#define RTSTAGE_CLOUDCONTROL_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

/* One resource schema, read by schema_init; read-only afterwards. */
struct schema;

/* Reads every embedded schema. Call once before serving. */
enum err_code schema_init(struct err *e);
void schema_fini(void);

/* The schema of the type named type_name ("AWS::IVS::Stage"), or NULL. */
const struct schema *schema_for(const char *type_name);

/* The i-th schema (0, 1, ...), NULL past the last: to visit them all. */
const struct schema *schema_nth(size_t i);

/* The schema's typeName. */
const char *schema_type_name(const struct schema *sc);

/* Refuses, with ERR_VALIDATION naming it, a read-only property (the
 * schema's readOnlyProperties: Arn, ...) that after sets or changes:
 * before is the model before a patch, NULL for a new resource. */
enum err_code schema_check_read_only(const struct schema *sc, const json_t *before,
    const json_t *after, struct err *e);

/* Refuses, with ERR_NOT_UPDATABLE naming it as CloudFormation does
 * ("Invalid patch update: createOnlyProperties [/properties/Name] cannot
 * be updated"), a create-only property (the schema's
 * createOnlyProperties, nested paths included) that differs between
 * before and after, the models before and after a patch. */
enum err_code schema_check_create_only(const struct schema *sc, const json_t *before,
    const json_t *after, struct err *e);

/* Checks props, a resource model, against the schema: ERR_OK, or
 * ERR_VALIDATION naming each violation (at most a few), as
 * CloudFormation does: "Model validation failed (#/Name: failed
 * validation constraint for keyword [pattern])". Thread-safe. */
enum err_code schema_check(const struct schema *sc, const json_t *props, struct err *e);

#endif
