/* ISO 8601 timestamps. */
#include "util/timefmt.h"

void
time_iso8601(time_t t, char out[TIME_ISO8601_LEN])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, TIME_ISO8601_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
