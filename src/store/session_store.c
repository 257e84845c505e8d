/* Queries on stage_sessions, session_participants, participant_events and
 * participant_revocations. Portable SQL, parameters bound; every read is a
 * range of one of the indexes of migration 6. */
#include <string.h>

#include "store/session_store.h"

#define SESSION_COLS "seq, id, start_ms, end_ms, connected"
#define PARTICIPANT_COLS "seq, session_id, participant_id, user_id, attributes, state, " \
	"first_join_ms, published, recording_state, protocol, browser_name, browser_version, " \
	"os_name, os_version, sdk_version, node"
#define EVENT_COLS "seq, participant_id, name, event_ms, remote_participant_id, error_code, " \
	"previous_token, new_token"

static const char SQL_SESSION_INSERT[] =
    "INSERT INTO stage_sessions (id, stage_arn, start_ms, end_ms, connected, empty_since_ms) "
    "VALUES (?, ?, ?, 0, 0, ?)";
static const char SQL_SESSION_ACTIVE[] =
    "SELECT " SESSION_COLS " FROM stage_sessions WHERE stage_arn = ? AND end_ms = 0";
static const char SQL_SESSION_GET[] =
    "SELECT " SESSION_COLS " FROM stage_sessions WHERE id = ? AND stage_arn = ?";
static const char SQL_SESSION_CONNECTED[] =
    "UPDATE stage_sessions SET connected = connected + ?, "
    "empty_since_ms = CASE WHEN ? < 0 THEN ? ELSE empty_since_ms END WHERE id = ?";
static const char SQL_SESSION_END[] =
    "UPDATE stage_sessions SET end_ms = ?, connected = 0 WHERE id = ? AND end_ms = 0";
static const char SQL_SESSIONS_END_IDLE[] =
    "UPDATE stage_sessions SET end_ms = ? "
    "WHERE end_ms = 0 AND empty_since_ms <= ? AND connected = 0";
static const char SQL_SESSIONS_ANY_IDLE[] =
    "SELECT 1 FROM stage_sessions "
    "WHERE end_ms = 0 AND empty_since_ms <= ? AND connected = 0 LIMIT 1";
static const char SQL_SESSIONS_PAGE[] =
    "SELECT " SESSION_COLS " FROM stage_sessions WHERE stage_arn = ? AND seq < ? "
    "ORDER BY seq DESC LIMIT ?";

static const char SQL_PARTICIPANT_INSERT[] =
    "INSERT INTO session_participants (session_id, participant_id, user_id, attributes, "
    "state, first_join_ms, published, recording_state, protocol, browser_name, "
    "browser_version, os_name, os_version, sdk_version, node) "
    "VALUES (?, ?, ?, ?, 'CONNECTED', ?, 0, 'DISABLED', ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_PARTICIPANT_REJOIN[] =
    "UPDATE session_participants SET state = 'CONNECTED', user_id = ?, attributes = ?, "
    "protocol = ?, browser_name = ?, browser_version = ?, os_name = ?, os_version = ?, "
    "sdk_version = ?, node = ? WHERE session_id = ? AND participant_id = ?";
static const char SQL_PARTICIPANT_STATE[] =
    "SELECT CASE state WHEN 'CONNECTED' THEN 2 ELSE 1 END FROM session_participants "
    "WHERE session_id = ? AND participant_id = ?";
static const char SQL_LAST_JOIN[] =
    "SELECT COALESCE(MAX(seq), 0) FROM participant_events WHERE session_id = ? "
    "AND participant_id = ? AND name = 'JOINED'";
static const char SQL_PARTICIPANT_DISCONNECT[] =
    "UPDATE session_participants SET state = 'DISCONNECTED', is_publishing = 0 "
    "WHERE session_id = ? AND participant_id = ?";
static const char SQL_PARTICIPANT_PUBLISHED[] =
    "UPDATE session_participants SET published = 1 WHERE session_id = ? AND participant_id = ?";
static const char SQL_PARTICIPANT_READ[] =
    "SELECT " PARTICIPANT_COLS " FROM session_participants "
    "WHERE session_id = ? AND participant_id = ?";

/* One query per filter: each a range of its own index. Parameters:
 * session, the filter's value (none for PFILTER_NONE), after, limit. */
#define PAGE_OF(cond) "SELECT " PARTICIPANT_COLS " FROM session_participants " \
	"WHERE session_id = ? " cond " AND seq > ? ORDER BY seq LIMIT ?"
static const struct {
	const char *sql;
	int flag;		/* the value is the published flag, not text */
} participant_pages[PFILTER__COUNT] = {
	[PFILTER_NONE] = { PAGE_OF(""), 0 },
	[PFILTER_USER] = { PAGE_OF("AND user_id = ?"), 0 },
	[PFILTER_PUBLISHED] = { PAGE_OF("AND published = ?"), 1 },
	[PFILTER_STATE] = { PAGE_OF("AND state = ?"), 0 },
	[PFILTER_RECORDING] = { PAGE_OF("AND recording_state = ?"), 0 },
};

static const char SQL_EVENT_INSERT[] =
    "INSERT INTO participant_events (session_id, participant_id, name, event_ms, "
    "remote_participant_id, error_code, previous_token, new_token) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_EVENTS_PAGE[] =
    "SELECT " EVENT_COLS " FROM participant_events "
    "WHERE session_id = ? AND participant_id = ? AND seq > ? ORDER BY seq LIMIT ?";

/* The stops of the media a connected participant still has running, as
 * its own history tells: each PUBLISH_STARTED, and each SUBSCRIBE_STARTED
 * of a remote participant, with no later start, stop or error of the same
 * media gets its PUBLISH_STOPPED or SUBSCRIBE_STOPPED at the given time.
 * cond selects the participants (p); the time is the first parameter. */
#define STOPS_OF(cond) "INSERT INTO participant_events (session_id, participant_id, name, " \
	"event_ms, remote_participant_id, error_code, previous_token, new_token) " \
	"SELECT s.session_id, s.participant_id, CASE s.name WHEN 'PUBLISH_STARTED' " \
	"THEN 'PUBLISH_STOPPED' ELSE 'SUBSCRIBE_STOPPED' END, ?, s.remote_participant_id, " \
	"'', '', '' FROM session_participants p JOIN participant_events s " \
	"ON s.session_id = p.session_id AND s.participant_id = p.participant_id " \
	"WHERE " cond " AND p.state = 'CONNECTED' " \
	"AND s.name IN ('PUBLISH_STARTED', 'SUBSCRIBE_STARTED') AND NOT EXISTS (" \
	"SELECT 1 FROM participant_events t WHERE t.session_id = s.session_id " \
	"AND t.participant_id = s.participant_id AND t.seq > s.seq " \
	"AND t.remote_participant_id = s.remote_participant_id AND (" \
	"(s.name = 'PUBLISH_STARTED' AND t.name IN ('PUBLISH_STARTED', 'PUBLISH_STOPPED', " \
	"'PUBLISH_ERROR')) OR (s.name = 'SUBSCRIBE_STARTED' AND t.name IN " \
	"('SUBSCRIBE_STARTED', 'SUBSCRIBE_STOPPED', 'SUBSCRIBE_ERROR')))) ORDER BY s.seq"
/* Is media of one kind running by the history: its start in the stage's
 * active session, with no later start, stop or error of the same remote.
 * Parameters: stage, participant, the kind's start, remote, then the
 * kind's start, stop and error names. */
static const char SQL_MEDIA_RUNNING[] =
    "SELECT 1 FROM stage_sessions ss JOIN participant_events s ON s.session_id = ss.id "
    "WHERE ss.stage_arn = ? AND ss.end_ms = 0 AND s.participant_id = ? AND s.name = ? "
    "AND s.remote_participant_id = ? AND NOT EXISTS (SELECT 1 FROM participant_events t "
    "WHERE t.session_id = s.session_id AND t.participant_id = s.participant_id "
    "AND t.seq > s.seq AND t.remote_participant_id = s.remote_participant_id "
    "AND t.name IN (?, ?, ?)) LIMIT 1";
static const char SQL_PARTICIPANT_STOPS[] =
    STOPS_OF("p.session_id = ? AND p.participant_id = ?");
static const char SQL_SESSION_STOPS[] = STOPS_OF("p.session_id = ?");
static const char SQL_NODE_STOPS[] = STOPS_OF("p.node = ?");

/* Dropping the participants of a node: LEFT events first, then the
 * sessions' counts, then the participants' state. */
static const char SQL_NODE_LEFT[] =
    "INSERT INTO participant_events (session_id, participant_id, name, event_ms, "
    "remote_participant_id, error_code, previous_token, new_token) "
    "SELECT session_id, participant_id, 'LEFT', ?, '', '', '', '' FROM session_participants "
    "WHERE node = ? AND state = 'CONNECTED' ORDER BY seq";
static const char SQL_NODE_COUNTS[] =
    "UPDATE stage_sessions SET empty_since_ms = ?, connected = connected - "
    "(SELECT COUNT(*) FROM session_participants p WHERE p.session_id = stage_sessions.id "
    "AND p.node = ? AND p.state = 'CONNECTED') "
    "WHERE id IN (SELECT session_id FROM session_participants "
    "WHERE node = ? AND state = 'CONNECTED')";
static const char SQL_NODE_DISCONNECT[] =
    "UPDATE session_participants SET state = 'DISCONNECTED' "
    "WHERE node = ? AND state = 'CONNECTED'";
static const char SQL_SESSION_LEFT[] =
    "INSERT INTO participant_events (session_id, participant_id, name, event_ms, "
    "remote_participant_id, error_code, previous_token, new_token) "
    "SELECT session_id, participant_id, 'LEFT', ?, '', '', '', '' FROM session_participants "
    "WHERE session_id = ? AND state = 'CONNECTED' ORDER BY seq";
static const char SQL_SESSION_DISCONNECT[] =
    "UPDATE session_participants SET state = 'DISCONNECTED' "
    "WHERE session_id = ? AND state = 'CONNECTED'";

static const char SQL_PURGE_EVENTS[] =
    "DELETE FROM participant_events WHERE session_id IN "
    "(SELECT id FROM stage_sessions WHERE end_ms > 0 AND end_ms < ?)";
static const char SQL_PURGE_PARTICIPANTS[] =
    "DELETE FROM session_participants WHERE session_id IN "
    "(SELECT id FROM stage_sessions WHERE end_ms > 0 AND end_ms < ?)";
static const char SQL_PURGE_SESSIONS[] =
    "DELETE FROM stage_sessions WHERE end_ms > 0 AND end_ms < ?";
static const char SQL_PURGE_REVOCATIONS[] =
    "DELETE FROM participant_revocations WHERE revoked_ms < ?";

static const char SQL_REVOCATION_INSERT[] =
    "INSERT INTO participant_revocations (stage_arn, participant_id, revoked_ms) "
    "VALUES (?, ?, ?) ON CONFLICT (stage_arn, participant_id) DO NOTHING";
static const char SQL_REVOCATION_GET[] =
    "SELECT 1 FROM participant_revocations WHERE stage_arn = ? AND participant_id = ?";

/* Prepares sql and binds the texts of the NULL-terminated list from 1. */
static struct store_stmt *
prepare(struct store *s, const char *sql, struct err *e, const char *const *texts)
{
	struct store_stmt *st = store_sql(s, sql, e);
	int i;

	for (i = 0; st != NULL && texts[i] != NULL; i++)
		store_bind_text(st, i + 1, texts[i]);
	return st;
}

#define TEXTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
read_session(struct store_stmt *st, struct session_rec *r)
{
	r->seq = store_col_int(st, 0);
	store_col_copy(st, 1, r->id, sizeof(r->id));
	r->start_ms = store_col_int(st, 2);
	r->end_ms = store_col_int(st, 3);
	r->connected = store_col_int(st, 4);
}

static void
read_participant(struct store_stmt *st, struct participant_row *r)
{
	r->seq = store_col_int(st, 0);
	r->session_id = store_col_text(st, 1);
	r->participant_id = store_col_text(st, 2);
	r->user_id = store_col_text(st, 3);
	r->attributes = store_col_text(st, 4);
	r->state = store_col_text(st, 5);
	r->first_join_ms = store_col_int(st, 6);
	r->published = store_col_int(st, 7) != 0;
	r->recording_state = store_col_text(st, 8);
	r->protocol = store_col_text(st, 9);
	r->browser_name = store_col_text(st, 10);
	r->browser_version = store_col_text(st, 11);
	r->os_name = store_col_text(st, 12);
	r->os_version = store_col_text(st, 13);
	r->sdk_version = store_col_text(st, 14);
	r->node = store_col_text(st, 15);
}

static void
read_event(struct store_stmt *st, struct event_row *r)
{
	r->seq = store_col_int(st, 0);
	r->participant_id = store_col_text(st, 1);
	r->name = store_col_text(st, 2);
	r->event_ms = store_col_int(st, 3);
	r->remote_participant_id = store_col_text(st, 4);
	r->error_code = store_col_text(st, 5);
	r->previous_token = store_col_text(st, 6);
	r->new_token = store_col_text(st, 7);
}

/* Steps st for its one row into out; ERR_NOT_FOUND when there is none. */
static enum err_code
one_session(struct store_stmt *st, struct session_rec *out, struct err *e)
{
	enum store_step r;

	if ((r = store_step(st, e)) == STORE_ROW)
		read_session(st, out);
	store_reset(st);
	if (r == STORE_DONE)
		return err_set(e, ERR_NOT_FOUND, "no such stage session");
	return r == STORE_ROW ? ERR_OK : e->code;
}

enum err_code
store_session_insert(struct store *s, const char *stage_arn, const char *id,
    long long start_ms, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_SESSION_INSERT, e, TEXTS(id, stage_arn));

	if (st == NULL)
		return e->code;
	store_bind_int(st, 3, start_ms);
	store_bind_int(st, 4, start_ms);
	return store_run(st, e);
}

enum err_code
store_session_active(struct store *s, const char *stage_arn, struct session_rec *out,
    struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_SESSION_ACTIVE, e, TEXTS(stage_arn));

	return st ? one_session(st, out, e) : e->code;
}

enum err_code
store_session_get(struct store *s, const char *stage_arn, const char *id,
    struct session_rec *out, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_SESSION_GET, e, TEXTS(id, stage_arn));

	return st ? one_session(st, out, e) : e->code;
}

enum err_code
store_session_connected(struct store *s, const char *id, int delta, long long now_ms,
    struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_SESSION_CONNECTED, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, delta);
	store_bind_int(st, 2, delta);
	store_bind_int(st, 3, now_ms);
	store_bind_text(st, 4, id);
	return store_run(st, e);
}

enum err_code
store_session_end(struct store *s, const char *id, long long now_ms, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_SESSION_END, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, now_ms);
	store_bind_text(st, 2, id);
	return store_run(st, e);
}

enum err_code
store_sessions_end_idle(struct store *s, long long now_ms, long long idle_before_ms,
    struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_SESSIONS_END_IDLE, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, now_ms);
	store_bind_int(st, 2, idle_before_ms);
	return store_run(st, e);
}

enum err_code
store_sessions_any_idle(struct store *s, long long idle_before_ms, int *any, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_SESSIONS_ANY_IDLE, e);
	enum store_step step;

	*any = 0;
	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, idle_before_ms);
	if ((step = store_step(st, e)) == STORE_ROW)
		*any = 1;
	store_reset(st);
	return step == STORE_FAILED ? e->code : ERR_OK;
}

enum err_code
store_sessions_page(struct store *s, const char *stage_arn, long long before, int limit,
    enum err_code (*row)(void *, const struct session_rec *), void *arg, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_SESSIONS_PAGE, e, TEXTS(stage_arn));
	struct session_rec r;
	enum store_step step;
	enum err_code rc = ERR_OK;

	if (st == NULL)
		return e->code;
	store_bind_int(st, 2, before);
	store_bind_int(st, 3, limit);
	while (rc == ERR_OK && (step = store_step(st, e)) == STORE_ROW) {
		read_session(st, &r);
		rc = row(arg, &r);
	}
	store_reset(st);
	if (rc != ERR_OK)
		return rc;
	return step == STORE_DONE ? ERR_OK : e->code;
}

enum err_code
store_participant_insert(struct store *s, const char *session_id,
    const struct participant_join *p, long long now_ms, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_PARTICIPANT_INSERT, e,
	    TEXTS(session_id, p->participant_id, p->user_id, p->attributes));

	if (st == NULL)
		return e->code;
	store_bind_int(st, 5, now_ms);
	store_bind_text(st, 6, p->protocol);
	store_bind_text(st, 7, p->browser_name);
	store_bind_text(st, 8, p->browser_version);
	store_bind_text(st, 9, p->os_name);
	store_bind_text(st, 10, p->os_version);
	store_bind_text(st, 11, p->sdk_version);
	store_bind_text(st, 12, p->node);
	return store_run(st, e);
}

enum err_code
store_participant_rejoin(struct store *s, const char *session_id,
    const struct participant_join *p, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_PARTICIPANT_REJOIN, e,
	    TEXTS(p->user_id, p->attributes, p->protocol, p->browser_name, p->browser_version,
	    p->os_name, p->os_version, p->sdk_version, p->node, session_id, p->participant_id));

	return st ? store_run(st, e) : e->code;
}

/* Does sql, with the texts bound, give a row? */
static enum err_code
has_row(struct store *s, const char *sql, const char *const *texts, int *yes, struct err *e)
{
	struct store_stmt *st = prepare(s, sql, e, texts);
	enum store_step r;

	*yes = 0;
	if (st == NULL)
		return e->code;
	r = store_step(st, e);
	*yes = r == STORE_ROW;
	store_reset(st);
	return r == STORE_FAILED ? e->code : ERR_OK;
}

/* The first column of sql's first row, a number, with the texts bound: *v,
 * or 0 when there is no row. */
static enum err_code
first_int(struct store *s, const char *sql, const char *const *texts, long long *v,
    struct err *e)
{
	struct store_stmt *st = prepare(s, sql, e, texts);
	enum store_step r;

	*v = 0;
	if (st == NULL)
		return e->code;
	if ((r = store_step(st, e)) == STORE_ROW)
		*v = store_col_int(st, 0);
	store_reset(st);
	return r == STORE_FAILED ? e->code : ERR_OK;
}

enum err_code
store_participant_state(struct store *s, const char *session_id, const char *participant_id,
    int *state, struct err *e)
{
	long long v;
	enum err_code rc = first_int(s, SQL_PARTICIPANT_STATE, TEXTS(session_id, participant_id),
	    &v, e);

	*state = (int)v;
	return rc;
}

enum err_code
store_participant_last_join(struct store *s, const char *session_id,
    const char *participant_id, long long *seq, struct err *e)
{
	return first_int(s, SQL_LAST_JOIN, TEXTS(session_id, participant_id), seq, e);
}

/* Runs sql with the texts of the list and nothing else. */
static enum err_code
run_texts(struct store *s, const char *sql, const char *const *texts, struct err *e)
{
	struct store_stmt *st = prepare(s, sql, e, texts);

	return st ? store_run(st, e) : e->code;
}

enum err_code
store_participant_disconnect(struct store *s, const char *session_id,
    const char *participant_id, struct err *e)
{
	return run_texts(s, SQL_PARTICIPANT_DISCONNECT, TEXTS(session_id, participant_id), e);
}

enum err_code
store_participant_published(struct store *s, const char *session_id,
    const char *participant_id, struct err *e)
{
	return run_texts(s, SQL_PARTICIPANT_PUBLISHED, TEXTS(session_id, participant_id), e);
}

/* Calls row for each participant row st yields; *rows counts them. */
static enum err_code
participant_rows(struct store_stmt *st, enum err_code (*row)(void *,
    const struct participant_row *), void *arg, int *rows, struct err *e)
{
	struct participant_row r;
	enum store_step step;
	enum err_code rc = ERR_OK;

	*rows = 0;
	while (rc == ERR_OK && (step = store_step(st, e)) == STORE_ROW) {
		read_participant(st, &r);
		(*rows)++;
		rc = row(arg, &r);
	}
	store_reset(st);
	if (rc != ERR_OK)
		return rc;
	return step == STORE_DONE ? ERR_OK : e->code;
}

enum err_code
store_participant_read(struct store *s, const char *session_id, const char *participant_id,
    enum err_code (*row)(void *, const struct participant_row *), void *arg, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_PARTICIPANT_READ, e,
	    TEXTS(session_id, participant_id));
	int rows;

	if (st == NULL || participant_rows(st, row, arg, &rows, e) != ERR_OK)
		return e->code;
	return rows ? ERR_OK : err_set(e, ERR_NOT_FOUND, "no such participant");
}

enum err_code
store_participants_page(struct store *s, const char *session_id,
    enum participant_filter filter, const char *text, int flag, long long after, int limit,
    enum err_code (*row)(void *, const struct participant_row *), void *arg, struct err *e)
{
	struct store_stmt *st = prepare(s, participant_pages[filter].sql, e, TEXTS(session_id));
	int i = 2, rows;

	if (st == NULL)
		return e->code;
	if (filter != PFILTER_NONE) {
		if (participant_pages[filter].flag)
			store_bind_int(st, i++, flag);
		else
			store_bind_text(st, i++, text);
	}
	store_bind_int(st, i++, after);
	store_bind_int(st, i, limit);
	return participant_rows(st, row, arg, &rows, e);
}

enum err_code
store_event_insert(struct store *s, const char *session_id, const struct event_row *ev,
    struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_EVENT_INSERT, e,
	    TEXTS(session_id, ev->participant_id, ev->name));

	if (st == NULL)
		return e->code;
	store_bind_int(st, 4, ev->event_ms);
	store_bind_text(st, 5, ev->remote_participant_id);
	store_bind_text(st, 6, ev->error_code);
	store_bind_text(st, 7, ev->previous_token);
	store_bind_text(st, 8, ev->new_token);
	return store_run(st, e);
}

enum err_code
store_events_page(struct store *s, const char *session_id, const char *participant_id,
    long long after, int limit, enum err_code (*row)(void *, const struct event_row *),
    void *arg, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_EVENTS_PAGE, e, TEXTS(session_id, participant_id));
	struct event_row r;
	enum store_step step;
	enum err_code rc = ERR_OK;

	if (st == NULL)
		return e->code;
	store_bind_int(st, 3, after);
	store_bind_int(st, 4, limit);
	while (rc == ERR_OK && (step = store_step(st, e)) == STORE_ROW) {
		read_event(st, &r);
		rc = row(arg, &r);
	}
	store_reset(st);
	if (rc != ERR_OK)
		return rc;
	return step == STORE_DONE ? ERR_OK : e->code;
}

/* Runs sql with (time, then the texts of the list). */
static enum err_code
run_at(struct store *s, const char *sql, long long ms, const char *const *texts,
    struct err *e)
{
	struct store_stmt *st = store_sql(s, sql, e);
	int i;

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, ms);
	for (i = 0; texts[i] != NULL; i++)
		store_bind_text(st, i + 2, texts[i]);
	return store_run(st, e);
}

enum err_code
store_participant_media_stop(struct store *s, const char *session_id,
    const char *participant_id, long long now_ms, struct err *e)
{
	return run_at(s, SQL_PARTICIPANT_STOPS, now_ms, TEXTS(session_id, participant_id), e);
}

enum err_code
store_participant_media_running(struct store *s, const char *stage_arn,
    const char *participant_id, int publish, const char *remote, int *running, struct err *e)
{
	static const char *const kinds[2][3] = {
		{ "SUBSCRIBE_STARTED", "SUBSCRIBE_STOPPED", "SUBSCRIBE_ERROR" },
		{ "PUBLISH_STARTED", "PUBLISH_STOPPED", "PUBLISH_ERROR" },
	};
	const char *const *k = kinds[publish != 0];

	return has_row(s, SQL_MEDIA_RUNNING,
	    TEXTS(stage_arn, participant_id, k[0], remote, k[0], k[1], k[2]), running, e);
}

enum err_code
store_participants_drop_node(struct store *s, const char *node, long long now_ms,
    struct err *e)
{
	if (run_at(s, SQL_NODE_STOPS, now_ms, TEXTS(node), e) != ERR_OK ||
	    run_at(s, SQL_NODE_LEFT, now_ms, TEXTS(node), e) != ERR_OK ||
	    run_at(s, SQL_NODE_COUNTS, now_ms, TEXTS(node, node), e) != ERR_OK)
		return e->code;
	return run_texts(s, SQL_NODE_DISCONNECT, TEXTS(node), e);
}

enum err_code
store_participants_drop_session(struct store *s, const char *session_id, long long now_ms,
    struct err *e)
{
	if (run_at(s, SQL_SESSION_STOPS, now_ms, TEXTS(session_id), e) != ERR_OK ||
	    run_at(s, SQL_SESSION_LEFT, now_ms, TEXTS(session_id), e) != ERR_OK)
		return e->code;
	return run_texts(s, SQL_SESSION_DISCONNECT, TEXTS(session_id), e);
}

enum err_code
store_sessions_purge(struct store *s, long long before_ms, long long revoked_before_ms,
    struct err *e)
{
	static const char *const none[] = { NULL };

	if (run_at(s, SQL_PURGE_EVENTS, before_ms, none, e) != ERR_OK ||
	    run_at(s, SQL_PURGE_PARTICIPANTS, before_ms, none, e) != ERR_OK ||
	    run_at(s, SQL_PURGE_SESSIONS, before_ms, none, e) != ERR_OK)
		return e->code;
	return run_at(s, SQL_PURGE_REVOCATIONS, revoked_before_ms, none, e);
}

enum err_code
store_revocation_insert(struct store *s, const char *stage_arn, const char *participant_id,
    long long now_ms, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_REVOCATION_INSERT, e,
	    TEXTS(stage_arn, participant_id));

	if (st == NULL)
		return e->code;
	store_bind_int(st, 3, now_ms);
	return store_run(st, e);
}

enum err_code
store_revocation_get(struct store *s, const char *stage_arn, const char *participant_id,
    int *revoked, struct err *e)
{
	return has_row(s, SQL_REVOCATION_GET, TEXTS(stage_arn, participant_id), revoked, e);
}

/* ---- the live roster (migration 7) ---------------------------------------- */

static const char SQL_PARTICIPANT_LIVE[] =
    "UPDATE session_participants SET audio_muted = ?, video_stopped = ? "
    "WHERE session_id = ? AND participant_id = ?";
static const char SQL_PARTICIPANT_PUBLISHING[] =
    "UPDATE session_participants SET is_publishing = ? "
    "WHERE session_id = ? AND participant_id = ?";
static const char SQL_ROSTER_CONNECTED[] =
    "SELECT participant_id, user_id, attributes, audio_muted, video_stopped, is_publishing "
    "FROM session_participants WHERE session_id = ? AND state = 'CONNECTED' ORDER BY seq";
static const char SQL_REVOCATIONS_OF[] =
    "SELECT participant_id FROM participant_revocations WHERE stage_arn = ? "
    "ORDER BY revoked_ms, participant_id";

enum err_code
store_participant_live_set(struct store *s, const char *session_id,
    const char *participant_id, const struct live_state *l, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_PARTICIPANT_LIVE, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, l->audio_muted != 0);
	store_bind_int(st, 2, l->video_stopped != 0);
	store_bind_text(st, 3, session_id);
	store_bind_text(st, 4, participant_id);
	return store_run(st, e);
}

enum err_code
store_participant_publishing_set(struct store *s, const char *session_id,
    const char *participant_id, int on, struct err *e)
{
	struct store_stmt *st = store_sql(s, SQL_PARTICIPANT_PUBLISHING, e);

	if (st == NULL)
		return e->code;
	store_bind_int(st, 1, on != 0);
	store_bind_text(st, 2, session_id);
	store_bind_text(st, 3, participant_id);
	return store_run(st, e);
}

enum err_code
store_roster_connected(struct store *s, const char *session_id,
    enum err_code (*row)(void *, const struct roster_row *), void *arg, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_ROSTER_CONNECTED, e, TEXTS(session_id));
	struct roster_row r;
	enum store_step step = STORE_FAILED;
	enum err_code rc = ERR_OK;

	if (st == NULL)
		return e->code;
	while (rc == ERR_OK && (step = store_step(st, e)) == STORE_ROW) {
		r.participant_id = store_col_text(st, 0);
		r.user_id = store_col_text(st, 1);
		r.attributes = store_col_text(st, 2);
		r.live.audio_muted = store_col_int(st, 3) != 0;
		r.live.video_stopped = store_col_int(st, 4) != 0;
		r.live.is_publishing = store_col_int(st, 5) != 0;
		rc = row(arg, &r);
	}
	store_reset(st);
	if (rc != ERR_OK)
		return rc;
	return step == STORE_DONE ? ERR_OK : e->code;
}

enum err_code
store_revocations_of(struct store *s, const char *stage_arn,
    enum err_code (*id)(void *, const char *), void *arg, struct err *e)
{
	struct store_stmt *st = prepare(s, SQL_REVOCATIONS_OF, e, TEXTS(stage_arn));
	enum store_step step = STORE_FAILED;
	enum err_code rc = ERR_OK;

	if (st == NULL)
		return e->code;
	while (rc == ERR_OK && (step = store_step(st, e)) == STORE_ROW)
		rc = id(arg, store_col_text(st, 0));
	store_reset(st);
	if (rc != ERR_OK)
		return rc;
	return step == STORE_DONE ? ERR_OK : e->code;
}
