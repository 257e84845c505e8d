/* A minimal WebRTC client of the SFU, built from the same protocol
 * modules in the client role: its offer made from a captured one with its
 * own ICE credentials and fingerprint, the server's answer read (ICE
 * credentials, fingerprint, the first UDP candidate), an ICE check with
 * USE-CANDIDATE over one UDP socket, a DTLS client handshake, and SRTP
 * both ways. For tests and the media load tool; never used by the server.
 * Blocking, with timeouts; one client belongs to one thread.
 */
#ifndef RTSTAGE_MEDIA_CLIENT_H
#define RTSTAGE_MEDIA_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "util/err.h"

struct media_client;

/* Makes a client whose DTLS identity is ctx's certificate, fingerprint
 * its SDP form (cert_fingerprint). Both borrowed: they must outlive the
 * client. Returns ERR_OK and *out (caller owns: media_client_free) or
 * ERR_INTERNAL. */
enum err_code media_client_new(struct dtls_context *ctx, const char *fingerprint,
    struct media_client **out, struct err *e);

/* Frees c and closes its socket. Accepts NULL. */
void media_client_free(struct media_client *c);

/* The offer: template (an offer captured from a browser) with every
 * a=ice-ufrag, a=ice-pwd and a=fingerprint line replaced by c's. Returns
 * the text, malloc'd (the caller frees), or NULL when out of memory. */
char *media_client_offer(const struct media_client *c, const char *template);

/* Reads the server's answer: its ICE credentials, fingerprint and first
 * UDP host candidate. Returns ERR_OK or ERR_VALIDATION naming what is
 * missing. */
enum err_code media_client_answer(struct media_client *c, const char *answer, struct err *e);

/* Sends an ICE check (USE-CANDIDATE) and waits for its success; then
 * completes DTLS as client and makes the SRTP sessions. Waits at most
 * timeout_ms. Returns ERR_OK, ERR_VALIDATION (refused, DTLS failed) or
 * ERR_INTERNAL (socket, timeout). */
enum err_code media_client_connect(struct media_client *c, int timeout_ms, struct err *e);

/* Sends a Binding request (consent freshness); the answer is read by
 * media_client_recv. Returns 0 or -1. */
int media_client_consent(struct media_client *c);

/* Protects a copy of the RTP (or RTCP) packet of len bytes and sends it.
 * Returns 0 or -1. */
int media_client_send_rtp(struct media_client *c, const uint8_t *pkt, size_t len);
int media_client_send_rtcp(struct media_client *c, const uint8_t *pkt, size_t len);

/* Waits at most timeout_ms for the next RTP or RTCP packet from the
 * server, decrypted into buf (cap bytes); STUN answers and DTLS records
 * met on the way are handled. Returns its length with *rtcp set, 0 on
 * timeout, -1 when the socket failed or the server closed DTLS. */
long media_client_recv(struct media_client *c, uint8_t *buf, size_t cap, int timeout_ms,
    int *rtcp);

/* Loses the next n RTP datagrams from the server unread, as a lossy
 * network would (RTCP still arrives). */
void media_client_drop(struct media_client *c, unsigned n);

/* Binding success responses received so far. */
unsigned media_client_stun_answers(const struct media_client *c);

#endif
