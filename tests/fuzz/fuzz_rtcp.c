/* Fuzz target: RTCP compound walking and every reader; feedback is
 * rewritten toward a publisher, and a NACK's sequence numbers must survive
 * being built again. Input: the datagram. */
#include <stdint.h>
#include <string.h>

#include "media/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads one packet with every reader that applies. */
static void
read_packet(const struct rtcp_packet *p, const struct rtp_rewriter *rw)
{
	static uint16_t seqs[4096], back[4096];
	static uint8_t out[32768], mark[65536];
	union {
		struct rtcp_sr sr;
		struct rtcp_rr rr;
		struct rtcp_sdes sdes;
		struct rtcp_bye bye;
		struct rtcp_remb remb;
		struct rtcp_tcc tcc;
	} u;
	struct rtcp_fb fb;
	size_t n, len, i;
	uint32_t ssrc;
	uint8_t nr;

	(void)rtcp_sr_parse(p, &u.sr);
	(void)rtcp_rr_parse(p, &u.rr);
	(void)rtcp_sdes_parse(p, &u.sdes);
	(void)rtcp_bye_parse(p, &u.bye);
	(void)rtcp_fb_to_publisher(p, rw, 1, out, sizeof(out));
	if (rtcp_fb_parse(p, &fb) != 0)
		return;
	(void)rtcp_remb_parse(&fb, &u.remb);
	(void)rtcp_tcc_parse(&fb, &u.tcc);
	for (i = 0; rtcp_fir_entry(&fb, i, &ssrc, &nr) == 0; i++)
		;
	if (p->type != RTCP_RTPFB || p->count != RTCP_FMT_NACK)
		return;
	n = rtcp_nack_seqs(&fb, seqs, 4096);
	if (n > 4096)
		return;
	len = rtcp_nack_build(out, sizeof(out), fb.sender_ssrc, fb.media_ssrc, seqs, n);
	if (len == 0) {
		if (n > 0)
			__builtin_trap();
		return;
	}
	{
		struct rtcp_packet q;
		size_t off = 0;

		size_t m;

		/* the same set of numbers (packing may merge pairs and duplicates) */
		if (rtcp_next(out, len, &off, &q) != 1 || rtcp_fb_parse(&q, &fb) != 0 ||
		    (m = rtcp_nack_seqs(&fb, back, 4096)) > n)
			__builtin_trap();
		for (i = 0; i < n; i++)
			mark[seqs[i]] = 1;
		for (i = 0; i < m; i++)
			mark[back[i]] |= 2;
		for (i = 0; i < n; i++)
			if (mark[seqs[i]] != 3)
				__builtin_trap();
		for (i = 0; i < m; i++)
			if (mark[back[i]] != 3)
				__builtin_trap();
		for (i = 0; i < n; i++)
			mark[seqs[i]] = 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[RTP_HEADER_MIN] = { 0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9 };
	struct rtp_rewriter rw;
	struct rtcp_packet p;
	struct rtp_packet rp;
	size_t off = 0;
	int r;

	/* a rewriter that has forwarded one packet, outgoing SSRC 1 */
	rtp_rewriter_init(&rw, 1, 90000, 0, 0);
	if (rtp_parse(pkt, sizeof(pkt), &rp) != 0 || rtp_rewriter_apply(&rw, &rp, 0) != 1)
		__builtin_trap();
	(void)rtcp_is_rtcp(data, size);
	(void)rtcp_check(data, size);
	while ((r = rtcp_next(data, size, &off, &p)) == 1) {
		if (p.len < RTCP_HEADER || p.body_len > p.len - RTCP_HEADER)
			__builtin_trap();
		read_packet(&p, &rw);
	}
	return 0;
}
