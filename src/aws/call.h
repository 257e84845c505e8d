/* What an operation handler is given (the call context of src/core/ctx.h),
 * and the handler type of the AWS operation tables. */
#ifndef RTSTAGE_AWS_CALL_H
#define RTSTAGE_AWS_CALL_H

#include <jansson.h>

#include "core/ctx.h"

/* An operation: reads the validated input in (members named as in the
 * model, URI and query members included), and on ERR_OK sets *out to the
 * response object (caller owns it), or, for responses too hot to build as
 * a tree, leaves *out NULL and sets c->text_out to the JSON text. On
 * failure it returns the code with c->err set, and sets neither. */
typedef enum err_code (*op_fn)(struct call *c, const json_t *in, json_t **out);

/* What an operation does, for the log and the metrics. */
enum aws_op_flags {
	AWS_OP_READ = 1 << 0,		/* changes nothing */
	AWS_OP_WRITE = 1 << 1,		/* writes the store */
	AWS_OP_RECORDED = 1 << 2,	/* leaves a request record (Cloud Control) */
};

/* One row of an operation table, indexed by the model's operation id:
 * everything the pipeline needs to know of an operation besides its
 * model shapes. A zeroed row is an operation of the model not served. */
struct aws_op {
	op_fn fn;
	const char *action;	/* IAM action: "ivs:CreateStage" */
	const char *resource;	/* input member naming the resource the action is
				 * on (an ARN); NULL: the protocol's wildcard */
	unsigned flags;		/* enum aws_op_flags */
};

#endif
