/* The event bus: runtime facts published once, delivered to every
 * subscriber in this process and, through a remote transport (PostgreSQL
 * LISTEN/NOTIFY when several nodes share one database), to every other
 * node.
 *
 * Facts, not commands: "the roster of stage S changed", "participant P of
 * S was disconnected", "stage S was deleted". The store holds the truth
 * (rosters are re-read from it); an event only says where to look, so a
 * lost or repeated event costs a re-read, never a wrong roster.
 *
 * BUS_ROSTER_CHANGED with an empty stage_arn means "re-read every stage
 * you hold": the remote transport delivers it after it reconnects, since
 * what other nodes published while it was away is lost.
 */
#ifndef RTSTAGE_CORE_BUS_H
#define RTSTAGE_CORE_BUS_H

#include <stddef.h>

#include "util/err.h"

enum bus_kind {
	BUS_ROSTER_CHANGED,		/* someone joined, left, changed state or media */
	BUS_PARTICIPANT_DISCONNECTED,	/* DisconnectParticipant: close its sockets */
	BUS_STAGE_DELETED,		/* DeleteStage: tell everyone, close every socket */
	BUS_PARTICIPANT_REPLACED,	/* a newer socket took the participant id */
	BUS_KIND__COUNT
};

#define BUS_ARN_CAP 192
#define BUS_ID_CAP 72		/* participant ids: up to 64 of [A-Za-z0-9_-] */
#define BUS_NODE_CAP 256	/* a node's public URL */
#define BUS_REASON_CAP 160

struct bus_event {
	enum bus_kind kind;
	char stage_arn[BUS_ARN_CAP];
	char participant_id[BUS_ID_CAP];	/* "" when it names no participant */
	char node[BUS_NODE_CAP];		/* the node that published it */
	char reason[BUS_REASON_CAP];		/* DisconnectParticipant's reason, or "" */
};

typedef void (*bus_fn)(void *arg, const struct bus_event *ev);

/* Adds a subscriber; call before serving. fn runs on the publishing
 * thread (or the remote transport's), must be thread-safe and must not
 * block: hand work on to your own thread (loop_post). */
enum err_code bus_subscribe(bus_fn fn, void *arg, struct err *e);

/* Publishes ev (ev->node is filled in with this node's id) to every local
 * subscriber, then to the remote transport if one is set. Thread-safe.
 * A transport failure is logged and counted, never returned: the store
 * is the truth and other nodes catch up at their next event. */
void bus_publish(const struct bus_event *ev);

/* A transport to the other nodes. send is called by bus_publish, on its
 * thread; it must not block for long. */
struct bus_remote {
	void *ctx;
	enum err_code (*send)(void *ctx, const struct bus_event *ev, struct err *e);
};

/* Sets this node's id (its public URL) and the remote transport (NULL:
 * one node). Call once before serving. */
void bus_configure(const char *node, const struct bus_remote *remote);

/* Delivers an event that came from another node to the local subscribers
 * (events this node published itself are dropped). Called by the
 * transport, on its thread. */
void bus_deliver_remote(const struct bus_event *ev);

/* The wire form of an event (NOTIFY payloads are at most 8000 bytes):
 * writes it into out (cap bytes, NUL-terminated) and returns its length,
 * or -1 if it does not fit. bus_decode reads it back: ERR_OK, or
 * ERR_VALIDATION for text that is not an event. */
int bus_encode(const struct bus_event *ev, char *out, size_t cap);
enum err_code bus_decode(const char *text, struct bus_event *ev, struct err *e);

#endif
