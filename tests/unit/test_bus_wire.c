/* The bus event's wire form (core/bus_wire.c): every kind round-trips
 * with edge values, and a table of texts that are not events is refused
 * with ERR_VALIDATION and leaves the event zeroed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/bus.h"
#include "limits.h"

#define ARN "arn:aws:ivs:us-east-1:123456789012:stage/AbCdEf123456"

/* Fills dst (cap bytes) with cap - 1 copies of c. */
static void
fill(char *dst, size_t cap, char c)
{
	memset(dst, c, cap - 1);
	dst[cap - 1] = '\0';
}

static void
set(struct bus_event *ev, enum bus_kind kind, const char *arn, const char *id,
    const char *node, const char *reason)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	snprintf(ev->stage_arn, sizeof(ev->stage_arn), "%s", arn);
	snprintf(ev->participant_id, sizeof(ev->participant_id), "%s", id);
	snprintf(ev->node, sizeof(ev->node), "%s", node);
	snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
}

static void
round_trip(const struct bus_event *ev)
{
	char text[LIMIT_NOTIFY_PAYLOAD_BYTES];
	struct bus_event back;
	struct err e;
	int n;

	n = bus_encode(ev, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(strlen(text), (size_t)n);
	assert_null(strchr(text, '\n'));
	memset(&back, 0x55, sizeof(back));
	assert_int_equal(bus_decode(text, &back, &e), ERR_OK);
	assert_int_equal(back.kind, ev->kind);
	assert_string_equal(back.stage_arn, ev->stage_arn);
	assert_string_equal(back.participant_id, ev->participant_id);
	assert_string_equal(back.node, ev->node);
	assert_string_equal(back.reason, ev->reason);
}

static void
test_round_trips(void **state)
{
	static const struct { const char *id, *node, *reason; } rows[] = {
		{ "", "", "" },
		{ "p-1_AbC", "https://node-a.example:8443", "" },
		{ "abc", "https://n", "kicked | by admin \\ twice" },
		{ "abc", "n", "||||\\\\\\|" },
		{ "abc", "n", "raison: d\xc3\xa9" "connect\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x8e\xa5" },
		{ "abc", "n|with|bars", "\\" },
		{ "abc", "n", "trailing backslash\\" },
		{ "abc", "n", "tab\tand\rcontrol\x01" },
	};
	struct bus_event ev;
	size_t i;
	int k;

	(void)state;
	for (k = 0; k < BUS_KIND__COUNT; k++)
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			set(&ev, (enum bus_kind)k, ARN, rows[i].id, rows[i].node, rows[i].reason);
			round_trip(&ev);
		}
}

/* Every member at its longest, plain and made only of characters that
 * need escaping (the encoded text is then at its longest). */
static void
test_maximum_lengths(void **state)
{
	static const char fills[] = { 'x', '|', '\\' };
	struct bus_event ev;
	size_t i;
	int k;

	(void)state;
	for (k = 0; k < BUS_KIND__COUNT; k++)
		for (i = 0; i < sizeof(fills); i++) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = (enum bus_kind)k;
			fill(ev.stage_arn, sizeof(ev.stage_arn), fills[i]);
			fill(ev.participant_id, sizeof(ev.participant_id), fills[i]);
			fill(ev.node, sizeof(ev.node), fills[i]);
			fill(ev.reason, sizeof(ev.reason), fills[i]);
			round_trip(&ev);
		}
}

/* What the encoder refuses: a kind out of range, no stage, a member not
 * terminated within its array, and an output buffer too small. */
static void
test_encode_refuses(void **state)
{
	char text[LIMIT_NOTIFY_PAYLOAD_BYTES], small[16];
	struct bus_event ev;
	int n;

	(void)state;
	set(&ev, BUS_KIND__COUNT, ARN, "", "", "");
	assert_int_equal(bus_encode(&ev, text, sizeof(text)), -1);
	set(&ev, BUS_STAGE_DELETED, "", "", "", "");
	assert_int_equal(bus_encode(&ev, text, sizeof(text)), -1);
	set(&ev, BUS_STAGE_DELETED, ARN, "", "", "");
	memset(ev.reason, 'r', sizeof(ev.reason));
	assert_int_equal(bus_encode(&ev, text, sizeof(text)), -1);
	set(&ev, BUS_STAGE_DELETED, ARN, "", "", "");
	assert_int_equal(bus_encode(&ev, small, sizeof(small)), -1);
	assert_int_equal(bus_encode(&ev, text, 0), -1);
	/* exactly the encoded length plus its NUL fits; one byte less does not */
	n = bus_encode(&ev, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(bus_encode(&ev, small, 0), -1);
	assert_int_equal(bus_encode(&ev, text, (size_t)n + 1), n);
	assert_int_equal(bus_encode(&ev, text, (size_t)n), -1);
}

/* Text with every member at its longest but member which, one byte longer
 * than its struct member can hold. */
static void
over_long(char *out, size_t cap, int which)
{
	static const size_t caps[] = { BUS_ARN_CAP, BUS_ID_CAP, BUS_NODE_CAP, BUS_REASON_CAP };
	size_t len, i;

	len = (size_t)snprintf(out, cap, "1|roster");
	for (i = 0; i < 4; i++) {
		out[len++] = '|';
		memset(out + len, 'a' + (int)i, caps[i] - ((int)i == which ? 0 : 1));
		len += caps[i] - ((int)i == which ? 0 : 1);
	}
	assert_true(len < cap);
	out[len] = '\0';
}

static void
test_malformed(void **state)
{
	static char longs[4][1024], huge[LIMIT_NOTIFY_PAYLOAD_BYTES + 10];
	const char *rows[] = {
		"",
		"1",
		"1|",
		"2|roster|" ARN "|p|n|",
		"0|roster|" ARN "|p|n|",
		"01|roster|" ARN "|p|n|",
		"1 |roster|" ARN "|p|n|",
		"v1|roster|" ARN "|p|n|",
		"1|ROSTER|" ARN "|p|n|",
		"1|rosterx|" ARN "|p|n|",
		"1||" ARN "|p|n|",
		"1|a-kind-name-much-too-long|" ARN "|p|n|",
		"1|roster",
		"1|roster|" ARN,
		"1|roster|" ARN "|p",
		"1|roster|" ARN "|p|n",
		"1|roster|" ARN "|p|n|r|",
		"1|roster|" ARN "|p|n|r|extra",
		"1|roster||p|n|r",
		"1|roster|" ARN "|p\\x|n|r",
		"1|roster|" ARN "|p|n|r\\",
		"1|roster|" ARN "|p|n|r\\n",
		"1\\|roster|" ARN "|p|n|r",
		"{\"kind\":\"roster\"}",
		longs[0], longs[1], longs[2], longs[3], huge,
	};
	char good[1024];
	struct bus_event ev, zero;
	struct err e;
	size_t i;
	int k;

	(void)state;
	for (k = 0; k < 4; k++)
		over_long(longs[k], sizeof(longs[k]), k);
	/* the same text with every member at its longest is an event */
	over_long(good, sizeof(good), -1);
	assert_int_equal(bus_decode(good, &ev, &e), ERR_OK);
	memset(huge, 'h', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, "1|roster|", 9);
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&ev, 0x55, sizeof(ev));
		e.code = ERR_OK;
		if (bus_decode(rows[i], &ev, &e) != ERR_VALIDATION)
			fail_msg("row %zu (%.60s) was accepted", i, rows[i]);
		assert_int_equal(e.code, ERR_VALIDATION);
		assert_memory_equal(&ev, &zero, sizeof(ev));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_maximum_lengths),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
