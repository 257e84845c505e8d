/* The SFU's sockets (see transport.h): UDP sockets read with recvmmsg
 * and written with sendmmsg (a batch of slots), ICE-TCP listeners and their connections (one RFC 6544 frame reader and
 * one bounded output buffer each). Moves bytes only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "limits.h"
#include "media/stun.h"
#include "media/transport.h"

struct tcp_conn {
	struct transport *t;
	int fd;
	int bound;
	uint64_t opened_ms;
	struct media_route route;
	struct tcp_conn *next;
	size_t out_len;
	uint8_t *out;			/* LIMIT_SFU_TCP_OUT_BYTES */
	struct stun_tcp_reader rd;
};

struct local {
	char ip[64];
	int udp, tcp;			/* -1 when closed */
};

struct transport {
	struct loop *loop;
	transport_recv_fn recv;
	transport_gone_fn gone;
	void *arg;
	unsigned port;
	size_t n;
	struct local local[LIMIT_SFU_ADDRESSES];
	struct tcp_conn *conns;
	size_t n_conns;
	/* the recvmmsg batch */
	struct mmsghdr msgs[LIMIT_SFU_RECV_BATCH];
	struct iovec iov[LIMIT_SFU_RECV_BATCH];
	struct sockaddr_storage from[LIMIT_SFU_RECV_BATCH];
	uint8_t buf[LIMIT_SFU_RECV_BATCH][LIMIT_SFU_DATAGRAM_BYTES];
	/* the sendmmsg batch: n_out queued, each for local socket out_sock[i] */
	size_t n_out;
	struct transport_sent sent;
	struct mmsghdr out_msgs[LIMIT_SFU_SEND_BATCH];
	struct iovec out_iov[LIMIT_SFU_SEND_BATCH];
	struct sockaddr_storage out_to[LIMIT_SFU_SEND_BATCH];
	int out_sock[LIMIT_SFU_SEND_BATCH];
	uint8_t out_buf[LIMIT_SFU_SEND_BATCH][LIMIT_SFU_SEND_SLOT_BYTES];
};

static int
sockaddr_parse(const char *ip, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return 0;
	}
	return -1;
}

static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A non-blocking socket of type bound to ip:port; -1 with errno kept. */
static int
bind_socket(const char *ip, unsigned port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, size = LIMIT_SFU_SOCKET_BUFFER, saved;

	if (sockaddr_parse(ip, port, &ss, &len) != 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) != 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void
conn_free(struct transport *t, struct tcp_conn *c, int notify)
{
	struct tcp_conn **pp;

	for (pp = &t->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	t->n_conns--;
	if (notify && t->gone != NULL)
		t->gone(t->arg, c);
	loop_unwatch(t->loop, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

static void
conn_flush(struct transport *t, struct tcp_conn *c)
{
	struct err e;
	ssize_t w;

	while (c->out_len > 0) {
		w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		memmove(c->out, c->out + w, c->out_len - (size_t)w);
		c->out_len -= (size_t)w;
	}
	(void)loop_watch_modify(t->loop, c->fd, LOOP_READ | (c->out_len > 0 ? LOOP_WRITE : 0),
	    &e);
}

static void
conn_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	struct tcp_conn *c = arg;
	struct transport *t = c->t;
	uint8_t in[4096];
	const uint8_t *frame;
	size_t used, len, off;
	ssize_t r;

	(void)l;
	(void)fd;
	if (events & LOOP_WRITE)
		conn_flush(t, c);
	if (!(events & (LOOP_READ | LOOP_ERROR)))
		return;
	r = recv(c->fd, in, sizeof(in), MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		conn_free(t, c, 1);
		return;
	}
	for (off = 0; off < (size_t)r; off += used) {
		used = stun_tcp_read(&c->rd, in + off, (size_t)r - off, &frame, &len);
		if (used == (size_t)-1) {
			conn_free(t, c, 1);
			return;
		}
		if (frame != NULL)
			t->recv(t->arg, &c->route, (uint8_t *)frame, len);
	}
}

static void
listener_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	struct transport *t = arg;
	struct tcp_conn *c = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct err e;
	int cfd, one = 1;

	(void)events;
	cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (t->n_conns >= LIMIT_SFU_TCP_CONNS)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->out = malloc(LIMIT_SFU_TCP_OUT_BYTES);
	if (c->out == NULL)
		goto fail;
	(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t = t;
	c->fd = cfd;
	c->opened_ms = loop_now_ms();
	c->route.kind = ROUTE_TCP;
	c->route.conn = c;
	c->route.addr = ss;
	c->route.addr_len = len;
	stun_tcp_reader_init(&c->rd);
	if (loop_watch(l, cfd, LOOP_READ, conn_ready, c, &e) != ERR_OK)
		goto fail;
	c->next = t->conns;
	t->conns = c;
	t->n_conns++;
	return;
fail:
	if (c != NULL)
		free(c->out);
	free(c);
	close(cfd);
}

static void
udp_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	struct transport *t = arg;
	struct media_route from;
	int i, n, sock;

	(void)l;
	(void)events;
	for (sock = 0; sock < (int)t->n && t->local[sock].udp != fd; sock++)
		;
	for (i = 0; i < LIMIT_SFU_RECV_BATCH; i++) {
		t->iov[i].iov_base = t->buf[i];
		t->iov[i].iov_len = sizeof(t->buf[i]);
		memset(&t->msgs[i].msg_hdr, 0, sizeof(t->msgs[i].msg_hdr));
		t->msgs[i].msg_hdr.msg_iov = &t->iov[i];
		t->msgs[i].msg_hdr.msg_iovlen = 1;
		t->msgs[i].msg_hdr.msg_name = &t->from[i];
		t->msgs[i].msg_hdr.msg_namelen = sizeof(t->from[i]);
	}
	n = recvmmsg(fd, t->msgs, LIMIT_SFU_RECV_BATCH, MSG_DONTWAIT, NULL);
	for (i = 0; i < n; i++) {
		if (t->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		memset(&from, 0, sizeof(from));
		from.kind = ROUTE_UDP;
		from.sock = sock;
		from.addr = t->from[i];
		from.addr_len = t->msgs[i].msg_hdr.msg_namelen;
		t->recv(t->arg, &from, t->buf[i], t->msgs[i].msg_len);
	}
}

/* Opens address i's UDP socket and TCP listener on port; 0 or -1. */
static int
open_local(struct transport *t, size_t i, unsigned port)
{
	struct local *lo = &t->local[i];

	lo->udp = bind_socket(lo->ip, port, SOCK_DGRAM);
	if (lo->udp < 0)
		return -1;
	if (port == 0)
		port = bound_port(lo->udp);
	lo->tcp = bind_socket(lo->ip, port, SOCK_STREAM);
	if (lo->tcp < 0) {
		close(lo->udp);
		lo->udp = -1;
		return -1;
	}
	t->port = port;
	return 0;
}

static void
close_locals(struct transport *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->local[i].udp >= 0) {
			loop_unwatch(t->loop, t->local[i].udp);
			close(t->local[i].udp);
		}
		if (t->local[i].tcp >= 0) {
			loop_unwatch(t->loop, t->local[i].tcp);
			close(t->local[i].tcp);
		}
		t->local[i].udp = t->local[i].tcp = -1;
	}
}

static enum err_code
split_addresses(struct transport *t, const char *addresses, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *p = addresses, *comma;
	size_t n;

	while (*p != '\0') {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (t->n >= LIMIT_SFU_ADDRESSES)
			return err_set(e, ERR_VALIDATION, "more than %d media addresses",
			    LIMIT_SFU_ADDRESSES);
		if (n == 0 || n >= sizeof(t->local[0].ip))
			return err_set(e, ERR_VALIDATION, "media address '%.*s' is not an IP address",
			    (int)n, p);
		memcpy(t->local[t->n].ip, p, n);
		t->local[t->n].ip[n] = '\0';
		if (sockaddr_parse(t->local[t->n].ip, 0, &ss, &len) != 0)
			return err_set(e, ERR_VALIDATION, "media address '%s' is not an IP address",
			    t->local[t->n].ip);
		t->local[t->n].udp = t->local[t->n].tcp = -1;
		t->n++;
		p = comma ? comma + 1 : p + n;
	}
	if (t->n == 0)
		return err_set(e, ERR_VALIDATION, "no media address");
	return ERR_OK;
}

enum err_code
transport_open(struct loop *l, const char *addresses, unsigned port, transport_recv_fn recv,
    transport_gone_fn gone, void *arg, struct transport **out, struct err *e)
{
	struct transport *t;
	enum err_code rc;
	size_t i;
	int tries;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	t->loop = l;
	t->recv = recv;
	t->gone = gone;
	t->arg = arg;
	rc = split_addresses(t, addresses, e);
	if (rc != ERR_OK)
		goto out;
	/* port 0: the first address picks a free UDP number; the others (and
	 * every TCP listener) must get the same one, else try another */
	for (tries = 0; tries < 16; tries++) {
		t->port = port;
		for (i = 0; i < t->n; i++)
			if (open_local(t, i, t->port) != 0)
				break;
		if (i == t->n)
			break;
		close_locals(t);
		if (port != 0) {
			rc = err_set(e, ERR_INTERNAL, "media port %s:%u: %s", t->local[i].ip, port,
			    strerror(errno));
			goto out;
		}
	}
	if (tries == 16) {
		rc = err_set(e, ERR_INTERNAL, "no free media port: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < t->n; i++) {
		rc = loop_watch(l, t->local[i].udp, LOOP_READ, udp_ready, t, e);
		if (rc == ERR_OK)
			rc = loop_watch(l, t->local[i].tcp, LOOP_READ, listener_ready, t, e);
		if (rc != ERR_OK)
			goto out;
	}
	*out = t;
	t = NULL;
out:
	if (t != NULL) {
		close_locals(t);
		free(t);
	}
	return rc;
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	while (t->conns != NULL)
		conn_free(t, t->conns, 0);
	close_locals(t);
	free(t);
}

unsigned
transport_port(const struct transport *t)
{
	return t->port;
}

size_t
transport_n_addresses(const struct transport *t)
{
	return t->n;
}

const char *
transport_address(const struct transport *t, size_t i)
{
	return t->local[i].ip;
}

int
transport_send(struct transport *t, const struct media_route *to, const uint8_t *data,
    size_t len)
{
	struct tcp_conn *c = to->conn;
	ssize_t w;

	if (to->kind == ROUTE_UDP) {
		if (to->sock < 0 || (size_t)to->sock >= t->n)
			return -1;
		w = sendto(t->local[to->sock].udp, data, len, MSG_DONTWAIT,
		    (const struct sockaddr *)&to->addr, to->addr_len);
		return w == (ssize_t)len ? 0 : -1;
	}
	if (to->kind != ROUTE_TCP || c == NULL || len > LIMIT_ICE_TCP_FRAME_BYTES ||
	    c->out_len + 2 + len > LIMIT_SFU_TCP_OUT_BYTES)
		return -1;
	(void)stun_tcp_prefix(c->out + c->out_len, len);
	memcpy(c->out + c->out_len + 2, data, len);
	c->out_len += 2 + len;
	conn_flush(t, c);
	return 0;
}

/* Sends queued datagrams [i, j), all on socket fd: sendmmsg resumed
 * after a partial send; a destination that fails is skipped; a full
 * socket drops the rest. */
static void
send_run(struct transport *t, int fd, size_t i, size_t j)
{
	size_t k = i, m;
	int r;

	while (k < j) {
		r = sendmmsg(fd, t->out_msgs + k, (unsigned)(j - k), MSG_DONTWAIT);
		if (r > 0) {
			for (m = k; m < k + (size_t)r; m++) {
				t->sent.packets++;
				t->sent.bytes += t->out_msgs[m].msg_len;
			}
			k += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			t->sent.dropped += j - k;
			return;
		}
		t->sent.dropped++;
		k++;
	}
}

static void
flush_queued(struct transport *t)
{
	size_t i, j;

	for (i = 0; i < t->n_out; i = j) {
		for (j = i + 1; j < t->n_out && t->out_sock[j] == t->out_sock[i]; j++)
			;
		send_run(t, t->local[t->out_sock[i]].udp, i, j);
	}
	t->n_out = 0;
}

uint8_t *
transport_batch_slot(struct transport *t, size_t *cap)
{
	if (t->n_out == LIMIT_SFU_SEND_BATCH)
		flush_queued(t);
	*cap = sizeof(t->out_buf[0]);
	return t->out_buf[t->n_out];
}

void
transport_batch_queue(struct transport *t, const struct media_route *to, size_t len)
{
	struct mmsghdr *m = &t->out_msgs[t->n_out];
	size_t i = t->n_out;

	if (to->kind == ROUTE_TCP) {
		if (transport_send(t, to, t->out_buf[i], len) == 0) {
			t->sent.packets++;
			t->sent.bytes += len;
		} else
			t->sent.dropped++;
		return;
	}
	if (to->kind != ROUTE_UDP || to->sock < 0 || (size_t)to->sock >= t->n ||
	    len > sizeof(t->out_buf[0]) || to->addr_len > sizeof(t->out_to[0])) {
		t->sent.dropped++;
		return;
	}
	memcpy(&t->out_to[i], &to->addr, to->addr_len);
	t->out_iov[i].iov_base = t->out_buf[i];
	t->out_iov[i].iov_len = len;
	memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
	m->msg_hdr.msg_name = &t->out_to[i];
	m->msg_hdr.msg_namelen = to->addr_len;
	m->msg_hdr.msg_iov = &t->out_iov[i];
	m->msg_hdr.msg_iovlen = 1;
	m->msg_len = 0;
	t->out_sock[i] = to->sock;
	t->n_out++;
}

void
transport_batch_flush(struct transport *t, struct transport_sent *out)
{
	flush_queued(t);
	*out = t->sent;
	memset(&t->sent, 0, sizeof(t->sent));
}

void
transport_conn_bind(struct tcp_conn *conn)
{
	conn->bound = 1;
}

void
transport_conn_close(struct transport *t, struct tcp_conn *conn)
{
	conn_free(t, conn, 0);
}

void
transport_sweep(struct transport *t, uint64_t now_ms, uint64_t max_age_ms)
{
	struct tcp_conn *c, *next;

	for (c = t->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->bound && now_ms - c->opened_ms > max_age_ms)
			conn_free(t, c, 1);
	}
}

int
media_route_equal(const struct media_route *a, const struct media_route *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == ROUTE_TCP)
		return a->conn == b->conn;
	return a->sock == b->sock && a->addr_len == b->addr_len &&
	    memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}
