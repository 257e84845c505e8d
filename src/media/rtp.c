/* RTP packets parsed and rewritten in place, the per-subscriber stream
 * rewriter, H.264 keyframe detection and audio levels. Pure: no
 * allocation, no clock, no I/O.
 */
#include "media/rtp.h"

#include "limits.h"
#include "media/rtp_be.h"

/* H.264 NAL unit types (RFC 6184 5.2, ITU-T H.264 table 7-1). */
enum {
	NAL_IDR = 5,
	NAL_SPS = 7,
	NAL_STAP_A = 24,
	NAL_FU_A = 28,
};

/* One RFC 8285 element of an extension block. */
struct ext_elem {
	uint8_t id;
	size_t at;	/* its first header byte, from the packet's start */
	size_t hdr;	/* header bytes: 1 (one-byte form) or 2 */
	size_t len;	/* value bytes */
};

static int
ext_is_8285(uint16_t profile)
{
	return profile == RTP_EXT_ONE_BYTE || (profile & RTP_EXT_TWO_BYTE_MASK) == RTP_EXT_TWO_BYTE;
}

/* Steps *pos (from ext_off) to the next element of p's block: 1 with it in
 * *el, 0 at the end (or at the one-byte form's id 15), -1 if an element
 * overruns the block. Padding bytes are skipped. */
static int
ext_next(const struct rtp_packet *p, size_t *pos, struct ext_elem *el)
{
	const uint8_t *b = p->data + p->ext_off;
	size_t n = p->ext_len, i = *pos;
	int one = p->ext_profile == RTP_EXT_ONE_BYTE;

	while (i < n && b[i] == 0)
		i++;
	if (i >= n)
		return 0;
	if (one) {
		if (b[i] >> 4 == 15)
			return 0;
		el->id = (uint8_t)(b[i] >> 4);
		el->hdr = 1;
		el->len = (size_t)(b[i] & 0x0F) + 1;
	} else {
		if (i + 2 > n)
			return -1;
		el->id = b[i];
		el->hdr = 2;
		el->len = b[i + 1];
	}
	if (el->len > n - i - el->hdr)
		return -1;
	el->at = p->ext_off + i;
	*pos = i + el->hdr + el->len;
	return 1;
}

static int
ext_check(const struct rtp_packet *p)
{
	struct ext_elem el;
	size_t pos = 0;
	int r;

	if (!ext_is_8285(p->ext_profile))
		return 0;
	while ((r = ext_next(p, &pos, &el)) == 1)
		;
	return r;
}

int
rtp_parse(uint8_t *data, size_t len, struct rtp_packet *p)
{
	size_t off, words;

	if (len < RTP_HEADER_MIN || data[0] >> 6 != 2)
		return -1;
	p->data = data;
	p->len = len;
	p->csrc_count = data[0] & 0x0F;
	p->marker = data[1] >> 7;
	p->payload_type = data[1] & 0x7F;
	p->seq = be16(data + 2);
	p->ts = be32(data + 4);
	p->ssrc = be32(data + 8);
	off = RTP_HEADER_MIN + 4u * p->csrc_count;
	if (off > len)
		return -1;
	p->ext_profile = 0;
	p->ext_off = p->ext_len = 0;
	if (data[0] & 0x10) {
		if (off + 4 > len)
			return -1;
		p->ext_profile = be16(data + off);
		words = be16(data + off + 2);
		p->ext_off = off + 4;
		p->ext_len = 4 * words;
		if (p->ext_len > len - p->ext_off)
			return -1;
		off = p->ext_off + p->ext_len;
	}
	p->padding_len = 0;
	if (data[0] & 0x20) {
		p->padding_len = data[len - 1];
		if (p->padding_len == 0 || p->padding_len > len - off)
			return -1;
	}
	p->payload_off = off;
	p->payload_len = len - off - p->padding_len;
	return ext_check(p);
}

void
rtp_set_payload_type(struct rtp_packet *p, uint8_t pt)
{
	p->payload_type = pt & 0x7F;
	p->data[1] = (uint8_t)((p->data[1] & 0x80) | p->payload_type);
}

void
rtp_set_seq(struct rtp_packet *p, uint16_t seq)
{
	p->seq = seq;
	put16(p->data + 2, seq);
}

void
rtp_set_ts(struct rtp_packet *p, uint32_t ts)
{
	p->ts = ts;
	put32(p->data + 4, ts);
}

void
rtp_set_ssrc(struct rtp_packet *p, uint32_t ssrc)
{
	p->ssrc = ssrc;
	put32(p->data + 8, ssrc);
}

int
rtp_ext_find(const struct rtp_packet *p, uint8_t id, const uint8_t **val, size_t *len)
{
	struct ext_elem el;
	size_t pos = 0;

	if (p->ext_profile == 0 || !ext_is_8285(p->ext_profile) || id == 0)
		return 0;
	while (ext_next(p, &pos, &el) == 1) {
		if (el.id == id) {
			*val = p->data + el.at + el.hdr;
			*len = el.len;
			return 1;
		}
	}
	return 0;
}

void
rtp_ext_map_set(struct rtp_ext_map *m, uint8_t from, uint8_t to)
{
	m->to[from] = to;
}

void
rtp_ext_rewrite(struct rtp_packet *p, const struct rtp_ext_map *m)
{
	int one = p->ext_profile == RTP_EXT_ONE_BYTE;
	struct ext_elem el;
	size_t pos = 0, i;
	uint8_t to;

	if (p->ext_profile == 0 || !ext_is_8285(p->ext_profile))
		return;
	while (ext_next(p, &pos, &el) == 1) {
		to = m->to[el.id];
		if (to == 0 || (one && to > RTP_EXT_ONE_BYTE_ID_MAX)) {
			for (i = 0; i < el.hdr + el.len; i++)
				p->data[el.at + i] = 0;
		} else if (one) {
			p->data[el.at] = (uint8_t)(to << 4 | (p->data[el.at] & 0x0F));
		} else {
			p->data[el.at] = to;
		}
	}
}

int
rtp_audio_level(const struct rtp_packet *p, uint8_t id, int *level, int *voice)
{
	const uint8_t *v;
	size_t n;

	if (!rtp_ext_find(p, id, &v, &n) || n < 1)
		return 0;
	*voice = v[0] >> 7;
	*level = v[0] & 0x7F;
	return 1;
}

static int
nal_starts_keyframe(uint8_t type)
{
	return type == NAL_IDR || type == NAL_SPS;
}

/* A STAP-A's aggregated units: each a 16-bit size, then the unit. */
static int
stap_a_is_keyframe(const uint8_t *b, size_t n)
{
	size_t i = 1, size;

	while (i + 2 <= n) {
		size = be16(b + i);
		i += 2;
		if (size == 0 || size > n - i)
			return 0;
		if (nal_starts_keyframe(b[i] & 0x1F))
			return 1;
		i += size;
	}
	return 0;
}

int
rtp_h264_is_keyframe(const struct rtp_packet *p)
{
	const uint8_t *b = p->data + p->payload_off;
	size_t n = p->payload_len;
	uint8_t type;

	if (n < 1)
		return 0;
	type = b[0] & 0x1F;
	if (type == NAL_STAP_A)
		return stap_a_is_keyframe(b, n);
	if (type == NAL_FU_A)
		return n >= 2 && (b[1] & 0x80) && nal_starts_keyframe(b[1] & 0x1F);
	return nal_starts_keyframe(type);
}

void
rtp_rewriter_init(struct rtp_rewriter *rw, uint32_t ssrc, uint32_t clock_rate, uint16_t seq0,
    uint32_t ts0)
{
	*rw = (struct rtp_rewriter){ 0 };
	rw->ssrc_out = ssrc;
	rw->clock_rate = clock_rate;
	rw->seq_next = seq0;
	rw->ts_next = ts0;
}

void
rtp_rewriter_switch(struct rtp_rewriter *rw)
{
	rw->switching = 1;
}

/* Timestamp units elapsed between the last packet sent and now_us. */
static uint32_t
ticks_since(const struct rtp_rewriter *rw, int64_t now_us)
{
	int64_t us = now_us - rw->max_wall_us;

	if (us <= 0)
		return 0;
	if (us > LIMIT_RTP_GAP_MS * 1000)
		us = LIMIT_RTP_GAP_MS * 1000;
	return (uint32_t)((uint64_t)us * rw->clock_rate / 1000000);
}

/* Chooses the offsets that make p, the first packet of a new incoming
 * stream, follow the last packet sent: the next sequence number, and a
 * timestamp at least one unit on. */
static void
start_stream(struct rtp_rewriter *rw, const struct rtp_packet *p, int64_t now_us)
{
	uint16_t seq_out = rw->started ? (uint16_t)(rw->max_out + 1) : rw->seq_next;
	uint32_t gap = ticks_since(rw, now_us);
	uint32_t ts_out = rw->started ? rw->max_out_ts + (gap > 0 ? gap : 1u) : rw->ts_next;

	if (rw->started) {
		rw->ssrc_left = rw->ssrc_in;
		rw->has_left = rw->ssrc_left != p->ssrc;
	}
	rw->ssrc_in = p->ssrc;
	rw->seq_offset = (uint16_t)(seq_out - p->seq);
	rw->ts_offset = ts_out - p->ts;
	rw->max_in = p->seq;
	rw->span = 0;
	rw->switching = 0;
}

/* How far back from the highest a sequence number of the current stream
 * may be and still belong to it: no further than its first packet, and
 * less than half the number space (beyond, "back" means "ahead"). */
static unsigned
window(const struct rtp_rewriter *rw)
{
	return rw->span < 32767 ? rw->span : 32767;
}

int
rtp_rewriter_apply(struct rtp_rewriter *rw, struct rtp_packet *p, int64_t now_us)
{
	unsigned span;
	int16_t ahead;
	uint16_t out;
	int fresh = 0;

	if (rw->switching || !rw->started || p->ssrc != rw->ssrc_in) {
		if (!rw->switching && rw->has_left && p->ssrc == rw->ssrc_left)
			return 0;
		start_stream(rw, p, now_us);
		fresh = 1;
	}
	ahead = (int16_t)(p->seq - rw->max_in);
	if (ahead < 0 && (unsigned)-ahead > window(rw))
		return 0;
	out = (uint16_t)(p->seq + rw->seq_offset);
	if (ahead > 0 || fresh) {
		span = rw->span + (unsigned)ahead;
		rw->span = (uint16_t)(span < 65535 ? span : 65535);
		rw->max_in = p->seq;
		rw->max_out = out;
		rw->max_out_ts = p->ts + rw->ts_offset;
		rw->max_wall_us = now_us;
	}
	rw->started = 1;
	rtp_set_ssrc(p, rw->ssrc_out);
	rtp_set_seq(p, out);
	rtp_set_ts(p, p->ts + rw->ts_offset);
	rw->packets++;
	rw->octets += p->payload_len;
	return 1;
}

int
rtp_rewriter_seq_in(const struct rtp_rewriter *rw, uint16_t out, uint16_t *in)
{
	if (!rw->started || (uint16_t)(rw->max_out - out) > window(rw))
		return -1;
	*in = (uint16_t)(out - rw->seq_offset);
	return 0;
}

int
rtp_rewriter_again(const struct rtp_rewriter *rw, struct rtp_packet *p)
{
	uint16_t out = (uint16_t)(p->seq + rw->seq_offset);

	if (!rw->started || rw->switching || p->ssrc != rw->ssrc_in ||
	    (uint16_t)(rw->max_out - out) > window(rw))
		return 0;
	rtp_set_ssrc(p, rw->ssrc_out);
	rtp_set_seq(p, out);
	rtp_set_ts(p, p->ts + rw->ts_offset);
	return 1;
}

uint32_t
rtp_rewriter_ts_at(const struct rtp_rewriter *rw, int64_t now_us)
{
	if (!rw->started)
		return rw->ts_next;
	return rw->max_out_ts + ticks_since(rw, now_us);
}
