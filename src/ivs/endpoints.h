/* A stage's endpoints (events, whip, rtmp, rtmps): the configured templates,
 * or, for events and whip without one, this node's own from --public-url. */
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

/* Writes endpoint k of the stage of v into out (cap bytes): cfg's template
 * for k expanded, or without one (events, whip) the public URL's authority
 * as ws(s)://AUTHORITY/events or http(s)://AUTHORITY/whip (the secure
 * schemes when the public URL is https). cfg->public_url must be set.
 * Returns 0, or -1 if the result did not fit. Pure. */
int endpoint_url(const struct config *cfg, enum endpoint_kind k, const struct endpoint_vars *v,
    char *out, size_t cap);

/* Appends the StageEndpoints object for st as JSON to b. */
void endpoints_write(struct buf *b, const struct config *cfg, const struct stage_rec *st);

#endif
