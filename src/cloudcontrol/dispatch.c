/* The awsJson1_0 request pipeline of the Cloud Control API.
 *
 * POST / with X-Amz-Target: CloudApiService.<Operation>, a body of
 * Content-Type application/x-amz-json-1.0, signed for "cloudcontrolapi".
 * The steps mirror the rest-json pipeline (src/aws/dispatch.c): envelope,
 * operation, authentication, media type, body, model validation,
 * permission, handler; errors are {"__type", "Message"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/auth.h"
#include "aws/dispatch.h"
#include "aws/error.h"
#include "aws/validate.h"
#include "cloudcontrol/cloudcontrol.h"

#define TARGET_PREFIX "CloudApiService."
#define MEDIA_TYPE "application/x-amz-json-1.0"

int
cc_is_request(const struct http_request *req)
{
	return http_header(req, "X-Amz-Target") != NULL;
}

/* The operation X-Amz-Target names. */
static enum err_code
target(const struct http_request *req, enum cc_op_id *op, struct err *e)
{
	const char *t = http_header(req, "X-Amz-Target");
	int i;

	if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/") != 0)
		return err_set(e, ERR_UNKNOWN_OPERATION, "Cloud Control requests are POST /, "
		    "not %s %s", req->method, req->path);
	if (strncmp(t, TARGET_PREFIX, strlen(TARGET_PREFIX)) == 0)
		for (i = 0; i < CC_OP__COUNT; i++)
			if (strcmp(t + strlen(TARGET_PREFIX), cc_operations[i].name) == 0) {
				*op = (enum cc_op_id)i;
				return ERR_OK;
			}
	return err_set(e, ERR_UNKNOWN_OPERATION, "Operation %.200s is not supported", t);
}

static enum err_code
check_media_type(const struct http_request *req, struct err *e)
{
	const char *type = http_header(req, "Content-Type");

	if (type == NULL || strncasecmp(type, MEDIA_TYPE, strlen(MEDIA_TYPE)) == 0)
		return ERR_OK;
	return err_set(e, ERR_MEDIA_TYPE, "Content-Type '%.100s' is not supported: the body "
	    "must be " MEDIA_TYPE, type);
}

void
cc_dispatch(const struct http_request *req, struct http_response *res,
    const struct config *cfg)
{
	struct call c;
	enum cc_op_id op = CC_OP__COUNT;
	char action[96];
	json_t *in = NULL, *out = NULL;
	enum err_code rc;

	aws_call_init(&c, cfg, res);
	if ((rc = aws_check_envelope(req, &c.err)) != ERR_OK)
		;
	else if ((rc = target(req, &op, &c.err)) != ERR_OK)
		;
	else if ((rc = auth_verify(req, "cloudcontrolapi", &c)) != ERR_OK)
		;
	else if ((rc = check_media_type(req, &c.err)) != ERR_OK)
		;
	else if ((rc = aws_parse_body(req, &in, &c.err)) != ERR_OK)
		;
	else if ((rc = validate_input(cc_operations[op].input, in, &c.err)) != ERR_OK)
		;
	else if (snprintf(action, sizeof(action), "cloudformation:%s", cc_operations[op].name),
	    (rc = auth_allow(&c, action, "*")) != ERR_OK)
		;
	else
		rc = cc_ops[op](&c, in, &out);

	if (rc == ERR_OK) {
		res->status = 200;
		res->content_type = MEDIA_TYPE;
		res->body = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
		res->body_len = res->body ? strlen(res->body) : 0;
		if (res->body == NULL) {
			err_set(&c.err, ERR_INTERNAL, "out of memory writing the response");
			aws_error_respond_json10(&c.err, res);
		}
	} else {
		if (c.err.code == ERR_INTERNAL)
			fprintf(stderr, "rtstage: request %s: %s\n", c.request_id, c.err.msg);
		aws_error_respond_json10(&c.err, res);
	}
	free(c.text_out);
	json_decref(in);
	json_decref(out);
}
