/* Several nodes: which node hosts each stage's media, and signalling
 * forwarded to it.
 *
 * With a database several nodes share (PostgreSQL), a stage's media lives
 * on one node at a time, recorded in media_hosts; every node records a
 * heartbeat in media_nodes. A node asked to serve an offer for a stage
 * hosted by another live node forwards the request to that node's URL;
 * a stage with no live host is taken by the node asked. With one node
 * (SQLite) every stage is this node's and nothing here touches the store.
 *
 * It never touches RTP: whip.c asks it where, and how to forward.
 */
#ifndef RTSTAGE_MEDIA_STAGE_HOST_H
#define RTSTAGE_MEDIA_STAGE_HOST_H

#include <stddef.h>

#include "http/server.h"
#include "util/err.h"

/* Marks a request one node forwarded to another; its value is the
 * forwarding node's id. A host never forwards such a request again. */
#define STAGE_HOST_FORWARDED "X-Rtstage-Forwarded"

/* Registers the metrics and, when shared (several nodes may use the
 * store), forgets what node hosted before a restart, records its first
 * heartbeat and starts the heartbeat thread. node: this node's id; url:
 * where other nodes reach it (http(s)://HOST[:PORT]). Both must outlive
 * the module. Call once, before serving. */
enum err_code stage_host_start(const char *node, const char *url, int shared, struct err *e);

/* Stops the heartbeat and forgets this node, so that other nodes take its
 * stages at their next offer. Call after the last request; idempotent. */
void stage_host_stop(void);

enum stage_place {
	STAGE_LOCAL,		/* serve it here */
	STAGE_REMOTE,		/* forward it to the host's URL */
	STAGE_UNAVAILABLE,	/* no host to serve it now (e says why) */
};

/* Where the media of stage_arn is served. take: a stage that no live node
 * hosts becomes this node's (one writing transaction, so two nodes never
 * both take it); without take such a stage is STAGE_UNAVAILABLE.
 * STAGE_REMOTE writes the host's URL into url (cap bytes). Waits on the
 * store: worker and job threads only. Thread-safe. */
enum stage_place stage_host_place(const char *stage_arn, int take, char *url, size_t cap,
    struct err *e);

/* A request to forward to a host. */
struct stage_host_request {
	const char *kind;		/* "offer" or "delete", for the metrics */
	const char *method;		/* "POST" or "DELETE" */
	const char *url;		/* the host's URL of the request */
	const char *const *headers;	/* "Name: value" lines, NULL-terminated, or NULL */
	const char *body;		/* NULL for none */
	size_t body_len;
};

/* What the host answered. */
struct stage_host_reply {
	int status;
	char content_type[128];
	char location[HTTP_HEADER_VALUE_CAP];
	char link[HTTP_HEADER_VALUE_CAP];
	char *body;			/* NUL-terminated, malloc'd (stage_host_reply_free) */
	size_t body_len;
};

/* Sends rq to its host (marked STAGE_HOST_FORWARDED, no redirect
 * followed, within LIMIT_MEDIA_FORWARD_MS) and fills *r with the answer,
 * whatever its status (ERR_OK). No answer (no connection, a timeout, an
 * answer over LIMIT_MEDIA_FORWARD_BODY_BYTES) is ERR_INTERNAL with the
 * reason in e. Blocks: worker and job threads
 * only, never an event loop. Thread-safe. */
enum err_code stage_host_forward(const struct stage_host_request *rq, struct stage_host_reply *r,
    struct err *e);

/* Frees what r holds. Accepts a zeroed reply. */
void stage_host_reply_free(struct stage_host_reply *r);

/* This node's id (for the forwarded mark). */
const char *stage_host_node(void);

#endif
