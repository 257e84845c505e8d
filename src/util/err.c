/* err_set: the single way an error detail is written. */
#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

enum err_code
err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);	/* truncation is acceptable for a message */
	va_end(ap);
	return code;
}
