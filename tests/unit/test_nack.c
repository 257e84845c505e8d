/* Retransmission history (retrieval, eviction by size and by age, the
 * wrap of sequence numbers) and the loss tracker (missing packets, NACK
 * retries and age limits, restarts, wrap-around, and receiver-report
 * statistics checked against values computed by hand from RFC 3550's
 * appendix A). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "media/nack.h"

#define MS 1000LL

/* ---- history ---- */

static void
fill(uint8_t *pkt, size_t len, uint16_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		pkt[i] = (uint8_t)(seq + i);
}

static void
test_history_sizes(void **state)
{
	static const size_t bad[] = { 0, 3, 6, 100, 65537, 131072 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(nack_history_new(bad[i], 1000 * MS));
	nack_history_free(NULL);
	nack_history_free(nack_history_new(1, 1000 * MS));
}

static void
test_history_eviction_by_size(void **state)
{
	struct nack_history *h = nack_history_new(LIMIT_NACK_HISTORY_PACKETS,
	    LIMIT_NACK_HISTORY_MS * MS);
	uint8_t pkt[1200];
	const uint8_t *got;
	size_t len, total = LIMIT_NACK_HISTORY_PACKETS + 88;
	uint16_t seq;

	(void)state;
	assert_non_null(h);
	/* sequence numbers run across the wrap at 65535 */
	for (seq = 65500; seq != (uint16_t)(65500 + total); seq++) {
		fill(pkt, 100 + seq % 1000, seq);
		assert_int_equal(nack_history_put(h, seq, pkt, 100 + seq % 1000, 0), 0);
	}
	for (seq = 65500; seq != (uint16_t)(65500 + total); seq++) {
		got = nack_history_get(h, seq, 5 * MS, &len);
		if ((uint16_t)(seq - 65500) < 88) {
			assert_null(got);	/* overwritten by seq + 512 */
			continue;
		}
		assert_non_null(got);
		assert_int_equal(len, 100 + seq % 1000);
		fill(pkt, len, seq);
		assert_memory_equal(got, pkt, len);
	}
	/* never stored */
	assert_null(nack_history_get(h, (uint16_t)(65500 + total), 0, &len));
	nack_history_free(h);
}

static void
test_history_eviction_by_age_and_size_limit(void **state)
{
	struct nack_history *h = nack_history_new(8, 1000 * MS);
	uint8_t pkt[LIMIT_RTP_PACKET_BYTES + 1];
	size_t len;

	(void)state;
	assert_non_null(h);
	memset(pkt, 7, sizeof(pkt));
	assert_int_equal(nack_history_put(h, 1, pkt, 100, 10 * MS), 0);
	assert_int_equal(nack_history_put(h, 2, pkt, LIMIT_RTP_PACKET_BYTES, 20 * MS), 0);
	assert_non_null(nack_history_get(h, 1, 1010 * MS, &len));
	assert_null(nack_history_get(h, 1, 1010 * MS + 1, &len));
	assert_non_null(nack_history_get(h, 2, 1020 * MS, &len));
	assert_int_equal(len, LIMIT_RTP_PACKET_BYTES);
	/* a packet too large to keep empties its slot: the older one there
	 * must not answer for it */
	assert_int_equal(nack_history_put(h, 9, pkt, 100, 30 * MS), 0);
	assert_int_equal(nack_history_put(h, 17, pkt, sizeof(pkt), 40 * MS), -1);
	assert_null(nack_history_get(h, 9, 40 * MS, &len));
	assert_null(nack_history_get(h, 17, 40 * MS, &len));
	nack_history_free(h);
}

/* ---- loss tracker ---- */

/* 90 kHz video, a frame every 33 ms (2970 ticks). */
struct rx {
	uint16_t seq;
	int64_t arrival_ms;
	int ret;
};

static void
receive(struct nack_tracker *t, const struct rx *r, size_t n)
{
	size_t i;
	int got;

	for (i = 0; i < n; i++) {
		got = nack_tracker_receive(t, r[i].seq, (uint32_t)(r[i].seq - 100) * 2970,
		    r[i].arrival_ms * MS);
		if (got != r[i].ret)
			fail_msg("packet %u: receive returned %d, want %d", r[i].seq, got, r[i].ret);
	}
}

static void
test_tracker_statistics(void **state)
{
	/* transits (arrival x 90 - ts): 90000, 90000, 90900, 90000, 90000:
	 * |D| = 0, 900, 900, 0; in sixteenths J = 0, 900, 1744, 1635,
	 * reported 1635 >> 4 = 102 (the real-valued estimate is 102.2). */
	static const struct rx first[] = {
		{ 100, 1000, 0 }, { 101, 1033, 0 }, { 103, 1109, 0 }, { 104, 1132, 0 },
		{ 107, 1231, 0 },
	};
	/* the late 102 fills a gap and leaves the jitter alone */
	static const struct rx second[] = {
		{ 102, 1300, 1 }, { 108, 1264, 0 }, { 110, 1330, 0 }, { 101, 1340, 0 },
	};
	struct nack_tracker t;
	struct rtcp_report r;
	uint16_t seqs[16];

	(void)state;
	nack_tracker_init(&t, 90000);
	receive(&t, first, 5);
	nack_tracker_sr(&t, 0x12345678abcd9999ull, 1200 * MS);
	nack_tracker_report(&t, 0x77, 1700 * MS, &r);
	assert_int_equal(r.ssrc, 0x77);
	assert_int_equal(r.highest_seq, 107);
	assert_int_equal(r.cumulative_lost, 3);	/* expected 8, received 5 */
	assert_int_equal(r.fraction_lost, 96);	/* 3/8 x 256 */
	assert_int_equal(r.jitter, 102);
	assert_int_equal(r.lsr, 0x5678abcd);
	assert_int_equal(r.dlsr, 32768);	/* half a second in 1/65536 s */
	assert_int_equal(nack_tracker_due(&t, 1231 * MS, 0, seqs, 16), 3);
	assert_int_equal(seqs[0], 102);
	assert_int_equal(seqs[1], 105);
	assert_int_equal(seqs[2], 106);

	/* second interval: expected 8 -> 11, received 5 -> 9 (102, 108,
	 * 110 and a duplicate 101, counted as RFC 3550 counts): nothing lost
	 * in the interval; cumulative 11 - 9 = 2 */
	receive(&t, second, 4);
	/* 108 and 110 in order, |D| = 0 each: 1635 -> 1533 -> 1437 */
	assert_int_equal(t.jitter_q4, 1437);
	nack_tracker_report(&t, 0x77, 1800 * MS, &r);
	assert_int_equal(r.highest_seq, 110);
	assert_int_equal(r.cumulative_lost, 2);
	assert_int_equal(r.fraction_lost, 0);
	/* missing now: 105, 106 (NACKed at 1231 ms) and 109 (new) */
	assert_int_equal(nack_tracker_due(&t, 1340 * MS, 0, seqs, 16), 3);
	assert_int_equal(seqs[0], 105);
	assert_int_equal(seqs[2], 109);
	/* an empty interval reports no loss */
	nack_tracker_report(&t, 0x77, 1900 * MS, &r);
	assert_int_equal(r.fraction_lost, 0);
}

static void
test_tracker_fraction_all_lost(void **state)
{
	struct nack_tracker t;
	struct rtcp_report r;

	(void)state;
	nack_tracker_init(&t, 48000);
	assert_int_equal(nack_tracker_receive(&t, 10, 0, 0), 0);
	nack_tracker_report(&t, 1, 0, &r);
	assert_int_equal(r.fraction_lost, 0);
	assert_int_equal(r.lsr, 0);
	assert_int_equal(r.dlsr, 0);
	assert_int_equal(nack_tracker_receive(&t, 20, 960, 20 * MS), 0);
	/* interval: expected 10, received 1: 9/10 x 256 = 230 */
	nack_tracker_report(&t, 1, 0, &r);
	assert_int_equal(r.fraction_lost, 230);
	assert_int_equal(r.cumulative_lost, 9);
	/* a report before any packet */
	nack_tracker_init(&t, 48000);
	nack_tracker_report(&t, 1, 0, &r);
	assert_int_equal(r.cumulative_lost, 0);
	assert_int_equal(r.fraction_lost, 0);
}

static void
test_tracker_retries_and_age(void **state)
{
	struct nack_tracker t;
	uint16_t seqs[8];
	int i;

	(void)state;
	nack_tracker_init(&t, 90000);
	nack_tracker_receive(&t, 1, 0, 0);
	nack_tracker_receive(&t, 3, 0, 0);
	/* first NACK at once, then no sooner than LIMIT_NACK_RETRY_MS, or the
	 * round trip when it is longer */
	assert_int_equal(nack_tracker_due(&t, 0, 0, seqs, 8), 1);
	assert_int_equal(seqs[0], 2);
	assert_int_equal(nack_tracker_due(&t, LIMIT_NACK_RETRY_MS * MS - 1, 0, seqs, 8), 0);
	assert_int_equal(nack_tracker_due(&t, LIMIT_NACK_RETRY_MS * MS, 0, seqs, 8), 1);
	assert_int_equal(nack_tracker_due(&t, 2 * LIMIT_NACK_RETRY_MS * MS, 50 * MS, seqs, 8), 0);
	assert_int_equal(nack_tracker_due(&t, LIMIT_NACK_RETRY_MS * MS + 50 * MS, 50 * MS, seqs,
	    8), 1);
	/* up to LIMIT_NACK_RETRIES tries in all */
	for (i = 3; i < LIMIT_NACK_RETRIES; i++)
		assert_int_equal(nack_tracker_due(&t, (100 + i * 30) * MS, 0, seqs, 8), 1);
	assert_int_equal(nack_tracker_due(&t, 900 * MS, 0, seqs, 8), 0);
	assert_int_equal(t.n_missing, 0);
	/* given up by age even when tries remain */
	nack_tracker_receive(&t, 5, 0, 1000 * MS);
	assert_int_equal(t.n_missing, 1);
	assert_int_equal(nack_tracker_due(&t, (1000 + LIMIT_NACK_MAX_AGE_MS) * MS + 1, 0, seqs, 8),
	    0);
	assert_int_equal(t.n_missing, 0);
	/* cap bounds what is written; the rest waits for the next call */
	nack_tracker_receive(&t, 10, 0, 3000 * MS);
	assert_int_equal(nack_tracker_due(&t, 3000 * MS, 0, seqs, 2), 2);
	assert_int_equal(seqs[0], 6);
	assert_int_equal(seqs[1], 7);
	assert_int_equal(nack_tracker_due(&t, 3000 * MS, 0, seqs, 8), 2);
	assert_int_equal(seqs[0], 8);
	assert_int_equal(seqs[1], 9);
}

static void
test_tracker_wrap_restart_overflow(void **state)
{
	struct nack_tracker t;
	struct rtcp_report r;
	uint16_t seqs[8];

	(void)state;
	nack_tracker_init(&t, 90000);
	assert_int_equal(nack_tracker_receive(&t, 65534, 0, 0), 0);
	assert_int_equal(nack_tracker_receive(&t, 65535, 0, 0), 0);
	assert_int_equal(nack_tracker_receive(&t, 1, 0, 0), 0);
	nack_tracker_report(&t, 1, 0, &r);
	assert_int_equal(r.highest_seq, 0x10001);
	assert_int_equal(r.cumulative_lost, 1);
	assert_int_equal(nack_tracker_due(&t, 0, 0, seqs, 8), 1);
	assert_int_equal(seqs[0], 0);
	/* the late 0, from before the wrap's counter moved */
	assert_int_equal(nack_tracker_receive(&t, 0, 0, 0), 1);
	assert_int_equal(t.n_missing, 0);

	/* a jump is a restart only once the next packet confirms it */
	assert_int_equal(nack_tracker_receive(&t, 30000, 0, 0), -1);
	assert_int_equal(nack_tracker_receive(&t, 2, 0, 0), 0);
	assert_int_equal(nack_tracker_receive(&t, 40000, 0, 0), -1);
	assert_int_equal(nack_tracker_receive(&t, 40001, 0, 0), 0);
	nack_tracker_report(&t, 1, 0, &r);
	assert_int_equal(r.highest_seq, 40001);
	assert_int_equal(r.cumulative_lost, 0);

	/* a gap larger than the missing list: dropped, and a keyframe wanted */
	assert_int_equal(nack_tracker_keyframe_wanted(&t), 0);
	assert_int_equal(nack_tracker_receive(&t, 40003, 0, 0), 0);
	assert_int_equal(t.n_missing, 1);
	assert_int_equal(nack_tracker_receive(&t, 40003 + LIMIT_NACK_MISSING + 1, 0, 0), 0);
	assert_int_equal(t.n_missing, 0);
	assert_int_equal(nack_tracker_keyframe_wanted(&t), 1);
	assert_int_equal(nack_tracker_keyframe_wanted(&t), 0);
	/* exactly what fits is kept */
	nack_tracker_init(&t, 90000);
	nack_tracker_receive(&t, 0, 0, 0);
	nack_tracker_receive(&t, LIMIT_NACK_MISSING + 1, 0, 0);
	assert_int_equal(t.n_missing, LIMIT_NACK_MISSING);
	assert_int_equal(nack_tracker_keyframe_wanted(&t), 0);
}

/* What the tracker finds missing, packed into one NACK and read back. */
static void
test_tracker_to_nack_packet(void **state)
{
	static const uint16_t arrivals[] = { 1000, 1001, 1004, 1010, 1030, 1031, 1050 };
	uint16_t seqs[64], back[64];
	struct nack_tracker t;
	struct rtcp_packet p;
	struct rtcp_fb fb;
	uint8_t buf[128];
	size_t i, n, len, off = 0;

	(void)state;
	nack_tracker_init(&t, 90000);
	for (i = 0; i < sizeof(arrivals) / sizeof(arrivals[0]); i++)
		nack_tracker_receive(&t, arrivals[i], 0, 0);
	/* missing: 1002-1003, 1005-1009, 1011-1029, 1032-1049: 44 numbers */
	n = nack_tracker_due(&t, 0, 0, seqs, 64);
	assert_int_equal(n, 44);
	len = rtcp_nack_build(buf, sizeof(buf), 1, 2, seqs, n);
	/* pairs: 1002 (to 1018), 1019 (to 1029, 1032-1035), 1036 (to 1049) */
	assert_int_equal(len, 12 + 3 * 4);
	assert_int_equal(rtcp_next(buf, len, &off, &p), 1);
	assert_int_equal(rtcp_fb_parse(&p, &fb), 0);
	assert_int_equal(rtcp_nack_seqs(&fb, back, 64), 44);
	assert_memory_equal(back, seqs, n * sizeof(seqs[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_sizes),
		cmocka_unit_test(test_history_eviction_by_size),
		cmocka_unit_test(test_history_eviction_by_age_and_size_limit),
		cmocka_unit_test(test_tracker_statistics),
		cmocka_unit_test(test_tracker_fraction_all_lost),
		cmocka_unit_test(test_tracker_retries_and_age),
		cmocka_unit_test(test_tracker_wrap_restart_overflow),
		cmocka_unit_test(test_tracker_to_nack_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
