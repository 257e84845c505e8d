/* Imported public keys as stored. The caller holds the transaction. */
#ifndef RTSTAGE_STORE_PUBLIC_KEY_STORE_H
#define RTSTAGE_STORE_PUBLIC_KEY_STORE_H

#include "store/store.h"
#include "limits.h"

/* A fingerprint: the 32 bytes of a SHA-256 as lower-case hex pairs joined
 * by colons (ivs/public_key.h). */
#define PUBLIC_KEY_FINGERPRINT_LEN (32 * 3 - 1)

struct public_key_rec {
	long long seq;
	char id[16];
	char account[16];
	char region[64];
	char arn[192];
	char name[400];		/* 128 UTF-16 units of [a-zA-Z0-9-_]: ASCII */
	char fingerprint[PUBLIC_KEY_FINGERPRINT_LEN + 1];
	char material[LIMIT_PUBLIC_KEY_PEM_BYTES + 1];	/* as imported */
};

/* Inserts r (its seq is assigned). ERR_CONFLICT when the caller's account
 * and region already hold a key of the same fingerprint (unique index). */
enum err_code store_public_key_insert(struct store *s, const struct public_key_rec *r,
    struct err *e);

/* Reads the public key id of (account, region) into out; ERR_NOT_FOUND if
 * there is none. */
enum err_code store_public_key_get(struct store *s, const char *account, const char *region,
    const char *id, struct public_key_rec *out, struct err *e);

/* Reads the key of (account, region) whose fingerprint is fp into out;
 * ERR_NOT_FOUND if there is none. */
enum err_code store_public_key_by_fingerprint(struct store *s, const char *account,
    const char *region, const char *fp, struct public_key_rec *out, struct err *e);

/* Deletes the public key r->id and its tags. */
enum err_code store_public_key_delete(struct store *s, const struct public_key_rec *r,
    struct err *e);

/* As store_stage_page, for public keys: each(arg, r) per key of
 * (account, region) with seq > after, in seq order, at most limit. */
enum err_code store_public_key_page(struct store *s, const char *account, const char *region,
    long long after, int limit,
    enum err_code (*each)(void *arg, const struct public_key_rec *r), void *arg,
    struct err *e);

#endif
