/* UTC calendar arithmetic against glibc's gmtime_r and timegm, and the
 * ISO 8601 text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/timefmt.h"

/* Instants around the edges: the epoch, leap days, century and 400-year
 * rules, before 1970, the 32-bit rollover, the last second of 9999. */
static const long long instants[] = {
	0, -1, 1, 86399, 86400, -86400, -86401,
	951782400,	/* 2000-02-29 */
	951868800,	/* 2000-03-01 */
	4107456000LL,	/* 2100-02-28 */
	4107542400LL,	/* 2100-03-01 */
	1709164800,	/* 2024-02-29 */
	2147483647LL, 2147483648LL,
	-2208988800LL,	/* 1900-01-01 */
	-62135596800LL,	/* 0001-01-01 */
	253402300799LL,	/* 9999-12-31T23:59:59 */
	1795000000, 1795046399,
};

static void
check_one(long long t)
{
	time_t tt = (time_t)t;
	struct tm want, got;

	assert_non_null(gmtime_r(&tt, &want));
	memset(&got, 0x55, sizeof(got));
	time_utc(t, &got);
	assert_int_equal(got.tm_year, want.tm_year);
	assert_int_equal(got.tm_mon, want.tm_mon);
	assert_int_equal(got.tm_mday, want.tm_mday);
	assert_int_equal(got.tm_hour, want.tm_hour);
	assert_int_equal(got.tm_min, want.tm_min);
	assert_int_equal(got.tm_sec, want.tm_sec);
	assert_int_equal(got.tm_wday, want.tm_wday);
	assert_int_equal(got.tm_yday, want.tm_yday);
	assert_int_equal(got.tm_isdst, 0);
	assert_int_equal(time_utc_seconds(&got), t);
}

static void
test_edges(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(instants) / sizeof(instants[0]); i++)
		check_one(instants[i]);
}

/* Every day from 1600 to 2500 at a varying time of day. */
static void
test_every_day(void **state)
{
	long long t;

	(void)state;
	for (t = -11676096000LL; t < 16725225600LL; t += 86400 + 3607)
		check_one(t);
}

/* Fields out of range carry over as timegm carries them (a date strptime
 * accepts, such as 31 February, or a leap second). */
static void
test_carry_like_timegm(void **state)
{
	static const int rows[][6] = {	/* year-1900, mon, mday, hour, min, sec */
		{ 126, 1, 31, 0, 0, 0 }, { 124, 1, 30, 12, 0, 0 }, { 126, 11, 31, 23, 59, 60 },
		{ 126, 11, 31, 23, 59, 61 }, { 126, 12, 1, 0, 0, 0 }, { 126, -1, 1, 0, 0, 0 },
		{ 126, 0, 0, 0, 0, 0 }, { 70, 0, 1, 24, 60, 60 },
	};
	struct tm tm;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = rows[i][0];
		tm.tm_mon = rows[i][1];
		tm.tm_mday = rows[i][2];
		tm.tm_hour = rows[i][3];
		tm.tm_min = rows[i][4];
		tm.tm_sec = rows[i][5];
		{
			struct tm copy = tm;
			long long got = time_utc_seconds(&tm);

			assert_int_equal(got, (long long)timegm(&copy));
		}
	}
}

static void
test_iso8601(void **state)
{
	static const struct {
		long long t;
		const char *text;
	} rows[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 1795046399, "2026-11-18T23:59:59Z" },
		{ 253402300799LL, "9999-12-31T23:59:59Z" },
		{ -1, "1969-12-31T23:59:59Z" },
	};
	char out[TIME_ISO8601_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_iso8601((time_t)rows[i].t, out);
		assert_string_equal(out, rows[i].text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_every_day),
		cmocka_unit_test(test_carry_like_timegm),
		cmocka_unit_test(test_iso8601),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
