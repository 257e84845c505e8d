/* Writing JSON text directly, for responses too hot to build as trees. */
#ifndef RTSTAGE_UTIL_JSONW_H
#define RTSTAGE_UTIL_JSONW_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the n bytes of UTF-8 at s to b as a JSON string literal: quotes,
 * and escapes for '"', '\\' and control characters. */
void jsonw_string(struct buf *b, const char *s, size_t n);

#endif
