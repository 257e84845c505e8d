/* A linear pre-scan of JSON text that sizes it before anything is built.
 *
 * Parsing builds one allocated node per value, tens of bytes each, so a
 * body's memory cost follows its count of values, not its length. This
 * counts them cheaply (no allocation, one pass, strings skipped) so that
 * absurd bodies are refused before the tree exists. It does not check
 * that the text is JSON: the parser does.
 */
#ifndef RTSTAGE_UTIL_JSONSCAN_H
#define RTSTAGE_UTIL_JSONSCAN_H

#include <stddef.h>

/* The number of values in the JSON text s[0..len), counted as containers
 * plus commas plus one, outside strings: exact for non-empty containers,
 * one more per empty one, so never less than the parser will build.
 * Stops and returns stop + 1 as soon as the count exceeds stop, so the
 * cost is bounded by the answer, not the text. */
size_t jsonscan_values(const char *s, size_t len, size_t stop);

#endif
