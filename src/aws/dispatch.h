/* The AWS request path: route, authenticate, parse, validate, run, answer. */
#ifndef RTSTAGE_AWS_DISPATCH_H
#define RTSTAGE_AWS_DISPATCH_H

#include "aws/call.h"
#include "aws/shapes_gen.h"
#include "http/server.h"

/* Answers req in res: runs ops[operation] for a routed, authenticated and
 * validated request, or writes the AWS error. ops entries may be NULL
 * (operation of the model not served). Thread-safe. */
void aws_dispatch(const struct http_request *req, struct http_response *res,
    const struct config *cfg, const op_fn ops[OP__COUNT]);

/* Pieces of the request path that the awsJson1_0 pipeline (Cloud Control)
 * shares. aws_call_init prepares c and sets x-amzn-RequestId on res;
 * aws_check_envelope refuses what the HTTP layer refused and more than one
 * Authorization header; aws_parse_body reads the body as a JSON object
 * (empty: {}), depth-limited. */
void aws_call_init(struct call *c, const struct config *cfg, struct http_response *res);
enum err_code aws_check_envelope(const struct http_request *req, struct err *e);
enum err_code aws_parse_body(const struct http_request *req, json_t **in, struct err *e);

#endif
