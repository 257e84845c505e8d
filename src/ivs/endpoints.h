/* A stage's endpoints (events, whip, rtmp, rtmps) from the configured templates. */
#ifndef RTSTAGE_IVS_ENDPOINTS_H
#define RTSTAGE_IVS_ENDPOINTS_H

#include "config.h"
#include "store/stage_store.h"
#include "util/buf.h"

/* Expands template for st into out (cap bytes): {hex} is 12 hex digits
 * derived from the stage ARN (stable for the stage's life), {id},
 * {region} and {account} are the stage's. Unknown {words} stay as they
 * are. Returns 0, or -1 if the result did not fit. */
int endpoint_expand(const char *tmpl, const struct stage_rec *st, char *out, size_t cap);

/* Appends the StageEndpoints object for st as JSON to b. */
void endpoints_write(struct buf *b, const struct config *cfg, const struct stage_rec *st);

#endif
