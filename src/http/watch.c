/* The request deadline and the reaping of abandoned requests (see watch.h).
 *
 * One thread and one epoll set of its own, separate from libmicrohttpd's,
 * where each socket is armed once for the peer's FIN (a hang-up stays
 * readable, so the event cannot be lost to libmicrohttpd's reads). A
 * request's clock starts with its first byte, so idle keep-alive
 * connections keep libmicrohttpd's idle timeout: the byte is seen in the
 * kernel's count of bytes received (TCP_INFO), which, unlike a readiness
 * event, libmicrohttpd cannot consume first. Every LIMIT_WATCH_TICK_MS the
 * thread walks the slots and shuts down the sockets whose time is up. shutdown() rather
 * than close(): the descriptor stays libmicrohttpd's, which sees the hang-up
 * in its own thread and closes it there. A slot is freed by watch_remove,
 * which libmicrohttpd calls before it closes the descriptor, so a
 * descriptor number reused by a new connection is never shut down by
 * mistake; epoll events carry the slot's generation for the same reason.
 *
 * The lock guards the slots' descriptors (add, remove, the sweep); the
 * per-request calls take none. A slot's phase is one atomic word with a
 * count of its changes, so that a worker moving a connection on and the
 * sweep judging it cannot both win: the sweep marks a request begun, or
 * cuts a connection, only by a compare-and-swap from the very state it
 * judged, and a cut connection stays cut.
 */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/watch.h"
#include "limits.h"

enum phase {
	PHASE_IDLE,		/* between requests: no byte of the next one yet */
	PHASE_RECEIVING,	/* a request has begun and is not whole yet */
	PHASE_ANSWERING,	/* whole: being answered */
	PHASE_UPGRADED,		/* another protocol's now: never cut; sticky */
	PHASE_CUT,		/* shut down by the watch; sticky */
};

/* A state word: the phase in the low byte, above it the count of changes. */
#define PHASE_OF(state) ((enum phase)((state) & 0xff))
#define NEXT_STATE(state, phase) ((((state) >> 8) + 1) << 8 | (uint64_t)(phase))

struct watched {
	int fd;			/* -1: free slot; under the lock */
	uint32_t gen;		/* bumped at each reuse of the slot */
	_Atomic uint64_t state;
	_Atomic uint64_t received;	/* bytes received when it last became idle */
	int fin;		/* the peer closed its side (the watch thread's) */
	int64_t began_ms, fin_ms;	/* the watch thread's */
};

struct watch {
	pthread_mutex_t lock;
	pthread_t thread;
	atomic_int stop;
	int ep;
	int64_t request_ms;
	unsigned used, n_free;
	unsigned top;		/* slots at or above it were never used: the sweep stops there */
	unsigned free_slots[LIMIT_CONNECTIONS];
	struct watched slots[LIMIT_CONNECTIONS];
};

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Bytes the kernel has received on fd so far; UINT64_MAX if it cannot
 * say (a kernel before 4.1), which makes any wait count as a request. */
static uint64_t
received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return UINT64_MAX;
	return ti.tcpi_bytes_received;
}

/* Caller holds the lock. */
static void
on_event(struct watch *w, const struct epoll_event *ev, int64_t now)
{
	uint32_t i = (uint32_t)(ev->data.u64 & 0xffffffffu);
	struct watched *c;

	if (i >= LIMIT_CONNECTIONS)
		return;
	c = &w->slots[i];
	if (c->fd < 0 || c->gen != (uint32_t)(ev->data.u64 >> 32))
		return;		/* removed (and perhaps reused) meanwhile */
	if ((ev->events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !c->fin) {
		c->fin = 1;
		c->fin_ms = now;
	}
}

/* Bytes the peer sent that libmicrohttpd has not read yet. */
static int
unread(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

/* Whether c, in state, has had its time. A closed peer is given
 * LIMIT_FIN_GRACE_MS, and only once libmicrohttpd has read everything: a
 * whole request sent just before the FIN is then being answered, not cut. */
static int
expired(const struct watch *w, const struct watched *c, uint64_t state, int64_t now)
{
	enum phase p = PHASE_OF(state);

	if (p != PHASE_IDLE && p != PHASE_RECEIVING)
		return 0;
	if (p == PHASE_RECEIVING && now - c->began_ms >= w->request_ms)
		return 1;
	return c->fin && now - c->fin_ms >= LIMIT_FIN_GRACE_MS && unread(c->fd) == 0;
}

/* Moves c from exactly state to phase p; 0 if a worker moved it first. */
static int
move(struct watched *c, uint64_t *state, enum phase p)
{
	uint64_t next = NEXT_STATE(*state, p);

	if (!atomic_compare_exchange_strong(&c->state, state, next))
		return 0;
	*state = next;
	return 1;
}

/* Caller holds the lock. idle: also look for requests begun on idle
 * connections. */
static void
sweep(struct watch *w, int64_t now, int idle)
{
	struct watched *c;
	uint64_t state;
	size_t i;

	for (i = 0; i < w->top; i++) {
		c = &w->slots[i];
		if (c->fd < 0)
			continue;
		state = atomic_load(&c->state);
		if (idle && PHASE_OF(state) == PHASE_IDLE &&
		    received(c->fd) > atomic_load(&c->received) && move(c, &state, PHASE_RECEIVING))
			c->began_ms = now;
		if (expired(w, c, state, now) && move(c, &state, PHASE_CUT))
			shutdown(c->fd, SHUT_RDWR);
	}
}

static void *
run(void *arg)
{
	struct watch *w = arg;
	struct epoll_event ev[LIMIT_WATCH_EVENTS];
	int64_t now, next = now_ms() + LIMIT_WATCH_TICK_MS, next_idle = next;
	int i, n;

	while (!atomic_load(&w->stop)) {
		now = now_ms();
		n = epoll_wait(w->ep, ev, LIMIT_WATCH_EVENTS, next > now ? (int)(next - now) : 0);
		now = now_ms();
		pthread_mutex_lock(&w->lock);
		for (i = 0; i < n; i++)
			on_event(w, &ev[i], now);
		if (now >= next) {
			sweep(w, now, now >= next_idle);
			next = now + LIMIT_WATCH_TICK_MS;
			if (now >= next_idle)
				next_idle = now + LIMIT_WATCH_IDLE_MS;
		}
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

struct watch *
watch_new(unsigned request_seconds, struct err *e)
{
	struct watch *w = calloc(1, sizeof(*w));
	unsigned i;

	if (w == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	w->request_ms = (int64_t)request_seconds * 1000;
	for (i = 0; i < LIMIT_CONNECTIONS; i++) {
		w->slots[i].fd = -1;
		w->free_slots[i] = LIMIT_CONNECTIONS - 1 - i;
	}
	w->n_free = LIMIT_CONNECTIONS;
	atomic_init(&w->stop, 0);
	pthread_mutex_init(&w->lock, NULL);
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		err_set(e, ERR_INTERNAL, "cannot create the request watch: epoll_create1 failed");
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		err_set(e, ERR_INTERNAL, "cannot start the request watch thread");
		close(w->ep);
		goto fail;
	}
	return w;
fail:
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
	close(w->ep);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct watched *
watch_add(struct watch *w, int fd)
{
	struct watched *c = NULL;
	struct epoll_event ev = { 0 };

	pthread_mutex_lock(&w->lock);
	if (w->n_free == 0)
		goto out;
	c = &w->slots[w->free_slots[--w->n_free]];
	if ((unsigned)(c - w->slots) >= w->top)	/* the lowest free slot is taken first */
		w->top = (unsigned)(c - w->slots) + 1;
	c->fd = fd;
	c->gen++;
	atomic_store(&c->state, (uint64_t)PHASE_IDLE);
	atomic_store(&c->received, 0);
	c->fin = 0;
	c->began_ms = c->fin_ms = 0;
	ev.events = EPOLLRDHUP | EPOLLONESHOT;
	ev.data.u64 = (uint64_t)c->gen << 32 | (uint64_t)(c - w->slots);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		c->fd = -1;
		w->free_slots[w->n_free++] = (unsigned)(c - w->slots);
		c = NULL;
		goto out;
	}
	w->used++;
out:
	pthread_mutex_unlock(&w->lock);
	return c;
}

void
watch_remove(struct watch *w, struct watched *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	c->fd = -1;
	w->free_slots[w->n_free++] = (unsigned)(c - w->slots);
	w->used--;
	pthread_mutex_unlock(&w->lock);
}

/* Moves c to phase p, unless it is in a sticky phase. Lock-free: a
 * worker's side of the state word. */
static void
become(struct watched *c, enum phase p)
{
	uint64_t state = atomic_load(&c->state);

	while (PHASE_OF(state) != PHASE_UPGRADED && PHASE_OF(state) != PHASE_CUT &&
	    !atomic_compare_exchange_weak(&c->state, &state, NEXT_STATE(state, p)))
		;
}

void
watch_answering(struct watch *w, struct watched *c)
{
	(void)w;
	if (c != NULL)
		become(c, PHASE_ANSWERING);
}

void
watch_idle(struct watch *w, struct watched *c)
{
	(void)w;
	if (c == NULL)
		return;
	/* the count first: the sweep reads it once it sees the idle phase */
	atomic_store(&c->received, received(c->fd));
	become(c, PHASE_IDLE);
}

void
watch_upgraded(struct watch *w, struct watched *c)
{
	(void)w;
	if (c != NULL)
		become(c, PHASE_UPGRADED);
}

unsigned
watch_count(struct watch *w)
{
	unsigned n;

	pthread_mutex_lock(&w->lock);
	n = w->used;
	pthread_mutex_unlock(&w->lock);
	return n;
}
