/* Error table: project error code -> AWS error name and HTTP status.
 *
 * Statuses of errors the model declares are read from the model at start
 * (aws_error_init); the table's status is for the errors it does not
 * declare (authentication, serialization, routing).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/shapes.h"
#include "util/buf.h"
#include "util/utf8.h"

/* What an error body says when its message cannot be written. */
#define FALLBACK_MESSAGE "The error message could not be encoded"

static struct {
	const char *name;
	int status;
} table[ERR__COUNT] = {
	[ERR_OK] = { "OK", 200 },
	[ERR_VALIDATION] = { "ValidationException", 400 },
	[ERR_SERIALIZATION] = { "SerializationException", 400 },
	[ERR_NOT_FOUND] = { "ResourceNotFoundException", 404 },
	[ERR_CONFLICT] = { "ConflictException", 409 },
	[ERR_QUOTA] = { "ServiceQuotaExceededException", 402 },
	[ERR_ACCESS_DENIED] = { "AccessDeniedException", 403 },
	[ERR_MISSING_AUTH] = { "MissingAuthenticationTokenException", 403 },
	[ERR_INCOMPLETE_SIG] = { "IncompleteSignatureException", 403 },
	[ERR_UNRECOGNIZED_CLIENT] = { "UnrecognizedClientException", 403 },
	[ERR_INVALID_SIG] = { "InvalidSignatureException", 403 },
	[ERR_UNKNOWN_OPERATION] = { "UnknownOperationException", 404 },
	[ERR_NOT_IMPLEMENTED] = { "NotImplementedException", 501 },
	[ERR_TOO_LARGE] = { "RequestEntityTooLargeException", 413 },
	[ERR_URL_TOO_LONG] = { "RequestUriTooLongException", 414 },
	[ERR_HEADERS_TOO_LARGE] = { "RequestHeaderFieldsTooLargeException", 431 },
	[ERR_MEDIA_TYPE] = { "UnsupportedMediaTypeException", 415 },
	[ERR_INTERNAL] = { "InternalServerException", 500 },
	[ERR_TYPE_NOT_FOUND] = { "TypeNotFoundException", 400 },
	[ERR_INVALID_REQUEST] = { "InvalidRequestException", 400 },
	[ERR_REQUEST_TOKEN_NOT_FOUND] = { "RequestTokenNotFoundException", 400 },
	[ERR_CLIENT_TOKEN_CONFLICT] = { "ClientTokenConflictException", 400 },
	[ERR_CONCURRENT_MODIFICATION] = { "ConcurrentModificationException", 400 },
	[ERR_NOT_UPDATABLE] = { "NotUpdatableException", 400 },
};

/* The awsJson1_0 services (Cloud Control) name some errors differently
 * and answer every client error with 400; NULL: as in table. */
static const struct {
	const char *name;
	int status;
} json10[ERR__COUNT] = {
	[ERR_NOT_FOUND] = { "ResourceNotFoundException", 400 },
	[ERR_CONFLICT] = { "ResourceConflictException", 400 },
	[ERR_QUOTA] = { "ServiceLimitExceededException", 400 },
	[ERR_ACCESS_DENIED] = { "AccessDeniedException", 400 },
	[ERR_UNKNOWN_OPERATION] = { "UnknownOperationException", 400 },
	[ERR_INTERNAL] = { "ServiceInternalErrorException", 500 },
};

void
aws_error_init(void)
{
	int i, k;

	for (i = 0; i < ERR__COUNT; i++)
		if ((k = shape_find(table[i].name)) >= 0 && shapes[k].http_status > 0)
			table[i].status = shapes[k].http_status;
}

/* The compact JSON text {k1: v1, k2: msg}, or {k1: msg, k2: msg} when
 * v1 is NULL, for the caller to free. msg may hold any bytes: invalid
 * UTF-8 becomes U+FFFD first, since jansson refuses it. Should the body
 * still not build, msg is replaced by FALLBACK_MESSAGE, and failing even
 * that the body is the text fixed: an error never goes out empty. */
static char *
error_body(const char *k1, const char *v1, const char *k2, const char *msg,
    const char *fixed)
{
	struct buf clean;
	json_t *body = NULL;
	char *text = NULL;

	buf_init(&clean, ERR_MSG_MAX * 3);	/* each byte becomes at most 3 */
	utf8_sanitize(msg, strlen(msg), &clean);
	if (!clean.truncated)
		body = json_pack("{s:s, s:s}", k1, v1 ? v1 : buf_cstr(&clean), k2, buf_cstr(&clean));
	if (body == NULL)
		body = json_pack("{s:s, s:s}", k1, v1 ? v1 : FALLBACK_MESSAGE, k2, FALLBACK_MESSAGE);
	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	buf_free(&clean);
	return text ? text : strdup(fixed);
}

void
aws_error_respond(const struct err *e, struct http_response *res)
{
	res->status = table[e->code].status;
	res->content_type = "application/json";
	http_set_header(res, "x-amzn-ErrorType", table[e->code].name);
	free(res->body);
	res->body = error_body("exceptionMessage", NULL, "message", e->msg,
	    "{\"exceptionMessage\":\"" FALLBACK_MESSAGE "\",\"message\":\"" FALLBACK_MESSAGE "\"}");
	res->body_len = res->body ? strlen(res->body) : 0;
}

void
aws_error_respond_json10(const struct err *e, struct http_response *res)
{
	const char *name = json10[e->code].name ? json10[e->code].name : table[e->code].name;
	int status = json10[e->code].name ? json10[e->code].status : table[e->code].status;

	res->status = status >= 500 || status == 403 || status == 413 || status == 414 ||
	    status == 431 ? status : 400;
	res->content_type = "application/x-amz-json-1.0";
	http_set_header(res, "x-amzn-ErrorType", name);
	free(res->body);
	res->body = error_body("__type", name, "Message", e->msg,
	    "{\"__type\":\"InternalFailure\",\"Message\":\"" FALLBACK_MESSAGE "\"}");
	res->body_len = res->body ? strlen(res->body) : 0;
}
