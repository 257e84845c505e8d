/* The stage runtime: who is in which stage, live. Owns the events
 * sockets (one event-loop thread), the store thread that records joins,
 * leaves and state changes, the session timers, and the bus subscription
 * through which every node learns of roster changes, disconnections and
 * deleted stages.
 *
 * Start it after the store and before the HTTP server; stop it (it closes
 * every socket) before the HTTP server stops.
 */
#ifndef RTSTAGE_RUNTIME_RUNTIME_H
#define RTSTAGE_RUNTIME_RUNTIME_H

#include "config.h"
#include "core/ctx.h"
#include "http/server.h"
#include "media/sfu.h"

/* Recovers the sessions of node (participants it held before a restart
 * leave), subscribes to the bus, sets the session notifier, and starts
 * the loop and store threads. cfg and node must outlive the runtime.
 * Returns ERR_OK, or the failure in e. */
enum err_code runtime_start(const struct config *cfg, const char *node, struct err *e);

/* Closes every socket (1001), stops the threads. Idempotent. */
void runtime_stop(void);

/* The events route (GET /events, GET /events/STAGE): checks the
 * WebSocket handshake, verifies the token, records the join, and answers
 * 101, handing the socket to the runtime; a refused join still completes
 * the handshake and is told JOIN_ERROR on the socket. A request that is
 * not a WebSocket upgrade gets 400 (426 for another version); a node with
 * every socket slot taken answers 503. Runs on HTTP worker threads. */
void runtime_events_route(const struct http_request *req, struct http_response *res,
    struct call *c);

/* The SFU's hooks (media.c): publish and subscribe starts and ends are
 * recorded (isPublishing, the participant's history) on the runtime's
 * store thread and published as roster changes. Give them to sfu_start,
 * which may run before runtime_start: what happens before the runtime
 * runs, or after it stops, is logged and not recorded. */
const struct sfu_hooks *runtime_media_hooks(void);

#endif
