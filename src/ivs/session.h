/* Stage sessions and participants: what the runtime records as people
 * join, publish, subscribe and leave, and the API operations that read
 * that history (participant.c).
 *
 * Every session_* call below works inside one store job: the caller runs
 * it through store_write (or store_read for the reads) with the job's
 * struct store, and the call never opens or closes a transaction. Times
 * are milliseconds since the epoch, given by the caller.
 */
#ifndef RTSTAGE_IVS_SESSION_H
#define RTSTAGE_IVS_SESSION_H

#include "aws/call.h"
#include "store/session_store.h"

/* A participant joining: who (from its token) and how (from the runtime:
 * the User-Agent and X-Stages-* headers, the node holding the socket).
 * Text members may be "" but not NULL; attributes is JSON object text. */
struct session_join {
	const char *stage_arn;
	struct participant_join who;
};

/* Starts the stage's session if none is active, records the participant
 * CONNECTED in it (its firstJoinTime kept from its first join of that
 * session) and a JOINED event. Writes the session id into session_id.
 * A participant already connected is recorded again (no count change). */
enum err_code session_join(struct store *s, const struct session_join *j, long long now_ms,
    char session_id[SESSION_ID_CAP], struct err *e);

/* The media a connected participant has running by its history (a
 * PUBLISH_STARTED, or a SUBSCRIBE_STARTED of a remote, not yet stopped)
 * gets its PUBLISH_STOPPED / SUBSCRIBE_STOPPED at now_ms: call it before
 * session_leave when the participant's media ends with it
 * (session_revoke, session_end_stage and session_recover do it
 * themselves). ERR_NOT_FOUND when it is not connected to the stage. */
enum err_code session_stop_media(struct store *s, const char *stage_arn,
    const char *participant_id, long long now_ms, struct err *e);

/* Sets *seq to the seq of the participant's latest JOINED event in the
 * stage's active session (0: none, or no session). A connection that
 * joined as seq j and later closes is stale when this has grown past j:
 * the participant joined again meanwhile (a reconnect whose join was
 * recorded before the old connection's close was noticed), and its leave
 * must not end the new connection's presence. */
enum err_code session_join_seq(struct store *s, const char *stage_arn,
    const char *participant_id, long long *seq, struct err *e);

/* The participant leaves: DISCONNECTED and a LEFT event. Sets *empty when
 * nobody is connected to the stage any more (the idle time starts).
 * ERR_NOT_FOUND when the participant is not connected to the stage. */
enum err_code session_leave(struct store *s, const char *stage_arn, const char *participant_id,
    long long now_ms, int *empty, struct err *e);

/* An event of a connected participant. name is one of the model's
 * EventName values the runtime produces: PUBLISH_STARTED (which sets
 * published), PUBLISH_STOPPED, SUBSCRIBE_STARTED and SUBSCRIBE_STOPPED
 * (remote: the remote participant id), PUBLISH_ERROR, SUBSCRIBE_ERROR and
 * JOIN_ERROR (error_code: an EventErrorCode value). NULL for what does not
 * apply. ERR_VALIDATION for an unknown name or error code, or a missing
 * remote id or code; ERR_NOT_FOUND when the participant is not in the
 * stage's active session. */
enum err_code session_event(struct store *s, const char *stage_arn, const char *participant_id,
    const char *name, const char *remote, const char *error_code, long long now_ms,
    struct err *e);

/* A TOKEN_EXCHANGED event: previous and next are ExchangedParticipantToken
 * objects as JSON text ({"capabilities", "attributes", "userId",
 * "expirationTime"}). */
enum err_code session_token_exchanged(struct store *s, const char *stage_arn,
    const char *participant_id, const char *previous, const char *next, long long now_ms,
    struct err *e);

/* Ends every session, of any stage, with nobody connected for idle_ms or
 * more (the runtime's timer calls it; --session-idle-timeout). */
enum err_code session_end_idle(struct store *s, long long now_ms, long long idle_ms,
    struct err *e);

/* At start, before serving: every participant CONNECTED through node
 * has its running media stopped and becomes DISCONNECTED with a LEFT
 * event (nobody is connected after a restart); their sessions then end as
 * idle ones do. */
enum err_code session_recover(struct store *s, const char *node, long long now_ms,
    struct err *e);

/* DeleteStage, inside its job: the stage's active session ends now, its
 * participants' running media stopped and they DISCONNECTED with LEFT
 * events. Nothing to do is ERR_OK. */
enum err_code session_end_stage(struct store *s, const char *stage_arn, long long now_ms,
    struct err *e);

/* The active session id of the stage into out, "" when none (GetStage's
 * and ListStages' activeSessionId). */
enum err_code session_active_id(struct store *s, const char *stage_arn,
    char out[SESSION_ID_CAP], struct err *e);

/* Deletes the history of sessions ended more than days ago, and
 * revocations older than any token they could refuse. */
enum err_code session_retain(struct store *s, long long now_ms, int days, struct err *e);

/* DisconnectParticipant's write: participant_id may no longer join
 * stage_arn (whoever signed its token); its token record, if rtstage
 * issued it, is marked revoked; if connected its running media is
 * stopped (session_stop_media) and it becomes DISCONNECTED with a LEFT
 * event (*was_connected set). */
enum err_code session_revoke(struct store *s, const char *stage_arn,
    const char *participant_id, long long now_ms, int *was_connected, struct err *e);

/* Sets *revoked when participant_id was revoked for stage_arn: the
 * runtime refuses its join. */
enum err_code session_is_revoked(struct store *s, const char *stage_arn,
    const char *participant_id, int *revoked, struct err *e);

/* Sets *refused when participant_id may not take part in stage_arn: it
 * was disconnected (session_is_revoked), or the token record rtstage
 * issued for it is revoked. What the events join and WHIP both check. */
enum err_code session_is_refused(struct store *s, const char *stage_arn,
    const char *participant_id, int *refused, struct err *e);

/* The client's live state of a connected participant (SET_STATE: audio
 * muted, video stopped; l->is_publishing is ignored, the media sets it).
 * ERR_NOT_FOUND when it is not connected to the stage. */
enum err_code session_set_live(struct store *s, const char *stage_arn,
    const char *participant_id, const struct live_state *l, struct err *e);

/* The media of a connected participant: on, its publish is up (the
 * roster's isPublishing); off, it ended. ERR_NOT_FOUND when it is not
 * connected to the stage. */
enum err_code session_set_publishing(struct store *s, const char *stage_arn,
    const char *participant_id, int on, struct err *e);

/* Sets *connected when participant_id is connected to stage_arn's active
 * session (by an events socket or as a WHIP publisher). */
enum err_code session_is_connected(struct store *s, const char *stage_arn,
    const char *participant_id, int *connected, struct err *e);

/* The roster of the stage's active session: participant(arg, r) for each
 * connected participant, then kicked(arg, id) for each id revoked for the
 * stage. Run it in store_read (one snapshot). */
enum err_code session_roster(struct store *s, const char *stage_arn,
    enum err_code (*participant)(void *arg, const struct roster_row *r),
    enum err_code (*kicked)(void *arg, const char *participant_id), void *arg,
    struct err *e);

/* What happened, for the live runtime to act on (close sockets). */
enum session_note_kind { SESSION_NOTE_DISCONNECTED, SESSION_NOTE_STAGE_DELETED };

struct session_note {
	enum session_note_kind what;
	const char *stage_arn;
	const char *participant_id;	/* NULL for SESSION_NOTE_STAGE_DELETED */
	const char *reason;		/* DisconnectParticipant's reason, or "" */
};

typedef void (*session_notifier_fn)(const struct session_note *n);

/* The place the runtime plugs in: fn is called, after the commit, with
 * every disconnection and stage deletion the API made. Set it once before
 * serving (NULL: nobody listens); fn runs on request threads, must be
 * thread-safe and must not block. */
void session_set_notifier(session_notifier_fn fn);

/* Tells the notifier, if one is set, of n. Call after the commit. */
void session_notify(const struct session_note *n);

/* The current time, milliseconds since the epoch. */
long long session_now_ms(void);

/* The API operations (participant.c). */
enum err_code stage_session_get(struct call *c, const json_t *in, json_t **out);
enum err_code stage_session_list(struct call *c, const json_t *in, json_t **out);
enum err_code participant_get(struct call *c, const json_t *in, json_t **out);
enum err_code participant_list(struct call *c, const json_t *in, json_t **out);
enum err_code participant_events_list(struct call *c, const json_t *in, json_t **out);
enum err_code participant_disconnect(struct call *c, const json_t *in, json_t **out);

#endif
