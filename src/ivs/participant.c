/* The API over session history: GetStageSession, ListStageSessions,
 * GetParticipant, ListParticipants, ListParticipantEvents and
 * DisconnectParticipant. JSON at this edge only; the rules are in
 * session.c, the rows in src/store/session_store.c.
 *
 * A stage of another account or region, or one deleted, has no history
 * for the caller: Gets answer ResourceNotFoundException, Lists (whose
 * model names no such error) answer an empty page.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ivs/arn.h"
#include "ivs/ivs.h"
#include "ivs/paging.h"
#include "ivs/session.h"
#include "store/stage_store.h"
#include "util/timefmt.h"

/* A request's stage, session and participant, and what its job found. */
struct history_job {
	struct call *c;
	const json_t *in;
	const char *stage_arn, *session_id, *participant_id;
	struct paging *p;
	enum participant_filter filter;
	const char *filter_text;
	int filter_flag;
	json_t *found;		/* Gets: the object read */
};

/* ISO 8601 with milliseconds, as a JSON string (new reference). */
static json_t *
time_json(long long ms)
{
	char text[TIME_ISO8601_LEN], out[TIME_ISO8601_LEN + 16];
	int n;

	time_iso8601((time_t)(ms / 1000), text);
	text[TIME_ISO8601_LEN - 2] = '\0';	/* drop the Z */
	n = snprintf(out, sizeof(out), "%s.%03dZ", text, (int)(ms % 1000));
	return n > 0 && (size_t)n < sizeof(out) ? json_string(out) : NULL;
}

/* Sets key of o to the string v unless v is empty. */
static void
set_text(json_t *o, const char *key, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new(o, key, json_string(v));
}

/* A JSON object text as a new reference ({} when it cannot be read). */
static json_t *
object_json(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	if (json_is_object(v))
		return v;
	json_decref(v);
	return json_object();
}

static json_t *
session_json(const struct session_rec *r)
{
	json_t *o = json_pack("{s:s, s:o}", "sessionId", r->id, "startTime",
	    time_json(r->start_ms));

	if (o != NULL && r->end_ms != 0)
		json_object_set_new(o, "endTime", time_json(r->end_ms));
	return o;
}

/* ParticipantSummary's members; Participant adds the rest. */
static json_t *
summary_json(const struct participant_row *r)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:s}",
	    "participantId", r->participant_id, "userId", r->user_id, "state", r->state,
	    "firstJoinTime", time_json(r->first_join_ms), "published", r->published,
	    "recordingState", r->recording_state, "replicationType", "NONE");
}

static enum err_code
participant_row(void *arg, const struct participant_row *r)
{
	struct history_job *j = arg;
	json_t *o = summary_json(r);

	if (o == NULL)
		return err_set(&j->c->err, ERR_INTERNAL, "out of memory");
	json_object_set_new(o, "attributes", object_json(r->attributes));
	/* recording is not served: no bucket, no prefix */
	json_object_set_new(o, "recordingS3BucketName", json_string(""));
	json_object_set_new(o, "recordingS3Prefix", json_string(""));
	set_text(o, "protocol", r->protocol);
	set_text(o, "browserName", r->browser_name);
	set_text(o, "browserVersion", r->browser_version);
	set_text(o, "osName", r->os_name);
	set_text(o, "osVersion", r->os_version);
	set_text(o, "sdkVersion", r->sdk_version);
	j->found = json_pack("{s:o}", "participant", o);
	return j->found ? ERR_OK : err_set(&j->c->err, ERR_INTERNAL, "out of memory");
}

/* Is the stage of the request the caller's, and does it exist? */
static enum err_code
stage_exists(struct history_job *j, struct store *s, int *exists)
{
	struct stage_rec st;
	struct arn a;

	*exists = 0;
	if (!arn_owned(j->stage_arn, "stage", j->c->who.account, j->c->who.region, &a))
		return ERR_OK;
	if (store_stage_get(s, a.account, a.region, a.id, &st, &j->c->err) == ERR_NOT_FOUND)
		return j->c->err.code = ERR_OK;
	*exists = j->c->err.code == ERR_OK;
	return j->c->err.code;
}

/* The stage, then the session of the request, must exist. */
static enum err_code
load_session(struct history_job *j, struct store *s, struct session_rec *ses)
{
	int exists;

	if (stage_exists(j, s, &exists) != ERR_OK)
		return j->c->err.code;
	if (!exists)
		return err_set(&j->c->err, ERR_NOT_FOUND, "Stage not found: %s", j->stage_arn);
	if (store_session_get(s, j->stage_arn, j->session_id, ses, &j->c->err) == ERR_NOT_FOUND)
		return err_set(&j->c->err, ERR_NOT_FOUND, "Stage session not found: no session "
		    "%s in stage %s", j->session_id, j->stage_arn);
	return j->c->err.code;
}

/* Reads the members every operation here names. */
static void
job_init(struct history_job *j, struct call *c, const json_t *in)
{
	memset(j, 0, sizeof(*j));
	j->c = c;
	j->in = in;
	j->stage_arn = json_string_value(json_object_get(in, "stageArn"));
	j->session_id = json_string_value(json_object_get(in, "sessionId"));
	j->participant_id = json_string_value(json_object_get(in, "participantId"));
}

/* Runs a reading job and hands its object over as the answer. */
static enum err_code
answer_found(struct history_job *j, store_job_fn job, json_t **out)
{
	if (store_read(job, j, &j->c->err) != ERR_OK) {
		json_decref(j->found);
		return j->c->err.code;
	}
	*out = j->found;
	return ERR_OK;
}

static enum err_code
session_get_tx(struct store *s, void *arg, struct err *e)
{
	struct history_job *j = arg;
	struct session_rec ses;

	if (load_session(j, s, &ses) != ERR_OK)
		return e->code;
	if ((j->found = json_pack("{s:o}", "stageSession", session_json(&ses))) == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	return ERR_OK;
}

enum err_code
stage_session_get(struct call *c, const json_t *in, json_t **out)
{
	struct history_job j;

	job_init(&j, c, in);
	return answer_found(&j, session_get_tx, out);
}

static enum err_code
participant_get_tx(struct store *s, void *arg, struct err *e)
{
	struct history_job *j = arg;
	struct session_rec ses;

	if (load_session(j, s, &ses) != ERR_OK)
		return e->code;
	if (store_participant_read(s, ses.id, j->participant_id, participant_row, j, e) ==
	    ERR_NOT_FOUND)
		return err_set(e, ERR_NOT_FOUND, "Participant not found: no participant %s in "
		    "session %s of stage %s", j->participant_id, j->session_id, j->stage_arn);
	return e->code;
}

enum err_code
participant_get(struct call *c, const json_t *in, json_t **out)
{
	struct history_job j;

	job_init(&j, c, in);
	return answer_found(&j, participant_get_tx, out);
}

/* Runs a List's job, whose rows fill p, and answers the page as member. */
static enum err_code
answer_page(struct history_job *j, const char *op, store_job_fn job, const char *member,
    json_t **out)
{
	struct paging p;

	if (paging_start(j->c, j->in, op, &p) != ERR_OK)
		return j->c->err.code;
	j->p = &p;
	if (store_read(job, j, &j->c->err) != ERR_OK) {
		paging_abort(&p);
		return j->c->err.code;
	}
	return paging_finish(j->c, &p, member, out);
}

static enum err_code
session_row(void *arg, const struct session_rec *r)
{
	struct history_job *j = arg;

	if (paging_full(j->p))
		return ERR_OK;	/* the row past the page: only tells that more exist */
	return paging_add(j->c, j->p, session_json(r), r->seq);
}

static enum err_code
session_list_tx(struct store *s, void *arg, struct err *e)
{
	struct history_job *j = arg;
	int exists;

	if (stage_exists(j, s, &exists) != ERR_OK || !exists)
		return e->code;
	/* newest first: a token names the last seq given, the next page is below it */
	return store_sessions_page(s, j->stage_arn, j->p->after ? j->p->after : INT64_MAX,
	    j->p->want + 1, session_row, j, e);
}

enum err_code
stage_session_list(struct call *c, const json_t *in, json_t **out)
{
	struct history_job j;

	job_init(&j, c, in);
	return answer_page(&j, "ListStageSessions", session_list_tx, "stageSessions", out);
}

/* ListParticipants' filters, by request member: AWS takes one at most. */
static const struct {
	const char *member;
	enum participant_filter filter;
} filters[] = {
	{ "filterByUserId", PFILTER_USER },
	{ "filterByPublished", PFILTER_PUBLISHED },
	{ "filterByState", PFILTER_STATE },
	{ "filterByRecordingState", PFILTER_RECORDING },
};

/* Chooses the request's filter; ERR_VALIDATION when it names several. */
static enum err_code
choose_filter(struct history_job *j)
{
	const json_t *v;
	const char *first = NULL;
	size_t i;

	j->filter = PFILTER_NONE;
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		if ((v = json_object_get(j->in, filters[i].member)) == NULL)
			continue;
		if (first != NULL)
			return err_set(&j->c->err, ERR_VALIDATION, "Only one of filterByUserId, "
			    "filterByPublished, filterByState, or filterByRecordingState can be "
			    "provided per request; this one has %s and %s", first,
			    filters[i].member);
		first = filters[i].member;
		j->filter = filters[i].filter;
		j->filter_text = json_string_value(v);
		j->filter_flag = json_is_true(v);
	}
	return ERR_OK;
}

static enum err_code
summary_row(void *arg, const struct participant_row *r)
{
	struct history_job *j = arg;

	if (paging_full(j->p))
		return ERR_OK;
	return paging_add(j->c, j->p, summary_json(r), r->seq);
}

/* The session of a List, if the stage and it exist; *found says so. */
static enum err_code
list_session(struct history_job *j, struct store *s, int *found)
{
	struct session_rec ses;

	*found = 0;
	if (load_session(j, s, &ses) == ERR_NOT_FOUND)
		return j->c->err.code = ERR_OK;
	*found = j->c->err.code == ERR_OK;
	return j->c->err.code;
}

static enum err_code
participant_list_tx(struct store *s, void *arg, struct err *e)
{
	struct history_job *j = arg;
	int found;

	if (list_session(j, s, &found) != ERR_OK || !found)
		return e->code;
	return store_participants_page(s, j->session_id, j->filter, j->filter_text,
	    j->filter_flag, j->p->after, j->p->want + 1, summary_row, j, e);
}

enum err_code
participant_list(struct call *c, const json_t *in, json_t **out)
{
	struct history_job j;

	job_init(&j, c, in);
	if (choose_filter(&j) != ERR_OK)
		return c->err.code;
	return answer_page(&j, "ListParticipants", participant_list_tx, "participants", out);
}

static json_t *
event_json(const struct event_row *r)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "name", r->name,
	    "participantId", r->participant_id, "eventTime", time_json(r->event_ms));

	if (o == NULL)
		return NULL;
	set_text(o, "remoteParticipantId", r->remote_participant_id);
	set_text(o, "errorCode", r->error_code);
	if (*r->previous_token != '\0')
		json_object_set_new(o, "previousToken", object_json(r->previous_token));
	if (*r->new_token != '\0')
		json_object_set_new(o, "newToken", object_json(r->new_token));
	return o;
}

static enum err_code
event_row(void *arg, const struct event_row *r)
{
	struct history_job *j = arg;

	if (paging_full(j->p))
		return ERR_OK;
	return paging_add(j->c, j->p, event_json(r), r->seq);
}

static enum err_code
events_list_tx(struct store *s, void *arg, struct err *e)
{
	struct history_job *j = arg;
	int found;

	if (list_session(j, s, &found) != ERR_OK || !found)
		return e->code;
	return store_events_page(s, j->session_id, j->participant_id, j->p->after,
	    j->p->want + 1, event_row, j, e);
}

enum err_code
participant_events_list(struct call *c, const json_t *in, json_t **out)
{
	struct history_job j;

	job_init(&j, c, in);
	return answer_page(&j, "ListParticipantEvents", events_list_tx, "events", out);
}

static enum err_code
disconnect_tx(struct store *s, void *arg, struct err *e)
{
	struct history_job *j = arg;
	int exists, connected;

	if (stage_exists(j, s, &exists) != ERR_OK)
		return e->code;
	if (!exists)
		return err_set(e, ERR_NOT_FOUND, "Stage not found: %s", j->stage_arn);
	return session_revoke(s, j->stage_arn, j->participant_id, session_now_ms(), &connected,
	    e);
}

enum err_code
participant_disconnect(struct call *c, const json_t *in, json_t **out)
{
	const char *reason = json_string_value(json_object_get(in, "reason"));
	struct history_job j;
	struct session_note n;

	job_init(&j, c, in);
	if (ivs_write_empty(c, disconnect_tx, &j, out) != ERR_OK)
		return c->err.code;
	n = (struct session_note){ .what = SESSION_NOTE_DISCONNECTED, .stage_arn = j.stage_arn,
	    .participant_id = j.participant_id, .reason = reason ? reason : "" };
	session_notify(&n);
	return ERR_OK;
}
