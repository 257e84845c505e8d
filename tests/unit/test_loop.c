/* Event loop: fd readiness on a socketpair, timers in order and on time,
 * posts from several threads (each job once, in order per producer), the
 * queue limit, stopping while busy, and the CPU-time accessor. Anything
 * touching watches or timers while the loop runs does so from a posted
 * job, as the contract requires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "net/loop.h"

/* ---- a flag the test thread waits on ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int signalled;

static void
signal_test(void)
{
	pthread_mutex_lock(&mu);
	signalled++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Waits until signal_test has been called want times in all (5 s at most). */
static void
wait_for(int want)
{
	struct timespec until;
	int got;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&mu);
	while (signalled < want)
		if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
			break;
	got = signalled;
	pthread_mutex_unlock(&mu);
	if (got < want)
		fail_msg("waited 5 s for %d signals, got %d", want, got);
}

static int
reset_signals(void **state)
{
	(void)state;
	pthread_mutex_lock(&mu);
	signalled = 0;
	pthread_mutex_unlock(&mu);
	return 0;
}

static struct loop *
new_loop(void)
{
	struct loop *l = NULL;
	struct err e;

	assert_int_equal(loop_new(&l, &e), ERR_OK);
	assert_non_null(l);
	return l;
}

static void
post(struct loop *l, loop_job_fn fn, void *arg)
{
	struct err e;

	assert_int_equal(loop_post(l, fn, arg, &e), ERR_OK);
}

/* ---- fd readiness ---- */

struct fdstate {
	int fds[2];
	char got[64];
	size_t len;
	int writable, eof, reads_after_unwatch;
	int unwatched, bad_events;
};

/* Callbacks run on the loop thread, where a cmocka assertion cannot jump
 * back to the test: they count what is wrong and the test checks it. */

static void
on_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct fdstate *s = arg;
	ssize_t n;

	if (s->unwatched)
		s->reads_after_unwatch++;
	if (!(events & (LOOP_READ | LOOP_ERROR)))
		s->bad_events++;
	n = read(fd, s->got + s->len, sizeof(s->got) - 1 - s->len);
	if (n > 0) {
		s->len += (size_t)n;
		s->got[s->len] = '\0';
	} else if (n == 0) {
		s->eof = 1;
		loop_unwatch(l, fd);
		s->unwatched = 1;
	}
	signal_test();
}

static void
on_writable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct fdstate *s = arg;
	struct err e;

	if (!(events & LOOP_WRITE))
		s->bad_events++;
	s->writable++;
	/* Writable is level-triggered: stop asking (or it fires forever), then
	 * watch the same fd again for reading with another callback. */
	if (loop_watch_modify(l, fd, 0, &e) != ERR_OK)
		s->bad_events++;
	loop_unwatch(l, fd);
	if (loop_watch(l, fd, LOOP_READ, on_readable, s, &e) != ERR_OK)
		s->bad_events++;
	signal_test();
}

static void
test_fd_readiness(void **state)
{
	struct fdstate s = { 0 };
	struct loop *l = new_loop();
	struct err e;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s.fds), 0);
	assert_int_equal(loop_watch(l, s.fds[0], LOOP_WRITE, on_writable, &s, &e), ERR_OK);
	assert_int_not_equal(loop_watch(l, s.fds[0], LOOP_READ, on_readable, &s, &e), ERR_OK);
	assert_int_not_equal(loop_watch(l, -1, LOOP_READ, on_readable, &s, &e), ERR_OK);
	assert_int_equal(loop_start(l, &e), ERR_OK);
	wait_for(1);			/* writable at once */
	assert_int_equal(write(s.fds[1], "hello", 5), 5);
	wait_for(2);
	assert_int_equal(write(s.fds[1], " world", 6), 6);
	wait_for(3);
	close(s.fds[1]);
	wait_for(4);
	usleep(20000);
	loop_stop(l);
	assert_int_equal(s.bad_events, 0);
	assert_string_equal(s.got, "hello world");
	assert_int_equal(s.eof, 1);
	assert_int_equal(s.reads_after_unwatch, 0);
	assert_int_equal(s.writable, 1);
	loop_free(l);
	close(s.fds[0]);
}

/* ---- timers ---- */

struct fired {
	int order[16];
	uint64_t at[16];
	int n;
	uint64_t start;
	int repeats;
	struct loop_timer *cancel_me;
};

static struct fired fired;

static void
on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	fired.order[fired.n] = (int)(intptr_t)arg;
	fired.at[fired.n++] = loop_now_ms() - fired.start;
	if ((intptr_t)arg == 50)
		signal_test();
}

static int never_fired;

static void
on_never(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	(void)arg;
	never_fired++;
}

static void
on_repeat(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)arg;
	if (++fired.repeats == 5) {
		loop_timer_cancel(l, t);	/* from its own callback */
		signal_test();
	}
}

static void
cancel_job(struct loop *l, void *arg)
{
	(void)arg;
	loop_timer_cancel(l, fired.cancel_me);
}

static void
test_timers(void **state)
{
	static const struct {
		uint64_t delay;
		int id;
	} rows[] = { { 50, 50 }, { 10, 10 }, { 30, 30 }, { 10, 11 }, { 0, 0 } };
	static const int want[] = { 0, 10, 11, 30, 50 };
	struct loop *l = new_loop();
	struct loop_timer *t;
	struct err e;
	size_t i;

	(void)state;
	memset(&fired, 0, sizeof(fired));
	never_fired = 0;
	fired.start = loop_now_ms();
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(loop_timer_add(l, rows[i].delay, 0, on_timer, (void *)(intptr_t)rows[i].id,
		    &t, &e), ERR_OK);
	assert_int_equal(loop_timer_add(l, 20, 0, on_never, NULL, &fired.cancel_me, &e), ERR_OK);
	assert_int_equal(loop_timer_add(l, 5, 5, on_repeat, NULL, &t, &e), ERR_OK);
	assert_int_equal(loop_timer_add(l, 1000000, 0, on_never, NULL, &t, &e), ERR_OK);
	assert_int_equal(loop_timer_add(l, UINT64_MAX, 0, on_never, NULL, &t, &e), ERR_OK);
	assert_int_equal(loop_start(l, &e), ERR_OK);
	post(l, cancel_job, NULL);
	wait_for(2);			/* the 50 ms timer and the fifth repeat */
	usleep(30000);
	loop_stop(l);
	assert_int_equal(fired.n, 5);
	assert_int_equal(never_fired, 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(fired.order[i], want[i]);
		/* Never early; late by less than a generous scheduling margin. */
		assert_true(fired.at[i] >= (uint64_t)want[i] - (want[i] == 11));
		assert_true(fired.at[i] < (uint64_t)want[i] + 200);
	}
	assert_int_equal(fired.repeats, 5);
	loop_free(l);			/* frees the far timer still pending */
}

/* ---- posts from several threads ---- */

#define PRODUCERS 4
#define PER_PRODUCER 20000

static long next_seq[PRODUCERS];
static long out_of_order;

static void
record_job(struct loop *l, void *arg)
{
	uintptr_t v = (uintptr_t)arg;
	size_t who = v % PRODUCERS;
	long seq = (long)(v / PRODUCERS);

	(void)l;
	if (seq != next_seq[who])
		out_of_order++;
	next_seq[who] = seq + 1;
}

struct producer {
	struct loop *l;
	size_t who;
	long refused;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;
	struct err e;
	long i;

	for (i = 0; i < PER_PRODUCER; i++) {
		while (loop_post(p->l, record_job, (void *)(uintptr_t)((size_t)i * PRODUCERS + p->who),
		    &e) != ERR_OK) {
			p->refused++;
			sched_yield();
		}
	}
	return NULL;
}

static void
test_post_threads(void **state)
{
	struct producer p[PRODUCERS];
	pthread_t t[PRODUCERS];
	struct loop *l = new_loop();
	struct err e;
	size_t i;

	(void)state;
	memset(next_seq, 0, sizeof(next_seq));
	out_of_order = 0;
	assert_int_equal(loop_start(l, &e), ERR_OK);
	for (i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){ l, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
	}
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(t[i], NULL);
	loop_stop(l);
	assert_int_equal(out_of_order, 0);
	for (i = 0; i < PRODUCERS; i++)
		assert_int_equal(next_seq[i], PER_PRODUCER);
	loop_free(l);
}

/* ---- the queue limit ---- */

static long ran;

static void
count_job(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	ran++;
}

static void
test_queue_limit(void **state)
{
	struct loop *l = new_loop();
	struct err e;
	long i;

	(void)state;
	ran = 0;
	/* Not started: nothing drains, so the queue fills. */
	for (i = 0; i < LIMIT_LOOP_QUEUE; i++)
		post(l, count_job, NULL);
	assert_int_equal(loop_post(l, count_job, NULL, &e), ERR_INTERNAL);
	assert_non_null(strstr(e.msg, "full"));
	assert_int_equal(loop_start(l, &e), ERR_OK);
	assert_int_not_equal(loop_start(l, &e), ERR_OK);
	/* Room comes back as the loop drains. */
	for (i = 0; loop_post(l, count_job, NULL, &e) != ERR_OK; i++) {
		assert_true(i < 5000);
		usleep(1000);
	}
	loop_stop(l);
	assert_int_equal(ran, LIMIT_LOOP_QUEUE + 1);
	assert_int_equal(loop_post(l, count_job, NULL, &e), ERR_INTERNAL);
	assert_non_null(strstr(e.msg, "stopping"));
	loop_free(l);

	/* A loop never started runs what it accepted when freed. */
	ran = 0;
	l = new_loop();
	post(l, count_job, NULL);
	post(l, count_job, NULL);
	loop_free(l);
	assert_int_equal(ran, 2);
	loop_free(NULL);
}

/* ---- stopping while busy ---- */

static long refused_in_drain;

static void
slow_job(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	signal_test();
	usleep(50000);
	ran++;
}

static void
repost_job(struct loop *l, void *arg)
{
	struct err e;

	(void)arg;
	ran++;
	if (loop_post(l, count_job, NULL, &e) != ERR_OK)
		refused_in_drain++;
}

static void
tick(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	(void)arg;
}

static void
test_stop_busy(void **state)
{
	struct fdstate s = { 0 };
	struct loop *l = new_loop();
	struct loop_timer *t;
	struct err e;
	int i;

	(void)state;
	ran = 0;
	refused_in_drain = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s.fds), 0);
	assert_int_equal(loop_watch(l, s.fds[0], LOOP_READ, on_readable, &s, &e), ERR_OK);
	assert_int_equal(loop_timer_add(l, 1, 1, tick, NULL, &t, &e), ERR_OK);
	assert_int_equal(loop_start(l, &e), ERR_OK);
	post(l, slow_job, NULL);
	wait_for(1);			/* the loop is inside slow_job */
	for (i = 0; i < 1000; i++)
		post(l, count_job, NULL);
	post(l, repost_job, NULL);
	loop_stop(l);
	/* Every accepted job ran once; the post during the drain was refused. */
	assert_int_equal(ran, 1 + 1000 + 1);
	assert_int_equal(refused_in_drain, 1);
	loop_stop(l);			/* again: harmless */
	loop_free(l);
	close(s.fds[0]);
	close(s.fds[1]);

	/* An idle loop (no timers, blocked in epoll) stops at once. */
	l = new_loop();
	assert_int_equal(loop_start(l, &e), ERR_OK);
	usleep(10000);
	i = (int)loop_now_ms();
	loop_stop(l);
	assert_true(loop_now_ms() - (uint64_t)i < 1000);
	loop_free(l);
}

/* ---- CPU time ---- */

static void
spin_job(struct loop *l, void *arg)
{
	uint64_t start = loop_cpu_ns(l);
	volatile unsigned long x = 0;

	(void)arg;
	while (loop_cpu_ns(l) - start < 30000000u)	/* 30 ms of CPU */
		x++;
	signal_test();
}

static void
test_cpu_time(void **state)
{
	struct loop *l = new_loop();
	struct err e;
	uint64_t a, b;

	(void)state;
	assert_int_equal(loop_cpu_ns(l), 0);
	assert_int_equal(loop_start(l, &e), ERR_OK);
	post(l, spin_job, NULL);
	wait_for(1);
	a = loop_cpu_ns(l);
	assert_true(a >= 30000000u);
	loop_stop(l);
	b = loop_cpu_ns(l);
	assert_true(b >= a);
	usleep(5000);
	assert_int_equal(loop_cpu_ns(l), b);	/* frozen once stopped */
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fd_readiness, reset_signals),
		cmocka_unit_test_setup(test_timers, reset_signals),
		cmocka_unit_test_setup(test_post_threads, reset_signals),
		cmocka_unit_test_setup(test_queue_limit, reset_signals),
		cmocka_unit_test_setup(test_stop_busy, reset_signals),
		cmocka_unit_test_setup(test_cpu_time, reset_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
