/* ARN parsing and formatting. */
#include <stdio.h>
#include <string.h>

#include "ivs/arn.h"

#define PREFIX "arn:aws:ivs:"

/* Copies the field [p, end) into out (cap bytes); 0 if non-empty and fits. */
static int
field(const char *p, const char *end, char *out, size_t cap)
{
	size_t n = (size_t)(end - p);

	if (end == NULL || n == 0 || n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
arn_parse(const char *s, struct arn *out)
{
	const char *p, *colon, *slash;

	if (strncmp(s, PREFIX, strlen(PREFIX)) != 0)
		return -1;
	p = s + strlen(PREFIX);
	if ((colon = strchr(p, ':')) == NULL || field(p, colon, out->region, sizeof(out->region)))
		return -1;
	p = colon + 1;
	if ((colon = strchr(p, ':')) == NULL || field(p, colon, out->account, sizeof(out->account)))
		return -1;
	if (strlen(out->account) != 12 || strspn(out->account, "0123456789") != 12)
		return -1;
	p = colon + 1;
	if ((slash = strchr(p, '/')) == NULL || field(p, slash, out->type, sizeof(out->type)))
		return -1;
	p = slash + 1;
	return field(p, p + strlen(p), out->id, sizeof(out->id));
}

int
arn_format(char *out, size_t cap, const char *region, const char *account,
    const char *type, const char *id)
{
	int n = snprintf(out, cap, PREFIX "%s:%s:%s/%s", region, account, type, id);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
arn_owned(const char *s, const char *type, const char *account, const char *region,
    struct arn *out)
{
	return arn_parse(s, out) == 0 && (type == NULL || strcmp(out->type, type) == 0) &&
	    strcmp(out->account, account) == 0 && strcmp(out->region, region) == 0;
}
