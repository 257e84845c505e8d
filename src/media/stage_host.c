/* Several nodes (see stage_host.h): the heartbeat thread, the placement
 * of a stage's media, and forwarding with libcurl.
 *
 * A node is alive while its last beat is younger than
 * LIMIT_MEDIA_NODE_DEAD_MS. Taking a stage re-reads its host inside the
 * writing transaction (which PostgreSQL serialises across nodes), so of
 * two nodes taking one stage at once the second finds the first.
 */
#include <curl/curl.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/metrics.h"
#include "limits.h"
#include "media/stage_host.h"
#include "store/media_host_store.h"
#include "store/store.h"

#define PRUNE_EVERY_BEATS 30	/* stages deleted meanwhile leave media_hosts */

static struct {
	const char *node, *url;
	int shared, running, stopping;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct metric_family *hosted, *forwarded, *taken;
} sh = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
stage_host_node(void)
{
	return sh.node ? sh.node : "";
}

/* ---- the heartbeat ---------------------------------------------------------- */

static enum err_code
beat_tx(struct store *s, void *arg, struct err *e)
{
	int prune = *(int *)arg;

	if (store_media_node_beat(s, sh.node, sh.url, now_ms(), e) != ERR_OK)
		return e->code;
	return prune ? store_media_hosts_prune(s, sh.node, e) : ERR_OK;
}

static enum err_code
forget_tx(struct store *s, void *arg, struct err *e)
{
	(void)arg;
	return store_media_node_forget(s, sh.node, e);
}

/* The hosted-stages gauge, from the database. */
static void
count_hosted(void)
{
	struct err e = { ERR_OK, "" };
	struct store *s;
	long long hosted = 0;

	if ((s = store_thread(&e)) != NULL &&
	    store_media_hosts_count(s, sh.node, &hosted, &e) == ERR_OK)
		metrics_set(metrics_series(sh.hosted, NULL), hosted);
}

/* One beat, and the gauge. */
static void
beat(unsigned n)
{
	struct err e = { ERR_OK, "" };
	int prune = n % PRUNE_EVERY_BEATS == 0;

	if (store_write(beat_tx, &prune, &e) != ERR_OK) {
		log_msg(LOG_WARN, "media: recording this node's heartbeat: %s", e.msg);
		return;
	}
	count_hosted();
}

static void *
run(void *arg)
{
	struct timespec until;
	unsigned n = 1;

	(void)arg;
	pthread_mutex_lock(&sh.lock);
	while (!sh.stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += LIMIT_MEDIA_HEARTBEAT_MS / 1000;
		until.tv_nsec += (LIMIT_MEDIA_HEARTBEAT_MS % 1000) * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&sh.wake, &sh.lock, &until);
		if (sh.stopping)
			break;
		pthread_mutex_unlock(&sh.lock);
		beat(n++);
		pthread_mutex_lock(&sh.lock);
	}
	pthread_mutex_unlock(&sh.lock);
	return NULL;
}

static void
register_metrics(void)
{
	if (sh.hosted != NULL)
		return;
	sh.hosted = metrics_register("rtstage_media_stages_hosted",
	    "Stages whose media this node hosts (several nodes; the database's count at the "
	    "last heartbeat).", METRIC_GAUGE, NULL, NULL, 0);
	sh.forwarded = metrics_register("rtstage_media_signalling_forwarded_total",
	    "Signalling requests forwarded to the node hosting the stage's media, by kind "
	    "(offer, delete) and outcome (answered: the host's 2xx; refused: the host's "
	    "error, relayed; unreachable: no answer).", METRIC_COUNTER, "kind,outcome", NULL, 0);
	sh.taken = metrics_register("rtstage_media_stages_taken_total",
	    "Stages this node took: with no host, or from a host whose heartbeat stopped.",
	    METRIC_COUNTER, NULL, NULL, 0);
}

enum err_code
stage_host_start(const char *node, const char *url, int shared, struct err *e)
{
	register_metrics();
	sh.node = node;
	sh.url = url;
	sh.shared = shared;
	if (!shared)
		return ERR_OK;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, ERR_INTERNAL, "cannot initialise libcurl");
	/* a restarted node hosts nothing: its SFU is empty */
	if (store_write(forget_tx, NULL, e) != ERR_OK)
		return e->code;
	beat(1);
	sh.stopping = 0;
	if (pthread_create(&sh.thread, NULL, run, NULL) != 0)
		return err_set(e, ERR_INTERNAL, "cannot start the media heartbeat thread");
	sh.running = 1;
	return ERR_OK;
}

void
stage_host_stop(void)
{
	struct err e = { ERR_OK, "" };

	if (!sh.running)
		return;
	pthread_mutex_lock(&sh.lock);
	sh.stopping = 1;
	pthread_cond_signal(&sh.wake);
	pthread_mutex_unlock(&sh.lock);
	pthread_join(sh.thread, NULL);
	sh.running = 0;
	if (store_write(forget_tx, NULL, &e) != ERR_OK)
		log_msg(LOG_WARN, "media: forgetting this node's stages: %s", e.msg);
	curl_global_cleanup();
}

/* ---- placement -------------------------------------------------------------- */

static int
alive(const struct media_host *h, long long now)
{
	return h->url[0] != '\0' && now - h->heartbeat_ms < LIMIT_MEDIA_NODE_DEAD_MS;
}

struct take_job {
	const char *arn;
	struct media_host h;
	int remote;			/* a live node holds it: h says which */
	int took;
};

static enum err_code
take_tx(struct store *s, void *arg, struct err *e)
{
	struct take_job *j = arg;
	long long now = now_ms();
	enum err_code rc = store_media_host_get(s, j->arn, &j->h, e);

	if (rc != ERR_OK && rc != ERR_NOT_FOUND)
		return rc;
	if (rc == ERR_OK && strcmp(j->h.node, sh.node) == 0)
		return ERR_OK;
	if (rc == ERR_OK && alive(&j->h, now)) {
		j->remote = 1;
		return ERR_OK;
	}
	j->took = 1;
	return store_media_host_set(s, j->arn, sh.node, now, e);
}

/* The answer for host h: this node, or a live other one (its URL into url). */
static enum stage_place
place_of(const struct media_host *h, char *url, size_t cap, struct err *e)
{
	int n;

	if (strcmp(h->node, sh.node) == 0)
		return STAGE_LOCAL;
	n = snprintf(url, cap, "%s", h->url);
	if (n < 0 || (size_t)n >= cap) {
		err_set(e, ERR_INTERNAL, "the URL of node %s is too long", h->node);
		return STAGE_UNAVAILABLE;
	}
	return STAGE_REMOTE;
}

enum stage_place
stage_host_place(const char *stage_arn, int take, char *url, size_t cap, struct err *e)
{
	struct take_job j;
	struct store *s;
	enum err_code rc;

	if (!sh.shared)
		return STAGE_LOCAL;
	memset(&j, 0, sizeof(j));
	j.arn = stage_arn;
	/* the common case reads one row and writes nothing */
	if ((s = store_thread(e)) == NULL)
		return STAGE_UNAVAILABLE;
	rc = store_media_host_get(s, stage_arn, &j.h, e);
	if (rc != ERR_OK && rc != ERR_NOT_FOUND)
		return STAGE_UNAVAILABLE;
	if (rc == ERR_OK && (strcmp(j.h.node, sh.node) == 0 || alive(&j.h, now_ms())))
		return place_of(&j.h, url, cap, e);
	if (!take) {
		err_set(e, ERR_NOT_FOUND, "no live node hosts the media of the stage");
		return STAGE_UNAVAILABLE;
	}
	if (store_write(take_tx, &j, e) != ERR_OK)
		return STAGE_UNAVAILABLE;
	if (j.remote)
		return place_of(&j.h, url, cap, e);
	if (j.took) {
		metrics_add(metrics_series(sh.taken, NULL), 1);
		count_hosted();
		log_msg(LOG_INFO, "media: this node now hosts stage %s%s%s", stage_arn,
		    j.h.node[0] ? ", taken from " : "", j.h.node);
	}
	return STAGE_LOCAL;
}

/* ---- forwarding ------------------------------------------------------------- */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct stage_host_reply *r = arg;
	size_t len = size * n;
	char *p;

	if (r->body_len + len > LIMIT_MEDIA_FORWARD_BODY_BYTES)
		return 0;		/* curl stops with CURLE_WRITE_ERROR */
	if ((p = realloc(r->body, r->body_len + len + 1)) == NULL)
		return 0;
	memcpy(p + r->body_len, data, len);
	r->body = p;
	r->body_len += len;
	p[r->body_len] = '\0';
	return len;
}

/* The answer's headers that a relay keeps. */
static const struct {
	const char *name;
	size_t at;
	size_t cap;
} kept[] = {
	{ "Content-Type", offsetof(struct stage_host_reply, content_type),
	  sizeof(((struct stage_host_reply *)0)->content_type) },
	{ "Location", offsetof(struct stage_host_reply, location),
	  sizeof(((struct stage_host_reply *)0)->location) },
	{ "Link", offsetof(struct stage_host_reply, link),
	  sizeof(((struct stage_host_reply *)0)->link) },
};

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct stage_host_reply *r = arg;
	size_t len = size * n, i, name, end = len;
	const char *v;

	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		name = strlen(kept[i].name);
		if (len <= name || data[name] != ':' || strncasecmp(data, kept[i].name, name) != 0)
			continue;
		v = data + name + 1;
		while (v < data + len && (*v == ' ' || *v == '\t'))
			v++;
		while (end > (size_t)(v - data) && (data[end - 1] == '\r' || data[end - 1] == '\n' ||
		    data[end - 1] == ' '))
			end--;
		snprintf((char *)r + kept[i].at, kept[i].cap, "%.*s", (int)(end - (size_t)(v - data)),
		    v);
	}
	return len;
}

static void
count_forward(const char *kind, const char *outcome)
{
	metrics_add(metrics_series(sh.forwarded, (const char *[]){ kind, outcome }), 1);
}

enum err_code
stage_host_forward(const struct stage_host_request *rq, struct stage_host_reply *r,
    struct err *e)
{
	CURL *h = curl_easy_init();
	struct curl_slist *lines = NULL, *more;
	char mark[HTTP_HEADER_VALUE_CAP];
	long status = 0;
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	size_t i;

	memset(r, 0, sizeof(*r));
	snprintf(mark, sizeof(mark), STAGE_HOST_FORWARDED ": %s", stage_host_node());
	if (h == NULL || (lines = curl_slist_append(NULL, mark)) == NULL ||
	    (more = curl_slist_append(lines, "Expect:")) == NULL)
		goto out;
	for (i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++)
		if ((more = curl_slist_append(lines, rq->headers[i])) == NULL)
			goto out;
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)LIMIT_MEDIA_FORWARD_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)LIMIT_MEDIA_FORWARD_MS);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, lines);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_slist_free_all(lines);
	curl_easy_cleanup(h);
	if (cc != CURLE_OK || status < 100) {
		stage_host_reply_free(r);
		count_forward(rq->kind, "unreachable");
		log_msg(LOG_WARN, "media: forwarding a %s to %s: %s", rq->kind, rq->url,
		    cc != CURLE_OK ? curl_easy_strerror(cc) : "no HTTP status");
		return err_set(e, ERR_INTERNAL, "the node hosting the stage's media did not answer");
	}
	r->status = (int)status;
	count_forward(rq->kind, status < 300 ? "answered" : "refused");
	log_msg(LOG_DEBUG, "media: forwarded a %s to %s: %ld", rq->kind, rq->url, status);
	return ERR_OK;
}

void
stage_host_reply_free(struct stage_host_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}
