/* Queries on media_nodes and media_hosts (migration 9): which nodes serve
 * media, when each last beat, and which node hosts each stage's media.
 * Used only when several nodes share the database. */
#ifndef RTSTAGE_STORE_MEDIA_HOST_STORE_H
#define RTSTAGE_STORE_MEDIA_HOST_STORE_H

#include "limits.h"
#include "store/store.h"

#define MEDIA_NODE_CAP (LIMIT_PUBLIC_URL_BYTES + 1)	/* a node's id and its URL */

/* The host of a stage, as the database has it. */
struct media_host {
	char node[MEDIA_NODE_CAP];
	char url[MEDIA_NODE_CAP];	/* "" when the node has no media_nodes row */
	long long heartbeat_ms;		/* 0 likewise */
};

/* Records that node (reached at url) is alive at now_ms. */
enum err_code store_media_node_beat(struct store *s, const char *node, const char *url,
    long long now_ms, struct err *e);

/* Forgets node and every stage it hosts (it stops, or starts afresh). */
enum err_code store_media_node_forget(struct store *s, const char *node, struct err *e);

/* The host of stage_arn into *out; ERR_NOT_FOUND when none is recorded. */
enum err_code store_media_host_get(struct store *s, const char *stage_arn,
    struct media_host *out, struct err *e);

/* Makes node the host of stage_arn (inserted, or replacing the holder). */
enum err_code store_media_host_set(struct store *s, const char *stage_arn, const char *node,
    long long now_ms, struct err *e);

/* Forgets the host of stage_arn if it is node. */
enum err_code store_media_host_drop(struct store *s, const char *stage_arn, const char *node,
    struct err *e);

/* Forgets node's hosting of stages that no longer exist. */
enum err_code store_media_hosts_prune(struct store *s, const char *node, struct err *e);

/* How many stages node hosts, into *n. */
enum err_code store_media_hosts_count(struct store *s, const char *node, long long *n,
    struct err *e);

#endif
