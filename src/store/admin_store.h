/* Administrative queries over the whole store (every account and region). */
#ifndef RTSTAGE_STORE_ADMIN_STORE_H
#define RTSTAGE_STORE_ADMIN_STORE_H

#include "util/err.h"

/* Deletes every resource of every account and region (the rows of every
 * resource table: stages, storage configurations, tags, participant
 * tokens, usage counters, Cloud Control requests) in one writing
 * transaction; keeps the schema, the settings and the signing keys. All
 * or nothing. Thread-safe (a store_write job). */
enum err_code store_admin_reset(struct err *e);

#endif
