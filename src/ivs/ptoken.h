/* Participant token verification: what the events socket (and later the
 * media endpoints) accept as a credential.
 *
 * A token is a compact JWS signed ES384 by a key of the server's keyring
 * or, through a lookup hook, by a customer's imported public key. Every
 * refusal names the JOIN_ERROR code the client is sent and the rule that
 * was broken (for the log). Pure apart from the keyring and the hook.
 */
#ifndef RTSTAGE_IVS_PTOKEN_H
#define RTSTAGE_IVS_PTOKEN_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

#include "crypto/keys.h"
#include "util/err.h"

/* Why a token is refused: the JOIN_ERROR codes of the events protocol. */
enum ptoken_code {
	PTOKEN_OK,
	PTOKEN_MISSING,			/* TOKEN_MISSING */
	PTOKEN_INVALID,			/* TOKEN_INVALID: shape, header or claims */
	PTOKEN_INVALID_SIGNATURE,	/* TOKEN_INVALID_SIGNATURE: key or signature */
	PTOKEN_EXPIRED,			/* TOKEN_EXPIRED */
	PTOKEN_UNREADABLE,		/* INTERNAL: its key could not be read now (retry) */
};

#define PTOKEN_ID_CAP 72		/* jti: up to 64 of [A-Za-z0-9_-] */
#define PTOKEN_ARN_CAP 192
#define PTOKEN_TOPIC_CAP 64
#define PTOKEN_USER_CAP 400
#define PTOKEN_URL_CAP 512
#define PTOKEN_WHY_CAP 160

/* What a valid token says. attributes and capabilities are JSON object
 * text (malloc'd); free the record with ptoken_free. */
struct ptoken {
	char participant_id[PTOKEN_ID_CAP];
	char stage_arn[PTOKEN_ARN_CAP];
	char topic[PTOKEN_TOPIC_CAP];
	char user_id[PTOKEN_USER_CAP];
	char events_url[PTOKEN_URL_CAP];
	char whip_url[PTOKEN_URL_CAP];
	char *attributes;		/* "{}" when absent */
	char *capabilities;
	int publish, subscribe;		/* allow_publish, allow_subscribe */
	long long exp, iat;		/* seconds since the epoch */
	char key_arn[PTOKEN_ARN_CAP];	/* the imported public key that verified a
					 * customer-signed token; "" for ours */
	char why[PTOKEN_WHY_CAP];	/* the broken rule when refused */
};

/* A customer's public key by the kid (an imported key's ARN) its token
 * names: ERR_OK with *key a new reference (the caller frees it),
 * ERR_NOT_FOUND when there is none, another code when it could not be
 * read (the store failed: the token is neither good nor bad yet). */
typedef enum err_code (*ptoken_key_lookup_fn)(const char *kid, EVP_PKEY **key);

/* Sets the lookup of kids that are not the server's (NULL: none, and such
 * tokens are TOKEN_INVALID_SIGNATURE). Call before serving. */
void ptoken_set_key_lookup(ptoken_key_lookup_fn fn);

/* Verifies token (NULL or "" is TOKEN_MISSING) at now_s (seconds since
 * the epoch) against ring: shape, header (alg ES384, typ JWT, kid),
 * signature, then the claims (ptoken_check_claims). A kid that is not one
 * of ring's goes to the lookup hook: it must be the ARN of a public key
 * of the account and region of the stage the resource claim names
 * (TOKEN_INVALID_SIGNATURE otherwise, even if the key exists and its
 * signature verifies); out->key_arn then names it. Fills *out on
 * PTOKEN_OK; on a refusal out->why says what was wrong. Either way the
 * caller frees *out with ptoken_free. Thread-safe. */
enum ptoken_code ptoken_verify(struct keyring *ring, const char *token, long long now_s,
    struct ptoken *out);

/* The claims rules alone, over decoded claims (no signature): what
 * ptoken_verify checks after the signature, the same for the server's
 * tokens and customer-signed ones. exp and iat numbers of seconds from 0
 * to LIMIT_TIME_MAX; jti 1 to 64 of [A-Za-z0-9_-]; topic a stage id and
 * resource that stage's ARN; events_url and whip_url non-empty strings;
 * capabilities an object whose allow_publish and allow_subscribe, when
 * present, are booleans; version "1.0"; user_id, when present, a string
 * of at most LIMIT_TOKEN_USER_ID_UNITS UTF-16 units; attributes, when
 * present, an object of strings of at most MAX_ATTRIBUTE_BYTES in all;
 * exp at most LIMIT_TOKEN_LIFETIME_S after iat; iat at most
 * LIMIT_TOKEN_CLOCK_SKEW_S ahead of now_s (all TOKEN_INVALID); then exp
 * after now_s (TOKEN_EXPIRED). Pure. */
enum ptoken_code ptoken_check_claims(const json_t *claims, long long now_s, struct ptoken *out);

/* The protocol's name of c ("TOKEN_EXPIRED"...); "INTERNAL" for OK. */
const char *ptoken_code_name(enum ptoken_code c);

/* Frees what out holds (not out). Accepts a zeroed record. */
void ptoken_free(struct ptoken *t);

#endif
