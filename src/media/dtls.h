/* One DTLS 1.2 endpoint per media peer, over memory: no socket. The SFU
 * loop feeds each datagram the peer sent (dtls_endpoint_input), sends each
 * datagram the endpoint produced (dtls_endpoint_output), and drives the
 * retransmission timer with its own clock (dtls_endpoint_deadline,
 * dtls_endpoint_timeout). When the handshake completes, the endpoint hands
 * out the SRTP keying material of RFC 5764 for src/media/srtp.h.
 *
 * The peer's certificate is accepted only if its SHA-256 matches the
 * fingerprint of its SDP offer. A peer that misbehaves fails its own
 * endpoint; endpoints share nothing but the read-only dtls_context. An
 * endpoint belongs to one thread at a time.
 */
#ifndef RTSTAGE_MEDIA_DTLS_H
#define RTSTAGE_MEDIA_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "media/cert.h"
#include "util/err.h"

/* DTLS-SRTP protection profiles, by their IANA numbers (RFC 5764 4.1.2,
 * RFC 7714 14.2). Ours, in order of preference. */
enum dtls_srtp_profile {
	DTLS_SRTP_NONE = 0,
	DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001,
	DTLS_SRTP_AEAD_AES_128_GCM = 0x0007,
};

/* Master keys and salts of one profile (RFC 5764 4.2), already assigned
 * to directions: local protects what we send, remote unprotects what the
 * peer sends. Key material: wipe with dtls_srtp_keys_wipe after use. */
#define DTLS_SRTP_KEY_MAX 16
#define DTLS_SRTP_SALT_MAX 14
struct dtls_srtp_keys {
	enum dtls_srtp_profile profile;
	size_t key_len, salt_len;
	uint8_t local_key[DTLS_SRTP_KEY_MAX], local_salt[DTLS_SRTP_SALT_MAX];
	uint8_t remote_key[DTLS_SRTP_KEY_MAX], remote_salt[DTLS_SRTP_SALT_MAX];
};

/* Our role. The server's answers say a=setup:passive, so browsers are
 * DTLS clients and the SFU is always the server; the client role exists
 * for tests and the load tool. */
enum dtls_role {
	DTLS_ROLE_SERVER,
	DTLS_ROLE_CLIENT,
};

enum dtls_state {
	DTLS_STATE_HANDSHAKING,	/* waiting for or exchanging flights */
	DTLS_STATE_CONNECTED,	/* keys ready (dtls_endpoint_keys) */
	DTLS_STATE_CLOSED,	/* a close_notify was sent or received */
	DTLS_STATE_FAILED,	/* handshake error, bad input, mismatch, timeout */
};

/* The process's DTLS configuration: one SSL_CTX with our certificate,
 * DTLS 1.2 only, ECDHE-ECDSA AEAD ciphers, use_srtp with
 * SRTP_AEAD_AES_128_GCM then SRTP_AES128_CM_SHA1_80, the peer's
 * certificate required and checked by fingerprint. Read-only once made,
 * so endpoints on any thread may share it. */
struct dtls_context;

/* Makes the context for cert (borrowed: it must outlive the context).
 * Returns ERR_OK and sets *out (caller owns: dtls_context_free), or
 * ERR_INTERNAL. */
enum err_code dtls_context_new(const struct cert *cert, struct dtls_context **out,
    struct err *e);

/* Frees a context once every endpoint made from it is freed. Accepts NULL. */
void dtls_context_free(struct dtls_context *ctx);

struct dtls_endpoint_opts {
	enum dtls_role role;
	const char *peer_fingerprint;	/* SDP form, "sha-256 AB:..." */
	unsigned mtu;			/* 0: DTLS_MTU; at least DTLS_MTU_MIN */
	enum dtls_srtp_profile only;	/* DTLS_SRTP_NONE: every profile */
};

struct dtls_endpoint;

/* Makes an endpoint; now_ms is the caller's monotonic clock, which starts
 * the handshake's DTLS_HANDSHAKE_MS. A client sends its ClientHello at
 * once (read it with dtls_endpoint_output). Returns ERR_OK and sets *out
 * (caller owns: dtls_endpoint_free), ERR_VALIDATION for a malformed
 * fingerprint, MTU or profile, ERR_INTERNAL otherwise. opts->only limits
 * the endpoint to one profile (a client that offers only it; tests and
 * the load tool). */
enum err_code dtls_endpoint_new(struct dtls_context *ctx,
    const struct dtls_endpoint_opts *opts, uint64_t now_ms,
    struct dtls_endpoint **out, struct err *e);

/* Frees an endpoint, wiping its keys. Sends nothing. Accepts NULL. */
void dtls_endpoint_free(struct dtls_endpoint *ep);

/* Feeds one datagram received from the peer. A datagram that is not a
 * well-formed run of DTLS records, a handshake error, or a certificate
 * whose fingerprint differs from the offer's fails the endpoint:
 * ERR_VALIDATION, state DTLS_STATE_FAILED (an alert may be waiting in
 * the output). Application data (SCTP; our answers offer none) is read
 * and dropped. Input to a closed or failed endpoint is ignored (ERR_OK). */
enum err_code dtls_endpoint_input(struct dtls_endpoint *ep, const uint8_t *data,
    size_t len, uint64_t now_ms, struct err *e);

/* Takes the next datagram the endpoint made: returns 1 and points *data
 * (valid until the next call on ep) and *len at it, or 0 when none is
 * waiting. Each datagram is at most the endpoint's MTU. */
int dtls_endpoint_output(struct dtls_endpoint *ep, const uint8_t **data, size_t *len);

/* When the endpoint next needs dtls_endpoint_timeout, on the caller's
 * clock (ms), or 0 when it waits for nothing. */
uint64_t dtls_endpoint_deadline(const struct dtls_endpoint *ep);

/* Runs the timer at now_ms: retransmits the last flight when its timer
 * has run out (the wait doubles up to DTLS_RTO_MAX_MS), or fails the
 * endpoint when the handshake is older than DTLS_HANDSHAKE_MS or OpenSSL
 * has given up (ERR_VALIDATION). Early calls do nothing. */
enum err_code dtls_endpoint_timeout(struct dtls_endpoint *ep, uint64_t now_ms,
    struct err *e);

/* Sends close_notify (in the output) and moves to DTLS_STATE_CLOSED. */
void dtls_endpoint_close(struct dtls_endpoint *ep);

enum dtls_state dtls_endpoint_state(const struct dtls_endpoint *ep);

/* The negotiated SRTP profile and keys, exported once the handshake is
 * complete (RFC 5764 4.2, label "EXTRACTOR-dtls_srtp"), with client and
 * server halves assigned to local and remote by our role. Returns ERR_OK,
 * or ERR_CONFLICT before DTLS_STATE_CONNECTED. The caller wipes *out. */
enum err_code dtls_endpoint_keys(const struct dtls_endpoint *ep,
    struct dtls_srtp_keys *out, struct err *e);

/* Wipes keys. Accepts NULL. */
void dtls_srtp_keys_wipe(struct dtls_srtp_keys *keys);

#endif
