/* RTCP compound packets walked, read, written and rewritten toward a
 * publisher. Every length is checked before a byte is read; nothing is
 * allocated.
 */
#include "media/rtcp.h"

#include <string.h>

#include "media/rtp_be.h"

#define REPORT_BYTES 24		/* one report block */
#define SR_INFO_BYTES 24	/* sender SSRC and sender info */
#define FB_COMMON_BYTES 8	/* sender and media SSRC */
#define FIR_ENTRY_BYTES 8
#define NTP_UNIX_OFFSET 2208988800LL	/* seconds from 1900 to 1970 */

int
rtcp_is_rtcp(const uint8_t *data, size_t len)
{
	return len >= RTCP_HEADER && data[1] >= 192 && data[1] <= 223;
}

int
rtcp_next(const uint8_t *data, size_t len, size_t *off, struct rtcp_packet *p)
{
	const uint8_t *b;
	size_t left, plen, pad = 0;

	if (*off >= len)
		return 0;
	b = data + *off;
	left = len - *off;
	if (left < RTCP_HEADER || b[0] >> 6 != 2)
		return -1;
	plen = 4 * ((size_t)be16(b + 2) + 1);
	if (plen > left)
		return -1;
	if (b[0] & 0x20) {
		pad = b[plen - 1];
		if (plen != left || pad == 0 || pad > plen - RTCP_HEADER)
			return -1;
	}
	p->type = b[1];
	p->count = b[0] & 0x1F;
	p->data = b;
	p->len = plen;
	p->body = b + RTCP_HEADER;
	p->body_len = plen - RTCP_HEADER - pad;
	*off += plen;
	return 1;
}

int
rtcp_check(const uint8_t *data, size_t len)
{
	struct rtcp_packet p;
	size_t off = 0;
	int n = 0, r;

	while ((r = rtcp_next(data, len, &off, &p)) == 1)
		n++;
	return r < 0 || n == 0 ? -1 : n;
}

static void
report_read(const uint8_t *b, struct rtcp_report *r)
{
	uint32_t lost = be24(b + 5);

	r->ssrc = be32(b);
	r->fraction_lost = b[4];
	r->cumulative_lost = (int32_t)(lost & 0x800000 ? lost | 0xFF000000u : lost);
	r->highest_seq = be32(b + 8);
	r->jitter = be32(b + 12);
	r->lsr = be32(b + 16);
	r->dlsr = be32(b + 20);
}

static void
report_write(uint8_t *b, const struct rtcp_report *r)
{
	int32_t lost = r->cumulative_lost;

	if (lost > 0x7FFFFF)
		lost = 0x7FFFFF;
	if (lost < -0x800000)
		lost = -0x800000;
	put32(b, r->ssrc);
	b[4] = r->fraction_lost;
	put24(b + 5, (uint32_t)lost & 0xFFFFFF);
	put32(b + 8, r->highest_seq);
	put32(b + 12, r->jitter);
	put32(b + 16, r->lsr);
	put32(b + 20, r->dlsr);
}

/* Reads p's count report blocks from at. */
static int
reports_read(const struct rtcp_packet *p, size_t at, struct rtcp_report *out, size_t *n)
{
	size_t i;

	if (p->body_len < at || (p->body_len - at) / REPORT_BYTES < p->count)
		return -1;
	for (i = 0; i < p->count; i++)
		report_read(p->body + at + i * REPORT_BYTES, &out[i]);
	*n = p->count;
	return 0;
}

int
rtcp_sr_parse(const struct rtcp_packet *p, struct rtcp_sr *sr)
{
	const uint8_t *b = p->body;

	if (p->type != RTCP_SR || p->body_len < SR_INFO_BYTES)
		return -1;
	sr->ssrc = be32(b);
	sr->ntp = (uint64_t)be32(b + 4) << 32 | be32(b + 8);
	sr->rtp_ts = be32(b + 12);
	sr->packets = be32(b + 16);
	sr->octets = be32(b + 20);
	return reports_read(p, SR_INFO_BYTES, sr->reports, &sr->n_reports);
}

int
rtcp_rr_parse(const struct rtcp_packet *p, struct rtcp_rr *rr)
{
	if (p->type != RTCP_RR || p->body_len < 4)
		return -1;
	rr->ssrc = be32(p->body);
	return reports_read(p, 4, rr->reports, &rr->n_reports);
}

/* One SDES chunk at *at: its items up to the terminating zero, then the
 * padding to the next 32-bit boundary. */
static int
sdes_chunk(const struct rtcp_packet *p, size_t *at, struct rtcp_sdes *s, int first)
{
	const uint8_t *b = p->body;
	size_t n = p->body_len, i = *at;

	if (n - i < 4)
		return -1;
	if (first)
		s->ssrc = be32(b + i);
	for (i += 4; i < n && b[i] != 0; i += 2 + (size_t)b[i + 1]) {
		if (n - i < 2 || n - i - 2 < b[i + 1])
			return -1;
		if (first && b[i] == 1 && s->cname == NULL) {
			s->cname = (const char *)b + i + 2;
			s->cname_len = b[i + 1];
		}
	}
	if (i >= n)
		return -1;
	i = (i + 4) & ~(size_t)3;
	if (i > n)
		return -1;
	*at = i;
	return 0;
}

int
rtcp_sdes_parse(const struct rtcp_packet *p, struct rtcp_sdes *s)
{
	size_t at = 0, c;

	if (p->type != RTCP_SDES)
		return -1;
	*s = (struct rtcp_sdes){ .chunks = p->count };
	for (c = 0; c < p->count; c++)
		if (sdes_chunk(p, &at, s, c == 0) != 0)
			return -1;
	return at == p->body_len ? 0 : -1;
}

int
rtcp_bye_parse(const struct rtcp_packet *p, struct rtcp_bye *bye)
{
	size_t i, at = 4 * (size_t)p->count;

	if (p->type != RTCP_BYE || p->body_len < at)
		return -1;
	bye->n = p->count;
	for (i = 0; i < p->count; i++)
		bye->ssrcs[i] = be32(p->body + 4 * i);
	bye->reason = NULL;
	bye->reason_len = 0;
	if (at < p->body_len) {
		if ((size_t)p->body[at] > p->body_len - at - 1)
			return -1;
		bye->reason = (const char *)p->body + at + 1;
		bye->reason_len = p->body[at];
	}
	return 0;
}

int
rtcp_fb_parse(const struct rtcp_packet *p, struct rtcp_fb *fb)
{
	if ((p->type != RTCP_RTPFB && p->type != RTCP_PSFB) || p->body_len < FB_COMMON_BYTES)
		return -1;
	fb->sender_ssrc = be32(p->body);
	fb->media_ssrc = be32(p->body + 4);
	fb->fci = p->body + FB_COMMON_BYTES;
	fb->fci_len = p->body_len - FB_COMMON_BYTES;
	if (p->type == RTCP_RTPFB && p->count == RTCP_FMT_NACK)
		return fb->fci_len > 0 && fb->fci_len % 4 == 0 ? 0 : -1;
	if (p->type == RTCP_PSFB && p->count == RTCP_FMT_PLI)
		return fb->fci_len == 0 ? 0 : -1;
	if (p->type == RTCP_PSFB && p->count == RTCP_FMT_FIR)
		return fb->fci_len > 0 && fb->fci_len % FIR_ENTRY_BYTES == 0 ? 0 : -1;
	return 0;
}

size_t
rtcp_nack_seqs(const struct rtcp_fb *fb, uint16_t *seqs, size_t cap)
{
	size_t i, n = 0;
	uint16_t pid, blp;
	int bit;

	for (i = 0; i + 4 <= fb->fci_len; i += 4) {
		pid = be16(fb->fci + i);
		blp = be16(fb->fci + i + 2);
		if (n < cap)
			seqs[n] = pid;
		n++;
		for (bit = 0; bit < 16; bit++) {
			if (!(blp >> bit & 1))
				continue;
			if (n < cap)
				seqs[n] = (uint16_t)(pid + bit + 1);
			n++;
		}
	}
	return n;
}

int
rtcp_fir_entry(const struct rtcp_fb *fb, size_t i, uint32_t *ssrc, uint8_t *seq_nr)
{
	if (i >= fb->fci_len / FIR_ENTRY_BYTES)
		return -1;
	*ssrc = be32(fb->fci + i * FIR_ENTRY_BYTES);
	*seq_nr = fb->fci[i * FIR_ENTRY_BYTES + 4];
	return 0;
}

int
rtcp_remb_parse(const struct rtcp_fb *fb, struct rtcp_remb *r)
{
	const uint8_t *b = fb->fci;
	uint32_t mantissa;
	unsigned exp;
	size_t i;

	if (fb->fci_len < 8 || memcmp(b, "REMB", 4) != 0)
		return -1;
	r->n = b[4];
	if ((fb->fci_len - 8) / 4 < r->n)
		return -1;
	exp = b[5] >> 2;
	mantissa = (uint32_t)(b[5] & 3) << 16 | be16(b + 6);
	r->bitrate = exp > 64 - 18 && mantissa >> (64 - exp) ? UINT64_MAX : (uint64_t)mantissa << exp;
	for (i = 0; i < r->n; i++)
		r->ssrcs[i] = be32(b + 8 + 4 * i);
	return 0;
}

/* Bytes of receive delta for a 2-bit status symbol: none, small, large;
 * -1 for the reserved symbol. */
static int
tcc_delta_bytes(unsigned symbol)
{
	static const int bytes[4] = { 0, 1, 2, -1 };

	return bytes[symbol & 3];
}

/* Adds one status symbol (count times) to the walk. */
static int
tcc_status(struct rtcp_tcc *t, unsigned symbol, size_t count, size_t *left, size_t *deltas)
{
	int d = tcc_delta_bytes(symbol);

	if (count > *left)
		count = *left;
	if (d < 0 && count > 0)
		return -1;
	*left -= count;
	*deltas += count * (size_t)(d > 0 ? d : 0);
	t->received += symbol == 1 || symbol == 2 ? count : 0;
	return 0;
}

int
rtcp_tcc_parse(const struct rtcp_fb *fb, struct rtcp_tcc *t)
{
	const uint8_t *b = fb->fci;
	size_t at = 8, left, deltas = 0;
	uint32_t ref;
	uint16_t chunk;
	int i, bits, symbols;

	if (fb->fci_len < 8)
		return -1;
	t->base_seq = be16(b);
	t->status_count = be16(b + 2);
	ref = be24(b + 4);
	t->reference_time = (int32_t)(ref & 0x800000 ? ref | 0xFF000000u : ref);
	t->fb_count = b[7];
	t->received = 0;
	for (left = t->status_count; left > 0; at += 2) {
		if (fb->fci_len - at < 2)
			return -1;
		chunk = be16(b + at);
		if (!(chunk & 0x8000)) {
			if (tcc_status(t, chunk >> 13 & 3, chunk & 0x1FFF, &left, &deltas) != 0)
				return -1;
			continue;
		}
		bits = chunk & 0x4000 ? 2 : 1;
		symbols = bits == 2 ? 7 : 14;
		for (i = symbols - 1; i >= 0 && left > 0; i--)
			if (tcc_status(t, chunk >> (i * bits) & ((1u << bits) - 1), 1, &left,
			    &deltas) != 0)
				return -1;
	}
	return deltas <= fb->fci_len - at ? 0 : -1;
}

uint64_t
rtcp_ntp_from_unix_us(int64_t unix_us)
{
	int64_t sec = unix_us / 1000000, us = unix_us % 1000000;

	if (us < 0) {
		us += 1000000;
		sec--;
	}
	return (uint64_t)(sec + NTP_UNIX_OFFSET) << 32 | ((uint64_t)us << 32) / 1000000;
}

uint32_t
rtcp_ntp_middle(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* Writes the common header for a packet of plen bytes (a multiple of 4). */
static void
header_write(uint8_t *b, unsigned count, uint8_t type, size_t plen)
{
	b[0] = (uint8_t)(0x80 | (count & 0x1F));
	b[1] = type;
	put16(b + 2, (uint16_t)(plen / 4 - 1));
}

size_t
rtcp_sr_build(uint8_t *buf, size_t cap, const struct rtcp_sr *sr)
{
	size_t i, plen = RTCP_HEADER + SR_INFO_BYTES + REPORT_BYTES * sr->n_reports;

	if (sr->n_reports > RTCP_MAX_REPORTS || plen > cap)
		return 0;
	header_write(buf, (unsigned)sr->n_reports, RTCP_SR, plen);
	put32(buf + 4, sr->ssrc);
	put32(buf + 8, (uint32_t)(sr->ntp >> 32));
	put32(buf + 12, (uint32_t)sr->ntp);
	put32(buf + 16, sr->rtp_ts);
	put32(buf + 20, sr->packets);
	put32(buf + 24, sr->octets);
	for (i = 0; i < sr->n_reports; i++)
		report_write(buf + 28 + i * REPORT_BYTES, &sr->reports[i]);
	return plen;
}

size_t
rtcp_rr_build(uint8_t *buf, size_t cap, uint32_t ssrc, const struct rtcp_report *r, size_t n)
{
	size_t i, plen = RTCP_HEADER + 4 + REPORT_BYTES * n;

	if (n > RTCP_MAX_REPORTS || plen > cap)
		return 0;
	header_write(buf, (unsigned)n, RTCP_RR, plen);
	put32(buf + 4, ssrc);
	for (i = 0; i < n; i++)
		report_write(buf + 8 + i * REPORT_BYTES, &r[i]);
	return plen;
}

size_t
rtcp_sdes_build(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname, size_t len)
{
	/* SSRC, CNAME type and length, the text, the terminating zero, padding. */
	size_t chunk = (4 + 2 + len + 1 + 3) & ~(size_t)3, plen = RTCP_HEADER + chunk;

	if (len > 255 || plen > cap)
		return 0;
	memset(buf, 0, plen);
	header_write(buf, 1, RTCP_SDES, plen);
	put32(buf + 4, ssrc);
	buf[8] = 1;
	buf[9] = (uint8_t)len;
	memcpy(buf + 10, cname, len);
	return plen;
}

static size_t
fb_header(uint8_t *buf, size_t cap, unsigned fmt, uint8_t type, uint32_t sender, uint32_t media,
    size_t fci_len)
{
	size_t plen = RTCP_HEADER + FB_COMMON_BYTES + fci_len;

	if (plen > cap)
		return 0;
	header_write(buf, fmt, type, plen);
	put32(buf + 4, sender);
	put32(buf + 8, media);
	return plen;
}

size_t
rtcp_pli_build(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media)
{
	return fb_header(buf, cap, RTCP_FMT_PLI, RTCP_PSFB, sender, media, 0);
}

size_t
rtcp_fir_build(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media, uint8_t *seq_nr)
{
	/* RFC 5104 4.3.1.2: the media SSRC of the common header is 0. */
	size_t plen = fb_header(buf, cap, RTCP_FMT_FIR, RTCP_PSFB, sender, 0, FIR_ENTRY_BYTES);

	if (plen == 0)
		return 0;
	put32(buf + 12, media);
	buf[16] = (*seq_nr)++;
	buf[17] = buf[18] = buf[19] = 0;
	return plen;
}

size_t
rtcp_nack_build(uint8_t *buf, size_t cap, uint32_t sender, uint32_t media,
    const uint16_t *seqs, size_t n)
{
	size_t i, at = RTCP_HEADER + FB_COMMON_BYTES;
	uint16_t pid = 0, blp = 0, d;

	if (n == 0 || cap < at)
		return 0;
	for (i = 0; i < n; i++) {
		d = (uint16_t)(seqs[i] - pid);
		if (i > 0 && d >= 1 && d <= 16) {
			blp |= (uint16_t)(1u << (d - 1));
			continue;
		}
		if (i > 0)
			put16(buf + at - 2, blp);
		if (cap - at < 4)
			return 0;
		pid = seqs[i];
		blp = 0;
		put16(buf + at, pid);
		at += 4;
	}
	put16(buf + at - 2, blp);
	return fb_header(buf, cap, RTCP_FMT_NACK, RTCP_RTPFB, sender, media,
	    at - RTCP_HEADER - FB_COMMON_BYTES);
}

size_t
rtcp_remb_build(uint8_t *buf, size_t cap, uint32_t sender, uint64_t bitrate,
    const uint32_t *ssrcs, size_t n)
{
	size_t i, plen;
	unsigned exp = 0;

	if (n > RTCP_MAX_SSRCS)
		return 0;
	if ((plen = fb_header(buf, cap, RTCP_FMT_AFB, RTCP_PSFB, sender, 0, 8 + 4 * n)) == 0)
		return 0;
	while (bitrate >= (1u << 18)) {
		bitrate >>= 1;
		exp++;
	}
	memcpy(buf + 12, "REMB", 4);
	buf[16] = (uint8_t)n;
	buf[17] = (uint8_t)(exp << 2 | (unsigned)(bitrate >> 16));
	put16(buf + 18, (uint16_t)bitrate);
	for (i = 0; i < n; i++)
		put32(buf + 20 + 4 * i, ssrcs[i]);
	return plen;
}

/* Maps one NACK pair back through rw: the lost packets of the current
 * stream, shifted by the rewriter's offset (which keeps their distances,
 * so the mask stays a mask). Returns 0 with the new pair, -1 when none of
 * its packets belongs to the current stream. */
static int
nack_pair_in(const struct rtp_rewriter *rw, uint16_t pid, uint16_t blp, uint16_t *pid_in,
    uint16_t *blp_in)
{
	uint16_t in;
	int j, first = -1;

	*blp_in = 0;
	for (j = 0; j <= 16; j++) {
		if (j > 0 && !(blp >> (j - 1) & 1))
			continue;
		if (rtp_rewriter_seq_in(rw, (uint16_t)(pid + j), &in) != 0)
			continue;
		if (first < 0) {
			first = j;
			*pid_in = in;
		} else {
			*blp_in |= (uint16_t)(1u << (j - first - 1));
		}
	}
	return first < 0 ? -1 : 0;
}

static size_t
nack_to_publisher(const struct rtcp_fb *fb, const struct rtp_rewriter *rw, uint32_t sender,
    uint8_t *buf, size_t cap)
{
	size_t i, at = RTCP_HEADER + FB_COMMON_BYTES;
	uint16_t pid, blp;

	for (i = 0; i + 4 <= fb->fci_len; i += 4) {
		if (nack_pair_in(rw, be16(fb->fci + i), be16(fb->fci + i + 2), &pid, &blp) != 0)
			continue;
		if (cap < at + 4)
			return 0;
		put16(buf + at, pid);
		put16(buf + at + 2, blp);
		at += 4;
	}
	if (at == RTCP_HEADER + FB_COMMON_BYTES)
		return 0;
	return fb_header(buf, cap, RTCP_FMT_NACK, RTCP_RTPFB, sender, rw->ssrc_in,
	    at - RTCP_HEADER - FB_COMMON_BYTES);
}

static size_t
fir_to_publisher(const struct rtcp_fb *fb, const struct rtp_rewriter *rw, uint32_t sender,
    uint8_t *buf, size_t cap)
{
	uint32_t ssrc;
	uint8_t nr;
	size_t i;

	for (i = 0; rtcp_fir_entry(fb, i, &ssrc, &nr) == 0; i++)
		if (ssrc == rw->ssrc_out)
			return rtcp_fir_build(buf, cap, sender, rw->ssrc_in, &nr);
	return 0;
}

size_t
rtcp_fb_to_publisher(const struct rtcp_packet *p, const struct rtp_rewriter *rw,
    uint32_t sender, uint8_t *buf, size_t cap)
{
	struct rtcp_fb fb;

	if (!rw->started || rtcp_fb_parse(p, &fb) != 0)
		return 0;
	if (p->type == RTCP_PSFB && p->count == RTCP_FMT_FIR)
		return fir_to_publisher(&fb, rw, sender, buf, cap);
	if (fb.media_ssrc != rw->ssrc_out)
		return 0;
	if (p->type == RTCP_RTPFB && p->count == RTCP_FMT_NACK)
		return nack_to_publisher(&fb, rw, sender, buf, cap);
	if (p->type == RTCP_PSFB && p->count == RTCP_FMT_PLI)
		return rtcp_pli_build(buf, cap, sender, rw->ssrc_in);
	return 0;
}
