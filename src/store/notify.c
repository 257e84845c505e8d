/* The bus's PostgreSQL transport: LISTEN/NOTIFY on NOTIFY_CHANNEL.
 *
 * Owns two connections that are not the store's: the listener's, read by
 * one thread that waits in poll on its socket and on a wake-up pipe (so
 * notify_stop is prompt), and the sender's, shared by publishers under a
 * lock. Every wait on either is bounded: connections are opened
 * asynchronously with a deadline, statements are sent in non-blocking
 * mode and their answer awaited with one. A message about a connection
 * never carries the URL's password. Knows the wire form only through
 * bus_encode / bus_decode.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "limits.h"
#include "store/notify.h"
#include "store/postgres.h"

#define LINE_BYTES 256		/* one line of a libpq message, as logged */

struct notify {
	char *url;
	char *secrets[2];		/* the password, decoded and as written; or NULL */
	notify_deliver_fn deliver;
	int wake[2];			/* a pipe: notify_stop writes, the listener wakes */
	atomic_int stop;
	pthread_t thread;
	int running;			/* the thread was started */
	PGconn *listen;			/* the listener thread's once it runs */
	pthread_mutex_t lock;		/* guards the three below */
	PGconn *send;			/* NULL: connect at the next send */
	long long send_retry_at;	/* no connection attempt before (ms) */
	int send_down;			/* the sender's outage has been logged */
};

/* The transport's series, made once for the process (every transport
 * feeds the same ones). */
static struct {
	struct metric_series *sent, *received, *dropped, *send_errors, *reconnects, *connected;
} m;

static const struct {
	const char *name, *help;
	enum metric_type type;
	struct metric_series **series;
} metric_rows[] = {
	{ "rtstage_bus_notify_sent_total", "Bus events sent to the other nodes (NOTIFY).",
	    METRIC_COUNTER, &m.sent },
	{ "rtstage_bus_notify_received_total", "Bus events received from the database (LISTEN).",
	    METRIC_COUNTER, &m.received },
	{ "rtstage_bus_notify_dropped_total", "Notifications dropped because they are not events.",
	    METRIC_COUNTER, &m.dropped },
	{ "rtstage_bus_notify_send_errors_total", "Bus events that could not be sent.",
	    METRIC_COUNTER, &m.send_errors },
	{ "rtstage_bus_notify_reconnects_total",
	    "Listening connections re-established (events sent meanwhile were missed).",
	    METRIC_COUNTER, &m.reconnects },
	{ "rtstage_bus_notify_listener_connected", "Listening connections currently up.",
	    METRIC_GAUGE, &m.connected },
};

static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void
metrics_make(void)
{
	size_t i;

	for (i = 0; i < sizeof(metric_rows) / sizeof(metric_rows[0]); i++)
		*metric_rows[i].series = metrics_series(metrics_register(metric_rows[i].name,
		    metric_rows[i].help, metric_rows[i].type, NULL, NULL, 0), NULL);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How long secret s of n occurs at msg[0..len), or 0. */
static size_t
secret_at(const struct notify *n, const char *msg, size_t len)
{
	size_t i, k;

	for (i = 0; i < 2; i++)
		if (n->secrets[i] != NULL && (k = strlen(n->secrets[i])) > 0 && k <= len &&
		    memcmp(msg, n->secrets[i], k) == 0)
			return k;
	return 0;
}

/* The first line of msg in out, with every occurrence of the password
 * replaced by "***" (libpq quotes a URL it cannot parse whole). */
static const char *
scrub(const struct notify *n, const char *msg, char *out, size_t cap)
{
	size_t len = strcspn(msg, "\n"), o = 0, i = 0, k;

	while (i < len && o + 1 < cap) {
		if ((k = secret_at(n, msg + i, len - i)) > 0) {
			if (o + 4 > cap)
				break;
			memcpy(out + o, "***", 3);
			o += 3;
			i += k;
		} else {
			out[o++] = msg[i++];
		}
	}
	out[o] = '\0';
	return out;
}

/* Waits at most ms (a few seconds at most) for fd (ignored when negative)
 * to be ready for events.
 * Returns 1 when it is, 0 on timeout, -1 when the transport is stopping. */
static int
wait_fd(struct notify *n, int fd, short events, long long ms)
{
	struct pollfd p[2] = { { .fd = fd, .events = events }, { .fd = n->wake[0], .events = POLLIN } };
	int r;

	if (atomic_load(&n->stop))
		return -1;
	r = poll(p, 2, ms <= 0 ? 0 : (int)ms);	/* every wait here is seconds at most */
	if (atomic_load(&n->stop) || (r > 0 && p[1].revents != 0))
		return -1;
	return r > 0 && p[0].revents != 0;
}

/* libpq's notices (a backend's FATAL before it closes, for one), logged
 * at debug level instead of printed on stderr: what matters of them is
 * logged as the connection's loss. */
static void
notice(void *arg, const char *msg)
{
	char line[LINE_BYTES];

	log_msg(LOG_DEBUG, "bus: database notice: %s", scrub(arg, msg, line, sizeof(line)));
}

/* A new connection for role (its application_name), established by
 * deadline (ms), in non-blocking mode; NULL with e set. */
static PGconn *
open_conn(struct notify *n, const char *role, long long deadline, struct err *e)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct postgres_options o;
	char line[LINE_BYTES];
	PGconn *c;
	int r = 0;

	postgres_options(&o, n->url, role, LIMIT_NOTIFY_SEND_MS);
	if ((c = PQconnectStartParams(o.keys, o.vals, 1)) == NULL) {
		err_set(e, ERR_INTERNAL, "bus: out of memory");
		return NULL;
	}
	while (PQstatus(c) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		r = wait_fd(n, PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		    deadline - now_ms());
		if (r < 0 || (r == 0 && now_ms() >= deadline))
			break;
		st = PQconnectPoll(c);
	}
	if (st == PGRES_POLLING_OK && PQsetnonblocking(c, 1) == 0) {
		PQsetNoticeProcessor(c, notice, n);
		return c;
	}
	if (r < 0)
		err_set(e, ERR_INTERNAL, "bus: stopping");
	else if (st != PGRES_POLLING_FAILED && PQstatus(c) != CONNECTION_BAD)
		err_set(e, ERR_INTERNAL, "bus: no connection to the database within the deadline");
	else
		err_set(e, ERR_INTERNAL, "bus: cannot connect: %s",
		    scrub(n, PQerrorMessage(c), line, sizeof(line)));
	PQfinish(c);
	return NULL;
}

/* Runs sql (with one text parameter when param is not NULL) on c and
 * reads every result, by deadline (ms). ERR_OK, or ERR_INTERNAL with e
 * set; the connection may then be broken or still busy (usable() says). */
static enum err_code
query(struct notify *n, PGconn *c, const char *sql, const char *param, long long deadline,
    struct err *e)
{
	const char *params[1] = { param };
	char line[LINE_BYTES];
	enum err_code rc = ERR_OK;
	PGresult *res;
	int r;

	if (!(param ? PQsendQueryParams(c, sql, 1, NULL, params, NULL, NULL, 0) : PQsendQuery(c, sql)))
		goto broken;
	while ((r = PQflush(c)) == 1)
		if (wait_fd(n, PQsocket(c), POLLOUT | POLLIN, deadline - now_ms()) < 0 ||
		    now_ms() >= deadline || !PQconsumeInput(c))
			goto late;
	if (r < 0)
		goto broken;
	for (;;) {
		while (PQisBusy(c)) {
			if (wait_fd(n, PQsocket(c), POLLIN, deadline - now_ms()) < 0)
				goto late;
			if (!PQconsumeInput(c))
				goto broken;
			if (PQisBusy(c) && now_ms() >= deadline)
				goto late;
		}
		if ((res = PQgetResult(c)) == NULL)
			break;
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK &&
		    rc == ERR_OK)
			rc = err_set(e, ERR_INTERNAL, "bus: %s",
			    scrub(n, PQresultErrorMessage(res), line, sizeof(line)));
		PQclear(res);
	}
	return rc;
late:
	return err_set(e, ERR_INTERNAL, "bus: no answer from the database in time");
broken:
	return err_set(e, ERR_INTERNAL, "bus: %s", scrub(n, PQerrorMessage(c), line, sizeof(line)));
}

/* Can c take another statement? */
static int
usable(PGconn *c)
{
	return c != NULL && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE;
}

/* ---- the listener ---- */

/* Connects the listener and LISTENs, by deadline (ms). */
static enum err_code
listen_connect(struct notify *n, long long deadline, struct err *e)
{
	enum err_code rc;

	if ((n->listen = open_conn(n, "rtstage-bus-listen", deadline, e)) == NULL)
		return e->code;
	if ((rc = query(n, n->listen, "LISTEN " NOTIFY_CHANNEL, NULL, deadline, e)) != ERR_OK) {
		PQfinish(n->listen);
		n->listen = NULL;
		return rc;
	}
	metrics_add(m.connected, 1);
	return ERR_OK;
}

static void
listen_lost(struct notify *n, const char *why)
{
	char line[LINE_BYTES];

	log_msg(LOG_WARN, "bus: the listening connection is lost (%s); reconnecting; events "
	    "other nodes publish meanwhile are missed", scrub(n, why, line, sizeof(line)));
	PQfinish(n->listen);
	n->listen = NULL;
	metrics_add(m.connected, -1);
}

/* Delivers every notification that has arrived. */
static void
drain(struct notify *n)
{
	struct bus_event ev;
	struct err e;
	PGnotify *nt;

	while ((nt = PQnotifies(n->listen)) != NULL) {
		if (bus_decode(nt->extra, &ev, &e) == ERR_OK) {
			metrics_add(m.received, 1);
			n->deliver(&ev);
		} else {
			metrics_add(m.dropped, 1);
			log_msg(LOG_WARN, "bus: dropped a notification from backend %d: %s",
			    nt->be_pid, e.msg);
		}
		PQfreemem(nt);
	}
}

/* Back after an outage: what was published meanwhile is lost, so every
 * subscriber re-reads everything it holds. */
static void
deliver_everything(struct notify *n, long long away_ms)
{
	struct bus_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = BUS_ROSTER_CHANGED;
	metrics_add(m.reconnects, 1);
	log_msg(LOG_INFO, "bus: listening again after %lld ms; every stage is re-read", away_ms);
	n->deliver(&ev);
}

static void *
listen_main(void *arg)
{
	struct notify *n = arg;
	long long backoff = LIMIT_NOTIFY_BACKOFF_MIN_MS, lost_at = 0;
	struct err e;
	int r;

	while (!atomic_load(&n->stop)) {
		if (n->listen == NULL) {
			if (listen_connect(n, now_ms() + LIMIT_PG_CONNECT_SECONDS * 1000, &e) != ERR_OK) {
				if (backoff == LIMIT_NOTIFY_BACKOFF_MIN_MS && !atomic_load(&n->stop))
					log_msg(LOG_WARN, "%s; retrying", e.msg);
				(void)wait_fd(n, -1, 0, backoff);
				backoff = backoff * 2 > LIMIT_NOTIFY_BACKOFF_MAX_MS ?
				    LIMIT_NOTIFY_BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			backoff = LIMIT_NOTIFY_BACKOFF_MIN_MS;
			deliver_everything(n, now_ms() - lost_at);
		}
		if ((r = wait_fd(n, PQsocket(n->listen), POLLIN, LIMIT_NOTIFY_POLL_MS)) < 0)
			break;
		if (r > 0 && !PQconsumeInput(n->listen)) {
			lost_at = now_ms();
			listen_lost(n, PQerrorMessage(n->listen));
			continue;
		}
		drain(n);
		if (PQstatus(n->listen) != CONNECTION_OK) {
			lost_at = now_ms();
			listen_lost(n, PQerrorMessage(n->listen));
		}
	}
	return NULL;
}

/* ---- the sender ---- */

/* Connects the sender unless the last attempt was too recent; under lock. */
static enum err_code
send_connect(struct notify *n, long long deadline, struct err *e)
{
	if (now_ms() < n->send_retry_at)
		return err_set(e, ERR_INTERNAL, "bus: database unavailable (retrying)");
	if ((n->send = open_conn(n, "rtstage-bus-send", deadline, e)) == NULL) {
		n->send_retry_at = now_ms() + LIMIT_NOTIFY_SEND_RETRY_MS;
		if (!n->send_down)
			log_msg(LOG_WARN, "%s; events are not sent to other nodes until it is back",
			    e->msg);
		n->send_down = 1;
		return e->code;
	}
	if (n->send_down)
		log_msg(LOG_INFO, "bus: sending to other nodes again");
	n->send_down = 0;
	return ERR_OK;
}

enum err_code
notify_send(void *ctx, const struct bus_event *ev, struct err *e)
{
	static const char sql[] = "SELECT pg_notify('" NOTIFY_CHANNEL "', $1)";
	struct notify *n = ctx;
	char payload[LIMIT_NOTIFY_PAYLOAD_BYTES];
	long long deadline = now_ms() + LIMIT_NOTIFY_SEND_MS;
	struct timespec until;
	enum err_code rc;
	int attempt, fresh, locked = 0;

	if (bus_encode(ev, payload, sizeof(payload)) < 0) {
		rc = err_set(e, ERR_VALIDATION, "bus: the event has no wire form "
		    "(no stage ARN, an unknown kind or an unterminated member)");
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LIMIT_NOTIFY_SEND_MS / 1000;
	until.tv_nsec += (LIMIT_NOTIFY_SEND_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_mutex_timedlock(&n->lock, &until) != 0) {
		rc = err_set(e, ERR_INTERNAL, "bus: the sending connection stayed busy");
		goto out;
	}
	locked = 1;
	/* A connection idle since the database restarted fails at first use:
	 * then one fresh connection is tried, within the same deadline. */
	for (attempt = 0; attempt < 2; attempt++) {
		fresh = n->send == NULL;
		if (fresh && (rc = send_connect(n, deadline, e)) != ERR_OK)
			break;
		if ((rc = query(n, n->send, sql, payload, deadline, e)) == ERR_OK || usable(n->send))
			break;
		PQfinish(n->send);
		n->send = NULL;
		if (fresh)
			break;
	}
out:
	if (locked)
		pthread_mutex_unlock(&n->lock);
	metrics_add(rc == ERR_OK ? m.sent : m.send_errors, 1);
	return rc;
}

/* ---- start and stop ---- */

/* Records in n->secrets the password conninfo names, as libpq reads it
 * and as a URL writes it (percent-encoded, between "user:" and "@").
 * -1 when conninfo cannot be parsed, or no memory. */
static int
find_secrets(struct notify *n, const char *conninfo)
{
	const char *scheme = strstr(conninfo, "://"), *at, *colon;
	PQconninfoOption *opts, *o;
	char *msg = NULL;
	int rc = 0;

	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		PQfreemem(msg);	/* it may quote the password: never shown */
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0' &&
		    (n->secrets[0] = strdup(o->val)) == NULL)
			rc = -1;
	PQconninfoFree(opts);
	if (scheme != NULL && (at = strchr(scheme + 3, '@')) != NULL &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) != NULL &&
	    at > colon + 1 && (n->secrets[1] = strndup(colon + 1, (size_t)(at - colon - 1))) == NULL)
		rc = -1;
	return rc;
}

struct notify *
notify_start(const char *conninfo, notify_deliver_fn deliver, struct err *e)
{
	long long deadline = now_ms() + LIMIT_PG_CONNECT_SECONDS * 1000;
	struct notify *n = NULL;
	enum err_code rc = ERR_OK;

	pthread_once(&metrics_once, metrics_make);
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		err_set(e, ERR_INTERNAL, "bus: out of memory");
		return NULL;
	}
	n->wake[0] = n->wake[1] = -1;
	n->deliver = deliver;
	pthread_mutex_init(&n->lock, NULL);
	if ((n->url = strdup(conninfo)) == NULL || pipe2(n->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = err_set(e, ERR_INTERNAL, "bus: out of memory or descriptors");
		goto out;
	}
	if (find_secrets(n, conninfo) != 0) {
		rc = err_set(e, ERR_INTERNAL, "bus: the database URL cannot be read");
		goto out;
	}
	if ((rc = listen_connect(n, deadline, e)) != ERR_OK ||
	    (rc = send_connect(n, deadline, e)) != ERR_OK)
		goto out;
	if (pthread_create(&n->thread, NULL, listen_main, n) != 0) {
		rc = err_set(e, ERR_INTERNAL, "bus: cannot start the listener thread");
		goto out;
	}
	n->running = 1;
	log_msg(LOG_INFO, "bus: listening on channel " NOTIFY_CHANNEL);
out:
	if (rc != ERR_OK) {
		notify_stop(n);
		n = NULL;
	}
	return n;
}

void
notify_stop(struct notify *n)
{
	size_t i;

	if (n == NULL)
		return;
	atomic_store(&n->stop, 1);
	if (n->wake[1] >= 0 && write(n->wake[1], "x", 1) < 0) {
		/* full already: the listener is being woken anyway, and it sees
		 * the stop flag within LIMIT_NOTIFY_POLL_MS whatever happens */
	}
	if (n->running)
		pthread_join(n->thread, NULL);
	if (n->listen != NULL)
		metrics_add(m.connected, -1);
	PQfinish(n->listen);
	PQfinish(n->send);
	if (n->wake[0] >= 0)
		close(n->wake[0]);
	if (n->wake[1] >= 0)
		close(n->wake[1]);
	pthread_mutex_destroy(&n->lock);
	for (i = 0; i < 2; i++) {
		if (n->secrets[i] != NULL)
			explicit_bzero(n->secrets[i], strlen(n->secrets[i]));
		free(n->secrets[i]);
	}
	if (n->url != NULL)
		explicit_bzero(n->url, strlen(n->url));
	free(n->url);
	free(n);
}
