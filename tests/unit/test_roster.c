/* STAGE_STATE snapshots from rosters: the exact JSON, sequence numbers,
 * attributes passed through, bad attribute text replaced, the bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "runtime/roster.h"

struct row {
	const char *what;
	int participants, kicked;	/* how many of each to add */
	long long seq;
	const char *want;
};

static const struct row rows[] = {
	{ "empty", 0, 0, 1,
	  "{\"type\":\"STAGE_STATE\",\"payload\":{\"sequenceNumber\":1,\"stageId\":\"S1\","
	  "\"participants\":[],\"disconnected\":[],\"serverFeatures\":[]}}" },
	{ "one of each", 1, 1, 7,
	  "{\"type\":\"STAGE_STATE\",\"payload\":{\"sequenceNumber\":7,\"stageId\":\"S1\","
	  "\"participants\":[{\"id\":\"p0\",\"userId\":\"u\\\"0\",\"attributes\":{\"a\":\"0\"},"
	  "\"audioMuted\":false,\"videoStopped\":true,\"isPublishing\":false}],"
	  "\"disconnected\":[{\"id\":\"k0\",\"status\":\"KICKED\"}],\"serverFeatures\":[]}}" },
};

static void
fill(struct roster *r, int participants, int kicked)
{
	char id[16], user[16], attrs[32];
	int i;

	for (i = 0; i < participants; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		snprintf(user, sizeof(user), "u\"%d", i);
		snprintf(attrs, sizeof(attrs), "{\"a\":\"%d\"}", i);
		assert_int_equal(roster_add(r, id, user, attrs, i % 2, 1, i % 3 == 2), 0);
	}
	for (i = 0; i < kicked; i++) {
		snprintf(id, sizeof(id), "k%d", i);
		assert_int_equal(roster_add_kicked(r, id), 0);
	}
}

static void
test_rows(void **state)
{
	struct roster r;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		roster_init(&r, "S1");
		fill(&r, rows[i].participants, rows[i].kicked);
		text = roster_snapshot(&r, rows[i].seq);
		assert_non_null(text);
		if (strcmp(text, rows[i].want) != 0)
			fail_msg("%s:\n got %s\nwant %s", rows[i].what, text, rows[i].want);
		free(text);
		roster_free(&r);
	}
}

/* Every snapshot is JSON, whatever the attribute text held. */
static void
test_attributes_that_are_not_objects(void **state)
{
	static const char *const bad[] = { "", "[1]", "{", "\"x\"", "null", NULL };
	struct roster r;
	json_t *doc;
	char *text;
	size_t i;

	(void)state;
	roster_init(&r, "S");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(roster_add(&r, "p", "", bad[i], 0, 0, 0), 0);
	text = roster_snapshot(&r, 2);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(json_object_size(json_object_get(json_array_get(json_object_get(
		    json_object_get(doc, "payload"), "participants"), i), "attributes")), 0);
	json_decref(doc);
	free(text);
	roster_free(&r);
}

static void
test_bound(void **state)
{
	struct roster r;
	json_t *doc;
	char *text;

	(void)state;
	roster_init(&r, "S");
	fill(&r, LIMIT_SNAPSHOT_PARTICIPANTS, 5);
	assert_true(r.truncated);
	assert_int_equal(r.n + r.n_kicked, LIMIT_SNAPSHOT_PARTICIPANTS);
	text = roster_snapshot(&r, 1);
	assert_non_null(doc = json_loads(text, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "payload"),
	    "participants")), LIMIT_SNAPSHOT_PARTICIPANTS);
	json_decref(doc);
	free(text);
	roster_free(&r);
	roster_free(&r);	/* twice: empty the second time */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_attributes_that_are_not_objects),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
