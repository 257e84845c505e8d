/* The one range-checked number parser for text from outside the process
 * (options, environment variables, headers): decimal digits only. */
#ifndef RTSTAGE_UTIL_NUM_H
#define RTSTAGE_UTIL_NUM_H

#include "util/err.h"

/* Reads text as a decimal integer within [min, max] into *out: digits
 * only, with a leading '-' allowed only when min < 0; no spaces, no '+',
 * no hex, nothing after the digits. On failure returns ERR_VALIDATION with
 * a message naming what (e.g. "--threads (RTSTAGE_THREADS)") and the range,
 * and leaves *out alone. Pure; thread-safe. */
enum err_code num_parse(const char *text, long long min, long long max, const char *what,
    long long *out, struct err *e);

#endif
