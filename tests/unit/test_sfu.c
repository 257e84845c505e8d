/* The SFU in-process on a free port, driven by real clients built from
 * the same modules in the client role (src/media/client.c): a publisher
 * completes ICE and DTLS and sends H.264 and Opus over SRTP; subscribers
 * receive the packets rewritten to their payload types and SSRCs with
 * continuous sequence numbers, also across a publisher restart; a NACK is
 * answered from the history, a PLI reaches the publisher; the refusals
 * (404/2004, 429/2013, 403/2005, 400/2014); consent loss, ICE failure and
 * DELETE end sessions; every hook is called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "data/sdp_samples.h"
#include "media/cert.h"
#include "media/client.h"
#include "media/dtls.h"
#include "media/rtcp.h"
#include "media/sdp.h"
#include "media/sfu.h"
#include "media/stun.h"

#define STAGE "arn:aws:ivs:us-east-1:123456789012:stage/abcdABCDefgh"
#define WAIT_MS 5000

/* ---- hooks, recorded ---- */

#define EVENTS_MAX 256
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char events[EVENTS_MAX][160];
static size_t n_events;

static void
record(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&ev_lock);
	if (n_events < EVENTS_MAX) {
		va_start(ap, fmt);
		vsnprintf(events[n_events++], sizeof(events[0]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&ev_lock);
}

static void
on_publish(const char *stage, const char *pid)
{
	record("publish %s %s", stage, pid);
}

static void
on_subscribe(const char *stage, const char *pid, const char *remote)
{
	record("subscribe %s %s %s", stage, pid, remote);
}

static void
on_ended(const char *stage, const char *pid, const char *remote, int publish,
    const char *reason, const char *code)
{
	record("ended %s %s %s %d %s %s", stage, pid, remote, publish, reason, code);
}

static int
has_event(const char *text)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&ev_lock);
	for (i = 0; i < n_events && !found; i++)
		found = strcmp(events[i], text) == 0;
	pthread_mutex_unlock(&ev_lock);
	return found;
}

static int
wait_event(const char *text, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (has_event(text))
			return 1;
		usleep(10000);
	}
	return has_event(text);
}

/* ---- clients ---- */

static struct cert *client_cert;
static struct dtls_context *client_ctx;

struct party {
	struct media_client *c;
	struct sfu_answer a;
	struct sdp_offer *offer;
	struct sdp_plan plan;
};

static int
offer_as(struct party *p, enum sfu_role role, const char *stage, const char *pid,
    const char *remote, const char *template)
{
	struct sfu_offer o;
	struct err e;
	char *text;

	memset(p, 0, sizeof(*p));
	assert_int_equal(media_client_new(client_ctx, cert_fingerprint(client_cert), &p->c, &e),
	    ERR_OK);
	text = media_client_offer(p->c, template);
	assert_non_null(text);
	p->offer = malloc(sizeof(*p->offer));
	assert_non_null(p->offer);
	if (sdp_parse(text, strlen(text), p->offer, &e) == ERR_OK)
		(void)sdp_plan_make(p->offer, role == SFU_PUBLISH ? SDP_PUBLISH : SDP_SUBSCRIBE,
		    &p->plan, &e);
	memset(&o, 0, sizeof(o));
	o.role = role;
	o.stage_arn = stage;
	o.participant_id = pid;
	o.remote_id = remote;
	o.sdp = text;
	o.sdp_len = strlen(text);
	assert_int_equal(sfu_offer(&o, &p->a, &e), ERR_OK);
	free(text);
	return p->a.status;
}

static void
connect_party(struct party *p)
{
	struct err e;

	assert_int_equal(p->a.status, 201);
	assert_int_equal(media_client_answer(p->c, p->a.sdp, &e), ERR_OK);
	if (media_client_connect(p->c, WAIT_MS, &e) != ERR_OK)
		fail_msg("connect: %s", e.msg);
}

static void
party_free(struct party *p)
{
	media_client_free(p->c);
	free(p->a.sdp);
	free(p->offer);
	memset(p, 0, sizeof(*p));
}

static uint8_t
pt_of(const struct party *p, int video)
{
	int idx = video ? p->plan.video : p->plan.audio;

	assert_true(idx >= 0);
	return (uint8_t)p->plan.pick[idx].pt;
}

/* An RTP packet: H.264 (nal: 0x65 an IDR slice, 0x41 another) or Opus. */
static size_t
rtp_make(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t first,
    size_t payload)
{
	size_t i;

	b[0] = 0x80;
	b[1] = pt;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	b[12] = first;
	for (i = 1; i < payload; i++)
		b[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

/* The next RTP packet of payload type pt a subscriber receives; its
 * length, 0 on timeout. */
static size_t
recv_rtp(struct party *p, uint8_t pt, struct rtp_packet *pkt, uint8_t *buf, size_t cap)
{
	long n;
	int rtcp, ms = WAIT_MS;

	while (ms > 0) {
		n = media_client_recv(p->c, buf, cap, 100, &rtcp);
		ms -= 100;
		if (n <= 0 || rtcp)
			continue;
		if (rtp_parse(buf, (size_t)n, pkt) == 0 && pkt->payload_type == pt)
			return (size_t)n;
	}
	return 0;
}

/* Waits for an RTCP feedback packet of type and fmt at the client:
 * returns its media SSRC, or 0. */
static uint32_t
recv_feedback(struct party *p, uint8_t type, uint8_t fmt)
{
	uint8_t buf[2048];
	struct rtcp_packet pk;
	struct rtcp_fb fb;
	size_t off;
	long n;
	int rtcp, ms = WAIT_MS;

	while (ms > 0) {
		n = media_client_recv(p->c, buf, sizeof(buf), 100, &rtcp);
		ms -= 100;
		for (off = 0; n > 0 && rtcp && rtcp_next(buf, (size_t)n, &off, &pk) == 1;)
			if (pk.type == type && pk.count == fmt && rtcp_fb_parse(&pk, &fb) == 0)
				return fb.media_ssrc;
	}
	return 0;
}

/* ---- setup ---- */

static int
setup(void **state)
{
	struct sfu_options o = { .addresses = "127.0.0.1", .port = 0, .announce_ip = NULL };
	struct sfu_hooks h = { on_publish, on_subscribe, on_ended };
	struct err e;

	(void)state;
	if (cert_new(&client_cert, &e) != ERR_OK ||
	    dtls_context_new(client_cert, &client_ctx, &e) != ERR_OK ||
	    sfu_start(&o, &h, &e) != ERR_OK) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return sfu_port() != 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	sfu_stop();
	dtls_context_free(client_ctx);
	cert_free(client_cert);
	return 0;
}

/* ---- tests ---- */

static void
test_refusals(void **state)
{
	struct party p;
	char *no_h264, *at;

	(void)state;
	assert_int_equal(offer_as(&p, SFU_SUBSCRIBE, STAGE, "viewer", "nobody",
	    sdp_sample_subscribe), 404);
	assert_int_equal(p.a.code, 2004);
	party_free(&p);

	no_h264 = strdup(sdp_sample_publish);
	assert_non_null(no_h264);
	while ((at = strstr(no_h264, "H264/90000")) != NULL)
		memcpy(at, "H265", 4);
	assert_int_equal(offer_as(&p, SFU_PUBLISH, STAGE, "x", NULL, no_h264), 400);
	assert_int_equal(p.a.code, 2014);
	assert_string_equal(p.a.error_code, "INVALID_VIDEO_CODEC");
	party_free(&p);
	free(no_h264);

	assert_int_equal(offer_as(&p, SFU_PUBLISH, STAGE, "x", NULL, "v=0\r\ngarbage\r\n"), 400);
	party_free(&p);
}

static void
send_pair(struct party *pub, uint32_t vssrc, uint32_t assrc, uint16_t seq, uint32_t ts,
    uint8_t nal)
{
	uint8_t b[1500];
	size_t n;

	n = rtp_make(b, pt_of(pub, 1), seq, ts, vssrc, nal, 600);
	assert_int_equal(media_client_send_rtp(pub->c, b, n), 0);
	n = rtp_make(b, pt_of(pub, 0), seq, ts, assrc, 0x78, 80);
	assert_int_equal(media_client_send_rtp(pub->c, b, n), 0);
}

static void
test_forwarding(void **state)
{
	struct party pub, sub[2], early;
	struct rtp_packet pkt;
	uint8_t buf[2048], fb[64];
	uint16_t last[2], first_seq, vseq = 1000;
	uint32_t vssrc = 0x11111111, assrc = 0x22222222, sub_ssrc[2], ts = 5000;
	char ev[256];
	size_t n;
	int i, k;

	(void)state;
	assert_int_equal(offer_as(&pub, SFU_PUBLISH, STAGE, "pubA", NULL, sdp_sample_publish), 201);
	assert_non_null(strstr(pub.a.sdp, "a=ice-lite"));
	connect_party(&pub);
	/* DTLS is up but no media: a subscription must wait */
	assert_int_equal(offer_as(&early, SFU_SUBSCRIBE, STAGE, "subX", "pubA",
	    sdp_sample_subscribe), 429);
	assert_int_equal(early.a.code, 2013);
	party_free(&early);
	assert_false(sfu_is_publishing(STAGE, "pubA"));

	send_pair(&pub, vssrc, assrc, vseq++, ts, 0x65);
	snprintf(ev, sizeof(ev), "publish %s pubA", STAGE);
	assert_true(wait_event(ev, WAIT_MS));
	assert_true(sfu_is_publishing(STAGE, "pubA"));

	for (k = 0; k < 2; k++) {
		assert_int_equal(offer_as(&sub[k], SFU_SUBSCRIBE, STAGE, k ? "subB" : "subA",
		    "pubA", sdp_sample_subscribe), 201);
		assert_non_null(strstr(sub[k].a.sdp, "a=ssrc:"));
		connect_party(&sub[k]);
	}
	/* the subscribers' start asked the publisher for a keyframe */
	assert_int_equal(recv_feedback(&pub, RTCP_PSFB, RTCP_FMT_PLI), vssrc);

	for (i = 0; i < 10; i++, ts += 3000)
		send_pair(&pub, vssrc, assrc, vseq++, ts, i == 0 ? 0x65 : 0x41);
	for (k = 0; k < 2; k++) {
		n = recv_rtp(&sub[k], pt_of(&sub[k], 1), &pkt, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(buf[12], 0x65);	/* starts on the keyframe */
		sub_ssrc[k] = pkt.ssrc;
		assert_int_not_equal(pkt.ssrc, vssrc);
		first_seq = pkt.seq;
		for (i = 1; i < 10; i++) {
			assert_true(recv_rtp(&sub[k], pt_of(&sub[k], 1), &pkt, buf, sizeof(buf)) > 0);
			assert_int_equal(pkt.ssrc, sub_ssrc[k]);
			assert_int_equal(pkt.seq, (uint16_t)(first_seq + i));
			assert_int_equal(buf[13], (uint8_t)(7 + vseq - 10 + i));
		}
		last[k] = pkt.seq;
		assert_true(recv_rtp(&sub[k], pt_of(&sub[k], 0), &pkt, buf, sizeof(buf)) > 0);
		snprintf(ev, sizeof(ev), "subscribe %s %s pubA", STAGE, k ? "subB" : "subA");
		assert_true(wait_event(ev, WAIT_MS));
	}
	assert_int_not_equal(sub_ssrc[0], sub_ssrc[1]);

	/* the publisher restarts: new SSRC, sequence and timestamp bases */
	vssrc = 0x33333333;
	vseq = 40000;
	ts = 900000;
	for (i = 0; i < 5; i++, ts += 3000)
		send_pair(&pub, vssrc, assrc + 1, vseq++, ts, i == 0 ? 0x65 : 0x41);
	for (k = 0; k < 2; k++)
		for (i = 1; i <= 5; i++) {
			assert_true(recv_rtp(&sub[k], pt_of(&sub[k], 1), &pkt, buf, sizeof(buf)) > 0);
			assert_int_equal(pkt.ssrc, sub_ssrc[k]);
			assert_int_equal(pkt.seq, (uint16_t)(last[k] + i));
		}

	/* a video packet lost on the way to one subscriber: its NACK is
	 * answered from the history */
	assert_true(recv_rtp(&sub[0], pt_of(&sub[0], 0), &pkt, buf, sizeof(buf)) > 0);
	media_client_drop(sub[0].c, 1);
	send_pair(&pub, vssrc, assrc + 1, vseq++, ts, 0x41);
	assert_true(recv_rtp(&sub[0], pt_of(&sub[0], 0), &pkt, buf, sizeof(buf)) > 0);
	last[0] = (uint16_t)(last[0] + 6);
	n = rtcp_nack_build(fb, sizeof(fb), 0xabcdef01, sub_ssrc[0], &last[0], 1);
	assert_true(n > 0);
	assert_int_equal(media_client_send_rtcp(sub[0].c, fb, n), 0);
	assert_true(recv_rtp(&sub[0], pt_of(&sub[0], 1), &pkt, buf, sizeof(buf)) > 0);
	assert_int_equal(pkt.seq, last[0]);
	assert_int_equal(pkt.ssrc, sub_ssrc[0]);
	assert_int_equal(buf[13], (uint8_t)(7 + vseq - 1));

	/* a subscriber's PLI reaches the publisher (past the rate limit) */
	usleep(600 * 1000);
	n = rtcp_pli_build(fb, sizeof(fb), 0xabcdef02, sub_ssrc[1]);
	assert_int_equal(media_client_send_rtcp(sub[1].c, fb, n), 0);
	assert_int_equal(recv_feedback(&pub, RTCP_PSFB, RTCP_FMT_PLI), vssrc);

	/* the publisher leaves: its subscriptions end with it */
	sfu_end_participant(STAGE, "pubA");
	snprintf(ev, sizeof(ev), "ended %s pubA  1 deleted ", STAGE);
	assert_true(wait_event(ev, WAIT_MS));
	snprintf(ev, sizeof(ev), "ended %s subA pubA 0 publisher-gone ", STAGE);
	assert_true(wait_event(ev, WAIT_MS));
	assert_false(sfu_is_publishing(STAGE, "pubA"));
	party_free(&pub);
	party_free(&sub[0]);
	party_free(&sub[1]);
}

static void
test_capacity(void **state)
{
	struct party p[LIMIT_SFU_STAGE_PUBLISHERS + 1];
	char pid[16];
	const char *stage = STAGE "2";
	int i;

	(void)state;
	for (i = 0; i <= LIMIT_SFU_STAGE_PUBLISHERS; i++) {
		snprintf(pid, sizeof(pid), "p%d", i);
		offer_as(&p[i], SFU_PUBLISH, stage, pid, NULL, sdp_sample_publish);
		assert_int_equal(p[i].a.status, i < LIMIT_SFU_STAGE_PUBLISHERS ? 201 : 403);
	}
	assert_int_equal(p[LIMIT_SFU_STAGE_PUBLISHERS].a.code, 2005);
	/* a republish of one of the twelve is not a thirteenth */
	party_free(&p[LIMIT_SFU_STAGE_PUBLISHERS]);
	assert_int_equal(offer_as(&p[LIMIT_SFU_STAGE_PUBLISHERS], SFU_PUBLISH, stage, "p0", NULL,
	    sdp_sample_publish), 201);
	sfu_end_stage(stage);
	assert_true(wait_event("ended " STAGE "2 p11  1 deleted ", WAIT_MS));
	for (i = 0; i <= LIMIT_SFU_STAGE_PUBLISHERS; i++)
		party_free(&p[i]);
}

static void
test_timeouts(void **state)
{
	struct party quiet, silent;
	struct err e;
	const char *stage = STAGE "3";

	(void)state;
	sfu_test_timeouts(300, 800);
	assert_int_equal(offer_as(&silent, SFU_PUBLISH, stage, "noice", NULL, sdp_sample_publish),
	    201);
	assert_int_equal(offer_as(&quiet, SFU_PUBLISH, stage, "quiet", NULL, sdp_sample_publish),
	    201);
	connect_party(&quiet);
	assert_true(wait_event("ended " STAGE "3 noice  1 ice-failed ", WAIT_MS));
	/* no consent refresh: the session ends */
	assert_true(wait_event("ended " STAGE "3 quiet  1 consent-lost ", WAIT_MS));
	sfu_test_timeouts(0, 0);
	party_free(&quiet);
	party_free(&silent);

	/* a session ended by its id; an unknown id is not found */
	assert_int_equal(offer_as(&quiet, SFU_PUBLISH, stage, "del", NULL, sdp_sample_publish), 201);
	assert_int_equal(sfu_end_session(quiet.a.session_id, "someone-else", &e), ERR_NOT_FOUND);
	assert_int_equal(sfu_end_session(quiet.a.session_id, "del", &e), ERR_OK);
	assert_true(wait_event("ended " STAGE "3 del  1 deleted ", WAIT_MS));
	assert_int_equal(sfu_end_session(quiet.a.session_id, NULL, &e), ERR_NOT_FOUND);
	party_free(&quiet);
}

/* ICE-TCP: a Binding request framed per RFC 6544 on the same port number
 * is answered on the connection, framed, and authenticated with the
 * session's password; an unknown ufrag gets 401. */
static void
test_ice_tcp(void **state)
{
	struct party p;
	struct sockaddr_in sa;
	struct stun_writer w;
	struct stun_msg m;
	struct err e;
	uint8_t msg[512], frame[600], in[600], txid[STUN_TXID_LEN] = { 1, 2, 3 };
	char ufrag[64], pwd[64], user[160];
	const char *u, *pw;
	size_t n, f, got = 0;
	ssize_t r;
	int fd, round;

	(void)state;
	assert_int_equal(offer_as(&p, SFU_PUBLISH, STAGE "4", "tcp", NULL, sdp_sample_publish),
	    201);
	assert_non_null(strstr(p.a.sdp, "tcptype passive"));
	u = strstr(p.a.sdp, "a=ice-ufrag:");
	pw = strstr(p.a.sdp, "a=ice-pwd:");
	assert_true(u != NULL && pw != NULL);
	assert_int_equal(sscanf(u, "a=ice-ufrag:%63[^\r\n]", ufrag), 1);
	assert_int_equal(sscanf(pw, "a=ice-pwd:%63[^\r\n]", pwd), 1);
	for (round = 0; round < 2; round++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)sfu_port());
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		n = (size_t)snprintf(user, sizeof(user), "%s:abcd", round ? ufrag : "nobody");
		stun_writer_init(&w, msg, sizeof(msg), STUN_BINDING_REQUEST, txid);
		stun_writer_attr(&w, STUN_ATTR_USERNAME, user, n);
		stun_writer_u32(&w, STUN_ATTR_PRIORITY, 1845501695u);
		stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, 42);
		stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
		stun_writer_integrity(&w, pwd, strlen(pwd));
		stun_writer_fingerprint(&w);
		n = stun_writer_finish(&w);
		f = stun_tcp_frame(frame, sizeof(frame), msg, n);
		assert_int_equal(send(fd, frame, f, 0), (ssize_t)f);
		for (got = 0; got < 2 || got < 2 + (size_t)(in[0] << 8 | in[1]); got += (size_t)r) {
			r = recv(fd, in + got, sizeof(in) - got, 0);
			assert_true(r > 0);
		}
		close(fd);
		assert_int_equal(stun_parse(in + 2, got - 2, &m, &e), ERR_OK);
		if (round == 0) {
			assert_int_equal(m.type, STUN_BINDING_ERROR);
			assert_int_equal(m.error_code, 401);
		} else {
			assert_int_equal(m.type, STUN_BINDING_SUCCESS);
			assert_true(stun_integrity_ok(&m, pwd, strlen(pwd)));
		}
	}
	sfu_end_stage(STAGE "4");
	assert_true(wait_event("ended " STAGE "4 tcp  1 deleted ", WAIT_MS));
	party_free(&p);
}

/* An SPS of 1280x720 (constrained baseline) and of 1920x1080 (high,
 * cropped from 1088), as an encoder sends them before an IDR slice. */
static const uint8_t sps_720p[] = { 0x67, 0x42, 0x00, 0x1f, 0xed, 0x00, 0xa0, 0x0b, 0x72 };
static const uint8_t sps_1080p[] = { 0x67, 0x64, 0x00, 0x28, 0xac, 0xb4, 0x03, 0xc0, 0x11,
	0x3f, 0x2a };

/* A keyframe's first packet: a STAP-A of the SPS and a PPS. */
static void
send_sps(struct party *pub, uint32_t ssrc, uint16_t seq, uint32_t ts, const uint8_t *sps,
    size_t n)
{
	static const uint8_t pps[] = { 0x68, 0xce, 0x3c, 0x80 };
	uint8_t b[256];
	size_t len;

	len = rtp_make(b, pt_of(pub, 1), seq, ts, ssrc, 0x78, 1);
	b[len++] = (uint8_t)(n >> 8);
	b[len++] = (uint8_t)n;
	memcpy(b + len, sps, n);
	len += n;
	b[len++] = 0;
	b[len++] = sizeof(pps);
	memcpy(b + len, pps, sizeof(pps));
	len += sizeof(pps);
	assert_int_equal(media_client_send_rtp(pub->c, b, len), 0);
}

/* The IVS resolution limit: a 720p keyframe starts the publish, a 1080p
 * one ends it with RESOLUTION_EXCEEDED. */
static void
test_resolution(void **state)
{
	struct party pub;
	const char *stage = STAGE "5";
	uint32_t ssrc = 0x44444444, ts = 1000;
	uint16_t seq = 7;

	(void)state;
	assert_int_equal(offer_as(&pub, SFU_PUBLISH, stage, "res", NULL, sdp_sample_publish), 201);
	connect_party(&pub);
	send_sps(&pub, ssrc, seq++, ts, sps_720p, sizeof(sps_720p));
	send_pair(&pub, ssrc, ssrc + 1, seq++, ts, 0x65);
	assert_true(wait_event("publish " STAGE "5 res", WAIT_MS));
	usleep(200 * 1000);
	assert_false(has_event("ended " STAGE "5 res  1 limit RESOLUTION_EXCEEDED"));
	assert_true(sfu_is_publishing(stage, "res"));
	ts += 3000;
	send_sps(&pub, ssrc, seq++, ts, sps_1080p, sizeof(sps_1080p));
	assert_true(wait_event("ended " STAGE "5 res  1 limit RESOLUTION_EXCEEDED", WAIT_MS));
	assert_false(sfu_is_publishing(stage, "res"));
	party_free(&pub);
}

/* A fan-out sent as one batch (sendmmsg): twenty
 * subscribers each receive every video packet, in order, with their own
 * SSRC and continuous sequence numbers. */
#define FANOUT 20
#define FANOUT_PACKETS 30

static void
test_fanout(void **state)
{
	static struct party sub[FANOUT];
	struct party pub;
	struct rtp_packet pkt;
	uint8_t buf[2048];
	char pid[16];
	const char *stage = STAGE "6";
	uint32_t vssrc = 0x55555555, ts = 0;
	uint16_t seq = 100, first;
	int i, k;

	(void)state;
	assert_int_equal(offer_as(&pub, SFU_PUBLISH, stage, "fan", NULL, sdp_sample_publish), 201);
	connect_party(&pub);
	send_pair(&pub, vssrc, vssrc + 1, seq++, ts, 0x65);
	assert_true(wait_event("publish " STAGE "6 fan", WAIT_MS));
	for (k = 0; k < FANOUT; k++) {
		snprintf(pid, sizeof(pid), "fs%d", k);
		assert_int_equal(offer_as(&sub[k], SFU_SUBSCRIBE, stage, pid, "fan",
		    sdp_sample_subscribe), 201);
		connect_party(&sub[k]);
	}
	for (i = 0; i < FANOUT_PACKETS; i++, ts += 3000) {
		send_pair(&pub, vssrc, vssrc + 1, seq++, ts, i == 0 ? 0x65 : 0x41);
		usleep(2000);
	}
	for (k = 0; k < FANOUT; k++) {
		assert_true(recv_rtp(&sub[k], pt_of(&sub[k], 1), &pkt, buf, sizeof(buf)) > 0);
		assert_int_equal(buf[12], 0x65);
		first = pkt.seq;
		for (i = 1; i < FANOUT_PACKETS; i++) {
			if (recv_rtp(&sub[k], pt_of(&sub[k], 1), &pkt, buf, sizeof(buf)) == 0)
				fail_msg("subscriber %d: packet %d missing", k, i);
			assert_int_equal(pkt.seq, (uint16_t)(first + i));
			assert_int_equal(buf[13], (uint8_t)(7 + seq - FANOUT_PACKETS + i));
		}
	}
	sfu_end_stage(stage);
	assert_true(wait_event("ended " STAGE "6 fan  1 deleted ", WAIT_MS));
	party_free(&pub);
	for (k = 0; k < FANOUT; k++)
		party_free(&sub[k]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_forwarding),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_ice_tcp),
		cmocka_unit_test(test_resolution),
		cmocka_unit_test(test_fanout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
