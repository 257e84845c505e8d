/* The project's one error type.
 *
 * A fallible function returns an enum err_code (ERR_OK is 0) and, when it
 * fails, writes the human detail once into a struct err where the problem
 * is found. Only src/aws/error.c turns a code into an HTTP status and an AWS
 * error name; nothing else knows them.
 */
#ifndef RTSTAGE_UTIL_ERR_H
#define RTSTAGE_UTIL_ERR_H

#include <stddef.h>

enum err_code {
	ERR_OK = 0,
	ERR_VALIDATION,		/* input breaks a model or domain rule */
	ERR_SERIALIZATION,	/* body is not the JSON the operation takes */
	ERR_NOT_FOUND,		/* resource does not exist for the caller */
	ERR_CONFLICT,		/* resource state forbids the change */
	ERR_QUOTA,		/* a service quota would be exceeded */
	ERR_ACCESS_DENIED,	/* caller may not perform the action */
	ERR_MISSING_AUTH,	/* no Authorization header */
	ERR_INCOMPLETE_SIG,	/* Authorization header malformed */
	ERR_UNRECOGNIZED_CLIENT,/* unknown access key */
	ERR_INVALID_SIG,	/* signature mismatch or expired */
	ERR_UNKNOWN_OPERATION,	/* no operation at this method and path */
	ERR_NOT_IMPLEMENTED,	/* operation of the model rtstage does not serve yet */
	ERR_TOO_LARGE,		/* request body over LIMIT_BODY_BYTES */
	ERR_URL_TOO_LONG,	/* request target over LIMIT_URL_BYTES */
	ERR_HEADERS_TOO_LARGE,	/* headers over LIMIT_HEADER_BYTES or _COUNT */
	ERR_MEDIA_TYPE,		/* a body that is not JSON by its Content-Type */
	ERR_INTERNAL,		/* our fault: store, memory, crypto */
	/* Cloud Control only */
	ERR_TYPE_NOT_FOUND,	/* a TypeName rtstage does not serve */
	ERR_INVALID_REQUEST,	/* a document (desired state, patch) that cannot be read */
	ERR_REQUEST_TOKEN_NOT_FOUND,	/* no resource request with that token */
	ERR_CLIENT_TOKEN_CONFLICT,	/* a ClientToken reused for another request */
	ERR_CONCURRENT_MODIFICATION,	/* the resource request has already completed */
	ERR_NOT_UPDATABLE,	/* a patch changes a create-only property */
	ERR__COUNT
};

#define ERR_MSG_MAX 2048

struct err {
	enum err_code code;
	char msg[ERR_MSG_MAX];
};

/* Records code and a printf-style message in e (truncating politely) and
 * returns code, so callers can write `return err_set(e, ERR_X, ...)`. */
enum err_code err_set(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
