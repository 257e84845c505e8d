/* The media host queries (src/store/media_host_store.c) on a real SQLite
 * store in a temporary directory, each call inside a store_write job as
 * stage_host.c makes it: a node's heartbeat, the host of a stage set,
 * replaced, dropped only by its holder, pruned of stages that no longer
 * exist (and only the pruning node's), forgotten with the node. Each test
 * uses nodes and stages of its own. RTSTAGE_UNIT_DB names an empty
 * PostgreSQL database to run the same checks there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/media_host_store.h"
#include "store/stage_store.h"
#include "store/store.h"
#include "unit_store.h"

static const long long T0 = 1700000000000LL;

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

/* ---- one call per job ---- */

enum what { BEAT, FORGET, GET, SET, DROP, PRUNE, COUNT, STAGE };

struct op {
	enum what what;
	const char *node, *url, *stage;
	long long now;
	struct media_host host;	/* GET's answer */
	long long n;		/* COUNT's answer */
};

/* STAGE: a stages row whose ARN is o->stage (id: its last 12 characters). */
static enum err_code
insert_stage(struct store *s, const struct op *o, struct err *e)
{
	struct stage_rec st;

	memset(&st, 0, sizeof(st));
	snprintf(st.id, sizeof(st.id), "%s", o->stage + strlen(o->stage) - 12);
	snprintf(st.account, sizeof(st.account), "123456789012");
	snprintf(st.region, sizeof(st.region), "us-east-1");
	snprintf(st.arn, sizeof(st.arn), "%s", o->stage);
	return store_stage_insert(s, &st, e);
}

static enum err_code
run_op(struct store *s, void *arg, struct err *e)
{
	struct op *o = arg;

	switch (o->what) {
	case BEAT: return store_media_node_beat(s, o->node, o->url, o->now, e);
	case FORGET: return store_media_node_forget(s, o->node, e);
	case GET: return store_media_host_get(s, o->stage, &o->host, e);
	case SET: return store_media_host_set(s, o->stage, o->node, o->now, e);
	case DROP: return store_media_host_drop(s, o->stage, o->node, e);
	case PRUNE: return store_media_hosts_prune(s, o->node, e);
	case COUNT: return store_media_hosts_count(s, o->node, &o->n, e);
	case STAGE: return insert_stage(s, o, e);
	}
	return err_set(e, ERR_INTERNAL, "no such op");
}

static enum err_code
run(struct op *o)
{
	struct err e = { 0 };

	return store_write(run_op, o, &e);
}

static void
ok(enum what w, const char *node, const char *url, const char *stage, long long now)
{
	struct op o = { .what = w, .node = node, .url = url, .stage = stage, .now = now };

	assert_int_equal(run(&o), ERR_OK);
}

/* The host of stage: its node, or "" when none is recorded. */
static struct media_host
host_of(const char *stage)
{
	struct op o = { .what = GET, .stage = stage };
	enum err_code rc = run(&o);

	assert_true(rc == ERR_OK || rc == ERR_NOT_FOUND);
	if (rc == ERR_NOT_FOUND)
		memset(&o.host, 0, sizeof(o.host));
	return o.host;
}

static long long
count_of(const char *node)
{
	struct op o = { .what = COUNT, .node = node };

	assert_int_equal(run(&o), ERR_OK);
	return o.n;
}

#define ARN(x) "arn:aws:ivs:us-east-1:123456789012:stage/" x

/* ---- the tests ---- */

static void
test_host_set_replaced_dropped(void **state)
{
	const char *stg = ARN("hostAAAAAAAA");
	struct media_host h;

	(void)state;
	ok(BEAT, "a1", "https://a1.example:4590", NULL, T0);
	ok(SET, "a1", NULL, stg, T0);
	h = host_of(stg);
	assert_string_equal(h.node, "a1");
	assert_string_equal(h.url, "https://a1.example:4590");
	assert_int_equal(h.heartbeat_ms, T0);

	ok(BEAT, "a1", "https://a1.example:4590", NULL, T0 + 1000);
	assert_int_equal(host_of(stg).heartbeat_ms, T0 + 1000);

	ok(SET, "a2", NULL, stg, T0 + 2000);	/* taken over by a node that never beat */
	h = host_of(stg);
	assert_string_equal(h.node, "a2");
	assert_string_equal(h.url, "");
	assert_int_equal(h.heartbeat_ms, 0);

	ok(DROP, "a1", NULL, stg, 0);		/* not the holder: nothing changes */
	assert_string_equal(host_of(stg).node, "a2");
	ok(DROP, "a2", NULL, stg, 0);
	assert_string_equal(host_of(stg).node, "");
}

static void
test_prune_forgets_deleted_stages_of_its_node(void **state)
{
	const char *live = ARN("pruneLIVEAAA"), *gone = ARN("pruneGONEAAA");
	const char *other = ARN("pruneOTHERAA");

	(void)state;
	ok(STAGE, NULL, NULL, live, 0);
	ok(SET, "p1", NULL, live, T0);
	ok(SET, "p1", NULL, gone, T0);		/* no stages row: deleted */
	ok(SET, "p2", NULL, other, T0);		/* deleted too, but another node's */
	assert_int_equal(count_of("p1"), 2);

	ok(PRUNE, "p1", NULL, NULL, 0);
	assert_int_equal(count_of("p1"), 1);
	assert_string_equal(host_of(live).node, "p1");
	assert_string_equal(host_of(gone).node, "");
	assert_string_equal(host_of(other).node, "p2");

	ok(PRUNE, "p1", NULL, NULL, 0);		/* again: nothing more to do */
	assert_int_equal(count_of("p1"), 1);
	ok(PRUNE, "p2", NULL, NULL, 0);
	assert_string_equal(host_of(other).node, "");
}

static void
test_forget_takes_the_nodes_stages(void **state)
{
	const char *s1 = ARN("forgetAAAAAA"), *s2 = ARN("forgetBBBBBB");

	(void)state;
	ok(BEAT, "f1", "https://f1.example:4590", NULL, T0);
	ok(SET, "f1", NULL, s1, T0);
	ok(SET, "f2", NULL, s2, T0);
	ok(FORGET, "f1", NULL, NULL, 0);
	assert_int_equal(count_of("f1"), 0);
	assert_string_equal(host_of(s1).node, "");
	assert_string_equal(host_of(s2).node, "f2");

	ok(SET, "f2", NULL, s1, T0 + 1);	/* a node forgotten left no heartbeat */
	ok(SET, "f1", NULL, s1, T0 + 2);
	assert_string_equal(host_of(s1).url, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_set_replaced_dropped),
		cmocka_unit_test(test_prune_forgets_deleted_stages_of_its_node),
		cmocka_unit_test(test_forget_takes_the_nodes_stages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
