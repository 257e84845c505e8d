/* UTF-8 boundaries and repair (RFC 3629). */
#include "util/utf8.h"

/* Length of the well-formed character at s[0..len), or 0 if none. */
static size_t
char_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned lo = 0x80, hi = 0xBF;

	if (s[0] >= 0x01 && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;		/* overlong */
	else if (s[0] == 0xED)
		hi = 0x9F;		/* surrogates */
	else if (s[0] == 0xF0)
		lo = 0x90;		/* overlong */
	else if (s[0] == 0xF4)
		hi = 0x8F;		/* past U+10FFFF */
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

size_t
utf8_boundary(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = len, need;

	/* back up over at most 3 continuation bytes to the last lead byte */
	while (start > 0 && len - start < 4 && (u[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0 || (u[start - 1] & 0xC0) != 0xC0)
		return len;		/* no lead byte just before: nothing half-cut */
	start--;
	need = u[start] >= 0xF0 ? 4 : u[start] >= 0xE0 ? 3 : 2;
	return len - start < need ? start : len;
}

void
utf8_sanitize(const char *s, size_t len, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, n;

	while (i < len) {
		if ((n = char_len(u + i, len - i)) > 0) {
			i += n;
			run += n;
			continue;
		}
		buf_append(out, s + i - run, run);
		buf_append(out, "\xEF\xBF\xBD", 3);
		run = 0;
		i++;
	}
	buf_append(out, s + len - run, run);
}
