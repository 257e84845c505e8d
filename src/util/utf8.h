/* UTF-8 checks for text that leaves the server: where a cut may fall, and
 * a repair that replaces every invalid byte. Pure functions, no state.
 */
#ifndef RTSTAGE_UTIL_UTF8_H
#define RTSTAGE_UTIL_UTF8_H

#include <stddef.h>

#include "util/buf.h"

/* Length of the longest prefix of s[0..len) that does not end inside a
 * multi-byte sequence: len itself unless the last bytes start a character
 * they do not finish. Cutting s there never splits a character. */
size_t utf8_boundary(const char *s, size_t len);

/* Appends s[0..len) to out with every byte that is not part of a
 * well-formed UTF-8 character (RFC 3629: no overlong forms, surrogates or
 * code points past U+10FFFF) replaced by U+FFFD, and NUL bytes likewise.
 * out then holds valid UTF-8 whatever s held. */
void utf8_sanitize(const char *s, size_t len, struct buf *out);

#endif
