/* libmicrohttpd adapter: per-request state, capped upload, response hand-off,
 * connection admission and the judgement of a request by its head.
 *
 * Per-request state is made in the URI log callback (the only place the
 * raw request target is visible), grows with the upload, and is freed in
 * the completion callback. Response bodies are handed to libmicrohttpd
 * without copying (MHD_RESPMEM_MUST_FREE). Each connection is followed by
 * the request watch (http/watch.h) from its start to its close, told when
 * its request is whole and when its answer has gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/metrics.h"
#include "http/host.h"
#include "http/server.h"
#include "http/watch.h"
#include "limits.h"
#include "util/buf.h"
#include "util/num.h"

/* Connections per client address, counted here because libmicrohttpd's own
 * per-address limit counts per worker thread. */
struct address_count {
	unsigned char addr[16];
	int family, count;		/* family 0: free slot */
};

struct http_server {
	struct MHD_Daemon *daemon;	/* NULL until http_serve */
	int fd;				/* the listening socket; libmicrohttpd's once served */
	unsigned short port;
	int ipv6;
	struct http_options opts;
	struct watch *watch;
	int loopback_hosts_only;
	pthread_mutex_t addresses_lock;
	unsigned connections;		/* in total; under addresses_lock */
	struct address_count addresses[LIMIT_CONNECTIONS];
	http_handler_fn handler;
	void *arg;
	atomic_int in_flight;
};

/* What the upgrade handler needs, kept with the request until it ends:
 * if the connection died before the 101 went out, the handler was never
 * called and its argument is released then. */
struct upgrade {
	struct http_server *s;
	http_upgrade_fn fn;
	void *arg;
	int called;
};

struct pending {
	char *target;		/* raw "path?query" */
	struct upgrade *upgrade;	/* a 101 queued: its handler's state */
	struct buf body;
	int started;
	enum http_refusal refusal;
};

/* The watch's handle of connection c, set when it started (NULL if the
 * watch had no slot). */
static struct watched *
watched_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i != NULL ? i->socket_context : NULL;
}

const char *
http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct each {
	void (*fn)(void *, const char *, const char *);
	void *arg;
};

static enum MHD_Result
each_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct each *e = cls;

	(void)kind;
	e->fn(e->arg, key, value ? value : "");
	return MHD_YES;
}

void
http_headers_each(const struct http_request *req,
    void (*fn)(void *, const char *, const char *), void *arg)
{
	struct each e = { fn, arg };

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, each_header, &e);
}

void
http_set_header(struct http_response *res, const char *name, const char *value)
{
	size_t n = strnlen(value, sizeof(res->headers[0].value) - 1);

	if (res->n_headers >= HTTP_MAX_HEADERS)
		return;
	res->headers[res->n_headers].name = name;
	memcpy(res->headers[res->n_headers].value, value, n);	/* not strncpy: no padding */
	res->headers[res->n_headers].value[n] = '\0';
	res->n_headers++;
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct pending *p = calloc(1, sizeof(*p));

	(void)cls;
	(void)c;
	if (p == NULL)
		return NULL;
	if ((p->target = strdup(uri)) == NULL) {
		free(p);
		return NULL;
	}
	buf_init(&p->body, LIMIT_BODY_BYTES);
	return p;
}

/* Leaves URL and query text raw: routing and SigV4 need them as sent. */
static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode tc)
{
	struct http_server *s = cls;
	struct pending *p = *req_cls;

	(void)tc;
	watch_idle(s->watch, watched_of(c));
	if (p == NULL)
		return;
	if (p->started)
		atomic_fetch_sub(&s->in_flight, 1);
	if (p->upgrade != NULL && !p->upgrade->called)
		p->upgrade->fn(p->upgrade->arg, -1, NULL, NULL, 0);
	free(p->upgrade);
	free(p->target);
	buf_free(&p->body);
	free(p);
	*req_cls = NULL;
}


/* libmicrohttpd's upgrade handler: the socket leaves the request watch
 * (its deadline no longer applies) and goes to the route's handler. */
static void
on_upgraded(void *cls, struct MHD_Connection *c, void *req_cls, const char *extra,
    size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct upgrade *u = cls;

	(void)req_cls;
	watch_upgraded(u->s->watch, watched_of(c));
	u->called = 1;
	u->fn(u->arg, sock, urh, extra, extra_len);
}

void
http_upgrade_close(void *handle)
{
	if (handle != NULL)
		MHD_upgrade_action(handle, MHD_UPGRADE_ACTION_CLOSE);
}

/* Queues the 101 of res. libmicrohttpd adds "Connection: Upgrade" itself. */
static enum MHD_Result
respond_upgrade(struct http_server *s, struct MHD_Connection *c, struct pending *p,
    struct http_response *res)
{
	struct upgrade *u = malloc(sizeof(*u));
	struct MHD_Response *r = NULL;
	enum MHD_Result ok = MHD_NO;
	int i;

	free(res->body);
	if (u == NULL)
		goto out;
	*u = (struct upgrade){ s, res->upgrade, res->upgrade_arg, 0 };
	if ((r = MHD_create_response_for_upgrade(on_upgraded, u)) == NULL)
		goto out;
	for (i = 0; i < res->n_headers; i++)
		if (strcasecmp(res->headers[i].name, "Connection") != 0)
			MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
	if (res->upgrade_protocol != NULL)
		MHD_add_response_header(r, "Sec-WebSocket-Protocol", res->upgrade_protocol);
	ok = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
out:
	free(res->upgrade_protocol);
	if (ok != MHD_YES) {
		res->upgrade(res->upgrade_arg, -1, NULL, NULL, 0);
		free(u);
	} else {
		p->upgrade = u;		/* on_done frees it */
	}
	return ok;
}

/* The text of an IPv4 address, as inet_ntop writes it (glibc's formats
 * each byte with sprintf) into out (INET_ADDRSTRLEN bytes). */
static void
dotted_quad(const struct in_addr *a, char *out)
{
	const unsigned char *b = (const unsigned char *)&a->s_addr;
	int i;

	for (i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*out++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*out++ = (char)('0' + b[i] / 10 % 10);
		*out++ = (char)('0' + b[i] % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

static enum MHD_Result
respond(struct http_server *s, struct MHD_Connection *c, const char *method,
    const char *version, struct pending *p)
{
	struct http_request req;
	struct http_response res;
	struct MHD_Response *r;
	enum MHD_Result ok;
	char *q, remote[INET6_ADDRSTRLEN] = "";
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	int i;

	/* the fields before headers[] only: the header slots (12 KB) are
	 * written as they are added, and zeroing them cost more than the rest
	 * of a GetStage's HTTP handling */
	memset(&res, 0, offsetof(struct http_response, headers));
	res.status = 500;
	req.method = method;
	req.version = version;
	req.path = p->target;
	req.query = "";
	if ((q = strchr(p->target, '?')) != NULL) {
		*q = '\0';
		req.query = q + 1;
	}
	req.body = p->body.data;
	req.body_len = p->body.len;
	req.refusal = p->refusal;
	req.conn = c;
	if (ci != NULL && ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
		    remote, sizeof(remote));
	else if (ci != NULL && ci->client_addr->sa_family == AF_INET)
		dotted_quad(&((const struct sockaddr_in *)ci->client_addr)->sin_addr, remote);
	req.remote = remote;
	watch_answering(s->watch, watched_of(c));
	s->handler(&req, &res, s->arg);
	if (res.status == 101 && res.upgrade != NULL)
		return respond_upgrade(s, c, p, &res);
	free(res.upgrade_protocol);

	r = MHD_create_response_from_buffer(res.body_len, res.body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(res.body);
		return MHD_NO;
	}
	if (res.content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res.content_type);
	for (i = 0; i < res.n_headers; i++)
		MHD_add_response_header(r, res.headers[i].name, res.headers[i].value);
	ok = MHD_queue_response(c, (unsigned)res.status, r);
	MHD_destroy_response(r);
	return ok;
}

/* The bytes of an IPv4 or IPv6 address, and its family; 0 for others. */
static int
address_key(const struct sockaddr *sa, unsigned char *key)
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return 0;
	return sa->sa_family;
}

/* The slot of (family, key), or with create a free one; NULL if none.
 * Caller holds addresses_lock. */
static struct address_count *
address_slot(struct http_server *s, int family, const unsigned char *key, int create)
{
	struct address_count *free_slot = NULL;
	size_t i;

	for (i = 0; i < LIMIT_CONNECTIONS; i++) {
		struct address_count *a = &s->addresses[i];
		if (a->family == family && memcmp(a->addr, key, 16) == 0)
			return a;
		if (a->family == 0 && free_slot == NULL)
			free_slot = a;
	}
	if (create && free_slot != NULL) {
		free_slot->family = family;
		memcpy(free_slot->addr, key, 16);
		free_slot->count = 0;
	}
	return create ? free_slot : NULL;
}

/* Accept policy: refuses an address that has its share of connections,
 * which is smaller once the server is crowded (see limits.h). */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct http_server *s = cls;
	struct address_count *a;
	unsigned char key[16];
	int family = address_key(sa, key), ok, share;

	(void)len;
	if (family == 0)
		return MHD_YES;
	pthread_mutex_lock(&s->addresses_lock);
	share = s->connections >= LIMIT_CONNECTIONS_CROWDED ? LIMIT_CONNECTIONS_SHARE :
	    LIMIT_CONNECTIONS_PER_ADDRESS;
	a = address_slot(s, family, key, 0);
	ok = a == NULL || a->count < share;
	pthread_mutex_unlock(&s->addresses_lock);
	return ok ? MHD_YES : MHD_NO;
}

/* Starts watching c, or stops: the watch must let go of the descriptor
 * before libmicrohttpd closes it, which it does after this notification. */
static void
watch_connection(struct http_server *s, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *fd;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		watch_remove(s->watch, *socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	*socket_context = fd != NULL ? watch_add(s->watch, fd->connect_fd) : NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *info;
	struct address_count *a;
	unsigned char key[16];
	int family;

	metrics_connections(code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
	watch_connection(s, c, socket_context, code);
	pthread_mutex_lock(&s->addresses_lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		s->connections++;
	else
		s->connections--;
	pthread_mutex_unlock(&s->addresses_lock);
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL || (family = address_key(info->client_addr, key)) == 0)
		return;
	pthread_mutex_lock(&s->addresses_lock);
	a = address_slot(s, family, key, code == MHD_CONNECTION_NOTIFY_STARTED);
	if (a != NULL && code == MHD_CONNECTION_NOTIFY_STARTED)
		a->count++;
	else if (a != NULL && --a->count <= 0)
		a->family = 0;
	pthread_mutex_unlock(&s->addresses_lock);
}

/* What the head of a request says about its framing and its addressee,
 * gathered in one walk over its headers (repeats included). */
struct head {
	size_t n, bytes;		/* headers, and their names and values */
	const char *length;		/* the first Content-Length */
	int lengths, lengths_differ;
	const char *coding;		/* the first Transfer-Encoding */
	int codings;
	const char *host;
	int hosts, foreign_origin;
};

static enum MHD_Result
read_head(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct head *h = cls;

	(void)kind;
	value = value != NULL ? value : "";
	h->n++;
	h->bytes += strlen(key) + strlen(value);
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (h->lengths++ == 0)
			h->length = value;
		else if (strcmp(value, h->length) != 0)
			h->lengths_differ = 1;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		if (h->codings++ == 0)
			h->coding = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		if (h->hosts++ == 0)
			h->host = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_ORIGIN) == 0) {
		h->foreign_origin |= !host_origin_is_loopback(value);
	}
	return MHD_YES;
}

/* How the body is delimited must be beyond doubt (RFC 9112, 6.3): one
 * length, or one "chunked" coding and no length. Anything else could be
 * read one way here and another by a proxy in front. */
static enum http_refusal
judge_framing(const struct head *h)
{
	struct err e;
	long long n;

	if (h->lengths_differ)
		return HTTP_LENGTHS_DIFFER;
	if (h->codings > 0 && h->lengths > 0)
		return HTTP_LENGTH_AND_CHUNKED;
	if (h->codings > 1 || (h->codings == 1 && strcasecmp(h->coding, "chunked") != 0))
		return HTTP_CODING_UNSUPPORTED;
	/* a length that is not a number is libmicrohttpd's to refuse (400);
	 * one too long for any integer is too large */
	if (h->length != NULL && h->length[strspn(h->length, "0123456789")] == '\0' &&
	    (num_parse(h->length, 0, INT64_MAX, "Content-Length", &n, &e) != ERR_OK ||
	    n > LIMIT_BODY_BYTES))
		return HTTP_BODY_TOO_LARGE;
	return HTTP_ACCEPTED;
}

/* HTTP/1.1 requires one Host. In protected mode it must also name the
 * loopback interface, and an Origin must be a loopback origin: a page
 * whose name was rebound to 127.0.0.1 still sends its own name. */
static enum http_refusal
judge_addressee(const struct http_server *s, const struct head *h, const char *version)
{
	if (h->hosts > 1 || (h->hosts == 0 &&
	    (s->loopback_hosts_only || strcmp(version, MHD_HTTP_VERSION_1_0) != 0)))
		return HTTP_HOST_INVALID;
	if (!s->loopback_hosts_only)
		return HTTP_ACCEPTED;
	if (!host_is_loopback(h->host))
		return HTTP_HOST_FOREIGN;
	return h->foreign_origin ? HTTP_ORIGIN_FOREIGN : HTTP_ACCEPTED;
}

/* The limits and rules a request can be judged by once its headers are in. */
static enum http_refusal
judge_head(const struct http_server *s, struct MHD_Connection *c, const struct pending *p,
    const char *version)
{
	struct head h;
	enum http_refusal r;

	memset(&h, 0, sizeof(h));
	if (strlen(p->target) > LIMIT_URL_BYTES)
		return HTTP_URL_TOO_LONG;
	MHD_get_connection_values(c, MHD_HEADER_KIND, read_head, &h);
	if (h.n > LIMIT_HEADER_COUNT || h.bytes > LIMIT_HEADER_BYTES)
		return HTTP_HEADERS_TOO_LARGE;
	if ((r = judge_framing(&h)) != HTTP_ACCEPTED)
		return r;
	return judge_addressee(s, &h, version);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	struct pending *p = *req_cls;

	(void)url;
	if (p == NULL)
		return MHD_NO;		/* out of memory in on_uri */
	if (!p->started) {
		p->started = 1;
		atomic_fetch_add(&s->in_flight, 1);
		if ((p->refusal = judge_head(s, c, p, version)) != HTTP_ACCEPTED)
			return respond(s, c, method, version, p);	/* refuse before reading on */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* libmicrohttpd cannot answer in the middle of an upload: a body that
		 * grows past the limit (chunked) is cut off by closing the
		 * connection, unread. The watch does the same at the deadline. */
		if (p->body.len + *upload_size > LIMIT_BODY_BYTES)
			return MHD_NO;
		buf_append(&p->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return respond(s, c, method, version, p);
}

/* "HOST:PORT" of sa, as --listen spells it. */
static void
name_address(const struct sockaddr *sa, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	int n;

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		n = snprintf(out, len, "[%s]:%u", ip, port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		n = snprintf(out, len, "%s:%u", ip, port);
	}
	if (n < 0 || (size_t)n >= len)
		snprintf(out, len, "the address");
}

/* A listening socket on sa, made here rather than by libmicrohttpd so that
 * the reason bind fails is known. Returns the descriptor (caller owns it),
 * or -1 with e set. */
static int
listen_on(const struct sockaddr *sa, socklen_t salen, struct err *e)
{
	char name[INET6_ADDRSTRLEN + 16];
	int fd, one = 1;

	name_address(sa, name, sizeof(name));
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		err_set(e, ERR_INTERNAL, "cannot listen on %s: %s", name, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, salen) != 0 || listen(fd, SOMAXCONN) != 0) {
		if (errno == EADDRINUSE)
			err_set(e, ERR_INTERNAL, "%s is already in use: stop the other server or "
			    "choose another port with --listen HOST:PORT (RTSTAGE_LISTEN)", name);
		else
			err_set(e, ERR_INTERNAL, "cannot listen on %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct http_server *
http_bind(const struct sockaddr *sa, socklen_t salen, const struct http_options *o,
    http_handler_fn handler, void *arg, struct err *e)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);

	if (s == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	s->handler = handler;
	s->arg = arg;
	s->opts = *o;
	s->ipv6 = sa->sa_family == AF_INET6;
	s->loopback_hosts_only = o->loopback_hosts_only;
	pthread_mutex_init(&s->addresses_lock, NULL);
	atomic_init(&s->in_flight, 0);
	if ((s->fd = listen_on(sa, salen, e)) < 0 ||
	    (s->watch = watch_new(o->request_seconds, e)) == NULL)
		goto fail;
	if (getsockname(s->fd, (struct sockaddr *)&bound, &blen) == 0)
		s->port = ntohs(bound.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&bound)->sin6_port :
		    ((struct sockaddr_in *)&bound)->sin_port);
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	watch_free(s->watch);
	pthread_mutex_destroy(&s->addresses_lock);
	free(s);
	return NULL;
}

enum err_code
http_serve(struct http_server *s, struct err *e)
{
	const struct http_options *o = &s->opts;
	int tls = o->tls_cert_pem != NULL && o->tls_key_pem != NULL;
	struct MHD_OptionItem tls_options[] = {	/* plain HTTP: none */
		{ tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)o->tls_cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->tls_key_pem },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return err_set(e, ERR_INTERNAL, "this libmicrohttpd was built without TLS: "
		    "--tls-cert and --tls-key cannot be served");
	s->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE | (s->ipv6 ? MHD_USE_IPv6 : 0) |
	    (tls ? MHD_USE_TLS : 0),
	    0, on_accept, s, on_request, s,
	    MHD_OPTION_LISTEN_SOCKET, s->fd,
	    MHD_OPTION_THREAD_POOL_SIZE, o->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)LIMIT_CONNECTIONS,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	    MHD_OPTION_CONNECTION_TIMEOUT, o->idle_seconds,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_CONNECTION_MEMORY,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
	    MHD_OPTION_ARRAY, tls_options,
	    MHD_OPTION_END);
	if (s->daemon == NULL)
		return err_set(e, ERR_INTERNAL, tls ? "cannot start the HTTPS server with the "
		    "certificate and key given (see the libmicrohttpd message above)" :
		    "cannot start the HTTP server on the listening socket");
	return ERR_OK;
}

struct http_server *
http_start(const struct sockaddr *sa, socklen_t salen, const struct http_options *o,
    http_handler_fn handler, void *arg, struct err *e)
{
	struct http_server *s = http_bind(sa, salen, o, handler, arg, e);

	if (s != NULL && http_serve(s, e) != ERR_OK) {
		http_stop(s);
		s = NULL;
	}
	return s;
}

unsigned short
http_port(const struct http_server *s)
{
	return s->port;
}

void
http_stop(struct http_server *s)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	MHD_socket fd;
	int waited;

	if (s == NULL)
		return;
	if (s->daemon == NULL) {	/* bound, never served */
		close(s->fd);
	} else {
		fd = MHD_quiesce_daemon(s->daemon);	/* stop accepting */
		for (waited = 0; atomic_load(&s->in_flight) > 0 &&
		    waited < LIMIT_SHUTDOWN_SECONDS * 100; waited++)
			nanosleep(&tick, NULL);
		MHD_stop_daemon(s->daemon);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	watch_free(s->watch);	/* every connection has been removed */
	pthread_mutex_destroy(&s->addresses_lock);
	free(s);
}
