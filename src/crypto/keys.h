/* The participant-token signing keys: P-384 key pairs in DATA_DIR/keys.
 *
 * Each key is a PEM file (mode 0600) named CREATED-KID.pem (CREATED in
 * nanoseconds since the epoch); the newest
 * signs. A key that was superseded stays published (JWKS) and usable for
 * verification until KEYS_RETAIN_SECONDS after its successor was made,
 * longer than any token it signed can live. The directory is re-read when
 * it changes, so `rtstage keys rotate` takes effect in a running server.
 */
#ifndef RTSTAGE_CRYPTO_KEYS_H
#define RTSTAGE_CRYPTO_KEYS_H

#include <stddef.h>

#include "util/err.h"

#define KEYS_KID_LEN 16			/* base64url of 12 bytes of SHA-256(SPKI) */
#define KEYS_SIG_BYTES 96		/* raw R || S of ES384 */
#define KEYS_RETAIN_SECONDS (14 * 24 * 3600)	/* longest token lifetime */

struct keyring;

/* Opens the keys under data_dir. With create set, makes the directory and
 * a first key when there is none. Caller owns the result (keys_free). */
struct keyring *keys_open(const char *data_dir, int create, struct err *e);

void keys_free(struct keyring *k);

/* Makes a new signing key under data_dir; writes its kid into kid
 * (KEYS_KID_LEN + 1 bytes). */
enum err_code keys_rotate(const char *data_dir, char *kid, struct err *e);

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
