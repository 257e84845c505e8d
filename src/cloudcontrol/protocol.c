/* The awsJson1_0 protocol of the Cloud Control API, as the one AWS
 * pipeline (src/aws/pipeline.c) serves it.
 *
 * POST / with X-Amz-Target: CloudApiService.<Operation>, a body of
 * Content-Type application/x-amz-json-1.0, signed for "cloudcontrolapi";
 * the input is checked against the model before the permission
 * (cloudformation:<Operation> on "*"); errors are {"__type", "Message"}.
 */
#include "aws/error.h"
#include "aws/pipeline.h"
#include "cloudcontrol/cloudcontrol.h"

static const char *const json10_types[] = { "application/x-amz-json-1.0", NULL };

const struct aws_protocol cc_protocol = {
	.name = "cloudcontrol",
	.signing_name = "cloudcontrolapi",
	.lookup = AWS_LOOKUP_TARGET,
	.target_prefix = "CloudApiService.",
	.media_types = json10_types,
	.response_type = "application/x-amz-json-1.0",
	.error = aws_error_respond_json10,
	.model = cc_operations,
	.ops = cc_ops,
	.n_ops = CC_OP__COUNT,
	.arn_service = NULL,
	.validate_first = 1,
	.json_flags = JSON_COMPACT | JSON_REAL_PRECISION(15),
};
