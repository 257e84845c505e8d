/* SigV4: the Authorization header, and each step of computing a
 * signature, as small pure functions (no I/O, no clock): canonical
 * request, string to sign, signing key, signature. Verification composes
 * them with the caller's secret (src/aws/auth.c).
 */
#ifndef RTSTAGE_AWS_SIGV4_H
#define RTSTAGE_AWS_SIGV4_H

#include <stddef.h>

#include "util/buf.h"
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

/* Is name one of the semicolon-separated names of signed_headers? The
 * whole name must match, case-insensitively ("host" is not signed by
 * "hostx", "x-host" or "x-amz-date;x-ghost"). */
int sigv4_signs_header(const char *signed_headers, const char *name);

struct sigv4_header {
	const char *name;	/* as received; compared case-insensitively */
	const char *value;
};

/* The parts of a request that SigV4 covers. */
struct sigv4_request {
	const char *method;
	const char *path;		/* raw, as received (still percent-encoded) */
	const char *query;		/* raw, without '?' */
	const struct sigv4_header *headers;	/* in arrival order, repeats included */
	size_t n_headers;
	const char *payload_hash;	/* lower-case hex SHA-256 of the body */
};

/* The canonical URI of a raw request path as AWS clients sign it for
 * every service but S3: each byte other than unreserved characters and
 * '/' is percent-encoded again (so "%3A" signs as "%253A"). */
void sigv4_canonical_uri(const char *raw_path, struct buf *out);

/* The canonical query: parameters decoded, re-encoded as RFC 3986
 * requires, sorted by name and then value. Returns 0, or -1 for a
 * malformed escape. */
int sigv4_canonical_query(const char *raw_query, struct buf *out);

/* The canonical request for req signed over signed_headers ("a;b;c").
 * Returns 0, or -1 if the query is malformed. */
int sigv4_canonical_request(const struct sigv4_request *req, const char *signed_headers,
    struct buf *out);

/* "AWS4-HMAC-SHA256\nDATE\nSCOPE\nhex(SHA-256(creq))". */
void sigv4_string_to_sign(const char *amz_date, const struct sigv4_auth *a, const char *creq,
    size_t creq_len, struct buf *out);

/* The derived key HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
 * service), "aws4_request") into key (32 bytes). */
void sigv4_signing_key(const char *secret, const char *date, const char *region,
    const char *service, unsigned char *key);

/* Lower-case hex HMAC-SHA256(key, sts) into hex (65 bytes). */
void sigv4_signature(const unsigned char *key, const char *sts, size_t sts_len, char *hex);

/* The same signature with a signing key already set in mac (crypto/ids.h).
 * Returns 0, or -1 (hex untouched) if OpenSSL failed. */
struct ids_hmac;
int sigv4_signature_with(struct ids_hmac *mac, const char *sts, size_t sts_len, char *hex);

/* Lower-case hex SHA-256 of n bytes into hex (65 bytes). */
void sigv4_sha256_hex(const void *p, size_t n, char *hex);

#endif
