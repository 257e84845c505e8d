/* Storage configurations as stored. The caller holds the transaction. */
#ifndef RTSTAGE_STORE_STORAGE_STORE_H
#define RTSTAGE_STORE_STORAGE_STORE_H

#include "store/store.h"

struct storage_rec {
	long long seq;
	char id[16];
	char account[16];
	char region[64];
	char arn[192];
	char name[400];
	char bucket[64];
};

/* Inserts r (its seq is assigned). */
enum err_code store_storage_insert(struct store *s, const struct storage_rec *r, struct err *e);

/* Reads the storage configuration id of (account, region) into out;
 * ERR_NOT_FOUND if there is none. */
enum err_code store_storage_get(struct store *s, const char *account, const char *region,
    const char *id, struct storage_rec *out, struct err *e);

/* Deletes the storage configuration r->id and its tags. */
enum err_code store_storage_delete(struct store *s, const struct storage_rec *r, struct err *e);

/* As store_stage_page, for storage configurations. */
enum err_code store_storage_page(struct store *s, const char *account, const char *region,
    long long after, int limit, enum err_code (*each)(void *arg, const struct storage_rec *r),
    void *arg, struct err *e);

#endif
