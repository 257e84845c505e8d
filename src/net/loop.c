/* The event loop thread: epoll readiness, a min-heap of timers on the
 * monotonic clock, and the bounded job queue other threads post to (a
 * mutex-guarded ring, woken through an eventfd). Only the queue and the
 * stop flag are shared between threads; everything else belongs to the
 * loop thread once it runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "net/loop.h"

/* epoll events taken per wait. Not a bound: the rest come next round. */
#define EVENTS_PER_WAIT 64

/* epoll data of the wake-up eventfd; watches carry (generation << 32 | fd)
 * with a generation never 0, so they never equal it. */
#define WAKE_TOKEN UINT64_MAX

/* Longest single epoll wait, ms: it takes an int, and waking once a minute
 * to find a far timer not yet due costs nothing. */
#define WAIT_MS_MAX 60000

struct job {
	loop_job_fn fn;
	void *arg;
};

struct watch {
	loop_fd_fn fn;		/* NULL: slot free */
	void *arg;
	uint32_t gen;		/* tells a stale event of a reused fd from a live one */
};

struct loop_timer {
	uint64_t due_ns, repeat_ns, seq;
	size_t index;		/* position in the heap */
	loop_timer_fn fn;
	void *arg;
	int cancelled;		/* cancelled from its own callback */
};

struct loop {
	int epfd, wakefd;
	pthread_t thread;
	int started, joined;
	pthread_mutex_t stop_lock;	/* serialises loop_stop */
	atomic_int stopping;

	/* The job ring, shared: guarded by qlock. */
	pthread_mutex_t qlock;
	struct job *jobs;
	size_t qhead, qcount;
	int accepting;

	/* Loop thread only. */
	struct watch *watches;
	size_t nwatches;
	uint32_t gen;
	struct loop_timer **heap;
	size_t nheap, heap_alloc;
	uint64_t seq;
	struct loop_timer *firing;

	/* CPU time, shared: guarded by cpulock. */
	pthread_mutex_t cpulock;
	int cpu_running;
	clockid_t cpu_clock;
	uint64_t cpu_final;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ms in ns, saturating far beyond any real delay (about 146 years), so
 * that due times never wrap. */
static uint64_t
ms_to_ns(uint64_t ms)
{
	return ms > UINT64_MAX / 4 / 1000000u ? UINT64_MAX / 4 : ms * 1000000u;
}

uint64_t
loop_now_ms(void)
{
	return now_ns() / 1000000u;
}

/* ---- lifecycle ---- */

enum err_code
loop_new(struct loop **out, struct err *e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TOKEN };
	struct loop *l = calloc(1, sizeof(*l));
	enum err_code rc = ERR_OK;

	*out = NULL;
	if (l == NULL)
		return err_set(e, ERR_INTERNAL, "Out of memory for an event loop");
	l->epfd = l->wakefd = -1;
	pthread_mutex_init(&l->stop_lock, NULL);
	pthread_mutex_init(&l->qlock, NULL);
	pthread_mutex_init(&l->cpulock, NULL);
	l->accepting = 1;
	if ((l->jobs = calloc(LIMIT_LOOP_QUEUE, sizeof(*l->jobs))) == NULL) {
		rc = err_set(e, ERR_INTERNAL, "Out of memory for the loop's queue");
		goto out;
	}
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) != 0) {
		rc = err_set(e, ERR_INTERNAL, "Cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	*out = l;
	l = NULL;
out:
	loop_free(l);
	return rc;
}

static void wake(struct loop *l);
static void *run(void *arg);
static size_t run_jobs(struct loop *l, size_t limit);

enum err_code
loop_start(struct loop *l, struct err *e)
{
	int failed;

	if (l->started)
		return err_set(e, ERR_INTERNAL, "The event loop is already started");
	if ((failed = pthread_create(&l->thread, NULL, run, l)) != 0)
		return err_set(e, ERR_INTERNAL, "Cannot start the event loop: %s", strerror(failed));
	l->started = 1;
	return ERR_OK;
}

void
loop_stop(struct loop *l)
{
	pthread_mutex_lock(&l->qlock);
	l->accepting = 0;
	pthread_mutex_unlock(&l->qlock);
	atomic_store(&l->stopping, 1);
	wake(l);
	pthread_mutex_lock(&l->stop_lock);
	if (l->started && !l->joined) {
		pthread_join(l->thread, NULL);
		l->joined = 1;
	}
	pthread_mutex_unlock(&l->stop_lock);
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	if (l->jobs != NULL) {
		loop_stop(l);
		run_jobs(l, SIZE_MAX);
	}
	for (i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->watches);
	free(l->jobs);
	if (l->wakefd >= 0)
		close(l->wakefd);
	if (l->epfd >= 0)
		close(l->epfd);
	pthread_mutex_destroy(&l->stop_lock);
	pthread_mutex_destroy(&l->qlock);
	pthread_mutex_destroy(&l->cpulock);
	free(l);
}

/* ---- job queue ---- */

static void
wake(struct loop *l)
{
	uint64_t one = 1;

	/* A full eventfd counter (EAGAIN) still wakes the loop. */
	while (write(l->wakefd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

enum err_code
loop_post(struct loop *l, loop_job_fn fn, void *arg, struct err *e)
{
	enum err_code rc = ERR_OK;
	int was_empty = 0;

	pthread_mutex_lock(&l->qlock);
	if (!l->accepting)
		rc = err_set(e, ERR_INTERNAL, "The event loop is stopping");
	else if (l->qcount == LIMIT_LOOP_QUEUE)
		rc = err_set(e, ERR_INTERNAL, "The event loop's queue is full (%d jobs)",
		    LIMIT_LOOP_QUEUE);
	else {
		l->jobs[(l->qhead + l->qcount) % LIMIT_LOOP_QUEUE] = (struct job){ fn, arg };
		was_empty = l->qcount++ == 0;
	}
	pthread_mutex_unlock(&l->qlock);
	if (was_empty)
		wake(l);
	return rc;
}

/* Runs at most limit queued jobs, one at a time, the lock released while
 * each runs (a job may post). Returns how many are still queued. */
static size_t
run_jobs(struct loop *l, size_t limit)
{
	struct job j;
	size_t left = 0;

	while (limit-- > 0) {
		pthread_mutex_lock(&l->qlock);
		if (l->qcount == 0) {
			pthread_mutex_unlock(&l->qlock);
			return 0;
		}
		j = l->jobs[l->qhead];
		l->qhead = (l->qhead + 1) % LIMIT_LOOP_QUEUE;
		l->qcount--;
		pthread_mutex_unlock(&l->qlock);
		j.fn(l, j.arg);
	}
	pthread_mutex_lock(&l->qlock);
	left = l->qcount;
	pthread_mutex_unlock(&l->qlock);
	return left;
}

static size_t
queued(struct loop *l)
{
	size_t n;

	pthread_mutex_lock(&l->qlock);
	n = l->qcount;
	pthread_mutex_unlock(&l->qlock);
	return n;
}

/* ---- fd watches ---- */

static uint32_t
to_epoll(unsigned events)
{
	return (events & LOOP_READ ? EPOLLIN | EPOLLRDHUP : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0);
}

static unsigned
from_epoll(uint32_t ev)
{
	return (ev & (EPOLLIN | EPOLLRDHUP) ? LOOP_READ : 0u) | (ev & EPOLLOUT ? LOOP_WRITE : 0u) |
	    (ev & (EPOLLERR | EPOLLHUP) ? LOOP_ERROR : 0u);
}

static struct watch *
watch_of(struct loop *l, int fd)
{
	return fd >= 0 && (size_t)fd < l->nwatches && l->watches[fd].fn != NULL ? &l->watches[fd] : NULL;
}

enum err_code
loop_watch(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg, struct err *e)
{
	struct epoll_event ev = { .events = to_epoll(events) };
	size_t n = l->nwatches ? l->nwatches : 64;
	struct watch *w;

	if (fd < 0 || fn == NULL || watch_of(l, fd) != NULL)
		return err_set(e, ERR_INTERNAL, "Cannot watch fd %d: invalid or already watched", fd);
	if ((size_t)fd >= l->nwatches) {
		while (n <= (size_t)fd)
			n *= 2;
		if ((w = realloc(l->watches, n * sizeof(*w))) == NULL)
			return err_set(e, ERR_INTERNAL, "Out of memory for fd watches");
		memset(w + l->nwatches, 0, (n - l->nwatches) * sizeof(*w));
		l->watches = w;
		l->nwatches = n;
	}
	if (++l->gen == 0)
		l->gen = 1;
	ev.data.u64 = (uint64_t)l->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return err_set(e, ERR_INTERNAL, "Cannot watch fd %d: %s", fd, strerror(errno));
	l->watches[fd] = (struct watch){ fn, arg, l->gen };
	return ERR_OK;
}

enum err_code
loop_watch_modify(struct loop *l, int fd, unsigned events, struct err *e)
{
	struct watch *w = watch_of(l, fd);
	struct epoll_event ev = { .events = to_epoll(events) };

	if (w == NULL)
		return err_set(e, ERR_INTERNAL, "fd %d is not watched", fd);
	ev.data.u64 = (uint64_t)w->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
		return err_set(e, ERR_INTERNAL, "Cannot change the watch of fd %d: %s", fd,
		    strerror(errno));
	return ERR_OK;
}

void
loop_unwatch(struct loop *l, int fd)
{
	struct watch *w = watch_of(l, fd);

	if (w == NULL)
		return;
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(w, 0, sizeof(*w));
}

static void
dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	struct watch *w = watch_of(l, fd);

	if (w != NULL && w->gen == (uint32_t)(ev->data.u64 >> 32))
		w->fn(l, fd, from_epoll(ev->events), w->arg);
}

/* ---- timers: a binary min-heap ordered by (due, seq) ---- */

static int
earlier(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void
heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->index = i;
}

static void
sift_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0 && earlier(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void
sift_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t c;

	while ((c = 2 * i + 1) < l->nheap) {
		if (c + 1 < l->nheap && earlier(l->heap[c + 1], l->heap[c]))
			c++;
		if (!earlier(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

/* Inserts t, whose slot is already reserved (nheap < heap_alloc). */
static void
heap_push(struct loop *l, struct loop_timer *t)
{
	t->seq = l->seq++;
	heap_set(l, l->nheap++, t);
	sift_up(l, t->index);
}

static void
heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->index;
	struct loop_timer *last = l->heap[--l->nheap];

	if (last == t)
		return;
	heap_set(l, i, last);
	sift_up(l, i);
	sift_down(l, last->index);
}

enum err_code
loop_timer_add(struct loop *l, uint64_t delay_ms, uint64_t repeat_ms,
    loop_timer_fn fn, void *arg, struct loop_timer **out, struct err *e)
{
	struct loop_timer *t = NULL, **h;
	size_t n;

	*out = NULL;
	/* Keep a slot for every live timer, the firing one included, so
	 * re-arming a repeating timer never needs memory. */
	if (l->nheap + 2 > l->heap_alloc) {
		n = l->heap_alloc ? 2 * l->heap_alloc : 16;
		if ((h = realloc(l->heap, n * sizeof(*h))) == NULL)
			return err_set(e, ERR_INTERNAL, "Out of memory for a timer");
		l->heap = h;
		l->heap_alloc = n;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return err_set(e, ERR_INTERNAL, "Out of memory for a timer");
	t->due_ns = now_ns() + ms_to_ns(delay_ms);
	t->repeat_ns = ms_to_ns(repeat_ms);
	t->fn = fn;
	t->arg = arg;
	heap_push(l, t);
	*out = t;
	return ERR_OK;
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t == NULL)
		return;
	if (t == l->firing) {
		t->cancelled = 1;
		return;
	}
	heap_remove(l, t);
	free(t);
}

/* Fires the timers due now that existed when the round began (one added
 * or re-armed by a callback waits for the next round). */
static void
run_timers(struct loop *l)
{
	uint64_t now = now_ns(), round = l->seq;
	struct loop_timer *t;

	while (l->nheap > 0 && l->heap[0]->due_ns <= now && l->heap[0]->seq < round) {
		t = l->heap[0];
		heap_remove(l, t);
		l->firing = t;
		t->fn(l, t, t->arg);
		l->firing = NULL;
		if (t->cancelled || t->repeat_ns == 0) {
			free(t);
			continue;
		}
		t->due_ns += t->repeat_ns;
		if (t->due_ns <= now)		/* fell behind: skip the missed beats */
			t->due_ns = now + t->repeat_ns;
		heap_push(l, t);
	}
}

/* Milliseconds epoll may sleep: until the next timer (rounded up, so a
 * timer never fires early), -1 with none. */
static int
wait_ms(struct loop *l)
{
	uint64_t now, ms;

	if (l->nheap == 0)
		return -1;
	now = now_ns();
	if (l->heap[0]->due_ns <= now)
		return 0;
	ms = (l->heap[0]->due_ns - now + 999999u) / 1000000u;
	return ms > WAIT_MS_MAX ? WAIT_MS_MAX : (int)ms;
}

/* ---- the thread ---- */

static uint64_t
cpu_now(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
loop_cpu_ns(struct loop *l)
{
	uint64_t ns;

	pthread_mutex_lock(&l->cpulock);
	ns = l->cpu_running ? cpu_now(l->cpu_clock) : l->cpu_final;
	pthread_mutex_unlock(&l->cpulock);
	return ns;
}

static void
drain_wakefd(struct loop *l)
{
	uint64_t v;

	while (read(l->wakefd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static void *
run(void *arg)
{
	struct loop *l = arg;
	struct epoll_event evs[EVENTS_PER_WAIT];
	int n, i, timeout;
	size_t backlog = 0;

	pthread_mutex_lock(&l->cpulock);
	l->cpu_running = pthread_getcpuclockid(pthread_self(), &l->cpu_clock) == 0;
	pthread_mutex_unlock(&l->cpulock);
	while (!atomic_load(&l->stopping)) {
		timeout = backlog > 0 ? 0 : wait_ms(l);
		n = epoll_wait(l->epfd, evs, EVENTS_PER_WAIT, timeout);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == WAKE_TOKEN)
				drain_wakefd(l);
			else
				dispatch(l, &evs[i]);
		}
		/* Only the jobs queued now: a flood of posts cannot starve
		 * sockets and timers. */
		backlog = run_jobs(l, queued(l));
		run_timers(l);
	}
	run_jobs(l, SIZE_MAX);		/* posting is closed: this ends */
	pthread_mutex_lock(&l->cpulock);
	if (l->cpu_running)
		l->cpu_final = cpu_now(l->cpu_clock);
	l->cpu_running = 0;
	pthread_mutex_unlock(&l->cpulock);
	return NULL;
}
