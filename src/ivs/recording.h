/* autoParticipantRecordingConfiguration: defaults, reset rule, JSON form. */
#ifndef RTSTAGE_IVS_RECORDING_H
#define RTSTAGE_IVS_RECORDING_H

#include <jansson.h>

#include "store/stage_store.h"

/* The real service's defaults (recording disabled). */
void recording_defaults(struct recording *r);

/* Reads a validated configuration object into r: members not sent take
 * their defaults, and an empty storageConfigurationArn resets every other
 * member to its default, as the real service does. */
void recording_from_json(const json_t *obj, struct recording *r);

/* The configuration as the API returns it, every member present. Caller
 * owns the result. */
json_t *recording_to_json(const struct recording *r);

#endif
