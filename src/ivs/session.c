/* Stage sessions and participants: the rules of what the runtime records
 * (a session starts with the first join of an idle stage and ends an idle
 * time after the last leave; revoked ids stay out) over the rows of
 * src/store/session_store.c. Never opens a transaction: each call runs
 * inside the caller's store job. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/ids.h"
#include "ivs/session.h"
#include "limits.h"
#include "store/token_store.h"

#define SESSION_ID_RANDOM 13	/* alphanumerics after "st-" */

/* The events the runtime records, and what each needs. */
static const struct {
	const char *name;
	int remote;		/* needs remoteParticipantId */
	int error;		/* needs errorCode */
	int publishes;		/* sets the participant's published */
} events[] = {
	{ "PUBLISH_STARTED", 0, 0, 1 },
	{ "PUBLISH_STOPPED", 0, 0, 0 },
	{ "SUBSCRIBE_STARTED", 1, 0, 0 },
	{ "SUBSCRIBE_STOPPED", 1, 0, 0 },
	{ "PUBLISH_ERROR", 0, 1, 0 },
	{ "SUBSCRIBE_ERROR", 1, 1, 0 },
	{ "JOIN_ERROR", 0, 1, 0 },
};

/* The model's EventErrorCode. */
static const char *const error_codes[] = {
	"INSUFFICIENT_CAPABILITIES", "QUOTA_EXCEEDED", "PUBLISHER_NOT_FOUND",
	"BITRATE_EXCEEDED", "RESOLUTION_EXCEEDED", "STREAM_DURATION_EXCEEDED",
	"INVALID_AUDIO_CODEC", "INVALID_VIDEO_CODEC", "INVALID_PROTOCOL", "INVALID_STREAM_KEY",
	"REUSE_OF_STREAM_KEY", "B_FRAME_PRESENT", "INVALID_INPUT", "INTERNAL_SERVER_EXCEPTION",
};

static _Atomic(session_notifier_fn) notifier;

long long
session_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends event name of participant_id to session_id at now_ms. */
static enum err_code
record(struct store *s, const char *session_id, const char *participant_id, const char *name,
    long long now_ms, struct err *e)
{
	struct event_row ev = { .participant_id = participant_id, .name = name,
	    .event_ms = now_ms, .remote_participant_id = "", .error_code = "",
	    .previous_token = "", .new_token = "" };

	return store_event_insert(s, session_id, &ev, e);
}

/* The active session of the stage, made if there is none. */
static enum err_code
active_or_new(struct store *s, const char *stage_arn, long long now_ms,
    struct session_rec *out, struct err *e)
{
	char random[SESSION_ID_RANDOM + 1];
	enum err_code rc = store_session_active(s, stage_arn, out, e);

	if (rc != ERR_NOT_FOUND)
		return rc;	/* not e->code: it may hold a caller's earlier error */
	if (ids_alnum(random, SESSION_ID_RANDOM) != 0)
		return err_set(e, ERR_INTERNAL, "no randomness for a session id");
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "st-%s", random);
	out->start_ms = now_ms;
	e->code = ERR_OK;
	return store_session_insert(s, stage_arn, out->id, now_ms, e);
}

enum err_code
session_join(struct store *s, const struct session_join *j, long long now_ms,
    char session_id[SESSION_ID_CAP], struct err *e)
{
	const char *pid = j->who.participant_id;
	struct session_rec ses;
	int state;

	if (active_or_new(s, j->stage_arn, now_ms, &ses, e) != ERR_OK ||
	    store_participant_state(s, ses.id, pid, &state, e) != ERR_OK)
		return e->code;
	if (state == 0 && store_participant_insert(s, ses.id, &j->who, now_ms, e) != ERR_OK)
		return e->code;
	if (state != 0 && store_participant_rejoin(s, ses.id, &j->who, e) != ERR_OK)
		return e->code;
	if (state != 2 && store_session_connected(s, ses.id, 1, now_ms, e) != ERR_OK)
		return e->code;
	if (record(s, ses.id, pid, "JOINED", now_ms, e) != ERR_OK ||
	    store_participant_live_set(s, ses.id, pid, &(struct live_state){ 0, 0, 0 }, e) !=
	    ERR_OK)
		return e->code;
	memcpy(session_id, ses.id, SESSION_ID_CAP);
	return ERR_OK;
}

/* The active session of the stage, in which participant_id is connected. */
static enum err_code
connected_in(struct store *s, const char *stage_arn, const char *participant_id,
    struct session_rec *ses, struct err *e)
{
	int state;
	enum err_code rc = store_session_active(s, stage_arn, ses, e);

	if (rc == ERR_NOT_FOUND)
		state = 0;
	else if (rc != ERR_OK ||
	    store_participant_state(s, ses->id, participant_id, &state, e) != ERR_OK)
		return e->code;
	if (state != 2)
		return err_set(e, ERR_NOT_FOUND, "participant %s is not connected to %s",
		    participant_id, stage_arn);
	return ERR_OK;
}

enum err_code
session_leave(struct store *s, const char *stage_arn, const char *participant_id,
    long long now_ms, int *empty, struct err *e)
{
	struct session_rec ses;

	*empty = 0;
	if (connected_in(s, stage_arn, participant_id, &ses, e) != ERR_OK ||
	    store_participant_disconnect(s, ses.id, participant_id, e) != ERR_OK ||
	    store_session_connected(s, ses.id, -1, now_ms, e) != ERR_OK ||
	    record(s, ses.id, participant_id, "LEFT", now_ms, e) != ERR_OK)
		return e->code;
	*empty = ses.connected <= 1;
	return ERR_OK;
}

/* Whoever ends a participant (its last socket, DisconnectParticipant,
 * DeleteStage, a restart), its media ends with it, and the SFU's
 * session_ended hooks arrive only after the participant is DISCONNECTED,
 * when session_event has nobody to record them for. So the stops are
 * recorded with the leave, before the LEFT, from the history itself:
 * the history is the record of what started and what stopped, the same
 * on every node, with no need to ask the SFU of the node holding the
 * media. Stops that arrived first closed their media already, so
 * nothing is recorded twice; late hooks find nothing to record. */
enum err_code
session_join_seq(struct store *s, const char *stage_arn, const char *participant_id,
    long long *seq, struct err *e)
{
	struct session_rec ses;
	enum err_code rc = store_session_active(s, stage_arn, &ses, e);

	*seq = 0;
	if (rc == ERR_NOT_FOUND) {
		e->code = ERR_OK;
		return ERR_OK;
	}
	if (rc != ERR_OK)
		return rc;
	return store_participant_last_join(s, ses.id, participant_id, seq, e);
}

enum err_code
session_stop_media(struct store *s, const char *stage_arn, const char *participant_id,
    long long now_ms, struct err *e)
{
	struct session_rec ses;

	if (connected_in(s, stage_arn, participant_id, &ses, e) != ERR_OK)
		return e->code;
	return store_participant_media_stop(s, ses.id, participant_id, now_ms, e);
}

static int
known_code(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
		if (strcmp(code, error_codes[i]) == 0)
			return 1;
	return 0;
}

enum err_code
session_event(struct store *s, const char *stage_arn, const char *participant_id,
    const char *name, const char *remote, const char *error_code, long long now_ms,
    struct err *e)
{
	struct event_row ev = { .participant_id = participant_id, .name = name,
	    .event_ms = now_ms, .remote_participant_id = "", .error_code = "",
	    .previous_token = "", .new_token = "" };
	struct session_rec ses;
	size_t i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(name, events[i].name) == 0)
			break;
	if (i == sizeof(events) / sizeof(events[0]))
		return err_set(e, ERR_VALIDATION, "unknown participant event %s", name);
	if (events[i].remote && (remote == NULL || *remote == '\0'))
		return err_set(e, ERR_VALIDATION, "event %s needs the remote participant", name);
	if (events[i].error && !known_code(error_code))
		return err_set(e, ERR_VALIDATION, "event %s needs an EventErrorCode, not %s", name,
		    error_code ? error_code : "none");
	if (events[i].remote)
		ev.remote_participant_id = remote;
	if (events[i].error)
		ev.error_code = error_code;
	if (connected_in(s, stage_arn, participant_id, &ses, e) != ERR_OK ||
	    (events[i].publishes &&
	    store_participant_published(s, ses.id, participant_id, e) != ERR_OK))
		return e->code;
	return store_event_insert(s, ses.id, &ev, e);
}

enum err_code
session_token_exchanged(struct store *s, const char *stage_arn, const char *participant_id,
    const char *previous, const char *next, long long now_ms, struct err *e)
{
	struct event_row ev = { .participant_id = participant_id, .name = "TOKEN_EXCHANGED",
	    .event_ms = now_ms, .remote_participant_id = "", .error_code = "",
	    .previous_token = previous, .new_token = next };
	struct session_rec ses;

	if (connected_in(s, stage_arn, participant_id, &ses, e) != ERR_OK)
		return e->code;
	return store_event_insert(s, ses.id, &ev, e);
}

enum err_code
session_end_idle(struct store *s, long long now_ms, long long idle_ms, struct err *e)
{
	return store_sessions_end_idle(s, now_ms, now_ms - idle_ms, e);
}

enum err_code
session_recover(struct store *s, const char *node, long long now_ms, struct err *e)
{
	return store_participants_drop_node(s, node, now_ms, e);
}

enum err_code
session_end_stage(struct store *s, const char *stage_arn, long long now_ms, struct err *e)
{
	struct session_rec ses;

	if (store_session_active(s, stage_arn, &ses, e) == ERR_NOT_FOUND)
		return e->code = ERR_OK;
	if (e->code != ERR_OK || store_participants_drop_session(s, ses.id, now_ms, e) != ERR_OK)
		return e->code;
	return store_session_end(s, ses.id, now_ms, e);
}

enum err_code
session_active_id(struct store *s, const char *stage_arn, char out[SESSION_ID_CAP],
    struct err *e)
{
	struct session_rec ses;

	out[0] = '\0';
	if (store_session_active(s, stage_arn, &ses, e) == ERR_NOT_FOUND)
		return e->code = ERR_OK;
	if (e->code == ERR_OK)
		memcpy(out, ses.id, SESSION_ID_CAP);
	return e->code;
}

enum err_code
session_retain(struct store *s, long long now_ms, int days, struct err *e)
{
	return store_sessions_purge(s, now_ms - days * 86400000LL,
	    now_ms - LIMIT_REVOCATION_KEEP_MS, e);
}

enum err_code
session_revoke(struct store *s, const char *stage_arn, const char *participant_id,
    long long now_ms, int *was_connected, struct err *e)
{
	int empty;

	*was_connected = 0;
	if (store_revocation_insert(s, stage_arn, participant_id, now_ms, e) != ERR_OK ||
	    store_token_revoke(s, stage_arn, participant_id, e) != ERR_OK)
		return e->code;
	if (session_stop_media(s, stage_arn, participant_id, now_ms, e) == ERR_OK &&
	    session_leave(s, stage_arn, participant_id, now_ms, &empty, e) == ERR_OK)
		*was_connected = 1;
	else if (e->code == ERR_NOT_FOUND)
		e->code = ERR_OK;
	return e->code;
}

enum err_code
session_is_revoked(struct store *s, const char *stage_arn, const char *participant_id,
    int *revoked, struct err *e)
{
	return store_revocation_get(s, stage_arn, participant_id, revoked, e);
}

enum err_code
session_is_refused(struct store *s, const char *stage_arn, const char *participant_id,
    int *refused, struct err *e)
{
	struct token_rec rec;

	*refused = 0;
	if (store_revocation_get(s, stage_arn, participant_id, refused, e) != ERR_OK || *refused)
		return e->code;
	memset(&rec, 0, sizeof(rec));
	if (store_token_get(s, participant_id, &rec, e) == ERR_OK) {
		*refused = rec.revoked && strcmp(rec.stage_arn, stage_arn) == 0;
		free(rec.attributes);
		return ERR_OK;
	}
	return e->code == ERR_NOT_FOUND ? (e->code = ERR_OK) : e->code;
}

enum err_code
session_set_live(struct store *s, const char *stage_arn, const char *participant_id,
    const struct live_state *l, struct err *e)
{
	struct session_rec ses;

	if (connected_in(s, stage_arn, participant_id, &ses, e) != ERR_OK)
		return e->code;
	return store_participant_live_set(s, ses.id, participant_id, l, e);
}

enum err_code
session_set_publishing(struct store *s, const char *stage_arn, const char *participant_id,
    int on, struct err *e)
{
	struct session_rec ses;

	if (connected_in(s, stage_arn, participant_id, &ses, e) != ERR_OK)
		return e->code;
	return store_participant_publishing_set(s, ses.id, participant_id, on, e);
}

enum err_code
session_is_connected(struct store *s, const char *stage_arn, const char *participant_id,
    int *connected, struct err *e)
{
	struct session_rec ses;

	*connected = connected_in(s, stage_arn, participant_id, &ses, e) == ERR_OK;
	if (!*connected && e->code == ERR_NOT_FOUND)
		e->code = ERR_OK;
	return e->code;
}

enum err_code
session_roster(struct store *s, const char *stage_arn,
    enum err_code (*participant)(void *, const struct roster_row *),
    enum err_code (*kicked)(void *, const char *), void *arg, struct err *e)
{
	struct session_rec ses;

	if (store_session_active(s, stage_arn, &ses, e) == ERR_OK) {
		if (store_roster_connected(s, ses.id, participant, arg, e) != ERR_OK)
			return e->code;
	} else if (e->code != ERR_NOT_FOUND) {
		return e->code;
	}
	e->code = ERR_OK;
	return store_revocations_of(s, stage_arn, kicked, arg, e);
}

void
session_set_notifier(session_notifier_fn fn)
{
	atomic_store(&notifier, fn);
}

void
session_notify(const struct session_note *n)
{
	session_notifier_fn fn = atomic_load(&notifier);

	if (fn != NULL)
		fn(n);
}
