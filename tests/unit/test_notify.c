/* The bus's PostgreSQL transport (store/notify.c) against a real
 * database: RTSTAGE_UNIT_DB names it (tests/run.sh starts a private
 * cluster); without it the cases that need one are skipped. Two
 * transports in this process stand for two nodes; a third, plain libpq
 * connection plays the outsider (raw NOTIFY, pg_terminate_backend). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "limits.h"
#include "store/notify.h"
#include "util/num.h"

#define ARN "arn:aws:ivs:us-east-1:123456789012:stage/"
#define INBOX_CAP 64
#define WITHIN_MS 1000		/* the bus's promise: every node learns within a second */

/* What one transport delivered. */
struct inbox {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct bus_event ev[INBOX_CAP];
	int n;
};

static struct inbox box_a = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { 0 } }, 0 };
static struct inbox box_b = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { 0 } }, 0 };

static void
put(struct inbox *b, const struct bus_event *ev)
{
	pthread_mutex_lock(&b->lock);
	if (b->n < INBOX_CAP)
		b->ev[b->n++] = *ev;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static void
deliver_a(const struct bus_event *ev)
{
	put(&box_a, ev);
}

static void
deliver_b(const struct bus_event *ev)
{
	put(&box_b, ev);
}

static void
empty(struct inbox *b)
{
	pthread_mutex_lock(&b->lock);
	b->n = 0;
	pthread_mutex_unlock(&b->lock);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How many events of b name stage (an empty stage: the re-read signal). */
static int
count(struct inbox *b, const char *stage)
{
	int i, k = 0;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n; i++)
		k += strcmp(b->ev[i].stage_arn, stage) == 0;
	pthread_mutex_unlock(&b->lock);
	return k;
}

/* Waits up to ms for b to hold an event naming stage; returns the
 * milliseconds it took, or -1. */
static long long
wait_for(struct inbox *b, const char *stage, long long ms)
{
	struct timespec nap = { 0, 5 * 1000000L };
	long long start = now_ms();

	while (count(b, stage) == 0) {
		if (now_ms() - start > ms)
			return -1;
		nanosleep(&nap, NULL);
	}
	return now_ms() - start;
}

/* The event of b naming stage, copied into out; 0 if none. */
static int
find(struct inbox *b, const char *stage, struct bus_event *out)
{
	int i, found = 0;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n && !found; i++)
		if (strcmp(b->ev[i].stage_arn, stage) == 0) {
			*out = b->ev[i];
			found = 1;
		}
	pthread_mutex_unlock(&b->lock);
	return found;
}

static void
event(struct bus_event *ev, enum bus_kind kind, const char *stage, const char *id,
    const char *node, const char *reason)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	snprintf(ev->stage_arn, sizeof(ev->stage_arn), "%s", stage);
	snprintf(ev->participant_id, sizeof(ev->participant_id), "%s", id);
	snprintf(ev->node, sizeof(ev->node), "%s", node);
	snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
}

/* The value of metric name (a series without labels) in the exposition. */
static long long
metric(const char *name)
{
	char *text = metrics_expose(), *p, value[32];
	long long v = -1;
	size_t n = strlen(name), len;
	struct err e;

	assert_non_null(text);
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			len = strcspn(p + n + 1, "\n");
			snprintf(value, sizeof(value), "%.*s", (int)len, p + n + 1);
			assert_int_equal(num_parse(value, -1000000, 1000000000, name, &v, &e), ERR_OK);
			break;
		}
	free(text);
	return v;
}

static const char *
db_url(void)
{
	return getenv("RTSTAGE_UNIT_DB");
}

/* Runs sql on a connection of its own (the outsider); fails the test on
 * error. Returns the first value of the first row as a number, or 0 when
 * there is none. */
static long long
outsider(const char *sql)
{
	PGconn *c = PQconnectdb(db_url());
	PGresult *res;
	long long v = 0;
	struct err e;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) &&
	    PQgetvalue(res, 0, 0)[0] != '\0')	/* pg_notify's void reads as "" */
		assert_int_equal(num_parse(PQgetvalue(res, 0, 0), 0, 1000000, sql, &v, &e), ERR_OK);
	PQclear(res);
	PQfinish(c);
	return v;
}

static int
need_db(void **state)
{
	(void)state;
	empty(&box_a);
	empty(&box_b);
	if (db_url() == NULL || db_url()[0] == '\0')
		skip();	/* no RTSTAGE_UNIT_DB: counted as skipped */
	return 0;
}

static struct notify *
start(notify_deliver_fn fn)
{
	struct notify *n;
	struct err e;

	if ((n = notify_start(db_url(), fn, &e)) == NULL)
		fail_msg("notify_start: %s", e.msg);
	return n;
}

/* Two nodes exchange events both ways within a second, members intact
 * (separators and non-ASCII included); each transport delivers each
 * event once, its own ones too (the bus drops those by node). */
static void
test_exchange(void **state)
{
	struct notify *a, *b;
	struct bus_event ev, got;
	struct err e;
	struct timespec settle = { 0, 300 * 1000000L };
	long long sent, received;

	need_db(state);
	a = start(deliver_a);
	b = start(deliver_b);
	sent = metric("rtstage_bus_notify_sent_total");
	received = metric("rtstage_bus_notify_received_total");
	assert_int_equal(metric("rtstage_bus_notify_listener_connected"), 2);

	event(&ev, BUS_PARTICIPANT_DISCONNECTED, ARN "fromA", "p-1", "https://a.example",
	    "kicked | by \\ the host: d\xc3\xa9" "connect\xc3\xa9 \xf0\x9f\x8e\xa5");
	assert_int_equal(notify_send(a, &ev, &e), ERR_OK);
	assert_in_range(wait_for(&box_b, ARN "fromA", WITHIN_MS), 0, WITHIN_MS);
	assert_true(find(&box_b, ARN "fromA", &got));
	assert_memory_equal(&got, &ev, sizeof(ev));

	event(&ev, BUS_STAGE_DELETED, ARN "fromB", "", "https://b.example", "");
	assert_int_equal(notify_send(b, &ev, &e), ERR_OK);
	assert_in_range(wait_for(&box_a, ARN "fromB", WITHIN_MS), 0, WITHIN_MS);
	assert_true(find(&box_a, ARN "fromB", &got));
	assert_memory_equal(&got, &ev, sizeof(ev));

	assert_in_range(wait_for(&box_a, ARN "fromA", WITHIN_MS), 0, WITHIN_MS);
	assert_in_range(wait_for(&box_b, ARN "fromB", WITHIN_MS), 0, WITHIN_MS);
	nanosleep(&settle, NULL);
	assert_int_equal(count(&box_a, ARN "fromA"), 1);
	assert_int_equal(count(&box_a, ARN "fromB"), 1);
	assert_int_equal(count(&box_b, ARN "fromA"), 1);
	assert_int_equal(count(&box_b, ARN "fromB"), 1);
	assert_int_equal(count(&box_a, ""), 0);	/* no reconnect, no re-read signal */
	assert_int_equal(metric("rtstage_bus_notify_sent_total"), sent + 2);
	assert_int_equal(metric("rtstage_bus_notify_received_total"), received + 4);

	/* an event with no wire form is refused and sends nothing */
	event(&ev, BUS_ROSTER_CHANGED, "", "", "https://a.example", "");
	assert_int_equal(notify_send(a, &ev, &e), ERR_VALIDATION);
	assert_int_equal(metric("rtstage_bus_notify_sent_total"), sent + 2);

	notify_stop(a);
	notify_stop(b);
	assert_int_equal(metric("rtstage_bus_notify_listener_connected"), 0);
}

/* Notifications on the channel that are not events (sent by an outsider
 * with NOTIFY and pg_notify) are dropped and counted; events behind them
 * still flow. */
static void
test_malformed_dropped(void **state)
{
	struct notify *a, *b;
	struct bus_event ev;
	struct err e;
	long long dropped;

	need_db(state);
	a = start(deliver_a);
	b = start(deliver_b);
	dropped = metric("rtstage_bus_notify_dropped_total");
	outsider("NOTIFY " NOTIFY_CHANNEL ", 'not an event'");
	outsider("NOTIFY " NOTIFY_CHANNEL);
	outsider("SELECT pg_notify('" NOTIFY_CHANNEL "', '2|roster|" ARN "x|p|n|')");
	outsider("SELECT pg_notify('" NOTIFY_CHANNEL "', '1|roster|" ARN "x|p|n|r|extra')");
	event(&ev, BUS_ROSTER_CHANGED, ARN "after", "", "https://a.example", "");
	assert_int_equal(notify_send(a, &ev, &e), ERR_OK);
	/* notifications arrive in commit order: the event came after them */
	assert_in_range(wait_for(&box_b, ARN "after", WITHIN_MS), 0, WITHIN_MS);
	assert_in_range(wait_for(&box_a, ARN "after", WITHIN_MS), 0, WITHIN_MS);
	assert_int_equal(metric("rtstage_bus_notify_dropped_total"), dropped + 8);
	assert_int_equal(count(&box_b, ARN "x"), 0);
	pthread_mutex_lock(&box_b.lock);
	assert_int_equal(box_b.n, 1);
	pthread_mutex_unlock(&box_b.lock);
	notify_stop(a);
	notify_stop(b);
}

/* The listeners' backends are terminated: each transport reconnects,
 * delivers the re-read signal, and later events flow again. */
static void
test_reconnect(void **state)
{
	struct notify *a, *b;
	struct bus_event ev;
	struct err e;
	long long reconnects;

	need_db(state);
	a = start(deliver_a);
	b = start(deliver_b);
	reconnects = metric("rtstage_bus_notify_reconnects_total");
	assert_int_equal(outsider("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	    "WHERE application_name = 'rtstage-bus-listen' AND datname = current_database()"), 2);
	assert_in_range(wait_for(&box_a, "", 3 * WITHIN_MS), 0, 3 * WITHIN_MS);
	assert_in_range(wait_for(&box_b, "", 3 * WITHIN_MS), 0, 3 * WITHIN_MS);
	assert_int_equal(metric("rtstage_bus_notify_reconnects_total"), reconnects + 2);
	assert_int_equal(metric("rtstage_bus_notify_listener_connected"), 2);

	event(&ev, BUS_PARTICIPANT_REPLACED, ARN "again", "p-2", "https://a.example", "");
	assert_int_equal(notify_send(a, &ev, &e), ERR_OK);
	assert_in_range(wait_for(&box_b, ARN "again", WITHIN_MS), 0, WITHIN_MS);

	/* the sender's backend too: the next send takes a fresh connection */
	assert_int_equal(outsider("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	    "WHERE application_name = 'rtstage-bus-send' AND datname = current_database()"), 2);
	event(&ev, BUS_ROSTER_CHANGED, ARN "fresh", "", "https://b.example", "");
	assert_int_equal(notify_send(b, &ev, &e), ERR_OK);
	assert_in_range(wait_for(&box_a, ARN "fresh", WITHIN_MS), 0, WITHIN_MS);
	notify_stop(a);
	notify_stop(b);
}

/* notify_stop returns promptly: the listener is woken, not waited out. */
static void
test_stop_prompt(void **state)
{
	struct notify *n;
	long long t;
	int i;

	need_db(state);
	for (i = 0; i < 5; i++) {
		n = start(deliver_a);
		t = now_ms();
		notify_stop(n);
		assert_in_range(now_ms() - t, 0, 100);
	}
	notify_stop(NULL);
}

/* A database that cannot be reached fails the start, and the message
 * never shows the password, whether libpq quotes the URL or not. */
static void
test_password_never_shown(void **state)
{
	static const char *const urls[] = {
		"postgresql://rtstage:s3cret-PW@127.0.0.1:1/db",
		"postgresql://rtstage:s3cret%2DPW@127.0.0.1:1/db",
		"postgresql://rtstage:s3cret-PW@[::1/db",
		"postgresql://rtstage:s3cret-PW@127.0.0.1:notaport/db",
		"host=127.0.0.1 port=1 password=s3cret-PW dbname",
		"host=127.0.0.1 port=1 password=s3cret-PW",
	};
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_null(notify_start(urls[i], deliver_a, &e));
		assert_int_equal(e.code, ERR_INTERNAL);
		assert_true(e.msg[0] != '\0');
		if (strstr(e.msg, "s3cret") != NULL)
			fail_msg("%s: the message shows the password: %s", urls[i], e.msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_malformed_dropped),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_stop_prompt),
		cmocka_unit_test(test_password_never_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
