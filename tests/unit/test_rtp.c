/* RTP packets: header parsing (CSRCs, padding, one-byte and two-byte
 * header extensions, every malformation), field and extension-id
 * rewriting, the stream rewriter across SSRC changes, wrap-around and
 * reordering, retransmissions rewritten again, H.264 keyframe detection and audio levels. Packets are
 * written as hex, byte by byte as on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/rtp.h"

/* Reads hex digits (spaces ignored) into buf; returns the byte count. */
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

/* ---- parsing ---- */

struct prow {
	const char *name;
	const char *hex;
	int ok;
	uint8_t pt, marker, csrcs;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint16_t profile;
	size_t ext_len, payload_off, payload_len, padding;
};

/* A row that must not parse. */
#define BAD(n, h) { .name = n, .hex = h, .ok = 0 }

#define HDR "80 60 12 34 00 00 03 e8 de ad be ef "

static const struct prow prows[] = {
	{ "fixed header and payload", HDR "01 02 03 04", 1, 96, 0, 0, 0x1234, 1000, 0xdeadbeef,
	    0, 0, 12, 4, 0 },
	{ "marker and payload type 111", "80 ef 00 01 00 00 00 10 00 00 00 2a aa", 1, 111, 1, 0,
	    1, 16, 42, 0, 0, 12, 1, 0 },
	{ "no payload", HDR, 1, 96, 0, 0, 0x1234, 1000, 0xdeadbeef, 0, 0, 12, 0, 0 },
	{ "two CSRCs", "82 60 12 34 00 00 03 e8 de ad be ef 00 00 00 01 00 00 00 02 ff", 1, 96, 0,
	    2, 0x1234, 1000, 0xdeadbeef, 0, 0, 20, 1, 0 },
	{ "one-byte extensions", "90 60 12 34 00 00 03 e8 de ad be ef be de 00 02 "
	    "10 aa 31 00 05 00 00 00 ff", 1, 96, 0, 0, 0x1234, 1000, 0xdeadbeef, 0xbede, 8, 24, 1, 0 },
	{ "one-byte id 15 stops the walk", "90 60 12 34 00 00 03 e8 de ad be ef be de 00 01 "
	    "10 aa f0 ff", 1, 96, 0, 0, 0x1234, 1000, 0xdeadbeef, 0xbede, 4, 20, 0, 0 },
	{ "two-byte extensions", "90 60 12 34 00 00 03 e8 de ad be ef 10 00 00 02 "
	    "01 00 c8 03 61 62 63 00 ff", 1, 96, 0, 0, 0x1234, 1000, 0xdeadbeef, 0x1000, 8, 24, 1, 0 },
	{ "two-byte with app bits", "90 60 12 34 00 00 03 e8 de ad be ef 10 05 00 01 "
	    "07 01 aa 00", 1, 96, 0, 0, 0x1234, 1000, 0xdeadbeef, 0x1005, 4, 20, 0, 0 },
	{ "another profile is opaque", "90 60 12 34 00 00 03 e8 de ad be ef ab cd 00 01 "
	    "ff ff ff ff 01", 1, 96, 0, 0, 0x1234, 1000, 0xdeadbeef, 0xabcd, 4, 20, 1, 0 },
	{ "empty extension block", "90 60 12 34 00 00 03 e8 de ad be ef be de 00 00 01", 1, 96,
	    0, 0, 0x1234, 1000, 0xdeadbeef, 0xbede, 0, 16, 1, 0 },
	{ "padding", "a0 60 12 34 00 00 03 e8 de ad be ef 01 02 00 00 03", 1, 96, 0, 0, 0x1234,
	    1000, 0xdeadbeef, 0, 0, 12, 2, 3 },
	{ "padding only", "a0 60 12 34 00 00 03 e8 de ad be ef 00 00 00 04", 1, 96, 0, 0,
	    0x1234, 1000, 0xdeadbeef, 0, 0, 12, 0, 4 },
	{ "CSRC, extension and padding", "b1 60 12 34 00 00 03 e8 de ad be ef 00 00 00 07 "
	    "be de 00 01 22 01 02 03 aa bb 02", 1, 96, 0, 1, 0x1234, 1000, 0xdeadbeef, 0xbede, 4,
	    24, 1, 2 },
	BAD("11 bytes", "80 60 12 34 00 00 03 e8 de ad be"),
	BAD("empty", ""),
	BAD("version 1", "40 60 12 34 00 00 03 e8 de ad be ef"),
	BAD("version 0 (STUN)", "00 01 00 00 21 12 a4 42 00 00 00 00"),
	BAD("CSRCs past the end", "83 60 12 34 00 00 03 e8 de ad be ef 00 00 00 01 00 00 00 02"),
	BAD("extension header past the end", "90 60 12 34 00 00 03 e8 de ad be ef be de"),
	BAD("extension length past the end", "90 60 12 34 00 00 03 e8 de ad be ef be de 00 02 "
	    "10 aa 00 00"),
	BAD("one-byte element overruns", "90 60 12 34 00 00 03 e8 de ad be ef be de 00 01 "
	    "13 aa bb cc"),
	BAD("two-byte element overruns", "90 60 12 34 00 00 03 e8 de ad be ef 10 00 00 01 "
	    "01 03 aa bb"),
	BAD("two-byte header cut", "90 60 12 34 00 00 03 e8 de ad be ef 10 00 00 01 "
	    "00 00 00 01"),
	BAD("padding count 0", "a0 60 12 34 00 00 03 e8 de ad be ef 01 00"),
	BAD("padding beyond payload", "a0 60 12 34 00 00 03 e8 de ad be ef 01 05"),
	BAD("padding into the extension", "b0 60 12 34 00 00 03 e8 de ad be ef be de 00 01 "
	    "10 aa 00 06"),
};

static void
test_parse_table(void **state)
{
	uint8_t buf[128];
	struct rtp_packet p;
	size_t i, n;
	int r;

	(void)state;
	for (i = 0; i < sizeof(prows) / sizeof(prows[0]); i++) {
		const struct prow *w = &prows[i];

		n = unhex(w->hex, buf, sizeof(buf));
		r = rtp_parse(buf, n, &p);
		if (r != (w->ok ? 0 : -1))
			fail_msg("%s: rtp_parse returned %d", w->name, r);
		if (!w->ok)
			continue;
		if (p.payload_type != w->pt || p.marker != w->marker || p.csrc_count != w->csrcs ||
		    p.seq != w->seq || p.ts != w->ts || p.ssrc != w->ssrc ||
		    p.ext_profile != w->profile || p.ext_len != w->ext_len ||
		    p.payload_off != w->payload_off || p.payload_len != w->payload_len ||
		    p.padding_len != w->padding)
			fail_msg("%s: fields pt %u m %u cc %u seq %u ts %u ssrc %x profile %x ext %zu "
			    "payload %zu+%zu padding %zu", w->name, p.payload_type, p.marker,
			    p.csrc_count, p.seq, p.ts, p.ssrc, p.ext_profile, p.ext_len, p.payload_off,
			    p.payload_len, p.padding_len);
	}
}

static void
test_setters(void **state)
{
	uint8_t buf[64], want[64];
	struct rtp_packet p;
	size_t n;

	(void)state;
	n = unhex("80 e0 12 34 00 00 03 e8 de ad be ef 01 02", buf, sizeof(buf));
	assert_int_equal(rtp_parse(buf, n, &p), 0);
	rtp_set_payload_type(&p, 102);
	rtp_set_seq(&p, 0xfffe);
	rtp_set_ts(&p, 0x89abcdef);
	rtp_set_ssrc(&p, 0x01020304);
	unhex("80 e6 ff fe 89 ab cd ef 01 02 03 04 01 02", want, sizeof(want));
	assert_memory_equal(buf, want, n);
	assert_int_equal(p.marker, 1);
	assert_int_equal(rtp_parse(buf, n, &p), 0);
	assert_int_equal(p.payload_type, 102);
	assert_int_equal(p.seq, 0xfffe);
}

/* ---- header extensions ---- */

struct xrow {
	const char *name;
	const char *in;
	uint8_t from[4], to[4];	/* map rows; id 0 ends */
	const char *out;
};

static const struct xrow xrows[] = {
	{ "one-byte: renumber two, drop one",
	    "90 60 00 01 00 00 00 01 00 00 00 01 be de 00 03 "
	    "10 aa 31 01 02 42 61 00 00 00 00 00 ff",
	    { 1, 3, 4 }, { 2, 5, 0 },
	    "90 60 00 01 00 00 00 01 00 00 00 01 be de 00 03 "
	    "20 aa 51 01 02 00 00 00 00 00 00 00 ff" },
	{ "one-byte: an id over 14 cannot be written, dropped",
	    "90 60 00 01 00 00 00 01 00 00 00 01 be de 00 01 10 aa 20 bb",
	    { 1, 2 }, { 20, 2 },
	    "90 60 00 01 00 00 00 01 00 00 00 01 be de 00 01 00 00 20 bb" },
	{ "unmapped ids are dropped",
	    "90 60 00 01 00 00 00 01 00 00 00 01 be de 00 01 10 aa 20 bb",
	    { 0 }, { 0 },
	    "90 60 00 01 00 00 00 01 00 00 00 01 be de 00 01 00 00 00 00" },
	{ "two-byte: any id, drop with its length byte",
	    "90 60 00 01 00 00 00 01 00 00 00 01 10 00 00 02 01 01 aa 03 02 bb cc 00",
	    { 1 }, { 200 },
	    "90 60 00 01 00 00 00 01 00 00 00 01 10 00 00 02 c8 01 aa 00 00 00 00 00" },
	{ "another profile is left alone",
	    "90 60 00 01 00 00 00 01 00 00 00 01 ab cd 00 01 10 aa 20 bb",
	    { 0 }, { 0 },
	    "90 60 00 01 00 00 00 01 00 00 00 01 ab cd 00 01 10 aa 20 bb" },
};

static void
test_ext_rewrite_table(void **state)
{
	uint8_t buf[64], want[64];
	struct rtp_ext_map m;
	struct rtp_packet p;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(xrows) / sizeof(xrows[0]); i++) {
		memset(&m, 0, sizeof(m));
		for (j = 0; j < 4 && xrows[i].from[j] != 0; j++)
			rtp_ext_map_set(&m, xrows[i].from[j], xrows[i].to[j]);
		n = unhex(xrows[i].in, buf, sizeof(buf));
		assert_int_equal(unhex(xrows[i].out, want, sizeof(want)), n);
		assert_int_equal(rtp_parse(buf, n, &p), 0);
		rtp_ext_rewrite(&p, &m);
		if (memcmp(buf, want, n) != 0)
			fail_msg("%s: rewritten bytes differ", xrows[i].name);
		/* the result is still a valid packet */
		if (rtp_parse(buf, n, &p) != 0)
			fail_msg("%s: rewritten packet does not parse", xrows[i].name);
	}
}

static void
test_ext_find_and_audio_level(void **state)
{
	uint8_t buf[64];
	const uint8_t *v;
	struct rtp_packet p;
	int level, voice;
	size_t n, len;

	(void)state;
	/* id 1: audio level, voice, 42 dBov; id 3: 2-byte transport-cc seq */
	n = unhex("90 6f 00 01 00 00 00 01 00 00 00 01 be de 00 02 10 aa 31 01 02 00 00 00 f8",
	    buf, sizeof(buf));
	assert_int_equal(rtp_parse(buf, n, &p), 0);
	assert_int_equal(rtp_audio_level(&p, 1, &level, &voice), 1);
	assert_int_equal(level, 42);
	assert_int_equal(voice, 1);
	assert_int_equal(rtp_ext_find(&p, 3, &v, &len), 1);
	assert_int_equal(len, 2);
	assert_int_equal(v[0] << 8 | v[1], 0x0102);
	assert_int_equal(rtp_ext_find(&p, 2, &v, &len), 0);
	assert_int_equal(rtp_ext_find(&p, 0, &v, &len), 0);
	assert_int_equal(rtp_audio_level(&p, 5, &level, &voice), 0);
	/* silence without voice, two-byte form */
	n = unhex("90 6f 00 01 00 00 00 01 00 00 00 01 10 00 00 01 09 01 7f 00", buf, sizeof(buf));
	assert_int_equal(rtp_parse(buf, n, &p), 0);
	assert_int_equal(rtp_audio_level(&p, 9, &level, &voice), 1);
	assert_int_equal(level, 127);
	assert_int_equal(voice, 0);
	/* no extension block at all */
	n = unhex(HDR "00", buf, sizeof(buf));
	assert_int_equal(rtp_parse(buf, n, &p), 0);
	assert_int_equal(rtp_audio_level(&p, 1, &level, &voice), 0);
}

/* ---- H.264 keyframes ---- */

struct krow {
	const char *name;
	const char *payload;
	int key;
};

static const struct krow krows[] = {
	{ "single IDR slice", "65 88 84 00", 1 },
	{ "single SPS", "67 42 e0 1f", 1 },
	{ "single PPS", "68 ce 3c 80", 0 },
	{ "single non-IDR slice", "41 9a 00 00", 0 },
	{ "SEI", "06 05 ff", 0 },
	{ "STAP-A with SPS and PPS", "78 00 04 67 42 e0 1f 00 03 68 ce 3c", 1 },
	{ "STAP-A with IDR second", "78 00 02 06 05 00 02 65 88", 1 },
	{ "STAP-A of non-IDR", "78 00 02 41 9a 00 02 41 9b", 0 },
	{ "STAP-A size past the end", "78 00 09 67 42", 0 },
	{ "STAP-A size zero", "78 00 00 00 02 65 88", 0 },
	{ "STAP-A header only", "78", 0 },
	{ "FU-A start of IDR", "7c 85 88 84", 1 },
	{ "FU-A middle of IDR", "7c 05 88 84", 0 },
	{ "FU-A end of IDR", "7c 45 88 84", 0 },
	{ "FU-A start of non-IDR", "7c 81 9a 00", 0 },
	{ "FU-A without its header", "7c", 0 },
	{ "empty payload", "", 0 },
};

static void
test_h264_keyframe_table(void **state)
{
	uint8_t buf[64];
	struct rtp_packet p;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(krows) / sizeof(krows[0]); i++) {
		n = unhex(HDR, buf, sizeof(buf));
		n += unhex(krows[i].payload, buf + n, sizeof(buf) - n);
		assert_int_equal(rtp_parse(buf, n, &p), 0);
		if (rtp_h264_is_keyframe(&p) != krows[i].key)
			fail_msg("%s: expected %d", krows[i].name, krows[i].key);
	}
}

/* ---- the stream rewriter ---- */

struct step {
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	int64_t at_us;
	int forward;
	uint16_t out_seq;
	uint32_t out_ts;
};

static void
run_steps(struct rtp_rewriter *rw, const struct step *s, size_t n, const char *name)
{
	uint8_t buf[RTP_HEADER_MIN + 4];
	struct rtp_packet p;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = 0x80;
		buf[1] = 96;
		buf[2] = (uint8_t)(s[i].seq >> 8);
		buf[3] = (uint8_t)s[i].seq;
		buf[4] = (uint8_t)(s[i].ts >> 24);
		buf[5] = (uint8_t)(s[i].ts >> 16);
		buf[6] = (uint8_t)(s[i].ts >> 8);
		buf[7] = (uint8_t)s[i].ts;
		buf[8] = (uint8_t)(s[i].ssrc >> 24);
		buf[9] = (uint8_t)(s[i].ssrc >> 16);
		buf[10] = (uint8_t)(s[i].ssrc >> 8);
		buf[11] = (uint8_t)s[i].ssrc;
		assert_int_equal(rtp_parse(buf, sizeof(buf), &p), 0);
		r = rtp_rewriter_apply(rw, &p, s[i].at_us);
		if (r != s[i].forward)
			fail_msg("%s step %zu: apply returned %d", name, i, r);
		if (!r) {
			/* a dropped packet is left as it was */
			if (p.seq != s[i].seq || p.ssrc != s[i].ssrc)
				fail_msg("%s step %zu: dropped packet was changed", name, i);
			continue;
		}
		assert_int_equal(rtp_parse(buf, sizeof(buf), &p), 0);
		if (p.ssrc != rw->ssrc_out || p.seq != s[i].out_seq || p.ts != s[i].out_ts)
			fail_msg("%s step %zu: out ssrc %x seq %u ts %u, want seq %u ts %u", name, i,
			    p.ssrc, p.seq, p.ts, s[i].out_seq, s[i].out_ts);
	}
}

#define MS 1000LL

/* A packet of ssrc, seq and ts, rewritten again by rw: returns what
 * rtp_rewriter_again returned, with the outgoing fields. */
static int
again(const struct rtp_rewriter *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t *ossrc,
    uint16_t *oseq, uint32_t *ots)
{
	uint8_t buf[RTP_HEADER_MIN + 4];
	struct rtp_packet p;
	int r;

	memset(buf, 0, sizeof(buf));
	buf[0] = 0x80;
	buf[1] = 96;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	assert_int_equal(rtp_parse(buf, sizeof(buf), &p), 0);
	r = rtp_rewriter_again(rw, &p);
	assert_int_equal(rtp_parse(buf, sizeof(buf), &p), 0);
	*ossrc = p.ssrc;
	*oseq = p.seq;
	*ots = p.ts;
	return r;
}

/* Retransmissions from a history of incoming packets, after the restart
 * steps below: the current stream's packets go out as they first did, and
 * the rewriter is left as it was; the old stream's, and the new one's
 * before its first packet, are refused unchanged. */
static void
again_cases(struct rtp_rewriter *rw)
{
	struct rtp_rewriter before = *rw;
	uint32_t ssrc, ts;
	uint16_t seq;

	assert_int_equal(again(rw, 0x2222, 9, 430242, &ssrc, &seq, &ts), 1);
	assert_int_equal(ssrc, 0xabcdef01);
	assert_int_equal(seq, 1005);
	assert_int_equal(ts, 26000);
	assert_int_equal(again(rw, 0x2222, 7, 424242, &ssrc, &seq, &ts), 1);
	assert_int_equal(seq, 1003);
	assert_int_equal(ts, 20000);
	assert_memory_equal(rw, &before, sizeof(before));
	assert_int_equal(again(rw, 0x1111, 40002, 1006000, &ssrc, &seq, &ts), 0);
	assert_int_equal(ssrc, 0x1111);
	assert_int_equal(seq, 40002);
	assert_int_equal(again(rw, 0x2222, 6, 421242, &ssrc, &seq, &ts), 0);
	assert_int_equal(again(rw, 0x2222, 12, 439242, &ssrc, &seq, &ts), 0);
	rtp_rewriter_switch(rw);
	assert_int_equal(again(rw, 0x2222, 9, 430242, &ssrc, &seq, &ts), 0);
	*rw = before;
}

static void
test_rewriter_publisher_restart(void **state)
{
	/* 90 kHz video at 30 fps (3000 ticks a frame); the publisher restarts
	 * after 100 ms of silence with a new SSRC and random bases. */
	static const struct step steps[] = {
		{ 0x1111, 40000, 1000000, 0, 1, 1000, 5000 },
		{ 0x1111, 40001, 1003000, 33 * MS, 1, 1001, 8000 },
		{ 0x1111, 40002, 1006000, 66 * MS, 1, 1002, 11000 },
		/* restart: 100 ms after the last packet, 9000 ticks on */
		{ 0x2222, 7, 424242, 166 * MS, 1, 1003, 20000 },
		{ 0x2222, 8, 427242, 199 * MS, 1, 1004, 23000 },
		/* late packets of the old stream are dropped */
		{ 0x1111, 40003, 1009000, 200 * MS, 0, 0, 0 },
		/* a packet older than the new stream's first has no place */
		{ 0x2222, 6, 421242, 201 * MS, 0, 0, 0 },
		/* reordering: 10 before 9, each keeps its relative place */
		{ 0x2222, 10, 433242, 240 * MS, 1, 1006, 29000 },
		{ 0x2222, 9, 430242, 241 * MS, 1, 1005, 26000 },
		{ 0x2222, 11, 436242, 270 * MS, 1, 1007, 32000 },
		/* a duplicate goes out as the original did, and moves no clock */
		{ 0x2222, 11, 436242, 290 * MS, 1, 1007, 32000 },
	};
	struct rtp_rewriter rw;
	uint16_t in;

	(void)state;
	rtp_rewriter_init(&rw, 0xabcdef01, 90000, 1000, 5000);
	run_steps(&rw, steps, sizeof(steps) / sizeof(steps[0]), "restart");
	assert_int_equal(rw.packets, 9);
	/* inverse mapping: current stream only */
	assert_int_equal(rtp_rewriter_seq_in(&rw, 1005, &in), 0);
	assert_int_equal(in, 9);
	assert_int_equal(rtp_rewriter_seq_in(&rw, 1003, &in), 0);
	assert_int_equal(in, 7);
	assert_int_equal(rtp_rewriter_seq_in(&rw, 1002, &in), -1);
	assert_int_equal(rtp_rewriter_seq_in(&rw, 1008, &in), -1);
	/* sender-report time: 30 ms after the last packet is 2700 ticks on */
	assert_int_equal(rtp_rewriter_ts_at(&rw, 300 * MS), 32000 + 2700);
	again_cases(&rw);
}

static void
test_rewriter_wraparound(void **state)
{
	/* incoming sequence and timestamp wrap; so does the outgoing side */
	static const struct step in_wrap[] = {
		{ 0x1, 65534, 0xffffff00u, 0, 1, 100, 1000 },
		{ 0x1, 65535, 0xffffffc0u, 20 * MS, 1, 101, 1192 },
		{ 0x1, 0, 0x00000080u, 40 * MS, 1, 102, 1384 },
		{ 0x1, 2, 0x00000200u, 60 * MS, 1, 104, 1768 },
		{ 0x1, 1, 0x00000140u, 61 * MS, 1, 103, 1576 },
	};
	static const struct step out_wrap[] = {
		{ 0x9, 500, 10, 0, 1, 65535, 0xfffffff0u },
		{ 0x9, 501, 970, 20 * MS, 1, 0, 0x3b0 },
		/* restart across the outgoing wrap */
		{ 0xa, 30000, 77, 60 * MS, 1, 1, 0x3b0 + 1920 },
		{ 0xa, 29999, 76, 61 * MS, 0, 0, 0 },
	};
	struct rtp_rewriter rw;
	uint16_t in;

	(void)state;
	rtp_rewriter_init(&rw, 0x55, 48000, 100, 1000);
	run_steps(&rw, in_wrap, sizeof(in_wrap) / sizeof(in_wrap[0]), "incoming wrap");
	assert_int_equal(rtp_rewriter_seq_in(&rw, 102, &in), 0);
	assert_int_equal(in, 0);
	assert_int_equal(rtp_rewriter_seq_in(&rw, 99, &in), -1);
	rtp_rewriter_init(&rw, 0x56, 48000, 65535, 0xfffffff0u);
	run_steps(&rw, out_wrap, sizeof(out_wrap) / sizeof(out_wrap[0]), "outgoing wrap");
	assert_int_equal(rtp_rewriter_seq_in(&rw, 1, &in), 0);
	assert_int_equal(in, 30000);
	assert_int_equal(rtp_rewriter_seq_in(&rw, 0, &in), -1);
	assert_int_equal(rtp_rewriter_seq_in(&rw, 65535, &in), -1);
}

/* A stream longer than half the sequence space: late packets still keep
 * their place, and feedback still maps back. */
static void
test_rewriter_long_stream(void **state)
{
	struct step s = { 0x42, 60000, 0, 0, 1, 0, 0 };
	struct rtp_rewriter rw;
	uint16_t in;
	uint32_t i;

	(void)state;
	rtp_rewriter_init(&rw, 0x43, 90000, 500, 0);
	for (i = 0; i < 70000; i++) {
		s.seq = (uint16_t)(60000 + i);
		s.ts = i * 3000;
		s.at_us = i * 33 * MS;
		s.out_seq = (uint16_t)(500 + i);
		s.out_ts = i * 3000;
		run_steps(&rw, &s, 1, "long");
	}
	s.seq = (uint16_t)(60000 + 69990);
	s.ts = 69990u * 3000;
	s.out_seq = (uint16_t)(500 + 69990);
	s.out_ts = 69990u * 3000;
	run_steps(&rw, &s, 1, "long, late");
	assert_int_equal(rtp_rewriter_seq_in(&rw, (uint16_t)(500 + 69000), &in), 0);
	assert_int_equal(in, (uint16_t)(60000 + 69000));
	/* half the space back or more reads as ahead: not ours */
	assert_int_equal(rtp_rewriter_seq_in(&rw, (uint16_t)(500 + 69999 - 40000), &in), -1);
}

static void
test_rewriter_explicit_switch(void **state)
{
	/* A to B and back to A: the return is deliberate, so it is taken;
	 * a switch without elapsed time still moves the timestamp on. */
	static const struct step first[] = {
		{ 0xa, 10, 100, 0, 1, 1, 0 },
		{ 0xb, 500, 9000, 10 * MS, 1, 2, 900 },
		{ 0xa, 11, 100, 10 * MS, 0, 0, 0 },
	};
	static const struct step back[] = {
		{ 0xa, 12, 3100, 10 * MS, 1, 3, 901 },
		{ 0xa, 13, 6100, 43 * MS, 1, 4, 3901 },
		/* and now B is the stream left: its late packets are dropped */
		{ 0xb, 501, 9100, 43 * MS, 0, 0, 0 },
	};
	struct rtp_rewriter rw;

	(void)state;
	rtp_rewriter_init(&rw, 0x77, 90000, 1, 0);
	run_steps(&rw, first, 3, "switch");
	rtp_rewriter_switch(&rw);
	run_steps(&rw, back, 3, "switch back");
}

/* Not a timed test: prints what parse + rewrite + extension rewrite of a
 * 1200-byte packet costs on this machine, for the record. */
static void
test_rewrite_cost(void **state)
{
	static uint8_t buf[1200];
	struct rtp_rewriter rw;
	struct rtp_ext_map m;
	struct rtp_packet p;
	struct timespec t0, t1;
	const int rounds = 200000;
	uint16_t seq = 0;
	double ns;
	int i;

	(void)state;
	memset(&m, 0, sizeof(m));
	rtp_ext_map_set(&m, 3, 5);
	rtp_ext_map_set(&m, 4, 1);
	unhex("90 66 00 00 00 00 00 00 00 00 00 07 be de 00 02 31 00 01 40 61 00 00 00", buf,
	    sizeof(buf));
	rtp_rewriter_init(&rw, 0x99, 90000, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < rounds; i++) {
		buf[2] = (uint8_t)(seq >> 8);
		buf[3] = (uint8_t)seq;
		buf[16] = 0x31;
		buf[19] = 0x40;
		seq++;
		if (rtp_parse(buf, sizeof(buf), &p) != 0 || !rtp_rewriter_apply(&rw, &p, i * 33LL))
			fail_msg("round %d failed", i);
		rtp_ext_rewrite(&p, &m);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / rounds;
	print_message("parse + rewrite + extension ids of a 1200-byte packet: %.1f ns\n", ns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_setters),
		cmocka_unit_test(test_ext_rewrite_table),
		cmocka_unit_test(test_ext_find_and_audio_level),
		cmocka_unit_test(test_h264_keyframe_table),
		cmocka_unit_test(test_rewriter_publisher_restart),
		cmocka_unit_test(test_rewriter_wraparound),
		cmocka_unit_test(test_rewriter_long_stream),
		cmocka_unit_test(test_rewriter_explicit_switch),
		cmocka_unit_test(test_rewrite_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
