/* AWS errors on the wire: the one place that knows HTTP statuses and
 * x-amzn-ErrorType names. */
#ifndef RTSTAGE_AWS_ERROR_H
#define RTSTAGE_AWS_ERROR_H

#include "http/server.h"
#include "util/err.h"

/* Resolves statuses from the model's error shapes. Call once at start. */
void aws_error_init(void);

/* Fills res with the rest-json error for e: status, x-amzn-ErrorType and
 * body {"exceptionMessage": msg, "message": msg}. */
void aws_error_respond(const struct err *e, struct http_response *res);

/* Fills res with the awsJson1_0 error for e (Cloud Control): status,
 * x-amzn-ErrorType and body {"__type": name, "Message": msg}. */
void aws_error_respond_json10(const struct err *e, struct http_response *res);

#endif
