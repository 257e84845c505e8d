/* HTTP/1.1 server: libmicrohttpd behind a small request/response contract.
 *
 * Knows nothing of AWS. Collects method, raw path, raw query, headers and
 * a body capped at LIMIT_BODY_BYTES, then calls one handler per request on
 * a worker thread. A body over the cap is not read: the handler is called
 * with body_too_large set and must answer with an error.
 */
#ifndef RTSTAGE_HTTP_SERVER_H
#define RTSTAGE_HTTP_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "util/err.h"

struct http_request {
	const char *method;
	const char *path;	/* raw, still percent-encoded */
	const char *query;	/* raw, without '?'; "" when absent */
	const char *body;	/* not NUL-terminated; NULL when empty */
	size_t body_len;
	int body_too_large;	/* the body was refused unread */
	void *conn;		/* for http_header() */
};

#define HTTP_MAX_HEADERS 6

struct http_response {
	int status;
	const char *content_type;	/* static string */
	char *body;			/* malloc'd; the server frees it */
	size_t body_len;
	int n_headers;
	struct {
		const char *name;	/* static string */
		char value[160];
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

/* Listens on sa with threads worker threads and serves until http_stop.
 * Returns the server (caller owns it), or NULL with e set. */
struct http_server *http_start(const struct sockaddr *sa, socklen_t salen,
    unsigned threads, http_handler_fn handler, void *arg, struct err *e);

/* The port actually bound (useful after asking for port 0). */
unsigned short http_port(const struct http_server *s);

/* Stops accepting, lets requests in flight finish (at most
 * LIMIT_SHUTDOWN_SECONDS), closes every connection and frees s. */
void http_stop(struct http_server *s);

#endif
