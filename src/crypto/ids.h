/* Identifiers from the CSPRNG, and the encodings they travel in.
 * All functions are thread-safe (OpenSSL's DRBG is per thread).
 */
#ifndef RTSTAGE_CRYPTO_IDS_H
#define RTSTAGE_CRYPTO_IDS_H

#include <stddef.h>

#define IDS_RESOURCE_LEN 12	/* stage, storage configuration, participant ids */
#define IDS_REQUEST_LEN 36	/* UUID text */

/* Writes n characters of [A-Za-z0-9], uniformly drawn, and a NUL into out
 * (n + 1 bytes). Returns 0, or -1 if the CSPRNG failed. */
int ids_alnum(char *out, size_t n);

/* Writes a random (version 4) UUID and a NUL into out (37 bytes), from
 * CSPRNG bytes the calling thread draws in batches (ids are public, not
 * secrets). Returns 0, or -1 if the CSPRNG failed. */
int ids_request_id(char *out);

/* n random bytes into out. Returns 0, or -1 if the CSPRNG failed. */
int ids_random(unsigned char *out, size_t n);

/* Decodes 2n hex digits at hex into out (n bytes). Returns 0, or -1. */
int ids_unhex(const char *hex, unsigned char *out, size_t n);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void ids_hex(const unsigned char *p, size_t n, char *out);

/* base64url without padding of n bytes into out (4 * ceil(n/3) + 1 bytes
 * suffice); returns the length written. */
size_t ids_b64url_encode(const unsigned char *p, size_t n, char *out);

/* Decodes base64url (no padding) s of len chars into out (at most cap
 * bytes); returns the byte count, or -1 if s is not canonical base64url or
 * does not fit. */
long ids_b64url_decode(const char *s, size_t len, unsigned char *out, size_t cap);

/* HMAC-SHA256 of msg under key into mac (32 bytes). Returns 0 or -1.
 * Thread-safe; algorithms are fetched once, contexts kept per thread. */
int ids_hmac_sha256(const unsigned char *key, size_t keylen,
    const void *msg, size_t msglen, unsigned char *mac);

/* HMAC-SHA256 under one key for many messages: the key is set once
 * (OpenSSL keeps its padded inner and outer states), each message then
 * costs only its own hashing. Not thread-safe: one user at a time. */
struct ids_hmac;

/* Returns a keyed HMAC (caller owns it; free with ids_hmac_free), or NULL
 * if OpenSSL could not make one. */
struct ids_hmac *ids_hmac_new(const unsigned char *key, size_t keylen);

/* HMAC-SHA256 of msg under h's key into mac (32 bytes). Returns 0 or -1. */
int ids_hmac_run(struct ids_hmac *h, const void *msg, size_t msglen, unsigned char *mac);

/* Frees h (OpenSSL wipes the key material). Accepts NULL. */
void ids_hmac_free(struct ids_hmac *h);

/* SHA-256 of n bytes at p into digest (32 bytes). Returns 0 or -1. */
int ids_sha256(const void *p, size_t n, unsigned char *digest);

#endif
