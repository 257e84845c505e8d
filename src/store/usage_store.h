/* Quota usage counters per (account, region, kind). The caller holds the
 * writing transaction, so a counter's row serialises concurrent creates. */
#ifndef RTSTAGE_STORE_USAGE_STORE_H
#define RTSTAGE_STORE_USAGE_STORE_H

#include "store/store.h"

/* Adds one to the counter if it is below limit; *taken says whether it did. */
enum err_code store_usage_take(struct store *s, const char *account, const char *region,
    const char *kind, unsigned limit, int *taken, struct err *e);

/* Subtracts one from the counter (never below zero). */
enum err_code store_usage_release(struct store *s, const char *account, const char *region,
    const char *kind, struct err *e);

#endif
