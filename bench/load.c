/* rtstage-load: the media benchmark's load tool (make bench-media). One
 * process, one epoll loop, many WebRTC peers built from rtstage's media
 * modules in the client role (STUN, DTLS, SRTP): one publisher sending a
 * fixed synthetic H.264 + Opus stream (paced as a browser paces it), any number of subscribers counting
 * what arrives. Signalling is not its business: bench/media.py makes the
 * offers and answers and drives it by lines on stdin, and reads its
 * replies on stdout. It works against any SFU that speaks ICE (lite or
 * full), DTLS-SRTP and BUNDLE on one UDP port per peer.
 *
 * It stays light: a subscriber's packets are not decrypted (only the first
 * of each stream, to learn how the server renumbered it); the RTP header
 * (sequence number, SSRC) is read in the clear; receive times come from
 * the kernel (SO_TIMESTAMPNS) and sockets are drained with recvmmsg, so the
 * loop may wake late without changing the delays it measures.
 *
 * `rtstage-load floor N PACKETS PROFILE` is the floor micro-benchmark: the
 * same packets SRTP-protected once per subscriber and sent with sendmmsg,
 * the sending thread's CPU per forwarded packet printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/ids.h"
#include "media/cert.h"
#include "media/dtls.h"
#include "media/rtcp.h"
#include "media/rtp_be.h"
#include "media/srtp.h"
#include "media/stun.h"

/* Bounds of the tool (not of the server: limits.h is the server's). */
#define LOAD_PEERS 512			/* peers in one run: N = 100 and room */
#define LOAD_PKT 1500			/* a datagram; the stream's are below 1200 */
#define LOAD_SLOT (LOAD_PKT + 64)	/* with an SRTP trailer */
#define LOAD_RECV_BATCH 32		/* datagrams per recvmmsg */
#define LOAD_SEND_BATCH 64		/* floor: datagrams per sendmmsg */
#define LOAD_HIST_US 200000		/* delay histogram: 1 us buckets up to here */
#define LOAD_LATE_US 50000		/* a packet later than this counts as late */
#define LOAD_CHECK_MS 100		/* ICE checks until answered */
#define LOAD_CONSENT_MS 5000		/* consent checks once up */
#define LOAD_COALESCE_US 1000		/* measuring: let datagrams gather before a drain */
#define LOAD_DRAIN_MS 300		/* after a window, for packets still in flight */
#define LOAD_LINE 8192

/* The synthetic stream: about 1.5 Mbit/s of H.264 at 30 frames per second
 * with a keyframe every 2 s (or on a PLI), and Opus at 50 packets per
 * second. Every payload ends in a 4-byte tag: its kind and original
 * sequence number, readable once decrypted. */
#define SSRC_AUDIO 0x0a0d1001u
#define SSRC_VIDEO 0x0b1de001u
#define FRAME_US 33333
#define AUDIO_US 20000
#define GOP_FRAMES 60
#define KEYFRAME_BYTES 36000
#define FRAME_BYTES 5600
#define FU_BYTES 1100
/* Packets leave paced, as libwebrtc's pacer sends them (its periodic
 * mode): every 5 ms, the queued packets the budget allows, the budget
 * growing by 5 ms at 2.5 x the target bitrate, an overshoot (the last
 * packet of a burst may pass it) repaid next interval, unused budget not
 * saved up (IntervalBudget); audio is not held by the budget. A keyframe
 * therefore leaves in bursts of two or three packets every 5 ms instead
 * of all at once. */
#define PACE_BPS 3750000
#define PACE_INTERVAL_US 5000
#define PACE_QUEUE 128			/* a keyframe's packets and room */
enum kind { AUDIO, VIDEO };

/* An SPS (1280x720 constrained baseline) and a PPS for the keyframes' STAP-A. */
static const uint8_t sps[] = { 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xec, 0x04,
	0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0f, 0x23, 0xc6, 0x0c, 0x92 };
static const uint8_t pps[] = { 0x68, 0xce, 0x3c, 0x80 };

enum pstate { P_NEW, P_ICE, P_DTLS, P_UP, P_FAILED };

struct peer {
	char id[32];
	int fd;
	enum pstate st;
	int publisher;
	enum dtls_role role;
	char ufrag[9], pwd[25];
	char rufrag[257], rpwd[257], rfp[160];
	uint64_t tiebreaker, next_check_ms;
	struct dtls_endpoint *dtls;
	struct srtp_session *in, *out;
	/* subscriber: each kind's SSRC and renumbering, learned from its first packet */
	uint32_t ssrc[2];
	uint16_t delta[2];
	int known[2];
	uint64_t received, late;	/* in the window */
};

struct sent {
	int64_t us;			/* CLOCK_REALTIME send time */
	int window;			/* sent inside the measurement window */
	int32_t min_us, max_us;		/* delays over the subscribers (the trace) */
	uint16_t copies;		/* subscribers it reached */
};

static struct {
	struct dtls_context *ctx;
	const char *fp;
	char bind_ip[64];
	int ep;
	struct peer *peers[LOAD_PEERS];
	size_t n;
	struct peer *pub;
	int apt, vpt;
	/* the publisher's stream */
	uint16_t seq[2];
	uint32_t ts[2];
	uint32_t frame;
	int want_key;
	int64_t next_us[2];
	uint32_t rnd;
	struct sent sent[2][65536];
	/* the pacer's queue of plain packets */
	uint8_t q[PACE_QUEUE][LOAD_SLOT];
	size_t qlen[PACE_QUEUE];
	uint8_t qkind[PACE_QUEUE];
	uint16_t qseq[PACE_QUEUE];
	size_t qhead, qn;
	int64_t pace_at_us;		/* the next pacer interval */
	int64_t budget;			/* bytes; negative after an overshoot */
	/* the window */
	int measuring;
	uint64_t window_sent[2];
	uint64_t hist[LOAD_HIST_US + 1];
	uint64_t hist_n;
	int64_t delay_max;
} g;

static int64_t
now_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t
mono_ms(void)
{
	return (uint64_t)now_us(CLOCK_MONOTONIC) / 1000;
}

static uint32_t
rnd(void)
{
	g.rnd = g.rnd * 1103515245u + 12345u;
	return g.rnd >> 8;
}

/* ---- the synthetic stream ---- */

/* Writes the RTP header of the next packet of kind k; returns 12. */
static size_t
rtp_header(uint8_t *b, enum kind k, int marker)
{
	b[0] = 0x80;
	b[1] = (uint8_t)((k == AUDIO ? g.apt : g.vpt) | (marker ? 0x80 : 0));
	put16(b + 2, g.seq[k]);
	put32(b + 4, g.ts[k]);
	put32(b + 8, k == AUDIO ? SSRC_AUDIO : SSRC_VIDEO);
	return 12;
}

static void
fill(uint8_t *b, size_t n)
{
	while (n-- > 0)
		*b++ = (uint8_t)rnd();
}

/* Ends the packet of kind k at b (len bytes so far) with its tag. */
static size_t
tag(uint8_t *b, size_t len, enum kind k)
{
	put16(b + len, (uint16_t)k);
	put16(b + len + 2, g.seq[k]);
	return len + 4;
}

typedef void (*emit_fn)(void *arg, enum kind k, uint16_t seq, uint8_t *pkt, size_t len);

static void
audio_packet(emit_fn emit, void *arg)
{
	uint8_t b[LOAD_SLOT];
	size_t n = rtp_header(b, AUDIO, 0), body = 100 + rnd() % 60;

	b[n] = 0x78;			/* an Opus TOC byte: CELT fullband 20 ms */
	fill(b + n + 1, body - 1);
	n = tag(b, n + body, AUDIO);
	emit(arg, AUDIO, g.seq[AUDIO], b, n);
	g.seq[AUDIO]++;
	g.ts[AUDIO] += 960;
}

/* One video frame: a keyframe (STAP-A of SPS, PPS and a tag unit, then
 * the IDR in FU-A fragments) or a P frame in FU-A fragments. */
static void
video_frame(emit_fn emit, void *arg)
{
	uint8_t b[LOAD_SLOT];
	int key = g.want_key || g.frame % GOP_FRAMES == 0;
	size_t left = key ? KEYFRAME_BYTES : FRAME_BYTES - FRAME_BYTES / 5 + rnd() % (FRAME_BYTES * 2 / 5);
	size_t n, take;
	uint8_t nal = key ? 0x65 : 0x41;
	int first = 1;

	if (key) {
		n = rtp_header(b, VIDEO, 0);
		b[n++] = 0x78;
		put16(b + n, sizeof(sps));
		memcpy(b + n + 2, sps, sizeof(sps));
		n += 2 + sizeof(sps);
		put16(b + n, sizeof(pps));
		memcpy(b + n + 2, pps, sizeof(pps));
		n += 2 + sizeof(pps);
		put16(b + n, 6);
		b[n + 2] = 0x06;	/* SEI: the tag's unit */
		b[n + 3] = 0x05;
		n = tag(b, n + 4, VIDEO);
		emit(arg, VIDEO, g.seq[VIDEO], b, n);
		g.seq[VIDEO]++;
		g.want_key = 0;
	}
	while (left > 0) {
		take = left < FU_BYTES ? left : FU_BYTES;
		left -= take;
		n = rtp_header(b, VIDEO, left == 0);
		b[n] = (uint8_t)((nal & 0xE0) | 28);
		b[n + 1] = (uint8_t)((first ? 0x80 : 0) | (left == 0 ? 0x40 : 0) | (nal & 0x1F));
		fill(b + n + 2, take);
		n = tag(b, n + 2 + take, VIDEO);
		emit(arg, VIDEO, g.seq[VIDEO], b, n);
		g.seq[VIDEO]++;
		first = 0;
	}
	g.frame++;
	g.ts[VIDEO] += 3000;
}

/* ---- peers: ICE, DTLS, SRTP ---- */

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static struct peer *
find(const char *id)
{
	size_t i;

	for (i = 0; i < g.n; i++)
		if (strcmp(g.peers[i]->id, id) == 0)
			return g.peers[i];
	return NULL;
}

static void
fail(struct peer *p, const char *why)
{
	if (p->st != P_FAILED)
		say("failed %s %s", p->id, why);
	p->st = P_FAILED;
}

static void
send_check(struct peer *p)
{
	struct stun_writer w;
	uint8_t out[512], txid[STUN_TXID_LEN];
	char user[600];
	size_t n;

	if (ids_random(txid, sizeof(txid)) != 0)
		return;
	n = (size_t)snprintf(user, sizeof(user), "%s:%s", p->rufrag, p->ufrag);
	stun_writer_init(&w, out, sizeof(out), STUN_BINDING_REQUEST, txid);
	stun_writer_attr(&w, STUN_ATTR_USERNAME, user, n);
	stun_writer_u32(&w, STUN_ATTR_PRIORITY, 1845501695u);
	stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, p->tiebreaker);
	stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_writer_integrity(&w, p->rpwd, strlen(p->rpwd));
	stun_writer_fingerprint(&w);
	n = stun_writer_finish(&w);
	if (n > 0)
		(void)send(p->fd, out, n, 0);
}

static void
dtls_flush(struct peer *p)
{
	const uint8_t *d;
	size_t len;

	while (dtls_endpoint_output(p->dtls, &d, &len))
		(void)send(p->fd, d, len, 0);
}

static void
dtls_start(struct peer *p)
{
	struct dtls_endpoint_opts o;
	struct err e;

	memset(&o, 0, sizeof(o));
	o.role = p->role;
	o.peer_fingerprint = p->rfp;
	if (dtls_endpoint_new(g.ctx, &o, mono_ms(), &p->dtls, &e) != ERR_OK) {
		fail(p, e.msg);
		return;
	}
	p->st = P_DTLS;
	dtls_flush(p);
}

static void
dtls_done(struct peer *p)
{
	struct dtls_srtp_keys k;
	struct err e;

	memset(&k, 0, sizeof(k));
	if (dtls_endpoint_keys(p->dtls, &k, &e) != ERR_OK ||
	    srtp_session_new(&k, SRTP_SESSION_INBOUND, &p->in, &e) != ERR_OK ||
	    srtp_session_new(&k, SRTP_SESSION_OUTBOUND, &p->out, &e) != ERR_OK) {
		dtls_srtp_keys_wipe(&k);
		fail(p, e.msg);
		return;
	}
	p->st = P_UP;
	p->next_check_ms = mono_ms() + LOAD_CONSENT_MS;
	say("up %s %s", p->id, k.profile == DTLS_SRTP_AEAD_AES_128_GCM ? "AEAD_AES_128_GCM" :
	    "AES_CM_128_HMAC_SHA1_80");
	dtls_srtp_keys_wipe(&k);
}

static void
on_stun(struct peer *p, const uint8_t *b, size_t n)
{
	struct stun_msg m;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	uint8_t out[512];
	size_t len;
	struct err e;

	if (stun_parse(b, n, &m, &e) != ERR_OK)
		return;
	if (m.type == STUN_BINDING_REQUEST && stun_integrity_ok(&m, p->pwd, strlen(p->pwd))) {
		/* a full-ICE server checks us too */
		if (getpeername(p->fd, (struct sockaddr *)&from, &fl) == 0) {
			len = stun_write_binding_success(out, sizeof(out), &m,
			    (struct sockaddr *)&from, p->pwd);
			if (len > 0)
				(void)send(p->fd, out, len, 0);
		}
		return;
	}
	if (m.type == STUN_BINDING_SUCCESS && p->st == P_ICE &&
	    stun_integrity_ok(&m, p->rpwd, strlen(p->rpwd)))
		dtls_start(p);
}

static void
on_dtls(struct peer *p, const uint8_t *b, size_t n)
{
	struct err e;

	if (p->dtls == NULL)
		return;
	(void)dtls_endpoint_input(p->dtls, b, n, mono_ms(), &e);
	dtls_flush(p);
	if (p->st == P_DTLS && dtls_endpoint_state(p->dtls) == DTLS_STATE_CONNECTED)
		dtls_done(p);
	else if (dtls_endpoint_state(p->dtls) == DTLS_STATE_FAILED)
		fail(p, "DTLS failed");
}

/* The publisher hears feedback: a PLI or FIR asks for a keyframe. */
static void
on_publisher_rtcp(struct peer *p, uint8_t *b, size_t n)
{
	struct rtcp_packet pk;
	struct err e;
	size_t off = 0;

	if (p->in == NULL || srtp_session_unprotect_rtcp(p->in, b, &n, &e) != ERR_OK)
		return;
	while (rtcp_next(b, n, &off, &pk) == 1)
		if (pk.type == RTCP_PSFB && (pk.count == RTCP_FMT_PLI || pk.count == RTCP_FMT_FIR))
			g.want_key = 1;
}

/* A subscriber's RTP: matched to its send time by sequence number, once
 * the stream's renumbering is known (its first packet, decrypted). */
static void
on_media(struct peer *p, uint8_t *b, size_t n, int64_t rx_us)
{
	uint8_t copy[LOAD_SLOT];
	uint32_t ssrc = be32(b + 8), t;
	uint16_t seq = (uint16_t)(b[2] << 8 | b[3]), oseq;
	struct sent *s;
	struct err e;
	size_t len = n;
	int64_t d;
	int k;

	if (p->known[AUDIO] && ssrc == p->ssrc[AUDIO])
		k = AUDIO;
	else if (p->known[VIDEO] && ssrc == p->ssrc[VIDEO])
		k = VIDEO;
	else {
		if (n > sizeof(copy) || p->in == NULL)
			return;
		memcpy(copy, b, n);
		if (srtp_session_unprotect_rtp(p->in, copy, &len, &e) != ERR_OK || len < 16)
			return;
		t = be32(copy + len - 4);
		k = (int)(t >> 16);
		if (k != AUDIO && k != VIDEO)
			return;
		p->ssrc[k] = ssrc;
		p->delta[k] = (uint16_t)(seq - (uint16_t)t);
		p->known[k] = 1;
	}
	oseq = (uint16_t)(seq - p->delta[k]);
	s = &g.sent[k][oseq];
	if (!g.measuring || !s->window)
		return;
	d = rx_us - s->us;
	if (d < 0)
		d = 0;
	p->received++;
	if (d > LOAD_LATE_US)
		p->late++;
	if (s->copies == 0 || d < s->min_us)
		s->min_us = (int32_t)(d > INT32_MAX ? INT32_MAX : d);
	if (d > s->max_us)
		s->max_us = (int32_t)(d > INT32_MAX ? INT32_MAX : d);
	s->copies++;
	g.hist[d > LOAD_HIST_US ? LOAD_HIST_US : d]++;
	g.hist_n++;
	if (d > g.delay_max)
		g.delay_max = d;
}

static void
on_datagram(struct peer *p, uint8_t *b, size_t n, int64_t rx_us)
{
	if (n == 0)
		return;
	switch (stun_demux(b, n)) {
	case STUN_DEMUX_STUN:
		on_stun(p, b, n);
		break;
	case STUN_DEMUX_DTLS:
		on_dtls(p, b, n);
		break;
	case STUN_DEMUX_RTP:
		if (p->st != P_UP)
			break;
		if (rtcp_is_rtcp(b, n)) {
			if (p->publisher)
				on_publisher_rtcp(p, b, n);
		} else if (!p->publisher && n >= 12)
			on_media(p, b, n, rx_us);
		break;
	case STUN_DEMUX_OTHER:
		break;
	}
}

/* Reads what is queued on p's socket, with the kernel's receive times. */
static void
drain(struct peer *p)
{
	static uint8_t bufs[LOAD_RECV_BATCH][LOAD_SLOT];
	static uint8_t ctl[LOAD_RECV_BATCH][64];
	struct mmsghdr m[LOAD_RECV_BATCH];
	struct iovec iov[LOAD_RECV_BATCH];
	struct cmsghdr *c;
	struct timespec ts;
	int64_t rx;
	int r, i;

	do {
		for (i = 0; i < LOAD_RECV_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&m[i].msg_hdr, 0, sizeof(m[i].msg_hdr));
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_control = ctl[i];
			m[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		r = recvmmsg(p->fd, m, LOAD_RECV_BATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < r; i++) {
			rx = 0;
			for (c = CMSG_FIRSTHDR(&m[i].msg_hdr); c != NULL;
			    c = CMSG_NXTHDR(&m[i].msg_hdr, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					rx = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
				}
			if (rx == 0)
				rx = now_us(CLOCK_REALTIME);
			on_datagram(p, bufs[i], m[i].msg_len, rx);
		}
	} while (r == LOAD_RECV_BATCH);
}

/* Timers of every peer: ICE checks, DTLS retransmissions, consent. */
static void
tick(void)
{
	uint64_t now = mono_ms(), dl;
	struct err e;
	size_t i;
	struct peer *p;

	for (i = 0; i < g.n; i++) {
		p = g.peers[i];
		if ((p->st == P_ICE || p->st == P_UP) && now >= p->next_check_ms) {
			send_check(p);
			p->next_check_ms = now + (p->st == P_ICE ? LOAD_CHECK_MS : LOAD_CONSENT_MS);
		}
		if (p->st == P_DTLS) {
			dl = dtls_endpoint_deadline(p->dtls);
			if (dl != 0 && dl <= now) {
				(void)dtls_endpoint_timeout(p->dtls, now, &e);
				dtls_flush(p);
				if (dtls_endpoint_state(p->dtls) == DTLS_STATE_FAILED)
					fail(p, "DTLS timed out");
			}
		}
	}
}

/* ---- the publisher ---- */

/* Queues a packet for the pacer. */
static void
emit_queue(void *arg, enum kind k, uint16_t seq, uint8_t *pkt, size_t len)
{
	size_t at;

	(void)arg;
	if (g.qn == PACE_QUEUE)
		return;
	at = (g.qhead + g.qn++) % PACE_QUEUE;
	memcpy(g.q[at], pkt, len);
	g.qlen[at] = len;
	g.qkind[at] = (uint8_t)k;
	g.qseq[at] = seq;
}

/* At each pacer interval (monotonic us), protects and sends the packets
 * the budget lets go. */
static void
pace(struct peer *p, int64_t now)
{
	struct err e;
	struct sent *s;
	size_t len;
	uint8_t *pkt;
	enum kind k;
	int64_t grow = (int64_t)PACE_BPS / 8 * PACE_INTERVAL_US / 1000000;

	if (now < g.pace_at_us)
		return;
	g.pace_at_us = now + PACE_INTERVAL_US;
	g.budget = g.budget < 0 ? g.budget + grow : grow;
	while (g.qn > 0 && (g.budget > 0 || g.qkind[g.qhead] == AUDIO)) {
		pkt = g.q[g.qhead];
		len = g.qlen[g.qhead];
		k = g.qkind[g.qhead];
		s = &g.sent[k][g.qseq[g.qhead]];
		g.qhead = (g.qhead + 1) % PACE_QUEUE;
		g.qn--;
		g.budget -= (int64_t)len;
		if (srtp_session_protect_rtp(p->out, pkt, &len, LOAD_SLOT, &e) != ERR_OK)
			continue;
		s->us = now_us(CLOCK_REALTIME);
		s->window = g.measuring == 1;
		if (s->window)
			g.window_sent[k]++;
		(void)send(p->fd, pkt, len, 0);
	}
}

/* Sends what is due; returns microseconds until the next packet. */
static int64_t
publish_due(void)
{
	int64_t now = now_us(CLOCK_MONOTONIC), next;

	if (g.pub == NULL || g.pub->st != P_UP)
		return 100000;
	if (g.next_us[AUDIO] == 0)
		g.next_us[AUDIO] = g.next_us[VIDEO] = now;
	while (g.next_us[AUDIO] <= now) {
		audio_packet(emit_queue, NULL);
		g.next_us[AUDIO] += AUDIO_US;
	}
	while (g.next_us[VIDEO] <= now) {
		video_frame(emit_queue, NULL);
		g.next_us[VIDEO] += FRAME_US;
	}
	pace(g.pub, now);
	now = now_us(CLOCK_MONOTONIC);
	next = g.next_us[AUDIO] < g.next_us[VIDEO] ? g.next_us[AUDIO] : g.next_us[VIDEO];
	if (g.qn > 0 && g.pace_at_us < next)
		next = g.pace_at_us;
	return next > now ? next - now : 0;
}

/* ---- commands ---- */

static void
cmd_peer(const char *id)
{
	struct peer *p;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct epoll_event ev;
	int one = 1, size = 1 << 20;

	if (g.n == LOAD_PEERS || find(id) != NULL || strlen(id) >= sizeof(p->id)) {
		say("error peer %s: too many, or a duplicate", id);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		abort();
	snprintf(p->id, sizeof(p->id), "%s", id);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	(void)inet_pton(AF_INET, g.bind_ip, &sa.sin_addr);
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(p->fd, (struct sockaddr *)&sa, &sl) != 0) {
		say("error peer %s: %s", id, strerror(errno));
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return;
	}
	(void)setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	(void)setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)ids_alnum(p->ufrag, 8);
	(void)ids_alnum(p->pwd, 24);
	(void)ids_random((unsigned char *)&p->tiebreaker, sizeof(p->tiebreaker));
	ev.events = EPOLLIN;
	ev.data.ptr = p;
	(void)epoll_ctl(g.ep, EPOLL_CTL_ADD, p->fd, &ev);
	g.peers[g.n++] = p;
	say("peer %s %s %s %u", p->id, p->ufrag, p->pwd, ntohs(sa.sin_port));
}

/* connect ID client|server IP PORT UFRAG PWD FINGERPRINT... */
static void
cmd_connect(char *args)
{
	char id[32], role[8], ip[64];
	unsigned port;
	int off = 0;
	struct peer *p;
	struct sockaddr_in sa;

	if (sscanf(args, "%31s %7s %63s %u %*s %*s %n", id, role, ip, &port, &off) != 4 ||
	    off == 0 || (p = find(id)) == NULL ||
	    sscanf(args, "%*s %*s %*s %*s %256s %256s", p->rufrag, p->rpwd) != 2) {
		say("error connect: %s", args);
		return;
	}
	snprintf(p->rfp, sizeof(p->rfp), "%s", args + off);
	p->role = strcmp(role, "server") == 0 ? DTLS_ROLE_SERVER : DTLS_ROLE_CLIENT;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 ||
	    connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fail(p, "bad address");
		return;
	}
	p->st = P_ICE;
	p->next_check_ms = 0;
}

/* publish ID AUDIO_PT VIDEO_PT: ID sends the stream once up. */
static void
cmd_publish(const char *args)
{
	char id[32];

	if (sscanf(args, "%31s %d %d", id, &g.apt, &g.vpt) != 3 || (g.pub = find(id)) == NULL) {
		say("error publish: %s", args);
		return;
	}
	g.pub->publisher = 1;
	g.want_key = 1;
}

static int
subscriber_up(const struct peer *p)
{
	return !p->publisher && p->st == P_UP;
}

/* How many subscribers are up, and how many have had both streams. */
static void
count(size_t *up, size_t *both)
{
	size_t i;

	*up = *both = 0;
	for (i = 0; i < g.n; i++)
		if (subscriber_up(g.peers[i])) {
			(*up)++;
			if (g.peers[i]->known[AUDIO] && g.peers[i]->known[VIDEO])
				(*both)++;
		}
}

static int64_t
proc_cpu_us(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (int64_t)(ut + st) * 1000000 / sysconf(_SC_CLK_TCK);
}

static long
proc_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int64_t
self_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int64_t
percentile(double q)
{
	uint64_t want = (uint64_t)(q * (double)g.hist_n), acc = 0;
	size_t i;

	for (i = 0; i <= LOAD_HIST_US; i++) {
		acc += g.hist[i];
		if (acc > want)
			return (int64_t)i;
	}
	return LOAD_HIST_US;
}

static void run_for(int64_t us);

/* wait SECONDS: until every subscriber up has had both streams. */
static void
cmd_wait(const char *args)
{
	double secs = atof(args);
	int64_t until = now_us(CLOCK_MONOTONIC) + (int64_t)(secs * 1e6);
	size_t up = 0, both = 0;

	while (now_us(CLOCK_MONOTONIC) < until) {
		run_for(50000);
		count(&up, &both);
		if (both == up && up > 0)
			break;
	}
	count(&up, &both);
	say("receiving %zu %zu", both, up);
}

/* With LOAD_TRACE=FILE, the window's packets one a line: send time (us,
 * from the first), kind, original sequence number, subscribers reached,
 * the least and the most delay among them (us). */
static void
trace_window(void)
{
	const char *path = getenv("LOAD_TRACE");
	int64_t t0 = 0;
	FILE *f;
	int k, q;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	for (k = 0; k < 2; k++)
		for (q = 0; q < 65536; q++)
			if (g.sent[k][q].window && (t0 == 0 || g.sent[k][q].us < t0))
				t0 = g.sent[k][q].us;
	for (k = 0; k < 2; k++)
		for (q = 0; q < 65536; q++)
			if (g.sent[k][q].window)
				fprintf(f, "%lld %s %d %u %d %d\n", (long long)(g.sent[k][q].us - t0),
				    k == AUDIO ? "a" : "v", q, g.sent[k][q].copies, g.sent[k][q].min_us,
				    g.sent[k][q].max_us);
	fclose(f);
}

/* measure PID SECONDS: one window; the server's CPU from /proc/PID/stat. */
static void
cmd_measure(const char *args)
{
	int pid = 0;
	double secs = 0;
	int64_t cpu0, cpu1, self0, self1, t0, t1;
	uint64_t expected, received = 0, late = 0;
	size_t i, up, both;

	if (sscanf(args, "%d %lf", &pid, &secs) != 2 || secs <= 0) {
		say("error measure: %s", args);
		return;
	}
	count(&up, &both);
	memset(g.hist, 0, sizeof(g.hist));
	g.hist_n = 0;
	g.delay_max = 0;
	g.window_sent[AUDIO] = g.window_sent[VIDEO] = 0;
	memset(g.sent, 0, sizeof(g.sent));
	for (i = 0; i < g.n; i++)
		g.peers[i]->received = g.peers[i]->late = 0;
	cpu0 = proc_cpu_us(pid);
	self0 = self_cpu_us();
	t0 = now_us(CLOCK_MONOTONIC);
	g.measuring = 1;
	run_for((int64_t)(secs * 1e6));
	g.measuring = 0;
	t1 = now_us(CLOCK_MONOTONIC);
	cpu1 = proc_cpu_us(pid);
	self1 = self_cpu_us();
	g.measuring = 2;		/* still counting arrivals of the window's packets */
	run_for(LOAD_DRAIN_MS * 1000);
	g.measuring = 0;
	for (i = 0; i < g.n; i++)
		if (subscriber_up(g.peers[i])) {
			received += g.peers[i]->received;
			late += g.peers[i]->late;
		}
	trace_window();
	expected = (g.window_sent[AUDIO] + g.window_sent[VIDEO]) * both;
	say("result {\"subscribers\": %zu, \"receiving\": %zu, \"seconds\": %.3f, "
	    "\"sent_audio\": %llu, \"sent_video\": %llu, \"expected\": %llu, \"received\": %llu, "
	    "\"lost\": %lld, \"late\": %llu, \"delay_p50_us\": %lld, \"delay_p99_us\": %lld, "
	    "\"delay_max_us\": %lld, \"server_cpu_s\": %.3f, \"server_rss_kib\": %ld, "
	    "\"tool_cpu_s\": %.3f}",
	    up, both, (double)(t1 - t0) / 1e6, (unsigned long long)g.window_sent[AUDIO],
	    (unsigned long long)g.window_sent[VIDEO], (unsigned long long)expected,
	    (unsigned long long)received, (long long)expected - (long long)received,
	    (unsigned long long)late, (long long)percentile(0.5), (long long)percentile(0.99),
	    (long long)g.delay_max, (double)(cpu1 - cpu0) / 1e6, proc_rss_kib(pid),
	    (double)(self1 - self0) / 1e6);
}

/* The loop while a command runs: publisher pacing, timers and sockets,
 * for us microseconds (stdin waits). */
static void
run_for(int64_t us)
{
	struct epoll_event ev[64];
	int64_t until = now_us(CLOCK_MONOTONIC) + us, wait, next;
	int n, i;

	for (;;) {
		next = publish_due();
		tick();
		wait = until - now_us(CLOCK_MONOTONIC);
		if (wait <= 0)
			return;
		if (next < wait)
			wait = next;
		n = epoll_wait(g.ep, ev, 64, (int)((wait + 999) / 1000));
		if (n > 0 && g.measuring && g.n > 8)
			usleep(LOAD_COALESCE_US);
		for (i = 0; i < n; i++)
			if (ev[i].data.ptr != NULL)
				drain(ev[i].data.ptr);
	}
}

static int
command(char *line)
{
	char *arg;

	line[strcspn(line, "\r\n")] = '\0';
	arg = strchr(line, ' ');
	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	if (strcmp(line, "peer") == 0)
		cmd_peer(arg);
	else if (strcmp(line, "connect") == 0)
		cmd_connect(arg);
	else if (strcmp(line, "publish") == 0)
		cmd_publish(arg);
	else if (strcmp(line, "wait") == 0)
		cmd_wait(arg);
	else if (strcmp(line, "measure") == 0)
		cmd_measure(arg);
	else if (strcmp(line, "run") == 0) {
		run_for((int64_t)(atof(arg) * 1e6));
		say("ran");
	} else if (strcmp(line, "quit") == 0)
		return 1;
	else if (line[0] != '\0')
		say("error unknown command %s", line);
	return 0;
}

/* The loop between commands: stdin is read whole lines at a time, the
 * peers served meanwhile. */
static int
serve(void)
{
	static char buf[LOAD_LINE];
	static size_t have;
	struct epoll_event ev;
	char *nl;
	ssize_t r;

	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	(void)epoll_ctl(g.ep, EPOLL_CTL_ADD, 0, &ev);
	for (;;) {
		struct epoll_event evs[64];
		int64_t next = publish_due();
		int n, i;

		tick();
		n = epoll_wait(g.ep, evs, 64, (int)((next + 999) / 1000 > 50 ? 50 : (next + 999) / 1000));
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr != NULL) {
				drain(evs[i].data.ptr);
				continue;
			}
			r = read(0, buf + have, sizeof(buf) - 1 - have);
			if (r <= 0)
				return 0;
			have += (size_t)r;
			buf[have] = '\0';
			while ((nl = strchr(buf, '\n')) != NULL) {
				*nl = '\0';
				if (command(buf))
					return 0;
				memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
				have -= (size_t)(nl + 1 - buf);
			}
			if (have == sizeof(buf) - 1)
				have = 0;
		}
	}
	return 0;
}

/* ---- the floor ---- */

struct floor_ctx {
	size_t n;
	int *sinks;
	volatile int stop;
};

static void *
floor_drain(void *arg)
{
	struct floor_ctx *f = arg;
	uint8_t b[LOAD_SLOT];
	size_t i;
	int any;

	while (!f->stop) {
		any = 0;
		for (i = 0; i < f->n; i++)
			while (recv(f->sinks[i], b, sizeof(b), MSG_DONTWAIT) > 0)
				any = 1;
		if (!any)
			usleep(200);
	}
	return NULL;
}

struct floor_batch {
	size_t n_subs;
	struct srtp_session **sess;
	struct sockaddr_in *to;
	int fd;
	uint8_t (*slot)[LOAD_SLOT];
	struct mmsghdr msg[LOAD_SEND_BATCH];
	struct iovec iov[LOAD_SEND_BATCH];
	size_t queued;
	uint64_t packets;
};

static void
floor_flush(struct floor_batch *b)
{
	size_t at = 0;
	int r;

	while (at < b->queued) {
		r = sendmmsg(b->fd, b->msg + at, (unsigned)(b->queued - at), 0);
		if (r <= 0)
			break;
		at += (size_t)r;
	}
	b->queued = 0;
}

/* Each of the stream's packets: protected once per subscriber, as the
 * server must, and queued for one sendmmsg per fan-out. */
static void
emit_floor(void *arg, enum kind k, uint16_t seq, uint8_t *pkt, size_t len)
{
	struct floor_batch *b = arg;
	struct err e;
	size_t i, l;

	(void)k;
	(void)seq;
	for (i = 0; i < b->n_subs; i++) {
		if (b->queued == LOAD_SEND_BATCH)
			floor_flush(b);
		memcpy(b->slot[b->queued], pkt, len);
		l = len;
		if (srtp_session_protect_rtp(b->sess[i], b->slot[b->queued], &l, LOAD_SLOT, &e) != ERR_OK)
			continue;
		b->iov[b->queued].iov_base = b->slot[b->queued];
		b->iov[b->queued].iov_len = l;
		memset(&b->msg[b->queued], 0, sizeof(b->msg[0]));
		b->msg[b->queued].msg_hdr.msg_iov = &b->iov[b->queued];
		b->msg[b->queued].msg_hdr.msg_iovlen = 1;
		b->msg[b->queued].msg_hdr.msg_name = &b->to[i];
		b->msg[b->queued].msg_hdr.msg_namelen = sizeof(b->to[i]);
		b->queued++;
		b->packets++;
	}
	floor_flush(b);
}

static int
floor_main(size_t n, unsigned long packets, const char *profile)
{
	struct floor_ctx f = { .n = n };
	struct floor_batch b;
	struct dtls_srtp_keys k;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	pthread_t th;
	struct err e;
	int64_t c0, c1, w0, w1;
	size_t i;
	static uint8_t slots[LOAD_SEND_BATCH][LOAD_SLOT];

	memset(&b, 0, sizeof(b));
	memset(&k, 0, sizeof(k));
	k.profile = strcmp(profile, "AEAD_AES_128_GCM") == 0 ? DTLS_SRTP_AEAD_AES_128_GCM :
	    DTLS_SRTP_AES128_CM_SHA1_80;
	k.key_len = 16;
	k.salt_len = k.profile == DTLS_SRTP_AEAD_AES_128_GCM ? 12 : 14;
	b.n_subs = n;
	b.slot = slots;
	b.sess = calloc(n, sizeof(*b.sess));
	b.to = calloc(n, sizeof(*b.to));
	f.sinks = calloc(n, sizeof(int));
	if (b.sess == NULL || b.to == NULL || f.sinks == NULL)
		return 1;
	b.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (i = 0; i < n; i++) {
		(void)ids_random(k.local_key, sizeof(k.local_key));
		(void)ids_random(k.local_salt, sizeof(k.local_salt));
		if (srtp_session_new(&k, SRTP_SESSION_OUTBOUND, &b.sess[i], &e) != ERR_OK) {
			fprintf(stderr, "floor: %s\n", e.msg);
			return 1;
		}
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		(void)inet_pton(AF_INET, g.bind_ip, &sa.sin_addr);
		f.sinks[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (f.sinks[i] < 0 || bind(f.sinks[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    getsockname(f.sinks[i], (struct sockaddr *)&b.to[i], &sl) != 0) {
			perror("floor: sink");
			return 1;
		}
	}
	g.apt = 111;
	g.vpt = 102;
	pthread_create(&th, NULL, floor_drain, &f);
	c0 = now_us(CLOCK_THREAD_CPUTIME_ID);
	w0 = now_us(CLOCK_MONOTONIC);
	while (b.packets < packets * n) {
		/* the stream's own mix: 5 audio packets per 3 video frames */
		audio_packet(emit_floor, &b);
		video_frame(emit_floor, &b);
		audio_packet(emit_floor, &b);
		audio_packet(emit_floor, &b);
		video_frame(emit_floor, &b);
		audio_packet(emit_floor, &b);
		audio_packet(emit_floor, &b);
		video_frame(emit_floor, &b);
	}
	c1 = now_us(CLOCK_THREAD_CPUTIME_ID);
	w1 = now_us(CLOCK_MONOTONIC);
	f.stop = 1;
	pthread_join(th, NULL);
	printf("floor {\"subscribers\": %zu, \"packets\": %llu, \"cpu_s\": %.3f, \"wall_s\": %.3f, "
	    "\"ns_per_packet\": %.1f, \"profile\": \"%s\"}\n", n, (unsigned long long)b.packets,
	    (double)(c1 - c0) / 1e6, (double)(w1 - w0) / 1e6,
	    (double)(c1 - c0) * 1000.0 / (double)b.packets, profile);
	for (i = 0; i < n; i++) {
		srtp_session_free(b.sess[i]);
		close(f.sinks[i]);
	}
	close(b.fd);
	free(b.sess);
	free(b.to);
	free(f.sinks);
	return 0;
}

int
main(int argc, char **argv)
{
	struct cert *cert = NULL;
	struct err e;
	int rc;

	snprintf(g.bind_ip, sizeof(g.bind_ip), "%s", getenv("LOAD_BIND") ? getenv("LOAD_BIND") :
	    "127.0.0.1");
	g.rnd = 20261124;
	if (srtp_session_init(&e) != ERR_OK) {
		fprintf(stderr, "rtstage-load: %s\n", e.msg);
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "floor") == 0)
		return floor_main(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10), argv[4]);
	if (argc != 1) {
		fprintf(stderr, "usage: rtstage-load (commands on stdin; see bench/README.md)\n"
		    "       rtstage-load floor SUBSCRIBERS PACKETS PROFILE\n");
		return 2;
	}
	if (cert_new(&cert, &e) != ERR_OK || dtls_context_new(cert, &g.ctx, &e) != ERR_OK) {
		fprintf(stderr, "rtstage-load: %s\n", e.msg);
		return 1;
	}
	g.fp = cert_fingerprint(cert);
	g.ep = epoll_create1(EPOLL_CLOEXEC);
	say("fingerprint %s", g.fp);
	rc = serve();
	for (size_t i = 0; i < g.n; i++) {
		if (g.peers[i]->dtls != NULL)
			dtls_endpoint_free(g.peers[i]->dtls);
		srtp_session_free(g.peers[i]->in);
		srtp_session_free(g.peers[i]->out);
		close(g.peers[i]->fd);
		free(g.peers[i]);
	}
	dtls_context_free(g.ctx);
	cert_free(cert);
	return rc;
}
