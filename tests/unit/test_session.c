/* Stage sessions and participants (src/ivs/session.c over
 * src/store/session_store.c) on a real SQLite store in a temporary
 * directory: each typed call runs inside a store_write job, as the
 * runtime will run it. Each test uses stages of its own. RTSTAGE_UNIT_DB
 * names an empty PostgreSQL database to run the same checks there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivs/session.h"
#include "limits.h"
#include "store/store.h"
#include "unit_store.h"

static const long long T0 = 1700000000000LL;
static const long long IDLE = LIMIT_SESSION_IDLE_MS;

static int
setup(void **state)
{
	(void)state;
	return unit_store_open(1);
}

static int
teardown(void **state)
{
	(void)state;
	unit_store_close();
	return 0;
}

/* A fresh stage ARN per call: tests share one database. */
static const char *
new_stage(void)
{
	static char arns[64][96];
	static int n;

	snprintf(arns[n], sizeof(arns[n]), "arn:aws:ivs:us-east-1:123456789012:stage/stg%09d", n);
	return arns[n++];
}

/* One call's arguments and results; the job runs what fn says. */
struct op {
	enum err_code (*fn)(struct store *s, struct op *o, struct err *e);
	const char *stage, *pid, *user, *node, *name, *remote, *code, *attrs;
	long long now, arg;
	char sid[SESSION_ID_CAP];
	int flag;
};

static enum err_code
run_op(struct store *s, void *arg, struct err *e)
{
	struct op *o = arg;

	return o->fn(s, o, e);
}

/* Runs o in a writing job; returns its code. */
static enum err_code
run(struct op *o)
{
	struct err e = { 0 };

	return store_write(run_op, o, &e);
}

static enum err_code
do_join(struct store *s, struct op *o, struct err *e)
{
	struct session_join j = { .stage_arn = o->stage, .who = {
	    .participant_id = o->pid, .user_id = o->user ? o->user : "",
	    .attributes = o->attrs ? o->attrs : "{}", .protocol = "", .browser_name = "firefox",
	    .browser_version = "120.0", .os_name = "Linux", .os_version = "6", .sdk_version = "1.2",
	    .node = o->node ? o->node : "n1" } };

	return session_join(s, &j, o->now, o->sid, e);
}

static enum err_code
do_leave(struct store *s, struct op *o, struct err *e)
{
	return session_leave(s, o->stage, o->pid, o->now, &o->flag, e);
}

static enum err_code
do_event(struct store *s, struct op *o, struct err *e)
{
	return session_event(s, o->stage, o->pid, o->name, o->remote, o->code, o->now, e);
}

static enum err_code
do_exchange(struct store *s, struct op *o, struct err *e)
{
	return session_token_exchanged(s, o->stage, o->pid, "{\"userId\":\"a\"}",
	    "{\"userId\":\"b\"}", o->now, e);
}

static enum err_code
do_end_idle(struct store *s, struct op *o, struct err *e)
{
	return session_end_idle(s, o->now, IDLE, e);
}

static enum err_code
do_recover(struct store *s, struct op *o, struct err *e)
{
	return session_recover(s, o->node, o->now, e);
}

static enum err_code
do_end_stage(struct store *s, struct op *o, struct err *e)
{
	return session_end_stage(s, o->stage, o->now, e);
}

static enum err_code
do_active(struct store *s, struct op *o, struct err *e)
{
	return session_active_id(s, o->stage, o->sid, e);
}

static enum err_code
do_retain(struct store *s, struct op *o, struct err *e)
{
	return session_retain(s, o->now, (int)o->arg, e);
}

static enum err_code
do_revoke(struct store *s, struct op *o, struct err *e)
{
	return session_revoke(s, o->stage, o->pid, o->now, &o->flag, e);
}

static enum err_code
do_is_revoked(struct store *s, struct op *o, struct err *e)
{
	return session_is_revoked(s, o->stage, o->pid, &o->flag, e);
}

/* Joins pid to stage at now through node; returns the session id. */
static const char *
join(const char *stage, const char *pid, const char *user, const char *node, long long now)
{
	static char sid[SESSION_ID_CAP];
	struct op o = { .fn = do_join, .stage = stage, .pid = pid, .user = user, .node = node,
	    .now = now };

	assert_int_equal(run(&o), ERR_OK);
	memcpy(sid, o.sid, sizeof(sid));
	return sid;
}

/* Leaves; returns whether the stage became empty. */
static int
leave(const char *stage, const char *pid, long long now)
{
	struct op o = { .fn = do_leave, .stage = stage, .pid = pid, .now = now };

	assert_int_equal(run(&o), ERR_OK);
	return o.flag;
}

static const char *
active(const char *stage)
{
	static char sid[SESSION_ID_CAP];
	struct op o = { .fn = do_active, .stage = stage };

	assert_int_equal(run(&o), ERR_OK);
	memcpy(sid, o.sid, sizeof(sid));
	return sid;
}

static void
simple(enum err_code (*fn)(struct store *, struct op *, struct err *), const char *stage,
    const char *node, long long now, long long arg)
{
	struct op o = { .fn = fn, .stage = stage, .node = node, .now = now, .arg = arg };

	assert_int_equal(run(&o), ERR_OK);
}

static struct session_rec
session_of(const char *stage, const char *sid)
{
	struct session_rec r;
	struct err e;
	struct store *s = store_thread(&e);

	assert_non_null(s);
	assert_int_equal(store_session_get(s, stage, sid, &r, &e), ERR_OK);
	return r;
}

/* What a read of one participant saw. */
struct seen {
	char state[16];
	long long first_join_ms;
	int published, rows;
	long long last_seq;
	char ids[32][16];
};

static enum err_code
see(void *arg, const struct participant_row *r)
{
	struct seen *w = arg;

	snprintf(w->state, sizeof(w->state), "%s", r->state);
	w->first_join_ms = r->first_join_ms;
	w->published = r->published;
	w->last_seq = r->seq;
	if (w->rows < 32)
		snprintf(w->ids[w->rows], sizeof(w->ids[0]), "%s", r->participant_id);
	w->rows++;
	return ERR_OK;
}

static struct seen
participant(const char *sid, const char *pid)
{
	struct seen w = { .rows = 0 };
	struct err e;
	struct store *s = store_thread(&e);

	assert_int_equal(store_participant_read(s, sid, pid, see, &w, &e), ERR_OK);
	return w;
}

struct names {
	char list[16][24];
	int n;
};

static enum err_code
see_event(void *arg, const struct event_row *r)
{
	struct names *w = arg;

	if (w->n < 16)
		snprintf(w->list[w->n++], sizeof(w->list[0]), "%s", r->name);
	return ERR_OK;
}

static struct names
events_of(const char *sid, const char *pid)
{
	struct names w = { .n = 0 };
	struct err e;
	struct store *s = store_thread(&e);

	assert_int_equal(store_events_page(s, sid, pid, 0, 100, see_event, &w, &e), ERR_OK);
	return w;
}

static void
test_join_starts_session(void **state)
{
	const char *stage = new_stage();
	char sid[SESSION_ID_CAP];
	size_t i;

	(void)state;
	assert_string_equal(active(stage), "");
	snprintf(sid, sizeof(sid), "%s", join(stage, "pA", "alice", "n1", T0));
	assert_int_equal(strlen(sid), 16);
	assert_memory_equal(sid, "st-", 3);
	for (i = 3; i < 16; i++)
		assert_true(isalnum((unsigned char)sid[i]));
	assert_string_equal(join(stage, "pB", "bob", "n1", T0 + 5), sid);
	assert_string_equal(active(stage), sid);
	assert_int_equal(session_of(stage, sid).connected, 2);
	assert_int_equal(session_of(stage, sid).start_ms, T0);
	/* another stage has a session of its own */
	assert_string_not_equal(join(new_stage(), "pA", "alice", "n1", T0), sid);
}

static void
test_leave_rejoin_keeps_first_join(void **state)
{
	const char *stage = new_stage();
	char sid[SESSION_ID_CAP];
	struct op o = { .fn = do_leave, .stage = stage, .pid = "nobody", .now = T0 };

	(void)state;
	snprintf(sid, sizeof(sid), "%s", join(stage, "pA", "", "n1", T0));
	join(stage, "pB", "", "n1", T0 + 1);
	assert_false(leave(stage, "pA", T0 + 1000));
	assert_string_equal(participant(sid, "pA").state, "DISCONNECTED");
	assert_string_equal(join(stage, "pA", "", "n1", T0 + 2000), sid);
	assert_string_equal(participant(sid, "pA").state, "CONNECTED");
	assert_int_equal(participant(sid, "pA").first_join_ms, T0);
	assert_false(leave(stage, "pB", T0 + 3000));
	assert_true(leave(stage, "pA", T0 + 4000));
	assert_int_equal(run(&o), ERR_NOT_FOUND);	/* never joined */
	o.pid = "pA";
	assert_int_equal(run(&o), ERR_NOT_FOUND);	/* already left */
}

static enum err_code
do_join_seq(struct store *s, struct op *o, struct err *e)
{
	return session_join_seq(s, o->stage, o->pid, &o->arg, e);
}

/* The seq of the participant's latest JOINED in the active session. */
static long long
join_seq(const char *stage, const char *pid)
{
	struct op o = { .fn = do_join_seq, .stage = stage, .pid = pid };

	assert_int_equal(run(&o), ERR_OK);
	return o.arg;
}

/* A connection that joined as seq j is stale once a later join of the same
 * participant was recorded (a reconnect racing the old connection's
 * close): the join seq grows with each join, and only with a join. */
static void
test_join_seq_marks_a_reconnect(void **state)
{
	const char *stage = new_stage();
	long long first, second;

	(void)state;
	assert_int_equal(join_seq(stage, "pA"), 0);	/* no session yet */
	join(stage, "pA", "", "n1", T0);
	first = join_seq(stage, "pA");
	assert_true(first > 0);
	join(stage, "pB", "", "n1", T0 + 1);
	assert_int_equal(join_seq(stage, "pA"), first);	/* another's join is not pA's */
	assert_int_equal(join_seq(stage, "nobody"), 0);
	join(stage, "pA", "", "n1", T0 + 2);		/* the reconnect, still connected */
	second = join_seq(stage, "pA");
	assert_true(second > first);
	assert_false(leave(stage, "pA", T0 + 3));
	assert_int_equal(join_seq(stage, "pA"), second);	/* a leave is no join */
}

static void
test_events_in_order(void **state)
{
	static const char *const want[] = { "JOINED", "PUBLISH_STARTED", "SUBSCRIBE_STARTED",
	    "PUBLISH_ERROR", "TOKEN_EXCHANGED", "PUBLISH_STOPPED", "LEFT" };
	static const struct { const char *name, *remote, *code; enum err_code rc; } steps[] = {
		{ "PUBLISH_STARTED", NULL, NULL, ERR_OK },
		{ "SUBSCRIBE_STARTED", "pB", NULL, ERR_OK },
		{ "SUBSCRIBE_STARTED", NULL, NULL, ERR_VALIDATION },	/* no remote */
		{ "PUBLISH_ERROR", NULL, "BITRATE_EXCEEDED", ERR_OK },
		{ "PUBLISH_ERROR", NULL, "NOT_A_CODE", ERR_VALIDATION },
		{ "DANCED", NULL, NULL, ERR_VALIDATION },
	};
	const char *stage = new_stage();
	char sid[SESSION_ID_CAP];
	struct op o = { .stage = stage, .pid = "pA" };
	struct names got;
	size_t i;

	(void)state;
	snprintf(sid, sizeof(sid), "%s", join(stage, "pA", "", "n1", T0));
	assert_false(participant(sid, "pA").published);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		o = (struct op){ .fn = do_event, .stage = stage, .pid = "pA", .name = steps[i].name,
		    .remote = steps[i].remote, .code = steps[i].code, .now = T0 + 10 + (long long)i };
		assert_int_equal(run(&o), steps[i].rc);
	}
	assert_true(participant(sid, "pA").published);
	o = (struct op){ .fn = do_exchange, .stage = stage, .pid = "pA", .now = T0 + 20 };
	assert_int_equal(run(&o), ERR_OK);
	o = (struct op){ .fn = do_event, .stage = stage, .pid = "pA", .name = "PUBLISH_STOPPED",
	    .now = T0 + 21 };
	assert_int_equal(run(&o), ERR_OK);
	leave(stage, "pA", T0 + 30);
	/* not connected any more: no events */
	o = (struct op){ .fn = do_event, .stage = stage, .pid = "pA", .name = "PUBLISH_STARTED",
	    .now = T0 + 40 };
	assert_int_equal(run(&o), ERR_NOT_FOUND);
	got = events_of(sid, "pA");
	assert_int_equal(got.n, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(got.list[i], want[i]);
}

static void
test_idle_end_and_new_session(void **state)
{
	const char *stage = new_stage(), *busy = new_stage();
	char sid[SESSION_ID_CAP], busy_sid[SESSION_ID_CAP];

	(void)state;
	snprintf(sid, sizeof(sid), "%s", join(stage, "pA", "", "n1", T0));
	snprintf(busy_sid, sizeof(busy_sid), "%s", join(busy, "pZ", "", "n1", T0));
	assert_true(leave(stage, "pA", T0 + 1000));
	simple(do_end_idle, NULL, NULL, T0 + 1000 + IDLE - 1, 0);
	assert_string_equal(active(stage), sid);		/* not idle long enough */
	assert_int_equal(session_of(stage, sid).end_ms, 0);
	simple(do_end_idle, NULL, NULL, T0 + 1000 + IDLE, 0);
	assert_string_equal(active(stage), "");
	assert_int_equal(session_of(stage, sid).end_ms, T0 + 1000 + IDLE);
	/* somebody connected: never idle */
	simple(do_end_idle, NULL, NULL, T0 + 100 * IDLE, 0);
	assert_string_equal(active(busy), busy_sid);
	/* a join after the end starts a new session */
	assert_string_not_equal(join(stage, "pA", "", "n1", T0 + 2 * IDLE), sid);
	assert_string_not_equal(active(stage), "");
}

static void
test_recover_this_node_only(void **state)
{
	const char *stage = new_stage();
	char sid[SESSION_ID_CAP];
	struct names got;

	(void)state;
	snprintf(sid, sizeof(sid), "%s", join(stage, "pA", "", "node-a", T0));
	join(stage, "pB", "", "node-b", T0 + 1);
	simple(do_recover, NULL, "node-a", T0 + 50, 0);
	assert_string_equal(participant(sid, "pA").state, "DISCONNECTED");
	assert_string_equal(participant(sid, "pB").state, "CONNECTED");
	got = events_of(sid, "pA");
	assert_int_equal(got.n, 2);
	assert_string_equal(got.list[1], "LEFT");
	assert_int_equal(events_of(sid, "pB").n, 1);
	assert_int_equal(session_of(stage, sid).connected, 1);
	simple(do_recover, NULL, "node-b", T0 + 60, 0);
	assert_int_equal(session_of(stage, sid).connected, 0);
	simple(do_end_idle, NULL, NULL, T0 + 60 + IDLE, 0);
	assert_string_equal(active(stage), "");
}

static void
test_revocation(void **state)
{
	const char *stage = new_stage(), *other = new_stage();
	char sid[SESSION_ID_CAP];
	struct op o = { .fn = do_revoke, .stage = stage, .pid = "pA", .now = T0 + 10 };

	(void)state;
	snprintf(sid, sizeof(sid), "%s", join(stage, "pA", "", "n1", T0));
	assert_int_equal(run(&o), ERR_OK);
	assert_true(o.flag);					/* was connected */
	assert_string_equal(participant(sid, "pA").state, "DISCONNECTED");
	assert_int_equal(run(&o), ERR_OK);			/* again: still fine */
	assert_false(o.flag);
	o = (struct op){ .fn = do_revoke, .stage = stage, .pid = "foreign-token-id", .now = T0 };
	assert_int_equal(run(&o), ERR_OK);			/* no token record, no session */
	assert_false(o.flag);
	o = (struct op){ .fn = do_is_revoked, .stage = stage, .pid = "pA" };
	assert_int_equal(run(&o), ERR_OK);
	assert_true(o.flag);
	o = (struct op){ .fn = do_is_revoked, .stage = stage, .pid = "foreign-token-id" };
	assert_int_equal(run(&o), ERR_OK);
	assert_true(o.flag);
	o = (struct op){ .fn = do_is_revoked, .stage = other, .pid = "pA" };
	assert_int_equal(run(&o), ERR_OK);
	assert_false(o.flag);					/* for that stage only */
	o = (struct op){ .fn = do_is_revoked, .stage = stage, .pid = "pB" };
	assert_int_equal(run(&o), ERR_OK);
	assert_false(o.flag);
}

static void
test_stage_deletion_ends_session(void **state)
{
	const char *stage = new_stage();
	char sid[SESSION_ID_CAP];

	(void)state;
	simple(do_end_stage, stage, NULL, T0, 0);		/* nothing to end */
	snprintf(sid, sizeof(sid), "%s", join(stage, "pA", "", "n1", T0));
	join(stage, "pB", "", "n1", T0);
	simple(do_end_stage, stage, NULL, T0 + 500, 0);
	assert_string_equal(active(stage), "");
	assert_int_equal(session_of(stage, sid).end_ms, T0 + 500);
	assert_string_equal(participant(sid, "pA").state, "DISCONNECTED");
	assert_string_equal(participant(sid, "pB").state, "DISCONNECTED");
	assert_string_equal(events_of(sid, "pB").list[1], "LEFT");
}

static void
test_retention(void **state)
{
	const char *old = new_stage(), *recent = new_stage();
	const long long day = 86400000LL, now = T0 + 30 * day;
	char old_sid[SESSION_ID_CAP], recent_sid[SESSION_ID_CAP];
	struct session_rec r;
	struct seen w = { .rows = 0 };
	struct err e;
	struct store *s = store_thread(&e);

	(void)state;
	snprintf(old_sid, sizeof(old_sid), "%s", join(old, "pA", "", "n1", T0));
	simple(do_end_stage, old, NULL, now - 15 * day, 0);
	snprintf(recent_sid, sizeof(recent_sid), "%s", join(recent, "pA", "", "n1", T0));
	simple(do_end_stage, recent, NULL, now - 13 * day, 0);
	simple(do_retain, NULL, NULL, now, LIMIT_HISTORY_DAYS);
	assert_int_equal(store_session_get(s, old, old_sid, &r, &e), ERR_NOT_FOUND);
	assert_int_equal(store_participant_read(s, old_sid, "pA", see, &w, &e), ERR_NOT_FOUND);
	assert_int_equal(events_of(old_sid, "pA").n, 0);
	assert_int_equal(session_of(recent, recent_sid).end_ms, now - 13 * day);
	assert_int_equal(events_of(recent_sid, "pA").n, 2);
}

/* Walks every page of a filtered list, limit rows at a time, into one
 * list of ids (in order); *pages counts the pages read. */
static struct seen
walk(const char *sid, enum participant_filter f, const char *text, int flag, int limit,
    int *pages)
{
	struct seen all = { .rows = 0 }, page;
	long long after = 0;
	struct err e;
	struct store *s = store_thread(&e);
	int i;

	*pages = 0;
	do {
		memset(&page, 0, sizeof(page));
		assert_int_equal(store_participants_page(s, sid, f, text, flag, after, limit, see,
		    &page, &e), ERR_OK);
		(*pages)++;
		for (i = 0; i < page.rows && all.rows < 32; i++)
			memcpy(all.ids[all.rows++], page.ids[i], sizeof(all.ids[0]));
		after = page.last_seq;
	} while (page.rows == limit);
	return all;
}

/* Seven participants, more than a page of 3: every filter, every page. */
static void
test_participant_filters_and_paging(void **state)
{
	static const struct {
		const char *pid, *user;
		int publish, leave;
	} people[] = {
		{ "p0", "ann", 1, 0 }, { "p1", "bob", 0, 1 }, { "p2", "ann", 0, 0 },
		{ "p3", "cid", 1, 1 }, { "p4", "ann", 1, 1 }, { "p5", "dee", 0, 0 },
		{ "p6", "bob", 0, 0 },
	};
	static const struct {
		enum participant_filter f;
		const char *text;
		int flag;
		const char *want;	/* ids in order, concatenated */
	} cases[] = {
		{ PFILTER_NONE, NULL, 0, "p0p1p2p3p4p5p6" },
		{ PFILTER_USER, "ann", 0, "p0p2p4" },
		{ PFILTER_USER, "bob", 0, "p1p6" },
		{ PFILTER_USER, "zed", 0, "" },
		{ PFILTER_PUBLISHED, NULL, 1, "p0p3p4" },
		{ PFILTER_PUBLISHED, NULL, 0, "p1p2p5p6" },
		{ PFILTER_STATE, "CONNECTED", 0, "p0p2p5p6" },
		{ PFILTER_STATE, "DISCONNECTED", 0, "p1p3p4" },
		{ PFILTER_RECORDING, "ACTIVE", 0, "" },	/* recording is not served */
	};
	const char *stage = new_stage();
	char sid[SESSION_ID_CAP], got[64];
	struct seen all;
	size_t i;
	int k, pages;

	(void)state;
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		snprintf(sid, sizeof(sid), "%s", join(stage, people[i].pid, people[i].user, "n1",
		    T0 + (long long)i));
		if (people[i].publish) {
			struct op o = { .fn = do_event, .stage = stage, .pid = people[i].pid,
			    .name = "PUBLISH_STARTED", .now = T0 + 100 };
			assert_int_equal(run(&o), ERR_OK);
		}
	}
	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++)
		if (people[i].leave)
			leave(stage, people[i].pid, T0 + 200);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		all = walk(sid, cases[i].f, cases[i].text, cases[i].flag, 3, &pages);
		got[0] = '\0';
		for (k = 0; k < all.rows; k++)
			strncat(got, all.ids[k], sizeof(got) - strlen(got) - 1);
		assert_string_equal(got, cases[i].want);
		assert_int_equal(pages, all.rows / 3 + 1);
	}
}

struct session_walk {
	char ids[8][SESSION_ID_CAP];
	int n;
	long long last;
};

static enum err_code
see_session(void *arg, const struct session_rec *r)
{
	struct session_walk *w = arg;

	if (w->n < 8)
		memcpy(w->ids[w->n++], r->id, SESSION_ID_CAP);
	w->last = r->seq;
	return ERR_OK;
}

/* Five sessions of a stage, listed two at a time: newest first. */
static void
test_sessions_newest_first(void **state)
{
	const char *stage = new_stage();
	char made[5][SESSION_ID_CAP];
	struct session_walk page;
	long long before = INT64_MAX;
	struct err e;
	struct store *s = store_thread(&e);
	int i, at = 4;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(made[i], sizeof(made[i]), "%s", join(stage, "pA", "", "n1", T0 + i * 10));
		simple(do_end_stage, stage, NULL, T0 + i * 10 + 5, 0);
	}
	join(new_stage(), "pA", "", "n1", T0);	/* another stage's: not listed */
	do {
		memset(&page, 0, sizeof(page));
		assert_int_equal(store_sessions_page(s, stage, before, 2, see_session, &page, &e),
		    ERR_OK);
		for (i = 0; i < page.n; i++)
			assert_string_equal(page.ids[i], made[at--]);
		before = page.last;
	} while (page.n == 2);
	assert_int_equal(at, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_starts_session),
		cmocka_unit_test(test_leave_rejoin_keeps_first_join),
		cmocka_unit_test(test_join_seq_marks_a_reconnect),
		cmocka_unit_test(test_events_in_order),
		cmocka_unit_test(test_idle_end_and_new_session),
		cmocka_unit_test(test_recover_this_node_only),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_stage_deletion_ends_session),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_participant_filters_and_paging),
		cmocka_unit_test(test_sessions_newest_first),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
