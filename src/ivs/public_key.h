/* Imported public keys (ImportPublicKey): the check of a key's PEM text
 * and its fingerprint (pure functions), the typed calls that keep the
 * rules (one key material per account and region, the quota, the tag
 * rules) inside one store job, the lookup that verifies customer-signed
 * participant tokens, and the JSON edges ImportPublicKey, GetPublicKey,
 * ListPublicKeys, DeletePublicKey.
 *
 * The _in calls run inside a job (store_write, or store_read for loads):
 * they never begin or end a transaction. Errors go to c->err.
 */
#ifndef RTSTAGE_IVS_PUBLIC_KEY_H
#define RTSTAGE_IVS_PUBLIC_KEY_H

#include <openssl/evp.h>

#include "aws/call.h"
#include "ivs/tags.h"
#include "store/public_key_store.h"

#define PUBLIC_KEY_TYPE "public-key"	/* its ARNs' resource type */

/* Checks that pem is one PEM block "PUBLIC KEY" holding an ECDSA P-384
 * (secp384r1) SubjectPublicKeyInfo, with nothing but whitespace before
 * or after it, and at most LIMIT_PUBLIC_KEY_PEM_BYTES long. Writes its
 * fingerprint (public_key_fingerprint) into fp (PUBLIC_KEY_FINGERPRINT_LEN
 * + 1 bytes) and, when key is not NULL, the key into *key (the caller
 * frees it with EVP_PKEY_free). ERR_VALIDATION saying what is wrong
 * otherwise (an RSA or P-256 key, a private key, a certificate, two
 * blocks, text around the block, undecodable base64 or DER), with *key
 * NULL. Pure; thread-safe. */
enum err_code public_key_parse(const char *pem, char *fp, EVP_PKEY **key, struct err *e);

/* The fingerprint of a key whose DER SubjectPublicKeyInfo is der (n
 * bytes): its SHA-256, as lower-case hex pairs joined by colons, into fp
 * (PUBLIC_KEY_FINGERPRINT_LEN + 1 bytes). Returns 0, or -1 if the hash
 * failed. */
int public_key_fingerprint(const unsigned char *der, size_t n, char *fp);

/* Makes a new key's record outside any job: a fresh id and ARN in the
 * caller's account and region, name ("" when NULL), the material as
 * given, checked by public_key_parse, and its fingerprint. */
enum err_code public_key_prepare(struct call *c, const char *name, const char *material,
    struct public_key_rec *r);

/* Inside a writing job: stores r (made by public_key_prepare) with tags
 * (may be NULL): ERR_CONFLICT when the caller's account and region hold a
 * key of the same fingerprint, then the tag rules and the quota. */
enum err_code public_key_create_in(struct call *c, struct store *s,
    const struct public_key_rec *r, const struct tag_set *tags);

/* Reads the caller's key arn into r and, when tags is not NULL, its tags
 * in key order. ERR_NOT_FOUND also for an ARN of another type, account or
 * region. */
enum err_code public_key_load_in(struct call *c, struct store *s, const char *arn,
    struct public_key_rec *r, struct tag_set *tags);

/* Inside a writing job: deletes the caller's key arn and its tags and
 * gives back its quota. Tokens it signed stop verifying at once. */
enum err_code public_key_delete_in(struct call *c, struct store *s, const char *arn);

/* Calls row(arg, r) for up to limit keys of the caller with seq > after,
 * in seq order (one statement, one snapshot). */
enum err_code public_key_page_in(struct call *c, struct store *s, long long after, int limit,
    enum err_code (*row)(void *arg, const struct public_key_rec *r), void *arg);

/* The key that verifies a customer-signed participant token whose header
 * kid is arn: the public key arn names (its account and region are the
 * ARN's own), as stored now. On ERR_OK *key is that P-384 key, which the
 * caller frees with EVP_PKEY_free; ERR_NOT_FOUND (and *key NULL) when arn
 * is not a public key ARN or names no key, also one deleted since the
 * token was signed. One statement on s (a thread's connection or a job);
 * thread-safe with a connection per thread. */
enum err_code public_key_find(struct store *s, const char *arn, EVP_PKEY **key,
    struct err *e);

/* public_key_find on the calling thread's own store connection, as the
 * participant-token verifier's key lookup (ptoken_set_key_lookup): ERR_OK
 * with *key (caller frees it), ERR_NOT_FOUND when none, ERR_INTERNAL when
 * the store failed (logged). Thread-safe; for threads that may wait on
 * the store. */
enum err_code public_key_token_key(const char *kid, EVP_PKEY **key);

/* The operations (input validated against the model). */
enum err_code public_key_import(struct call *c, const json_t *in, json_t **out);
enum err_code public_key_get(struct call *c, const json_t *in, json_t **out);
enum err_code public_key_list(struct call *c, const json_t *in, json_t **out);
enum err_code public_key_delete(struct call *c, const json_t *in, json_t **out);

#endif
