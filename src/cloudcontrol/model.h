/* The resource model of AWS::IVS::Stage and the ivs-realtime API's Stage:
 * one from the other. Knows the schema's names and nesting; knows nothing
 * of requests or the store. */
#ifndef RTSTAGE_CLOUDCONTROL_MODEL_H
#define RTSTAGE_CLOUDCONTROL_MODEL_H

#include <jansson.h>

#include "util/err.h"

/* The model of stage, a Stage object as GetStage returns it: Arn, Name,
 * AutoParticipantRecordingConfiguration (the schema's nesting), Tags (a
 * list of {Key, Value} in key order; absent when there are none),
 * ActiveSessionId (when there is one). Caller owns the result. */
json_t *model_from_stage(const json_t *stage);

/* The API's autoParticipantRecordingConfiguration for the model's
 * AutoParticipantRecordingConfiguration rec (NULL: recording off, every
 * member at its default). Caller owns the result. */
json_t *model_recording_to_api(const json_t *rec);

/* The API's tag map for the model's Tags list (NULL: no tags) into *map
 * (caller owns). ERR_VALIDATION when a key repeats or is reserved. */
enum err_code model_tags_to_api(const json_t *tags, json_t **map, struct err *e);

#endif
