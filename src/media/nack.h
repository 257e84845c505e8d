/* Packet loss, both ways. The retransmission history: the recent packets
 * of one forwarded stream, kept by sequence number in a ring allocated
 * once, to answer a subscriber's NACKs. The loss tracker: a publisher's
 * stream as received, which sequence numbers are missing now (to NACK,
 * each a bounded number of times for a bounded time) and the statistics
 * of its receiver report (RFC 3550 appendices A.1, A.3 and A.8).
 * Pure: no clock (callers pass the time), no I/O, no allocation after
 * nack_history_new. Each object belongs to one thread.
 */
#ifndef RTSTAGE_MEDIA_NACK_H
#define RTSTAGE_MEDIA_NACK_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "media/rtcp.h"

struct nack_history;

/* A history of `packets` slots (a power of two from 1 to 65536) of
 * LIMIT_RTP_PACKET_BYTES each, whose packets expire max_age_us after they
 * were stored. Returns it (the caller owns it: nack_history_free), or NULL
 * if packets is not such a power of two or memory ran out. */
struct nack_history *nack_history_new(size_t packets, int64_t max_age_us);

/* Frees h; NULL is allowed. */
void nack_history_free(struct nack_history *h);

/* Stores a copy of the len bytes at pkt as sequence number seq (the
 * number the subscriber saw), sent at now_us, in place of the packet
 * 'packets' numbers before it. Returns 0, or -1 if len is over
 * LIMIT_RTP_PACKET_BYTES (the slot is emptied: an older packet must not
 * answer for it). */
int nack_history_put(struct nack_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
    int64_t now_us);

/* The packet stored as seq, if it is still there and younger than the
 * history's age at now_us: returns its bytes (valid until the next put)
 * with the length in *len, or NULL. */
const uint8_t *nack_history_get(const struct nack_history *h, uint16_t seq, int64_t now_us,
    size_t *len);

/* One missing packet the tracker follows. */
struct nack_missing {
	uint32_t ext_seq;	/* extended sequence number */
	int64_t first_us;	/* when its loss was seen */
	int64_t sent_us;	/* when it was last NACKed */
	unsigned tries;		/* NACKs sent for it */
};

/* The receive side of one publisher stream. A plain record with fixed
 * arrays: nack_tracker_init it, then feed every packet. */
struct nack_tracker {
	uint32_t clock_rate;
	int started;
	uint16_t max_seq;	/* highest sequence number seen */
	uint32_t cycles;	/* wraps of it, shifted left 16 */
	uint32_t base_seq;	/* first extended sequence number */
	uint32_t bad_seq;	/* a jump's next number, to confirm a restart */
	uint32_t received;
	uint32_t expected_prior;	/* at the last report */
	uint32_t received_prior;
	uint32_t jitter_q4;	/* interarrival jitter, timestamp units x 16 */
	uint32_t transit;	/* of the last in-order packet */
	int has_transit;
	uint32_t lsr;		/* middle of the last SR's NTP time, 0 for none */
	int64_t lsr_us;		/* when it arrived */
	int keyframe_wanted;
	size_t n_missing;	/* ascending by ext_seq */
	struct nack_missing missing[LIMIT_NACK_MISSING];
};

/* Starts t for a stream whose clock runs at clock_rate Hz. */
void nack_tracker_init(struct nack_tracker *t, uint32_t clock_rate);

/* Counts a packet with sequence number seq and RTP timestamp ts that
 * arrived at now_us. The first packet starts the stream; a jump of more
 * than LIMIT_RTP_MAX_DROPOUT ahead (or LIMIT_RTP_MAX_MISORDER behind) is
 * a restart only once the next packet confirms it. Sequence numbers
 * skipped become missing; when they would overflow LIMIT_NACK_MISSING the
 * list is dropped and a keyframe wanted instead. Only in-order packets
 * update the jitter (a retransmission's transit time says nothing of the
 * network's jitter). Returns 1 if the packet filled a gap, 0 if it was
 * counted, -1 if it was not (a jump awaiting confirmation). */
int nack_tracker_receive(struct nack_tracker *t, uint16_t seq, uint32_t ts, int64_t now_us);

/* The sequence numbers to NACK at now_us, ascending, into seqs (up to
 * cap): each missing packet not yet NACKed, or last NACKed at least
 * max(rtt_us, LIMIT_NACK_RETRY_MS) ago. Packets NACKed LIMIT_NACK_RETRIES
 * times or lost more than LIMIT_NACK_MAX_AGE_MS ago are given up. Returns
 * how many were written. */
size_t nack_tracker_due(struct nack_tracker *t, int64_t now_us, int64_t rtt_us,
    uint16_t *seqs, size_t cap);

/* Returns 1 once after missing packets were given up without a chance of
 * repair (an overflow of the missing list or a restart), 0 otherwise. */
int nack_tracker_keyframe_wanted(struct nack_tracker *t);

/* Records a sender report from the stream's sender (its NTP time),
 * received at now_us, for the LSR and DLSR of the next report. */
void nack_tracker_sr(struct nack_tracker *t, uint64_t ntp, int64_t now_us);

/* Fills a report block about the stream (SSRC ssrc) at now_us: fraction
 * lost since the previous call, cumulative lost, extended highest
 * sequence number, jitter, LSR and DLSR; and starts a new interval. */
void nack_tracker_report(struct nack_tracker *t, uint32_t ssrc, int64_t now_us,
    struct rtcp_report *r);

#endif
