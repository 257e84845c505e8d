/* RTP packets (RFC 3550) parsed and rewritten in place: the fixed header,
 * CSRCs, padding and RFC 8285 header extensions; the per-subscriber stream
 * rewriter (SSRC, sequence numbers, timestamps kept continuous when the
 * incoming stream changes); H.264 keyframe detection (RFC 6184) and the
 * ssrc-audio-level extension (RFC 6464). Pure: no allocation, no I/O, no
 * clock (callers pass the time). Nothing here is shared between threads.
 *
 * On the packet path a malformed packet is dropped and counted, never
 * explained, so these functions return -1/0 rather than fill a struct err.
 */
#ifndef RTSTAGE_MEDIA_RTP_H
#define RTSTAGE_MEDIA_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_MIN 12		/* V/P/X/CC, M/PT, sequence, timestamp, SSRC */
#define RTP_EXT_ONE_BYTE 0xBEDEu	/* RFC 8285 4.2 */
#define RTP_EXT_TWO_BYTE 0x1000u	/* RFC 8285 4.3: 0x100 and 4 application bits */
#define RTP_EXT_TWO_BYTE_MASK 0xFFF0u
#define RTP_EXT_ONE_BYTE_ID_MAX 14	/* 15 is reserved: stop parsing */
#define RTP_EXT_ID_MAX 255

/* A parsed packet: a view of the caller's buffer with the header's fields
 * decoded. Offsets are from data. The setters below keep both in step. */
struct rtp_packet {
	uint8_t *data;
	size_t len;
	uint8_t payload_type;
	uint8_t marker;
	uint8_t csrc_count;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint16_t ext_profile;	/* 0 when the packet has no extension block */
	size_t ext_off;		/* first byte of the extension elements */
	size_t ext_len;		/* their bytes (a multiple of 4) */
	size_t payload_off;
	size_t payload_len;
	size_t padding_len;	/* trailing padding, count byte included */
};

/* Parses len bytes at data as an RTP packet, in place: version 2, CSRCs,
 * an extension block that fits (its one-byte or two-byte elements walked
 * to the end), padding whose count is at least 1 and fits. Fills *p (a
 * view of data: the caller keeps owning the bytes, which must outlive p).
 * Returns 0, or -1 if the packet is malformed. Thread-safe. */
int rtp_parse(uint8_t *data, size_t len, struct rtp_packet *p);

/* Each writes one header field into the packet's bytes and into p. */
void rtp_set_payload_type(struct rtp_packet *p, uint8_t pt);
void rtp_set_seq(struct rtp_packet *p, uint16_t seq);
void rtp_set_ts(struct rtp_packet *p, uint32_t ts);
void rtp_set_ssrc(struct rtp_packet *p, uint32_t ssrc);

/* Finds header extension id (RFC 8285, either form) in p: returns 1 with
 * its value at *val (into p's bytes) and its length at *len, or 0 if the
 * packet has no such element. */
int rtp_ext_find(const struct rtp_packet *p, uint8_t id, const uint8_t **val, size_t *len);

/* A subscriber's header-extension ids: to[publisher id] is the id the
 * subscriber negotiated for the same URI, 0 when it did not negotiate it.
 * Zero-initialise, then set rows with rtp_ext_map_set. */
struct rtp_ext_map {
	uint8_t to[RTP_EXT_ID_MAX + 1];
};

/* Maps publisher id from to subscriber id to (0: drop the extension). */
void rtp_ext_map_set(struct rtp_ext_map *m, uint8_t from, uint8_t to);

/* Rewrites p's RFC 8285 extension ids through m, in place. An element the
 * subscriber did not negotiate (or whose new id does not fit the one-byte
 * form) is overwritten with zero bytes, which RFC 8285 defines as padding
 * in both forms: the packet keeps its length (no copy, SRTP protects it
 * afterwards as it is) and stays valid. A block of another profile is left
 * alone. p must come from rtp_parse. */
void rtp_ext_rewrite(struct rtp_packet *p, const struct rtp_ext_map *m);

/* Reads an ssrc-audio-level element (RFC 6464) with extension id: returns
 * 1 with the level in -dBov (0 loudest, 127 silence) at *level and the
 * voice-activity flag at *voice, or 0 if the packet carries none. */
int rtp_audio_level(const struct rtp_packet *p, uint8_t id, int *level, int *voice);

/* Whether p's payload (H.264, RFC 6184, packetization-mode 1) starts a
 * keyframe: a single SPS or IDR NAL unit, a STAP-A aggregating one, or the
 * first fragment (FU-A start bit) of one. A subscriber starts on such a
 * packet. Returns 1 or 0; a truncated STAP-A is 0. */
int rtp_h264_is_keyframe(const struct rtp_packet *p);

/* The outgoing side of one forwarded stream for one subscriber: a stable
 * SSRC and sequence numbers and timestamps that stay continuous when the
 * incoming stream changes (a publisher that restarts: new SSRC, random
 * sequence and timestamp bases). Each incoming stream maps by an offset
 * chosen at its first packet: the sequence number follows the last one
 * sent, the timestamp follows the last one sent by the wall time elapsed
 * times the clock rate. Reordered packets keep their relative place;
 * everything wraps modulo 2^16 and 2^32. A plain record: one per
 * subscriber stream, used by one thread. */
struct rtp_rewriter {
	uint32_t ssrc_out;
	uint32_t clock_rate;
	uint16_t seq_next;	/* out sequence of the first packet of a new stream */
	uint32_t ts_next;	/* out timestamp of the first packet, before any packet */
	int started;		/* a packet has been sent */
	int switching;		/* the next packet starts a stream whatever its SSRC */
	uint32_t ssrc_in;	/* current incoming stream */
	uint32_t ssrc_left;	/* the stream switched away from */
	int has_left;
	uint16_t seq_offset;	/* out = in + offset (mod 2^16) */
	uint32_t ts_offset;	/* out = in + offset (mod 2^32) */
	uint16_t max_in;	/* highest incoming sequence of the current stream */
	uint16_t span;		/* max_in minus the stream's first, saturating at 65535 */
	uint16_t max_out;	/* highest outgoing sequence sent */
	uint32_t max_out_ts;	/* timestamp of that packet */
	int64_t max_wall_us;	/* when it was sent */
	uint64_t packets;	/* sent, for sender reports */
	uint64_t octets;	/* payload bytes sent */
};

/* Starts rw: outgoing SSRC ssrc, clock rate in Hz (90000 video, 48000
 * Opus), the first outgoing sequence number and timestamp (the caller
 * draws them at random, RFC 3550 5.1). */
void rtp_rewriter_init(struct rtp_rewriter *rw, uint32_t ssrc, uint32_t clock_rate,
    uint16_t seq0, uint32_t ts0);

/* Rewrites p (SSRC, sequence number, timestamp) for rw's subscriber,
 * received at now_us (any monotonic clock, microseconds). A packet with a
 * new SSRC starts a new incoming stream. Returns 1 to forward p, 0 to drop
 * it (p untouched): a late packet of the stream just switched away from,
 * or one older than the first packet of the current stream (its place
 * went to the previous stream) or half the sequence space behind. A
 * duplicate is forwarded as the original was. */
int rtp_rewriter_apply(struct rtp_rewriter *rw, struct rtp_packet *p, int64_t now_us);

/* The next packet starts a new incoming stream whatever its SSRC: for a
 * deliberate switch (another layer, or back to a stream left before). */
void rtp_rewriter_switch(struct rtp_rewriter *rw);

/* Inverse mapping for feedback: the incoming sequence number of outgoing
 * sequence number out. Returns 0 with it in *in when out belongs to the
 * current incoming stream (between its first packet and its highest), -1
 * otherwise (before the last switch, or never sent). */
int rtp_rewriter_seq_in(const struct rtp_rewriter *rw, uint16_t out, uint16_t *in);

/* Rewrites p again as rtp_rewriter_apply rewrote it when it was first
 * sent (SSRC, sequence number, timestamp), for a retransmission from a
 * history of incoming packets; rw is not changed. Returns 1, or 0 when p
 * is not of the current incoming stream or lies outside its window (see
 * rtp_rewriter_seq_in): then p is unchanged. */
int rtp_rewriter_again(const struct rtp_rewriter *rw, struct rtp_packet *p);

/* The RTP timestamp that corresponds to wall time now_us on rw's outgoing
 * clock, from the last packet sent (for a sender report's RTP time). */
uint32_t rtp_rewriter_ts_at(const struct rtp_rewriter *rw, int64_t now_us);

#endif
