/* The route table: every surface the server answers, one row each.
 *
 * A request is matched against the rows in order (method, path, a header
 * that must be present); the first match handles it. Every route gets a
 * call context (request id, remote address, start time) and is logged
 * and counted in one place, here.
 */
#ifndef RTSTAGE_ROUTES_H
#define RTSTAGE_ROUTES_H

#include "core/ctx.h"
#include "http/server.h"

/* A route's handler: fills res for req; c has the request id, the
 * configuration and the remote address; a handler sets c->operation when
 * it knows better than the route's name, and c->err when it fails. */
typedef void (*route_fn)(const struct http_request *req, struct http_response *res,
    struct call *c);

struct route_row {
	const char *name;	/* for logs and metrics: "healthz" */
	const char *method;	/* NULL: any */
	const char *path;	/* exact, or a prefix ending in '*'; NULL: any */
	const char *header;	/* must be present; NULL: no condition */
	route_fn fn;
	int aws;		/* answers refusals itself (an AWS pipeline) */
};

/* What a request is matched by. */
struct route_key {
	const char *method;
	const char *path;
	int (*has_header)(const void *arg, const char *name);
	const void *arg;
};

/* The first row of the table matching k; never NULL (the last row, the
 * ivs-realtime API, matches everything). Pure. */
const struct route_row *routes_find(const struct route_key *k);

/* The libmicrohttpd handler (http_handler_fn): arg is the struct config.
 * Thread-safe. */
void routes_handle(const struct http_request *req, struct http_response *res, void *arg);

#endif
