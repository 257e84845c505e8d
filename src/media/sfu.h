/* The SFU: media of every stage this node hosts, forwarded without
 * decoding. This header is its whole contract with signalling (WHIP over
 * HTTP, SDP over the events socket) and with the runtime.
 *
 * One UDP port for every peer (ICE-lite, demultiplexed by STUN username
 * then by address) plus ICE-TCP passive on the same port number;
 * DTLS-SRTP per peer; RTP rewritten per subscriber; RTCP feedback handled.
 * The SFU runs on event-loop threads of its own and never waits on the
 * store: what the store must learn (publish started, stopped, ...) leaves
 * through the hooks below, which hand it on.
 */
#ifndef RTSTAGE_MEDIA_SFU_H
#define RTSTAGE_MEDIA_SFU_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SFU_ID_CAP 40		/* a media session id: URL-safe text */
#define SFU_ARN_CAP 192
#define SFU_PID_CAP 72

struct sfu_options {
	const char *addresses;	/* IP[,IP...] for host candidates (config's media_addresses) */
	unsigned port;		/* UDP port, and the ICE-TCP port; 0: any free (tests) */
	const char *announce_ip;	/* NULL, or the address candidates announce */
};

/* What happened to a media session, for the roster and the history. Every
 * hook runs on an SFU thread: it must be quick and must not block (post
 * the work on). remote_id is "" for publish sessions. */
struct sfu_hooks {
	/* a publisher's DTLS is up and its first media arrived: isPublishing */
	void (*publish_started)(const char *stage_arn, const char *participant_id);
	/* a subscriber's DTLS is up and the first forwarded packet left */
	void (*subscribe_started)(const char *stage_arn, const char *participant_id,
	    const char *remote_id);
	/* a session ended: reason is one of the SFU_END_* texts below; the
	 * error code (the model's EventErrorCode, e.g. BITRATE_EXCEEDED) is ""
	 * for a normal end */
	void (*session_ended)(const char *stage_arn, const char *participant_id,
	    const char *remote_id, int publish, const char *reason, const char *error_code);
};

/* Reasons a session ends. */
#define SFU_END_DELETED "deleted"		/* DELETE of its URL, or the participant left */
#define SFU_END_ICE "ice-failed"		/* no ICE connectivity within the deadline */
#define SFU_END_DTLS "dtls-failed"		/* DTLS handshake failed or timed out */
#define SFU_END_CONSENT "consent-lost"		/* no consent refresh for 30 s */
#define SFU_END_PUBLISHER_GONE "publisher-gone"	/* a subscription whose publisher ended */
#define SFU_END_LIMIT "limit"			/* bitrate or resolution over the IVS limits */
#define SFU_END_SHUTDOWN "shutdown"

/* Opens the port(s), starts the SFU's threads. Call once, before serving. */
enum err_code sfu_start(const struct sfu_options *o, const struct sfu_hooks *hooks,
    struct err *e);

/* Ends every session (hooks are called with SFU_END_SHUTDOWN), closes the
 * port(s), joins the threads. A no-op if never started. */
void sfu_stop(void);

/* The UDP port bound (useful after asking for 0). */
unsigned sfu_port(void);

enum sfu_role { SFU_PUBLISH, SFU_SUBSCRIBE };

struct sfu_offer {
	enum sfu_role role;
	const char *stage_arn;
	const char *participant_id;	/* who publishes, or who subscribes */
	const char *remote_id;		/* SFU_SUBSCRIBE: the publisher subscribed to */
	const char *sdp;		/* the client's offer */
	size_t sdp_len;
};

/* The outcome of an offer, in the terms the IVS clients read: status 201
 * with the answer, or an HTTP status with the IVS error code (and the
 * model's EventErrorCode for the history, "" if none):
 *   400 + 2014  no H.264 constrained baseline video (INVALID_VIDEO_CODEC)
 *   400         an offer that cannot be read or served
 *   403 + 2005  the stage has its 12 publishers (STAGE_AT_CAPACITY)
 *   404 + 2004  subscribe: the remote participant is not publishing
 *   429 + 2013  subscribe: its publish is starting, media not up yet (retry)
 *   500 + 2006  the SFU failed */
struct sfu_answer {
	int status;
	int code;
	char error_code[40];
	char message[256];
	char session_id[SFU_ID_CAP];	/* 201: names the session (its URL ends with it) */
	char *sdp;			/* 201: the answer (malloc'd; the caller frees) */
};

/* Sets up a publish or subscribe session for o and answers it. One
 * publish session per participant: a new one replaces the old (a
 * republish). Thread-safe; waits (milliseconds) for the SFU thread to
 * accept the peer; never touches the store. Returns ERR_OK with a filled
 * (possibly refusing) answer, or ERR_INTERNAL. */
enum err_code sfu_offer(const struct sfu_offer *o, struct sfu_answer *a, struct err *e);

/* Ends the session named id, if it belongs to participant_id (NULL: any).
 * ERR_NOT_FOUND when there is none. Thread-safe. */
enum err_code sfu_end_session(const char *id, const char *participant_id, struct err *e);

/* Ends every session of a participant (it left, or was disconnected), or
 * of a whole stage (deleted). Thread-safe, non-blocking. */
void sfu_end_participant(const char *stage_arn, const char *participant_id);
void sfu_end_stage(const char *stage_arn);

/* Has participant_id of stage_arn a media session not ending (of either
 * role, up or still starting)? */
int sfu_has_sessions(const char *stage_arn, const char *participant_id);

/* Is participant_id of stage_arn publishing with media up? */
int sfu_is_publishing(const char *stage_arn, const char *participant_id);

/* For tests only (tests/unit/test_sfu.c): the ICE deadline after an offer
 * and the consent timeout, milliseconds, in place of LIMIT_SFU_ICE_MS and
 * LIMIT_SFU_CONSENT_MS (0 restores a default), for peers checked from now
 * on. Thread-safe. The server never calls it. */
void sfu_test_timeouts(uint64_t ice_ms, uint64_t consent_ms);

#endif
