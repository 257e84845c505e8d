/* A growable byte buffer with a hard cap.
 *
 * Appends past the cap are cut and remembered in `truncated`; the contents
 * are always NUL-terminated once anything was appended. Never fails loudly:
 * out of memory also sets `truncated`, so callers check one flag.
 */
#ifndef RTSTAGE_UTIL_BUF_H
#define RTSTAGE_UTIL_BUF_H

#include <stddef.h>

#define BUF_DEFAULT_CAP (1024 * 1024)

struct buf {
	char *data;		/* NULL until the first append */
	size_t len, alloc, cap;
	int truncated;
};

/* Empties b with a cap of cap bytes (0: BUF_DEFAULT_CAP). Allocates nothing. */
void buf_init(struct buf *b, size_t cap);

/* Frees b's memory; b may be reused after buf_init. Accepts a zeroed buf. */
void buf_free(struct buf *b);

/* Forgets the contents, keeps the memory. */
void buf_reset(struct buf *b);

void buf_append(struct buf *b, const char *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The contents as a C string; "" when empty. Valid until the next append. */
const char *buf_cstr(const struct buf *b);

/* Hands the contents to the caller (free() them) and empties b. Returns
 * NULL when nothing was appended. */
char *buf_take(struct buf *b);

#endif
