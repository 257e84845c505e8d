/* SRTP and SRTCP sessions (RFC 3711, RFC 7714) made from DTLS-SRTP keys,
 * over libsrtp2: AES-CM-128 with HMAC-SHA1-80 and AEAD-AES-128-GCM.
 *
 * A session is one direction of one peer: inbound unprotects what the
 * peer sends with its keys, outbound protects what we send with ours.
 * Both accept any SSRC (libsrtp2's ssrc_any_inbound/outbound): a
 * subscriber's outbound session carries every stream forwarded to it, and
 * those come and go without telling this layer. libsrtp2 makes a stream's
 * state (its replay window, rollover counter) on the first packet of each
 * SSRC, the only allocation; srtp_session_forget frees one when a stream
 * ends (the SSRC must not come back under the same keys: its packet
 * indexes would restart and reuse key stream). Packets are transformed in place in the caller's buffer, which
 * must have SRTP_SESSION_TRAILER_MAX bytes of room after the packet.
 * A session belongs to one thread at a time; sessions share nothing.
 */
#ifndef RTSTAGE_MEDIA_SRTP_H
#define RTSTAGE_MEDIA_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "util/err.h"

/* Most bytes protecting adds to a packet: the GCM tag (16) and the SRTCP
 * index (4). */
#define SRTP_SESSION_TRAILER_MAX 20

enum srtp_session_dir {
	SRTP_SESSION_INBOUND,	/* the peer's packets, remote keys */
	SRTP_SESSION_OUTBOUND,	/* our packets, local keys */
};

struct srtp_session;

/* Initialises libsrtp2 once per process (later calls do nothing).
 * Returns ERR_OK or ERR_INTERNAL. Thread-safe. */
enum err_code srtp_session_init(struct err *e);

/* Makes a session for dir from keys (copied; the caller still wipes its
 * own). Outbound sessions may protect one packet index again (a
 * retransmission of a stored packet); inbound ones refuse replays within
 * SRTP_REPLAY_WINDOW. Calls srtp_session_init. Returns ERR_OK and sets
 * *out (caller owns: srtp_session_free), ERR_VALIDATION for an unknown
 * profile or key lengths that do not fit it, ERR_INTERNAL otherwise. */
enum err_code srtp_session_new(const struct dtls_srtp_keys *keys, enum srtp_session_dir dir,
    struct srtp_session **out, struct err *e);

/* Frees a session and wipes its keys. Accepts NULL. */
void srtp_session_free(struct srtp_session *s);

/* Protects the RTP or RTCP packet of *len bytes at pkt in place, in an
 * outbound session; cap is the buffer's size, which must hold the
 * trailer. On ERR_OK *len is the protected length. ERR_VALIDATION for a
 * malformed packet, a full buffer or an inbound session. */
enum err_code srtp_session_protect_rtp(struct srtp_session *s, uint8_t *pkt, size_t *len,
    size_t cap, struct err *e);
enum err_code srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *pkt, size_t *len,
    size_t cap, struct err *e);

/* Authenticates and decrypts an SRTP or SRTCP packet of *len bytes in
 * place, in an inbound session. On ERR_OK *len is the plain length.
 * ERR_VALIDATION for a packet that fails authentication, is a replay, is
 * malformed, or an outbound session; the session is unchanged, the
 * packet's bytes are not defined (it is to be dropped). */
enum err_code srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *pkt, size_t *len,
    struct err *e);
enum err_code srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *pkt, size_t *len,
    struct err *e);

/* Frees the state of one SSRC's stream (it ended); a later packet of that
 * SSRC starts afresh. Unknown SSRCs are ignored. */
void srtp_session_forget(struct srtp_session *s, uint32_t ssrc);

#endif
