/* Fuzz target: RTP parsing and every in-place rewrite. Input: one byte
 * seeding the extension-id map, then the packet. A parsed packet is
 * rewritten (extension ids, then the stream rewriter) and must parse
 * again to the same layout; the keyframe and audio-level readers and the
 * loss tracker run on it too. */
#include <stdint.h>
#include <string.h>

#include "media/nack.h"
#include "media/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	struct rtp_rewriter rw;
	struct nack_tracker t;
	struct rtp_ext_map m;
	struct rtp_packet p, q;
	const uint8_t *v;
	size_t len;
	int level, voice, id;
	uint16_t in;

	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (rtp_parse(buf, size - 1, &p) != 0)
		return 0;
	memset(&m, 0, sizeof(m));
	for (id = 1; id <= RTP_EXT_ID_MAX; id++)
		rtp_ext_map_set(&m, (uint8_t)id, (uint8_t)((id * data[0]) & 0xFF));
	for (id = 0; id <= 16; id++)
		(void)rtp_ext_find(&p, (uint8_t)id, &v, &len);
	(void)rtp_audio_level(&p, 1, &level, &voice);
	(void)rtp_h264_is_keyframe(&p);
	rtp_ext_rewrite(&p, &m);
	rtp_rewriter_init(&rw, 0x1234, 90000, (uint16_t)(data[0] * 257), 7);
	if (rtp_rewriter_apply(&rw, &p, 0) != 1)
		__builtin_trap();
	if (rtp_rewriter_seq_in(&rw, p.seq, &in) != 0)
		__builtin_trap();
	if (rtp_parse(buf, size - 1, &q) != 0 || q.payload_off != p.payload_off ||
	    q.payload_len != p.payload_len || q.seq != p.seq || q.ssrc != 0x1234)
		__builtin_trap();
	nack_tracker_init(&t, 90000);
	(void)nack_tracker_receive(&t, p.seq, p.ts, 0);
	(void)nack_tracker_receive(&t, (uint16_t)(p.seq + data[0]), p.ts, 1000);
	return 0;
}
