/* SDP (RFC 8866) offers from WebRTC clients and the SFU's answers, as pure
 * functions: parsing an offer into plain structs (bounded by limits.h,
 * strict about malformed lines and about the attributes the SFU relies on,
 * tolerant of attributes it does not know), choosing what to serve per
 * media section (Opus; H.264 constrained baseline, packetization-mode 1;
 * the header extensions the SFU uses, with the offer's ids), and writing
 * the ICE-lite answer. Knows nothing of sockets, certificates or stages:
 * the caller gives credentials, the fingerprint, candidates and SSRCs.
 * Thread-safe on distinct objects.
 */
#ifndef RTSTAGE_MEDIA_SDP_H
#define RTSTAGE_MEDIA_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "util/buf.h"
#include "util/err.h"

#define SDP_FINGERPRINT_LEN 32		/* sha-256 */
#define SDP_CODEC_NAME_MAX 32

/* The video codec every stage uses: H.264 constrained baseline, level 3.1. */
#define SDP_H264_PROFILE_LEVEL_ID 0x42e01fu

enum sdp_kind { SDP_AUDIO, SDP_VIDEO, SDP_APPLICATION, SDP_OTHER };

/* Direction as the section's author states it. */
enum sdp_dir { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE,
	SDP_SETUP_HOLDCONN };

/* RTCP feedback (a=rtcp-fb) as bits. */
enum sdp_fb {
	SDP_FB_NACK = 1 << 0,		/* nack */
	SDP_FB_PLI = 1 << 1,		/* nack pli */
	SDP_FB_FIR = 1 << 2,		/* ccm fir */
	SDP_FB_REMB = 1 << 3,		/* goog-remb */
	SDP_FB_TCC = 1 << 4,		/* transport-cc */
};

/* Header extensions the SFU reads or writes; others are SDP_EXT_OTHER. */
enum sdp_ext {
	SDP_EXT_OTHER,
	SDP_EXT_MID,			/* urn:ietf:params:rtp-hdrext:sdes:mid */
	SDP_EXT_ABS_SEND_TIME,
	SDP_EXT_TWCC,			/* transport-wide congestion control */
	SDP_EXT_AUDIO_LEVEL,		/* audio sections only */
	SDP_EXT__COUNT
};

/* One payload type of an m= line, with what a=rtpmap, a=fmtp and
 * a=rtcp-fb said of it. */
struct sdp_format {
	uint8_t pt;
	int has_rtpmap;
	char name[SDP_CODEC_NAME_MAX];	/* encoding name as offered ("H264", "opus") */
	uint32_t clock;
	uint8_t channels;		/* 0 if not given */
	int packetization_mode;		/* H.264; -1 if not given */
	uint32_t profile_level_id;	/* H.264; 0 if not given or malformed */
	int apt;			/* rtx: the associated payload type, or -1 */
	unsigned fb;			/* enum sdp_fb bits */
};

struct sdp_extmap {
	uint16_t id;
	enum sdp_ext ext;
};

struct sdp_fid {
	uint32_t media, rtx;
};

/* One media section (m= line and its attributes). Credentials, the
 * fingerprint and setup are the section's own or, when absent, the
 * session's. */
struct sdp_media {
	enum sdp_kind kind;
	char media[16];			/* the m= line's media token, echoed when rejected */
	char proto[32];
	char first_fmt[LIMIT_SDP_TOKEN + 1];
	uint16_t port;
	char mid[LIMIT_SDP_TOKEN + 1];	/* "" if none */
	enum sdp_dir dir;
	enum sdp_setup setup;
	int rtcp_mux;
	char ufrag[LIMIT_SDP_ICE_TOKEN + 1], pwd[LIMIT_SDP_ICE_TOKEN + 1];
	uint8_t fingerprint[SDP_FINGERPRINT_LEN];
	int has_fingerprint;
	struct sdp_format fmt[LIMIT_SDP_FORMATS];
	size_t n_fmt;
	struct sdp_extmap ext[LIMIT_SDP_EXTMAPS];
	size_t n_ext;
	uint32_t ssrc[LIMIT_SDP_SSRCS];	/* distinct, in order of appearance */
	size_t n_ssrc;
	struct sdp_fid fid[LIMIT_SDP_GROUPS];
	size_t n_fid;
	char msid_stream[LIMIT_SDP_TOKEN + 1], msid_track[LIMIT_SDP_TOKEN + 1];
	int has_rid, has_simulcast;	/* recognised; never answered (one encoding) */
	int bundle_only;		/* a=bundle-only: port 0 yet wanted in the bundle */
};

/* A parsed offer: about 100 KB, so callers allocate it. */
struct sdp_offer {
	int ice_lite;
	char bundle[LIMIT_SDP_SECTIONS][LIMIT_SDP_TOKEN + 1];	/* the first BUNDLE group */
	size_t n_bundle;
	struct sdp_media m[LIMIT_SDP_SECTIONS];
	size_t n_media;
};

/* Parses len bytes of text (CRLF or LF lines, not NUL-terminated) into *o.
 * Refuses with ERR_VALIDATION and the line number in e: text over
 * LIMIT_SDP_BYTES, too many or too long lines, a line that is not
 * "<letter>=<value>" or holds control characters, a first line other than
 * v=0, no m= line, more than LIMIT_SDP_SECTIONS sections or
 * LIMIT_SDP_FORMATS formats, and malformed values of the attributes read
 * (m=, mid, group, ice-ufrag, ice-pwd, fingerprint sha-256, setup, rtpmap,
 * fmtp, rtcp-fb, extmap: an id outside 1-255 or used twice in one section,
 * ssrc, ssrc-group, msid). Unknown attributes and line types are ignored.
 * Extension ids are per section: two sections may give one id to different
 * extensions. Allocates nothing; *o holds no pointer into text. */
enum err_code sdp_parse(const char *text, size_t len, struct sdp_offer *o, struct err *e);

/* Which side of the forwarding the offerer is. */
enum sdp_role {
	SDP_PUBLISH,	/* the client sends media; the server receives */
	SDP_SUBSCRIBE,	/* the client receives the media the server forwards */
};

/* Why an offer cannot be served. */
enum sdp_refusal {
	SDP_REFUSE_NONE,
	SDP_REFUSE_OFFER,		/* malformed or unservable transport: 400 */
	SDP_REFUSE_VIDEO_CODEC,		/* no H.264 constrained baseline video: 400 + 2014 */
};

/* What the answer says of one section. */
struct sdp_pick {
	int accepted;			/* 0: rejected (port 0, outside the bundle) */
	enum sdp_kind kind;
	enum sdp_dir dir;		/* the answer's direction */
	int pt;				/* the offer's payload type for Opus or H.264 */
	int rtx_pt;			/* the offer's rtx for pt, or -1 */
	uint32_t profile_level_id;	/* video: the chosen format's */
	unsigned fb;			/* feedback offered for pt that the SFU handles */
	uint8_t ext_id[SDP_EXT__COUNT];	/* the offer's id per extension served; 0: none */
	uint32_t ssrc, rtx_ssrc;	/* publish: the offer's media and rtx SSRCs, or 0 */
};

/* The choice for a whole offer. Pointers point into the offer. */
struct sdp_plan {
	enum sdp_role role;
	enum sdp_refusal refusal;
	struct sdp_pick pick[LIMIT_SDP_SECTIONS];	/* one per offered section */
	size_t n;
	int audio, video;		/* the served sections' indexes, or -1 */
	int tagged;			/* the first accepted section of the bundle */
	const char *remote_ufrag, *remote_pwd;
	const uint8_t *remote_fingerprint;	/* SDP_FINGERPRINT_LEN bytes */
};

/* Chooses, for an offer from a client in role, per section: the first audio
 * section with Opus 48000/2, the first video section with H.264
 * constrained baseline (profile_idc 0x42 with constraint_set1, or its
 * equivalents 4d/58 with the constraint flags that make them constrained
 * baseline) at packetization-mode=1 (42e01f preferred, then any level from
 * 3.1 up, then lower levels; the offer's order breaks ties) and its rtx,
 * the extensions sdes:mid, abs-send-time, transport-wide-cc and (audio)
 * ssrc-audio-level when offered with an id of 1-14, and the feedback nack,
 * nack pli, ccm fir, goog-remb, transport-cc the offer lists for the codec.
 * Every other section is rejected. Returns ERR_OK, or ERR_VALIDATION with
 * p->refusal saying why: SDP_REFUSE_VIDEO_CODEC when no video section can
 * be served, SDP_REFUSE_OFFER for an offer that is ICE-lite itself, has
 * several sections but no BUNDLE group, or whose served sections lack
 * rtcp-mux, ICE credentials, a sha-256 fingerprint, or ask the server to
 * be active (a=setup:passive). Pure. */
enum err_code sdp_plan_make(const struct sdp_offer *o, enum sdp_role role, struct sdp_plan *p,
    struct err *e);

/* One of the server's host candidates. */
struct sdp_candidate {
	int tcp;			/* 0: UDP; 1: ICE-TCP passive */
	const char *ip;			/* IPv4 or IPv6 literal */
	uint16_t port;
	uint32_t priority;
};

/* What the server sends in a subscribe section: ssrc 0 for none. */
struct sdp_stream {
	uint32_t ssrc, rtx_ssrc;
	const char *cname, *stream_id, *track_id;	/* tokens of at most LIMIT_SDP_TOKEN */
};

/* The server's side of the answer. */
struct sdp_local {
	const char *ufrag, *pwd;	/* ICE: 4-256 and 22-256 ice-chars */
	uint8_t fingerprint[SDP_FINGERPRINT_LEN];	/* sha-256 of the DTLS certificate */
	const struct sdp_candidate *cand;
	size_t n_cand;			/* at most LIMIT_SDP_CANDIDATES */
	uint64_t session_id;		/* o= line */
	struct sdp_stream audio, video;	/* subscribe only */
};

/* Appends the answer to o, as planned by p, to out (which the caller
 * initialised; a cap of LIMIT_SDP_BYTES is ample): ICE-lite, BUNDLE of the
 * accepted mids, and per accepted section the offer's mid, l's
 * credentials and fingerprint, a=setup:passive, a=rtcp-mux, the direction,
 * the accepted extmaps, the codec's rtpmap, rtcp-fb and fmtp and its rtx,
 * in subscribe sections that send the stream's msid and ssrcs, and the
 * host candidates in the tagged section; rejected sections with port 0.
 * Returns ERR_OK, ERR_VALIDATION when l holds a value that is not what it
 * must be (which would otherwise corrupt the answer), or ERR_INTERNAL when
 * out overflowed. */
enum err_code sdp_answer_write(const struct sdp_offer *o, const struct sdp_plan *p,
    const struct sdp_local *l, struct buf *out, struct err *e);

#endif
