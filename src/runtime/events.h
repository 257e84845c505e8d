/* Between the join (join.c, on HTTP worker threads) and the sockets
 * (events.c, on the loop thread): the ticket a joining socket carries,
 * admission counting, and the upgrade hand-off. Internal to src/runtime/.
 */
#ifndef RTSTAGE_RUNTIME_EVENTS_H
#define RTSTAGE_RUNTIME_EVENTS_H

#include <stddef.h>

#include "ivs/ptoken.h"

/* What the join decided, carried to the socket. */
struct ticket {
	const char *error_code;		/* static JOIN_ERROR code; NULL: joined */
	char message[256];
	char remote[64];		/* the client address, for admission */
	char stage_arn[PTOKEN_ARN_CAP];
	char stage_id[PTOKEN_TOPIC_CAP];
	char participant_id[PTOKEN_ID_CAP];
	char events_url[PTOKEN_URL_CAP], whip_url[PTOKEN_URL_CAP];
	char user_id[PTOKEN_USER_CAP];
	int publish, subscribe;		/* the token's capabilities: XDP offers */
	long long exp;
	long long join_seq;		/* the seq of the JOINED this connection recorded */
	char *token;			/* the token itself (malloc'd; NULL when refused):
					 * an XDP offer forwarded to the stage's host
					 * carries it. EXCHANGE_TOKEN replaces these four */
	/* set by the upgrade */
	int fd;
	void *handle;
	char *extra;			/* bytes read with the request */
	size_t extra_len;
};

/* Takes a socket slot for remote: 0, or -1 when the node or the address
 * has every slot it may (LIMIT_EVENTS_SOCKETS, _PER_ADDRESS).
 * Thread-safe. events_release gives it back. */
int events_reserve(const char *remote);
void events_release(const char *remote);

/* Frees t and what it holds. Accepts NULL. */
void ticket_free(struct ticket *t);

/* The http_upgrade_fn of a ticket (arg, malloc'd; owned from here). */
void events_upgraded(void *arg, int fd, void *handle, const char *extra, size_t extra_len);

/* This node's id (its public URL). */
const char *events_node(void);

/* The roster of stage_arn changed through another node, naming
 * participant_id (media.c): if this node holds media sessions of that
 * participant, the store thread checks whether it is still connected and
 * ends them if not (it left, its socket on the other node closed). Quick;
 * any thread. */
void media_roster_changed(const char *stage_arn, const char *participant_id);

/* Counts a join refused with code (metrics). */
void events_count_join_error(const char *code);

#endif
