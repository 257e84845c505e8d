/* The runtime's store thread: the one place the stage runtime touches the
 * store. The event-loop thread hands it jobs through a bounded queue
 * (LIMIT_RUNTIME_JOBS) and gets results back with loop_post. Between jobs
 * it runs the session timers: idle sessions end (every
 * LIMIT_SESSION_SWEEP_MS) and old history goes (daily). Internal to
 * src/runtime/.
 */
#ifndef RTSTAGE_RUNTIME_JOBS_H
#define RTSTAGE_RUNTIME_JOBS_H

#include "util/err.h"

/* A job: runs fn(arg) on the store thread; fn owns arg. */
typedef void (*jobs_fn)(void *arg);

/* Starts the thread. idle_ms: --session-idle-timeout; history_days:
 * --history-days. Returns ERR_OK or ERR_INTERNAL. */
enum err_code jobs_start(long long idle_ms, int history_days, struct err *e);

/* Runs the jobs still queued, then stops the thread. Idempotent. */
void jobs_stop(void);

/* Queues fn(arg). Returns 0, or -1 when the queue is full or stopping
 * (fn will not run; arg stays the caller's). Thread-safe. */
int jobs_post(jobs_fn fn, void *arg);

#endif
