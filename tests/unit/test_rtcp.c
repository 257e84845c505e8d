/* RTCP: every packet type built and read back, the built bytes checked
 * against packets written by hand from the RFCs' diagrams, compound
 * walking, a table of malformed packets for each parser, and feedback
 * rewritten toward a publisher through the stream rewriter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"

static size_t
unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		buf[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/* Checks that built bytes equal the hand-written packet. */
static void
assert_bytes(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[512];
	size_t m = unhex(hex, want, sizeof(want));

	assert_int_equal(n, m);
	assert_memory_equal(got, want, n);
}

/* The one packet of a datagram. */
static void
only_packet(const uint8_t *buf, size_t n, struct rtcp_packet *p)
{
	size_t off = 0;

	assert_int_equal(rtcp_next(buf, n, &off, p), 1);
	assert_int_equal(off, n);
	assert_int_equal(rtcp_next(buf, n, &off, p), 0);
}

/* ---- round trips ---- */

static void
assert_report(const struct rtcp_report *got, const struct rtcp_report *want)
{
	assert_int_equal(got->ssrc, want->ssrc);
	assert_int_equal(got->fraction_lost, want->fraction_lost);
	assert_int_equal(got->cumulative_lost, want->cumulative_lost);
	assert_int_equal(got->highest_seq, want->highest_seq);
	assert_int_equal(got->jitter, want->jitter);
	assert_int_equal(got->lsr, want->lsr);
	assert_int_equal(got->dlsr, want->dlsr);
}

static void
test_sr(void **state)
{
	struct rtcp_sr sr = { .ssrc = 0x11223344, .ntp = 0xe49a2b3c80000000ull,
	    .rtp_ts = 123456, .packets = 100, .octets = 100000 };
	struct rtcp_sr back;
	struct rtcp_packet p;
	uint8_t buf[256];
	size_t n;

	(void)state;
	n = rtcp_sr_build(buf, sizeof(buf), &sr);
	assert_bytes(buf, n, "80 c8 00 06 11 22 33 44 e4 9a 2b 3c 80 00 00 00 00 01 e2 40 "
	    "00 00 00 64 00 01 86 a0");
	sr.n_reports = 2;
	sr.reports[0] = (struct rtcp_report){ 0xa, 25, -3, 0x1fffe, 77, 0xdeadbeef, 65536 };
	sr.reports[1] = (struct rtcp_report){ 0xb, 255, 0x7fffff, 5, 0, 0, 0 };
	n = rtcp_sr_build(buf, sizeof(buf), &sr);
	assert_int_equal(n, 28 + 48);
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_sr_parse(&p, &back), 0);
	assert_int_equal(back.ssrc, sr.ssrc);
	assert_true(back.ntp == sr.ntp);
	assert_int_equal(back.rtp_ts, sr.rtp_ts);
	assert_int_equal(back.packets, 100);
	assert_int_equal(back.octets, 100000);
	assert_int_equal(back.n_reports, 2);
	assert_report(&back.reports[0], &sr.reports[0]);
	assert_report(&back.reports[1], &sr.reports[1]);
	/* too small a buffer writes nothing */
	assert_int_equal(rtcp_sr_build(buf, 75, &sr), 0);
	/* NTP of the Unix epoch plus 1.5 s, and its middle 32 bits */
	assert_true(rtcp_ntp_from_unix_us(1500000) == ((2208988801ull << 32) | 0x80000000u));
	assert_int_equal(rtcp_ntp_middle(0xe49a2b3c80000000ull), 0x2b3c8000);
}

static void
test_rr(void **state)
{
	static const struct rtcp_report block = { 2, 0x40, -2, 0x10005, 16, 0x12345678, 0x10000 };
	struct rtcp_packet p;
	struct rtcp_rr rr;
	uint8_t buf[64];
	size_t n;

	(void)state;
	n = rtcp_rr_build(buf, sizeof(buf), 1, &block, 1);
	assert_bytes(buf, n, "81 c9 00 07 00 00 00 01 00 00 00 02 40 ff ff fe 00 01 00 05 "
	    "00 00 00 10 12 34 56 78 00 01 00 00");
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_rr_parse(&p, &rr), 0);
	assert_int_equal(rr.ssrc, 1);
	assert_int_equal(rr.n_reports, 1);
	assert_report(&rr.reports[0], &block);
	/* an empty RR, as a receiver with nothing to report sends */
	n = rtcp_rr_build(buf, sizeof(buf), 7, NULL, 0);
	assert_bytes(buf, n, "80 c9 00 01 00 00 00 07");
	/* cumulative loss beyond 24 bits is clamped, not wrapped */
	{
		struct rtcp_report big = { .ssrc = 3, .cumulative_lost = 0x1000000 };

		n = rtcp_rr_build(buf, sizeof(buf), 1, &big, 1);
		only_packet(buf, n, &p);
		assert_int_equal(rtcp_rr_parse(&p, &rr), 0);
		assert_int_equal(rr.reports[0].cumulative_lost, 0x7fffff);
	}
	assert_int_equal(rtcp_rr_build(buf, sizeof(buf), 1, &block, 32), 0);
}

static void
test_sdes_and_bye(void **state)
{
	struct rtcp_packet p;
	struct rtcp_sdes s;
	struct rtcp_bye b;
	uint8_t buf[512];
	char name[256];
	size_t n;

	(void)state;
	n = rtcp_sdes_build(buf, sizeof(buf), 0x01020304, "abc", 3);
	assert_bytes(buf, n, "81 ca 00 03 01 02 03 04 01 03 61 62 63 00 00 00");
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_sdes_parse(&p, &s), 0);
	assert_int_equal(s.chunks, 1);
	assert_int_equal(s.ssrc, 0x01020304);
	assert_int_equal(s.cname_len, 3);
	assert_memory_equal(s.cname, "abc", 3);
	/* every length of CNAME pads correctly */
	memset(name, 'x', sizeof(name));
	for (n = 0; n <= 255; n++) {
		size_t len = rtcp_sdes_build(buf, sizeof(buf), 9, name, n);

		assert_int_equal(len % 4, 0);
		only_packet(buf, len, &p);
		assert_int_equal(rtcp_sdes_parse(&p, &s), 0);
		assert_int_equal(s.cname_len, n);
	}
	assert_int_equal(rtcp_sdes_build(buf, sizeof(buf), 9, name, 256), 0);
	/* two chunks, the first with NAME before CNAME, the second empty */
	n = unhex("82 ca 00 05 00 00 00 0a 02 01 6e 01 02 63 64 00 00 00 00 0b 00 00 00 00",
	    buf, sizeof(buf));
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_sdes_parse(&p, &s), 0);
	assert_int_equal(s.chunks, 2);
	assert_int_equal(s.cname_len, 2);
	assert_memory_equal(s.cname, "cd", 2);
	/* BYE of two sources with a reason */
	n = unhex("82 cb 00 04 00 00 00 01 00 00 00 02 04 62 79 65 21 00 00 00", buf, sizeof(buf));
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_bye_parse(&p, &b), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.ssrcs[1], 2);
	assert_int_equal(b.reason_len, 4);
	assert_memory_equal(b.reason, "bye!", 4);
}

static void
test_pli_fir(void **state)
{
	struct rtcp_packet p;
	struct rtcp_fb fb;
	uint8_t buf[64], nr = 0xff;
	uint32_t ssrc;
	size_t n;

	(void)state;
	n = rtcp_pli_build(buf, sizeof(buf), 1, 0xabcd);
	assert_bytes(buf, n, "81 ce 00 02 00 00 00 01 00 00 ab cd");
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(fb.media_ssrc, 0xabcd);
	assert_int_equal(fb.fci_len, 0);
	/* FIR's counter is used, then moves on (and wraps) */
	n = rtcp_fir_build(buf, sizeof(buf), 1, 0xabcd, &nr);
	assert_bytes(buf, n, "84 ce 00 04 00 00 00 01 00 00 00 00 00 00 ab cd ff 00 00 00");
	assert_int_equal(nr, 0);
	n = rtcp_fir_build(buf, sizeof(buf), 1, 0xabcd, &nr);
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_fir_entry(&fb, 0, &ssrc, &nr), 0);
	assert_int_equal(ssrc, 0xabcd);
	assert_int_equal(nr, 0);
	assert_int_equal(rtcp_fir_entry(&fb, 1, &ssrc, &nr), -1);
	assert_int_equal(rtcp_fir_build(buf, 19, 1, 2, &nr), 0);
}

struct nrow {
	const char *name;
	uint16_t seqs[40];
	size_t n;
	const char *fci;	/* the PID/BLP pairs */
};

static const struct nrow nrows[] = {
	{ "one", { 100 }, 1, "00 64 00 00" },
	{ "a mask and a spill", { 100, 101, 105, 116, 117, 200 }, 6,
	    "00 64 80 11 00 75 00 00 00 c8 00 00" },
	{ "sixteen after the PID", { 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	    23 }, 17, "00 07 ff ff" },
	{ "across the wrap", { 65534, 65535, 0, 1 }, 4, "ff fe 00 07" },
	{ "out of order starts new pairs", { 10, 5 }, 2, "00 0a 00 00 00 05 00 00" },
};

static void
test_nack(void **state)
{
	uint16_t seqs[64];
	struct rtcp_packet p;
	struct rtcp_fb fb;
	uint8_t buf[256], fci[64];
	size_t i, n, m;

	(void)state;
	for (i = 0; i < sizeof(nrows) / sizeof(nrows[0]); i++) {
		const struct nrow *w = &nrows[i];

		n = rtcp_nack_build(buf, sizeof(buf), 0x11, 0x22, w->seqs, w->n);
		m = unhex(w->fci, fci, sizeof(fci));
		if (n != 12 + m || memcmp(buf + 12, fci, m) != 0)
			fail_msg("%s: built %zu bytes", w->name, n);
		only_packet(buf, n, &p);
		assert_int_equal(p.type, RTCP_RTPFB);
		assert_int_equal(p.count, RTCP_FMT_NACK);
		assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
		assert_int_equal(fb.sender_ssrc, 0x11);
		assert_int_equal(fb.media_ssrc, 0x22);
		if (rtcp_nack_seqs(&fb, seqs, 64) != w->n || memcmp(seqs, w->seqs, w->n * 2) != 0)
			fail_msg("%s: sequence numbers do not read back", w->name);
	}
	/* the count goes on past cap */
	n = rtcp_nack_build(buf, sizeof(buf), 1, 2, nrows[1].seqs, nrows[1].n);
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_nack_seqs(&fb, seqs, 2), 6);
	/* nothing to NACK, or no room for the second pair */
	assert_int_equal(rtcp_nack_build(buf, sizeof(buf), 1, 2, seqs, 0), 0);
	assert_int_equal(rtcp_nack_build(buf, 16, 1, 2, nrows[1].seqs, nrows[1].n), 0);
	assert_int_equal(rtcp_nack_build(buf, 16, 1, 2, nrows[0].seqs, 1), 16);
}

static void
test_remb(void **state)
{
	static const uint32_t ssrcs[] = { 0x2a, 0x2b };
	static const uint64_t rates[] = { 0, 1, 262143, 262144, 1000000, 2500000, 123456789012ull,
	    (uint64_t)0x3ffff << 46 };
	struct rtcp_remb r;
	struct rtcp_packet p;
	struct rtcp_fb fb;
	uint8_t buf[64];
	size_t i, n;
	uint64_t want;
	unsigned shift;

	(void)state;
	n = rtcp_remb_build(buf, sizeof(buf), 1, 1000000, ssrcs, 1);
	assert_bytes(buf, n, "8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 01 0b d0 90 "
	    "00 00 00 2a");
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		n = rtcp_remb_build(buf, sizeof(buf), 1, rates[i], ssrcs, 2);
		only_packet(buf, n, &p);
		assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
		assert_int_equal(rtcp_remb_parse(&fb, &r), 0);
		/* rounded down to 18 significant bits */
		for (shift = 0; (rates[i] >> shift) >= (1u << 18); shift++)
			;
		want = rates[i] >> shift << shift;
		assert_true(r.bitrate == want);
		assert_int_equal(r.n, 2);
		assert_int_equal(r.ssrcs[1], 0x2b);
	}
	/* the largest exponent saturates instead of overflowing */
	n = unhex("8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 00 ff ff ff", buf, sizeof(buf));
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_remb_parse(&fb, &r), 0);
	assert_true(r.bitrate == UINT64_MAX);
	assert_int_equal(rtcp_remb_build(buf, 23, 1, 5, ssrcs, 1), 0);
}

static void
test_tcc(void **state)
{
	struct rtcp_packet p;
	struct rtcp_fb fb;
	struct rtcp_tcc t;
	uint8_t buf[64];
	size_t n;

	(void)state;
	/* run-length chunk: five received with small deltas */
	n = unhex("8f cd 00 06 00 00 00 01 00 00 00 02 00 01 00 05 00 00 10 03 20 05 "
	    "01 02 03 04 05 00", buf, sizeof(buf));
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_tcc_parse(&fb, &t), 0);
	assert_int_equal(t.base_seq, 1);
	assert_int_equal(t.status_count, 5);
	assert_int_equal(t.reference_time, 16);
	assert_int_equal(t.fb_count, 3);
	assert_int_equal(t.received, 5);
	/* two-bit vector: small, large, not received, small (of seven
	 * symbols, four count); negative reference time; RTCP padding */
	n = unhex("af cd 00 06 00 00 00 01 00 00 00 02 00 0a 00 04 ff ff ff 07 d8 40 "
	    "01 00 02 03 00 02", buf, sizeof(buf));
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_tcc_parse(&fb, &t), 0);
	assert_int_equal(t.reference_time, -1);
	assert_int_equal(t.received, 3);
	/* one-bit vector: 14 statuses, 3 received */
	n = unhex("8f cd 00 06 00 00 00 01 00 00 00 02 00 00 00 0e 00 00 00 00 a0 03 "
	    "01 01 01 00 00 00", buf, sizeof(buf));
	only_packet(buf, n, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_tcc_parse(&fb, &t), 0);
	assert_int_equal(t.received, 3);
}

static void
test_compound(void **state)
{
	struct rtcp_sr sr = { .ssrc = 5, .ntp = 1, .rtp_ts = 2 };
	struct rtcp_packet p;
	uint8_t buf[256];
	size_t n = 0, off = 0;
	int types[4], k = 0;

	(void)state;
	n += rtcp_sr_build(buf + n, sizeof(buf) - n, &sr);
	n += rtcp_sdes_build(buf + n, sizeof(buf) - n, 5, "x", 1);
	n += rtcp_pli_build(buf + n, sizeof(buf) - n, 5, 6);
	assert_int_equal(rtcp_check(buf, n), 3);
	while (rtcp_next(buf, n, &off, &p) == 1)
		types[k++] = p.type;
	assert_int_equal(k, 3);
	assert_int_equal(types[0], RTCP_SR);
	assert_int_equal(types[1], RTCP_SDES);
	assert_int_equal(types[2], RTCP_PSFB);
	/* RTP/RTCP demultiplexing (RFC 5761) */
	assert_true(rtcp_is_rtcp(buf, n));
	buf[1] = 96;
	assert_false(rtcp_is_rtcp(buf, n));
	buf[1] = 0xe0;	/* marker and payload type 96 */
	assert_false(rtcp_is_rtcp(buf, n));
	/* an APP packet is walked over and ignored */
	n = unhex("80 cc 00 02 00 00 00 01 61 62 63 64 80 c9 00 01 00 00 00 01", buf, sizeof(buf));
	assert_int_equal(rtcp_check(buf, n), 2);
	/* padding on the last packet */
	n = unhex("a0 c9 00 02 00 00 00 01 00 00 00 04", buf, sizeof(buf));
	assert_int_equal(rtcp_check(buf, n), 1);
	only_packet(buf, n, &p);
	assert_int_equal(p.body_len, 4);
}

/* ---- malformed packets ---- */

enum kind { K_COMPOUND, K_SR, K_RR, K_SDES, K_BYE, K_FB, K_REMB, K_TCC };

struct mrow {
	const char *name;
	enum kind kind;
	const char *hex;
};

static const struct mrow mrows[] = {
	{ "empty datagram", K_COMPOUND, "" },
	{ "three bytes", K_COMPOUND, "80 c9 00" },
	{ "version 1", K_COMPOUND, "40 c9 00 01 00 00 00 01" },
	{ "version 3", K_COMPOUND, "c0 c9 00 01 00 00 00 01" },
	{ "length past the datagram", K_COMPOUND, "80 c9 00 02 00 00 00 01" },
	{ "trailing bytes after a packet", K_COMPOUND, "80 c9 00 01 00 00 00 01 80 c9" },
	{ "padding on a packet that is not last", K_COMPOUND,
	    "a0 c9 00 01 00 00 00 04 80 c9 00 01 00 00 00 01" },
	{ "padding count 0", K_COMPOUND, "a0 c9 00 01 00 00 00 00" },
	{ "padding count beyond the packet", K_COMPOUND, "a0 c9 00 01 00 00 00 05" },
	{ "SR without sender info", K_SR, "80 c8 00 01 00 00 00 01" },
	{ "SR count beyond its blocks", K_SR, "81 c8 00 06 11 22 33 44 e4 9a 2b 3c 80 00 00 00 "
	    "00 01 e2 40 00 00 00 64 00 01 86 a0" },
	{ "SR parsed as RR", K_RR, "80 c8 00 06 11 22 33 44 e4 9a 2b 3c 80 00 00 00 "
	    "00 01 e2 40 00 00 00 64 00 01 86 a0" },
	{ "RR without SSRC", K_RR, "80 c9 00 00" },
	{ "RR count 2, one block", K_RR, "82 c9 00 07 00 00 00 01 00 00 00 02 40 ff ff fe "
	    "00 01 00 05 00 00 00 10 12 34 56 78 00 01 00 00" },
	{ "RR whose block is cut by padding", K_RR, "a1 c9 00 07 00 00 00 01 00 00 00 02 40 ff "
	    "ff fe 00 01 00 05 00 00 00 10 12 34 56 78 00 01 00 04" },
	{ "SDES without terminator", K_SDES, "81 ca 00 02 00 00 00 01 01 02 61 62" },
	{ "SDES item past the end", K_SDES, "81 ca 00 02 00 00 00 01 01 05 61 62" },
	{ "SDES item length byte missing", K_SDES, "81 ca 00 02 00 00 00 01 01 01 61 07" },
	{ "SDES count 2, one chunk", K_SDES, "82 ca 00 02 00 00 00 01 00 00 00 00" },
	{ "SDES chunk without SSRC", K_SDES, "81 ca 00 00" },
	{ "SDES bytes after the chunks", K_SDES, "81 ca 00 03 00 00 00 01 00 00 00 00 00 00 00 00" },
	{ "BYE count beyond its SSRCs", K_BYE, "82 cb 00 01 00 00 00 01" },
	{ "BYE reason past the end", K_BYE, "81 cb 00 02 00 00 00 01 05 61 62 63" },
	{ "feedback without media SSRC", K_FB, "81 cd 00 01 00 00 00 01" },
	{ "NACK without a pair", K_FB, "81 cd 00 02 00 00 00 01 00 00 00 02" },
	{ "PLI with FCI", K_FB, "81 ce 00 03 00 00 00 01 00 00 00 02 00 00 00 00" },
	{ "FIR of half an entry", K_FB, "84 ce 00 03 00 00 00 01 00 00 00 00 00 00 00 02" },
	{ "feedback of another type", K_FB, "81 c9 00 02 00 00 00 01 00 00 00 02" },
	{ "AFB that is not REMB", K_REMB, "8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 43 "
	    "00 00 00 00" },
	{ "REMB cut", K_REMB, "8f ce 00 03 00 00 00 01 00 00 00 00 52 45 4d 42" },
	{ "REMB SSRC count beyond", K_REMB, "8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 "
	    "02 00 00 00" },
	{ "transport-cc header cut", K_TCC, "8f cd 00 03 00 00 00 01 00 00 00 02 00 01 00 05" },
	{ "transport-cc chunks short of the count", K_TCC, "8f cd 00 05 00 00 00 01 00 00 00 02 "
	    "00 01 00 1e 00 00 00 00 20 05 00 00" },
	{ "transport-cc deltas missing", K_TCC, "8f cd 00 05 00 00 00 01 00 00 00 02 "
	    "00 01 00 05 00 00 00 00 40 05 01 02" },
	{ "transport-cc reserved symbol", K_TCC, "8f cd 00 05 00 00 00 01 00 00 00 02 "
	    "00 01 00 02 00 00 00 00 60 02 00 00" },
};

static int
parse_as(enum kind k, const uint8_t *buf, size_t n)
{
	struct rtcp_packet p;
	struct rtcp_fb fb;
	size_t off = 0;
	union {
		struct rtcp_sr sr;
		struct rtcp_rr rr;
		struct rtcp_sdes sdes;
		struct rtcp_bye bye;
		struct rtcp_remb remb;
		struct rtcp_tcc tcc;
	} u;

	if (k == K_COMPOUND)
		return rtcp_check(buf, n) < 0 ? -1 : 0;
	/* every other row is a well-framed packet that its parser refuses */
	assert_int_equal(rtcp_check(buf, n), 1);
	assert_int_equal(rtcp_next(buf, n, &off, &p), 1);
	switch (k) {
	case K_SR: return rtcp_sr_parse(&p, &u.sr);
	case K_RR: return rtcp_rr_parse(&p, &u.rr);
	case K_SDES: return rtcp_sdes_parse(&p, &u.sdes);
	case K_BYE: return rtcp_bye_parse(&p, &u.bye);
	case K_FB: return rtcp_fb_parse(&p, &fb);
	case K_REMB: return rtcp_fb_parse(&p, &fb) != 0 ? -1 : rtcp_remb_parse(&fb, &u.remb);
	case K_TCC: return rtcp_fb_parse(&p, &fb) != 0 ? -1 : rtcp_tcc_parse(&fb, &u.tcc);
	default: return 0;
	}
}

static void
test_malformed_table(void **state)
{
	uint8_t buf[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(mrows) / sizeof(mrows[0]); i++) {
		n = unhex(mrows[i].hex, buf, sizeof(buf));
		if (parse_as(mrows[i].kind, buf, n) != -1)
			fail_msg("%s: accepted", mrows[i].name);
	}
}

/* ---- feedback toward the publisher ---- */

static void
forward(struct rtp_rewriter *rw, uint32_t ssrc, uint16_t seq, int64_t at)
{
	uint8_t buf[RTP_HEADER_MIN] = { 0x80, 96 };
	struct rtp_packet p;

	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[11] = (uint8_t)ssrc;
	assert_int_equal(rtp_parse(buf, sizeof(buf), &p), 0);
	assert_int_equal(rtp_rewriter_apply(rw, &p, at), 1);
}

static void
test_feedback_to_publisher(void **state)
{
	/* out 100..102 came from stream A; out 103.. from B (in 5000..) */
	static const uint16_t nacked[] = { 101, 102, 103, 105, 120 };
	struct rtp_rewriter rw;
	struct rtcp_packet p;
	struct rtcp_fb fb;
	uint8_t in[64], out[64], nr = 9;
	uint16_t seqs[32];
	uint32_t ssrc;
	size_t n, m;
	int i;

	(void)state;
	rtp_rewriter_init(&rw, 0x5b, 90000, 100, 0);
	for (i = 0; i < 3; i++)
		forward(&rw, 0x0a000001, (uint16_t)(7 + i), i * 1000);
	for (i = 0; i < 20; i++)
		forward(&rw, 0x0b000001, (uint16_t)(5000 + i), 10000 + i * 1000);
	/* NACK: A's packets are gone from the publisher's view; B's map back;
	 * 120 (in 5017) is inside the stream */
	n = rtcp_nack_build(in, sizeof(in), 0x5, 0x5b, nacked, 5);
	only_packet(in, n, &p);
	m = rtcp_fb_to_publisher(&p, &rw, 0xcafe, out, sizeof(out));
	assert_true(m > 0);
	only_packet(out, m, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(fb.sender_ssrc, 0xcafe);
	assert_int_equal(fb.media_ssrc, 0x0b000001);
	assert_int_equal(rtcp_nack_seqs(&fb, seqs, 32), 3);
	assert_int_equal(seqs[0], 5000);
	assert_int_equal(seqs[1], 5002);
	assert_int_equal(seqs[2], 5017);
	/* a NACK of the old stream only: nothing to forward */
	n = rtcp_nack_build(in, sizeof(in), 0x5, 0x5b, nacked, 2);
	only_packet(in, n, &p);
	assert_int_equal(rtcp_fb_to_publisher(&p, &rw, 0xcafe, out, sizeof(out)), 0);
	/* PLI about our stream, and about another */
	n = rtcp_pli_build(in, sizeof(in), 0x5, 0x5b);
	only_packet(in, n, &p);
	m = rtcp_fb_to_publisher(&p, &rw, 0xcafe, out, sizeof(out));
	assert_bytes(out, m, "81 ce 00 02 00 00 ca fe 0b 00 00 01");
	n = rtcp_pli_build(in, sizeof(in), 0x5, 0x77);
	only_packet(in, n, &p);
	assert_int_equal(rtcp_fb_to_publisher(&p, &rw, 0xcafe, out, sizeof(out)), 0);
	/* FIR: the request's SSRC mapped, its number kept */
	n = rtcp_fir_build(in, sizeof(in), 0x5, 0x5b, &nr);
	only_packet(in, n, &p);
	m = rtcp_fb_to_publisher(&p, &rw, 0xcafe, out, sizeof(out));
	only_packet(out, m, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_fir_entry(&fb, 0, &ssrc, &nr), 0);
	assert_int_equal(ssrc, 0x0b000001);
	assert_int_equal(nr, 9);
	/* receiver reports are not feedback */
	n = rtcp_rr_build(in, sizeof(in), 0x5, NULL, 0);
	only_packet(in, n, &p);
	assert_int_equal(rtcp_fb_to_publisher(&p, &rw, 0xcafe, out, sizeof(out)), 0);
}

/* A NACK mask that straddles the switch: the PID falls before it, some of
 * its mask after; the mapped pair starts at the first packet of the
 * current stream. */
static void
test_feedback_straddling_nack(void **state)
{
	static const uint16_t nacked[] = { 102, 103, 104, 110 };
	struct rtp_rewriter rw;
	struct rtcp_packet p;
	struct rtcp_fb fb;
	uint8_t in[64], out[64];
	uint16_t seqs[32];
	size_t n, m;
	int i;

	(void)state;
	rtp_rewriter_init(&rw, 0x5, 48000, 100, 0);
	for (i = 0; i < 3; i++)
		forward(&rw, 0xa, (uint16_t)(65530 + i), i * 1000);
	for (i = 0; i < 20; i++)
		forward(&rw, 0xb, (uint16_t)(65530 + i), 10000 + i * 1000);
	n = rtcp_nack_build(in, sizeof(in), 1, 5, nacked, 4);
	only_packet(in, n, &p);
	assert_int_equal(n, 16);	/* one pair */
	m = rtcp_fb_to_publisher(&p, &rw, 2, out, sizeof(out));
	assert_int_equal(m, 16);
	only_packet(out, m, &p);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_nack_seqs(&fb, seqs, 32), 3);
	assert_int_equal(seqs[0], 65530);
	assert_int_equal(seqs[1], 65531);
	assert_int_equal(seqs[2], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sr),
		cmocka_unit_test(test_rr),
		cmocka_unit_test(test_sdes_and_bye),
		cmocka_unit_test(test_pli_fir),
		cmocka_unit_test(test_nack),
		cmocka_unit_test(test_remb),
		cmocka_unit_test(test_tcc),
		cmocka_unit_test(test_compound),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_feedback_to_publisher),
		cmocka_unit_test(test_feedback_straddling_nack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
