/* The web console's route: the embedded assets (console/assets.h) and
 * config.json, with the headers a browser needs to run them safely.
 *
 * Owns the console's HTTP rules: methods, the redirect, the headers of
 * every answer, revalidation by ETag. It must not grant anything: the
 * console's API calls are signed in the browser and go through the AWS
 * pipeline like any other client's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/assets.h"
#include "console/console.h"
#include "limits.h"

#define PREFIX "/console/"

/* Answers status with a copy of len bytes of body (NULL: no body). */
static void
reply(struct http_response *res, int status, const char *type, const void *body, size_t len)
{
	res->status = status;
	res->content_type = type;
	res->body = NULL;
	res->body_len = 0;
	if (body == NULL || len == 0)
		return;
	if ((res->body = malloc(len)) == NULL) {
		res->status = 500;
		res->content_type = NULL;
		return;
	}
	memcpy(res->body, body, len);
	res->body_len = len;
}

static void
reply_text(struct http_response *res, int status, const char *text)
{
	reply(res, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* The events socket's origin for connect-src: the public URL with its
 * scheme made ws: or wss: ("" if the URL is neither http nor https). */
static void
socket_origin(const char *public_url, char *out, size_t cap)
{
	const char *scheme = "";
	const char *rest = public_url ? public_url : "";

	if (strncmp(rest, "https://", 8) == 0) {
		scheme = "wss://";
		rest += 8;
	} else if (strncmp(rest, "http://", 7) == 0) {
		scheme = "ws://";
		rest += 7;
	}
	if (*scheme == '\0' || snprintf(out, cap, "%s%s", scheme, rest) >= (int)cap)
		out[0] = '\0';
}

/* The headers of every answer: no inline script or style, no other host,
 * no framing, no sniffing, no referrer. */
static void
set_policy(struct http_response *res, const struct call *c)
{
	char ws[HTTP_HEADER_VALUE_CAP / 2];
	char csp[HTTP_HEADER_VALUE_CAP];

	socket_origin(c->cfg->public_url, ws, sizeof(ws));
	if (snprintf(csp, sizeof(csp), "default-src 'none'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data:; media-src 'self' blob:; connect-src 'self'%s%s; "
	    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	    ws[0] ? " " : "", ws) >= (int)sizeof(csp))
		snprintf(csp, sizeof(csp), "default-src 'none'");
	http_set_header(res, "Content-Security-Policy", csp);
	http_set_header(res, "X-Content-Type-Options", "nosniff");
	http_set_header(res, "X-Frame-Options", "DENY");
	http_set_header(res, "Referrer-Policy", "no-referrer");
}

/* Does an If-None-Match value name etag (or "*")? Weak comparison, as
 * RFC 9110 13.1.2 asks of If-None-Match: a W/ prefix is ignored. */
static int
etag_matches(const char *header, const char *etag)
{
	const char *p = header;
	size_t n = strlen(etag), len;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		len = strcspn(p, " \t,");
		if ((len == 1 && *p == '*') || (len == n && strncmp(p, etag, n) == 0))
			return 1;
		p += len;
	}
	return 0;
}

static const struct console_asset *
asset_find(const char *name)
{
	unsigned i;

	for (i = 0; i < console_asset_count; i++)
		if (strcmp(console_assets[i].path, name) == 0)
			return &console_assets[i];
	return NULL;
}

static void
serve_asset(const struct http_request *req, struct http_response *res,
    const struct console_asset *a)
{
	const char *inm = http_header(req, "If-None-Match");

	http_set_header(res, "ETag", a->etag);
	/* revalidated every time: a new build must show at once, and a 304
	 * costs a round trip of headers only */
	http_set_header(res, "Cache-Control", "no-cache");
	if (inm != NULL && etag_matches(inm, a->etag))
		reply(res, 304, NULL, NULL, 0);
	else
		reply(res, 200, a->content_type, a->bytes, a->len);
}

/* What the page cannot learn by itself: whether any key works. */
static void
serve_config(struct http_response *res, const struct call *c)
{
	const char *doc = c->cfg->credentials ? "{\"mode\":\"strict\"}\n"
	    : "{\"mode\":\"protected\"}\n";

	http_set_header(res, "Cache-Control", "no-store");
	reply(res, 200, "application/json", doc, strlen(doc));
}

void
console_route(const struct http_request *req, struct http_response *res, struct call *c)
{
	const char *name;
	const struct console_asset *a;

	set_policy(res, c);
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		http_set_header(res, "Allow", "GET, HEAD");
		reply_text(res, 405, "405 Method Not Allowed: the console is read with GET\n");
		return;
	}
	if (strcmp(req->path, "/console") == 0) {
		http_set_header(res, "Location", PREFIX);
		reply_text(res, 301, "Moved to " PREFIX "\n");
		return;
	}
	if (strncmp(req->path, PREFIX, strlen(PREFIX)) != 0) {
		reply_text(res, 404, "404 Not Found: no such file of the console\n");
		return;
	}
	name = req->path + strlen(PREFIX);
	if (*name == '\0')
		name = "index.html";
	if (strcmp(name, "config.json") == 0) {
		serve_config(res, c);
		return;
	}
	if ((a = asset_find(name)) == NULL) {
		reply_text(res, 404, "404 Not Found: no such file of the console\n");
		return;
	}
	serve_asset(req, res, a);
}
