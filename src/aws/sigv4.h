/* SigV4: parsing of the Authorization header.
 *
 * Pure functions, no I/O. Verifying the signature itself needs the
 * caller's secret and belongs to strict mode (credentials configured).
 */
#ifndef RTSTAGE_AWS_SIGV4_H
#define RTSTAGE_AWS_SIGV4_H

#include "util/err.h"

struct sigv4_auth {
	char access_key[129];
	char date[9];			/* YYYYMMDD of the credential scope */
	char region[64];
	char service[64];
	char signed_headers[1024];	/* as sent: "host;x-amz-date" */
	char signature[65];		/* lower-case hex */
};

/* Parses "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=hex" into out. header may be NULL.
 * Returns ERR_OK; ERR_MISSING_AUTH when header is NULL or empty;
 * ERR_INCOMPLETE_SIG, with a message naming what is wrong, otherwise. */
enum err_code sigv4_parse(const char *header, struct sigv4_auth *out, struct err *e);

#endif
