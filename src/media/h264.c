/* H.264 SPS reading (see h264.h): the RBSP copied into a bounded local
 * buffer without its emulation-prevention bytes, then read field by field
 * with a bit reader that fails, rather than reads on, at the end; and
 * an SPS found in, or reassembled from, RTP payloads.
 */
#include <string.h>

#include "limits.h"
#include "media/h264.h"

enum { NAL_SPS = 7, NAL_STAP_A = 24, NAL_FU_A = 28 };

struct bits {
	const uint8_t *b;
	size_t len;		/* bytes */
	size_t pos;		/* bits read */
	int bad;		/* read past the end, or a field out of range */
};

static uint32_t
u1(struct bits *r)
{
	uint32_t v;

	if (r->pos >= r->len * 8) {
		r->bad = 1;
		return 0;
	}
	v = (r->b[r->pos / 8] >> (7 - r->pos % 8)) & 1;
	r->pos++;
	return v;
}

static uint32_t
un(struct bits *r, unsigned n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = v << 1 | u1(r);
	return v;
}

/* ue(v): at most 31 leading zeros, so the value fits in 32 bits. */
static uint32_t
ue(struct bits *r)
{
	unsigned zeros = 0;

	while (!r->bad && u1(r) == 0)
		if (++zeros > 31) {
			r->bad = 1;
			return 0;
		}
	if (r->bad)
		return 0;
	return (uint32_t)((1ULL << zeros) - 1 + un(r, zeros));
}

static int64_t
se(struct bits *r)
{
	uint32_t k = ue(r);

	return (k & 1) ? (int64_t)(k / 2) + 1 : -(int64_t)(k / 2);
}

/* ue(v) that must lie in [0, max]. */
static uint32_t
ue_max(struct bits *r, uint32_t max)
{
	uint32_t v = ue(r);

	if (v > max)
		r->bad = 1;
	return v;
}

/* Profiles whose SPS carries the chroma format and bit depths (7.3.2.1.1). */
static const uint8_t high_profiles[] = { 100, 110, 122, 244, 44, 83, 86, 118, 128, 138,
	139, 134, 135 };

static int
is_high(uint8_t profile)
{
	size_t i;

	for (i = 0; i < sizeof(high_profiles); i++)
		if (high_profiles[i] == profile)
			return 1;
	return 0;
}

/* scaling_list(): only skipped, each delta checked. */
static void
skip_scaling_list(struct bits *r, unsigned size)
{
	int64_t last = 8, next = 8, delta;
	unsigned j;

	for (j = 0; j < size && !r->bad; j++) {
		if (next != 0) {
			delta = se(r);
			if (delta < -128 || delta > 127) {
				r->bad = 1;
				return;
			}
			next = (last + delta + 256) % 256;
		}
		last = next == 0 ? last : next;
	}
}

static void
read_high(struct bits *r, struct h264_sps *s, int *separate_planes)
{
	unsigned i, lists;

	s->chroma_format_idc = ue_max(r, 3);
	if (s->chroma_format_idc == 3)
		*separate_planes = (int)u1(r);
	s->bit_depth_luma = ue_max(r, 6) + 8;
	s->bit_depth_chroma = ue_max(r, 6) + 8;
	(void)u1(r);		/* qpprime_y_zero_transform_bypass_flag */
	if (!u1(r))		/* seq_scaling_matrix_present_flag */
		return;
	lists = s->chroma_format_idc != 3 ? 8 : 12;
	for (i = 0; i < lists && !r->bad; i++)
		if (u1(r))
			skip_scaling_list(r, i < 6 ? 16 : 64);
}

static void
read_poc(struct bits *r, struct h264_sps *s)
{
	uint32_t i, cycle;

	s->poc_type = ue_max(r, 2);
	if (s->poc_type == 0) {
		(void)ue_max(r, 12);	/* log2_max_pic_order_cnt_lsb_minus4 */
	} else if (s->poc_type == 1) {
		(void)u1(r);		/* delta_pic_order_always_zero_flag */
		(void)se(r);		/* offset_for_non_ref_pic */
		(void)se(r);		/* offset_for_top_to_bottom_field */
		cycle = ue_max(r, 255);
		for (i = 0; i < cycle && !r->bad; i++)
			(void)se(r);
	}
}

/* Frame size from the macroblock counts and the cropping (7.4.2.1.1). */
static void
read_size(struct bits *r, struct h264_sps *s, int separate_planes)
{
	uint32_t w_mbs, h_units, crop[4] = { 0, 0, 0, 0 }, cx, cy, w, h, i;
	uint32_t chroma = separate_planes ? 0 : s->chroma_format_idc;

	w_mbs = ue_max(r, LIMIT_H264_MBS_SIDE - 1) + 1;
	h_units = ue_max(r, LIMIT_H264_MBS_SIDE - 1) + 1;
	s->frame_mbs_only = (int)u1(r);
	if (!s->frame_mbs_only)
		(void)u1(r);	/* mb_adaptive_frame_field_flag */
	(void)u1(r);		/* direct_8x8_inference_flag */
	if (u1(r))		/* frame_cropping_flag */
		for (i = 0; i < 4; i++)
			crop[i] = ue_max(r, LIMIT_H264_MBS_SIDE * 16);
	if (r->bad)
		return;
	cx = chroma == 0 ? 1 : (chroma == 3 ? 1 : 2);
	cy = (chroma == 1 ? 2 : 1) * (2 - (uint32_t)s->frame_mbs_only);
	w = w_mbs * 16;
	h = h_units * 16 * (2 - (uint32_t)s->frame_mbs_only);
	if (cx * (crop[0] + crop[1]) >= w || cy * (crop[2] + crop[3]) >= h) {
		r->bad = 1;
		return;
	}
	s->width = w - cx * (crop[0] + crop[1]);
	s->height = h - cy * (crop[2] + crop[3]);
}

/* Copies the RBSP of nal (after its header) into out without its
 * emulation-prevention bytes (00 00 03); at most cap bytes. */
static size_t
unescape(const uint8_t *nal, size_t len, uint8_t *out, size_t cap)
{
	size_t i, n = 0, zeros = 0;

	for (i = 1; i < len && n < cap; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] == 0 ? zeros + 1 : 0;
		out[n++] = nal[i];
	}
	return n;
}

int
h264_sps_parse(const uint8_t *nal, size_t len, struct h264_sps *out)
{
	uint8_t rbsp[LIMIT_H264_SPS_BYTES];
	struct bits r = { rbsp, 0, 0, 0 };
	int separate_planes = 0;

	if (len < 4 || (nal[0] & 0x80) || (nal[0] & 0x1F) != NAL_SPS)
		return -1;
	r.len = unescape(nal, len, rbsp, sizeof(rbsp));
	memset(out, 0, sizeof(*out));
	out->profile_idc = (uint8_t)un(&r, 8);
	out->constraints = (uint8_t)un(&r, 8);
	out->level_idc = (uint8_t)un(&r, 8);
	out->sps_id = ue_max(&r, 31);
	out->chroma_format_idc = 1;
	out->bit_depth_luma = out->bit_depth_chroma = 8;
	if (is_high(out->profile_idc))
		read_high(&r, out, &separate_planes);
	out->log2_max_frame_num = ue_max(&r, 12) + 4;
	read_poc(&r, out);
	out->max_num_ref_frames = ue_max(&r, LIMIT_H264_REF_FRAMES);
	(void)u1(&r);		/* gaps_in_frame_num_value_allowed_flag */
	read_size(&r, out, separate_planes);
	return r.bad ? -1 : 0;
}

int
h264_payload_sps(const uint8_t *payload, size_t len, const uint8_t **nal, size_t *nal_len)
{
	size_t i = 1, size;

	if (len < 1)
		return 0;
	if ((payload[0] & 0x1F) == NAL_SPS) {
		*nal = payload;
		*nal_len = len;
		return 1;
	}
	if ((payload[0] & 0x1F) != NAL_STAP_A)
		return 0;
	while (i + 2 <= len) {
		size = (size_t)payload[i] << 8 | payload[i + 1];
		i += 2;
		if (size == 0 || size > len - i)
			return 0;
		if ((payload[i] & 0x1F) == NAL_SPS) {
			*nal = payload + i;
			*nal_len = size;
			return 1;
		}
		i += size;
	}
	return 0;
}

/* Appends n bytes to a's SPS, up to what h264_sps_parse reads. */
static void
assembler_append(struct h264_sps_assembler *a, const uint8_t *b, size_t n)
{
	size_t room = sizeof(a->nal) - a->len;

	if (n > room)
		n = room;
	memcpy(a->nal + a->len, b, n);
	a->len += n;
}

int
h264_sps_assemble(struct h264_sps_assembler *a, uint16_t seq, const uint8_t *payload,
    size_t len, const uint8_t **nal, size_t *nal_len)
{
	int start, end;

	if (len < 1)
		return 0;
	if ((payload[0] & 0x1F) != NAL_FU_A) {
		a->active = 0;
		return h264_payload_sps(payload, len, nal, nal_len);
	}
	if (len < 3 || (payload[1] & 0x1F) != NAL_SPS) {
		a->active = 0;
		return 0;
	}
	start = (payload[1] & 0x80) != 0;
	end = (payload[1] & 0x40) != 0;
	if (start) {
		a->nal[0] = (uint8_t)((payload[0] & 0xE0) | NAL_SPS);
		a->len = 1;
		a->active = 1;
	} else if (!a->active || seq != a->next_seq) {
		a->active = 0;
		return 0;
	}
	assembler_append(a, payload + 2, len - 2);
	a->next_seq = (uint16_t)(seq + 1);
	if (!end)
		return 0;
	a->active = 0;
	*nal = a->nal;
	*nal_len = a->len;
	return 1;
}
