/* ISO 8601 timestamps and UTC calendar arithmetic, without libc's
 * time-zone machinery (see timefmt.h). Days are counted in the proleptic
 * Gregorian calendar from eras of 400 years (146,097 days), with years
 * starting on 1 March so that the leap day ends them. */
#include "util/timefmt.h"

#define DAY 86400LL
#define ERA_DAYS 146097LL
#define EPOCH_SHIFT 719468LL	/* days from 0000-03-01 to 1970-01-01 */

/* Days since 1970-01-01 of year y, month m (1-12), day d (1-31, or beyond:
 * linear in d). */
static long long
days_from_civil(long long y, unsigned m, long long d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;					/* 0-399 */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* from 1 March */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;		/* 0-146096 */
	return era * ERA_DAYS + doe - EPOCH_SHIFT;
}

/* The inverse: year, month (1-12) and day (1-31) of day z since 1970-01-01. */
static void
civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era, doe, yoe, doy, mp;

	z += EPOCH_SHIFT;
	era = (z >= 0 ? z : z - ERA_DAYS + 1) / ERA_DAYS;
	doe = z - era * ERA_DAYS;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static long long
floor_div(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void
time_utc(long long t, struct tm *tm)
{
	long long days = floor_div(t, DAY), secs = t - days * DAY, wday = (days + 4) % 7, y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)m - 1;
	tm->tm_mday = (int)d;
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)(wday < 0 ? wday + 7 : wday);	/* 1970-01-01 was a Thursday */
	tm->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	tm->tm_isdst = 0;
}

long long
time_utc_seconds(const struct tm *tm)
{
	long long y = (long long)tm->tm_year + 1900, mon = tm->tm_mon;

	y += floor_div(mon, 12);
	mon -= floor_div(mon, 12) * 12;
	return days_from_civil(y, (unsigned)mon + 1, tm->tm_mday) * DAY +
	    (long long)tm->tm_hour * 3600 + (long long)tm->tm_min * 60 + tm->tm_sec;
}

/* Writes v as n digits, zero-padded. */
static void
digits(char *out, unsigned v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
time_iso8601(time_t t, char out[TIME_ISO8601_LEN])
{
	struct tm tm;

	time_utc((long long)t, &tm);
	digits(out, (unsigned)(tm.tm_year + 1900), 4);
	out[4] = '-';
	digits(out + 5, (unsigned)tm.tm_mon + 1, 2);
	out[7] = '-';
	digits(out + 8, (unsigned)tm.tm_mday, 2);
	out[10] = 'T';
	digits(out + 11, (unsigned)tm.tm_hour, 2);
	out[13] = ':';
	digits(out + 14, (unsigned)tm.tm_min, 2);
	out[16] = ':';
	digits(out + 17, (unsigned)tm.tm_sec, 2);
	out[19] = 'Z';
	out[20] = '\0';
}
