/* The retransmission history (a ring of packet slots allocated once) and
 * the receive-side loss tracker (missing sequence numbers and receiver
 * report statistics, RFC 3550 appendices A.1, A.3 and A.8).
 */
#include "media/nack.h"

#include <stdlib.h>
#include <string.h>

#define SEQ_MOD 65536u

/* ---- retransmission history ---- */

struct slot {
	int64_t at_us;
	uint16_t seq;
	uint16_t len;	/* 0: empty */
};

struct nack_history {
	size_t mask;		/* slots - 1 */
	int64_t max_age_us;
	struct slot *slots;
	uint8_t *bytes;		/* slots x LIMIT_RTP_PACKET_BYTES */
};

struct nack_history *
nack_history_new(size_t packets, int64_t max_age_us)
{
	struct nack_history *h = NULL;

	if (packets == 0 || packets > SEQ_MOD || (packets & (packets - 1)) != 0)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto fail;
	h->mask = packets - 1;
	h->max_age_us = max_age_us;
	h->slots = calloc(packets, sizeof(*h->slots));
	h->bytes = malloc(packets * LIMIT_RTP_PACKET_BYTES);
	if (h->slots == NULL || h->bytes == NULL)
		goto fail;
	return h;
fail:
	nack_history_free(h);
	return NULL;
}

void
nack_history_free(struct nack_history *h)
{
	if (h == NULL)
		return;
	free(h->slots);
	free(h->bytes);
	free(h);
}

int
nack_history_put(struct nack_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
    int64_t now_us)
{
	struct slot *s = &h->slots[seq & h->mask];

	s->len = 0;
	if (len == 0 || len > LIMIT_RTP_PACKET_BYTES)
		return -1;
	memcpy(h->bytes + (seq & h->mask) * LIMIT_RTP_PACKET_BYTES, pkt, len);
	s->seq = seq;
	s->len = (uint16_t)len;
	s->at_us = now_us;
	return 0;
}

const uint8_t *
nack_history_get(const struct nack_history *h, uint16_t seq, int64_t now_us, size_t *len)
{
	const struct slot *s = &h->slots[seq & h->mask];

	if (s->len == 0 || s->seq != seq || now_us - s->at_us > h->max_age_us)
		return NULL;
	*len = s->len;
	return h->bytes + (seq & h->mask) * LIMIT_RTP_PACKET_BYTES;
}

/* ---- loss tracker ---- */

void
nack_tracker_init(struct nack_tracker *t, uint32_t clock_rate)
{
	memset(t, 0, sizeof(*t));
	t->clock_rate = clock_rate;
}

/* RFC 3550 A.1 init_seq: seq starts the stream (again). */
static void
stream_start(struct nack_tracker *t, uint16_t seq)
{
	t->started = 1;
	t->base_seq = seq;
	t->max_seq = seq;
	t->bad_seq = SEQ_MOD + 1;
	t->cycles = 0;
	t->received = 0;
	t->received_prior = 0;
	t->expected_prior = 0;
	t->has_transit = 0;
	t->keyframe_wanted |= t->n_missing > 0;
	t->n_missing = 0;
}

static uint32_t
ext_max(const struct nack_tracker *t)
{
	return t->cycles + t->max_seq;
}

/* Follows the numbers between the old highest and the new one (both
 * extended, exclusive) as missing. */
static void
missing_add(struct nack_tracker *t, uint32_t from, uint32_t to, int64_t now_us)
{
	uint32_t s;

	if (to - from - 1 > LIMIT_NACK_MISSING - t->n_missing) {
		t->keyframe_wanted |= 1;
		t->n_missing = 0;
		return;
	}
	for (s = from + 1; s != to; s++)
		t->missing[t->n_missing++] = (struct nack_missing){ .ext_seq = s, .first_us = now_us };
}

/* Stops following ext if it is missing; returns 1 if it was. */
static int
missing_remove(struct nack_tracker *t, uint32_t ext)
{
	size_t i;

	for (i = 0; i < t->n_missing; i++) {
		if (t->missing[i].ext_seq != ext)
			continue;
		memmove(&t->missing[i], &t->missing[i + 1],
		    (t->n_missing - i - 1) * sizeof(t->missing[0]));
		t->n_missing--;
		return 1;
	}
	return 0;
}

/* RFC 3550 A.8: interarrival jitter from an in-order packet's transit. */
static void
jitter_update(struct nack_tracker *t, uint32_t ts, int64_t now_us)
{
	uint64_t rate = t->clock_rate, sec = (uint64_t)(now_us / 1000000);
	uint64_t us = (uint64_t)(now_us % 1000000 + 1000000) % 1000000;
	uint32_t arrival = (uint32_t)(sec * rate + us * rate / 1000000);
	uint32_t transit = arrival - ts, d = transit - t->transit;

	if (d >= 0x80000000u)
		d = 0u - d;	/* |D| of a negative difference */
	if (t->has_transit)
		t->jitter_q4 += d - ((t->jitter_q4 + 8) >> 4);
	t->transit = transit;
	t->has_transit = 1;
}

int
nack_tracker_receive(struct nack_tracker *t, uint16_t seq, uint32_t ts, int64_t now_us)
{
	uint16_t udelta = (uint16_t)(seq - t->max_seq);
	uint32_t old = ext_max(t), ext;
	int filled = 0;

	if (!t->started) {
		stream_start(t, seq);
		jitter_update(t, ts, now_us);
	} else if (udelta != 0 && udelta < LIMIT_RTP_MAX_DROPOUT) {
		if (seq < t->max_seq)
			t->cycles += SEQ_MOD;
		t->max_seq = seq;
		missing_add(t, old, ext_max(t), now_us);
		jitter_update(t, ts, now_us);
	} else if (udelta != 0 && udelta <= SEQ_MOD - LIMIT_RTP_MAX_MISORDER) {
		if (seq != t->bad_seq) {
			t->bad_seq = (uint16_t)(seq + 1);
			return -1;
		}
		stream_start(t, seq);
		jitter_update(t, ts, now_us);
	} else {
		/* a duplicate or a late packet: where it falls in the numbering */
		ext = t->cycles + seq - (seq > t->max_seq ? SEQ_MOD : 0);
		filled = missing_remove(t, ext);
	}
	t->received++;
	return filled;
}

size_t
nack_tracker_due(struct nack_tracker *t, int64_t now_us, int64_t rtt_us, uint16_t *seqs,
    size_t cap)
{
	int64_t wait = rtt_us > LIMIT_NACK_RETRY_MS * 1000 ? rtt_us : LIMIT_NACK_RETRY_MS * 1000;
	size_t i, kept = 0, n = 0;
	struct nack_missing *m;

	for (i = 0; i < t->n_missing; i++) {
		m = &t->missing[i];
		if (m->tries >= LIMIT_NACK_RETRIES ||
		    now_us - m->first_us > LIMIT_NACK_MAX_AGE_MS * 1000)
			continue;
		if (n < cap && (m->tries == 0 || now_us - m->sent_us >= wait)) {
			seqs[n++] = (uint16_t)m->ext_seq;
			m->tries++;
			m->sent_us = now_us;
		}
		t->missing[kept++] = *m;
	}
	t->n_missing = kept;
	return n;
}

int
nack_tracker_keyframe_wanted(struct nack_tracker *t)
{
	int w = t->keyframe_wanted;

	t->keyframe_wanted = 0;
	return w;
}

void
nack_tracker_sr(struct nack_tracker *t, uint64_t ntp, int64_t now_us)
{
	t->lsr = rtcp_ntp_middle(ntp);
	t->lsr_us = now_us;
}

void
nack_tracker_report(struct nack_tracker *t, uint32_t ssrc, int64_t now_us,
    struct rtcp_report *r)
{
	uint32_t expected = t->started ? ext_max(t) - t->base_seq + 1 : 0;
	uint32_t exp_int = expected - t->expected_prior;
	uint32_t rec_int = t->received - t->received_prior;
	int64_t lost = (int64_t)expected - t->received, lost_int = (int64_t)exp_int - rec_int;
	int64_t fraction = exp_int == 0 || lost_int <= 0 ? 0 : (lost_int << 8) / exp_int;

	r->ssrc = ssrc;
	r->cumulative_lost = (int32_t)(lost > 0x7FFFFF ? 0x7FFFFF : lost < -0x800000 ? -0x800000 : lost);
	r->fraction_lost = (uint8_t)(fraction > 255 ? 255 : fraction);
	r->highest_seq = ext_max(t);
	r->jitter = t->jitter_q4 >> 4;
	r->lsr = t->lsr;
	r->dlsr = t->lsr == 0 ? 0 : (uint32_t)((now_us - t->lsr_us) * 65536 / 1000000);
	t->expected_prior = expected;
	t->received_prior = t->received;
}
