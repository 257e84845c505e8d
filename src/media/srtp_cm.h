/* libsrtp2's AES-128 counter mode and HMAC-SHA1 on OpenSSL, as
 * srtp_gcm.h does for AES-GCM and for the same reason: Debian's libsrtp2
 * runs them on NSS, which opens a PKCS#11 context for every packet (and
 * every key derivation). Counter mode is the AES-CM-128/HMAC-SHA1-80
 * profile's cipher and every profile's key derivation function; HMAC-SHA1
 * is that profile's authentication. libsrtp2 runs its known-answer tests
 * on both before using them (RFC 3711 B.2 and RFC 2202 vectors, one
 * message per fresh key); a packet after the first under one key is
 * checked by tests/unit/test_srtp.c and, for HMAC, at start (below).
 */
#ifndef RTSTAGE_MEDIA_SRTP_CM_H
#define RTSTAGE_MEDIA_SRTP_CM_H

#include <srtp2/srtp.h>

/* Replaces libsrtp2's SRTP_AES_ICM_128 cipher type and SRTP_HMAC_SHA1
 * authentication type with the OpenSSL ones. Call once, after srtp_init
 * and before any session exists (not thread-safe: srtp_session_init
 * calls it under its pthread_once). Returns libsrtp2's status:
 * srtp_err_status_ok, or the failure of a known-answer test or of an
 * allocation (libsrtp2 keeps its own type for what failed). Keeps
 * libsrtp2's HMAC, and says OK, where OpenSSL cannot restart an HMAC
 * under the same key (before 3.0.3). */
srtp_err_status_t srtp_cm_use_openssl(void);

#endif
