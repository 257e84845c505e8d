/* The runtime's store thread (see jobs.h): a ring of jobs under one
 * mutex, and the session timers between them. */
#include <pthread.h>
#include <time.h>

#include "core/log.h"
#include "ivs/session.h"
#include "store/session_store.h"
#include "limits.h"
#include "runtime/jobs.h"
#include "store/store.h"

#define RETAIN_EVERY_MS (24 * 3600 * 1000LL)

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int running, stopping;
	struct {
		jobs_fn fn;
		void *arg;
	} ring[LIMIT_RUNTIME_JOBS];
	unsigned head, n;
	long long idle_ms;
	int days;
} q = { .lock = PTHREAD_MUTEX_INITIALIZER };

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static enum err_code
end_idle_tx(struct store *s, void *arg, struct err *e)
{
	return session_end_idle(s, *(long long *)arg, q.idle_ms, e);
}

static enum err_code
retain_tx(struct store *s, void *arg, struct err *e)
{
	return session_retain(s, *(long long *)arg, q.days, e);
}

/* Runs the timers that are due; *next_idle and *next_retain advance. */
static void
timers(long long *next_idle, long long *next_retain)
{
	struct err e = { ERR_OK, "" };
	struct store *s;
	long long mono = mono_ms(), now = session_now_ms();
	int any = 0;

	if (mono >= *next_idle) {
		/* a write (and its sync) only when a session is due to end */
		if ((s = store_thread(&e)) == NULL ||
		    store_sessions_any_idle(s, now - q.idle_ms, &any, &e) != ERR_OK ||
		    (any && store_write(end_idle_tx, &now, &e) != ERR_OK))
			log_msg(LOG_WARN, "ending idle sessions: %s", e.msg);
		*next_idle = mono + LIMIT_SESSION_SWEEP_MS;
	}
	if (mono >= *next_retain) {
		if (store_write(retain_tx, &now, &e) != ERR_OK)
			log_msg(LOG_WARN, "deleting old session history: %s", e.msg);
		*next_retain = mono + RETAIN_EVERY_MS;
	}
}

static void *
run(void *arg)
{
	long long next_idle = 0, next_retain = 0;
	struct timespec until;
	jobs_fn fn;
	void *jarg;

	(void)arg;
	pthread_mutex_lock(&q.lock);
	for (;;) {
		if (q.n > 0) {
			fn = q.ring[q.head].fn;
			jarg = q.ring[q.head].arg;
			q.head = (q.head + 1) % LIMIT_RUNTIME_JOBS;
			q.n--;
			pthread_mutex_unlock(&q.lock);
			fn(jarg);
			pthread_mutex_lock(&q.lock);
			continue;
		}
		if (q.stopping)
			break;
		pthread_mutex_unlock(&q.lock);
		timers(&next_idle, &next_retain);
		pthread_mutex_lock(&q.lock);
		if (q.n > 0 || q.stopping)
			continue;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += LIMIT_SESSION_SWEEP_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&q.wake, &q.lock, &until);
	}
	pthread_mutex_unlock(&q.lock);
	return NULL;
}

enum err_code
jobs_start(long long idle_ms, int history_days, struct err *e)
{
	q.idle_ms = idle_ms;
	q.days = history_days;
	q.stopping = 0;
	pthread_cond_init(&q.wake, NULL);
	if (pthread_create(&q.thread, NULL, run, NULL) != 0)
		return err_set(e, ERR_INTERNAL, "cannot start the runtime's store thread");
	q.running = 1;
	return ERR_OK;
}

void
jobs_stop(void)
{
	if (!q.running)
		return;
	pthread_mutex_lock(&q.lock);
	q.stopping = 1;
	pthread_cond_signal(&q.wake);
	pthread_mutex_unlock(&q.lock);
	pthread_join(q.thread, NULL);
	pthread_cond_destroy(&q.wake);
	q.running = 0;
}

int
jobs_post(jobs_fn fn, void *arg)
{
	int ok;

	pthread_mutex_lock(&q.lock);
	ok = q.running && !q.stopping && q.n < LIMIT_RUNTIME_JOBS;
	if (ok) {
		q.ring[(q.head + q.n) % LIMIT_RUNTIME_JOBS].fn = fn;
		q.ring[(q.head + q.n) % LIMIT_RUNTIME_JOBS].arg = arg;
		q.n++;
		pthread_cond_signal(&q.wake);
	}
	pthread_mutex_unlock(&q.lock);
	return ok ? 0 : -1;
}
