/* Percent-decoding of URL paths and query strings. */
#ifndef RTSTAGE_UTIL_PCT_H
#define RTSTAGE_UTIL_PCT_H

#include <stddef.h>

/* The value of hex digit c (either case), or -1. */
int pct_hex_value(char c);

/* Decodes the n bytes at s into out (cap bytes, NUL-terminated). '+' is
 * kept as is (AWS clients encode spaces as %20). Returns the decoded
 * length, or -1 for a malformed escape, an encoded NUL, or no room. */
long pct_decode(const char *s, size_t n, char *out, size_t cap);

#endif
