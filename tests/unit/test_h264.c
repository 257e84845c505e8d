/* H.264 SPS reading: SPS built here field by field with an Exp-Golomb
 * writer (baseline and high profiles, cropping, fields, scaling lists,
 * emulation-prevention bytes) read back to their picture sizes; the same
 * SPS found in single-NAL and STAP-A payloads and reassembled from FU-A
 * fragments (a lost or reordered fragment drops it); truncated and
 * malformed SPS refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "media/h264.h"

/* ---- an SPS writer ---- */

struct wr {
	uint8_t b[256];
	size_t bits;
};

static void
put(struct wr *w, uint32_t v, unsigned n)
{
	while (n-- > 0) {
		if ((v >> n) & 1)
			w->b[w->bits / 8] |= (uint8_t)(0x80 >> (w->bits % 8));
		w->bits++;
	}
}

static void
put_ue(struct wr *w, uint32_t v)
{
	uint64_t x = (uint64_t)v + 1;
	unsigned len = 0;

	while ((x >> len) > 1)
		len++;
	put(w, 0, len);
	put(w, (uint32_t)(x >> 32), len >= 32 ? 1 : 0);
	put(w, (uint32_t)x, len + 1 > 32 ? 32 : len + 1);
}

static void
put_se(struct wr *w, int32_t v)
{
	put_ue(w, v > 0 ? (uint32_t)(2 * v - 1) : (uint32_t)(-2 * v));
}

struct sps_fields {
	const char *name;
	uint8_t profile, level;
	uint32_t chroma;		/* high profiles only */
	int scaling;			/* high: write two scaling lists */
	uint32_t poc_type;
	uint32_t w_mbs, h_units;
	int frame_mbs_only;
	uint32_t crop[4];		/* left, right, top, bottom */
	uint32_t want_w, want_h;
};

/* The NAL unit (header 0x67) of f, emulation-prevention bytes inserted;
 * its length. */
static size_t
build_sps(const struct sps_fields *f, uint8_t *out, size_t cap)
{
	struct wr w;
	size_t i, n = 0, zeros = 0, len;
	int crop = f->crop[0] || f->crop[1] || f->crop[2] || f->crop[3];

	memset(&w, 0, sizeof(w));
	put(&w, f->profile, 8);
	put(&w, 0, 8);
	put(&w, f->level, 8);
	put_ue(&w, 0);				/* sps id */
	if (f->profile == 100) {
		put_ue(&w, f->chroma);
		if (f->chroma == 3)
			put(&w, 0, 1);		/* separate_colour_plane_flag */
		put_ue(&w, 0);			/* bit depths 8 */
		put_ue(&w, 0);
		put(&w, 0, 1);
		put(&w, (uint32_t)f->scaling, 1);
		for (i = 0; f->scaling && i < 8; i++) {
			put(&w, i < 2, 1);
			if (i == 0)		/* 16 deltas of +1 */
				for (n = 0; n < 16; n++)
					put_se(&w, 1);
			else if (i == 1)	/* nextScale 0 at once: the rest copied */
				put_se(&w, -8);
		}
		n = 0;
	}
	put_ue(&w, 0);				/* log2_max_frame_num_minus4 */
	put_ue(&w, f->poc_type);
	if (f->poc_type == 0)
		put_ue(&w, 2);
	else if (f->poc_type == 1) {
		put(&w, 0, 1);
		put_se(&w, -3);
		put_se(&w, 5);
		put_ue(&w, 2);
		put_se(&w, 1);
		put_se(&w, -1);
	}
	put_ue(&w, 1);				/* max_num_ref_frames */
	put(&w, 0, 1);
	put_ue(&w, f->w_mbs - 1);
	put_ue(&w, f->h_units - 1);
	put(&w, (uint32_t)f->frame_mbs_only, 1);
	if (!f->frame_mbs_only)
		put(&w, 0, 1);
	put(&w, 1, 1);				/* direct_8x8 */
	put(&w, (uint32_t)crop, 1);
	for (i = 0; crop && i < 4; i++)
		put_ue(&w, f->crop[i]);
	put(&w, 0, 1);				/* no VUI */
	put(&w, 1, 1);				/* rbsp stop bit */
	len = (w.bits + 7) / 8;
	out[n++] = 0x67;
	for (i = 0; i < len; i++) {
		assert_true(n + 2 < cap);
		if (zeros >= 2 && w.b[i] <= 3) {
			out[n++] = 3;
			zeros = 0;
		}
		zeros = w.b[i] == 0 ? zeros + 1 : 0;
		out[n++] = w.b[i];
	}
	return n;
}

static const struct sps_fields sizes[] = {
	{ "320x240 baseline", 66, 30, 1, 0, 2, 20, 15, 1, { 0 }, 320, 240 },
	{ "640x360 cropped", 66, 30, 1, 0, 2, 40, 23, 1, { 0, 0, 0, 4 }, 640, 360 },
	{ "1280x720 constrained baseline", 66, 31, 1, 0, 0, 80, 45, 1, { 0 }, 1280, 720 },
	{ "1920x1080 high", 100, 40, 1, 0, 0, 120, 68, 1, { 0, 0, 0, 4 }, 1920, 1080 },
	{ "720x1280 portrait", 100, 31, 1, 1, 1, 45, 80, 1, { 0 }, 720, 1280 },
	{ "1920x1080 interlaced", 100, 40, 1, 0, 0, 120, 34, 0, { 0, 0, 0, 2 }, 1920, 1080 },
	{ "4:4:4 crop by one", 100, 40, 3, 0, 0, 10, 10, 1, { 1, 1, 1, 1 }, 158, 158 },
	{ "4:2:2 crop", 100, 40, 2, 0, 0, 10, 10, 1, { 1, 1, 1, 1 }, 156, 158 },
	{ "16x16 tiny", 66, 10, 1, 0, 2, 1, 1, 1, { 0 }, 16, 16 },
};

static void
test_sizes(void **state)
{
	struct h264_sps s;
	uint8_t nal[300];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = build_sps(&sizes[i], nal, sizeof(nal));
		if (h264_sps_parse(nal, n, &s) != 0)
			fail_msg("%s: refused", sizes[i].name);
		if (s.width != sizes[i].want_w || s.height != sizes[i].want_h)
			fail_msg("%s: %ux%u", sizes[i].name, s.width, s.height);
		assert_int_equal(s.profile_idc, sizes[i].profile);
		assert_int_equal(s.level_idc, sizes[i].level);
		assert_int_equal(s.poc_type, sizes[i].poc_type);
		assert_int_equal(s.frame_mbs_only, sizes[i].frame_mbs_only);
		assert_int_equal(s.max_num_ref_frames, 1);
		assert_int_equal(s.log2_max_frame_num, 4);
	}
}

/* An emulation-prevention byte inside the header fields: profile 0,
 * constraints 0 and level 1 are written 00 00 03 01 and must read back as
 * 00 00 01. */
static void
test_emulation_prevention(void **state)
{
	struct sps_fields f = { "escape", 0, 1, 1, 0, 2, 20, 15, 1, { 0 }, 320, 240 };
	struct h264_sps s;
	uint8_t nal[300];
	size_t n, i;
	int escaped = 0;

	(void)state;
	n = build_sps(&f, nal, sizeof(nal));
	for (i = 3; i < n; i++)
		escaped |= nal[i - 2] == 0 && nal[i - 1] == 0 && nal[i] == 3;
	assert_true(escaped);
	assert_int_equal(h264_sps_parse(nal, n, &s), 0);
	assert_int_equal(s.level_idc, 1);
	assert_int_equal(s.width, 320);
	assert_int_equal(s.height, 240);
}

/* The same sizes written by a second, independent writer (the fuzz
 * corpus's), as bytes. */
static const struct {
	const char *hex;
	uint32_t w, h;
} written[] = {
	{ "6742001fed00a00b72", 1280, 720 },
	{ "67640028acb403c0113f2a", 1920, 1080 },
	{ "6742001eda0280bfe540", 640, 360 },
	{ "67640028aca1c52480780447da", 1920, 1080 },
	{ "6700000301da0507e4", 320, 240 },
};

static void
test_written(void **state)
{
	struct h264_sps s;
	uint8_t nal[64];
	size_t i, j, n;
	unsigned byte;

	(void)state;
	for (i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
		n = strlen(written[i].hex) / 2;
		for (j = 0; j < n; j++) {
			assert_int_equal(sscanf(written[i].hex + 2 * j, "%2x", &byte), 1);
			nal[j] = (uint8_t)byte;
		}
		assert_int_equal(h264_sps_parse(nal, n, &s), 0);
		assert_int_equal(s.width, written[i].w);
		assert_int_equal(s.height, written[i].h);
	}
}

static void
test_malformed(void **state)
{
	struct h264_sps s;
	uint8_t nal[300], bad[300];
	size_t n, cut;
	static const uint8_t zeros[] = { 0x67, 0x42, 0, 0x1e, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t pps[] = { 0x68, 0xce, 0x3c, 0x80 };
	struct sps_fields big_crop = sizes[1];
	struct sps_fields huge = sizes[0];

	(void)state;
	n = build_sps(&sizes[2], nal, sizeof(nal));
	/* every truncation before the size fields is refused */
	for (cut = 0; cut + 1 < n; cut++)
		assert_int_equal(h264_sps_parse(nal, cut, &s), -1);
	/* the forbidden bit, another NAL type */
	memcpy(bad, nal, n);
	bad[0] |= 0x80;
	assert_int_equal(h264_sps_parse(bad, n, &s), -1);
	assert_int_equal(h264_sps_parse(pps, sizeof(pps), &s), -1);
	/* an Exp-Golomb code of more than 31 zeros */
	assert_int_equal(h264_sps_parse(zeros, sizeof(zeros), &s), -1);
	/* cropping the whole picture away */
	big_crop.crop[3] = 200;
	n = build_sps(&big_crop, nal, sizeof(nal));
	assert_int_equal(h264_sps_parse(nal, n, &s), -1);
	/* more macroblocks than any level allows */
	huge.w_mbs = 5000;
	n = build_sps(&huge, nal, sizeof(nal));
	assert_int_equal(h264_sps_parse(nal, n, &s), -1);
	assert_int_equal(h264_sps_parse(NULL, 0, &s), -1);
}

static void
test_payload(void **state)
{
	uint8_t sps[300], stap[400], fu[400];
	const uint8_t *nal;
	size_t n, len, at;
	static const uint8_t pps[] = { 0x68, 0xce, 0x3c, 0x80 };

	(void)state;
	n = build_sps(&sizes[3], sps, sizeof(sps));
	assert_int_equal(h264_payload_sps(sps, n, &nal, &len), 1);
	assert_ptr_equal(nal, sps);
	assert_int_equal(len, n);
	/* STAP-A: a PPS, then the SPS */
	stap[0] = 0x78;
	stap[1] = 0;
	stap[2] = sizeof(pps);
	memcpy(stap + 3, pps, sizeof(pps));
	at = 3 + sizeof(pps);
	stap[at] = (uint8_t)(n >> 8);
	stap[at + 1] = (uint8_t)n;
	memcpy(stap + at + 2, sps, n);
	assert_int_equal(h264_payload_sps(stap, at + 2 + n, &nal, &len), 1);
	assert_ptr_equal(nal, stap + at + 2);
	assert_int_equal(len, n);
	/* a STAP-A whose unit runs past the end, an IDR slice, FU-A */
	assert_int_equal(h264_payload_sps(stap, at + 1 + n, &nal, &len), 0);
	assert_int_equal(h264_payload_sps(pps, sizeof(pps), &nal, &len), 0);
	fu[0] = 0x7c;
	fu[1] = 0x87;
	memcpy(fu + 2, sps + 1, n - 1);
	assert_int_equal(h264_payload_sps(fu, n + 1, &nal, &len), 0);
	assert_int_equal(h264_payload_sps(fu, 0, &nal, &len), 0);
}

/* Cuts the SPS nal (n bytes, header first) into FU-A payloads of at most
 * piece bytes of the unit each, written one after the other at out; their
 * lengths in lens. Returns how many. */
static size_t
fu_a_split(const uint8_t *nal, size_t n, size_t piece, uint8_t *out, size_t *lens)
{
	size_t at = 1, k = 0, take;

	while (at < n) {
		take = n - at < piece ? n - at : piece;
		out[0] = (uint8_t)((nal[0] & 0xE0) | 28);
		out[1] = (uint8_t)((at == 1 ? 0x80 : 0) | (at + take == n ? 0x40 : 0) | (nal[0] & 0x1F));
		memcpy(out + 2, nal + at, take);
		lens[k++] = take + 2;
		out += take + 2;
		at += take;
	}
	return k;
}

/* Feeds the k fragments at frags (lengths lens) from sequence number seq0,
 * skipping fragment skip (k: none) and swapping fragments swap and swap+1
 * (k: none). Returns what the last call returned. */
static int
feed(struct h264_sps_assembler *a, const uint8_t *frags, const size_t *lens, size_t k,
    uint16_t seq0, size_t skip, size_t swap, const uint8_t **nal, size_t *len)
{
	const uint8_t *at[64];
	size_t i, j, order[64];
	int r = 0;

	assert_true(k <= 64);
	for (i = 0; i < k; i++) {
		at[i] = frags;
		frags += lens[i];
		order[i] = i;
	}
	if (swap + 1 < k) {
		order[swap] = swap + 1;
		order[swap + 1] = swap;
	}
	for (i = 0; i < k; i++) {
		j = order[i];
		if (j == skip)
			continue;
		r = h264_sps_assemble(a, (uint16_t)(seq0 + j), at[j], lens[j], nal, len);
	}
	return r;
}

static void
test_fu_a(void **state)
{
	struct h264_sps_assembler a;
	struct h264_sps s;
	uint8_t sps[300], frags[600], idr[3] = { 0x7c, 0x85, 0x88 };
	size_t lens[64], n, k, len, i;
	const uint8_t *nal;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = build_sps(&sizes[i], sps, sizeof(sps));
		k = fu_a_split(sps, n, 4, frags, lens);
		assert_true(k >= 2);
		memset(&a, 0, sizeof(a));
		/* whole, across a sequence number wrap */
		assert_int_equal(feed(&a, frags, lens, k, 65534, k, k, &nal, &len), 1);
		assert_int_equal(len, n);
		assert_memory_equal(nal, sps, n);
		assert_int_equal(h264_sps_parse(nal, len, &s), 0);
		assert_int_equal(s.width, sizes[i].want_w);
		assert_int_equal(s.height, sizes[i].want_h);
		/* a fragment lost, or two swapped: no SPS */
		assert_int_equal(feed(&a, frags, lens, k, 100, 1, k, &nal, &len), 0);
		assert_int_equal(feed(&a, frags, lens, k, 200, k, k - 2, &nal, &len), 0);
		/* then a whole one again */
		assert_int_equal(feed(&a, frags, lens, k, 300, k, k, &nal, &len), 1);
		assert_int_equal(len, n);
	}
	/* an SPS in one packet passes through; an FU-A of an IDR is no SPS and
	 * breaks one under way */
	n = build_sps(&sizes[2], sps, sizeof(sps));
	assert_int_equal(h264_sps_assemble(&a, 1, sps, n, &nal, &len), 1);
	assert_ptr_equal(nal, sps);
	k = fu_a_split(sps, n, 4, frags, lens);
	assert_int_equal(h264_sps_assemble(&a, 10, frags, lens[0], &nal, &len), 0);
	assert_int_equal(h264_sps_assemble(&a, 11, idr, sizeof(idr), &nal, &len), 0);
	assert_int_equal(feed(&a, frags, lens, k, 12, 0, k, &nal, &len), 0);
	assert_int_equal(h264_sps_assemble(&a, 1, frags, 0, &nal, &len), 0);
	/* a long SPS is kept up to what is read */
	memset(sps + 1, 0x11, sizeof(sps) - 1);
	sps[0] = 0x67;
	k = fu_a_split(sps, sizeof(sps), 20, frags, lens);
	assert_int_equal(feed(&a, frags, lens, k, 7, k, k, &nal, &len), 1);
	assert_int_equal(len, LIMIT_H264_SPS_BYTES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_emulation_prevention),
		cmocka_unit_test(test_written),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_fu_a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
