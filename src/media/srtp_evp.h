/* libsrtp2's ciphers and HMAC on OpenSSL's EVP: AES-128-GCM, AES-128
 * counter mode (the AES-CM profile's cipher, and every profile's key
 * derivation) and HMAC-SHA1, for libsrtp2 builds that run them on NSS
 * (Debian's): there every packet opens and closes a PKCS#11 context, with
 * a lock and an allocation, which costs more than the cryptography. The
 * SRTP itself (key derivation, IVs, replay windows, packet layout) stays
 * libsrtp2's; this module only supplies the primitives, through
 * libsrtp2's documented extension points (srtp_replace_cipher_type,
 * srtp_replace_auth_type). libsrtp2 runs its known-answer tests on each
 * before taking it (the GCM specification's, RFC 3711 B.2's and
 * RFC 2202's vectors, one message per fresh key); packets after the first
 * under one key are checked by tests/unit/test_srtp.c, and for HMAC at
 * start (below).
 */
#ifndef RTSTAGE_MEDIA_SRTP_EVP_H
#define RTSTAGE_MEDIA_SRTP_EVP_H

#include <srtp2/srtp.h>

/* Replaces libsrtp2's SRTP_AES_ICM_128 and SRTP_AES_GCM_128 cipher types
 * and its SRTP_HMAC_SHA1 authentication type with the OpenSSL ones.
 * Call once, after srtp_init and before any session exists (not
 * thread-safe: srtp_session_init calls it under its pthread_once).
 * Returns libsrtp2's status: srtp_err_status_ok, or the failure of a
 * known-answer test or of an allocation (libsrtp2 keeps its own type for
 * what failed). Keeps libsrtp2's HMAC, and says OK, where OpenSSL cannot
 * restart an HMAC under the same key (before 3.0.3). */
srtp_err_status_t srtp_evp_install(void);

#endif
