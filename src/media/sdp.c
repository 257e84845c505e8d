/* SDP offers parsed into plain structs, the SFU's choice per section and
 * its ICE-lite answer. Lines are read as (pointer, length) views; every
 * attribute the SFU relies on has one row in a table and one small reader.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "media/sdp.h"
#include "util/num.h"

/* A (pointer, length) view into the offer's text. */
struct view {
	const char *p;
	size_t n;
};

/* The parser's state: the offer, the section being read (NULL before the
 * first m= line), session-level values inherited by sections, the line
 * number for messages. */
struct parse {
	struct sdp_offer *o;
	struct sdp_media *m;
	char ufrag[LIMIT_SDP_ICE_TOKEN + 1], pwd[LIMIT_SDP_ICE_TOKEN + 1];
	uint8_t fingerprint[SDP_FINGERPRINT_LEN];
	int has_fingerprint;
	enum sdp_setup setup;
	int has_bundle;
	size_t line;
	struct err *e;
};

/* ---- views ---- */

static int
view_eq(struct view v, const char *s)
{
	return v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

static int
view_ieq(struct view v, const char *s)
{
	return v.n == strlen(s) && strncasecmp(v.p, s, v.n) == 0;
}

/* Takes the next space-separated token from *v (runs of spaces skipped);
 * returns 0 when none is left. */
static int
view_token(struct view *v, struct view *tok)
{
	while (v->n > 0 && *v->p == ' ') {
		v->p++;
		v->n--;
	}
	tok->p = v->p;
	tok->n = 0;
	while (tok->n < v->n && v->p[tok->n] != ' ')
		tok->n++;
	v->p += tok->n;
	v->n -= tok->n;
	return tok->n > 0;
}

/* Splits *v at the first c: *head is what precedes it, *v what follows.
 * Returns 0 (and leaves *v whole in *head) when c is absent. */
static int
view_split(struct view *v, char c, struct view *head)
{
	const char *at = memchr(v->p, c, v->n);

	head->p = v->p;
	if (at == NULL) {
		head->n = v->n;
		v->p += v->n;
		v->n = 0;
		return 0;
	}
	head->n = (size_t)(at - v->p);
	v->n -= head->n + 1;
	v->p = at + 1;
	return 1;
}

/* Reads v as a decimal number within [0, max] with the one number parser. */
static int
view_number(struct view v, long long max, long long *out)
{
	char text[24];
	struct err scratch;

	if (v.n == 0 || v.n >= sizeof(text))
		return -1;
	memcpy(text, v.p, v.n);
	text[v.n] = '\0';
	return num_parse(text, 0, max, "number", out, &scratch) == ERR_OK ? 0 : -1;
}

/* Copies v into a buffer of cap bytes (NUL included) if it fits and every
 * byte is visible ASCII; returns 0 or -1. */
static int
view_copy_token(struct view v, char *out, size_t cap)
{
	size_t i;

	if (v.n == 0 || v.n >= cap)
		return -1;
	for (i = 0; i < v.n; i++)
		if (v.p[i] <= ' ' || v.p[i] > '~')
			return -1;
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	return 0;
}

/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/". */
static int
ice_chars(const char *s, size_t n, size_t min)
{
	size_t i;

	if (n < min || n > LIMIT_SDP_ICE_TOKEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			return 0;
	return 1;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum err_code
bad(struct parse *ps, const char *what)
{
	return err_set(ps->e, ERR_VALIDATION, "SDP line %zu: %s", ps->line, what);
}

/* ---- the section's formats ---- */

static struct sdp_format *
format_find(struct sdp_media *m, long long pt)
{
	size_t i;

	for (i = 0; m != NULL && i < m->n_fmt; i++)
		if (m->fmt[i].pt == pt)
			return &m->fmt[i];
	return NULL;
}

/* Reads "<pt> " from the front of *v: the payload type as a number. */
static int
take_pt(struct view *v, long long *pt)
{
	struct view tok;

	return view_token(v, &tok) && view_number(tok, 127, pt) == 0 ? 0 : -1;
}

/* ---- attribute readers: each takes the value after "a=name:" ---- */

static enum err_code
a_group(struct parse *ps, struct view v)
{
	struct view tok;

	if (!view_token(&v, &tok))
		return bad(ps, "a=group without semantics");
	if (!view_eq(tok, "BUNDLE") || ps->has_bundle)
		return ERR_OK;
	ps->has_bundle = 1;
	while (view_token(&v, &tok)) {
		if (ps->o->n_bundle == LIMIT_SDP_SECTIONS)
			return bad(ps, "a=group:BUNDLE lists more mids than sections are allowed");
		if (view_copy_token(tok, ps->o->bundle[ps->o->n_bundle], LIMIT_SDP_TOKEN + 1) != 0)
			return bad(ps, "a=group:BUNDLE mid malformed");
		ps->o->n_bundle++;
	}
	return ERR_OK;
}

static enum err_code
a_ice_ufrag(struct parse *ps, struct view v)
{
	char *dst = ps->m ? ps->m->ufrag : ps->ufrag;

	if (!ice_chars(v.p, v.n, 4))
		return bad(ps, "a=ice-ufrag must be 4-256 ice-chars");
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
	return ERR_OK;
}

static enum err_code
a_ice_pwd(struct parse *ps, struct view v)
{
	char *dst = ps->m ? ps->m->pwd : ps->pwd;

	if (!ice_chars(v.p, v.n, 22))
		return bad(ps, "a=ice-pwd must be 22-256 ice-chars");
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
	return ERR_OK;
}

static enum err_code
a_ice_lite(struct parse *ps, struct view v)
{
	(void)v;
	ps->o->ice_lite = 1;
	return ERR_OK;
}

/* "sha-256 AB:CD:..."; other hash functions are skipped. */
static enum err_code
a_fingerprint(struct parse *ps, struct view v)
{
	uint8_t fp[SDP_FINGERPRINT_LEN];
	struct view alg, hex;
	size_t i;
	int hi, lo;

	if (!view_token(&v, &alg) || !view_token(&v, &hex) || v.n != 0)
		return bad(ps, "a=fingerprint is not \"<hash> <hex>\"");
	if (!view_ieq(alg, "sha-256"))
		return ERR_OK;
	if (hex.n != 3 * SDP_FINGERPRINT_LEN - 1)
		return bad(ps, "a=fingerprint sha-256 must be 32 colon-separated bytes");
	for (i = 0; i < SDP_FINGERPRINT_LEN; i++) {
		hi = hex_digit(hex.p[3 * i]);
		lo = hex_digit(hex.p[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i + 1 < SDP_FINGERPRINT_LEN && hex.p[3 * i + 2] != ':'))
			return bad(ps, "a=fingerprint sha-256 must be 32 colon-separated bytes");
		fp[i] = (uint8_t)(hi << 4 | lo);
	}
	if (ps->m) {
		memcpy(ps->m->fingerprint, fp, sizeof(fp));
		ps->m->has_fingerprint = 1;
	} else {
		memcpy(ps->fingerprint, fp, sizeof(fp));
		ps->has_fingerprint = 1;
	}
	return ERR_OK;
}

static const struct {
	const char *name;
	enum sdp_setup setup;
} setups[] = {
	{ "actpass", SDP_SETUP_ACTPASS },
	{ "active", SDP_SETUP_ACTIVE },
	{ "passive", SDP_SETUP_PASSIVE },
	{ "holdconn", SDP_SETUP_HOLDCONN },
};

static enum err_code
a_setup(struct parse *ps, struct view v)
{
	size_t i;

	for (i = 0; i < sizeof(setups) / sizeof(setups[0]); i++)
		if (view_eq(v, setups[i].name)) {
			*(ps->m ? &ps->m->setup : &ps->setup) = setups[i].setup;
			return ERR_OK;
		}
	return bad(ps, "a=setup must be actpass, active, passive or holdconn");
}

static enum err_code
a_mid(struct parse *ps, struct view v)
{
	if (ps->m == NULL)
		return ERR_OK;
	if (ps->m->mid[0] != '\0')
		return bad(ps, "a second a=mid in one section");
	if (view_copy_token(v, ps->m->mid, sizeof(ps->m->mid)) != 0)
		return bad(ps, "a=mid must be 1-64 visible characters");
	return ERR_OK;
}

static enum err_code
a_rtcp_mux(struct parse *ps, struct view v)
{
	(void)v;
	if (ps->m)
		ps->m->rtcp_mux = 1;
	return ERR_OK;
}

/* "<pt> <name>/<clock>[/<channels>]" */
static enum err_code
a_rtpmap(struct parse *ps, struct view v)
{
	struct view name, clock, rest;
	struct sdp_format *f;
	long long pt, hz, ch = 0;

	if (ps->m == NULL)
		return ERR_OK;
	if (take_pt(&v, &pt) != 0 || !view_token(&v, &rest) || v.n != 0)
		return bad(ps, "a=rtpmap is not \"<pt> <name>/<clock>[/<channels>]\"");
	if (!view_split(&rest, '/', &name) || name.n == 0 || name.n >= SDP_CODEC_NAME_MAX)
		return bad(ps, "a=rtpmap encoding name malformed");
	if (view_split(&rest, '/', &clock) && view_number(rest, 255, &ch) != 0)
		return bad(ps, "a=rtpmap channels malformed");
	if (view_number(clock, 10000000, &hz) != 0 || hz == 0)
		return bad(ps, "a=rtpmap clock rate malformed");
	if ((f = format_find(ps->m, pt)) == NULL)
		return ERR_OK;
	if (f->has_rtpmap)
		return bad(ps, "a second a=rtpmap for one payload type");
	f->has_rtpmap = 1;
	memcpy(f->name, name.p, name.n);
	f->name[name.n] = '\0';
	f->clock = (uint32_t)hz;
	f->channels = (uint8_t)ch;
	return ERR_OK;
}

/* One fmtp parameter the SFU reads. Unknown names and unreadable values
 * leave the format without it (it then cannot be chosen). */
static void
fmtp_param(struct sdp_format *f, struct view name, struct view value)
{
	long long x;
	uint32_t plid = 0;
	size_t i;
	int d;

	if (view_ieq(name, "packetization-mode") && view_number(value, 2, &x) == 0)
		f->packetization_mode = (int)x;
	else if (view_ieq(name, "apt") && view_number(value, 127, &x) == 0)
		f->apt = (int)x;
	else if (view_ieq(name, "profile-level-id") && value.n == 6) {
		for (i = 0; i < 6; i++) {
			if ((d = hex_digit(value.p[i])) < 0)
				return;
			plid = plid << 4 | (uint32_t)d;
		}
		f->profile_level_id = plid;
	}
}

/* "<pt> name=value;name=value" (a leading ';', as Chromium writes for
 * Opus, is allowed). */
static enum err_code
a_fmtp(struct parse *ps, struct view v)
{
	struct view param, name;
	struct sdp_format *f;
	long long pt;

	if (ps->m == NULL)
		return ERR_OK;
	if (take_pt(&v, &pt) != 0)
		return bad(ps, "a=fmtp is not \"<pt> <parameters>\"");
	if ((f = format_find(ps->m, pt)) == NULL)
		return ERR_OK;
	while (v.n > 0 && *v.p == ' ') {
		v.p++;
		v.n--;
	}
	while (v.n > 0) {
		view_split(&v, ';', &param);
		while (param.n > 0 && *param.p == ' ') {
			param.p++;
			param.n--;
		}
		if (param.n == 0)
			continue;
		if (view_split(&param, '=', &name))
			fmtp_param(f, name, param);
	}
	return ERR_OK;
}

static const struct {
	const char *type, *param;
	unsigned bit;
} feedback[] = {
	{ "nack", NULL, SDP_FB_NACK },
	{ "nack", "pli", SDP_FB_PLI },
	{ "ccm", "fir", SDP_FB_FIR },
	{ "goog-remb", NULL, SDP_FB_REMB },
	{ "transport-cc", NULL, SDP_FB_TCC },
};

/* "<pt>|* <type> [<param>]" */
static enum err_code
a_rtcp_fb(struct parse *ps, struct view v)
{
	struct view ptv, type, param = { "", 0 };
	unsigned bit = 0;
	long long pt = -1;
	size_t i;

	if (ps->m == NULL)
		return ERR_OK;
	if (!view_token(&v, &ptv) || !view_token(&v, &type))
		return bad(ps, "a=rtcp-fb is not \"<pt> <type> [<param>]\"");
	if (!view_eq(ptv, "*") && view_number(ptv, 127, &pt) != 0)
		return bad(ps, "a=rtcp-fb payload type malformed");
	(void)view_token(&v, &param);
	for (i = 0; i < sizeof(feedback) / sizeof(feedback[0]); i++)
		if (view_eq(type, feedback[i].type) &&
		    (feedback[i].param ? view_eq(param, feedback[i].param) : param.n == 0))
			bit = feedback[i].bit;
	for (i = 0; i < ps->m->n_fmt; i++)
		if (pt < 0 || ps->m->fmt[i].pt == pt)
			ps->m->fmt[i].fb |= bit;
	return ERR_OK;
}

static const struct {
	const char *uri;
	enum sdp_ext ext;
} extensions[] = {
	{ "urn:ietf:params:rtp-hdrext:sdes:mid", SDP_EXT_MID },
	{ "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", SDP_EXT_ABS_SEND_TIME },
	{ "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", SDP_EXT_TWCC },
	{ "urn:ietf:params:rtp-hdrext:ssrc-audio-level", SDP_EXT_AUDIO_LEVEL },
};

/* "<id>[/<direction>] <uri> [<attributes>]"; ids are the section's own. */
static enum err_code
a_extmap(struct parse *ps, struct view v)
{
	struct view idv, num, uri;
	struct sdp_extmap *x;
	long long id;
	size_t i;

	if (ps->m == NULL)
		return ERR_OK;
	if (!view_token(&v, &idv) || !view_token(&v, &uri))
		return bad(ps, "a=extmap is not \"<id> <uri>\"");
	(void)view_split(&idv, '/', &num);
	if (view_number(num, 255, &id) != 0 || id == 0)
		return bad(ps, "a=extmap id must be 1-255");
	for (i = 0; i < ps->m->n_ext; i++)
		if (ps->m->ext[i].id == id)
			return bad(ps, "a=extmap id used twice in one section");
	if (ps->m->n_ext == LIMIT_SDP_EXTMAPS)
		return bad(ps, "too many a=extmap lines in one section");
	x = &ps->m->ext[ps->m->n_ext++];
	x->id = (uint16_t)id;
	x->ext = SDP_EXT_OTHER;
	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (view_eq(uri, extensions[i].uri))
			x->ext = extensions[i].ext;
	return ERR_OK;
}

static int
ssrc_read(struct view v, uint32_t *out)
{
	long long x;

	if (view_number(v, UINT32_MAX, &x) != 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

/* "<ssrc> <attribute>[:<value>]" */
static enum err_code
a_ssrc(struct parse *ps, struct view v)
{
	struct view tok;
	uint32_t ssrc;
	size_t i;

	if (ps->m == NULL)
		return ERR_OK;
	if (!view_token(&v, &tok) || ssrc_read(tok, &ssrc) != 0 || !view_token(&v, &tok))
		return bad(ps, "a=ssrc is not \"<ssrc> <attribute>\"");
	for (i = 0; i < ps->m->n_ssrc; i++)
		if (ps->m->ssrc[i] == ssrc)
			return ERR_OK;
	if (ps->m->n_ssrc == LIMIT_SDP_SSRCS)
		return bad(ps, "too many SSRCs in one section");
	ps->m->ssrc[ps->m->n_ssrc++] = ssrc;
	return ERR_OK;
}

/* "FID <media> <rtx>"; other semantics (SIM, FEC-FR) are ignored. */
static enum err_code
a_ssrc_group(struct parse *ps, struct view v)
{
	struct view sem, a, b;
	struct sdp_fid fid;

	if (ps->m == NULL)
		return ERR_OK;
	if (!view_token(&v, &sem))
		return bad(ps, "a=ssrc-group without semantics");
	if (!view_eq(sem, "FID"))
		return ERR_OK;
	if (!view_token(&v, &a) || !view_token(&v, &b) || v.n != 0 ||
	    ssrc_read(a, &fid.media) != 0 || ssrc_read(b, &fid.rtx) != 0)
		return bad(ps, "a=ssrc-group:FID is not \"FID <ssrc> <ssrc>\"");
	if (ps->m->n_fid == LIMIT_SDP_GROUPS)
		return bad(ps, "too many a=ssrc-group lines in one section");
	ps->m->fid[ps->m->n_fid++] = fid;
	return ERR_OK;
}

/* "<stream id> [<track id>]" */
static enum err_code
a_msid(struct parse *ps, struct view v)
{
	struct view stream, track;

	if (ps->m == NULL)
		return ERR_OK;
	if (!view_token(&v, &stream) ||
	    view_copy_token(stream, ps->m->msid_stream, sizeof(ps->m->msid_stream)) != 0)
		return bad(ps, "a=msid stream id must be 1-64 visible characters");
	if (view_token(&v, &track) &&
	    view_copy_token(track, ps->m->msid_track, sizeof(ps->m->msid_track)) != 0)
		return bad(ps, "a=msid track id must be 1-64 visible characters");
	return ERR_OK;
}

static enum err_code
a_bundle_only(struct parse *ps, struct view v)
{
	(void)v;
	if (ps->m)
		ps->m->bundle_only = 1;
	return ERR_OK;
}

/* Simulcast is recognised, remembered and left out of the answer, which
 * tells the offerer to send one encoding (RFC 8853 section 5.3). */
static enum err_code
a_rid(struct parse *ps, struct view v)
{
	(void)v;
	if (ps->m)
		ps->m->has_rid = 1;
	return ERR_OK;
}

static enum err_code
a_simulcast(struct parse *ps, struct view v)
{
	(void)v;
	if (ps->m)
		ps->m->has_simulcast = 1;
	return ERR_OK;
}

/* Every attribute read; any other is ignored. */
static const struct {
	const char *name;
	enum err_code (*read)(struct parse *ps, struct view value);
} attributes[] = {
	{ "group", a_group },
	{ "ice-ufrag", a_ice_ufrag },
	{ "ice-pwd", a_ice_pwd },
	{ "ice-lite", a_ice_lite },
	{ "fingerprint", a_fingerprint },
	{ "setup", a_setup },
	{ "mid", a_mid },
	{ "rtcp-mux", a_rtcp_mux },
	{ "rtpmap", a_rtpmap },
	{ "fmtp", a_fmtp },
	{ "rtcp-fb", a_rtcp_fb },
	{ "extmap", a_extmap },
	{ "ssrc", a_ssrc },
	{ "ssrc-group", a_ssrc_group },
	{ "msid", a_msid },
	{ "bundle-only", a_bundle_only },
	{ "rid", a_rid },
	{ "simulcast", a_simulcast },
};

/* Direction attributes, by value. */
static const char *const dir_names[] = {
	[SDP_SENDRECV] = "sendrecv",
	[SDP_SENDONLY] = "sendonly",
	[SDP_RECVONLY] = "recvonly",
	[SDP_INACTIVE] = "inactive",
};

static enum err_code
attribute(struct parse *ps, struct view v)
{
	struct view name;
	size_t i;

	(void)view_split(&v, ':', &name);
	for (i = 0; i < sizeof(dir_names) / sizeof(dir_names[0]); i++)
		if (view_eq(name, dir_names[i])) {
			if (ps->m)
				ps->m->dir = (enum sdp_dir)i;
			return ERR_OK;
		}
	for (i = 0; i < sizeof(attributes) / sizeof(attributes[0]); i++)
		if (view_eq(name, attributes[i].name))
			return attributes[i].read(ps, v);
	return ERR_OK;
}

/* ---- m= lines ---- */

static const struct {
	const char *name;
	enum sdp_kind kind;
} kinds[] = {
	{ "audio", SDP_AUDIO },
	{ "video", SDP_VIDEO },
	{ "application", SDP_APPLICATION },
};

/* "<media> <port>[/<count>] <proto> <fmt> ..." */
static enum err_code
media_line(struct parse *ps, struct view v)
{
	struct view media, portv, port_num, proto, fmt;
	struct sdp_media *m;
	long long port, pt;
	size_t i;

	if (ps->o->n_media == LIMIT_SDP_SECTIONS)
		return bad(ps, "too many media sections");
	m = &ps->o->m[ps->o->n_media++];
	memset(m, 0, sizeof(*m));
	ps->m = m;
	if (!view_token(&v, &media) || !view_token(&v, &portv) || !view_token(&v, &proto))
		return bad(ps, "m= is not \"<media> <port> <proto> <fmt>...\"");
	if (view_copy_token(media, m->media, sizeof(m->media)) != 0 ||
	    view_copy_token(proto, m->proto, sizeof(m->proto)) != 0)
		return bad(ps, "m= media or proto malformed");
	(void)view_split(&portv, '/', &port_num);
	if (view_number(port_num, 65535, &port) != 0)
		return bad(ps, "m= port must be 0-65535");
	m->port = (uint16_t)port;
	m->kind = SDP_OTHER;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (view_eq(media, kinds[i].name))
			m->kind = kinds[i].kind;
	m->setup = SDP_SETUP_NONE;
	m->dir = SDP_SENDRECV;
	while (view_token(&v, &fmt)) {
		if (m->first_fmt[0] == '\0' &&
		    view_copy_token(fmt, m->first_fmt, sizeof(m->first_fmt)) != 0)
			return bad(ps, "m= format malformed");
		if (strstr(m->proto, "RTP/") == NULL)
			continue;
		if (view_number(fmt, 127, &pt) != 0)
			return bad(ps, "m= payload type must be 0-127");
		if (format_find(m, pt) != NULL)
			return bad(ps, "m= lists a payload type twice");
		if (m->n_fmt == LIMIT_SDP_FORMATS)
			return bad(ps, "m= lists too many payload types");
		m->fmt[m->n_fmt].pt = (uint8_t)pt;
		m->fmt[m->n_fmt].packetization_mode = -1;
		m->fmt[m->n_fmt].apt = -1;
		m->n_fmt++;
	}
	if (m->first_fmt[0] == '\0')
		return bad(ps, "m= without a format");
	return ERR_OK;
}

/* ---- lines ---- */

/* Checks one line (without its end) and dispatches it. */
static enum err_code
line(struct parse *ps, struct view l)
{
	struct view value = { l.p + 2, l.n >= 2 ? l.n - 2 : 0 };
	size_t i;

	if (l.n > LIMIT_SDP_LINE_BYTES)
		return bad(ps, "line too long");
	if (l.n < 2 || l.p[0] < 'a' || l.p[0] > 'z' || l.p[1] != '=')
		return bad(ps, "not \"<letter>=<value>\"");
	for (i = 2; i < l.n; i++)
		if ((unsigned char)l.p[i] < ' ' && l.p[i] != '\t')
			return bad(ps, "control character");
	if (ps->line == 1)
		return view_eq(l, "v=0") ? ERR_OK : bad(ps, "the first line must be v=0");
	if (l.p[0] == 'm')
		return media_line(ps, value);
	if (l.p[0] == 'a')
		return attribute(ps, value);
	return ERR_OK;
}

/* Gives each section the session's values it lacks. */
static void
inherit(struct parse *ps)
{
	struct sdp_media *m;
	size_t i;

	for (i = 0; i < ps->o->n_media; i++) {
		m = &ps->o->m[i];
		if (m->ufrag[0] == '\0')
			memcpy(m->ufrag, ps->ufrag, sizeof(m->ufrag));
		if (m->pwd[0] == '\0')
			memcpy(m->pwd, ps->pwd, sizeof(m->pwd));
		if (!m->has_fingerprint && ps->has_fingerprint) {
			memcpy(m->fingerprint, ps->fingerprint, sizeof(m->fingerprint));
			m->has_fingerprint = 1;
		}
		if (m->setup == SDP_SETUP_NONE)
			m->setup = ps->setup;
	}
}

/* RFC 8843 section 9.2: a mid names one section. */
static enum err_code
mids_unique(const struct sdp_offer *o, struct err *e)
{
	size_t i, j;

	for (i = 0; i < o->n_media; i++)
		for (j = i + 1; o->m[i].mid[0] != '\0' && j < o->n_media; j++)
			if (strcmp(o->m[i].mid, o->m[j].mid) == 0)
				return err_set(e, ERR_VALIDATION, "SDP: a=mid:%s names two sections",
				    o->m[i].mid);
	return ERR_OK;
}

enum err_code
sdp_parse(const char *text, size_t len, struct sdp_offer *o, struct err *e)
{
	struct parse ps;
	struct view l;
	const char *end = text + len, *nl;
	enum err_code rc = ERR_OK;

	memset(o, 0, sizeof(*o));
	memset(&ps, 0, sizeof(ps));
	ps.o = o;
	ps.e = e;
	if (len > LIMIT_SDP_BYTES)
		return err_set(e, ERR_VALIDATION, "SDP over %d bytes", LIMIT_SDP_BYTES);
	while (text < end) {
		if (++ps.line > LIMIT_SDP_LINES)
			return err_set(e, ERR_VALIDATION, "SDP over %d lines", LIMIT_SDP_LINES);
		nl = memchr(text, '\n', (size_t)(end - text));
		l.p = text;
		l.n = (size_t)((nl ? nl : end) - text);
		text = nl ? nl + 1 : end;
		if (l.n > 0 && l.p[l.n - 1] == '\r')
			l.n--;
		if (l.n == 0 && text == end)
			break;
		if ((rc = line(&ps, l)) != ERR_OK)
			return rc;
	}
	if (ps.line == 0)
		return err_set(e, ERR_VALIDATION, "SDP is empty");
	if (o->n_media == 0)
		return err_set(e, ERR_VALIDATION, "SDP without a media section");
	inherit(&ps);
	return mids_unique(o, e);
}

/* ---- the plan ---- */

static int
h264_constrained_baseline(uint32_t plid)
{
	unsigned idc = plid >> 16, iop = (plid >> 8) & 0xff;

	return (idc == 0x42 && (iop & 0x40)) || (idc == 0x4d && (iop & 0x80)) ||
	    (idc == 0x58 && (iop & 0xc0) == 0xc0);
}

/* How well f suits the stage's video; 0: not at all. */
static int
video_score(const struct sdp_format *f)
{
	if (!f->has_rtpmap || strcasecmp(f->name, "H264") != 0 || f->clock != 90000 ||
	    f->packetization_mode != 1 || !h264_constrained_baseline(f->profile_level_id))
		return 0;
	if (f->profile_level_id == SDP_H264_PROFILE_LEVEL_ID)
		return 3;
	return (f->profile_level_id & 0xff) >= (SDP_H264_PROFILE_LEVEL_ID & 0xff) ? 2 : 1;
}

static int
audio_score(const struct sdp_format *f)
{
	return f->has_rtpmap && strcasecmp(f->name, "opus") == 0 && f->clock == 48000 &&
	    f->channels == 2;
}

/* Index of the best format of m by score, or -1. */
static int
best_format(const struct sdp_media *m, int (*score)(const struct sdp_format *))
{
	int best = -1, best_score = 0, s;
	size_t i;

	for (i = 0; i < m->n_fmt; i++)
		if ((s = score(&m->fmt[i])) > best_score) {
			best_score = s;
			best = (int)i;
		}
	return best;
}

static int
rtx_for(const struct sdp_media *m, int pt)
{
	size_t i;

	for (i = 0; i < m->n_fmt; i++)
		if (m->fmt[i].has_rtpmap && strcasecmp(m->fmt[i].name, "rtx") == 0 &&
		    m->fmt[i].clock == 90000 && m->fmt[i].apt == pt)
			return m->fmt[i].pt;
	return -1;
}

static int
in_bundle(const struct sdp_offer *o, const char *mid)
{
	size_t i;

	for (i = 0; mid[0] != '\0' && i < o->n_bundle; i++)
		if (strcmp(o->bundle[i], mid) == 0)
			return 1;
	return 0;
}

/* The answer's direction for a section the offerer states as dir. */
static enum sdp_dir
answer_dir(enum sdp_role role, enum sdp_dir dir)
{
	if (role == SDP_PUBLISH)
		return dir == SDP_SENDONLY || dir == SDP_SENDRECV ? SDP_RECVONLY : SDP_INACTIVE;
	return dir == SDP_RECVONLY || dir == SDP_SENDRECV ? SDP_SENDONLY : SDP_INACTIVE;
}

/* Fills pick for a served section whose chosen format is fmt. */
static void
pick_section(const struct sdp_media *m, int fmt, enum sdp_role role, struct sdp_pick *k)
{
	const unsigned fb_video = SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TCC;
	size_t i;

	k->accepted = 1;
	k->dir = answer_dir(role, m->dir);
	k->pt = m->fmt[fmt].pt;
	k->profile_level_id = m->fmt[fmt].profile_level_id;
	k->fb = m->fmt[fmt].fb & (m->kind == SDP_VIDEO ? fb_video : SDP_FB_TCC);
	k->rtx_pt = m->kind == SDP_VIDEO ? rtx_for(m, k->pt) : -1;
	for (i = 0; i < m->n_ext; i++)
		if (m->ext[i].ext != SDP_EXT_OTHER && m->ext[i].id <= 14 &&
		    k->ext_id[m->ext[i].ext] == 0 &&
		    (m->ext[i].ext != SDP_EXT_AUDIO_LEVEL || m->kind == SDP_AUDIO))
			k->ext_id[m->ext[i].ext] = (uint8_t)m->ext[i].id;
	if (role != SDP_PUBLISH)
		return;
	if (m->n_fid > 0) {
		k->ssrc = m->fid[0].media;
		k->rtx_ssrc = k->rtx_pt >= 0 ? m->fid[0].rtx : 0;
	} else if (m->n_ssrc > 0) {
		k->ssrc = m->ssrc[0];
	}
}

/* Checks the transport of a section to be served. */
static enum err_code
transport_ok(const struct sdp_media *m, size_t i, struct err *e)
{
	if (!m->rtcp_mux)
		return err_set(e, ERR_VALIDATION, "section %zu (mid %s) lacks a=rtcp-mux", i, m->mid);
	if (m->ufrag[0] == '\0' || m->pwd[0] == '\0')
		return err_set(e, ERR_VALIDATION, "section %zu (mid %s) lacks ICE credentials", i, m->mid);
	if (!m->has_fingerprint)
		return err_set(e, ERR_VALIDATION, "section %zu (mid %s) lacks a sha-256 fingerprint",
		    i, m->mid);
	if (m->setup == SDP_SETUP_PASSIVE || m->setup == SDP_SETUP_HOLDCONN)
		return err_set(e, ERR_VALIDATION,
		    "section %zu (mid %s): a=setup must be actpass or active (the server is passive)",
		    i, m->mid);
	return ERR_OK;
}

enum err_code
sdp_plan_make(const struct sdp_offer *o, enum sdp_role role, struct sdp_plan *p, struct err *e)
{
	const struct sdp_media *m;
	enum err_code rc = ERR_OK;
	size_t i, b;
	int fmt;

	memset(p, 0, sizeof(*p));
	p->role = role;
	p->audio = p->video = p->tagged = -1;
	p->n = o->n_media;
	p->refusal = SDP_REFUSE_OFFER;
	if (o->ice_lite)
		return err_set(e, ERR_VALIDATION, "offer is ICE-lite: two lite agents cannot connect");
	if (o->n_bundle == 0 && o->n_media > 1)
		return err_set(e, ERR_VALIDATION,
		    "offer has several media sections but no a=group:BUNDLE");
	for (i = 0; i < o->n_media; i++) {
		m = &o->m[i];
		p->pick[i].kind = m->kind;
		p->pick[i].pt = p->pick[i].rtx_pt = -1;
		p->pick[i].dir = SDP_INACTIVE;
		if ((m->port == 0 && !m->bundle_only) || (o->n_bundle > 0 && !in_bundle(o, m->mid)))
			continue;
		if (m->kind == SDP_AUDIO && p->audio < 0 && (fmt = best_format(m, audio_score)) >= 0)
			p->audio = (int)i;
		else if (m->kind == SDP_VIDEO && p->video < 0 &&
		    (fmt = best_format(m, video_score)) >= 0)
			p->video = (int)i;
		else
			continue;
		if ((rc = transport_ok(m, i, e)) != ERR_OK)
			return rc;
		pick_section(m, fmt, role, &p->pick[i]);
	}
	if (p->video < 0) {
		p->refusal = SDP_REFUSE_VIDEO_CODEC;
		return err_set(e, ERR_VALIDATION,
		    "offer has no video section with H.264 constrained baseline "
		    "(profile-level-id 42e01f) and packetization-mode=1");
	}
	/* The tagged section: the first mid of the group that is served. */
	for (b = 0; b < o->n_bundle && p->tagged < 0; b++)
		for (i = 0; i < o->n_media; i++)
			if (p->pick[i].accepted && strcmp(o->m[i].mid, o->bundle[b]) == 0) {
				p->tagged = (int)i;
				break;
			}
	if (p->tagged < 0)
		p->tagged = p->video;
	p->remote_ufrag = o->m[p->tagged].ufrag;
	p->remote_pwd = o->m[p->tagged].pwd;
	p->remote_fingerprint = o->m[p->tagged].fingerprint;
	p->refusal = SDP_REFUSE_NONE;
	return ERR_OK;
}

/* ---- the answer ---- */

static const char *
ext_uri(enum sdp_ext x)
{
	size_t i;

	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (extensions[i].ext == x)
			return extensions[i].uri;
	return NULL;
}

/* "IP4" or "IP6" for a literal address, or NULL if it is neither. */
static const char *
addr_type(const char *ip)
{
	unsigned char a[16];

	if (ip == NULL)
		return NULL;
	if (inet_pton(AF_INET, ip, a) == 1)
		return "IP4";
	if (inet_pton(AF_INET6, ip, a) == 1)
		return "IP6";
	return NULL;
}

static int
token_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > LIMIT_SDP_TOKEN)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

static int
stream_ok(const struct sdp_stream *s)
{
	return s->ssrc == 0 ||
	    (token_ok(s->cname) && token_ok(s->stream_id) && token_ok(s->track_id));
}

static enum err_code
local_ok(const struct sdp_local *l, struct err *e)
{
	size_t i;

	if (l->ufrag == NULL || !ice_chars(l->ufrag, strlen(l->ufrag), 4) ||
	    l->pwd == NULL || !ice_chars(l->pwd, strlen(l->pwd), 22))
		return err_set(e, ERR_VALIDATION, "local ICE ufrag or password malformed");
	if (l->n_cand > LIMIT_SDP_CANDIDATES || (l->n_cand > 0 && l->cand == NULL))
		return err_set(e, ERR_VALIDATION, "more than %d candidates", LIMIT_SDP_CANDIDATES);
	for (i = 0; i < l->n_cand; i++)
		if (addr_type(l->cand[i].ip) == NULL || l->cand[i].port == 0)
			return err_set(e, ERR_VALIDATION, "candidate %zu: address or port malformed", i);
	if (!stream_ok(&l->audio) || !stream_ok(&l->video))
		return err_set(e, ERR_VALIDATION, "stream cname or msid malformed");
	return ERR_OK;
}

static void
write_fingerprint(struct buf *out, const uint8_t fp[SDP_FINGERPRINT_LEN])
{
	size_t i;

	buf_puts(out, "a=fingerprint:sha-256 ");
	for (i = 0; i < SDP_FINGERPRINT_LEN; i++)
		buf_printf(out, "%02X%s", fp[i], i + 1 < SDP_FINGERPRINT_LEN ? ":" : "\r\n");
}

static void
write_codec(struct buf *out, const struct sdp_pick *k)
{
	size_t i;

	if (k->kind == SDP_AUDIO)
		buf_printf(out, "a=rtpmap:%d opus/48000/2\r\n", k->pt);
	else
		buf_printf(out, "a=rtpmap:%d H264/90000\r\n", k->pt);
	for (i = 0; i < sizeof(feedback) / sizeof(feedback[0]); i++)
		if (k->fb & feedback[i].bit)
			buf_printf(out, "a=rtcp-fb:%d %s%s%s\r\n", k->pt, feedback[i].type,
			    feedback[i].param ? " " : "", feedback[i].param ? feedback[i].param : "");
	if (k->kind == SDP_AUDIO)
		buf_printf(out, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", k->pt);
	else
		buf_printf(out, "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;"
		    "profile-level-id=%06" PRIx32 "\r\n", k->pt, k->profile_level_id);
	if (k->rtx_pt >= 0)
		buf_printf(out, "a=rtpmap:%d rtx/90000\r\na=fmtp:%d apt=%d\r\n", k->rtx_pt,
		    k->rtx_pt, k->pt);
}

static void
write_stream(struct buf *out, const struct sdp_stream *s, int rtx)
{
	uint32_t ssrcs[2] = { s->ssrc, s->rtx_ssrc };
	size_t i, n = rtx && s->rtx_ssrc != 0 ? 2 : 1;

	buf_printf(out, "a=msid:%s %s\r\n", s->stream_id, s->track_id);
	if (n == 2)
		buf_printf(out, "a=ssrc-group:FID %" PRIu32 " %" PRIu32 "\r\n", s->ssrc, s->rtx_ssrc);
	for (i = 0; i < n; i++)
		buf_printf(out, "a=ssrc:%" PRIu32 " cname:%s\r\na=ssrc:%" PRIu32 " msid:%s %s\r\n",
		    ssrcs[i], s->cname, ssrcs[i], s->stream_id, s->track_id);
}

static void
write_candidates(struct buf *out, const struct sdp_local *l)
{
	const struct sdp_candidate *c;
	size_t i;

	for (i = 0; i < l->n_cand; i++) {
		c = &l->cand[i];
		buf_printf(out, "a=candidate:%zu 1 %s %" PRIu32 " %s %u typ host%s\r\n", i + 1,
		    c->tcp ? "tcp" : "udp", c->priority, c->ip, (unsigned)c->port,
		    c->tcp ? " tcptype passive" : "");
	}
	buf_puts(out, "a=end-of-candidates\r\n");
}

/* The address and port the m= and c= lines name: the first UDP candidate. */
static const struct sdp_candidate *
default_candidate(const struct sdp_local *l)
{
	size_t i;

	for (i = 0; i < l->n_cand; i++)
		if (!l->cand[i].tcp)
			return &l->cand[i];
	return NULL;
}

static void
write_section(struct buf *out, const struct sdp_media *m, const struct sdp_pick *k,
    const struct sdp_local *l, int tagged)
{
	const struct sdp_candidate *def = default_candidate(l);
	const struct sdp_stream *s = k->kind == SDP_AUDIO ? &l->audio : &l->video;
	size_t x;

	if (!k->accepted) {
		buf_printf(out, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto,
		    m->first_fmt);
		if (m->mid[0] != '\0')
			buf_printf(out, "a=mid:%s\r\n", m->mid);
		buf_puts(out, "a=inactive\r\n");
		return;
	}
	buf_printf(out, "m=%s %u %s %d", m->media, def ? (unsigned)def->port : 9u, m->proto, k->pt);
	if (k->rtx_pt >= 0)
		buf_printf(out, " %d", k->rtx_pt);
	buf_printf(out, "\r\nc=IN %s %s\r\n", def ? addr_type(def->ip) : "IP4",
	    def ? def->ip : "0.0.0.0");
	if (m->mid[0] != '\0')
		buf_printf(out, "a=mid:%s\r\n", m->mid);
	buf_printf(out, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ufrag, l->pwd);
	write_fingerprint(out, l->fingerprint);
	buf_printf(out, "a=setup:passive\r\na=%s\r\na=rtcp-mux\r\n", dir_names[k->dir]);
	for (x = 1; x < SDP_EXT__COUNT; x++)
		if (k->ext_id[x] != 0)
			buf_printf(out, "a=extmap:%u %s\r\n", (unsigned)k->ext_id[x],
			    ext_uri((enum sdp_ext)x));
	write_codec(out, k);
	if (k->dir == SDP_SENDONLY && s->ssrc != 0)
		write_stream(out, s, k->rtx_pt >= 0);
	if (tagged)
		write_candidates(out, l);
}

enum err_code
sdp_answer_write(const struct sdp_offer *o, const struct sdp_plan *p,
    const struct sdp_local *l, struct buf *out, struct err *e)
{
	enum err_code rc;
	size_t i, b;

	if (p->refusal != SDP_REFUSE_NONE || p->n != o->n_media || p->tagged < 0)
		return err_set(e, ERR_INTERNAL, "SDP answer asked for an offer that was refused");
	if ((rc = local_ok(l, e)) != ERR_OK)
		return rc;
	buf_printf(out, "v=0\r\no=rtstage %" PRIu64 " 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
	    "a=ice-lite\r\n", l->session_id & INT64_MAX);
	if (o->n_bundle > 0)
		buf_puts(out, "a=group:BUNDLE");
	for (b = 0; b < o->n_bundle; b++)
		for (i = 0; i < o->n_media; i++)
			if (p->pick[i].accepted && strcmp(o->m[i].mid, o->bundle[b]) == 0)
				buf_printf(out, " %s", o->m[i].mid);
	if (o->n_bundle > 0)
		buf_puts(out, "\r\n");
	buf_puts(out, "a=msid-semantic:WMS *\r\n");
	for (i = 0; i < o->n_media; i++)
		write_section(out, &o->m[i], &p->pick[i], l, (int)i == p->tagged);
	if (out->truncated)
		return err_set(e, ERR_INTERNAL, "SDP answer over its buffer's cap");
	return ERR_OK;
}
