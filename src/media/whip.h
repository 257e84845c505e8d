/* Media signalling: the offers of IVS clients, over HTTP (WHIP, under
 * /whip) and over the events socket (XDP: the runtime calls whip_offer),
 * checked against the participant token and handed to the SFU.
 *
 * It knows the WHIP URLs, the token and capability rules, the IVS error
 * codes of the answers, CORS, and which participants joined by their
 * WHIP offers alone (no events socket). It never touches RTP: sfu.h is
 * its whole view of the media.
 */
#ifndef RTSTAGE_MEDIA_WHIP_H
#define RTSTAGE_MEDIA_WHIP_H

#include <stddef.h>

#include "core/ctx.h"
#include "http/server.h"
#include "ivs/ptoken.h"
#include "media/sfu.h"

/* Who offers: a verified token's facts (HTTP) or an events socket's
 * (XDP). Text members are never NULL. */
struct whip_caller {
	const char *stage_arn;
	const char *participant_id;
	const char *whip_url;		/* the token's whip_url: the base of Location */
	int publish, subscribe;		/* allow_publish, allow_subscribe */
	int via_socket;			/* XDP: its events socket joined it */
	const char *user_id;		/* for a WHIP join */
	const char *attributes;		/* JSON object text, for a WHIP join */
	const char *token;		/* the token itself, sent with an offer forwarded
					 * to the node hosting the stage (NULL: none) */
	int forwarded;			/* another node forwarded it: never forward again */
};

#define WHIP_URL_CAP (PTOKEN_URL_CAP + 64)

/* The outcome of an offer, in the terms of both transports. */
struct whip_result {
	int status;			/* 201, or the HTTP status of the refusal */
	int code;			/* the IVS error code of a refusal (0: none) */
	char message[256];
	char *sdp;			/* 201: the answer (malloc'd; whip_result_free) */
	char location[WHIP_URL_CAP];	/* 201: the session URL */
	char delete_link[WHIP_URL_CAP];	/* 201: the session-delete beacon URL */
};

/* Registers the metrics; call once before serving. */
void whip_init(void);

/* Serves the offer sdp (len bytes) of w to target, the part of a WHIP
 * URL after the whip base: "publish/ID", "subscribe/ID", or "" (a bare
 * WHIP publish as w's participant). Checks the target and capabilities
 * (a refusal of a capability is recorded as PUBLISH_ERROR or
 * SUBSCRIBE_ERROR), then, with several nodes, finds the stage's host
 * (stage_host.h): another node's offer is forwarded to it with w's token
 * and its answer taken as it is (a forwarded one, or one with no token,
 * is refused 503 + 2013 instead); a stage no live node hosts becomes this
 * node's. Here it asks the SFU, and joins a participant offering with
 * no events socket as a WHIP participant. Fills *r (free it with
 * whip_result_free). Waits for the SFU (milliseconds) and the store: run
 * it on a worker or job thread, never on an event loop. Thread-safe. */
void whip_offer(const struct whip_caller *w, const char *target, const char *sdp, size_t len,
    struct whip_result *r);

/* Frees what r holds. Accepts a zeroed result. */
void whip_result_free(struct whip_result *r);

/* The route of every request under /whip: OPTIONS (CORS preflight),
 * POST of offers, DELETE of sessions and the session-delete beacon.
 * Runs on HTTP worker threads. */
void whip_route(const struct http_request *req, struct http_response *res, struct call *c);

/* One of the media sessions of participant_id of stage_arn ended. Did
 * it join by its WHIP offers alone (no events socket), and has it no
 * media session left? If so it is forgotten (the caller records its
 * leave) and 1 is returned; else 0. Thread-safe. */
int whip_bare_ended(const char *stage_arn, const char *participant_id);

#endif
