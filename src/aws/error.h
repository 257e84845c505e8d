/* AWS errors on the wire: the one place that knows HTTP statuses and
 * x-amzn-ErrorType names. */
#ifndef RTSTAGE_AWS_ERROR_H
#define RTSTAGE_AWS_ERROR_H

#include "http/server.h"
#include "util/err.h"

/* Resolves statuses from the model's error shapes. Call once at start. */
void aws_error_init(void);

/* The AWS error name of code, e.g. "ValidationException". */
const char *aws_error_name(enum err_code code);

/* The HTTP status of code. */
int aws_error_status(enum err_code code);

/* Fills res with the rest-json error for e: status, x-amzn-ErrorType and
 * body {"exceptionMessage": msg, "message": msg}. */
void aws_error_respond(const struct err *e, struct http_response *res);

#endif
