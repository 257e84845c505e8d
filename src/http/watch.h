/* The request deadline and the reaping of abandoned requests.
 *
 * libmicrohttpd's only clock is an idle timeout that every byte resets, so
 * a client trickling a byte at a time, or one that sends half a request
 * and closes, would hold its connection. The watch follows each connection
 * by its socket and shuts the socket down (libmicrohttpd then closes the
 * connection in its own thread) when
 *   - a request has not arrived whole within request_seconds of its first
 *     byte, whatever the pace of its bytes, or
 *   - the peer has closed its side with a request still partial.
 * It knows nothing of HTTP beyond the three phases below.
 */
#ifndef RTSTAGE_HTTP_WATCH_H
#define RTSTAGE_HTTP_WATCH_H

#include "util/err.h"

struct watch;
struct watched;

/* Starts the watch and its thread. Returns it (caller owns it; free with
 * watch_free), or NULL with e set. */
struct watch *watch_new(unsigned request_seconds, struct err *e);

/* Stops the thread and frees w. Every watched socket must have been
 * removed first. Accepts NULL. */
void watch_free(struct watch *w);

/* Starts watching a connected socket, waiting for its first request.
 * Returns its handle, or NULL when every slot is taken (the connection is
 * then not watched). Thread-safe. */
struct watched *watch_add(struct watch *w, int fd);

/* Stops watching; call before the socket is closed. Accepts NULL.
 * Thread-safe. */
void watch_remove(struct watch *w, struct watched *c);

/* The current request has arrived whole: its answer is being made, and
 * neither the deadline nor a closed peer cuts it. Accepts NULL. This and
 * the two calls below take no lock (they run once or twice per request);
 * call them from the thread that serves the connection. */
void watch_answering(struct watch *w, struct watched *c);

/* The answer was sent: the connection waits for its next request, whose
 * clock starts with its first byte. Accepts NULL. */
void watch_idle(struct watch *w, struct watched *c);

/* The connection was upgraded (WebSocket): its owner now keeps its own
 * deadlines; the watch neither times it nor shuts it down, until
 * watch_remove. Sticky: watch_idle no longer changes it. Accepts NULL. */
void watch_upgraded(struct watch *w, struct watched *c);

/* Sockets watched now. Thread-safe. */
unsigned watch_count(struct watch *w);

#endif
