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

#endif
