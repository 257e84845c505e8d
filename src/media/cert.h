/* The server's DTLS identity: an ECDSA P-256 key and a self-signed
 * certificate made at start, and fingerprints in SDP form
 * ("sha-256 AB:CD:..."), ours and our peers'.
 *
 * The pair lives as long as the process and is remade at every start. That
 * is enough: WebRTC peers authenticate a DTLS certificate only by the
 * fingerprint carried in the signalling (RFC 8827 section 6.5), and every
 * SDP answer carries ours afresh, so a restart (which ends every media
 * connection anyway) changes nothing a peer holds. Nothing here touches the
 * network or the disk.
 */
#ifndef RTSTAGE_MEDIA_CERT_H
#define RTSTAGE_MEDIA_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "util/err.h"

/* SHA-256 digest bytes, and the SDP text of a fingerprint:
 * "sha-256 " and 32 colon-separated hex pairs. */
#define CERT_DIGEST_LEN 32
#define CERT_FINGERPRINT_LEN (8 + CERT_DIGEST_LEN * 3 - 1)

struct cert;

/* Makes a fresh P-256 key and a self-signed certificate for it (random
 * serial, CN "rtstage", valid from a day ago for CERT_VALID_DAYS).
 * Returns ERR_OK and sets *out (the caller owns it: cert_free), or
 * ERR_INTERNAL with the detail in e. Thread-safe. */
enum err_code cert_new(struct cert **out, struct err *e);

/* Frees a certificate made by cert_new. Accepts NULL. */
void cert_free(struct cert *c);

/* The certificate's fingerprint as SDP writes it after "a=fingerprint:"
 * ("sha-256 AB:..."). Owned by c; valid as long as c. */
const char *cert_fingerprint(const struct cert *c);

/* The certificate and key, for an SSL_CTX (src/media/dtls.c). Borrowed:
 * owned by c, valid as long as c. */
X509 *cert_x509(const struct cert *c);
EVP_PKEY *cert_key(const struct cert *c);

/* SHA-256 of x's DER encoding into out. Returns ERR_OK, or ERR_INTERNAL. */
enum err_code cert_digest(X509 *x, uint8_t out[CERT_DIGEST_LEN], struct err *e);

/* Reads an SDP fingerprint value ("sha-256 AB:CD:..."; hash name and hex
 * in any case, 32 bytes) into out. Returns ERR_OK, or ERR_VALIDATION for
 * any other hash function or a malformed value. Pure. */
enum err_code cert_fingerprint_parse(const char *text, uint8_t out[CERT_DIGEST_LEN],
    struct err *e);

/* Writes digest in SDP form into out (CERT_FINGERPRINT_LEN + 1 bytes). Pure. */
void cert_fingerprint_format(const uint8_t digest[CERT_DIGEST_LEN],
    char out[CERT_FINGERPRINT_LEN + 1]);

#endif
