/* Fuzz target: SDP. Input: one byte choosing the role, then an offer that
 * is parsed, planned and, when servable, answered; the answer must parse
 * back with the same mids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sdp_candidate cands[] = {
	{ 0, "192.0.2.10", 4443, 2130706431u },
	{ 1, "2001:db8::10", 4443, 1671430143u },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_offer o, a;
	struct sdp_local l;
	struct sdp_plan p;
	struct buf out;
	struct err e;
	size_t i;

	if (size < 1)
		return 0;
	if (sdp_parse((const char *)data + 1, size - 1, &o, &e) != ERR_OK)
		return 0;
	if (sdp_plan_make(&o, data[0] & 1 ? SDP_SUBSCRIBE : SDP_PUBLISH, &p, &e) != ERR_OK)
		return 0;
	memset(&l, 0, sizeof(l));
	l.ufrag = "Srv1";
	l.pwd = "ServerPassword/0123+456789";
	l.cand = cands;
	l.n_cand = 2;
	l.audio = (struct sdp_stream){ 1, 0, "c", "s", "a" };
	l.video = (struct sdp_stream){ 2, 3, "c", "s", "v" };
	buf_init(&out, LIMIT_SDP_BYTES);
	if (sdp_answer_write(&o, &p, &l, &out, &e) != ERR_OK ||
	    sdp_parse(out.data, out.len, &a, &e) != ERR_OK || a.n_media != o.n_media)
		__builtin_trap();
	for (i = 0; i < o.n_media; i++)
		if (strcmp(a.m[i].mid, o.m[i].mid) != 0)
			__builtin_trap();
	buf_free(&out);
	return 0;
}
