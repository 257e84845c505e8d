/* err_set: the single way an error detail is written. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/utf8.h"

enum err_code
err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;
	int n;

	e->code = code;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		e->msg[0] = '\0';
	else if ((size_t)n >= sizeof(e->msg))	/* cut: never inside a character */
		e->msg[utf8_boundary(e->msg, strlen(e->msg))] = '\0';
	return code;
}
