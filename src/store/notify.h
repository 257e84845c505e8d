/* The bus's transport between nodes that share one PostgreSQL database:
 * events travel as NOTIFY payloads on the channel rtstage_bus, in their
 * wire form (bus_encode).
 *
 * A transport holds two connections of its own, never the store's: one
 * that LISTENs, read by a thread of its own, and one that sends, shared
 * by publishers under a lock. Both carry the store's connection options
 * (store/postgres.h). A lost connection is re-established (the listener
 * with back-off); what was sent while the listener was away is lost, so
 * after every reconnect it delivers BUS_ROSTER_CHANGED with an empty
 * stage_arn: "re-read every stage you hold". Metrics (registered at the
 * first start): rtstage_bus_notify_sent_total, _received_total,
 * _dropped_total (malformed payloads), _send_errors_total,
 * _reconnects_total and the gauge rtstage_bus_notify_listener_connected.
 */
#ifndef RTSTAGE_STORE_NOTIFY_H
#define RTSTAGE_STORE_NOTIFY_H

#include "core/bus.h"
#include "util/err.h"

#define NOTIFY_CHANNEL "rtstage_bus"

struct notify;

typedef void (*notify_deliver_fn)(const struct bus_event *ev);

/* Connects to conninfo (a postgres:// URL or key=value string), LISTENs
 * on NOTIFY_CHANNEL, opens the sending connection and starts the listener
 * thread, which calls deliver once for every well-formed notification on
 * the channel (those of this transport included: bus_deliver_remote
 * drops this node's own) and for every reconnect signal. deliver runs on
 * that thread, one call at a time, and must not block. Returns the
 * transport (the caller owns it: notify_stop), or NULL with e set
 * (ERR_INTERNAL) when the database cannot be reached. Never logs the
 * password. */
struct notify *notify_start(const char *conninfo, notify_deliver_fn deliver, struct err *e);

/* Sends ev to every listening transport (other nodes' and this one's).
 * ctx is the struct notify *, so that { n, notify_send } is a
 * struct bus_remote. Waits at most about LIMIT_NOTIFY_SEND_MS; while the
 * database is away fails at once. Returns ERR_OK, ERR_VALIDATION for an
 * event that has no wire form, or ERR_INTERNAL. Thread-safe. */
enum err_code notify_send(void *ctx, const struct bus_event *ev, struct err *e);

/* Stops the listener thread (promptly: it is woken), closes both
 * connections and frees n. NULL: nothing. No send may be running or
 * start afterwards. */
void notify_stop(struct notify *n);

#endif
