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

/* The http_upgrade_fn of a ticket (arg, malloc'd; owned from here). */
void events_upgraded(void *arg, int fd, void *handle, const char *extra, size_t extra_len);

/* This node's id (its public URL). */
const char *events_node(void);

/* Counts a join refused with code (metrics). */
void events_count_join_error(const char *code);

#endif
