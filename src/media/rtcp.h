/* RTCP (RFC 3550, 4585, 5104): compound packets walked with strict length
 * checks; SR, RR, SDES, BYE, generic NACK, transport-wide congestion
 * control feedback, PLI, FIR and REMB read into plain records; SR, RR,
 * SDES, PLI, FIR, NACK and REMB written into the caller's buffer; and a
 * subscriber's feedback rewritten toward its publisher through the stream
 * rewriter. Pure: no allocation, no I/O, no clock.
 *
 * Parsers return 0 or -1 (malformed: drop the packet) and never fill a
 * struct err, as on the RTP path. Builders return the bytes written, 0 if
 * they do not fit in cap (nothing useful is written then).
 */
#ifndef RTSTAGE_MEDIA_RTCP_H
#define RTSTAGE_MEDIA_RTCP_H

#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"

#define RTCP_HEADER 4
#define RTCP_MAX_REPORTS 31	/* a 5-bit count */
#define RTCP_MAX_SSRCS 255	/* REMB's 8-bit count */

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205,
	RTCP_PSFB = 206,
};

/* Feedback message types (the header's count field). */
enum rtcp_fmt {
	RTCP_FMT_NACK = 1,	/* RTPFB, RFC 4585 6.2.1 */
	RTCP_FMT_TCC = 15,	/* RTPFB, draft-holmer-rmcat-transport-wide-cc-extensions */
	RTCP_FMT_PLI = 1,	/* PSFB, RFC 4585 6.3.1 */
	RTCP_FMT_FIR = 4,	/* PSFB, RFC 5104 4.3.1 */
	RTCP_FMT_AFB = 15,	/* PSFB, application layer: REMB */
};

/* Whether a datagram on a muxed RTP/RTCP port is RTCP (RFC 5761 4: its
 * second byte, the RTP marker and payload type, is 192..223). */
int rtcp_is_rtcp(const uint8_t *data, size_t len);

/* One packet of a compound: a view of the caller's bytes. */
struct rtcp_packet {
	uint8_t type;		/* enum rtcp_type, or another value to ignore */
	uint8_t count;		/* report count, source count or feedback type */
	const uint8_t *data;	/* the whole packet, header and padding included */
	size_t len;
	const uint8_t *body;	/* after the 4-byte header, padding excluded */
	size_t body_len;
};

/* Steps through a compound packet: *off starts at 0. Returns 1 with the
 * packet at *p and *off past it, 0 at the end, -1 if the packet at *off is
 * malformed (version not 2, length beyond the datagram, padding on any
 * packet but the last or larger than it). */
int rtcp_next(const uint8_t *data, size_t len, size_t *off, struct rtcp_packet *p);

/* Checks a whole compound packet: returns how many packets it holds (at
 * least 1), or -1 if any is malformed or the datagram is empty. */
int rtcp_check(const uint8_t *data, size_t len);

/* A report block (RFC 3550 6.4.1). */
struct rtcp_report {
	uint32_t ssrc;
	uint8_t fraction_lost;		/* in 1/256 */
	int32_t cumulative_lost;	/* 24-bit signed */
	uint32_t highest_seq;		/* extended: cycles << 16 | sequence */
	uint32_t jitter;		/* timestamp units */
	uint32_t lsr;			/* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;			/* delay since it, 1/65536 s */
};

struct rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;			/* 32.32 fixed point seconds since 1900 */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
	size_t n_reports;
	struct rtcp_report reports[RTCP_MAX_REPORTS];
};

struct rtcp_rr {
	uint32_t ssrc;
	size_t n_reports;
	struct rtcp_report reports[RTCP_MAX_REPORTS];
};

/* Read an SR or an RR (profile extensions after the blocks are skipped).
 * Return 0, or -1 if p is another type or its blocks do not fit. */
int rtcp_sr_parse(const struct rtcp_packet *p, struct rtcp_sr *sr);
int rtcp_rr_parse(const struct rtcp_packet *p, struct rtcp_rr *rr);

/* An SDES packet: every chunk and item checked, the first chunk's SSRC and
 * CNAME (a view of p's bytes; NULL with length 0 when it has none). */
struct rtcp_sdes {
	size_t chunks;
	uint32_t ssrc;
	const char *cname;
	size_t cname_len;
};
int rtcp_sdes_parse(const struct rtcp_packet *p, struct rtcp_sdes *s);

/* A BYE: the SSRCs leaving and the optional reason (a view of p). */
struct rtcp_bye {
	size_t n;
	uint32_t ssrcs[RTCP_MAX_REPORTS];
	const char *reason;
	size_t reason_len;
};
int rtcp_bye_parse(const struct rtcp_packet *p, struct rtcp_bye *b);

/* The common part of RTPFB and PSFB (RFC 4585 6.1). */
struct rtcp_fb {
	uint32_t sender_ssrc;
	uint32_t media_ssrc;
	const uint8_t *fci;
	size_t fci_len;
};

/* Reads an RTPFB or PSFB packet and checks its feedback control
 * information for the types known here (NACK, PLI, FIR; REMB and
 * transport-cc through their own parsers). Returns 0 or -1. */
int rtcp_fb_parse(const struct rtcp_packet *p, struct rtcp_fb *fb);

/* Expands a generic NACK's PID/BLP pairs into sequence numbers, in order,
 * into seqs (up to cap). Returns how many were lost in all (more than cap
 * means some were not written). */
size_t rtcp_nack_seqs(const struct rtcp_fb *fb, uint16_t *seqs, size_t cap);

/* A FIR's i-th request (RFC 5104 4.3.1.1). Returns 0, or -1 past the end. */
int rtcp_fir_entry(const struct rtcp_fb *fb, size_t i, uint32_t *ssrc, uint8_t *seq_nr);

/* REMB (draft-alvestrand-rmcat-remb): the estimate in bit/s and the SSRCs
 * it applies to. */
struct rtcp_remb {
	uint64_t bitrate;
	size_t n;
	uint32_t ssrcs[RTCP_MAX_SSRCS];
};
int rtcp_remb_parse(const struct rtcp_fb *fb, struct rtcp_remb *r);

/* Transport-wide congestion control feedback: the header, and the packet
 * status chunks and receive deltas walked to check they fit. */
struct rtcp_tcc {
	uint16_t base_seq;
	uint16_t status_count;
	int32_t reference_time;	/* 24-bit signed, multiples of 64 ms */
	uint8_t fb_count;
	size_t received;	/* statuses "received" (small or large delta) */
};
int rtcp_tcc_parse(const struct rtcp_fb *fb, struct rtcp_tcc *t);

/* NTP time (32.32 fixed point since 1900) of unix_us, microseconds since
 * 1970, and its middle 32 bits as an LSR field carries it. */
uint64_t rtcp_ntp_from_unix_us(int64_t unix_us);
uint32_t rtcp_ntp_middle(uint64_t ntp);

/* Builders. Each writes one packet at buf and returns its length, 0 if it
 * does not fit in cap or a count is out of range. Compound packets are
 * concatenations of these. */
size_t rtcp_sr_build(uint8_t *buf, size_t cap, const struct rtcp_sr *sr);
size_t rtcp_rr_build(uint8_t *buf, size_t cap, uint32_t ssrc, const struct rtcp_report *r,
    size_t n);
/* One chunk with one CNAME item (at most 255 bytes). */
size_t rtcp_sdes_build(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname, size_t len);
size_t rtcp_pli_build(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media);
/* One FIR request for media; *seq_nr is the sender's counter for that
 * SSRC, used and then incremented (RFC 5104 4.3.1.2: a repeated number is
 * a retransmission, a new one a new request). */
size_t rtcp_fir_build(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
    uint8_t *seq_nr);
/* Generic NACK of the n sequence numbers at seqs, packed into PID/BLP
 * pairs: a number within the 16 after the current PID joins its mask,
 * otherwise it starts a new pair. In ascending order (modulo 2^16) the
 * packing is the smallest. */
size_t rtcp_nack_build(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
    const uint16_t *seqs, size_t n);
/* REMB of bitrate bit/s (encoded as an 18-bit mantissa and a 6-bit
 * exponent, rounded down) for n SSRCs. */
size_t rtcp_remb_build(uint8_t *buf, size_t cap, uint32_t sender, uint64_t bitrate,
    const uint32_t *ssrcs, size_t n);

/* Rewrites one feedback packet p from a subscriber about rw's outgoing
 * stream into buf, addressed to the publisher's current incoming stream
 * (rw->ssrc_in) from sender: a generic NACK with its sequence numbers
 * mapped back (those from before the last switch dropped), a PLI, or a
 * FIR (its request's SSRC mapped; its number kept). Returns the bytes
 * written, 0 when there is nothing to forward (another type, another
 * media SSRC, no NACKed packet of the current stream, or cap too small). */
size_t rtcp_fb_to_publisher(const struct rtcp_packet *p, const struct rtp_rewriter *rw,
    uint32_t sender, uint8_t *buf, size_t cap);

#endif
