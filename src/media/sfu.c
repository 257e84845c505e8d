/* The SFU's public face (see sfu.h): its start and stop, the media loop
 * thread and its tick, offers handed from other threads to the loop and
 * answered through a bounded wait, the ends of sessions, the hooks and
 * the metrics. Offers are parsed and planned on the caller's thread (pure
 * work); everything that touches peers runs on the loop thread. The peer
 * list's links and the media_up flags are also read under sfu.lock by
 * the thread-safe queries.
 *
 * Host candidates name the media addresses: the configured list, or
 * 127.0.0.1 when none is given or it is the unspecified address (a
 * server on 0.0.0.0 must be told its public address with
 * --media-address or --media-announce-ip; loopback keeps local tests
 * working).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "crypto/ids.h"
#include "media/sfu_int.h"
#include "util/buf.h"

static struct sfu *g;

struct offer_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, abandoned;
	enum sfu_role role;
	char stage_arn[SFU_ARN_CAP], participant_id[SFU_PID_CAP], remote_id[SFU_PID_CAP];
	struct sdp_offer *offer;
	struct sdp_plan plan;
	struct sfu_answer a;
};

/* What sfu_end_* hand to the loop: a session id, or a participant or a
 * whole stage ("" participant). */
struct end_job {
	char id[SFU_ID_CAP];
	char stage_arn[SFU_ARN_CAP], participant_id[SFU_PID_CAP];
};

int64_t
sfu_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
sfu_test_timeouts(uint64_t ice_ms, uint64_t consent_ms)
{
	atomic_store(&sfu_ice_ms, ice_ms ? ice_ms : LIMIT_SFU_ICE_MS);
	atomic_store(&sfu_consent_ms, consent_ms ? consent_ms : LIMIT_SFU_CONSENT_MS);
}

/* ---- metrics ---- */

static struct {
	pthread_once_t once;
	struct sfu_metrics m;
} fam = { PTHREAD_ONCE_INIT, { 0 } };

static struct metric_series *
series(const char *name, const char *help, enum metric_type type, const char *dir)
{
	struct metric_family *f;
	const char *values[1] = { dir };

	f = metrics_register(name, help, type, dir ? "direction" : NULL, NULL, 0);
	return metrics_series(f, dir ? values : NULL);
}

static struct metric_series *
series_dir(struct metric_family **f, const char *name, const char *help, const char *dir)
{
	const char *values[1] = { dir };

	if (*f == NULL)
		*f = metrics_register(name, help, METRIC_COUNTER, "direction", NULL, 0);
	return metrics_series(*f, values);
}

static void
metrics_setup(void)
{
	struct sfu_metrics *m = &fam.m;
	struct metric_family *packets = NULL, *bytes = NULL, *nacks = NULL;

	m->peers = series("rtstage_sfu_peers", "Media sessions open now.", METRIC_GAUGE, NULL);
	m->publishers = series("rtstage_sfu_publishers", "Publish sessions open now.",
	    METRIC_GAUGE, NULL);
	m->subscribers = series("rtstage_sfu_subscribers", "Subscribe sessions open now.",
	    METRIC_GAUGE, NULL);
	m->packets_in = series_dir(&packets, "rtstage_sfu_packets_total",
	    "Packets on the media port, by direction.", "in");
	m->packets_out = series_dir(&packets, "rtstage_sfu_packets_total", NULL, "out");
	m->bytes_in = series_dir(&bytes, "rtstage_sfu_bytes_total",
	    "Bytes on the media port, by direction.", "in");
	m->bytes_out = series_dir(&bytes, "rtstage_sfu_bytes_total", NULL, "out");
	m->nacks_in = series_dir(&nacks, "rtstage_sfu_nacked_packets_total",
	    "Packets NACKed by subscribers (in) and to publishers (out).", "in");
	m->nacks_out = series_dir(&nacks, "rtstage_sfu_nacked_packets_total", NULL, "out");
	m->plis = series("rtstage_sfu_plis_total", "Keyframe requests sent to publishers.",
	    METRIC_COUNTER, NULL);
	m->retransmissions = series("rtstage_sfu_retransmissions_total",
	    "Packets resent to subscribers from the history.", METRIC_COUNTER, NULL);
	m->dtls_failures = series("rtstage_sfu_dtls_failures_total",
	    "DTLS handshakes that failed or timed out.", METRIC_COUNTER, NULL);
	m->send_drops = series("rtstage_sfu_send_drops_total",
	    "Forwarded datagrams dropped: the media socket was full or refused them.",
	    METRIC_COUNTER, NULL);
	m->loop_cpu_ns = series("rtstage_sfu_loop_cpu_ns",
	    "CPU time the media loop thread has used, nanoseconds.", METRIC_GAUGE, NULL);
}

/* ---- the loop ---- */

static void
reap(struct sfu *s)
{
	struct peer **pp, *dead = NULL, *p;

	if (s->n_ending == 0)
		return;
	pthread_mutex_lock(&s->lock);
	for (pp = &s->peers; *pp != NULL;) {
		p = *pp;
		if (p->ending) {
			*pp = p->next;
			p->next = dead;
			dead = p;
		} else
			pp = &p->next;
	}
	s->n_ending = 0;
	pthread_mutex_unlock(&s->lock);
	while ((p = dead) != NULL) {
		dead = p->next;
		peer_free(s, p);
	}
}

static void
tick(struct loop *l, struct loop_timer *t, void *arg)
{
	struct sfu *s = arg;
	uint64_t now = loop_now_ms();
	struct peer *p;

	(void)t;
	if (s->transport == NULL)	/* shut down, the loop about to stop */
		return;
	for (p = s->peers; p != NULL; p = p->next) {
		peer_tick(s, p, now);
		forward_tick(s, p, now);
	}
	transport_sweep(s->transport, now, atomic_load(&sfu_ice_ms));
	reap(s);
	metrics_set(s->m.loop_cpu_ns, (long long)loop_cpu_ns(l));
}

void
sfu_media_up(struct sfu *s, struct peer *p)
{
	pthread_mutex_lock(&s->lock);
	p->media_up = 1;
	pthread_mutex_unlock(&s->lock);
	log_msg(LOG_INFO, "media session %s: media up (%s %s %s%s%s)", p->id,
	    p->role == SFU_PUBLISH ? "publish" : "subscribe", p->stage_arn, p->participant_id,
	    p->role == SFU_PUBLISH ? "" : " from ", p->remote_id);
	if (p->role == SFU_PUBLISH && s->hooks.publish_started != NULL)
		s->hooks.publish_started(p->stage_arn, p->participant_id);
	if (p->role == SFU_SUBSCRIBE && s->hooks.subscribe_started != NULL)
		s->hooks.subscribe_started(p->stage_arn, p->participant_id, p->remote_id);
}

/* ---- offers ---- */

static void
refuse(struct sfu_answer *a, int status, int code, const char *error_code, const char *msg)
{
	a->status = status;
	a->code = code;
	snprintf(a->error_code, sizeof(a->error_code), "%s", error_code);
	if (snprintf(a->message, sizeof(a->message), "%s", msg) >= (int)sizeof(a->message))
		a->message[sizeof(a->message) - 4] = '\0';
}

/* The live publisher of participant pid on stage, or NULL. */
static struct peer *
find_publisher(struct sfu *s, const char *stage, const char *pid)
{
	struct peer *p;

	for (p = s->peers; p != NULL; p = p->next)
		if (!p->ending && p->role == SFU_PUBLISH && strcmp(p->stage_arn, stage) == 0 &&
		    strcmp(p->participant_id, pid) == 0)
			return p;
	return NULL;
}

/* Refuses j's offer when a bound forbids it; 0 when it may go on. */
static int
check_bounds(struct sfu *s, struct offer_job *j, struct peer **pub)
{
	struct peer *p;
	size_t publishers = 0, subscribers = 0, mine = 0;

	for (p = s->peers; p != NULL; p = p->next) {
		if (p->ending || strcmp(p->stage_arn, j->stage_arn) != 0)
			continue;
		if (strcmp(p->participant_id, j->participant_id) == 0)
			mine++;
		if (p->role == SFU_SUBSCRIBE)
			subscribers++;
		else if (strcmp(p->participant_id, j->participant_id) != 0)
			publishers++;
	}
	if (mine >= LIMIT_SFU_PARTICIPANT_SESSIONS) {
		refuse(&j->a, 400, 0, "QUOTA_EXCEEDED", "too many media sessions for one participant");
		return -1;
	}
	if (j->role == SFU_PUBLISH) {
		if (publishers >= LIMIT_SFU_STAGE_PUBLISHERS) {
			refuse(&j->a, 403, 2005, "QUOTA_EXCEEDED", "the stage is at capacity");
			return -1;
		}
		*pub = find_publisher(s, j->stage_arn, j->participant_id);
		return 0;
	}
	*pub = find_publisher(s, j->stage_arn, j->remote_id);
	if (*pub == NULL) {
		refuse(&j->a, 404, 2004, "PUBLISHER_NOT_FOUND", "the participant is not publishing");
		return -1;
	}
	if (!(*pub)->media_up) {
		refuse(&j->a, 429, 2013, "", "the participant's publish is starting; retry");
		return -1;
	}
	if (subscribers >= LIMIT_SFU_STAGE_SUBSCRIBERS) {
		refuse(&j->a, 403, 2005, "QUOTA_EXCEEDED", "the stage has its subscribers");
		return -1;
	}
	return 0;
}

static enum err_code
write_answer(struct sfu *s, struct offer_job *j, struct peer *p, struct err *e)
{
	struct sdp_candidate cand[LIMIT_SDP_CANDIDATES];
	struct sdp_local l;
	struct buf out;
	enum err_code rc;
	size_t i, n = 0;
	X509 *x = cert_x509(s->cert);

	memset(&l, 0, sizeof(l));
	for (i = 0; i < transport_n_addresses(s->transport) && n + 2 <= LIMIT_SDP_CANDIDATES;
	    i++) {
		cand[n].tcp = 0;
		cand[n].ip = s->announce_ip[0] ? s->announce_ip : transport_address(s->transport, i);
		cand[n].port = (uint16_t)transport_port(s->transport);
		cand[n].priority = 2130706431u - (uint32_t)i;
		cand[n + 1] = cand[n];
		cand[n + 1].tcp = 1;
		cand[n + 1].priority = 1015022079u - (uint32_t)i;
		n += 2;
	}
	l.ufrag = p->ufrag;
	l.pwd = p->pwd;
	l.cand = cand;
	l.n_cand = n;
	rc = cert_digest(x, l.fingerprint, e);
	if (rc != ERR_OK)
		return rc;
	(void)ids_random((unsigned char *)&l.session_id, sizeof(l.session_id));
	l.session_id &= 0x3fffffffffffffffULL;
	if (p->role == SFU_SUBSCRIBE) {
		l.audio.ssrc = p->sa.ssrc;
		l.video.ssrc = p->sv.ssrc;
		l.audio.cname = l.video.cname = "rtstage";
		l.audio.stream_id = l.video.stream_id = p->remote_id;
		l.audio.track_id = "audio";
		l.video.track_id = "video";
	}
	buf_init(&out, LIMIT_SDP_BYTES);
	rc = sdp_answer_write(j->offer, &j->plan, &l, &out, e);
	if (rc == ERR_OK) {
		j->a.sdp = buf_take(&out);
		if (j->a.sdp == NULL)
			rc = err_set(e, ERR_INTERNAL, "out of memory for the answer");
	}
	buf_free(&out);
	return rc;
}

static void
offer_run(struct sfu *s, struct offer_job *j)
{
	struct peer *p = NULL, *pub = NULL, *sub;
	struct err e;

	if (s->transport == NULL) {
		refuse(&j->a, 500, 2006, "INTERNAL_SERVER_EXCEPTION", "the SFU is stopping");
		return;
	}
	if (check_bounds(s, j, &pub) != 0)
		return;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		refuse(&j->a, 500, 2006, "INTERNAL_SERVER_EXCEPTION", "out of memory");
		return;
	}
	p->role = j->role;
	snprintf(p->stage_arn, sizeof(p->stage_arn), "%s", j->stage_arn);
	snprintf(p->participant_id, sizeof(p->participant_id), "%s", j->participant_id);
	snprintf(p->remote_id, sizeof(p->remote_id), "%s", j->remote_id);
	cert_fingerprint_format(j->plan.remote_fingerprint, p->remote_fp);
	if (forward_prepare(s, p, j->offer, &j->plan, &e) != ERR_OK ||
	    peer_start(s, p, &e) != ERR_OK) {
		forward_release(p);
		dtls_endpoint_free(p->dtls);
		free(p);
		refuse(&j->a, 500, 2006, "INTERNAL_SERVER_EXCEPTION", e.msg);
		return;
	}
	if (write_answer(s, j, p, &e) != ERR_OK) {
		peer_end(s, p, SFU_END_DELETED, "INTERNAL_SERVER_EXCEPTION");
		refuse(&j->a, 500, 2006, "INTERNAL_SERVER_EXCEPTION", e.msg);
		return;
	}
	if (j->role == SFU_SUBSCRIBE)
		forward_link(s, p, pub);
	else if (pub != NULL) {
		/* a republish: its subscribers move over and stay continuous */
		while ((sub = pub->subs) != NULL)
			forward_link(s, sub, p);
		peer_end(s, pub, SFU_END_DELETED, "");
	}
	j->a.status = 201;
	snprintf(j->a.session_id, sizeof(j->a.session_id), "%s", p->id);
	log_msg(LOG_INFO, "media session %s started: %s %s %s%s%s", p->id,
	    p->role == SFU_PUBLISH ? "publish" : "subscribe", p->stage_arn, p->participant_id,
	    p->role == SFU_PUBLISH ? "" : " from ", p->remote_id);
}

static void
offer_job_free(struct offer_job *j)
{
	if (j == NULL)
		return;
	free(j->a.sdp);
	free(j->offer);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

static void
offer_job(struct loop *l, void *arg)
{
	struct offer_job *j = arg;
	int abandoned;

	(void)l;
	offer_run(g, j);
	reap(g);
	pthread_mutex_lock(&j->mu);
	abandoned = j->abandoned;
	j->done = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	if (abandoned)
		offer_job_free(j);
}

static int
copy_id(char *out, size_t cap, const char *in)
{
	return in != NULL && snprintf(out, cap, "%s", in) < (int)cap ? 0 : -1;
}

/* Parses and plans o into j on the caller's thread; 0, or -1 with the
 * refusal in j->a. */
static int
offer_prepare(const struct sfu_offer *o, struct offer_job *j)
{
	struct err e;

	j->role = o->role;
	if (copy_id(j->stage_arn, sizeof(j->stage_arn), o->stage_arn) != 0 ||
	    copy_id(j->participant_id, sizeof(j->participant_id), o->participant_id) != 0 ||
	    copy_id(j->remote_id, sizeof(j->remote_id),
	    o->role == SFU_SUBSCRIBE ? o->remote_id : "") != 0 || o->sdp == NULL) {
		refuse(&j->a, 400, 0, "INVALID_INPUT", "the offer names no stage or participant");
		return -1;
	}
	if (sdp_parse(o->sdp, o->sdp_len, j->offer, &e) != ERR_OK) {
		refuse(&j->a, 400, 0, "INVALID_INPUT", e.msg);
		return -1;
	}
	if (sdp_plan_make(j->offer, o->role == SFU_PUBLISH ? SDP_PUBLISH : SDP_SUBSCRIBE,
	    &j->plan, &e) != ERR_OK) {
		if (j->plan.refusal == SDP_REFUSE_VIDEO_CODEC)
			refuse(&j->a, 400, 2014, "INVALID_VIDEO_CODEC", e.msg);
		else
			refuse(&j->a, 400, 0, "INVALID_INPUT", e.msg);
		return -1;
	}
	return 0;
}

enum err_code
sfu_offer(const struct sfu_offer *o, struct sfu_answer *a, struct err *e)
{
	struct offer_job *j;
	struct timespec until;
	struct err pe;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	if (g == NULL)
		return err_set(e, ERR_INTERNAL, "the SFU is not running");
	j = calloc(1, sizeof(*j));
	if (j != NULL)
		j->offer = malloc(sizeof(*j->offer));
	if (j == NULL || j->offer == NULL) {
		if (j != NULL)
			free(j);
		return err_set(e, ERR_INTERNAL, "out of memory for an offer");
	}
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (offer_prepare(o, j) != 0)
		goto done;
	if (loop_post(g->loop, offer_job, j, &pe) != ERR_OK) {
		refuse(&j->a, 500, 2006, "INTERNAL_SERVER_EXCEPTION", "the SFU is overloaded");
		goto done;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LIMIT_SFU_OFFER_WAIT_MS / 1000;
	pthread_mutex_lock(&j->mu);
	while (!j->done && rc == 0)
		rc = pthread_cond_timedwait(&j->cv, &j->mu, &until);
	if (!j->done) {
		j->abandoned = 1;
		pthread_mutex_unlock(&j->mu);
		refuse(a, 500, 2006, "INTERNAL_SERVER_EXCEPTION", "the SFU did not answer in time");
		return ERR_OK;
	}
	pthread_mutex_unlock(&j->mu);
done:
	*a = j->a;
	j->a.sdp = NULL;
	offer_job_free(j);
	return ERR_OK;
}

/* ---- ends ---- */

static void
end_job(struct loop *l, void *arg)
{
	struct end_job *j = arg;
	struct peer *p;

	(void)l;
	for (p = g->peers; p != NULL; p = p->next) {
		if (p->ending)
			continue;
		if (j->id[0] != '\0' ? strcmp(p->id, j->id) == 0 :
		    strcmp(p->stage_arn, j->stage_arn) == 0 && (j->participant_id[0] == '\0' ||
		    strcmp(p->participant_id, j->participant_id) == 0))
			peer_end(g, p, SFU_END_DELETED, "");
	}
	reap(g);
	free(j);
}

static void
post_end(const char *id, const char *stage_arn, const char *participant_id)
{
	struct end_job *j;
	struct err e;

	if (g == NULL || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	if (copy_id(j->id, sizeof(j->id), id ? id : "") != 0 ||
	    copy_id(j->stage_arn, sizeof(j->stage_arn), stage_arn ? stage_arn : "") != 0 ||
	    copy_id(j->participant_id, sizeof(j->participant_id),
	    participant_id ? participant_id : "") != 0 ||
	    loop_post(g->loop, end_job, j, &e) != ERR_OK) {
		log_msg(LOG_WARN, "media: could not end sessions of %s %s", stage_arn ? stage_arn : "",
		    participant_id ? participant_id : "");
		free(j);
	}
}

enum err_code
sfu_end_session(const char *id, const char *participant_id, struct err *e)
{
	struct peer *p;
	int found = 0;

	if (g == NULL || id == NULL)
		return err_set(e, ERR_NOT_FOUND, "no media session %s", id ? id : "");
	pthread_mutex_lock(&g->lock);
	for (p = g->peers; p != NULL && !found; p = p->next)
		found = !p->ending && strcmp(p->id, id) == 0 &&
		    (participant_id == NULL || strcmp(p->participant_id, participant_id) == 0);
	pthread_mutex_unlock(&g->lock);
	if (!found)
		return err_set(e, ERR_NOT_FOUND, "no media session %s", id);
	post_end(id, "", "");
	return ERR_OK;
}

void
sfu_end_participant(const char *stage_arn, const char *participant_id)
{
	if (stage_arn != NULL && participant_id != NULL && *participant_id != '\0')
		post_end("", stage_arn, participant_id);
}

void
sfu_end_stage(const char *stage_arn)
{
	if (stage_arn != NULL)
		post_end("", stage_arn, "");
}

int
sfu_has_sessions(const char *stage_arn, const char *participant_id)
{
	struct peer *p;
	int any = 0;

	if (g == NULL || stage_arn == NULL || participant_id == NULL)
		return 0;
	pthread_mutex_lock(&g->lock);
	for (p = g->peers; p != NULL && !any; p = p->next)
		any = !p->ending && strcmp(p->stage_arn, stage_arn) == 0 &&
		    strcmp(p->participant_id, participant_id) == 0;
	pthread_mutex_unlock(&g->lock);
	return any;
}

int
sfu_is_publishing(const char *stage_arn, const char *participant_id)
{
	struct peer *p;
	int up = 0;

	if (g == NULL || stage_arn == NULL || participant_id == NULL)
		return 0;
	pthread_mutex_lock(&g->lock);
	for (p = g->peers; p != NULL && !up; p = p->next)
		up = !p->ending && p->role == SFU_PUBLISH && p->media_up &&
		    strcmp(p->stage_arn, stage_arn) == 0 &&
		    strcmp(p->participant_id, participant_id) == 0;
	pthread_mutex_unlock(&g->lock);
	return up;
}

/* ---- start and stop ---- */

static const char *
host_addresses(const char *configured)
{
	if (configured == NULL || *configured == '\0' || strcmp(configured, "0.0.0.0") == 0 ||
	    strcmp(configured, "::") == 0)
		return "127.0.0.1";
	return configured;
}

static void
sfu_free(struct sfu *s)
{
	struct peer *p;

	if (s == NULL)
		return;
	while ((p = s->peers) != NULL) {
		s->peers = p->next;
		peer_free(s, p);
	}
	transport_free(s->transport);
	loop_free(s->loop);
	dtls_context_free(s->dtls);
	cert_free(s->cert);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

enum err_code
sfu_start(const struct sfu_options *o, const struct sfu_hooks *hooks, struct err *e)
{
	struct sfu *s;
	enum err_code rc;

	if (g != NULL)
		return err_set(e, ERR_INTERNAL, "the SFU is already running");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory for the SFU");
	pthread_mutex_init(&s->lock, NULL);
	if (hooks != NULL)
		s->hooks = *hooks;
	if (o->announce_ip != NULL &&
	    copy_id(s->announce_ip, sizeof(s->announce_ip), o->announce_ip) != 0) {
		rc = err_set(e, ERR_VALIDATION, "--media-announce-ip is too long");
		goto out;
	}
	pthread_once(&fam.once, metrics_setup);
	s->m = fam.m;
	rc = srtp_session_init(e);
	if (rc == ERR_OK)
		rc = cert_new(&s->cert, e);
	if (rc == ERR_OK)
		rc = dtls_context_new(s->cert, &s->dtls, e);
	if (rc == ERR_OK)
		rc = loop_new(&s->loop, e);
	if (rc == ERR_OK)
		rc = transport_open(s->loop, host_addresses(o->addresses), o->port, peer_input,
		    peer_conn_gone, s, &s->transport, e);
	if (rc == ERR_OK)
		rc = loop_timer_add(s->loop, LIMIT_SFU_TICK_MS, LIMIT_SFU_TICK_MS, tick, s, &s->tick,
		    e);
	if (rc != ERR_OK)
		goto out;
	g = s;
	rc = loop_start(s->loop, e);
	if (rc != ERR_OK) {
		g = NULL;
		goto out;
	}
	log_msg(LOG_INFO, "media: SFU on UDP and TCP port %u (%s)", transport_port(s->transport),
	    host_addresses(o->addresses));
	s = NULL;
out:
	sfu_free(s);
	return rc;
}

static void
shutdown_job(struct loop *l, void *arg)
{
	struct sfu *s = arg;
	struct peer *p;

	(void)l;
	for (p = s->peers; p != NULL; p = p->next)
		peer_end(s, p, SFU_END_SHUTDOWN, "");
	reap(s);
	transport_free(s->transport);
	s->transport = NULL;
}

void
sfu_stop(void)
{
	struct sfu *s = g;
	struct err e;

	if (s == NULL)
		return;
	if (loop_post(s->loop, shutdown_job, s, &e) != ERR_OK)
		log_msg(LOG_WARN, "media: SFU stop: %s", e.msg);
	loop_stop(s->loop);
	g = NULL;
	sfu_free(s);
}

unsigned
sfu_port(void)
{
	return g != NULL && g->transport != NULL ? transport_port(g->transport) : 0;
}
