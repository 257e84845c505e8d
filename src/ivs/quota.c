/* Quota table: counter name, quota name and configured limit. */
#include <stddef.h>

#include "ivs/quota.h"
#include "store/usage_store.h"

static const struct {
	const char *kind;	/* usage counter */
	const char *name;	/* as the Service Quotas console names it */
	size_t limit;		/* offset of the unsigned limit in struct config */
} quotas[QUOTA__COUNT] = {
	[QUOTA_STAGES] = { "stages", "Stages",
	    offsetof(struct config, quota_stages) },
	[QUOTA_STORAGE_CONFIGURATIONS] = { "storage-configurations", "Storage configurations",
	    offsetof(struct config, quota_storage_configurations) },
	[QUOTA_PUBLIC_KEYS] = { "public-keys", "Public keys",
	    offsetof(struct config, quota_public_keys) },
};

enum err_code
quota_take(struct call *c, struct store *s, enum quota q)
{
	unsigned limit = *(const unsigned *)((const char *)c->cfg + quotas[q].limit);
	int taken = 0;

	if (store_usage_take(s, c->who.account, c->who.region, quotas[q].kind, limit,
	    &taken, &c->err) != ERR_OK)
		return c->err.code;
	if (!taken)
		return err_set(&c->err, ERR_QUOTA, "Service quota exceeded: the '%s' quota allows "
		    "%u per account in %s", quotas[q].name, limit, c->who.region);
	return ERR_OK;
}

enum err_code
quota_release(struct call *c, struct store *s, enum quota q)
{
	return store_usage_release(s, c->who.account, c->who.region, quotas[q].kind, &c->err);
}
