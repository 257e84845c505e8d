/* The web console at /console/: its embedded assets, served to browsers.
 *
 * The console is a client of the public API (it signs its own calls in
 * the browser); this route only hands out files and the one fact a page
 * cannot learn by itself (protected or strict mode). It never reads the
 * store and grants nothing.
 */
#ifndef RTSTAGE_CONSOLE_CONSOLE_H
#define RTSTAGE_CONSOLE_CONSOLE_H

#include "core/ctx.h"
#include "http/server.h"

/* The route handler for /console, /console/ and /console/<asset>: GET and
 * HEAD only (405 otherwise); /console redirects to /console/; an unknown
 * asset is 404. Every answer carries the console's Content-Security-Policy
 * and nosniff; assets carry their ETag and are revalidated (304 when
 * If-None-Match names it). Thread-safe. */
void console_route(const struct http_request *req, struct http_response *res,
    struct call *c);

#endif
