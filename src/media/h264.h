/* H.264 sequence parameter sets: the fields of an SPS NAL unit up to its
 * frame cropping (ITU-T H.264 7.3.2.1.1), read with a bounded
 * Exp-Golomb reader after the emulation-prevention bytes are removed, and
 * the picture size they give; and finding an SPS in an RTP payload
 * (RFC 6184: a single NAL unit or a STAP-A), or reassembled from FU-A
 * fragments in a small caller-owned record. No allocation; malformed
 * input is refused, never read past.
 */
#ifndef RTSTAGE_MEDIA_H264_H
#define RTSTAGE_MEDIA_H264_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

/* What an SPS says, as far as the SFU needs it. A plain record. */
struct h264_sps {
	uint8_t profile_idc, constraints, level_idc;
	uint32_t sps_id;		/* 0..31 */
	uint32_t chroma_format_idc;	/* 0..3; 1 unless a high profile says otherwise */
	uint32_t bit_depth_luma, bit_depth_chroma;	/* 8..14 */
	uint32_t log2_max_frame_num;	/* 4..16 */
	uint32_t poc_type;		/* 0..2 */
	uint32_t max_num_ref_frames;
	int frame_mbs_only;
	uint32_t width, height;		/* pixels, after cropping */
};

/* Parses the SPS NAL unit of len bytes at nal (its one-byte header
 * first, emulation-prevention bytes still in). Returns 0 with *out
 * filled, or -1 when it is not an SPS, is truncated, or has a field out
 * of its range (then *out is unspecified). Reads at most
 * LIMIT_H264_SPS_BYTES of it. */
int h264_sps_parse(const uint8_t *nal, size_t len, struct h264_sps *out);

/* Finds the first SPS NAL unit in the H.264 RTP payload of len bytes at
 * payload: the payload itself (a single NAL unit) or one unit of a
 * STAP-A. Returns 1 with *nal and *nal_len pointing into payload, or 0.
 * An SPS fragmented in FU-A packets is h264_sps_assembler's. */
int h264_payload_sps(const uint8_t *payload, size_t len, const uint8_t **nal, size_t *nal_len);

/* An SPS being put back together from FU-A fragments (RFC 6184 5.8):
 * the NAL header and its first LIMIT_H264_SPS_BYTES bytes (all that
 * h264_sps_parse reads), and the sequence number the next fragment must
 * have. A plain record, zeroed to start; one per video stream. */
struct h264_sps_assembler {
	uint8_t nal[LIMIT_H264_SPS_BYTES];
	size_t len;
	uint16_t next_seq;
	int active;			/* a start fragment was seen, none missing since */
};

/* Feeds one RTP payload (len bytes, RTP sequence number seq) of a video
 * stream, in arrival order. Returns 1 with *nal and *nal_len set when an
 * SPS is whole: in the payload itself or a STAP-A (pointing into
 * payload, as h264_payload_sps), or an FU-A end fragment completing one
 * (pointing into a). Otherwise 0. A fragment missing or out of order
 * drops the SPS under way; a reassembled SPS longer than
 * LIMIT_H264_SPS_BYTES is cut there. The pointers are valid until the
 * next call. */
int h264_sps_assemble(struct h264_sps_assembler *a, uint16_t seq, const uint8_t *payload,
    size_t len, const uint8_t **nal, size_t *nal_len);

#endif
