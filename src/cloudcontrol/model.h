/* The resource model of AWS::IVS::Stage and the domain's stage: one from
 * the other. Knows the schema's names and nesting; knows nothing of
 * requests or the store. */
#ifndef RTSTAGE_CLOUDCONTROL_MODEL_H
#define RTSTAGE_CLOUDCONTROL_MODEL_H

#include <jansson.h>

#include "ivs/tags.h"
#include "store/stage_store.h"
#include "util/err.h"

/* The model of stage st with tags (in the order given; NULL: none): Arn,
 * Name, AutoParticipantRecordingConfiguration (the schema's nesting),
 * Tags (a list of {Key, Value}; absent when there are none). Caller owns
 * the result; NULL when out of memory. */
json_t *model_from_stage(const struct stage_rec *st, const struct tag_set *tags);

/* Sets m's Tags to tags as a list of {Key, Value}, in the order given;
 * leaves it absent when there are none (tags NULL or empty). Returns 0,
 * or -1 when out of memory. */
int model_put_tags(json_t *m, const struct tag_set *tags);

/* The recording the model's AutoParticipantRecordingConfiguration rec
 * (checked against the schema) asks for, into out: members it does not
 * give take their defaults; NULL: recording off. ERR_VALIDATION when a
 * value does not fit. */
enum err_code model_recording(const json_t *rec, struct recording *out, struct err *e);

/* The tag set of the model's Tags list (NULL: no tags) into out (emptied
 * first; the caller frees it). ERR_VALIDATION when a key repeats or is
 * reserved, naming it as CloudFormation does. */
enum err_code model_tags(const json_t *tags, struct tag_set *out, struct err *e);

#endif
