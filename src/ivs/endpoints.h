/* A stage's endpoints (events, whip, rtmp, rtmps) from the configured templates. */
#ifndef RTSTAGE_IVS_ENDPOINTS_H
#define RTSTAGE_IVS_ENDPOINTS_H

#include "config.h"
#include "store/stage_store.h"
#include "util/buf.h"

/* What a template may name of one stage: {hex} is 12 hex digits derived
 * from the stage ARN (stable for the stage's life, computed once here),
 * {id}, {region} and {account} are the stage's. */
struct endpoint_vars {
	const struct stage_rec *st;
	char hex[13];
};

/* Fills v for st (borrowed: st must outlive v). */
void endpoint_vars(const struct stage_rec *st, struct endpoint_vars *v);

/* Expands template with v into out (cap bytes). Unknown {words} stay as
 * they are. Returns 0, or -1 if the result did not fit. */
int endpoint_expand(const char *tmpl, const struct endpoint_vars *v, char *out, size_t cap);

/* Appends the StageEndpoints object for st as JSON to b. */
void endpoints_write(struct buf *b, const struct config *cfg, const struct stage_rec *st);

#endif
