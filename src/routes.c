/* The route table and the one place every request is given its call
 * context, logged and counted.
 *
 * Rows are tried in order; the AWS APIs come last because they answer any
 * path: Cloud Control when X-Amz-Target is present, ivs-realtime for the
 * rest. A refusal of the HTTP layer (a limit broken before the request
 * was read) is answered on every route, as an AWS error.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/error.h"
#include "aws/pipeline.h"
#include "cloudcontrol/cloudcontrol.h"
#include "console/console.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/ids.h"
#include "crypto/keys.h"
#include "ivs/ivs.h"
#include "media/whip.h"
#include "routes.h"
#include "runtime/runtime.h"
#include "store/admin_store.h"
#include "store/store.h"

static long long
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Answers status with body (malloc'd; NULL answers 500). */
static void
reply(struct http_response *res, int status, const char *type, char *body)
{
	res->status = body ? status : 500;
	res->content_type = type;
	res->body = body;
	res->body_len = body ? strlen(body) : 0;
}

/* ---- the routes ----------------------------------------------------------- */

/* Readiness: 200 when the database answers, else 503 with the reason (a
 * load balancer takes the node out of service until it answers again). */
static void
health(const struct http_request *req, struct http_response *res, struct call *c)
{
	json_t *doc;
	int up = store_ping(&c->err) == ERR_OK;

	(void)req;
	metrics_database_up(up);
	if (up) {
		reply(res, 200, "application/json", strdup("{\"status\":\"ready\"}"));
		return;
	}
	doc = json_pack("{s:s, s:s}", "status", "unavailable", "reason", c->err.msg);
	reply(res, 503, "application/json", doc ? json_dumps(doc, JSON_COMPACT) : NULL);
	json_decref(doc);
}

static void
jwks(const struct http_request *req, struct http_response *res, struct call *c)
{
	(void)req;
	(void)c;
	reply(res, 200, "application/json", keys_jwks(ivs_keys()));
}

/* The gauges read at scrape time, then the exposition. */
static void
metrics(const struct http_request *req, struct http_response *res, struct call *c)
{
	char *set = keys_jwks(ivs_keys());
	json_t *doc = set ? json_loads(set, 0, NULL) : NULL;
	struct err e = { ERR_OK, "" };

	(void)req;
	(void)c;
	metrics_database_up(store_ping(&e) == ERR_OK);
	if (doc != NULL)
		metrics_signing_keys((int)json_array_size(json_object_get(doc, "keys")));
	json_decref(doc);
	free(set);
	reply(res, 200, "text/plain; version=0.0.4; charset=utf-8", metrics_expose());
}

/* Deletes every resource of every account and region: for test suites,
 * in protected mode only (a strict server is somebody's real data). */
static void
reset(const struct http_request *req, struct http_response *res, struct call *c)
{
	(void)req;
	if (c->cfg->credentials != NULL)
		err_set(&c->err, ERR_ACCESS_DENIED, "POST /_rtstage/reset is refused in strict "
		    "mode (a credentials file is configured); it deletes every resource and "
		    "serves protected mode only");
	else if (store_admin_reset(&c->err) == ERR_OK) {
		reply(res, 200, "application/json", strdup("{}"));
		return;
	}
	aws_error_respond(&c->err, res);
}

/* The events socket of the stage runtime (src/runtime/). */
static void
events(const struct http_request *req, struct http_response *res, struct call *c)
{
	runtime_events_route(req, res, c);
}

static void
ivs_api(const struct http_request *req, struct http_response *res, struct call *c)
{
	aws_pipeline(&ivs_protocol, req, res, c);
}

static void
cloudcontrol_api(const struct http_request *req, struct http_response *res, struct call *c)
{
	aws_pipeline(&cc_protocol, req, res, c);
}

/* Every surface of the server, in matching order. */
static const struct route_row routes[] = {
	/* name            method  path                      header          handler        aws */
	{ "healthz",       "GET",  "/healthz",               NULL,           health,           0 },
	{ "jwks",          "GET",  "/.well-known/jwks.json", NULL,           jwks,             0 },
	{ "metrics",       "GET",  "/metrics",               NULL,           metrics,          0 },
	{ "reset",         "POST", "/_rtstage/reset",        NULL,           reset,            0 },
	{ "events",        "GET",  "/events",                NULL,           events,           0 },
	{ "events",        "GET",  "/events/*",              NULL,           events,           0 },
	{ "whip",          NULL,   "/whip",                  NULL,           whip_route,       0 },
	{ "whip",          NULL,   "/whip/*",                NULL,           whip_route,       0 },
	{ "console",       NULL,   "/console",               NULL,           console_route,    0 },
	{ "console",       NULL,   "/console/",              NULL,           console_route,    0 },
	{ "console",       NULL,   "/console/*",             NULL,           console_route,    0 },
	{ "cloudcontrol",  NULL,   NULL,                     "X-Amz-Target", cloudcontrol_api, 1 },
	{ "ivs-realtime",  NULL,   NULL,                     NULL,           ivs_api,          1 },
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* Does path match pattern: exact, or a prefix when pattern ends in '*'
 * (which must stand for at least one character)? */
static int
path_matches(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, path, n - 1) == 0 && path[n - 1] != '\0';
	return strcmp(pattern, path) == 0;
}

const struct route_row *
routes_find(const struct route_key *k)
{
	const struct route_row *r;
	size_t i;

	for (i = 0; i < N_ROUTES; i++) {
		r = &routes[i];
		if ((r->method == NULL || strcmp(r->method, k->method) == 0) &&
		    (r->path == NULL || path_matches(r->path, k->path)) &&
		    (r->header == NULL || k->has_header(k->arg, r->header)))
			return r;
	}
	return &routes[N_ROUTES - 1];
}

/* ---- every request -------------------------------------------------------- */

static int
has_header(const void *req, const char *name)
{
	return http_header(req, name) != NULL;
}

/* Prepares c for req and sets x-amzn-RequestId on res; returns the start
 * time in microseconds. */
static long long
call_begin(struct call *c, const struct config *cfg, const struct http_request *req,
    struct http_response *res)
{
	long long now = monotonic_us();

	memset(&c->who, 0, sizeof(c->who));
	c->cfg = cfg;
	c->err.code = ERR_OK;
	c->err.msg[0] = '\0';
	c->text_out = NULL;
	c->operation = NULL;
	c->started_ms = now / 1000;
	c->deadline_ms = 0;
	c->remote = req->remote;
	if (ids_request_id(c->request_id) != 0)
		memcpy(c->request_id, "00000000-0000-4000-8000-000000000000", 37);
	http_set_header(res, "x-amzn-RequestId", c->request_id);
	return now;
}

/* The AWS error name res carries, or NULL. */
static const char *
error_name(const struct http_response *res)
{
	int i;

	for (i = 0; i < res->n_headers; i++)
		if (strcmp(res->headers[i].name, "x-amzn-ErrorType") == 0)
			return res->headers[i].value;
	return NULL;
}

static void
call_end(const struct call *c, long long start_us, const struct http_response *res)
{
	long long us = monotonic_us() - start_us;
	const char *error = error_name(res);
	struct log_request r = {
		.request_id = c->request_id,
		.remote = c->remote,
		.account = c->who.account,
		.region = c->who.region,
		.operation = c->operation,
		.status = res->status,
		.error = error,
		.message = error ? c->err.msg : NULL,
		.duration_ms = us / 1000,
	};

	log_request(&r);
	metrics_request(c->operation, res->status, (double)us / 1e6);
}

void
routes_handle(const struct http_request *req, struct http_response *res, void *arg)
{
	struct route_key k = { req->method, req->path, has_header, req };
	const struct route_row *r = routes_find(&k);
	struct call c;
	long long start = call_begin(&c, arg, req, res);

	c.operation = r->name;
	if (req->refusal != HTTP_ACCEPTED && !r->aws) {
		(void)aws_check_envelope(req, &c.err);
		aws_error_respond(&c.err, res);
	} else {
		r->fn(req, res, &c);
	}
	call_end(&c, start, res);
}
