/* The Cloud Control API for AWS::IVS::Stage: the awsJson1_0 facade that
 * infrastructure-as-code tools drive, over the ivs-realtime operations. */
#ifndef RTSTAGE_CLOUDCONTROL_CLOUDCONTROL_H
#define RTSTAGE_CLOUDCONTROL_CLOUDCONTROL_H

#include "aws/call.h"
#include "aws/shapes_gen.h"
#include "http/server.h"

#include "limits.h"	/* CC_REQUEST_RETAIN_MS, CC_REQUEST_STALE_MS */

/* Operations by id: handler, IAM action, flags (ops.c). */
extern const struct aws_op cc_ops[CC_OP__COUNT];

/* The awsJson1_0 protocol of Cloud Control over cc_ops (protocol.c). */
struct aws_protocol;
extern const struct aws_protocol cc_protocol;

/* Loads the resource schema; call once before serving. */
enum err_code cc_init(struct err *e);
void cc_fini(void);

#endif
