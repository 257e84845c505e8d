/* Fuzz target: H.264 SPS reading. The input is read as an RTP payload
 * (the SPS found in it, if any, parsed), as an SPS NAL unit, and as a
 * run of payloads fed to the FU-A reassembler (each a length byte, a
 * sequence-number step byte, then that many bytes); a parsed SPS must
 * give a picture inside the bounds the reader allows, and every SPS
 * handed back must lie inside the payload or the assembler's buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "media/h264.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_sps(const uint8_t *nal, size_t len)
{
	struct h264_sps s;

	if (h264_sps_parse(nal, len, &s) == 0 &&
	    (s.width == 0 || s.height == 0 || s.width > LIMIT_H264_MBS_SIDE * 16 ||
	    s.height > LIMIT_H264_MBS_SIDE * 32))
		abort();
}

/* The input as payloads of one video stream, in arrival order. */
static void
assemble(const uint8_t *data, size_t size)
{
	static struct h264_sps_assembler a;
	const uint8_t *nal;
	uint16_t seq = 0;
	size_t at = 0, n, nal_len;

	memset(&a, 0, sizeof(a));
	while (at + 2 <= size) {
		n = data[at];
		seq = (uint16_t)(seq + data[at + 1]);	/* 1: in order; else a gap */
		at += 2;
		if (n > size - at)
			n = size - at;
		if (h264_sps_assemble(&a, seq, data + at, n, &nal, &nal_len) == 1) {
			int inside_payload = nal >= data + at && nal + nal_len <= data + at + n;
			int inside_assembler = nal >= a.nal && nal + nal_len <= a.nal + sizeof(a.nal);

			if (!inside_payload && !inside_assembler)
				abort();
			check_sps(nal, nal_len);
		}
		at += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nal;
	size_t len;

	if (h264_payload_sps(data, size, &nal, &len) == 1) {
		if (nal < data || len > size || nal + len > data + size)
			abort();
		check_sps(nal, len);
	}
	check_sps(data, size);
	assemble(data, size);
	return 0;
}
