/* SDP: every captured client offer parsed, planned and answered, the
 * answers parsed back and checked (mids, codecs, payload types, extension
 * ids, candidates, setup, ssrcs); offers without H.264 constrained
 * baseline refused with the codec refusal; aiortc's reused extension ids;
 * malformed offers and unservable transports as tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "media/sdp.h"
#include "data/sdp_samples.h"

static const struct sdp_candidate cands[] = {
	{ 0, "192.0.2.10", 4443, 2130706431u },
	{ 1, "192.0.2.10", 4443, 1671430143u },
	{ 0, "2001:db8::10", 4443, 2130706175u },
};

static struct sdp_local
local(void)
{
	struct sdp_local l;
	size_t i;

	memset(&l, 0, sizeof(l));
	l.ufrag = "Srv1";
	l.pwd = "ServerPassword/0123+456789";
	for (i = 0; i < SDP_FINGERPRINT_LEN; i++)
		l.fingerprint[i] = (uint8_t)(0xA0 + i);
	l.cand = cands;
	l.n_cand = sizeof(cands) / sizeof(cands[0]);
	l.session_id = 42;
	l.audio = (struct sdp_stream){ 1111, 0, "rtstage", "stream-a", "audio-a" };
	l.video = (struct sdp_stream){ 2222, 2223, "rtstage", "stream-a", "video-a" };
	return l;
}

static struct sdp_offer *
parse_ok(const char *text)
{
	struct sdp_offer *o = calloc(1, sizeof(*o));
	struct err e;

	assert_non_null(o);
	if (sdp_parse(text, strlen(text), o, &e) != ERR_OK)
		fail_msg("parse: %s", e.msg);
	return o;
}

static const struct sdp_format *
format(const struct sdp_media *m, int pt)
{
	size_t i;

	for (i = 0; i < m->n_fmt; i++)
		if (m->fmt[i].pt == pt)
			return &m->fmt[i];
	return NULL;
}

static int
ext_id(const struct sdp_media *m, enum sdp_ext x)
{
	size_t i;

	for (i = 0; i < m->n_ext; i++)
		if (m->ext[i].ext == x)
			return m->ext[i].id;
	return 0;
}

/* What an answer to one sample must say. */
struct sample {
	const char *name;
	const char *offer;
	enum sdp_role role;
	int audio_pt, video_pt, rtx_pt;
	int audio_ext[SDP_EXT__COUNT], video_ext[SDP_EXT__COUNT];
	unsigned video_fb;
};

#define ALL_FB (SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TCC)

static const struct sample samples[] = {
	{ "SDK publish", sdp_sample_publish, SDP_PUBLISH, 111, 108, 109,
	  { [SDP_EXT_MID] = 4, [SDP_EXT_ABS_SEND_TIME] = 2, [SDP_EXT_TWCC] = 3, [SDP_EXT_AUDIO_LEVEL] = 1 },
	  { [SDP_EXT_MID] = 4, [SDP_EXT_ABS_SEND_TIME] = 2, [SDP_EXT_TWCC] = 3 }, ALL_FB },
	{ "SDK subscribe", sdp_sample_subscribe, SDP_SUBSCRIBE, 111, 108, 109,
	  { [SDP_EXT_MID] = 4, [SDP_EXT_ABS_SEND_TIME] = 2, [SDP_EXT_TWCC] = 3, [SDP_EXT_AUDIO_LEVEL] = 1 },
	  { [SDP_EXT_MID] = 4, [SDP_EXT_ABS_SEND_TIME] = 2, [SDP_EXT_TWCC] = 3 }, ALL_FB },
	/* aiortc gives id 2 to audio-level in audio and abs-send-time in video. */
	{ "aiortc publish", sdp_sample_aiortc, SDP_PUBLISH, 96, 101, 102,
	  { [SDP_EXT_MID] = 1, [SDP_EXT_AUDIO_LEVEL] = 2 },
	  { [SDP_EXT_MID] = 1, [SDP_EXT_ABS_SEND_TIME] = 2 }, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_REMB },
	{ "aiortc subscribe", sdp_sample_aiortc, SDP_SUBSCRIBE, 96, 101, 102,
	  { [SDP_EXT_MID] = 1, [SDP_EXT_AUDIO_LEVEL] = 2 },
	  { [SDP_EXT_MID] = 1, [SDP_EXT_ABS_SEND_TIME] = 2 }, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_REMB },
};

/* The candidates appear in the first section only, each once. */
static void
check_candidates(const char *answer)
{
	const char *m1 = strstr(answer, "\r\nm="), *m2 = m1 ? strstr(m1 + 2, "\r\nm=") : NULL;
	const char *c;

	assert_non_null(m2);
	c = strstr(answer, "a=candidate:1 1 udp 2130706431 192.0.2.10 4443 typ host\r\n");
	assert_true(c != NULL && c > m1 && c < m2);
	c = strstr(answer, "a=candidate:2 1 tcp 1671430143 192.0.2.10 4443 typ host tcptype passive\r\n");
	assert_true(c != NULL && c > m1 && c < m2);
	c = strstr(answer, "a=candidate:3 1 udp 2130706175 2001:db8::10 4443 typ host\r\n");
	assert_true(c != NULL && c > m1 && c < m2);
	assert_null(strstr(m2, "a=candidate"));
	assert_non_null(strstr(answer, "m=audio 4443 UDP/TLS/RTP/SAVPF "));
	assert_non_null(strstr(answer, "c=IN IP4 192.0.2.10\r\n"));
}

static void
check_section(const struct sdp_media *a, const struct sdp_media *offered, int pt, int rtx,
    const int *ext, enum sdp_dir dir, const struct sdp_local *l)
{
	const struct sdp_format *f;
	size_t x;

	assert_string_equal(a->mid, offered->mid);
	assert_true(a->port != 0);
	assert_int_equal(a->setup, SDP_SETUP_PASSIVE);
	assert_true(a->rtcp_mux);
	assert_string_equal(a->ufrag, l->ufrag);
	assert_string_equal(a->pwd, l->pwd);
	assert_true(a->has_fingerprint);
	assert_memory_equal(a->fingerprint, l->fingerprint, SDP_FINGERPRINT_LEN);
	assert_int_equal(a->dir, dir);
	assert_int_equal(a->n_fmt, rtx >= 0 ? 2 : 1);
	assert_int_equal(a->fmt[0].pt, pt);
	assert_non_null(f = format(a, pt));
	if (a->kind == SDP_AUDIO) {
		assert_string_equal(f->name, "opus");
		assert_int_equal(f->clock, 48000);
		assert_int_equal(f->channels, 2);
	} else {
		assert_string_equal(f->name, "H264");
		assert_int_equal(f->clock, 90000);
		assert_int_equal(f->packetization_mode, 1);
		assert_int_equal(f->profile_level_id, SDP_H264_PROFILE_LEVEL_ID);
	}
	if (rtx >= 0) {
		assert_non_null(f = format(a, rtx));
		assert_string_equal(f->name, "rtx");
		assert_int_equal(f->apt, pt);
	}
	for (x = 1; x < SDP_EXT__COUNT; x++)
		assert_int_equal(ext_id(a, (enum sdp_ext)x), ext[x]);
	for (x = 0; x < a->n_ext; x++)
		assert_int_not_equal(a->ext[x].ext, SDP_EXT_OTHER);
}

static void
test_samples(void **state)
{
	struct sdp_local l = local();
	struct sdp_offer *o, *a;
	struct sdp_plan p;
	struct buf out;
	struct err e;
	size_t i;
	enum sdp_dir dir;

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		o = parse_ok(s->offer);
		if (sdp_plan_make(o, s->role, &p, &e) != ERR_OK)
			fail_msg("%s: plan: %s", s->name, e.msg);
		assert_int_equal(p.audio, 0);
		assert_int_equal(p.video, 1);
		assert_int_equal(p.tagged, 0);
		assert_string_equal(p.remote_ufrag, o->m[0].ufrag);
		assert_int_equal(p.pick[1].fb, s->video_fb);
		buf_init(&out, LIMIT_SDP_BYTES);
		if (sdp_answer_write(o, &p, &l, &out, &e) != ERR_OK)
			fail_msg("%s: answer: %s", s->name, e.msg);
		a = parse_ok(buf_cstr(&out));
		assert_true(a->ice_lite);
		assert_int_equal(a->n_media, 2);
		assert_int_equal(a->n_bundle, 2);
		assert_string_equal(a->bundle[0], "0");
		assert_string_equal(a->bundle[1], "1");
		dir = s->role == SDP_PUBLISH ? SDP_RECVONLY : SDP_SENDONLY;
		check_section(&a->m[0], &o->m[0], s->audio_pt, -1, s->audio_ext, dir, &l);
		check_section(&a->m[1], &o->m[1], s->video_pt, s->rtx_pt, s->video_ext, dir, &l);
		check_candidates(buf_cstr(&out));
		if (s->role == SDP_SUBSCRIBE) {
			assert_int_equal(a->m[1].n_fid, 1);
			assert_int_equal(a->m[1].fid[0].media, 2222);
			assert_int_equal(a->m[1].fid[0].rtx, 2223);
			assert_string_equal(a->m[1].msid_stream, "stream-a");
			assert_string_equal(a->m[1].msid_track, "video-a");
			assert_int_equal(a->m[0].n_ssrc, 1);
			assert_int_equal(a->m[0].ssrc[0], 1111);
		} else {
			assert_int_equal(a->m[0].n_ssrc, 0);
			assert_int_equal(a->m[1].n_ssrc, 0);
		}
		buf_free(&out);
		free(a);
		free(o);
	}
}

/* The publisher's SSRCs come from its offer. */
static void
test_publisher_ssrcs(void **state)
{
	struct sdp_offer *o = parse_ok(sdp_sample_publish);
	struct sdp_plan p;
	struct err e;

	(void)state;
	assert_int_equal(sdp_plan_make(o, SDP_PUBLISH, &p, &e), ERR_OK);
	assert_int_equal(p.pick[0].ssrc, 1154704465u);
	assert_int_equal(p.pick[0].rtx_ssrc, 0);
	assert_int_equal(p.pick[1].ssrc, 781702994u);
	assert_int_equal(p.pick[1].rtx_ssrc, 3814606981u);
	assert_string_equal(o->m[1].msid_track, "3d8124fd-1394-477f-8308-1baec40a5b92");
	assert_int_equal(o->m[0].dir, SDP_SENDONLY);
	assert_int_equal(o->m[1].dir, SDP_SENDRECV);
	assert_int_equal(o->m[0].setup, SDP_SETUP_ACTPASS);
	free(o);
}

/* Chromium's own answer parses too (it is what a fake SFU returned). */
static void
test_chromium_answer_parses(void **state)
{
	struct sdp_offer *o = parse_ok(sdp_sample_publish_answer);

	(void)state;
	assert_int_equal(o->n_media, 2);
	assert_int_equal(o->m[0].setup, SDP_SETUP_ACTIVE);
	assert_int_equal(o->m[0].port, 50514);
	free(o);
}

/* ---- small offers built from parts ---- */

#define SESSION "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define BUNDLE "a=group:BUNDLE 0 1\r\n"
#define TRANSPORT "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n" \
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:" \
	"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:actpass\r\na=rtcp-mux\r\n"
#define AUDIO "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" TRANSPORT \
	"a=sendonly\r\na=rtpmap:111 opus/48000/2\r\n"
#define VIDEO_M "m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n" \
	TRANSPORT "a=sendonly\r\n"
#define H264(plid, mode) "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=" mode \
	";profile-level-id=" plid "\r\na=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n"

struct crow {
	const char *name;
	const char *offer;
	enum sdp_refusal refusal;
	uint32_t plid;			/* when served */
};

static const struct crow crows[] = {
	{ "42e01f", SESSION BUNDLE AUDIO VIDEO_M H264("42e01f", "1"), SDP_REFUSE_NONE, 0x42e01f },
	{ "42E01F in capitals", SESSION BUNDLE AUDIO VIDEO_M H264("42E01F", "1"), SDP_REFUSE_NONE, 0x42e01f },
	{ "constrained baseline 5.1", SESSION BUNDLE AUDIO VIDEO_M H264("42e033", "1"), SDP_REFUSE_NONE, 0x42e033 },
	{ "42c01f (set1 only)", SESSION BUNDLE AUDIO VIDEO_M H264("42c01f", "1"), SDP_REFUSE_NONE, 0x42c01f },
	{ "4d801f main with set0 = constrained baseline", SESSION BUNDLE AUDIO VIDEO_M H264("4d801f", "1"), SDP_REFUSE_NONE, 0x4d801f },
	{ "video only", SESSION "a=group:BUNDLE 1\r\n" VIDEO_M H264("42e01f", "1"), SDP_REFUSE_NONE, 0x42e01f },
	{ "one section without mid or BUNDLE", SESSION "m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\n"
	  TRANSPORT "a=sendonly\r\n" H264("42e01f", "1"), SDP_REFUSE_NONE, 0x42e01f },
	{ "baseline 42001f", SESSION BUNDLE AUDIO VIDEO_M H264("42001f", "1"), SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "main 4d001f", SESSION BUNDLE AUDIO VIDEO_M H264("4d001f", "1"), SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "high 64001f", SESSION BUNDLE AUDIO VIDEO_M H264("64001f", "1"), SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "packetization-mode 0", SESSION BUNDLE AUDIO VIDEO_M H264("42e01f", "0"), SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "profile-level-id malformed", SESSION BUNDLE AUDIO VIDEO_M H264("42e0zz", "1"), SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "VP8 only", SESSION BUNDLE AUDIO VIDEO_M "a=rtpmap:102 VP8/90000\r\n", SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "no video section", SESSION "a=group:BUNDLE 0\r\n" AUDIO, SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "video outside the bundle", SESSION "a=group:BUNDLE 0\r\n" AUDIO VIDEO_M H264("42e01f", "1"), SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "video rejected by the offerer", SESSION BUNDLE AUDIO "m=video 0 UDP/TLS/RTP/SAVPF 102\r\na=mid:1\r\n" TRANSPORT H264("42e01f", "1"), SDP_REFUSE_VIDEO_CODEC, 0 },
	{ "no BUNDLE with two sections", SESSION AUDIO VIDEO_M H264("42e01f", "1"), SDP_REFUSE_OFFER, 0 },
	{ "offer is ice-lite", SESSION "a=ice-lite\r\n" BUNDLE AUDIO VIDEO_M H264("42e01f", "1"), SDP_REFUSE_OFFER, 0 },
	{ "offer is passive", SESSION BUNDLE AUDIO VIDEO_M "a=setup:passive\r\n" H264("42e01f", "1"), SDP_REFUSE_OFFER, 0 },
	{ "no rtcp-mux", SESSION "a=group:BUNDLE 1\r\n" "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:1\r\n"
	  "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
	  "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
	  H264("42e01f", "1"), SDP_REFUSE_OFFER, 0 },
	{ "no fingerprint", SESSION "a=group:BUNDLE 1\r\n" "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:1\r\n"
	  "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=rtcp-mux\r\n"
	  "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\n"
	  H264("42e01f", "1"), SDP_REFUSE_OFFER, 0 },
	{ "session-level transport", SESSION BUNDLE TRANSPORT "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
	  "a=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\nm=video 9 UDP/TLS/RTP/SAVPF 102 103\r\na=mid:1\r\na=rtcp-mux\r\n"
	  H264("42e01f", "1"), SDP_REFUSE_NONE, 0x42e01f },
};

static void
test_codecs(void **state)
{
	struct sdp_local l = local();
	struct sdp_offer *o, *a;
	struct sdp_plan p;
	struct buf out;
	struct err e;
	enum err_code rc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(crows) / sizeof(crows[0]); i++) {
		o = parse_ok(crows[i].offer);
		rc = sdp_plan_make(o, SDP_PUBLISH, &p, &e);
		if ((rc == ERR_OK) != (crows[i].refusal == SDP_REFUSE_NONE) ||
		    p.refusal != crows[i].refusal)
			fail_msg("%s: got %d refusal %d (%s)", crows[i].name, rc, p.refusal,
			    rc ? e.msg : "ok");
		if (rc == ERR_OK) {
			assert_int_equal(p.pick[p.video].pt, 102);
			assert_int_equal(p.pick[p.video].rtx_pt, 103);
			assert_int_equal(p.pick[p.video].profile_level_id, crows[i].plid);
			buf_init(&out, LIMIT_SDP_BYTES);
			assert_int_equal(sdp_answer_write(o, &p, &l, &out, &e), ERR_OK);
			a = parse_ok(buf_cstr(&out));
			assert_int_equal(a->m[p.video].fmt[0].profile_level_id, crows[i].plid);
			assert_int_equal(a->m[p.video].fmt[0].packetization_mode, 1);
			free(a);
			buf_free(&out);
		} else {
			assert_int_equal(rc, ERR_VALIDATION);
			buf_init(&out, LIMIT_SDP_BYTES);
			assert_int_not_equal(sdp_answer_write(o, &p, &l, &out, &e), ERR_OK);
			buf_free(&out);
		}
		free(o);
	}
}

/* 42e01f wins over other acceptable profiles wherever it is offered. */
static void
test_prefers_42e01f(void **state)
{
	static const char offer[] = SESSION "a=group:BUNDLE 1\r\n"
	    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\na=mid:1\r\n" TRANSPORT
	    "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e00a\r\n"
	    "a=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=1;profile-level-id=42e034\r\n"
	    "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1;profile-level-id=42e01f\r\n";
	struct sdp_offer *o = parse_ok(offer);
	struct sdp_plan p;
	struct err e;

	(void)state;
	assert_int_equal(sdp_plan_make(o, SDP_SUBSCRIBE, &p, &e), ERR_OK);
	assert_int_equal(p.pick[0].pt, 98);
	assert_int_equal(p.pick[0].rtx_pt, -1);
	assert_int_equal(p.pick[0].dir, SDP_SENDONLY);
	free(o);
}

/* A data channel and a second video are rejected with port 0 and left out
 * of the bundle; simulcast is recognised and not answered. */
static void
test_rejected_sections(void **state)
{
	static const char offer[] = SESSION "a=group:BUNDLE 0 1 2 3\r\n" AUDIO VIDEO_M
	    H264("42e01f", "1") "a=rid:h send\r\na=rid:l send\r\na=simulcast:send h;l\r\n"
	    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n" TRANSPORT
	    "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:3\r\n" TRANSPORT H264("42e01f", "1");
	struct sdp_local l = local();
	struct sdp_offer *o = parse_ok(offer), *a;
	struct sdp_plan p;
	struct buf out;
	struct err e;
	const char *text;

	(void)state;
	assert_true(o->m[1].has_rid);
	assert_true(o->m[1].has_simulcast);
	assert_int_equal(o->m[2].kind, SDP_APPLICATION);
	assert_int_equal(sdp_plan_make(o, SDP_PUBLISH, &p, &e), ERR_OK);
	assert_false(p.pick[2].accepted);
	assert_false(p.pick[3].accepted);
	buf_init(&out, LIMIT_SDP_BYTES);
	assert_int_equal(sdp_answer_write(o, &p, &l, &out, &e), ERR_OK);
	text = buf_cstr(&out);
	assert_non_null(strstr(text, "a=group:BUNDLE 0 1\r\n"));
	assert_non_null(strstr(text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
	assert_non_null(strstr(text, "m=video 0 UDP/TLS/RTP/SAVPF 102\r\n"));
	assert_null(strstr(text, "a=rid"));
	assert_null(strstr(text, "a=simulcast"));
	a = parse_ok(text);
	assert_int_equal(a->n_media, 4);
	assert_string_equal(a->m[2].mid, "2");
	assert_int_equal(a->m[2].port, 0);
	assert_int_equal(a->m[3].port, 0);
	assert_int_equal(a->m[3].dir, SDP_INACTIVE);
	free(a);
	free(o);
	buf_free(&out);
}

/* ---- malformed offers ---- */

struct mrow {
	const char *name;
	const char *offer;
};

#define OK_TAIL BUNDLE AUDIO VIDEO_M H264("42e01f", "1")

static const struct mrow mrows[] = {
	{ "empty", "" },
	{ "first line not v=0", "o=- 1 2 IN IP4 0.0.0.0\r\nv=0\r\n" OK_TAIL },
	{ "v=1", "v=1\r\n" OK_TAIL },
	{ "no media", SESSION BUNDLE },
	{ "line without =", SESSION "a\r\n" OK_TAIL },
	{ "capital type", SESSION "A=foo\r\n" OK_TAIL },
	{ "empty line inside", SESSION "\r\n" OK_TAIL },
	{ "control character", SESSION "s=a\x01" "b\r\n" OK_TAIL },
	{ "NUL", SESSION "s=a\0b\r\n" OK_TAIL },
	{ "m= without format", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF\r\n" },
	{ "m= port over 65535", SESSION "m=audio 65536 UDP/TLS/RTP/SAVPF 111\r\n" },
	{ "m= port not a number", SESSION "m=audio x UDP/TLS/RTP/SAVPF 111\r\n" },
	{ "m= payload type 128", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n" },
	{ "m= payload type twice", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n" },
	{ "m= payload type negative", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF -1\r\n" },
	{ "rtpmap without clock", SESSION BUNDLE AUDIO "a=rtpmap:111 opus\r\n" },
	{ "rtpmap clock zero", SESSION BUNDLE AUDIO "a=rtpmap:111 opus/0\r\n" },
	{ "rtpmap twice", SESSION BUNDLE AUDIO "a=rtpmap:111 opus/48000/2\r\n" },
	{ "rtpmap channels junk", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/x\r\n" },
	{ "fmtp without pt", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fmtp:x minptime=10\r\n" },
	{ "rtcp-fb without type", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtcp-fb:111\r\n" },
	{ "extmap id 0", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:0 urn:x\r\n" },
	{ "extmap id 256", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:256 urn:x\r\n" },
	{ "extmap without uri", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:3\r\n" },
	{ "extmap id twice in a section", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
	  "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:3 urn:x\r\n" },
	{ "fingerprint too short", SESSION "a=fingerprint:sha-256 00:11\r\n" OK_TAIL },
	{ "fingerprint not hex", SESSION "a=fingerprint:sha-256 0G:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" OK_TAIL },
	{ "setup unknown", SESSION "a=setup:both\r\n" OK_TAIL },
	{ "ice-ufrag too short", SESSION "a=ice-ufrag:abc\r\n" OK_TAIL },
	{ "ice-ufrag bad character", SESSION "a=ice-ufrag:ab-cd\r\n" OK_TAIL },
	{ "ice-pwd too short", SESSION "a=ice-pwd:short\r\n" OK_TAIL },
	{ "mid empty", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:\r\n" },
	{ "mid twice in a section", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=mid:1\r\n" },
	{ "one mid for two sections", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
	  "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\n" },
	{ "ssrc not a number", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ssrc:abc cname:x\r\n" },
	{ "ssrc over 32 bits", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ssrc:4294967296 cname:x\r\n" },
	{ "ssrc-group FID of one", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ssrc-group:FID 1\r\n" },
	{ "msid too long", SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=msid:"
	  "0123456789012345678901234567890123456789012345678901234567890123456789 t\r\n" },
};

static void
test_malformed(void **state)
{
	struct sdp_offer *o = calloc(1, sizeof(*o));
	struct err e;
	size_t i, n;

	(void)state;
	assert_non_null(o);
	for (i = 0; i < sizeof(mrows) / sizeof(mrows[0]); i++) {
		n = strlen(mrows[i].offer);
		if (strcmp(mrows[i].name, "NUL") == 0)
			n = sizeof(SESSION "s=a\0b\r\n" OK_TAIL) - 1;
		if (sdp_parse(mrows[i].offer, n, o, &e) != ERR_VALIDATION)
			fail_msg("%s: accepted", mrows[i].name);
	}
	free(o);
}

/* The bounds: bytes, lines, line length, sections. */
static void
test_bounds(void **state)
{
	struct sdp_offer *o = calloc(1, sizeof(*o));
	struct buf b;
	struct err e;
	size_t i;

	(void)state;
	assert_non_null(o);
	buf_init(&b, 4 * LIMIT_SDP_BYTES);
	buf_puts(&b, SESSION OK_TAIL);
	for (i = 0; i < LIMIT_SDP_LINES; i++)
		buf_puts(&b, "a=x\r\n");
	assert_int_equal(sdp_parse(b.data, b.len, o, &e), ERR_VALIDATION);
	buf_reset(&b);
	buf_puts(&b, SESSION OK_TAIL "a=");
	for (i = 0; i < LIMIT_SDP_LINE_BYTES; i++)
		buf_puts(&b, "x");
	assert_int_equal(sdp_parse(b.data, b.len, o, &e), ERR_VALIDATION);
	buf_reset(&b);
	buf_puts(&b, SESSION);
	for (i = 0; i <= LIMIT_SDP_SECTIONS; i++)
		buf_printf(&b, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:%zu\r\n", i);
	assert_int_equal(sdp_parse(b.data, b.len, o, &e), ERR_VALIDATION);
	buf_reset(&b);
	buf_puts(&b, SESSION "m=video 9 UDP/TLS/RTP/SAVPF");
	for (i = 0; i <= LIMIT_SDP_FORMATS; i++)
		buf_printf(&b, " %zu", i);
	buf_puts(&b, "\r\n");
	assert_int_equal(sdp_parse(b.data, b.len, o, &e), ERR_VALIDATION);
	/* LF line ends and unknown attributes are fine. */
	buf_reset(&b);
	buf_puts(&b, "v=0\no=- 1 2 IN IP4 0.0.0.0\ns=-\nt=0 0\na=group:BUNDLE 1\n"
	    "a=x-unknown:anything at all\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:1\n"
	    "a=made-up\nz=whatever\n");
	assert_int_equal(sdp_parse(b.data, b.len, o, &e), ERR_OK);
	assert_string_equal(o->m[0].mid, "1");
	buf_free(&b);
	free(o);
}

/* Values the caller gives that would corrupt the answer are refused. */
static void
test_local_refused(void **state)
{
	struct sdp_offer *o = parse_ok(sdp_sample_subscribe);
	struct sdp_candidate bad_ip = { 0, "192.0.2.1\r\na=evil", 9, 1 };
	struct sdp_local l;
	struct sdp_plan p;
	struct buf out;
	struct err e;
	int k;

	(void)state;
	assert_int_equal(sdp_plan_make(o, SDP_SUBSCRIBE, &p, &e), ERR_OK);
	for (k = 0; k < 5; k++) {
		l = local();
		switch (k) {
		case 0: l.ufrag = "ab"; break;
		case 1: l.pwd = "short"; break;
		case 2: l.cand = &bad_ip; l.n_cand = 1; break;
		case 3: l.video.cname = "a b"; break;
		case 4: l.n_cand = LIMIT_SDP_CANDIDATES + 1; break;
		}
		buf_init(&out, LIMIT_SDP_BYTES);
		if (sdp_answer_write(o, &p, &l, &out, &e) != ERR_VALIDATION)
			fail_msg("local case %d accepted", k);
		buf_free(&out);
	}
	free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_publisher_ssrcs),
		cmocka_unit_test(test_chromium_answer_parses),
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_prefers_42e01f),
		cmocka_unit_test(test_rejected_sections),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_local_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
