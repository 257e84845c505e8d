/* ARNs of ivs resources: arn:aws:ivs:REGION:ACCOUNT:TYPE/ID. Pure functions. */
#ifndef RTSTAGE_IVS_ARN_H
#define RTSTAGE_IVS_ARN_H

#include <stddef.h>

struct arn {
	char region[64];
	char account[16];
	char type[32];		/* "stage", "storage-configuration", ... */
	char id[64];
};

/* Splits s into out. Returns 0, or -1 if s is not of the form above (a
 * 12-digit account, a non-empty region, type and id). */
int arn_parse(const char *s, struct arn *out);

/* Writes the ARN of (region, account, type, id) into out (cap bytes).
 * Returns 0, or -1 if it did not fit. */
int arn_format(char *out, size_t cap, const char *region, const char *account,
    const char *type, const char *id);

/* Parses s into out and checks that it names a resource of type (any type
 * when NULL) owned by (account, region). Returns 1 if so, else 0: to its
 * caller such an ARN names nothing. */
int arn_owned(const char *s, const char *type, const char *account, const char *region,
    struct arn *out);

#endif
