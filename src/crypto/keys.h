/* The participant-token signing keys: P-384 key pairs kept in a key store.
 *
 * The newest key signs. A key that was superseded stays published (JWKS)
 * and usable for verification until KEYS_RETAIN_SECONDS after its
 * successor was made, longer than any token it signed can live; after
 * that it is deleted from its store (at the next rotation or start). The
 * ring holds every key of its store, however many. It re-reads its store
 * when the store's stamp changes, so a key made by `rtstage keys rotate`
 * (or by another node) takes effect in a running server.
 */
#ifndef RTSTAGE_CRYPTO_KEYS_H
#define RTSTAGE_CRYPTO_KEYS_H

#include <stddef.h>

#include "util/err.h"
#include "limits.h"

#define KEYS_KID_LEN 16			/* base64url of 12 bytes of SHA-256(SPKI) */
#define KEYS_SIG_BYTES 96		/* raw R || S of ES384 */

struct keyring;

/* Where keys are kept: each key is its PEM text and when it was made
 * (nanoseconds since the epoch; that order decides which key signs).
 * key_files.c keeps them as files; key_table.c in the database. */
struct key_store {
	void *ctx;
	const char *where;	/* for messages */
	int poll_ms;		/* ask for the stamp at most this often; 0: on every use */
	/* A short text that changes whenever the set of keys changes. */
	enum err_code (*stamp)(void *ctx, char *out, size_t cap, struct err *e);
	/* Calls fn once per key. */
	enum err_code (*each)(void *ctx, void (*fn)(void *arg, long long created, const char *pem),
	    void *arg, struct err *e);
	/* Keeps a new key, whole or not at all. With first set, only if the
	 * store has no key yet (another node may have made the first). */
	enum err_code (*add)(void *ctx, long long created, const char *kid, const char *pem,
	    int first, struct err *e);
	/* Deletes every key made before `before` (nanoseconds). */
	enum err_code (*prune)(void *ctx, long long before, struct err *e);
};

/* Opens the keys of ks, which must outlive the ring. With create set,
 * first deletes the keys retired longer than KEYS_RETAIN_SECONDS ago and
 * makes a first key when there is none. Caller owns the result
 * (keys_free). */
struct keyring *keys_open(const struct key_store *ks, int create, struct err *e);

void keys_free(struct keyring *k);

/* Makes a new signing key in ks; writes its kid into kid
 * (KEYS_KID_LEN + 1 bytes). Then deletes the keys retired longer than
 * KEYS_RETAIN_SECONDS ago (an error there leaves the new key in place). */
enum err_code keys_rotate(const struct key_store *ks, char *kid, struct err *e);

/* The key store of files in DIR/keys (made if create is set; mode 0700
 * whatever it was), one PEM file (mode 0600) per key named
 * CREATED-KID.pem. *ks points into files, which must outlive it. */
struct key_files {
	char dir[4096];
};
enum err_code key_files_open(struct key_files *files, const char *data_dir, int create,
    struct key_store *ks, struct err *e);

/* Writes the kid of the current signing key into kid (KEYS_KID_LEN + 1
 * bytes). Thread-safe. */
void keys_current(struct keyring *k, char *kid);

/* Signs msg with the key kid (KEYS_SIG_BYTES of raw signature into sig).
 * Thread-safe. */
enum err_code keys_sign(struct keyring *k, const char *kid, const void *msg, size_t n,
    unsigned char *sig, struct err *e);

/* Does sig verify msg under the key kid (any key the ring holds, published
 * or retired)? 1 yes, 0 no, -1 no such key. Thread-safe. */
int keys_verify(struct keyring *k, const char *kid, const void *msg, size_t n,
    const unsigned char *sig);

/* The published public keys as a JWK Set document. Caller frees. */
char *keys_jwks(struct keyring *k);

#endif
