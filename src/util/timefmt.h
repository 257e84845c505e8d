/* Time formats of the API. */
#ifndef RTSTAGE_UTIL_TIMEFMT_H
#define RTSTAGE_UTIL_TIMEFMT_H

#include <time.h>

#define TIME_ISO8601_LEN 21	/* "2026-01-02T03:04:05Z" and the NUL */

/* Writes t as ISO 8601 UTC ("YYYY-MM-DDTHH:MM:SSZ") into out. */
void time_iso8601(time_t t, char out[TIME_ISO8601_LEN]);

#endif
