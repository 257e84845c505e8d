/* Fuzz target: H.264 SPS reading. The input is read both as an RTP
 * payload (the SPS found in it, if any, parsed) and as an SPS NAL unit;
 * a parsed SPS must give a picture inside the bounds the reader allows. */
#include <stdint.h>
#include <stdlib.h>

#include "limits.h"
#include "media/h264.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h264_sps s;
	const uint8_t *nal;
	size_t len;

	if (h264_payload_sps(data, size, &nal, &len) == 1) {
		if (nal < data || len > size || nal + len > data + size)
			abort();
		(void)h264_sps_parse(nal, len, &s);
	}
	if (h264_sps_parse(data, size, &s) == 0 &&
	    (s.width == 0 || s.height == 0 || s.width > LIMIT_H264_MBS_SIDE * 16 ||
	    s.height > LIMIT_H264_MBS_SIDE * 32))
		abort();
	return 0;
}
