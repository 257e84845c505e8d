/* The resource schema of AWS::IVS::Stage (spec/schemas/): what a resource
 * model may hold. */
#ifndef RTSTAGE_CLOUDCONTROL_SCHEMA_H
#define RTSTAGE_CLOUDCONTROL_SCHEMA_H

#include <jansson.h>

#include "util/err.h"

/* Reads the embedded schema. Call once before serving. */
enum err_code schema_init(struct err *e);
void schema_fini(void);

/* The schema's typeName, "AWS::IVS::Stage". */
const char *schema_type_name(void);

/* Refuses, with ERR_VALIDATION naming it, a read-only property (the
 * schema's readOnlyProperties: Arn, ActiveSessionId) that after sets or
 * changes: before is the model before a patch, NULL for a new resource. */
enum err_code schema_check_read_only(const json_t *before, const json_t *after,
    struct err *e);

/* Checks props, a resource model, against the schema: ERR_OK, or
 * ERR_VALIDATION naming each violation (at most a few), as
 * CloudFormation does: "Model validation failed (#/Name: failed
 * validation constraint for keyword [pattern])". Thread-safe. */
enum err_code schema_check(const json_t *props, struct err *e);

#endif
