/* Time formats of the API, and UTC calendar arithmetic.
 *
 * The calendar functions are pure: glibc's gmtime_r and timegm take the
 * process-wide time-zone lock on every call (even for UTC), which every
 * request would otherwise queue on.
 */
#ifndef RTSTAGE_UTIL_TIMEFMT_H
#define RTSTAGE_UTIL_TIMEFMT_H

#include <time.h>

#define TIME_ISO8601_LEN 21	/* "2026-01-02T03:04:05Z" and the NUL */

/* Writes t as ISO 8601 UTC ("YYYY-MM-DDTHH:MM:SSZ") into out. Years
 * 0-9999 only. Thread-safe, takes no lock. */
void time_iso8601(time_t t, char out[TIME_ISO8601_LEN]);

/* What gmtime_r gives for t (seconds since the epoch, UTC): every field
 * of tm (tm_isdst 0). Thread-safe, takes no lock. */
void time_utc(long long t, struct tm *tm);

/* What timegm gives for tm's year, month, day, hour, minute and second,
 * fields out of range carried over as timegm does (31 February is 3
 * March); other fields ignored, tm unchanged. Thread-safe, no lock. */
long long time_utc_seconds(const struct tm *tm);

#endif
