/* Range-checked decimal parsing (strtonum's contract, with our error). */
#include <stddef.h>

#include "util/num.h"

enum err_code
num_parse(const char *text, long long min, long long max, const char *what,
    long long *out, struct err *e)
{
	unsigned long long v = 0, limit, d;
	const char *p = text;
	int negative = 0;

	if (p == NULL)
		p = "";
	if (*p == '-' && min < 0) {
		negative = 1;
		p++;
	}
	/* the magnitude may not pass the bound on its side of zero */
	limit = negative ? (unsigned long long)(-(min + 1)) + 1 :
	    (max < 0 ? 0 : (unsigned long long)max);
	if (*p == '\0')
		goto fail;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto fail;
		d = (unsigned long long)(*p - '0');
		if (d > limit || v > (limit - d) / 10)
			goto fail;
		v = v * 10 + d;
	}
	if (negative) {
		if (v == 0) {
			*out = 0;
		} else {
			long long m = -(long long)(v - 1) - 1;
			if (m < min || m > max)
				goto fail;
			*out = m;
		}
		return ERR_OK;
	}
	if ((long long)v < min)
		goto fail;
	*out = (long long)v;
	return ERR_OK;
fail:
	return err_set(e, ERR_VALIDATION, "%s must be a whole number from %lld to %lld, not '%.64s'",
	    what, min, max, text ? text : "");
}
