/* HTTP/1.1 server: libmicrohttpd behind a small request/response contract.
 *
 * Knows nothing of AWS. Collects method, raw path, raw query, headers and
 * a body within the limits of src/limits.h, then calls one handler per
 * request on a worker thread. A request over a limit is not read further:
 * the handler is called with its refusal set and must answer with an error
 * (the connection is closed after it).
 */
#ifndef RTSTAGE_HTTP_SERVER_H
#define RTSTAGE_HTTP_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "limits.h"
#include "util/err.h"

/* Why the server refused a request before the handler could read it. */
enum http_refusal {
	HTTP_ACCEPTED,
	HTTP_BODY_TOO_LARGE,	/* over LIMIT_BODY_BYTES: not read */
	HTTP_URL_TOO_LONG,	/* over LIMIT_URL_BYTES */
	HTTP_HEADERS_TOO_LARGE,	/* over LIMIT_HEADER_BYTES or LIMIT_HEADER_COUNT */
	HTTP_LENGTHS_DIFFER,	/* Content-Length headers that disagree */
	HTTP_LENGTH_AND_CHUNKED,	/* Transfer-Encoding and Content-Length both */
	HTTP_CODING_UNSUPPORTED,	/* a Transfer-Encoding other than one "chunked" */
	HTTP_HOST_INVALID,	/* Host missing (where required) or repeated */
	HTTP_HOST_FOREIGN,	/* protected mode: Host is not a loopback name */
	HTTP_ORIGIN_FOREIGN,	/* protected mode: Origin is not a loopback origin */
};
/* A body that grows past LIMIT_BODY_BYTES while being received (chunked),
 * or a request that misses its deadline (LIMIT_REQUEST_SECONDS from its
 * first byte) or is abandoned by its peer, cannot be answered:
 * libmicrohttpd allows no response in the middle of an upload. Such a
 * connection is closed, the rest unread. */

struct http_request {
	const char *method;
	const char *version;	/* "HTTP/1.1" */
	const char *path;	/* raw, still percent-encoded */
	const char *query;	/* raw, without '?'; "" when absent */
	const char *body;	/* not NUL-terminated; NULL when empty */
	size_t body_len;
	enum http_refusal refusal;	/* not HTTP_ACCEPTED: answer with an error */
	const char *remote;	/* client address ("127.0.0.1", "::1"), or "" */
	void *conn;		/* for http_header() */
};

/* Called once a 101 answer has gone, on a libmicrohttpd thread, with the
 * upgraded socket (non-blocking; with TLS one end of a socketpair that
 * libmicrohttpd relays), its handle for http_upgrade_close, and the bytes
 * the client sent after its request (valid during the call only: copy
 * them). From then on the socket is the callee's; it must never close()
 * it, only http_upgrade_close it. Called with fd -1 and handle NULL when
 * the 101 could not be queued (arg is then to be released). Must not
 * block. */
typedef void (*http_upgrade_fn)(void *arg, int fd, void *handle, const char *extra,
    size_t extra_len);

struct http_response {
	int status;
	http_upgrade_fn upgrade;	/* set with status 101: take the socket */
	void *upgrade_arg;		/* passed to upgrade */
	char *upgrade_protocol;		/* malloc'd Sec-WebSocket-Protocol value
					 * (too long for headers[]); freed here */
	const char *content_type;	/* static string */
	char *body;			/* malloc'd; the server frees it */
	size_t body_len;
	int n_headers;
	struct {
		const char *name;	/* static string */
		char value[HTTP_HEADER_VALUE_CAP];
	} headers[HTTP_MAX_HEADERS];
};

/* Fills res for req. Runs on worker threads, concurrently. */
typedef void (*http_handler_fn)(const struct http_request *req,
    struct http_response *res, void *arg);

struct http_server;

/* Value of request header name (case-insensitive), or NULL. */
const char *http_header(const struct http_request *req, const char *name);

/* Calls each(arg, name, value) for every request header in arrival
 * order, repeated headers included. */
void http_headers_each(const struct http_request *req,
    void (*each)(void *arg, const char *name, const char *value), void *arg);

/* Adds a response header; silently ignored past HTTP_MAX_HEADERS. */
void http_set_header(struct http_response *res, const char *name, const char *value);

/* Closes an upgraded socket (handle from http_upgrade_fn). Once per
 * socket; from any thread. Every upgraded socket must be closed before
 * http_stop. */
void http_upgrade_close(void *handle);

struct http_options {
	unsigned threads;		/* worker threads */
	unsigned idle_seconds;		/* close keep-alive connections idle this long */
	unsigned request_seconds;	/* a request must arrive whole within this
					 * of its first byte (LIMIT_REQUEST_SECONDS) */
	int loopback_hosts_only;	/* protected mode: refuse other Host and
					 * Origin values (DNS rebinding) */
	const char *tls_cert_pem;	/* PEM certificate chain and its key: serve
					 * HTTPS; both NULL: plain HTTP. Borrowed:
					 * valid until http_stop */
	const char *tls_key_pem;
};

/* Listens on sa without serving yet, so that the caller can learn the
 * port (http_port) and finish its configuration before the first request.
 * o is copied. Returns the server (caller owns it; http_serve starts it,
 * http_stop frees it either way), or NULL with e set (an address in use
 * is named, with how to choose another). */
struct http_server *http_bind(const struct sockaddr *sa, socklen_t salen,
    const struct http_options *o, http_handler_fn handler, void *arg, struct err *e);

/* Serves s's socket until http_stop: requests reach the handler from now
 * on. Returns ERR_OK, or ERR_INTERNAL with e set (a libmicrohttpd built
 * without TLS when the options ask for it, or certificate and key it
 * refuses); s must then still be freed with http_stop. */
enum err_code http_serve(struct http_server *s, struct err *e);

/* http_bind then http_serve. Returns the serving server (caller owns it),
 * or NULL with e set. */
struct http_server *http_start(const struct sockaddr *sa, socklen_t salen,
    const struct http_options *o, http_handler_fn handler, void *arg, struct err *e);

/* The port actually bound (useful after asking for port 0). */
unsigned short http_port(const struct http_server *s);

/* Stops accepting, lets requests in flight finish (at most
 * LIMIT_SHUTDOWN_SECONDS), closes every connection and frees s, serving
 * or only bound. Accepts NULL. */
void http_stop(struct http_server *s);

#endif
