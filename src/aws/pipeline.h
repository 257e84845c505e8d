/* The AWS request pipeline: one sequence of steps for every AWS protocol,
 * driven by a protocol descriptor.
 *
 * envelope (what the HTTP layer refused; one Authorization header) ->
 * operation (rest-json: method and path; awsJson: X-Amz-Target) ->
 * SigV4 for the protocol's signing name -> media type -> body -> URI and
 * query members (rest-json) -> permission and model validation (in the
 * protocol's order) -> handler -> response, or the protocol's error.
 */
#ifndef RTSTAGE_AWS_PIPELINE_H
#define RTSTAGE_AWS_PIPELINE_H

#include "aws/call.h"
#include "aws/shapes.h"
#include "http/server.h"

/* How a protocol finds the operation of a request. */
enum aws_lookup {
	AWS_LOOKUP_REST,	/* method and path against the model's URIs (route_match) */
	AWS_LOOKUP_TARGET,	/* POST / with X-Amz-Target: <target_prefix><Operation> */
};

typedef void (*aws_error_writer)(const struct err *e, struct http_response *res);

struct aws_protocol {
	const char *name;		/* for logs: "ivs-realtime" */
	const char *signing_name;	/* SigV4 service: "ivs", "cloudcontrolapi" */
	enum aws_lookup lookup;
	const char *target_prefix;	/* AWS_LOOKUP_TARGET: "CloudApiService." */
	const char *const *media_types;	/* accepted Content-Type prefixes, NULL-ended */
	const char *response_type;	/* Content-Type of a success */
	aws_error_writer error;		/* aws_error_respond or aws_error_respond_json10 */
	const struct operation *model;	/* the model's operations, by id */
	const struct aws_op *ops;	/* the served operations, by the same id */
	int n_ops;
	const char *arn_service;	/* wildcard resource: "arn:aws:<this>:REGION:ACCOUNT:*";
					 * NULL: "*" */
	int validate_first;		/* validate the input before checking permission */
	size_t json_flags;		/* json_dumps flags of a success */
};

/* Answers req in res through protocol p, with c made by the caller
 * (request id set; cfg set). Fills c->who, c->operation and, on failure,
 * c->err. Thread-safe. */
void aws_pipeline(const struct aws_protocol *p, const struct http_request *req,
    struct http_response *res, struct call *c);

/* Refuses what the HTTP layer refused (req->refusal) and more than one
 * Authorization header: ERR_OK or the error, in e. */
enum err_code aws_check_envelope(const struct http_request *req, struct err *e);

/* Reads the body as a JSON object (empty: {}), depth-limited; *in is the
 * caller's (also on failure: json_decref it). */
enum err_code aws_parse_body(const struct http_request *req, json_t **in, struct err *e);

/* The resource c's call of operation op with input in acts on, for the
 * permission check, into out (cap bytes): the ARN in the operation's
 * resource member, or the protocol's wildcard. Pure. */
void aws_resource_of(const struct aws_protocol *p, int op, const struct call *c,
    const json_t *in, char *out, size_t cap);

#endif
