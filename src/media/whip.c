/* Media signalling (see whip.h): WHIP over HTTP and the offer rules that
 * XDP shares. Tables: the IVS error codes of refusals, the URL forms
 * under /whip. The SFU answers; this file decides who may ask and words
 * the answer.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/metrics.h"
#include "ivs/arn.h"
#include "ivs/ivs.h"
#include "ivs/session.h"
#include "limits.h"
#include "media/stage_host.h"
#include "media/whip.h"
#include "store/media_host_store.h"
#include "store/stage_store.h"
#include "store/store.h"

#define WHIP_BASE "/whip"
#define DELETE_REL "urn:ietf:params:whip:ivs-stages:session-delete"

/* The refusals of signalling: HTTP status and the IVS code the clients
 * read (ivs-stage-client-protocol.md section 6). The SDK reads 2002,
 * 2003, 2004, 2005, 2013, 2014 and the 500s; the others name the rest of
 * what a token check can find. */
enum refusal {
	R_TOKEN_INVALID, R_TOKEN_EXPIRED, R_CAPABILITY, R_NOT_OWN, R_DISCONNECTED,
	R_STAGE_GONE, R_BAD_URL, R_BAD_OFFER, R_NO_SESSION, R_XDP_OFF, R_INTERNAL,
	R_BUSY,
};

static const struct {
	int status, code;
} refusals[] = {
	[R_TOKEN_INVALID] = { 401, 2001 },
	[R_TOKEN_EXPIRED] = { 401, 2002 },
	[R_CAPABILITY]    = { 403, 2003 },
	[R_NOT_OWN]       = { 403, 2003 },
	[R_DISCONNECTED]  = { 403, 2007 },
	[R_STAGE_GONE]    = { 404, 2009 },
	[R_BAD_URL]       = { 404, 2012 },
	[R_BAD_OFFER]     = { 400, 2011 },
	[R_NO_SESSION]    = { 404, 2012 },
	[R_XDP_OFF]       = { 400, 2011 },
	[R_INTERNAL]      = { 500, 2006 },
	[R_BUSY]          = { 503, 2013 },
};

static struct {
	struct metric_family *offers;
	pthread_mutex_t lock;
	struct {
		char arn[SFU_ARN_CAP];
		char pid[SFU_PID_CAP];
	} bare[LIMIT_WHIP_BARE_PUBLISHERS];
	size_t n_bare;
} w = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
whip_init(void)
{
	if (w.offers == NULL)
		w.offers = metrics_register("rtstage_whip_offers_total",
		    "SDP offers answered, by role (publish, subscribe), transport (http, "
		    "socket) and HTTP status.", METRIC_COUNTER, "role,transport,status", NULL, 0);
}

static void
count_offer(const char *role, int via_socket, int status)
{
	char st[8];

	snprintf(st, sizeof(st), "%d", status);
	if (w.offers != NULL)
		metrics_add(metrics_series(w.offers, (const char *[]){ role,
		    via_socket ? "socket" : "http", st }), 1);
}

static void refuse(struct whip_result *r, enum refusal why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
refuse(struct whip_result *r, enum refusal why, const char *fmt, ...)
{
	va_list ap;

	r->status = refusals[why].status;
	r->code = refusals[why].code;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

/* ---- WHIP-only participants --------------------------------------------------- */

/* Remembers (arn, pid) as joined by its WHIP offer alone. 0, or -1 when
 * full. */
static int
bare_add(const char *arn, const char *pid)
{
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&w.lock);
	for (i = 0; i < w.n_bare; i++)
		if (strcmp(w.bare[i].arn, arn) == 0 && strcmp(w.bare[i].pid, pid) == 0)
			break;
	if (i < w.n_bare || w.n_bare < LIMIT_WHIP_BARE_PUBLISHERS) {
		if (i == w.n_bare) {
			snprintf(w.bare[i].arn, sizeof(w.bare[i].arn), "%s", arn);
			snprintf(w.bare[i].pid, sizeof(w.bare[i].pid), "%s", pid);
			w.n_bare++;
		}
		rc = 0;
	}
	pthread_mutex_unlock(&w.lock);
	return rc;
}

int
whip_bare_ended(const char *stage_arn, const char *participant_id)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&w.lock);
	for (i = 0; i < w.n_bare && !found; i++)
		if (strcmp(w.bare[i].arn, stage_arn) == 0 &&
		    strcmp(w.bare[i].pid, participant_id) == 0 &&
		    !sfu_has_sessions(stage_arn, participant_id)) {	/* not a republish */
			w.bare[i] = w.bare[--w.n_bare];
			found = 1;
		}
	pthread_mutex_unlock(&w.lock);
	return found;
}

/* ---- the store's part ------------------------------------------------------- */

/* The facts of a WHIP-only participant's join. */
static struct session_join
whip_join_of(const struct whip_caller *wc)
{
	return (struct session_join){ wc->stage_arn, { .participant_id = wc->participant_id,
	    .user_id = wc->user_id ? wc->user_id : "",
	    .attributes = wc->attributes ? wc->attributes : "{}", .protocol = "WHIP",
	    .browser_name = "", .browser_version = "", .os_name = "", .os_version = "",
	    .sdk_version = "", .node = "" } };
}

/* A refused offer, in the participant's history. A connected participant
 * gets the error alone. One that offered over HTTP with no events socket
 * and no media (so not connected) is recorded as it took part: JOINED,
 * the error, LEFT, at one time, in the stage's active session (started
 * if there is none). An error with no participant row would be out of
 * reach of ListParticipants, and a participant left CONNECTED with no
 * socket and no media would stay in the roster until the next restart.
 * Through a socket that is no longer joined (a race with its close),
 * nothing is recorded. */
struct event_job {
	const struct whip_caller *w;
	const char *name, *remote, *code;
};

static enum err_code
event_tx(struct store *s, void *arg, struct err *e)
{
	struct event_job *j = arg;
	struct session_join sj = whip_join_of(j->w);
	char session_id[SESSION_ID_CAP];
	long long now = session_now_ms();
	int connected = 1, empty;

	if (!j->w->via_socket && session_is_connected(s, j->w->stage_arn,
	    j->w->participant_id, &connected, e) != ERR_OK)
		return e->code;
	if (!connected && session_join(s, &sj, now, session_id, e) != ERR_OK)
		return e->code;
	if (session_event(s, j->w->stage_arn, j->w->participant_id, j->name, j->remote, j->code,
	    now, e) != ERR_OK)
		return e->code;
	if (!connected)
		return session_leave(s, j->w->stage_arn, j->w->participant_id, now, &empty, e);
	return ERR_OK;
}

static void
record_error(const struct whip_caller *wc, enum sfu_role role, const char *remote,
    const char *code)
{
	struct event_job j = { wc, role == SFU_PUBLISH ? "PUBLISH_ERROR" : "SUBSCRIBE_ERROR",
	    remote, code };
	struct err e = { ERR_OK, "" };

	if (store_write(event_tx, &j, &e) != ERR_OK && e.code != ERR_NOT_FOUND)
		log_msg(LOG_WARN, "whip: recording %s of %s: %s", j.name, wc->participant_id,
		    e.msg);
}

/* Joins a participant offering with no events socket (a publisher or a
 * subscriber) as a WHIP participant, unless it is connected already.
 * *joined says whether it was. */
struct join_job {
	const struct whip_caller *w;
	int joined;
};

static enum err_code
join_tx(struct store *s, void *arg, struct err *e)
{
	struct join_job *j = arg;
	struct session_join sj = whip_join_of(j->w);
	char session_id[SESSION_ID_CAP];
	int connected;

	if (session_is_connected(s, j->w->stage_arn, j->w->participant_id, &connected, e) !=
	    ERR_OK || connected)
		return e->code;
	j->joined = 1;
	return session_join(s, &sj, session_now_ms(), session_id, e);
}

/* ---- offers ----------------------------------------------------------------- */

/* Is id a participant id ([A-Za-z0-9_-], 1 to 64)? */
static int
valid_id(const char *id)
{
	size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return n > 0 && n <= 64 && id[n] == '\0';
}

/* The URL forms of an offer, after the whip base. */
static const struct {
	const char *prefix;
	enum sfu_role role;
	int names_id;		/* followed by a participant id */
} targets[] = {
	{ "publish/",   SFU_PUBLISH,   1 },
	{ "subscribe/", SFU_SUBSCRIBE, 1 },
	{ "",           SFU_PUBLISH,   0 },	/* bare WHIP */
};

/* Reads target into *role and *id; 0, or -1 when it is no offer URL. */
static int
parse_target(const char *target, enum sfu_role *role, const char **id)
{
	size_t i, n;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		n = strlen(targets[i].prefix);
		if (strncmp(target, targets[i].prefix, n) != 0)
			continue;
		if (!targets[i].names_id && target[0] != '\0')
			continue;
		*role = targets[i].role;
		*id = target + n;
		return targets[i].names_id && !valid_id(*id) ? -1 : 0;
	}
	return -1;
}

/* base without its trailing '/'s, then a, b and c, into out. 0, or -1 if cut. */
static int
join_url(char *out, size_t cap, const char *base, const char *a, const char *b, const char *c)
{
	size_t n = strlen(base);
	int len;

	while (n > 0 && base[n - 1] == '/')
		n--;
	len = snprintf(out, cap, "%.*s%s%s%s", (int)n, base, a, b, c);
	return len < 0 || (size_t)len >= cap ? -1 : 0;
}

/* Writes base + "/session/" + id (+ suffix) into out. 0, or -1 if cut. */
static int
session_url(char *out, size_t cap, const char *base, const char *id, const char *suffix)
{
	return join_url(out, cap, base, "/session/", id, suffix);
}

/* Checks the capability of role; a refusal is recorded in the history. */
static int
allowed(const struct whip_caller *wc, enum sfu_role role, const char *remote,
    struct whip_result *r)
{
	if (role == SFU_PUBLISH ? wc->publish : wc->subscribe)
		return 1;
	refuse(r, R_CAPABILITY, "the token does not allow %s",
	    role == SFU_PUBLISH ? "publishing (capability PUBLISH)" :
	    "subscribing (capability SUBSCRIBE)");
	record_error(wc, role, remote, "INSUFFICIENT_CAPABILITIES");
	return 0;
}

/* ---- several nodes ----------------------------------------------------------- */

/* host's URL (no trailing '/') + path + rest into out. 0, or -1 if cut. */
static int
host_url(char *out, size_t cap, const char *host, const char *path, const char *rest)
{
	return join_url(out, cap, host, path, rest, "");
}

/* The URL of a Link header's first <...>, into out; "" if none. */
static void
link_target(const char *link, char *out, size_t cap)
{
	const char *a = strchr(link, '<'), *b = a ? strchr(a, '>') : NULL;

	snprintf(out, cap, "%.*s", b ? (int)(b - a - 1) : 0, b ? a + 1 : "");
}

/* The host's answer a to a forwarded offer, as this node's result r:
 * 201 with its SDP and session URLs, or its refusal with its code. */
static void
take_forwarded(struct stage_host_reply *a, struct whip_result *r)
{
	json_t *doc;
	const char *msg;

	if (a->status == 201) {
		if (a->body == NULL || a->location[0] == '\0' ||
		    strlen(a->location) >= sizeof(r->location))
			return refuse(r, R_INTERNAL, "the stage's media node answered 201 without "
			    "an SDP answer and a Location");
		r->status = 201;
		r->sdp = a->body;
		a->body = NULL;
		memcpy(r->location, a->location, strlen(a->location) + 1);
		link_target(a->link, r->delete_link, sizeof(r->delete_link));
		return;
	}
	doc = a->body ? json_loadb(a->body, a->body_len, 0, NULL) : NULL;
	msg = json_string_value(json_object_get(doc, "message"));
	r->status = a->status;
	r->code = (int)json_integer_value(json_object_get(doc, "code"));
	if (r->code == 0)
		r->code = a->status >= 500 ? refusals[R_INTERNAL].code : refusals[R_BAD_OFFER].code;
	snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "the stage's media node "
	    "refused the offer");
	json_decref(doc);
}

/* Sends the offer to host, the node hosting the stage, with wc's token. */
static void
forward_offer(const struct whip_caller *wc, const char *host, const char *target,
    const char *sdp, size_t len, struct whip_result *r)
{
	char url[MEDIA_NODE_CAP + LIMIT_URL_BYTES];
	char *auth = NULL;
	const char *lines[] = { NULL, "Content-Type: application/sdp", NULL };
	struct stage_host_reply a;
	struct err e = { ERR_OK, "" };

	memset(&a, 0, sizeof(a));
	if (host_url(url, sizeof(url), host, target[0] ? WHIP_BASE "/" : WHIP_BASE, target) != 0 ||
	    asprintf(&auth, "Authorization: Bearer %s", wc->token) < 0) {
		auth = NULL;
		refuse(r, R_INTERNAL, "the offer could not be forwarded to the stage's media node");
		goto out;
	}
	lines[0] = auth;
	if (stage_host_forward(&(struct stage_host_request){ "offer", "POST", url, lines, sdp,
	    len }, &a, &e) != ERR_OK) {
		refuse(r, R_BUSY, "the node hosting the stage's media did not answer; try again");
		goto out;
	}
	take_forwarded(&a, r);
out:
	stage_host_reply_free(&a);
	free(auth);
}

/* With several nodes: is the stage's media here? If not, the offer is
 * forwarded to its host (or refused) into r and 0 is returned. */
static int
placed_here(const struct whip_caller *wc, const char *target, const char *sdp, size_t len,
    struct whip_result *r)
{
	char host[MEDIA_NODE_CAP];
	struct err e = { ERR_OK, "" };

	switch (stage_host_place(wc->stage_arn, 1, host, sizeof(host), &e)) {
	case STAGE_LOCAL:
		return 1;
	case STAGE_REMOTE:
		if (!wc->forwarded && wc->token != NULL) {
			forward_offer(wc, host, target, sdp, len, r);
			return 0;
		}
		/* a forwarded offer whose stage moved meanwhile: the client retries */
		refuse(r, R_BUSY, "the stage's media is on another node now; try again");
		return 0;
	case STAGE_UNAVAILABLE:
		break;
	}
	log_msg(LOG_WARN, "whip: placing the media of %s: %s", wc->stage_arn, e.msg);
	refuse(r, R_BUSY, "no node can take the stage's media now; try again");
	return 0;
}

/* Turns the SFU's answer a into r; participants without a socket join. */
static void
take_answer(const struct whip_caller *wc, enum sfu_role role, const char *remote,
    struct sfu_answer *a, struct whip_result *r)
{
	struct join_job jj = { wc, 0 };
	struct err e = { ERR_OK, "" };

	if (a->status != 201) {
		r->status = a->status;
		/* every refusal names a code: the SFU's, else the class's */
		r->code = a->code ? a->code : a->status >= 500 ? refusals[R_INTERNAL].code :
		    refusals[R_BAD_OFFER].code;
		snprintf(r->message, sizeof(r->message), "%s", a->message);
		if (a->error_code[0] != '\0')
			record_error(wc, role, remote, a->error_code);
		return;
	}
	if (session_url(r->location, sizeof(r->location), wc->whip_url, a->session_id, "") != 0 ||
	    session_url(r->delete_link, sizeof(r->delete_link), wc->whip_url, a->session_id,
	    "/delete") != 0) {
		(void)sfu_end_session(a->session_id, NULL, &e);
		return refuse(r, R_INTERNAL, "the session URL is too long");
	}
	if (!wc->via_socket) {
		if (store_write(join_tx, &jj, &e) != ERR_OK ||
		    (jj.joined && bare_add(wc->stage_arn, wc->participant_id) != 0)) {
			log_msg(LOG_WARN, "whip: joining %s as a WHIP participant: %s",
			    wc->participant_id, e.code ? e.msg : "too many WHIP participants");
			(void)sfu_end_session(a->session_id, NULL, &e);
			return refuse(r, e.code ? R_INTERNAL : R_BUSY, "%s", e.code ?
			    "the join could not be recorded" : "this node follows too many WHIP "
			    "participants; try again later");
		}
	}
	r->status = 201;
	r->sdp = a->sdp;
	a->sdp = NULL;
}

void
whip_offer(const struct whip_caller *wc, const char *target, const char *sdp, size_t len,
    struct whip_result *r)
{
	struct sfu_offer o = { .stage_arn = wc->stage_arn, .participant_id = wc->participant_id,
	    .sdp = sdp, .sdp_len = len };
	struct sfu_answer a;
	struct err e = { ERR_OK, "" };
	const char *id = "";

	memset(r, 0, sizeof(*r));
	memset(&a, 0, sizeof(a));
	if (parse_target(target, &o.role, &id) != 0) {
		refuse(r, R_BAD_URL, "no WHIP offer URL: %s (use publish/ID, subscribe/ID or the "
		    "WHIP URL itself)", target);
		goto out;
	}
	o.remote_id = o.role == SFU_SUBSCRIBE ? id : "";
	if (o.role == SFU_PUBLISH && id[0] != '\0' && strcmp(id, wc->participant_id) != 0) {
		refuse(r, R_NOT_OWN, "a participant publishes as itself: the URL names %s, the "
		    "token another participant", id);
		goto out;
	}
	if (!allowed(wc, o.role, o.remote_id, r))
		goto out;
	if (sdp == NULL || len == 0) {
		refuse(r, R_BAD_OFFER, "the request carries no SDP offer");
		goto out;
	}
	if (!placed_here(wc, target, sdp, len, r))
		goto out;
	if (sfu_offer(&o, &a, &e) != ERR_OK) {
		log_msg(LOG_WARN, "whip: offer of %s: %s", wc->participant_id, e.msg);
		refuse(r, R_INTERNAL, "the media server failed: %s", e.msg);
		goto out;
	}
	take_answer(wc, o.role, o.remote_id, &a, r);
	if (r->status == 201)
		log_msg(LOG_INFO, "whip: %s session offered: participant=%s%s%s stage=%s via=%s",
		    o.role == SFU_PUBLISH ? "publish" : "subscribe", wc->participant_id,
		    o.remote_id[0] ? " remote=" : "", o.remote_id, wc->stage_arn,
		    wc->via_socket ? "socket" : "http");
out:
	free(a.sdp);
	count_offer(o.role == SFU_SUBSCRIBE ? "subscribe" : "publish", wc->via_socket, r->status);
}

void
whip_result_free(struct whip_result *r)
{
	if (r == NULL)
		return;
	free(r->sdp);
	r->sdp = NULL;
}

/* ---- HTTP ------------------------------------------------------------------- */

/* What every answer under /whip carries: CORS for browser pages. */
static void
cors(const struct http_request *req, struct http_response *res)
{
	const char *origin = http_header(req, "Origin");

	http_set_header(res, "Access-Control-Allow-Origin", origin ? origin : "*");
	if (origin != NULL)
		http_set_header(res, "Vary", "Origin");
	http_set_header(res, "Access-Control-Expose-Headers", "Location, Link");
}

static void
answer_json(struct http_response *res, int status, int code, const char *message)
{
	json_t *doc = json_pack("{s:i, s:s}", "code", code, "message", message);

	res->status = status;
	res->content_type = "application/json";
	res->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	res->body_len = res->body ? strlen(res->body) : 0;
	if (res->body == NULL)
		res->status = 500;
	json_decref(doc);
}

static void
answer_refusal(struct http_response *res, struct call *c, enum refusal why, const char *msg)
{
	err_set(&c->err, ERR_VALIDATION, "%s", msg);
	answer_json(res, refusals[why].status, refusals[why].code, msg);
	if (why == R_BUSY)
		http_set_header(res, "Retry-After", "1");
}

/* The preflight: what a page may send to any WHIP URL. */
static void
preflight(const struct http_request *req, struct http_response *res)
{
	const char *asked = http_header(req, "Access-Control-Request-Headers");
	char age[16];
	size_t n = asked ? strlen(asked) : 0;

	res->status = 204;
	http_set_header(res, "Access-Control-Allow-Methods", "POST, DELETE, OPTIONS");
	/* the headers asked for, when they are a plain list; the SDK's own else */
	if (n > 0 && n < HTTP_HEADER_VALUE_CAP && strspn(asked,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_, ") == n)
		http_set_header(res, "Access-Control-Allow-Headers", asked);
	else
		http_set_header(res, "Access-Control-Allow-Headers", "authorization, "
		    "content-type, x-stages-platform, x-stages-sdk, x-stages-request-id, "
		    "x-stages-session-id, x-stages-trace-id, x-stages-whip-version, "
		    "x-stages-options, x-stages-initial-layer-pref");
	snprintf(age, sizeof(age), "%d", LIMIT_WHIP_PREFLIGHT_MAX_AGE);
	http_set_header(res, "Access-Control-Max-Age", age);
}

/* The token of "Bearer TOKEN" (or a bare token), copied; NULL if none. */
static char *
bearer(const char *value)
{
	if (value == NULL)
		return NULL;
	while (*value == ' ')
		value++;
	if (strncasecmp(value, "Bearer ", 7) == 0)
		value += 7;
	while (*value == ' ')
		value++;
	return *value ? strdup(value) : NULL;
}

/* Verifies token into *tok and checks what the store knows: the stage
 * exists, the participant is not refused. expired_ok: an expired token
 * still ends its own sessions. Returns -1 with the refusal answered. */
static int
authorise(const char *token, int expired_ok, struct ptoken *tok, struct http_response *res,
    struct call *c)
{
	enum ptoken_code pc = ptoken_verify(ivs_keys(), token, session_now_ms() / 1000, tok);
	struct err e = { ERR_OK, "" };
	struct stage_rec st;
	struct store *s;
	struct arn a;
	int refused = 0;

	if (pc == PTOKEN_EXPIRED && !expired_ok) {
		answer_refusal(res, c, R_TOKEN_EXPIRED, tok->why);
		return -1;
	}
	if (pc == PTOKEN_UNREADABLE) {	/* the store failed: neither good nor bad yet */
		answer_refusal(res, c, R_BUSY, tok->why);
		return -1;
	}
	if (pc != PTOKEN_OK && pc != PTOKEN_EXPIRED) {
		answer_refusal(res, c, R_TOKEN_INVALID, pc == PTOKEN_MISSING ?
		    "the request carries no participant token (Authorization: Bearer TOKEN)" :
		    tok->why);
		return -1;
	}
	if (arn_parse(tok->stage_arn, &a) != 0 || (s = store_thread(&e)) == NULL)
		goto internal;
	if (store_stage_get(s, a.account, a.region, a.id, &st, &e) != ERR_OK) {
		if (e.code != ERR_NOT_FOUND)
			goto internal;
		answer_refusal(res, c, R_STAGE_GONE, "the token's stage does not exist");
		return -1;
	}
	if (session_is_refused(s, tok->stage_arn, tok->participant_id, &refused, &e) != ERR_OK)
		goto internal;
	if (refused) {
		answer_refusal(res, c, R_DISCONNECTED,
		    "the participant was disconnected from the stage");
		return -1;
	}
	c->who.kind = PRINCIPAL_TOKEN;
	snprintf(c->who.access_key, sizeof(c->who.access_key), "%s", tok->participant_id);
	return 0;
internal:
	log_msg(LOG_WARN, "whip: checking a token: %s", e.msg);
	answer_refusal(res, c, R_INTERNAL, "the server could not check the token; try again");
	return -1;
}

/* POST {whip}[/publish/ID | /subscribe/ID]: an offer. */
static void
http_offer(const struct http_request *req, struct http_response *res, struct call *c,
    const char *target)
{
	char *token = bearer(http_header(req, "Authorization"));
	struct ptoken tok;
	struct whip_result r;
	char link[WHIP_URL_CAP + 64];

	memset(&tok, 0, sizeof(tok));
	memset(&r, 0, sizeof(r));
	c->operation = "whip-offer";
	if (authorise(token, 0, &tok, res, c) != 0)
		goto out;
	whip_offer(&(struct whip_caller){ .stage_arn = tok.stage_arn,
	    .participant_id = tok.participant_id, .whip_url = tok.whip_url,
	    .publish = tok.publish, .subscribe = tok.subscribe, .via_socket = 0,
	    .user_id = tok.user_id, .attributes = tok.attributes ? tok.attributes : "{}",
	    .token = token, .forwarded = http_header(req, STAGE_HOST_FORWARDED) != NULL },
	    target, req->body, req->body_len, &r);
	if (r.status != 201) {
		err_set(&c->err, ERR_VALIDATION, "%s", r.message);
		answer_json(res, r.status, r.code, r.message);
		if (r.code == refusals[R_BUSY].code)
			http_set_header(res, "Retry-After", "1");
		goto out;
	}
	snprintf(link, sizeof(link), "<%s>; rel=\"" DELETE_REL "\"", r.delete_link);
	res->status = 201;
	res->content_type = "application/sdp";
	res->body = r.sdp;
	res->body_len = strlen(r.sdp);
	r.sdp = NULL;
	http_set_header(res, "Location", r.location);
	http_set_header(res, "Link", link);
out:
	whip_result_free(&r);
	ptoken_free(&tok);
	free(token);
}

/* The token of a session-delete beacon: {"authorization":"TOKEN"}. */
static char *
beacon_token(const struct http_request *req)
{
	json_t *doc = req->body ? json_loadb(req->body, req->body_len, 0, NULL) : NULL;
	char *token = bearer(json_string_value(json_object_get(doc, "authorization")));

	json_decref(doc);
	return token;
}

/* A session this node does not hold may be on the stage's host: the
 * DELETE or beacon is forwarded there as it came and its answer relayed.
 * 0 when it was, -1 when there is no other host (or the request came
 * from another node already). */
static int
relay_end(const struct http_request *req, struct http_response *res, struct call *c,
    const struct ptoken *tok, const char *token, int beacon)
{
	char host[MEDIA_NODE_CAP], url[MEDIA_NODE_CAP + LIMIT_URL_BYTES];
	char *auth = NULL;
	const char *lines[] = { NULL, NULL };
	struct stage_host_reply a;
	struct err e = { ERR_OK, "" };

	memset(&a, 0, sizeof(a));
	if (http_header(req, STAGE_HOST_FORWARDED) != NULL ||
	    stage_host_place(tok->stage_arn, 0, host, sizeof(host), &e) != STAGE_REMOTE ||
	    host_url(url, sizeof(url), host, req->path, "") != 0)
		return -1;
	if (beacon ? (auth = strdup("Content-Type: text/plain")) == NULL :
	    asprintf(&auth, "Authorization: Bearer %s", token) < 0) {
		auth = NULL;
		answer_refusal(res, c, R_INTERNAL, "out of memory");
		return 0;
	}
	lines[0] = auth;
	if (stage_host_forward(&(struct stage_host_request){ "delete", req->method, url, lines,
	    beacon ? req->body : NULL, beacon ? req->body_len : 0 }, &a, &e) != ERR_OK) {
		answer_refusal(res, c, R_BUSY, "the node hosting the stage's media did not "
		    "answer; try again");
	} else {
		res->status = a.status;
		if (a.body_len > 0) {
			res->content_type = "application/json";
			res->body = a.body;
			res->body_len = a.body_len;
			a.body = NULL;
		}
		if (a.status >= 300)
			err_set(&c->err, ERR_VALIDATION, "the stage's media node answered %d",
			    a.status);
		else
			log_msg(LOG_INFO, "whip: session ended on the stage's media node %s", host);
	}
	stage_host_reply_free(&a);
	free(auth);
	return 0;
}

/* DELETE {whip}/session/ID, or the beacon POST {whip}/session/ID/delete. */
static void
http_end(const struct http_request *req, struct http_response *res, struct call *c,
    const char *id, int beacon)
{
	char *token = beacon ? beacon_token(req) : bearer(http_header(req, "Authorization"));
	struct ptoken tok;
	struct err e = { ERR_OK, "" };

	memset(&tok, 0, sizeof(tok));
	c->operation = "whip-delete";
	if (authorise(token, 1, &tok, res, c) != 0)
		goto out;
	if (sfu_end_session(id, tok.participant_id, &e) != ERR_OK) {
		if (e.code == ERR_NOT_FOUND && relay_end(req, res, c, &tok, token, beacon) == 0)
			goto out;
		if (e.code == ERR_NOT_FOUND)
			answer_refusal(res, c, R_NO_SESSION, "no such media session of this "
			    "participant");
		else
			answer_refusal(res, c, R_INTERNAL, e.msg);
		goto out;
	}
	res->status = beacon ? 204 : 200;
	log_msg(LOG_INFO, "whip: session %s ended by %s", id, beacon ? "its beacon" : "DELETE");
out:
	ptoken_free(&tok);
	free(token);
}

/* The id of "session/ID" or "session/ID/delete" in rest into id; 1 for
 * the delete form, 0 for the session itself, -1 for neither. */
static int
session_path(const char *rest, char *id, size_t cap)
{
	const char *slash;
	size_t n;

	if (strncmp(rest, "session/", 8) != 0)
		return -1;
	rest += 8;
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n == 0 || n >= cap || n != strspn(rest, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"))
		return -1;
	memcpy(id, rest, n);
	id[n] = '\0';
	if (slash == NULL)
		return 0;
	return strcmp(slash, "/delete") == 0 ? 1 : -1;
}

void
whip_route(const struct http_request *req, struct http_response *res, struct call *c)
{
	const char *rest = req->path + strlen(WHIP_BASE);
	char id[SFU_ID_CAP];
	int form;

	c->operation = "whip";
	cors(req, res);
	if (*rest == '/')
		rest++;
	else if (*rest != '\0')
		return answer_refusal(res, c, R_BAD_URL, "no such WHIP URL");
	if (strcmp(req->method, "OPTIONS") == 0)
		return preflight(req, res);
	form = session_path(rest, id, sizeof(id));
	if (strcmp(req->method, "DELETE") == 0 && form == 0)
		return http_end(req, res, c, id, 0);
	if (strcmp(req->method, "POST") == 0 && form == 1)
		return http_end(req, res, c, id, 1);
	if (strcmp(req->method, "POST") == 0 && form < 0)
		return http_offer(req, res, c, rest);
	if (form >= 0 || strcmp(req->method, "POST") == 0 || strcmp(req->method, "DELETE") == 0)
		return answer_refusal(res, c, R_BAD_URL, "no such WHIP URL for this method");
	http_set_header(res, "Allow", "POST, DELETE, OPTIONS");
	err_set(&c->err, ERR_VALIDATION, "method %s is not served under /whip", req->method);
	answer_json(res, 405, 0, c->err.msg);
}
