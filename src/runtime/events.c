/* The events sockets (see runtime.h): one event-loop thread owns every
 * upgraded socket, reads and parses its frames, answers its messages and
 * writes through a bounded output buffer. It never touches the store:
 * roster reads and writes go to the store thread (jobs.c) and come back
 * with loop_post. Rosters are re-read from the store whenever the bus
 * says a stage changed, so one node and many behave alike.
 *
 * Choices: text that is not JSON, binary messages and unknown types are
 * ignored (logged at debug), as the SDK ignores what it does not know; a
 * message over LIMIT_WS_MESSAGE_BYTES closes with 1009; a socket silent
 * for LIMIT_EVENTS_IDLE_SECONDS closes with 1001; a client whose output
 * passes LIMIT_EVENTS_OUTPUT_BYTES is closed at once.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/jwt.h"
#include "ivs/ivs.h"
#include "ivs/session.h"
#include "limits.h"
#include "media/sfu.h"
#include "media/whip.h"
#include "net/loop.h"
#include "net/ws.h"
#include "runtime/events.h"
#include "runtime/jobs.h"
#include "runtime/roster.h"
#include "runtime/runtime.h"
#include "store/store.h"

struct stage_rt;

struct sock {
	struct ticket *t;		/* who, and the handle */
	struct ws_parser parser;
	unsigned char *out;
	size_t out_len, out_cap;
	struct stage_rt *stage;
	struct sock *next_in_stage;
	long long seq;			/* last STAGE_STATE sequence number sent */
	uint64_t last_in_ms;
	int closing;			/* a close frame is queued: close once flushed */
	int leave;			/* the participant leaves when this socket closes */
	int writable_wait;
	struct live_state live;
	unsigned long long id;		/* unique for the process's life */
};

struct stage_rt {
	char arn[PTOKEN_ARN_CAP];
	char id[PTOKEN_TOPIC_CAP];
	struct sock *socks;
	int reading, again;		/* a roster read is under way; another is due */
	struct stage_rt *next;
};

static struct {
	struct loop *loop;
	struct loop_timer *tick;
	const struct config *cfg;
	char node[BUS_NODE_CAP];
	struct stage_rt *stages;
	pthread_mutex_t admit_lock;
	unsigned open;
	struct {
		char addr[64];
		unsigned n;
	} by_addr[LIMIT_EVENTS_SOCKETS];
	struct metric_family *m_open, *m_participants, *m_messages, *m_join_errors, *m_closes;
	atomic_llong participants;
	int started;
	int xdp;			/* offers over the socket (--sdp-exchange socket) */
} rt = { .admit_lock = PTHREAD_MUTEX_INITIALIZER };

const char *
events_node(void)
{
	return rt.node;
}

/* ---- admission -------------------------------------------------------------- */

int
events_reserve(const char *remote)
{
	int ok = 0;
	size_t i, free_slot = LIMIT_EVENTS_SOCKETS;

	pthread_mutex_lock(&rt.admit_lock);
	if (rt.open >= LIMIT_EVENTS_SOCKETS)
		goto out;
	for (i = 0; i < LIMIT_EVENTS_SOCKETS; i++) {
		if (rt.by_addr[i].n > 0 && strcmp(rt.by_addr[i].addr, remote) == 0)
			break;
		if (rt.by_addr[i].n == 0 && free_slot == LIMIT_EVENTS_SOCKETS)
			free_slot = i;
	}
	if (i == LIMIT_EVENTS_SOCKETS) {
		i = free_slot;
		snprintf(rt.by_addr[i].addr, sizeof(rt.by_addr[i].addr), "%s", remote);
	}
	if (rt.by_addr[i].n >= LIMIT_EVENTS_SOCKETS_PER_ADDRESS)
		goto out;
	rt.by_addr[i].n++;
	rt.open++;
	ok = 1;
out:
	pthread_mutex_unlock(&rt.admit_lock);
	return ok ? 0 : -1;
}

void
events_release(const char *remote)
{
	size_t i;

	pthread_mutex_lock(&rt.admit_lock);
	for (i = 0; i < LIMIT_EVENTS_SOCKETS; i++)
		if (rt.by_addr[i].n > 0 && strcmp(rt.by_addr[i].addr, remote) == 0) {
			rt.by_addr[i].n--;
			rt.open--;
			break;
		}
	pthread_mutex_unlock(&rt.admit_lock);
}

void
ticket_free(struct ticket *t)
{
	if (t == NULL)
		return;
	free(t->extra);
	free(t->token);
	free(t);
}

/* ---- metrics ---------------------------------------------------------------- */

/* Message types counted by name; anything else counts as "other". */
static const char *const counted_types[] = {
	"STAGE_STATE", "PING", "PONG", "SET_STATE", "aws:ivs:SET_STATE",
	"aws:ivs:EXCHANGE_TOKEN", "aws:ivs:SDP_OFFER", "aws:ivs:JOIN_ERROR",
	"aws:ivs:DISCONNECT", "aws:ivs:SDP_ANSWER",
};

static void
count_message(const char *direction, const char *type)
{
	const char *label = "other";
	size_t i;

	for (i = 0; type != NULL && i < sizeof(counted_types) / sizeof(counted_types[0]); i++)
		if (strcmp(type, counted_types[i]) == 0)
			label = counted_types[i];
	metrics_add(metrics_series(rt.m_messages, (const char *[]){ direction, label }), 1);
}

void
events_count_join_error(const char *code)
{
	metrics_add(metrics_series(rt.m_join_errors, (const char *[]){ code }), 1);
}

static void
register_metrics(void)
{
	if (rt.m_open != NULL)
		return;
	rt.m_open = metrics_register("rtstage_events_sockets_open",
	    "Events sockets open now.", METRIC_GAUGE, NULL, NULL, 0);
	rt.m_participants = metrics_register("rtstage_events_participants_connected",
	    "Participants connected through this node's events sockets.", METRIC_GAUGE, NULL,
	    NULL, 0);
	rt.m_messages = metrics_register("rtstage_events_messages_total",
	    "Events socket messages by direction (in, out) and type.", METRIC_COUNTER,
	    "direction,type", NULL, 0);
	rt.m_join_errors = metrics_register("rtstage_events_join_errors_total",
	    "Joins refused with JOIN_ERROR, by code.", METRIC_COUNTER, "code", NULL, 0);
	rt.m_closes = metrics_register("rtstage_events_sockets_closed_total",
	    "Events sockets closed, by reason.", METRIC_COUNTER, "reason", NULL, 0);
}

/* ---- stages ----------------------------------------------------------------- */

static struct stage_rt *
rt_stage_find(const char *arn)
{
	struct stage_rt *st;

	for (st = rt.stages; st != NULL; st = st->next)
		if (strcmp(st->arn, arn) == 0)
			return st;
	return NULL;
}

static struct stage_rt *
rt_stage_get(const char *arn, const char *id)
{
	struct stage_rt *st = rt_stage_find(arn);

	if (st != NULL || (st = calloc(1, sizeof(*st))) == NULL)
		return st;
	snprintf(st->arn, sizeof(st->arn), "%s", arn);
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->next = rt.stages;
	rt.stages = st;
	return st;
}

/* Frees st when nothing refers to it any more. */
static void
stage_drop_if_unused(struct stage_rt *st)
{
	struct stage_rt **pp;

	if (st->socks != NULL || st->reading)
		return;
	for (pp = &rt.stages; *pp != NULL; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			free(st);
			return;
		}
}

/* Every live socket: the idle sweep walks it, and a result coming back
 * from the store thread finds its socket in it (by id: the address may
 * have been reused). */
static struct sock *all_socks[LIMIT_EVENTS_SOCKETS];
static size_t n_all;
static unsigned long long next_sock_id;

/* k if it is still open (and, id not 0, is the socket of that id). */
static struct sock *
sock_alive(struct sock *k, unsigned long long id)
{
	size_t i;

	for (i = 0; i < n_all; i++)
		if (all_socks[i] == k && (id == 0 || k->id == id))
			return k;
	return NULL;
}

static void
registry_remove(struct sock *k)
{
	size_t i;

	for (i = 0; i < n_all; i++)
		if (all_socks[i] == k) {
			all_socks[i] = all_socks[--n_all];
			return;
		}
}

/* ---- output ----------------------------------------------------------------- */

static void sock_close(struct sock *k, const char *reason);

/* Writes what the output buffer holds, as far as the socket takes it. */
static void
flush(struct sock *k)
{
	ssize_t n;
	struct err e;

	while (k->out_len > 0) {
		n = send(k->t->fd, k->out, k->out_len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			k->out_len = 0;
			k->closing = 2;		/* broken: close without waiting */
			return;
		}
		memmove(k->out, k->out + n, k->out_len - (size_t)n);
		k->out_len -= (size_t)n;
	}
	if ((k->out_len > 0) != k->writable_wait) {
		k->writable_wait = k->out_len > 0;
		loop_watch_modify(rt.loop, k->t->fd,
		    LOOP_READ | (k->writable_wait ? LOOP_WRITE : 0), &e);
	}
}

/* Appends a frame; a client that does not read gets closed. Returns 0, or
 * -1 when the socket was closed. */
static int
queue_frame(struct sock *k, enum ws_opcode op, const void *payload, size_t len)
{
	size_t need = ws_frame_size(len, 0);
	unsigned char *p;

	if (k->out_len + need > LIMIT_EVENTS_OUTPUT_BYTES)
		return -1;
	if (k->out_len + need > k->out_cap) {
		size_t cap = k->out_cap ? k->out_cap : 4096;
		while (cap < k->out_len + need)
			cap *= 2;
		if ((p = realloc(k->out, cap)) == NULL)
			return -1;
		k->out = p;
		k->out_cap = cap;
	}
	k->out_len += ws_frame_write(k->out + k->out_len, k->out_cap - k->out_len, op, 1,
	    payload, len, NULL);
	return 0;
}

/* Sends one text message (type for the metrics). Returns 0, or -1 when the
 * socket had to be closed (its output was full). */
static int
send_text(struct sock *k, const char *type, const char *text)
{
	if (k->closing)
		return 0;
	if (queue_frame(k, WS_OP_TEXT, text, strlen(text)) != 0) {
		sock_close(k, "output buffer full");
		return -1;
	}
	count_message("out", type);
	flush(k);
	return 0;
}

/* Sends {"type":type,"payload":payload} (payload: a new reference, stolen). */
static int
send_json(struct sock *k, const char *type, json_t *payload)
{
	json_t *msg = json_pack("{s:s}", "type", type);
	char *text;
	int rc = -1;

	if (msg != NULL && payload != NULL)
		json_object_set_new(msg, "payload", payload);
	else
		json_decref(payload);
	if (msg != NULL && (text = json_dumps(msg, JSON_COMPACT)) != NULL) {
		rc = send_text(k, type, text);
		free(text);
	}
	json_decref(msg);
	return rc;
}

/* Queues a close frame; the socket closes once it is written. */
static void
send_close(struct sock *k, uint16_t code, const char *reason)
{
	unsigned char frame[WS_CONTROL_MAX + WS_HEADER_MAX];
	size_t n;

	if (k->closing)
		return;
	n = ws_close_write(frame, sizeof(frame), code, reason, strlen(reason), NULL);
	if (n > 0 && k->out_len + n <= LIMIT_EVENTS_OUTPUT_BYTES &&
	    queue_frame(k, WS_OP_CLOSE, NULL, 0) == 0) {
		k->out_len -= ws_frame_size(0, 0);	/* replace the empty frame by ours */
		memcpy(k->out + k->out_len, frame, n);
		k->out_len += n;
	}
	k->closing = 1;
	flush(k);
	if (k->out_len == 0)
		sock_close(k, reason);
}

/* Tells k it must go (aws:ivs:DISCONNECT code, reason) and closes it. */
static void
disconnect(struct sock *k, const char *code, const char *reason)
{
	json_t *p = json_pack("{s:s, s:s}", "code", code, "reason", reason);

	if (send_json(k, "aws:ivs:DISCONNECT", p) == 0)
		send_close(k, WS_CLOSE_NORMAL, code);
}

/* ---- store jobs ------------------------------------------------------------- */

struct roster_job {
	char arn[PTOKEN_ARN_CAP];
	struct roster r;
	enum err_code rc;
	char msg[256];
};

static enum err_code
roster_participant(void *arg, const struct roster_row *row)
{
	struct roster *r = arg;

	return roster_add(r, row->participant_id, row->user_id, row->attributes,
	    row->live.audio_muted, row->live.video_stopped, row->live.is_publishing) ?
	    ERR_INTERNAL : ERR_OK;
}

static enum err_code
roster_kicked(void *arg, const char *id)
{
	return roster_add_kicked(arg, id) ? ERR_INTERNAL : ERR_OK;
}

static enum err_code
roster_tx(struct store *s, void *arg, struct err *e)
{
	struct roster_job *j = arg;

	return session_roster(s, j->arn, roster_participant, roster_kicked, &j->r, e);
}

static void roster_ready(struct loop *l, void *arg);

/* On the store thread: reads the roster, hands it to the loop. */
static void
roster_read_job(void *arg)
{
	struct roster_job *j = arg;
	struct err e = { ERR_OK, "" };

	j->rc = store_read(roster_tx, j, &e);
	snprintf(j->msg, sizeof(j->msg), "%.*s", (int)sizeof(j->msg) - 1, e.msg);
	if (loop_post(rt.loop, roster_ready, j, &e) != ERR_OK) {
		roster_free(&j->r);
		free(j);
	}
}

/* Asks for a fresh roster of st, or for another once the current read ends. */
static void
roster_refresh(struct stage_rt *st)
{
	struct roster_job *j;

	if (st->reading) {
		st->again = 1;
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	snprintf(j->arn, sizeof(j->arn), "%s", st->arn);
	roster_init(&j->r, st->id);
	j->r.xdp = rt.xdp;
	if (jobs_post(roster_read_job, j) != 0) {
		log_msg(LOG_WARN, "events: store queue full; roster of %s not refreshed", st->arn);
		roster_free(&j->r);
		free(j);
		return;
	}
	st->reading = 1;
	st->again = 0;
}

/* On the loop: sends the roster to every socket of its stage. */
static void
roster_ready(struct loop *l, void *arg)
{
	struct roster_job *j = arg;
	struct stage_rt *st = rt_stage_find(j->arn);
	struct sock *k, *next;
	char *text;

	(void)l;
	if (j->rc != ERR_OK)
		log_msg(LOG_WARN, "events: reading the roster of %s: %s", j->arn, j->msg);
	if (j->r.truncated)
		log_msg(LOG_WARN, "events: roster of %s cut to %d entries", j->arn,
		    LIMIT_SNAPSHOT_PARTICIPANTS);
	if (st != NULL) {
		st->reading = 0;
		for (k = st->socks; j->rc == ERR_OK && k != NULL; k = next) {
			next = k->next_in_stage;
			if (k->closing || (text = roster_snapshot(&j->r, k->seq + 1)) == NULL)
				continue;
			k->seq++;
			send_text(k, "STAGE_STATE", text);
			free(text);
		}
		if (st->again || j->rc != ERR_OK)
			roster_refresh(st);
		else
			stage_drop_if_unused(st);
	}
	roster_free(&j->r);
	free(j);
}

/* A write of the runtime, run on the store thread; the roster change is
 * published after the commit. */
struct write_job {
	enum { W_LEAVE, W_LIVE } what;
	char arn[PTOKEN_ARN_CAP];
	char pid[PTOKEN_ID_CAP];
	struct live_state live;
	long long join_seq;	/* W_LEAVE: the closing connection's JOINED */
	int stale;		/* W_LEAVE: the participant joined again since: no leave */
};

static enum err_code
write_tx(struct store *s, void *arg, struct err *e)
{
	struct write_job *j = arg;
	long long last;
	int empty;

	if (j->what != W_LEAVE)
		return session_set_live(s, j->arn, j->pid, &j->live, e);
	if (session_join_seq(s, j->arn, j->pid, &last, e) != ERR_OK)
		return e->code;
	if ((j->stale = last > j->join_seq))
		return ERR_OK;
	/* its media ends with it: the stops come before the LEFT */
	if (session_stop_media(s, j->arn, j->pid, session_now_ms(), e) != ERR_OK)
		return e->code;
	return session_leave(s, j->arn, j->pid, session_now_ms(), &empty, e);
}

static void
write_job(void *arg)
{
	struct write_job *j = arg;
	struct err e = { ERR_OK, "" };
	struct bus_event ev = { .kind = BUS_ROSTER_CHANGED };

	if (store_write(write_tx, j, &e) != ERR_OK && e.code != ERR_NOT_FOUND)
		log_msg(LOG_WARN, "events: recording %s of %s in %s: %s",
		    j->what == W_LEAVE ? "the leave" : "the state", j->pid, j->arn, e.msg);
	if (j->what == W_LEAVE && j->stale) {
		log_msg(LOG_INFO, "events: %s joined %s again before its old connection's close "
		    "was recorded: no leave", j->pid, j->arn);
		free(j);
		return;
	}
	if (j->what == W_LEAVE)
		sfu_end_participant(j->arn, j->pid);	/* its last socket closed */
	snprintf(ev.stage_arn, sizeof(ev.stage_arn), "%s", j->arn);
	snprintf(ev.participant_id, sizeof(ev.participant_id), "%s", j->pid);
	bus_publish(&ev);
	free(j);
}

static void
post_write(int what, const struct sock *k)
{
	struct write_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return;
	j->what = what;
	snprintf(j->arn, sizeof(j->arn), "%s", k->t->stage_arn);
	snprintf(j->pid, sizeof(j->pid), "%s", k->t->participant_id);
	j->live = k->live;
	j->join_seq = k->t->join_seq;
	if (jobs_post(write_job, j) != 0) {
		log_msg(LOG_WARN, "events: store queue full; %s of %s not recorded",
		    what == W_LEAVE ? "the leave" : "the state", j->pid);
		free(j);
	}
}

/* ---- sockets ---------------------------------------------------------------- */

static struct sock *
other_socket(const struct sock *k)
{
	struct sock *o;

	for (o = k->stage ? k->stage->socks : NULL; o != NULL; o = o->next_in_stage)
		if (o != k && !o->closing && k->t->error_code == NULL &&
		    strcmp(o->t->participant_id, k->t->participant_id) == 0)
			return o;
	return NULL;
}

/* Closes k now: unwatched, handed back to the HTTP server, forgotten. */
static void
sock_close(struct sock *k, const char *reason)
{
	struct sock **pp;
	struct stage_rt *st = k->stage;

	registry_remove(k);
	loop_unwatch(rt.loop, k->t->fd);
	http_upgrade_close(k->t->handle);
	events_release(k->t->remote);
	if (st != NULL) {
		for (pp = &st->socks; *pp != NULL; pp = &(*pp)->next_in_stage)
			if (*pp == k) {
				*pp = k->next_in_stage;
				break;
			}
	}
	if (k->leave && other_socket(k) == NULL) {
		post_write(W_LEAVE, k);
		metrics_add(metrics_series(rt.m_participants, NULL), -1);
	}
	metrics_add(metrics_series(rt.m_open, NULL), -1);
	metrics_add(metrics_series(rt.m_closes, (const char *[]){ k->closing ? "closed" : "dropped" }), 1);
	log_msg(LOG_INFO, "events socket closed: participant=%s stage=%s remote=%s reason=\"%s\"",
	    k->t->participant_id[0] ? k->t->participant_id : "-",
	    k->t->stage_id[0] ? k->t->stage_id : "-", k->t->remote, reason);
	ws_parser_free(&k->parser);
	free(k->out);
	ticket_free(k->t);
	free(k);
	if (st != NULL)
		stage_drop_if_unused(st);
}

/* ---- messages in ------------------------------------------------------------ */

static const char *
str_of(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

static void
on_ping(struct sock *k, const json_t *msg)
{
	(void)msg;
	send_text(k, "PONG", "{\"type\":\"PONG\"}");
}

/* Reads audioMuted and videoStopped from o into k's state; 1 if changed. */
static int
read_state(struct sock *k, const json_t *o)
{
	struct live_state was = k->live;
	const json_t *a = json_object_get(o, "audioMuted"), *v = json_object_get(o, "videoStopped");

	if (json_is_boolean(a))
		k->live.audio_muted = json_is_true(a);
	if (json_is_boolean(v))
		k->live.video_stopped = json_is_true(v);
	return memcmp(&was, &k->live, sizeof(was)) != 0;
}

static void
on_set_state(struct sock *k, const json_t *msg)
{
	if (read_state(k, msg))
		post_write(W_LIVE, k);
}

static void
on_aws_set_state(struct sock *k, const json_t *msg)
{
	const json_t *p = json_object_get(msg, "payload");

	if (read_state(k, p))
		post_write(W_LIVE, k);
	send_json(k, "aws:ivs:SET_STATE", json_pack("{s:s}", "requestId", str_of(p, "requestId")));
}

/* Token exchange: verified and recorded on the store thread (the keyring
 * may re-read its store), answered back on the loop. */
struct exchange_job {
	char arn[PTOKEN_ARN_CAP], pid[PTOKEN_ID_CAP];
	char events_url[PTOKEN_URL_CAP], whip_url[PTOKEN_URL_CAP];
	char *old_token, *new_token;
	char request_id[128], trace_id[128];
	char error[256];		/* "" when accepted */
	long long exp;			/* accepted: the new token's expiry ... */
	int publish, subscribe;		/* ... and capabilities */
	struct sock *k;			/* checked still alive on return */
	unsigned long long gen;
};

static const char *
exchange_check(struct exchange_job *j, struct ptoken *nt)
{
	long long now_s = session_now_ms() / 1000;

	if (ptoken_verify(ivs_keys(), j->new_token, now_s, nt) != PTOKEN_OK)
		return nt->why;
	if (strcmp(nt->stage_arn, j->arn) != 0 || strcmp(nt->participant_id, j->pid) != 0 ||
	    strcmp(nt->events_url, j->events_url) != 0 || strcmp(nt->whip_url, j->whip_url) != 0)
		return "the new token must have the old one's resource, jti, topic, events_url "
		    "and whip_url";
	return NULL;
}

static enum err_code
exchange_tx(struct store *s, void *arg, struct err *e)
{
	const char *const *texts = arg;

	return session_token_exchanged(s, texts[0], texts[1], texts[2], texts[3],
	    session_now_ms(), e);
}

static void exchange_done(struct loop *l, void *arg);

/* An ExchangedParticipantToken object of t as JSON text (caller frees). */
static char *
exchanged_text(const struct ptoken *t)
{
	json_t *caps = json_loads(t->capabilities ? t->capabilities : "{}", 0, NULL);
	json_t *attrs = json_loads(t->attributes ? t->attributes : "{}", 0, NULL);
	json_t *capv = json_array(), *o;
	char *text;

	if (t->publish)
		json_array_append_new(capv, json_string("PUBLISH"));
	if (t->subscribe)
		json_array_append_new(capv, json_string("SUBSCRIBE"));
	o = json_pack("{s:o, s:o, s:s, s:I}", "capabilities", capv,
	    "attributes", attrs ? attrs : json_object(), "userId", t->user_id,
	    "expirationTime", (json_int_t)t->exp);
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	json_decref(caps);
	return text;
}

static void
exchange_job(void *arg)
{
	struct exchange_job *j = arg;
	struct ptoken nt, ot;
	struct err e = { ERR_OK, "" };
	const char *why = exchange_check(j, &nt);
	char *prev = NULL, *next = NULL;
	const char *texts[4];

	memset(&ot, 0, sizeof(ot));
	if (why != NULL) {
		snprintf(j->error, sizeof(j->error), "%s", why);
	} else {
		/* the old token as it was (an expired one shows as empty) */
		(void)ptoken_verify(ivs_keys(), j->old_token, session_now_ms() / 1000, &ot);
		prev = exchanged_text(&ot);
		next = exchanged_text(&nt);
		texts[0] = j->arn;
		texts[1] = j->pid;
		texts[2] = prev ? prev : "{}";
		texts[3] = next ? next : "{}";
		if (store_write(exchange_tx, (void *)texts, &e) != ERR_OK)
			log_msg(LOG_WARN, "events: recording the token exchange of %s: %s", j->pid,
			    e.msg);
		j->exp = nt.exp;
		j->publish = nt.publish;
		j->subscribe = nt.subscribe;
	}
	free(prev);
	free(next);
	ptoken_free(&ot);
	ptoken_free(&nt);
	if (loop_post(rt.loop, exchange_done, j, &e) != ERR_OK) {
		free(j->old_token);
		free(j->new_token);
		free(j);
	}
}

/* The socket's later offers are the new token's: its capabilities, its
 * expiry, and the token itself for forwarding. */
static void
take_token(struct ticket *t, struct exchange_job *j)
{
	t->exp = j->exp;
	t->publish = j->publish;
	t->subscribe = j->subscribe;
	free(t->token);
	t->token = j->new_token;
	j->new_token = NULL;
}

static void
exchange_done(struct loop *l, void *arg)
{
	struct exchange_job *j = arg;
	struct sock *k = sock_alive(j->k, j->gen);
	json_t *p;

	(void)l;
	if (k != NULL) {
		p = json_pack("{s:s, s:s}", "requestId", j->request_id, "traceId", j->trace_id);
		if (p != NULL && j->error[0] != '\0')
			json_object_set_new(p, "error", json_pack("{s:s}", "message", j->error));
		else if (j->error[0] == '\0')
			take_token(k->t, j);
		send_json(k, "aws:ivs:EXCHANGE_TOKEN", p);
	}
	free(j->old_token);
	free(j->new_token);
	free(j);
}

static void
on_exchange(struct sock *k, const json_t *msg)
{
	const json_t *p = json_object_get(msg, "payload");
	struct exchange_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return;
	snprintf(j->arn, sizeof(j->arn), "%s", k->t->stage_arn);
	snprintf(j->pid, sizeof(j->pid), "%s", k->t->participant_id);
	snprintf(j->events_url, sizeof(j->events_url), "%s", k->t->events_url);
	snprintf(j->whip_url, sizeof(j->whip_url), "%s", k->t->whip_url);
	snprintf(j->request_id, sizeof(j->request_id), "%s", str_of(p, "requestId"));
	snprintf(j->trace_id, sizeof(j->trace_id), "%s", str_of(p, "traceId"));
	j->old_token = strdup(str_of(p, "oldToken"));
	j->new_token = strdup(str_of(p, "newToken"));
	j->k = k;
	j->gen = k->id;
	if (j->old_token == NULL || j->new_token == NULL || jobs_post(exchange_job, j) != 0) {
		free(j->old_token);
		free(j->new_token);
		free(j);
	}
}

/* An SDP offer over the socket (XDP): served by whip_offer on the store
 * thread (it waits for the SFU and the store), answered on the loop. */
struct xdp_job {
	char arn[PTOKEN_ARN_CAP], pid[PTOKEN_ID_CAP], user_id[PTOKEN_USER_CAP];
	char whip_url[PTOKEN_URL_CAP];
	char target[PTOKEN_URL_CAP];
	char request_id[128];
	int publish, subscribe, off;
	char *sdp;
	char *token;			/* the socket's token, for a forwarded offer */
	struct whip_result r;
	struct sock *k;			/* checked still alive on return */
	unsigned long long gen;
};

/* The part of url after the whip base: the token's whip_url, or else
 * the path's /whip. "" for the base itself; NULL for another URL. */
static const char *
xdp_target(const char *url, const char *whip_url)
{
	size_t n = strlen(whip_url);
	const char *p;

	while (n > 0 && whip_url[n - 1] == '/')
		n--;
	if (n > 0 && strncmp(url, whip_url, n) == 0 && (url[n] == '/' || url[n] == '\0'))
		return url[n] == '/' ? url + n + 1 : url + n;
	if ((p = strstr(url, "://")) != NULL && (p = strchr(p + 3, '/')) != NULL &&
	    strncmp(p, "/whip", 5) == 0 && (p[5] == '/' || p[5] == '\0'))
		return p[5] == '/' ? p + 6 : p + 5;
	return NULL;
}

static void xdp_done(struct loop *l, void *arg);

static void
xdp_job(void *arg)
{
	struct xdp_job *j = arg;
	struct err e;
	const struct whip_caller w = { .stage_arn = j->arn, .participant_id = j->pid,
	    .whip_url = j->whip_url, .publish = j->publish, .subscribe = j->subscribe,
	    .via_socket = 1, .user_id = j->user_id, .attributes = "{}", .token = j->token };

	if (j->off) {
		j->r.status = 400;
		j->r.code = 2011;
		snprintf(j->r.message, sizeof(j->r.message), "this server takes SDP offers over "
		    "HTTP only (--sdp-exchange http): POST them to the WHIP URL");
	} else {
		whip_offer(&w, j->target, j->sdp, strlen(j->sdp), &j->r);
	}
	if (loop_post(rt.loop, xdp_done, j, &e) != ERR_OK) {
		(void)sfu_end_session(j->r.location[0] ? strrchr(j->r.location, '/') + 1 : "",
		    NULL, &e);
		whip_result_free(&j->r);
		free(j->sdp);
		free(j->token);
		free(j);
	}
}

/* On the loop: aws:ivs:SDP_ANSWER. */
static void
xdp_done(struct loop *l, void *arg)
{
	struct xdp_job *j = arg;
	struct sock *k = sock_alive(j->k, j->gen);
	struct err e;
	json_t *p;

	(void)l;
	if (k == NULL) {	/* nobody to answer: the session has no owner */
		if (j->r.status == 201)
			(void)sfu_end_session(strrchr(j->r.location, '/') + 1, NULL, &e);
	} else if (j->r.status == 201) {
		p = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "requestId", j->request_id,
		    "httpStatusCode", 201, "content", j->r.sdp, "contentType", "application/sdp",
		    "location", j->r.location, "sessionDeleteLink", j->r.delete_link);
		send_json(k, "aws:ivs:SDP_ANSWER", p);
	} else {
		p = json_pack("{s:s, s:i, s:i, s:s}", "requestId", j->request_id,
		    "httpStatusCode", j->r.status, "errorCode", j->r.code, "errorMessage",
		    j->r.message);
		send_json(k, "aws:ivs:SDP_ANSWER", p);
	}
	whip_result_free(&j->r);
	free(j->sdp);
	free(j->token);
	free(j);
}

static void
on_sdp_offer(struct sock *k, const json_t *msg)
{
	const json_t *p = json_object_get(msg, "payload");
	const char *target = xdp_target(str_of(p, "whipUrl"), k->t->whip_url);
	struct xdp_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return;
	snprintf(j->arn, sizeof(j->arn), "%s", k->t->stage_arn);
	snprintf(j->pid, sizeof(j->pid), "%s", k->t->participant_id);
	snprintf(j->user_id, sizeof(j->user_id), "%s", k->t->user_id);
	snprintf(j->whip_url, sizeof(j->whip_url), "%s", k->t->whip_url);
	snprintf(j->target, sizeof(j->target), "%s", target ? target : "?");
	snprintf(j->request_id, sizeof(j->request_id), "%s", str_of(p, "requestId"));
	j->publish = k->t->publish;
	j->subscribe = k->t->subscribe;
	j->off = !rt.xdp;
	j->sdp = strdup(str_of(p, "content"));
	j->token = k->t->token ? strdup(k->t->token) : NULL;
	j->k = k;
	j->gen = k->id;
	if (j->sdp == NULL || jobs_post(xdp_job, j) != 0) {
		log_msg(LOG_WARN, "events: store queue full; an SDP offer of %s is dropped", j->pid);
		free(j->sdp);
		free(j->token);
		free(j);
	}
}

/* Client messages by type; unknown ones are ignored. */
static const struct {
	const char *type;
	void (*fn)(struct sock *k, const json_t *msg);
} handlers[] = {
	{ "PING",                   on_ping },
	{ "SET_STATE",              on_set_state },
	{ "aws:ivs:SET_STATE",      on_aws_set_state },
	{ "aws:ivs:EXCHANGE_TOKEN", on_exchange },
	{ "aws:ivs:SDP_OFFER",      on_sdp_offer },
};

static void
on_message(struct sock *k, const struct ws_event *ev)
{
	json_t *msg;
	const char *type;
	size_t i;

	if (ev->opcode != WS_OP_TEXT ||
	    (msg = json_loadb((const char *)ev->data, ev->len, 0, NULL)) == NULL) {
		log_msg(LOG_DEBUG, "events: %s ignored a message that is not JSON text",
		    k->t->participant_id);
		count_message("in", NULL);
		return;
	}
	type = json_string_value(json_object_get(msg, "type"));
	count_message("in", type);
	for (i = 0; type != NULL && i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(type, handlers[i].type) == 0) {
			handlers[i].fn(k, msg);
			break;
		}
	if (type == NULL || i == sizeof(handlers) / sizeof(handlers[0]))
		log_msg(LOG_DEBUG, "events: %s sent a message of type %s: ignored",
		    k->t->participant_id, type ? type : "(none)");
	json_decref(msg);
}

/* Feeds n bytes to k's parser. Returns 0, or -1 when k was closed. */
static int
feed(struct sock *k, const unsigned char *in, size_t n)
{
	struct ws_event ev;
	size_t used;

	while (n > 0) {
		used = ws_parse(&k->parser, in, n, &ev);
		in += used;
		n -= used;
		switch (ev.kind) {
		case WS_EV_MESSAGE:
			if (!k->closing)
				on_message(k, &ev);
			break;
		case WS_EV_PING:
			if (queue_frame(k, WS_OP_PONG, ev.data, ev.len) == 0)
				flush(k);
			break;
		case WS_EV_CLOSE:
			if (!k->closing)	/* answer the client's close, then go */
				send_close(k, ev.code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL :
				    ev.code, "");
			if (sock_alive(k, 0) != NULL)
				sock_close(k, "closed by the client");
			return -1;
		case WS_EV_ERROR:
			send_close(k, ev.code, ev.error);
			if (sock_alive(k, 0) != NULL)
				sock_close(k, ev.error);
			return -1;
		default:
			break;
		}
		if (sock_alive(k, 0) == NULL)
			return -1;
	}
	return 0;
}


/* ---- the loop's callbacks --------------------------------------------------- */

static void
on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
	struct sock *k = arg;
	unsigned char in[16384];
	ssize_t n;

	(void)l;
	(void)fd;
	if (events & LOOP_WRITE) {
		flush(k);
		if (k->closing && (k->out_len == 0 || k->closing == 2)) {
			sock_close(k, "closed");
			return;
		}
	}
	if (!(events & (LOOP_READ | LOOP_ERROR)))
		return;
	n = recv(k->t->fd, in, sizeof(in), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		sock_close(k, n == 0 ? "the client went away" : "read error");
		return;
	}
	k->last_in_ms = loop_now_ms();
	if (feed(k, in, (size_t)n) == 0 && k->closing == 2)
		sock_close(k, "write error");
}

/* Once a second: sockets silent too long, and closes that never flushed. */
static void
on_tick(struct loop *l, struct loop_timer *t, void *arg)
{
	uint64_t now = loop_now_ms();
	size_t i;

	(void)l;
	(void)t;
	(void)arg;
	for (i = n_all; i-- > 0; ) {
		struct sock *k = all_socks[i];
		if (now - k->last_in_ms < LIMIT_EVENTS_IDLE_SECONDS * 1000ULL)
			continue;
		if (k->closing)
			sock_close(k, "close not acknowledged");
		else {
			k->last_in_ms = now;	/* a last chance to take the close */
			send_close(k, WS_CLOSE_GOING_AWAY, "idle");
		}
	}
}

/* A JOIN_ERROR, then the close: fatal codes close with 4000+, INTERNAL
 * (which the SDK retries) with 1011. */
static void
refuse_join(struct sock *k)
{
	json_t *p = json_pack("{s:s, s:s}", "code", k->t->error_code, "message", k->t->message);
	int internal = strcmp(k->t->error_code, "INTERNAL") == 0;

	if (send_json(k, "aws:ivs:JOIN_ERROR", p) == 0)
		send_close(k, internal ? WS_CLOSE_INTERNAL : 4000, k->t->error_code);
}

/* On the loop: a socket arrives with its ticket. */
static void
attach(struct loop *l, void *arg)
{
	struct ticket *t = arg;
	struct sock *k = calloc(1, sizeof(*k)), *old;
	struct err e;

	(void)l;
	if (k == NULL || n_all >= LIMIT_EVENTS_SOCKETS) {
		http_upgrade_close(t->handle);
		events_release(t->remote);
		ticket_free(t);
		free(k);
		return;
	}
	k->t = t;
	k->id = ++next_sock_id;
	k->last_in_ms = loop_now_ms();
	ws_parser_init(&k->parser, WS_SERVER, LIMIT_WS_MESSAGE_BYTES);
	all_socks[n_all++] = k;
	metrics_add(metrics_series(rt.m_open, NULL), 1);
	if (loop_watch(rt.loop, t->fd, LOOP_READ, on_fd, k, &e) != ERR_OK) {
		log_msg(LOG_WARN, "events: cannot watch a socket: %s", e.msg);
		sock_close(k, "cannot watch");
		return;
	}
	log_msg(LOG_INFO, "events socket open: participant=%s stage=%s remote=%s%s%s",
	    t->participant_id[0] ? t->participant_id : "-", t->stage_id[0] ? t->stage_id : "-",
	    t->remote, t->error_code ? " join_error=" : "", t->error_code ? t->error_code : "");
	if (t->error_code != NULL) {
		refuse_join(k);
		return;
	}
	if ((k->stage = rt_stage_get(t->stage_arn, t->stage_id)) == NULL) {
		sock_close(k, "out of memory");
		return;
	}
	k->next_in_stage = k->stage->socks;
	k->stage->socks = k;
	k->leave = 1;
	if ((old = other_socket(k)) != NULL) {
		old->leave = 0;		/* the participant stays: no LEFT, no JOINED again */
		disconnect(old, "TOKEN_REUSED", "another connection joined with this token");
	} else {
		metrics_add(metrics_series(rt.m_participants, NULL), 1);
	}
	roster_refresh(k->stage);
	if (t->extra_len > 0 && sock_alive(k, 0) != NULL)
		feed(k, (const unsigned char *)t->extra, t->extra_len);
}

void
events_upgraded(void *arg, int fd, void *handle, const char *extra, size_t extra_len)
{
	struct ticket *t = arg;
	struct err e;

	if (fd < 0 || handle == NULL) {
		events_release(t->remote);
		ticket_free(t);
		return;
	}
	t->fd = fd;
	t->handle = handle;
	if (extra_len > 0 && (t->extra = malloc(extra_len)) != NULL) {
		memcpy(t->extra, extra, extra_len);
		t->extra_len = extra_len;
	}
	if (rt.loop == NULL || loop_post(rt.loop, attach, t, &e) != ERR_OK) {
		http_upgrade_close(handle);
		events_release(t->remote);
		ticket_free(t);
	}
}

/* ---- the bus ---------------------------------------------------------------- */

/* On the loop: acts on one fact. */
static void
on_event(struct loop *l, void *arg)
{
	struct bus_event *ev = arg;
	struct stage_rt *st = rt_stage_find(ev->stage_arn);
	struct sock *k, *next;

	(void)l;
	if (ev->kind == BUS_STAGE_DELETED)
		sfu_end_stage(ev->stage_arn);
	else if (ev->kind == BUS_PARTICIPANT_DISCONNECTED)
		sfu_end_participant(ev->stage_arn, ev->participant_id);
	for (k = st ? st->socks : NULL; k != NULL; k = next) {
		next = k->next_in_stage;
		if (k->closing)
			continue;
		if (ev->kind == BUS_STAGE_DELETED) {
			k->leave = 0;	/* DeleteStage ended the session */
			disconnect(k, "STAGE_DELETED", "the stage was deleted");
		} else if (ev->kind == BUS_PARTICIPANT_DISCONNECTED &&
		    strcmp(k->t->participant_id, ev->participant_id) == 0) {
			k->leave = 0;	/* DisconnectParticipant recorded the leave */
			disconnect(k, "PARTICIPANT_DISCONNECTED",
			    ev->reason[0] ? ev->reason : "disconnected by the application");
		} else if (ev->kind == BUS_PARTICIPANT_REPLACED &&
		    strcmp(ev->node, rt.node) != 0 &&
		    strcmp(k->t->participant_id, ev->participant_id) == 0) {
			k->leave = 0;
			disconnect(k, "TOKEN_REUSED", "another connection joined with this token");
		}
	}
	if ((st = rt_stage_find(ev->stage_arn)) != NULL && st->socks != NULL &&
	    ev->kind != BUS_STAGE_DELETED)
		roster_refresh(st);
	free(ev);
}

/* The bus subscriber: hands the fact to the loop. */
static void
on_bus(void *arg, const struct bus_event *ev)
{
	struct bus_event *copy = malloc(sizeof(*copy));
	struct err e;

	(void)arg;
	if (ev->kind == BUS_ROSTER_CHANGED && strcmp(ev->node, rt.node) != 0)
		media_roster_changed(ev->stage_arn, ev->participant_id);
	if (copy == NULL)
		return;
	*copy = *ev;
	if (rt.loop == NULL || loop_post(rt.loop, on_event, copy, &e) != ERR_OK)
		free(copy);
}

/* The session notifier: what the API did, published to every node. */
static void
on_note(const struct session_note *n)
{
	struct bus_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = n->what == SESSION_NOTE_STAGE_DELETED ? BUS_STAGE_DELETED :
	    BUS_PARTICIPANT_DISCONNECTED;
	snprintf(ev.stage_arn, sizeof(ev.stage_arn), "%s", n->stage_arn);
	snprintf(ev.participant_id, sizeof(ev.participant_id), "%s",
	    n->participant_id ? n->participant_id : "");
	snprintf(ev.reason, sizeof(ev.reason), "%s", n->reason ? n->reason : "");
	bus_publish(&ev);
}

/* ---- start and stop --------------------------------------------------------- */

static enum err_code
recover_tx(struct store *s, void *arg, struct err *e)
{
	return session_recover(s, arg, session_now_ms(), e);
}

static int bus_subscribed;

enum err_code
runtime_start(const struct config *cfg, const char *node, struct err *e)
{
	long long idle_ms = cfg->session_idle_seconds * 1000LL;

	rt.cfg = cfg;
	rt.xdp = cfg->sdp_exchange == NULL || strcmp(cfg->sdp_exchange, "http") != 0;
	snprintf(rt.node, sizeof(rt.node), "%s", node);
	register_metrics();
	if (store_write(recover_tx, rt.node, e) != ERR_OK)
		return e->code;
	if (!bus_subscribed && bus_subscribe(on_bus, NULL, e) != ERR_OK)
		return e->code;
	bus_subscribed = 1;
	session_set_notifier(on_note);
	if (loop_new(&rt.loop, e) != ERR_OK)
		return e->code;
	if (loop_timer_add(rt.loop, 1000, 1000, on_tick, NULL, &rt.tick, e) != ERR_OK ||
	    jobs_start(idle_ms, (int)cfg->history_days, e) != ERR_OK ||
	    loop_start(rt.loop, e) != ERR_OK) {
		jobs_stop();
		loop_free(rt.loop);
		rt.loop = NULL;
		return e->code;
	}
	rt.started = 1;
	return ERR_OK;
}

/* On the loop: every socket goes (1001). */
static void
close_all(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	while (n_all > 0) {
		struct sock *k = all_socks[n_all - 1];
		if (!k->closing)
			send_close(k, WS_CLOSE_GOING_AWAY, "server stopping");
		if (sock_alive(k, 0) != NULL)	/* unless send_close already closed it */
			sock_close(k, "server stopping");
	}
}

void
runtime_stop(void)
{
	struct err e;

	if (!rt.started)
		return;
	session_set_notifier(NULL);
	if (loop_post(rt.loop, close_all, NULL, &e) != ERR_OK)
		log_msg(LOG_WARN, "events: could not close the sockets: %s", e.msg);
	loop_stop(rt.loop);
	jobs_stop();		/* the leaves are recorded */
	loop_free(rt.loop);
	rt.loop = NULL;
	rt.started = 0;
}
