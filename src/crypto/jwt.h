/* JWS compact serialisation of ES384-signed JWTs. */
#ifndef RTSTAGE_CRYPTO_JWT_H
#define RTSTAGE_CRYPTO_JWT_H

#include <jansson.h>

#include "crypto/keys.h"
#include "util/err.h"

enum jwt_check {
	JWT_VALID,		/* signature verified by a key of the ring */
	JWT_MALFORMED,		/* not three base64url parts of JSON */
	JWT_WRONG_ALG,		/* header alg is not ES384 */
	JWT_UNKNOWN_KEY,	/* no key of the ring has the header's kid */
	JWT_BAD_SIGNATURE,	/* the key does not verify the signature */
};

/* Signs claims with the ring's current key: header {"alg":"ES384",
 * "typ":"JWT","kid":...}. Returns the token (caller frees), or NULL with e. */
char *jwt_sign(struct keyring *k, const json_t *claims, struct err *e);

/* Decodes and verifies token. Whenever the parts decode, *header and
 * *claims are set (caller owns them), even if the signature fails. */
enum jwt_check jwt_verify(struct keyring *k, const char *token, json_t **header,
    json_t **claims);

/* A sentence saying what c means. */
const char *jwt_check_text(enum jwt_check c);

#endif
