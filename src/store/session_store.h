/* Stage sessions, their participants, the participants' events and
 * revocations, as stored: the rows and the queries on them.
 *
 * SQL only: the caller (src/ivs/session.c) holds the transaction and
 * decides what changes. Times are milliseconds since the epoch; a
 * session's end_ms is 0 while it is active.
 */
#ifndef RTSTAGE_STORE_SESSION_STORE_H
#define RTSTAGE_STORE_SESSION_STORE_H

#include "store/store.h"

#define SESSION_ID_CAP 17	/* "st-" + 13 alphanumerics and the NUL */

struct session_rec {
	long long seq;			/* list order, assigned by the store */
	char id[SESSION_ID_CAP];
	long long start_ms, end_ms;	/* end_ms 0: active */
	long long connected;		/* participants connected now */
};

/* A participant of a session as stored. Text members point into the
 * current row: valid only during the callback that receives the record. */
struct participant_row {
	long long seq;
	const char *session_id, *participant_id, *user_id;
	const char *attributes;		/* JSON object text */
	const char *state;		/* CONNECTED or DISCONNECTED */
	long long first_join_ms;
	int published;
	const char *recording_state, *protocol;
	const char *browser_name, *browser_version, *os_name, *os_version, *sdk_version;
	const char *node;		/* the rtstage node holding its connection */
};

/* An event as stored; text members as in participant_row, "" when absent. */
struct event_row {
	long long seq;
	const char *participant_id, *name;
	long long event_ms;
	const char *remote_participant_id, *error_code;
	const char *previous_token, *new_token;	/* JSON object text or "" */
};

/* Inserts a session of stage_arn, active, with nobody connected yet. */
enum err_code store_session_insert(struct store *s, const char *stage_arn, const char *id,
    long long start_ms, struct err *e);

/* Reads the active session of stage_arn into out; ERR_NOT_FOUND if none. */
enum err_code store_session_active(struct store *s, const char *stage_arn,
    struct session_rec *out, struct err *e);

/* Reads session id of stage_arn into out; ERR_NOT_FOUND if none. */
enum err_code store_session_get(struct store *s, const char *stage_arn, const char *id,
    struct session_rec *out, struct err *e);

/* Adds delta to the connected count of session id; when it falls, the
 * session's empty-since time becomes now_ms. */
enum err_code store_session_connected(struct store *s, const char *id, int delta,
    long long now_ms, struct err *e);

/* Ends session id at now_ms with nobody connected. */
enum err_code store_session_end(struct store *s, const char *id, long long now_ms,
    struct err *e);

/* Sets *any when some active session has had nobody connected since
 * idle_before_ms or earlier: store_sessions_end_idle would end it. A read:
 * the periodic sweep writes (and syncs) only when there is something to end. */
enum err_code store_sessions_any_idle(struct store *s, long long idle_before_ms, int *any,
    struct err *e);

/* Ends, at now_ms, every active session with nobody connected since
 * idle_before_ms or earlier. */
enum err_code store_sessions_end_idle(struct store *s, long long now_ms,
    long long idle_before_ms, struct err *e);

/* Calls row(arg, rec) for up to limit sessions of stage_arn with
 * seq < before, newest first. */
enum err_code store_sessions_page(struct store *s, const char *stage_arn, long long before,
    int limit, enum err_code (*row)(void *arg, const struct session_rec *r), void *arg,
    struct err *e);

/* A participant as the runtime describes it on joining. */
struct participant_join {
	const char *participant_id, *user_id;
	const char *attributes;		/* JSON object text */
	const char *protocol;		/* "" when none */
	const char *browser_name, *browser_version, *os_name, *os_version, *sdk_version;
	const char *node;
};

/* Records p as CONNECTED in session_id: a new row with firstJoinTime
 * now_ms, or the existing row updated (its firstJoinTime kept). */
enum err_code store_participant_insert(struct store *s, const char *session_id,
    const struct participant_join *p, long long now_ms, struct err *e);
enum err_code store_participant_rejoin(struct store *s, const char *session_id,
    const struct participant_join *p, struct err *e);

/* Sets *seq to the seq of the participant's latest JOINED event in
 * session_id (0: none). */
enum err_code store_participant_last_join(struct store *s, const char *session_id,
    const char *participant_id, long long *seq, struct err *e);

/* Sets *state to 0 (no such participant in session_id), 1 (DISCONNECTED)
 * or 2 (CONNECTED). */
enum err_code store_participant_state(struct store *s, const char *session_id,
    const char *participant_id, int *state, struct err *e);

/* Marks the participant DISCONNECTED. */
enum err_code store_participant_disconnect(struct store *s, const char *session_id,
    const char *participant_id, struct err *e);

/* Marks the participant as having published. */
enum err_code store_participant_published(struct store *s, const char *session_id,
    const char *participant_id, struct err *e);

/* Calls row(arg, r) with the participant; ERR_NOT_FOUND if none. */
enum err_code store_participant_read(struct store *s, const char *session_id,
    const char *participant_id, enum err_code (*row)(void *arg, const struct participant_row *r),
    void *arg, struct err *e);

/* ListParticipants' filters: at most one applies to a page. */
enum participant_filter {
	PFILTER_NONE, PFILTER_USER, PFILTER_PUBLISHED, PFILTER_STATE, PFILTER_RECORDING,
	PFILTER__COUNT
};

/* Calls row(arg, r) for up to limit participants of session_id with
 * seq > after, in seq order, that pass filter (text: the user id, state or
 * recording state; flag: published). */
enum err_code store_participants_page(struct store *s, const char *session_id,
    enum participant_filter filter, const char *text, int flag, long long after, int limit,
    enum err_code (*row)(void *arg, const struct participant_row *r), void *arg,
    struct err *e);

/* Appends an event; the fields of ev other than seq are written. */
enum err_code store_event_insert(struct store *s, const char *session_id,
    const struct event_row *ev, struct err *e);

/* Calls row(arg, r) for up to limit events of the participant in
 * session_id with seq > after, in time (seq) order. */
enum err_code store_events_page(struct store *s, const char *session_id,
    const char *participant_id, long long after, int limit,
    enum err_code (*row)(void *arg, const struct event_row *r), void *arg, struct err *e);

/* The media the connected participant still has running by its history
 * (a PUBLISH_STARTED, or a SUBSCRIBE_STARTED of a remote, not yet stopped)
 * gets its PUBLISH_STOPPED / SUBSCRIBE_STOPPED at now_ms. Nothing running
 * is ERR_OK. */
enum err_code store_participant_media_stop(struct store *s, const char *session_id,
    const char *participant_id, long long now_ms, struct err *e);

/* Sets *running when participant_id has, in stage_arn's active session,
 * media of one kind running by its history: a publish (publish set,
 * remote "") or a subscription to remote whose start was not followed by
 * a start, stop or error of the same. */
enum err_code store_participant_media_running(struct store *s, const char *stage_arn,
    const char *participant_id, int publish, const char *remote, int *running, struct err *e);

/* Every participant CONNECTED through node becomes DISCONNECTED with its
 * running media stopped (store_participant_media_stop) and a LEFT event at
 * now_ms, and its session's count falls accordingly. */
enum err_code store_participants_drop_node(struct store *s, const char *node,
    long long now_ms, struct err *e);

/* Every participant CONNECTED in session_id becomes DISCONNECTED with its
 * running media stopped and a LEFT event at now_ms. */
enum err_code store_participants_drop_session(struct store *s, const char *session_id,
    long long now_ms, struct err *e);

/* Deletes sessions that ended before before_ms, with their participants
 * and events, and revocations made before revoked_before_ms. */
enum err_code store_sessions_purge(struct store *s, long long before_ms,
    long long revoked_before_ms, struct err *e);

/* Records that participant_id may no longer join stage_arn (idempotent). */
enum err_code store_revocation_insert(struct store *s, const char *stage_arn,
    const char *participant_id, long long now_ms, struct err *e);

/* Sets *revoked when participant_id is revoked for stage_arn. */
enum err_code store_revocation_get(struct store *s, const char *stage_arn,
    const char *participant_id, int *revoked, struct err *e);

/* The live state of a connected participant, as the events socket shows
 * it (migration 7). */
struct live_state {
	int audio_muted, video_stopped, is_publishing;
};

/* Writes the client's part of the live state of the participant in
 * session_id: audio_muted and video_stopped (is_publishing is the
 * media's: store_participant_publishing_set). */
enum err_code store_participant_live_set(struct store *s, const char *session_id,
    const char *participant_id, const struct live_state *l, struct err *e);

/* Sets is_publishing of the participant in session_id (its media is up,
 * or ended). */
enum err_code store_participant_publishing_set(struct store *s, const char *session_id,
    const char *participant_id, int on, struct err *e);

/* A connected participant of a roster; text valid during the callback. */
struct roster_row {
	const char *participant_id, *user_id, *attributes;
	struct live_state live;
};

/* Calls row(arg, r) for every CONNECTED participant of session_id in
 * seq order (one statement). */
enum err_code store_roster_connected(struct store *s, const char *session_id,
    enum err_code (*row)(void *arg, const struct roster_row *r), void *arg, struct err *e);

/* Calls id(arg, participant_id) for every participant revoked for
 * stage_arn, oldest first. */
enum err_code store_revocations_of(struct store *s, const char *stage_arn,
    enum err_code (*id)(void *arg, const char *participant_id), void *arg, struct err *e);

#endif
