/* libmicrohttpd adapter: per-request state, capped upload, response hand-off.
 *
 * Per-request state is made in the URI log callback (the only place the
 * raw request target is visible), grows with the upload, and is freed in
 * the completion callback. Response bodies are handed to libmicrohttpd
 * without copying (MHD_RESPMEM_MUST_FREE).
 */
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"
#include "limits.h"
#include "util/buf.h"

struct http_server {
	struct MHD_Daemon *daemon;
	http_handler_fn handler;
	void *arg;
	atomic_int in_flight;
};

struct pending {
	char *target;		/* raw "path?query" */
	struct buf body;
	int started, too_large;
};

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
	if (res->n_headers >= HTTP_MAX_HEADERS)
		return;
	res->headers[res->n_headers].name = name;
	strncpy(res->headers[res->n_headers].value, value,
	    sizeof(res->headers[0].value) - 1);
	res->headers[res->n_headers].value[sizeof(res->headers[0].value) - 1] = '\0';
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

	(void)c;
	(void)tc;
	if (p == NULL)
		return;
	if (p->started)
		atomic_fetch_sub(&s->in_flight, 1);
	free(p->target);
	buf_free(&p->body);
	free(p);
	*req_cls = NULL;
}

static enum MHD_Result
respond(struct http_server *s, struct MHD_Connection *c, const char *method,
    struct pending *p)
{
	struct http_request req;
	struct http_response res;
	struct MHD_Response *r;
	enum MHD_Result ok;
	char *q;
	int i;

	memset(&res, 0, sizeof(res));
	res.status = 500;
	req.method = method;
	req.path = p->target;
	req.query = "";
	if ((q = strchr(p->target, '?')) != NULL) {
		*q = '\0';
		req.query = q + 1;
	}
	req.body = p->body.data;
	req.body_len = p->body.len;
	req.body_too_large = p->too_large;
	req.conn = c;
	s->handler(&req, &res, s->arg);

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

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	struct pending *p = *req_cls;
	const char *cl;
	char *end;

	(void)url;
	(void)version;
	if (p == NULL)
		return MHD_NO;		/* out of memory in on_uri */
	if (!p->started) {
		p->started = 1;
		atomic_fetch_add(&s->in_flight, 1);
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, &end, 10) > LIMIT_BODY_BYTES) {
			p->too_large = 1;
			return respond(s, c, method, p);	/* refuse before reading */
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!p->too_large && p->body.len + *upload_size > LIMIT_BODY_BYTES)
			p->too_large = 1;
		if (!p->too_large)
			buf_append(&p->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return respond(s, c, method, p);
}

struct http_server *
http_start(const struct sockaddr *sa, socklen_t salen, unsigned threads,
    http_handler_fn handler, void *arg, struct err *e)
{
	struct http_server *s = calloc(1, sizeof(*s));

	(void)salen;
	if (s == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	s->handler = handler;
	s->arg = arg;
	atomic_init(&s->in_flight, 0);
	s->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG | (sa->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, on_request, s,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)LIMIT_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LIMIT_IDLE_SECONDS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_HEADER_BYTES * 2,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
	    MHD_OPTION_END);
	if (s->daemon == NULL) {
		err_set(e, ERR_INTERNAL, "cannot listen (address in use or not available)");
		free(s);
		return NULL;
	}
	return s;
}

unsigned short
http_port(const struct http_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

void
http_stop(struct http_server *s)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int waited;

	if (s == NULL)
		return;
	MHD_socket fd = MHD_quiesce_daemon(s->daemon);	/* stop accepting */
	for (waited = 0; atomic_load(&s->in_flight) > 0 &&
	    waited < LIMIT_SHUTDOWN_SECONDS * 100; waited++)
		nanosleep(&tick, NULL);
	MHD_stop_daemon(s->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	free(s);
}
