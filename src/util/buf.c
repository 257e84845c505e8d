/* Capped growable buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = b->alloc = 0;
	b->cap = cap ? cap : BUF_DEFAULT_CAP;
	b->truncated = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->truncated = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL, within the cap; returns how
 * many of the n fit. */
static size_t
reserve(struct buf *b, size_t n)
{
	size_t want, room;
	char *p;

	room = b->cap - b->len;
	if (n > room) {
		n = room;
		b->truncated = 1;
	}
	want = b->len + n + 1;
	if (want > b->alloc) {
		size_t a = b->alloc ? b->alloc : 64;
		while (a < want)
			a *= 2;
		if ((p = realloc(b->data, a)) == NULL) {
			b->truncated = 1;
			return 0;
		}
		b->data = p;
		b->alloc = a;
	}
	return n;
}

void
buf_append(struct buf *b, const char *p, size_t n)
{
	n = reserve(b, n);
	if (b->data == NULL)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_append(b, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->truncated = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_append(b, big, (size_t)n);
	free(big);
}

const char *
buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *
buf_take(struct buf *b)
{
	char *p = b->data;

	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}
