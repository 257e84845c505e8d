/* The join, on an HTTP worker thread (see runtime.h): the WebSocket
 * handshake's checks, the token (the first Sec-WebSocket-Protocol
 * token), the stage of the URL, the stage's existence, revocation, and
 * the join recorded in a store job, then the 101 that hands the socket
 * to the loop with its ticket. Refusals after the handshake travel in
 * the ticket and are told on the socket (aws:ivs:JOIN_ERROR), as the SDK
 * expects.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/log.h"
#include "ivs/arn.h"
#include "ivs/ivs.h"
#include "ivs/ptoken.h"
#include "ivs/session.h"
#include "net/ws.h"
#include "runtime/events.h"
#include "runtime/runtime.h"
#include "runtime/useragent.h"
#include "store/session_store.h"
#include "store/stage_store.h"
#include "store/token_store.h"
#include "util/pct.h"

/* Answers an HTTP error before any upgrade: {"code","message"}. */
static void
http_refuse(struct http_response *res, int status, const char *code, const char *message)
{
	json_t *doc = json_pack("{s:s, s:s}", "code", code, "message", message);

	res->status = status;
	res->content_type = "application/json";
	res->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	res->body_len = res->body ? strlen(res->body) : 0;
	json_decref(doc);
	if (status == 426)
		http_set_header(res, "Sec-WebSocket-Version", WS_VERSION);
}

/* The value of query parameter name in query (raw), percent-decoded into
 * out; 0 if found. */
static int
query_param(const char *query, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = query, *end;
	long n;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			n = pct_decode(p, end ? (size_t)(end - p) : strlen(p), out, cap - 1);
			if (n < 0)
				return -1;
			out[n] = '\0';
			return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -1;
}

/* The stage the URL names: /events/STAGE, or topic=STAGE/publishers. */
static int
url_stage(const struct http_request *req, char *out, size_t cap)
{
	char topic[256];
	char *slash;
	long n;

	if (strncmp(req->path, "/events/", 8) == 0) {
		n = pct_decode(req->path + 8, strlen(req->path + 8), out, cap - 1);
		if (n <= 0)
			return -1;
		out[n] = '\0';
		return strchr(out, '/') ? -1 : 0;
	}
	if (query_param(req->query, "topic", topic, sizeof(topic)) != 0)
		return -1;
	if ((slash = strchr(topic, '/')) != NULL)
		*slash = '\0';
	if (topic[0] == '\0' || strlen(topic) >= cap)
		return -1;
	memcpy(out, topic, strlen(topic) + 1);
	return 0;
}

static void
refuse(struct ticket *t, const char *code, const char *message)
{
	t->error_code = code;
	snprintf(t->message, sizeof(t->message), "%s", message);
}

struct join_job {
	struct session_join j;
	char session_id[SESSION_ID_CAP];
	long long join_seq;	/* out */
};

static enum err_code
join_tx(struct store *s, void *arg, struct err *e)
{
	struct join_job *jj = arg;

	if (session_join(s, &jj->j, session_now_ms(), jj->session_id, e) != ERR_OK)
		return e->code;
	return store_participant_last_join(s, jj->session_id, jj->j.who.participant_id,
	    &jj->join_seq, e);
}

/* Checks what the store knows (the stage, revocation) and records the
 * join; refusals go into t. */
static void
admit(const struct http_request *req, const struct ptoken *tok, struct ticket *t)
{
	struct err e = { ERR_OK, "" };
	struct arn a;
	struct stage_rec st;
	struct store *s;
	struct useragent ua;
	const char *sdk = http_header(req, "X-Stages-SDK");
	struct join_job jj;
	struct bus_event ev = { .kind = BUS_ROSTER_CHANGED };
	int r;

	if (arn_parse(tok->stage_arn, &a) != 0)
		return refuse(t, "TOKEN_INVALID", "claim resource is not a stage ARN");
	if ((s = store_thread(&e)) == NULL)
		goto internal;
	if (store_stage_get(s, a.account, a.region, a.id, &st, &e) != ERR_OK) {
		if (e.code == ERR_NOT_FOUND)
			return refuse(t, "STAGE_DELETED", "the stage does not exist");
		goto internal;
	}
	if (session_is_refused(s, tok->stage_arn, tok->participant_id, &r, &e) != ERR_OK)
		goto internal;
	if (r)
		return refuse(t, "PARTICIPANT_DISCONNECTED",
		    "the participant was disconnected from the stage");
	useragent_parse(http_header(req, "User-Agent"), &ua);
	memset(&jj, 0, sizeof(jj));
	jj.j.stage_arn = tok->stage_arn;
	jj.j.who = (struct participant_join){ .participant_id = tok->participant_id,
	    .user_id = tok->user_id, .attributes = tok->attributes, .protocol = "",
	    .browser_name = ua.browser_name, .browser_version = ua.browser_version,
	    .os_name = ua.os_name, .os_version = ua.os_version, .sdk_version = sdk ? sdk : "",
	    .node = events_node() };
	if (store_write(join_tx, &jj, &e) != ERR_OK)
		goto internal;
	t->join_seq = jj.join_seq;
	snprintf(ev.stage_arn, sizeof(ev.stage_arn), "%s", tok->stage_arn);
	snprintf(ev.participant_id, sizeof(ev.participant_id), "%s", tok->participant_id);
	ev.kind = BUS_PARTICIPANT_REPLACED;	/* other nodes drop an older socket */
	bus_publish(&ev);
	ev.kind = BUS_ROSTER_CHANGED;
	bus_publish(&ev);
	return;
internal:
	log_msg(LOG_WARN, "events: join of %s refused for now: %s", tok->participant_id, e.msg);
	refuse(t, "INTERNAL", "the server could not record the join; try again");
}

/* Fills t from the token and the store. */
static void
decide(const struct http_request *req, const char *token, const char *url_stage_id,
    struct ticket *t)
{
	struct ptoken tok;
	enum ptoken_code pc = ptoken_verify(ivs_keys(), token, session_now_ms() / 1000, &tok);

	snprintf(t->stage_id, sizeof(t->stage_id), "%s", url_stage_id);
	if (pc != PTOKEN_OK) {
		log_msg(LOG_INFO, "events: token refused (%s): %s", ptoken_code_name(pc), tok.why);
		refuse(t, ptoken_code_name(pc), tok.why);
	} else if (strcmp(tok.topic, url_stage_id) != 0) {
		refuse(t, "BAD_REQUEST", "the URL's stage is not the token's topic");
	} else {
		snprintf(t->stage_arn, sizeof(t->stage_arn), "%s", tok.stage_arn);
		snprintf(t->participant_id, sizeof(t->participant_id), "%s", tok.participant_id);
		snprintf(t->events_url, sizeof(t->events_url), "%s", tok.events_url);
		snprintf(t->whip_url, sizeof(t->whip_url), "%s", tok.whip_url);
		snprintf(t->user_id, sizeof(t->user_id), "%s", tok.user_id);
		t->publish = tok.publish;
		t->subscribe = tok.subscribe;
		t->exp = tok.exp;
		t->token = strdup(token);
		admit(req, &tok, t);
	}
	ptoken_free(&tok);
}

void
runtime_events_route(const struct http_request *req, struct http_response *res,
    struct call *c)
{
	struct ws_request w = { req->method, req->version, http_header(req, "Upgrade"),
	    http_header(req, "Connection"), http_header(req, "Sec-WebSocket-Version"),
	    http_header(req, "Sec-WebSocket-Key") };
	const char *protocols = http_header(req, "Sec-WebSocket-Protocol"), *cursor = protocols;
	const char *tok = NULL;
	char accept[WS_ACCEPT_LEN + 1], stage[PTOKEN_TOPIC_CAP], *token = NULL;
	struct ticket *t = NULL;
	size_t toklen = 0;

	c->operation = "events";
	if (ws_handshake_check(&w, accept, &c->err) != ERR_OK) {
		int version = w.version != NULL && strstr(c->err.msg, "Version") != NULL;
		http_refuse(res, version ? 426 : 400, "BAD_REQUEST", c->err.msg);
		return;
	}
	if (protocols != NULL && ws_protocol_next(&cursor, &tok, &toklen) < 0) {
		http_refuse(res, 400, "BAD_REQUEST", "Sec-WebSocket-Protocol is not a token list");
		return;
	}
	if (url_stage(req, stage, sizeof(stage)) != 0) {
		http_refuse(res, 400, "BAD_REQUEST", "the URL names no stage: use "
		    "/events?topic=STAGE_ID/publishers or /events/STAGE_ID");
		return;
	}
	if (events_reserve(req->remote) != 0) {
		http_refuse(res, 503, "INTERNAL", "this node has no room for another events socket; "
		    "try again later");
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL || (tok != NULL &&
	    (token = strndup(tok, toklen)) == NULL)) {
		events_release(req->remote);
		ticket_free(t);
		http_refuse(res, 500, "INTERNAL", "out of memory");
		return;
	}
	snprintf(t->remote, sizeof(t->remote), "%s", req->remote);
	decide(req, token, stage, t);
	if (t->error_code != NULL)
		events_count_join_error(t->error_code);
	res->status = 101;
	res->upgrade = events_upgraded;
	res->upgrade_arg = t;
	res->upgrade_protocol = token;	/* echoed exactly: browsers insist */
	http_set_header(res, "Upgrade", "websocket");
	http_set_header(res, "Sec-WebSocket-Accept", accept);
}
