/* The stage's routing in the SFU: a publisher's RTP (its RTX unwrapped)
 * kept once in its stream's history, then rewritten for each of its
 * subscribers (payload type, extension ids, SSRC, sequence numbers and
 * timestamps) in a slot of the transport's send batch and protected per
 * subscriber, the whole fan-out then sent with one sendmmsg (ICE-TCP
 * subscribers at once); feedback both ways (subscribers' NACKs answered
 * from the publisher's history, rewritten again for them; their PLI and FIR
 * turned into rate-limited PLIs to the publisher; NACKs, receiver reports
 * and REMB to publishers; sender reports to subscribers); the publish
 * bitrate and resolution limits. No allocation and no lock per packet.
 * Loop thread only.
 */
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "crypto/ids.h"
#include "media/h264.h"
#include "media/rtcp.h"
#include "media/sfu_int.h"

/* Extensions carried through to subscribers: the rest (mid, transport-wide
 * sequence numbers) describe the publisher's transport, not the media. */
static const enum sdp_ext carried[] = { SDP_EXT_ABS_SEND_TIME, SDP_EXT_AUDIO_LEVEL };

static uint32_t
random_u32(void)
{
	uint32_t v = 0;

	(void)ids_random((unsigned char *)&v, sizeof(v));
	return v;
}

static enum err_code
pub_prepare(struct pub_stream *st, const struct sdp_plan *plan, int idx, uint32_t clock,
    size_t history, struct err *e)
{
	const struct sdp_pick *pk;

	memset(st, 0, sizeof(*st));
	st->pt = st->rtx_pt = -1;
	st->clock = clock;
	nack_tracker_init(&st->track, clock);
	if (idx < 0)
		return ERR_OK;
	st->hist = nack_history_new(history, LIMIT_NACK_HISTORY_MS * 1000LL);
	if (st->hist == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory for a retransmission history");
	pk = &plan->pick[idx];
	st->pt = pk->pt;
	st->rtx_pt = pk->rtx_pt;
	st->ssrc = pk->ssrc;
	st->rtx_ssrc = pk->rtx_ssrc;
	memcpy(st->ext, pk->ext_id, sizeof(st->ext));
	return ERR_OK;
}

static void
sub_prepare(struct sub_stream *ss, const struct sdp_plan *plan, int idx, uint32_t clock)
{
	const struct sdp_pick *pk;

	memset(ss, 0, sizeof(*ss));
	if (idx < 0)
		return;
	pk = &plan->pick[idx];
	ss->active = 1;
	ss->pt = (uint8_t)pk->pt;
	memcpy(ss->ext, pk->ext_id, sizeof(ss->ext));
	ss->nack = (pk->fb & SDP_FB_NACK) != 0;
	do
		ss->ssrc = random_u32();
	while (ss->ssrc == 0);
	rtp_rewriter_init(&ss->rw, ss->ssrc, clock, (uint16_t)random_u32(), random_u32());
	ss->need_keyframe = clock == 90000;
}

enum err_code
forward_prepare(struct sfu *s, struct peer *p, const struct sdp_offer *o,
    const struct sdp_plan *plan, struct err *e)
{
	enum err_code rc;

	(void)s;
	(void)o;
	if (p->role == SFU_PUBLISH) {
		rc = pub_prepare(&p->audio, plan, plan->audio, 48000, LIMIT_SFU_AUDIO_HISTORY, e);
		if (rc == ERR_OK)
			rc = pub_prepare(&p->video, plan, plan->video, 90000, LIMIT_SFU_VIDEO_HISTORY,
			    e);
		return rc;
	}
	sub_prepare(&p->sa, plan, plan->audio, 48000);
	sub_prepare(&p->sv, plan, plan->video, 90000);
	return ERR_OK;
}

static void
map_extensions(struct sub_stream *ss, const struct pub_stream *st)
{
	size_t i;

	memset(&ss->map, 0, sizeof(ss->map));
	for (i = 0; i < sizeof(carried) / sizeof(carried[0]); i++)
		if (st->ext[carried[i]] != 0 && ss->ext[carried[i]] != 0)
			rtp_ext_map_set(&ss->map, st->ext[carried[i]], ss->ext[carried[i]]);
}

void
forward_link(struct sfu *s, struct peer *sub, struct peer *pub)
{
	forward_unlink(sub);
	sub->publisher = pub;
	sub->sub_next = pub->subs;
	pub->subs = sub;
	map_extensions(&sub->sa, &pub->audio);
	map_extensions(&sub->sv, &pub->video);
	if (sub->sa.sent)
		rtp_rewriter_switch(&sub->sa.rw);
	if (sub->sv.sent)
		rtp_rewriter_switch(&sub->sv.rw);
	sub->sv.need_keyframe = sub->sv.active;
	if (sub->up)
		forward_request_keyframe(s, pub, loop_now_ms());
}

void
forward_unlink(struct peer *sub)
{
	struct peer **pp;

	if (sub->publisher == NULL)
		return;
	for (pp = &sub->publisher->subs; *pp != NULL; pp = &(*pp)->sub_next)
		if (*pp == sub) {
			*pp = sub->sub_next;
			break;
		}
	sub->publisher = NULL;
	sub->sub_next = NULL;
}

void
forward_release(struct peer *p)
{
	nack_history_free(p->audio.hist);
	nack_history_free(p->video.hist);
	p->audio.hist = p->video.hist = NULL;
}

void
forward_request_keyframe(struct sfu *s, struct peer *pub, uint64_t now_ms)
{
	size_t n;

	if (pub == NULL || !pub->up || pub->ending || pub->video.ssrc == 0)
		return;
	if (pub->pli_ms != 0 && now_ms - pub->pli_ms < LIMIT_SFU_PLI_MS)
		return;
	n = rtcp_pli_build(s->rtcp, sizeof(s->rtcp), pub->rtcp_ssrc, pub->video.ssrc);
	if (n > 0 && peer_send_rtcp(s, pub, s->rtcp, n, sizeof(s->rtcp)) == 0) {
		pub->pli_ms = now_ms;
		metrics_add(s->m.plis, 1);
	}
}

/* Turns an RTX packet (RFC 4588: the original sequence number, then the
 * payload) back into the original in place. 0, or -1 to drop it. */
static int
rtx_unwrap(struct pub_stream *st, uint8_t *data, size_t *len, struct rtp_packet *pkt)
{
	uint16_t osn;

	if (pkt->payload_len < 2 || st->ssrc == 0)
		return -1;
	osn = (uint16_t)(data[pkt->payload_off] << 8 | data[pkt->payload_off + 1]);
	memmove(data + pkt->payload_off, data + pkt->payload_off + 2, *len - pkt->payload_off - 2);
	*len -= 2;
	if (rtp_parse(data, *len, pkt) != 0)
		return -1;
	rtp_set_payload_type(pkt, (uint8_t)st->pt);
	rtp_set_seq(pkt, osn);
	rtp_set_ssrc(pkt, st->ssrc);
	return 0;
}

/* Is the picture of an SPS completed by this video packet (whole in it,
 * or its last FU-A fragment) over the IVS limit (either orientation)? An
 * SPS that cannot be read, or a packet completing none, is not: the limit
 * is enforced on what can be measured. */
static int
over_resolution(struct pub_stream *st, const struct rtp_packet *pkt)
{
	struct h264_sps sps;
	const uint8_t *nal;
	size_t len;
	uint32_t side;

	if (!h264_sps_assemble(&st->sps, pkt->seq, pkt->data + pkt->payload_off,
	    pkt->payload_len, &nal, &len) || h264_sps_parse(nal, len, &sps) != 0)
		return 0;
	side = sps.width > sps.height ? sps.width : sps.height;
	return (uint64_t)sps.width * sps.height > LIMIT_SFU_MAX_PIXELS ||
	    side > LIMIT_SFU_MAX_SIDE;
}

_Static_assert(LIMIT_SFU_SEND_SLOT_BYTES >= SFU_SCRATCH_BYTES,
    "a send slot holds a datagram and its SRTP trailer");

/* Rewrites the publisher's packet for sub in a send slot, protects it and
 * queues it; transport_batch_flush sends it. */
static void
send_to(struct sfu *s, struct peer *sub, struct sub_stream *ss, const uint8_t *data,
    size_t len, int keyframe, int64_t now_us)
{
	struct rtp_packet out;
	struct err e;
	uint8_t *buf;
	size_t cap;

	if (!ss->active || !sub->up || sub->ending)
		return;
	if (ss->need_keyframe) {
		if (!keyframe) {
			forward_request_keyframe(s, sub->publisher, (uint64_t)(now_us / 1000));
			return;
		}
		ss->need_keyframe = 0;
	}
	if (sub->route.kind == ROUTE_NONE)
		return;
	buf = transport_batch_slot(s->transport, &cap);
	memcpy(buf, data, len);
	if (rtp_parse(buf, len, &out) != 0)
		return;
	rtp_set_payload_type(&out, ss->pt);
	rtp_ext_rewrite(&out, &ss->map);
	if (!rtp_rewriter_apply(&ss->rw, &out, now_us))
		return;
	if (srtp_session_protect_rtp(sub->srtp_out, buf, &len, cap, &e) != ERR_OK)
		return;
	transport_batch_queue(s->transport, &sub->route, len);
	ss->sent = 1;
	if (!sub->media_up)
		sfu_media_up(s, sub);
}

void
forward_rtp(struct sfu *s, struct peer *p, uint8_t *data, size_t len)
{
	struct rtp_packet pkt;
	struct pub_stream *st;
	struct peer *sub, *next;
	struct transport_sent sent;
	int64_t now_us = sfu_now_us();
	int video, keyframe;

	if (rtp_parse(data, len, &pkt) != 0)
		return;
	if (p->video.pt >= 0 && pkt.payload_type == p->video.pt)
		st = &p->video;
	else if (p->audio.pt >= 0 && pkt.payload_type == p->audio.pt)
		st = &p->audio;
	else if (p->video.rtx_pt >= 0 && pkt.payload_type == p->video.rtx_pt) {
		st = &p->video;
		if (rtx_unwrap(st, data, &len, &pkt) != 0)
			return;
	} else
		return;
	video = st == &p->video;
	if (pkt.ssrc != st->ssrc || !st->started) {
		if (st->started)
			log_msg(LOG_DEBUG, "media session %s: %s stream restarts as SSRC %u", p->id,
			    video ? "video" : "audio", pkt.ssrc);
		nack_tracker_init(&st->track, st->clock);
		st->ssrc = pkt.ssrc;
		st->started = 1;
	}
	(void)nack_tracker_receive(&st->track, pkt.seq, pkt.ts, now_us);
	st->interval_bytes += len;
	keyframe = video && rtp_h264_is_keyframe(&pkt);
	if (video && over_resolution(st, &pkt)) {
		log_msg(LOG_INFO, "media session %s: video over %dx%d, publish ended", p->id,
		    LIMIT_SFU_MAX_SIDE, LIMIT_SFU_MAX_PIXELS / LIMIT_SFU_MAX_SIDE);
		peer_end(s, p, SFU_END_LIMIT, "RESOLUTION_EXCEEDED");
		return;
	}
	if (!p->media_up)
		sfu_media_up(s, p);
	(void)nack_history_put(st->hist, pkt.seq, data, len, now_us);
	for (sub = p->subs; sub != NULL; sub = next) {
		next = sub->sub_next;
		send_to(s, sub, video ? &sub->sv : &sub->sa, data, len, keyframe, now_us);
	}
	transport_batch_flush(s->transport, &sent);
	metrics_add(s->m.packets_out, (long long)sent.packets);
	metrics_add(s->m.bytes_out, (long long)sent.bytes);
	if (sent.dropped > 0)
		metrics_add(s->m.send_drops, (long long)sent.dropped);
}

/* A subscriber's NACK: each packet it lost that the publisher's history
 * still has, rewritten for it again and resent. */
static void
answer_nack(struct sfu *s, struct peer *p, const struct rtcp_fb *fb, int64_t now_us)
{
	struct sub_stream *ss = fb->media_ssrc == p->sv.ssrc ? &p->sv :
	    fb->media_ssrc == p->sa.ssrc ? &p->sa : NULL;
	struct pub_stream *st;
	struct rtp_packet out;
	uint16_t seqs[LIMIT_SFU_NACK_SEQS], in;
	const uint8_t *pkt;
	size_t n, i, len;

	if (ss == NULL || !ss->nack || p->publisher == NULL)
		return;
	st = ss == &p->sv ? &p->publisher->video : &p->publisher->audio;
	if (st->hist == NULL)
		return;
	n = rtcp_nack_seqs(fb, seqs, LIMIT_SFU_NACK_SEQS);
	if (n > LIMIT_SFU_NACK_SEQS)
		n = LIMIT_SFU_NACK_SEQS;
	metrics_add(s->m.nacks_in, (long long)n);
	for (i = 0; i < n; i++) {
		if (rtp_rewriter_seq_in(&ss->rw, seqs[i], &in) != 0 ||
		    (pkt = nack_history_get(st->hist, in, now_us, &len)) == NULL)
			continue;
		memcpy(s->scratch, pkt, len);
		if (rtp_parse(s->scratch, len, &out) != 0)
			continue;
		rtp_set_payload_type(&out, ss->pt);
		rtp_ext_rewrite(&out, &ss->map);
		if (!rtp_rewriter_again(&ss->rw, &out))
			continue;
		if (peer_send_rtp(s, p, s->scratch, len, sizeof(s->scratch)) == 0)
			metrics_add(s->m.retransmissions, 1);
	}
}

static void
subscriber_feedback(struct sfu *s, struct peer *p, const struct rtcp_packet *pk,
    int64_t now_us)
{
	struct rtcp_fb fb;
	uint32_t ssrc;
	uint8_t nr;
	size_t i;

	if ((pk->type != RTCP_RTPFB && pk->type != RTCP_PSFB) || rtcp_fb_parse(pk, &fb) != 0)
		return;
	if (pk->type == RTCP_RTPFB && pk->count == RTCP_FMT_NACK) {
		answer_nack(s, p, &fb, now_us);
		return;
	}
	if (pk->type != RTCP_PSFB)
		return;
	if (pk->count == RTCP_FMT_PLI && fb.media_ssrc == p->sv.ssrc)
		forward_request_keyframe(s, p->publisher, (uint64_t)(now_us / 1000));
	for (i = 0; pk->count == RTCP_FMT_FIR && rtcp_fir_entry(&fb, i, &ssrc, &nr) == 0; i++)
		if (ssrc == p->sv.ssrc)
			forward_request_keyframe(s, p->publisher, (uint64_t)(now_us / 1000));
}

void
forward_rtcp(struct sfu *s, struct peer *p, uint8_t *data, size_t len)
{
	struct rtcp_packet pk;
	struct rtcp_sr sr;
	size_t off = 0;
	int64_t now_us = sfu_now_us();

	while (rtcp_next(data, len, &off, &pk) == 1) {
		if (p->role == SFU_SUBSCRIBE) {
			subscriber_feedback(s, p, &pk, now_us);
			continue;
		}
		if (pk.type != RTCP_SR || rtcp_sr_parse(&pk, &sr) != 0)
			continue;
		if (p->video.started && sr.ssrc == p->video.ssrc)
			nack_tracker_sr(&p->video.track, sr.ntp, now_us);
		else if (p->audio.started && sr.ssrc == p->audio.ssrc)
			nack_tracker_sr(&p->audio.track, sr.ntp, now_us);
	}
}

static void
send_nacks(struct sfu *s, struct peer *p, struct pub_stream *st, int64_t now_us)
{
	uint16_t seqs[LIMIT_SFU_NACK_SEQS];
	size_t n, len;

	if (!st->started)
		return;
	n = nack_tracker_due(&st->track, now_us, 0, seqs, LIMIT_SFU_NACK_SEQS);
	if (n == 0)
		return;
	len = rtcp_nack_build(s->rtcp, sizeof(s->rtcp), p->rtcp_ssrc, st->ssrc, seqs, n);
	if (len > 0 && peer_send_rtcp(s, p, s->rtcp, len, sizeof(s->rtcp)) == 0)
		metrics_add(s->m.nacks_out, (long long)n);
}

/* Receiver reports and REMB to a publisher; the bitrate limit. */
static void
publisher_report(struct sfu *s, struct peer *p, uint64_t elapsed_ms, int64_t now_us)
{
	struct rtcp_report r[2];
	uint32_t ssrcs[2];
	uint64_t bps, remb;
	size_t n = 0, len;

	bps = (p->audio.interval_bytes + p->video.interval_bytes) * 8 * 1000 /
	    (elapsed_ms ? elapsed_ms : 1);
	p->audio.interval_bytes = p->video.interval_bytes = 0;
	if (p->audio.started) {
		nack_tracker_report(&p->audio.track, p->audio.ssrc, now_us, &r[n]);
		ssrcs[n++] = p->audio.ssrc;
	}
	if (p->video.started) {
		nack_tracker_report(&p->video.track, p->video.ssrc, now_us, &r[n]);
		ssrcs[n++] = p->video.ssrc;
	}
	remb = bps * 3 / 2;
	remb = remb < LIMIT_SFU_REMB_FLOOR_BPS ? LIMIT_SFU_REMB_FLOOR_BPS : remb;
	remb = remb > LIMIT_SFU_PUBLISH_BPS ? LIMIT_SFU_PUBLISH_BPS : remb;
	len = rtcp_rr_build(s->rtcp, sizeof(s->rtcp), p->rtcp_ssrc, r, n);
	if (len > 0 && n > 0)
		len += rtcp_remb_build(s->rtcp + len, sizeof(s->rtcp) - len - SRTP_SESSION_TRAILER_MAX,
		    p->rtcp_ssrc, remb, ssrcs, n);
	if (len > 0)
		(void)peer_send_rtcp(s, p, s->rtcp, len, sizeof(s->rtcp));
	p->over_intervals = bps > LIMIT_SFU_PUBLISH_BPS ? p->over_intervals + 1 : 0;
	if (p->over_intervals >= LIMIT_SFU_BITRATE_INTERVALS)
		peer_end(s, p, SFU_END_LIMIT, "BITRATE_EXCEEDED");
}

/* Sender reports to a subscriber, one per stream sent, for lip sync. */
static void
subscriber_report(struct sfu *s, struct peer *p, int64_t now_us)
{
	struct sub_stream *streams[2] = { &p->sa, &p->sv };
	struct rtcp_sr sr;
	struct timespec ts;
	size_t i, len = 0, n;
	int64_t unix_us;

	clock_gettime(CLOCK_REALTIME, &ts);
	unix_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	for (i = 0; i < 2; i++) {
		if (!streams[i]->sent)
			continue;
		memset(&sr, 0, sizeof(sr));
		sr.ssrc = streams[i]->ssrc;
		sr.ntp = rtcp_ntp_from_unix_us(unix_us);
		sr.rtp_ts = rtp_rewriter_ts_at(&streams[i]->rw, now_us);
		sr.packets = (uint32_t)streams[i]->rw.packets;
		sr.octets = (uint32_t)streams[i]->rw.octets;
		n = rtcp_sr_build(s->rtcp + len, sizeof(s->rtcp) - len - SRTP_SESSION_TRAILER_MAX,
		    &sr);
		len += n;
	}
	if (len > 0)
		(void)peer_send_rtcp(s, p, s->rtcp, len, sizeof(s->rtcp));
}

void
forward_tick(struct sfu *s, struct peer *p, uint64_t now_ms)
{
	int64_t now_us = sfu_now_us();
	uint64_t elapsed = now_ms - p->report_ms;

	if (!p->up || p->ending)
		return;
	if (p->role == SFU_PUBLISH) {
		send_nacks(s, p, &p->audio, now_us);
		send_nacks(s, p, &p->video, now_us);
		if (nack_tracker_keyframe_wanted(&p->video.track))
			forward_request_keyframe(s, p, now_ms);
	}
	if (elapsed < LIMIT_SFU_REPORT_MS)
		return;
	p->report_ms = now_ms;
	if (p->role == SFU_PUBLISH)
		publisher_report(s, p, elapsed, now_us);
	else
		subscriber_report(s, p, now_us);
}
