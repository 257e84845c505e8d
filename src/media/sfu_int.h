/* The SFU's private records, shared by its files (a private header: only
 * src/media/sfu.c, peer.c and forward.c include it): the process's SFU
 * state and one peer (a publish or subscribe session). Everything here
 * belongs to the media loop thread, except what sfu.lock guards (the peer
 * list's links and the flags other threads read).
 */
#ifndef RTSTAGE_MEDIA_SFU_INT_H
#define RTSTAGE_MEDIA_SFU_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/metrics.h"
#include "limits.h"
#include "media/cert.h"
#include "media/dtls.h"
#include "media/h264.h"
#include "media/nack.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/sfu.h"
#include "media/srtp.h"
#include "media/transport.h"
#include "net/loop.h"

#define SFU_UFRAG_LEN 8
#define SFU_PWD_LEN 32

/* Room for a packet and what SRTP adds to it. */
#define SFU_SCRATCH_BYTES (LIMIT_SFU_DATAGRAM_BYTES + SRTP_SESSION_TRAILER_MAX)

/* A publisher's incoming stream (audio or video). */
struct pub_stream {
	int pt, rtx_pt;			/* the publisher's payload types; -1: none */
	uint32_t ssrc, rtx_ssrc;	/* from the offer, or learned; 0: unknown */
	uint32_t clock;
	int started;
	struct nack_tracker track;
	struct h264_sps_assembler sps;	/* video: an SPS in FU-A fragments */
	struct nack_history *hist;	/* its packets as received, for every subscriber's NACKs */
	uint8_t ext[SDP_EXT__COUNT];	/* the publisher's extension ids */
	uint64_t interval_bytes;	/* since the last report */
};

/* One forwarded stream toward a subscriber. */
struct sub_stream {
	int active;			/* the subscriber's offer has the section */
	uint8_t pt;			/* its payload type */
	uint8_t ext[SDP_EXT__COUNT];	/* its extension ids */
	int nack;			/* it asked for NACK */
	uint32_t ssrc;			/* ours, announced in the answer */
	struct rtp_rewriter rw;
	struct rtp_ext_map map;
	int need_keyframe;		/* video: wait for one before sending */
	int sent;
};

struct peer {
	struct peer *next;		/* every peer (sfu.lock) */
	struct peer *ufrag_next;	/* hash chains */
	struct peer *addr_next;
	struct peer *subs;		/* publisher: its subscribers */
	struct peer *sub_next;		/* subscriber: next in its publisher's list */
	struct peer *publisher;		/* subscriber: whom it receives */
	char id[SFU_ID_CAP];
	char stage_arn[SFU_ARN_CAP];
	char participant_id[SFU_PID_CAP];
	char remote_id[SFU_PID_CAP];
	enum sfu_role role;
	char ufrag[SFU_UFRAG_LEN + 1], pwd[SFU_PWD_LEN + 1];
	char remote_fp[CERT_FINGERPRINT_LEN + 1];
	uint64_t created_ms, consent_ms, report_ms, pli_ms;
	struct media_route route;	/* ROUTE_NONE until an ICE check binds it */
	int addr_hashed;
	struct dtls_endpoint *dtls;
	struct srtp_session *srtp_in, *srtp_out;
	int up;				/* DTLS done, SRTP ready */
	int media_up;			/* publish: media arrived; subscribe: media sent (sfu.lock) */
	int ending;			/* ended; freed by the next reap (sfu.lock) */
	uint32_t rtcp_ssrc;		/* ours, as sender of RTCP */
	/* publish */
	struct pub_stream audio, video;
	unsigned over_intervals;	/* consecutive report intervals over the limit */
	/* subscribe */
	struct sub_stream sa, sv;
	uint8_t fir_seq;
};

struct sfu_metrics {
	struct metric_series *peers, *publishers, *subscribers;
	struct metric_series *packets_in, *packets_out, *bytes_in, *bytes_out;
	struct metric_series *nacks_in, *nacks_out, *plis, *retransmissions;
	struct metric_series *dtls_failures, *loop_cpu_ns;
	struct metric_series *send_drops;	/* fan-out datagrams the socket refused */
};

struct sfu {
	struct loop *loop;
	struct transport *transport;
	struct cert *cert;
	struct dtls_context *dtls;
	struct sfu_hooks hooks;
	char announce_ip[64];
	pthread_mutex_t lock;
	struct peer *peers;		/* sfu.lock for links */
	size_t n_ending;
	struct loop_timer *tick;
	struct peer *by_ufrag[LIMIT_SFU_HASH_BUCKETS];
	struct peer *by_addr[LIMIT_SFU_HASH_BUCKETS];
	struct sfu_metrics m;
	uint8_t scratch[SFU_SCRATCH_BYTES];
	uint8_t rtcp[SFU_SCRATCH_BYTES];
};

/* Test timeouts (sfu_test_timeouts), milliseconds. */
extern _Atomic uint64_t sfu_ice_ms, sfu_consent_ms;

/* ---- peer.c: one peer's ICE, DTLS and SRTP ---- */

/* The transport's receive callback: demultiplexes a packet to its peer
 * (STUN by username, the rest by route) and runs ICE, DTLS or SRTP. */
void peer_input(void *arg, const struct media_route *from, uint8_t *data, size_t len);

/* The transport's callback for a closed ICE-TCP connection. */
void peer_conn_gone(void *arg, struct tcp_conn *conn);

/* Makes the DTLS endpoint and ICE credentials of p, links it (sfu.lock)
 * and hashes its ufrag. Returns ERR_OK or ERR_INTERNAL. */
enum err_code peer_start(struct sfu *s, struct peer *p, struct err *e);

/* Runs p's timers at now_ms: DTLS retransmission, the ICE and consent
 * deadlines. */
void peer_tick(struct sfu *s, struct peer *p, uint64_t now_ms);

/* Ends p for reason (SFU_END_*) and error_code (""): calls the hook, logs,
 * unhashes it; a publisher's subscribers end too (SFU_END_PUBLISHER_GONE).
 * The peer is freed by sfu_reap. Idempotent. */
void peer_end(struct sfu *s, struct peer *p, const char *reason, const char *error_code);

/* Frees an ended (or never started) peer. */
void peer_free(struct sfu *s, struct peer *p);

/* Protects and sends an RTP or RTCP packet of len bytes at buf (cap bytes
 * of room) to p. Returns 0, or -1 when it could not be sent. */
int peer_send_rtp(struct sfu *s, struct peer *p, uint8_t *buf, size_t len, size_t cap);
int peer_send_rtcp(struct sfu *s, struct peer *p, uint8_t *buf, size_t len, size_t cap);

/* ---- forward.c: the stage's routing of media and feedback ---- */

/* Prepares p's streams from its plan (publisher: payload types, SSRCs,
 * extension ids; subscriber: its payload types, extension ids, our SSRCs
 * and NACK histories). Returns ERR_OK or ERR_INTERNAL. */
enum err_code forward_prepare(struct sfu *s, struct peer *p, const struct sdp_offer *o,
    const struct sdp_plan *plan, struct err *e);

/* Subscribes sub to pub (or moves it to a republishing pub): extension
 * maps, the rewriters switch, a keyframe requested. */
void forward_link(struct sfu *s, struct peer *sub, struct peer *pub);

/* Removes sub from its publisher's list. */
void forward_unlink(struct peer *sub);

/* A decrypted RTP packet from publisher p. */
void forward_rtp(struct sfu *s, struct peer *p, uint8_t *data, size_t len);

/* A decrypted RTCP compound from p (either role). */
void forward_rtcp(struct sfu *s, struct peer *p, uint8_t *data, size_t len);

/* p's media timers at now_ms: NACKs, receiver reports, REMB, the bitrate
 * limit (publisher); sender reports (subscriber). */
void forward_tick(struct sfu *s, struct peer *p, uint64_t now_ms);

/* Frees p's histories. */
void forward_release(struct peer *p);

/* Asks p's publisher (or p itself, a publisher) for a keyframe, at most
 * once per LIMIT_SFU_PLI_MS. */
void forward_request_keyframe(struct sfu *s, struct peer *pub, uint64_t now_ms);

/* ---- sfu.c ---- */

/* Sets p's media_up under sfu.lock and calls the matching hook once. */
void sfu_media_up(struct sfu *s, struct peer *p);

/* Monotonic microseconds. */
int64_t sfu_now_us(void);

#endif
