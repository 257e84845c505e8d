/* libsrtp2's AES-128-GCM cipher on OpenSSL's EVP interface, for
 * libsrtp2 builds whose own AES-GCM goes through NSS (Debian's): there
 * every packet opens and closes a PKCS#11 context, with a lock and an
 * allocation, which costs more than the encryption. The SRTP itself
 * (key derivation, IVs, replay windows, packet layout) stays libsrtp2's;
 * this module only supplies the block cipher mode, through libsrtp2's
 * documented extension point (srtp_replace_cipher_type), which runs
 * libsrtp2's known-answer tests on it before it is used (one message per
 * fresh key: packets after the first are checked by
 * tests/unit/test_srtp.c).
 */
#ifndef RTSTAGE_MEDIA_SRTP_GCM_H
#define RTSTAGE_MEDIA_SRTP_GCM_H

#include <srtp2/srtp.h>

/* Replaces libsrtp2's SRTP_AES_GCM_128 cipher type with the OpenSSL
 * one. Call once, after srtp_init and before any session exists (not
 * thread-safe: srtp_session_init calls it under its pthread_once).
 * Returns libsrtp2's status: srtp_err_status_ok, or the failure of a
 * known-answer test or of an allocation (libsrtp2 keeps its own type). */
srtp_err_status_t srtp_gcm_use_openssl(void);

#endif
