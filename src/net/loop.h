/* An event loop on a thread of its own: epoll for fd readiness, timers on
 * the monotonic clock (a min-heap), and a bounded job queue through which
 * other threads hand it work (woken by an eventfd). Callbacks run on the
 * loop thread and must never block; the loop touches no store.
 *
 * Thread-safety: loop_post and loop_stop may be called from any thread
 * (loop_stop never from the loop thread itself), loop_cpu_ns from any
 * thread; everything else only on the loop thread (from its callbacks), or
 * before loop_start or after loop_stop.
 */
#ifndef RTSTAGE_NET_LOOP_H
#define RTSTAGE_NET_LOOP_H

#include <stdint.h>

#include "util/err.h"

struct loop;
struct loop_timer;

/* Readiness bits for loop_watch and the fd callback. */
enum {
	LOOP_READ = 1,		/* readable, or the peer closed its side */
	LOOP_WRITE = 2,		/* writable */
	LOOP_ERROR = 4,		/* error or hang-up (reported whatever was asked) */
};

typedef void (*loop_fd_fn)(struct loop *l, int fd, unsigned events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, struct loop_timer *t, void *arg);
typedef void (*loop_job_fn)(struct loop *l, void *arg);

/* Makes a loop (epoll instance, eventfd, the LIMIT_LOOP_QUEUE job slots)
 * without starting its thread. *out is the caller's, freed by loop_free. */
enum err_code loop_new(struct loop **out, struct err *e);

/* Starts the loop's thread. Returns ERR_OK, or ERR_INTERNAL if the thread
 * cannot be made or the loop was already started. */
enum err_code loop_start(struct loop *l, struct err *e);

/* Stops the loop and waits for its thread. Jobs already accepted by
 * loop_post are all run (on the loop thread) before it exits; posts made
 * after loop_stop began are refused. Watches and timers stay registered but
 * fire no more. Idempotent; a loop never started just stops accepting jobs
 * (the accepted ones run in loop_free). Never call it from the loop thread. */
void loop_stop(struct loop *l);

/* Stops l if needed, runs the jobs still queued, frees timers, watch slots
 * and l. Watched fds are not closed: they belong to whoever watched them.
 * Accepts NULL. */
void loop_free(struct loop *l);

/* Hands fn(l, arg) to the loop thread. Jobs run exactly once, in the order
 * they were accepted (so in order per producer). Returns ERR_OK, or
 * ERR_INTERNAL when the queue holds LIMIT_LOOP_QUEUE jobs or the loop is
 * stopping: fn will not run and arg stays the caller's. Thread-safe;
 * allocates nothing. */
enum err_code loop_post(struct loop *l, loop_job_fn fn, void *arg, struct err *e);

/* Calls fn(l, fd, events, arg) on the loop thread whenever fd is ready for
 * any of events (LOOP_READ | LOOP_WRITE; level-triggered). One watch per
 * fd. Returns ERR_OK, or ERR_INTERNAL (fd already watched, epoll refused). */
enum err_code loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg,
    struct err *e);

/* Changes the events a watched fd waits for (0: none, errors only). */
enum err_code loop_watch_modify(struct loop *l, int fd, unsigned events, struct err *e);

/* Stops watching fd; its callback is not called again, even for events
 * already collected in the current round. Call it before closing fd.
 * Unknown fds are ignored. */
void loop_unwatch(struct loop *l, int fd);

/* Calls fn(l, t, arg) on the loop thread after delay_ms milliseconds
 * (monotonic clock), then every repeat_ms if repeat_ms > 0. Timers due at
 * the same moment fire in the order they were added. Returns the timer in
 * *out, or ERR_INTERNAL when out of memory. A one-shot timer is freed after
 * its callback returns; a repeating one lives until loop_timer_cancel. */
enum err_code loop_timer_add(struct loop *l, uint64_t delay_ms, uint64_t repeat_ms,
    loop_timer_fn fn, void *arg, struct loop_timer **out, struct err *e);

/* Cancels and frees t (also from its own callback). t must be pending or
 * firing; a one-shot timer that has fired is already gone. Accepts NULL. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Monotonic time in milliseconds, as the timers count it. Thread-safe. */
uint64_t loop_now_ms(void);

/* CPU time the loop's thread has used, nanoseconds: so far while it runs,
 * its total once stopped, 0 before it started. Thread-safe. */
uint64_t loop_cpu_ns(struct loop *l);

#endif
