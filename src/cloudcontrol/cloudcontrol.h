/* The Cloud Control API for AWS::IVS::Stage: the awsJson1_0 facade that
 * infrastructure-as-code tools drive, over the ivs-realtime operations. */
#ifndef RTSTAGE_CLOUDCONTROL_CLOUDCONTROL_H
#define RTSTAGE_CLOUDCONTROL_CLOUDCONTROL_H

#include "aws/call.h"
#include "aws/shapes_gen.h"
#include "http/server.h"

/* How long a resource request stays readable (GetResourceRequestStatus,
 * ListResourceRequests) and binds its ClientToken: the real service's 7
 * days. */
#define CC_REQUEST_RETAIN_MS (7LL * 24 * 3600 * 1000)

/* A request still IN_PROGRESS this long after it began was cut short (the
 * node stopped mid-way; requests run for milliseconds): it reads as
 * FAILED. */
#define CC_REQUEST_STALE_MS (120LL * 1000)

/* Handlers by operation (ops.c). */
extern const op_fn cc_ops[CC_OP__COUNT];

/* Is req addressed to an awsJson service (it has X-Amz-Target)? */
int cc_is_request(const struct http_request *req);

/* Answers a Cloud Control request, or writes its awsJson error. */
void cc_dispatch(const struct http_request *req, struct http_response *res,
    const struct config *cfg);

/* Loads the resource schema; call once before serving. */
enum err_code cc_init(struct err *e);
void cc_fini(void);

#endif
