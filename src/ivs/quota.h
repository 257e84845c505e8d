/* Service quotas per account and region, with the real service's names. */
#ifndef RTSTAGE_IVS_QUOTA_H
#define RTSTAGE_IVS_QUOTA_H

#include "aws/call.h"
#include "store/store.h"

enum quota { QUOTA_STAGES, QUOTA_STORAGE_CONFIGURATIONS, QUOTA_PUBLIC_KEYS, QUOTA__COUNT };

/* Counts one more resource of quota q for the caller inside the open
 * writing transaction, or fails with ERR_QUOTA naming the quota. */
enum err_code quota_take(struct call *c, struct store *s, enum quota q);

/* Counts one resource less. */
enum err_code quota_release(struct call *c, struct store *s, enum quota q);

#endif
