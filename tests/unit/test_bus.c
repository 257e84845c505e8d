/* The in-process event bus: local delivery with this node's id, the
 * remote transport called for every publish (and its failure swallowed),
 * and remote deliveries of this node's own events dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/bus.h"

static struct bus_event seen[8];
static int n_seen, n_sent, fail_send;

static void
record(void *arg, const struct bus_event *ev)
{
	int *calls = arg;

	(*calls)++;
	if (n_seen < 8)
		seen[n_seen++] = *ev;
}

static enum err_code
send_remote(void *ctx, const struct bus_event *ev, struct err *e)
{
	(void)ctx;
	(void)ev;
	n_sent++;
	return fail_send ? err_set(e, ERR_INTERNAL, "transport down") : ERR_OK;
}

static const struct bus_remote remote = { NULL, send_remote };
static int calls_a, calls_b;

static int
setup(void **state)
{
	struct err e = { ERR_OK, "" };

	(void)state;
	bus_configure("http://node-a:4590", &remote);
	if (bus_subscribe(record, &calls_a, &e) != ERR_OK ||
	    bus_subscribe(record, &calls_b, &e) != ERR_OK)
		return -1;
	return 0;
}

static void
reset(void)
{
	n_seen = n_sent = fail_send = calls_a = calls_b = 0;
}

static void
test_publish(void **state)
{
	struct bus_event ev = { .kind = BUS_ROSTER_CHANGED, .stage_arn = "arn:s",
	    .participant_id = "p1", .node = "whatever" };

	(void)state;
	reset();
	bus_publish(&ev);
	assert_int_equal(calls_a, 1);
	assert_int_equal(calls_b, 1);
	assert_int_equal(n_sent, 1);
	assert_string_equal(seen[0].node, "http://node-a:4590");	/* ours, not the caller's */
	assert_string_equal(seen[0].stage_arn, "arn:s");
	assert_string_equal(seen[0].participant_id, "p1");
	assert_int_equal(seen[0].kind, BUS_ROSTER_CHANGED);
}

static void
test_transport_failure_is_not_the_publishers(void **state)
{
	struct bus_event ev = { .kind = BUS_STAGE_DELETED, .stage_arn = "arn:s" };

	(void)state;
	reset();
	fail_send = 1;
	bus_publish(&ev);
	assert_int_equal(n_sent, 1);
	assert_int_equal(calls_a, 1);	/* delivered here all the same */
}

static void
test_remote_delivery(void **state)
{
	struct bus_event other = { .kind = BUS_PARTICIPANT_DISCONNECTED, .stage_arn = "arn:s",
	    .participant_id = "p2", .node = "http://node-b:4590", .reason = "bye" };
	struct bus_event own = other;

	(void)state;
	reset();
	bus_deliver_remote(&other);
	assert_int_equal(calls_a, 1);
	assert_string_equal(seen[0].reason, "bye");
	assert_int_equal(n_sent, 0);	/* never sent back out */
	snprintf(own.node, sizeof(own.node), "http://node-a:4590");
	bus_deliver_remote(&own);	/* our own event coming back: dropped */
	assert_int_equal(calls_a, 1);
}

static void
test_subscribers_are_bounded(void **state)
{
	struct err e = { ERR_OK, "" };
	int i, refused = 0, dummy = 0;

	(void)state;
	for (i = 0; i < 16; i++)
		refused += bus_subscribe(record, &dummy, &e) != ERR_OK;
	assert_true(refused > 0);
	assert_true(e.msg[0] != '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_transport_failure_is_not_the_publishers),
		cmocka_unit_test(test_remote_delivery),
		cmocka_unit_test(test_subscribers_are_bounded),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
