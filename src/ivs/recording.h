/* autoParticipantRecordingConfiguration: defaults, reset rule, JSON form. */
#ifndef RTSTAGE_IVS_RECORDING_H
#define RTSTAGE_IVS_RECORDING_H

#include <jansson.h>

#include "store/stage_store.h"
#include "util/buf.h"

/* The real service's defaults (recording disabled). */
void recording_defaults(struct recording *r);

/* Reads a validated configuration object into r: members not sent take
 * their defaults, and an empty storageConfigurationArn resets every other
 * member to its default, as the real service does. */
void recording_from_json(const json_t *obj, struct recording *r);

/* Appends the configuration as the API returns it, every member present,
 * as a JSON object to b. */
void recording_write(struct buf *b, const struct recording *r);

#endif
