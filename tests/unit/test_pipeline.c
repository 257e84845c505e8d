/* The AWS pipeline with fake operation tables, over the real HTTP layer:
 * routing by path and by X-Amz-Target, refusals, the envelope, the error
 * writer of each protocol, and the resource member used for permission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/pipeline.h"
#include "aws/shapes_gen.h"
#include "aws/validate.h"
#include "core/log.h"

static char seen_in[4096];	/* the input the last handler got */
static enum principal_kind seen_kind;

static enum err_code
echo(struct call *c, const json_t *in, json_t **out)
{
	char *text = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(seen_in, sizeof(seen_in), "%s", text ? text : "");
	free(text);
	seen_kind = c->who.kind;
	*out = json_pack("{s:s}", "account", c->who.account);
	return ERR_OK;
}

static enum err_code
conflict(struct call *c, const json_t *in, json_t **out)
{
	(void)in;
	(void)out;
	return err_set(&c->err, ERR_CONFLICT, "busy");
}

static struct aws_op rest_ops[OP__COUNT] = {
	[OP_GetStage] = { echo, "ivs:GetStage", "arn", AWS_OP_READ },
	[OP_ListStages] = { echo, "ivs:ListStages", NULL, AWS_OP_READ },
	[OP_DeleteStage] = { conflict, "ivs:DeleteStage", "arn", AWS_OP_WRITE },
};

static struct aws_op json_ops[CC_OP__COUNT] = {
	[CC_OP_ListResources] = { echo, "cloudformation:ListResources", NULL, AWS_OP_READ },
	[CC_OP_GetResource] = { conflict, "cloudformation:GetResource", NULL, AWS_OP_READ },
};

static const char *const rest_types[] = { "application/json", NULL };
static const char *const json10_types[] = { "application/x-amz-json-1.0", NULL };

static const struct aws_protocol rest = {
	.name = "fake-rest", .signing_name = "ivs", .lookup = AWS_LOOKUP_REST,
	.media_types = rest_types, .response_type = "application/json",
	.error = aws_error_respond, .model = operations, .ops = rest_ops, .n_ops = OP__COUNT,
	.arn_service = "ivs", .json_flags = JSON_COMPACT,
};

static const struct aws_protocol json10 = {
	.name = "fake-json", .signing_name = "cloudcontrolapi", .lookup = AWS_LOOKUP_TARGET,
	.target_prefix = "CloudApiService.", .media_types = json10_types,
	.response_type = "application/x-amz-json-1.0", .error = aws_error_respond_json10,
	.model = cc_operations, .ops = json_ops, .n_ops = CC_OP__COUNT, .arn_service = NULL,
	.validate_first = 1, .json_flags = JSON_COMPACT,
};

static struct config cfg = { .default_account = "123456789012" };
static struct http_server *srv;
static unsigned short port;

static void
handler(const struct http_request *req, struct http_response *res, void *arg)
{
	struct call c;

	(void)arg;
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	aws_pipeline(http_header(req, "X-Amz-Target") ? &json10 : &rest, req, res, &c);
}

static int
setup(void **state)
{
	struct sockaddr_in sa;
	struct http_options o = { .threads = 2, .idle_seconds = 5, .request_seconds = 5 };
	struct err e;

	(void)state;
	(void)log_configure(NULL, "error", &e);
	aws_error_init();
	assert_int_equal(validate_init(&e), ERR_OK);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv = http_start((struct sockaddr *)&sa, sizeof(sa), &o, handler, NULL, &e);
	assert_non_null(srv);
	port = http_port(srv);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	http_stop(srv);
	validate_fini();
	return 0;
}

#define AUTH(svc) "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/" svc \
	"/aws4_request, SignedHeaders=host;x-amz-date, Signature=" \
	"0000000000000000000000000000000000000000000000000000000000000000\r\n" \
	"X-Amz-Date: 20240101T000000Z\r\n"

/* Sends raw (a whole request) and returns the whole response in out. */
static void
exchange(const char *raw, char *out, size_t cap)
{
	struct sockaddr_in sa;
	size_t n = 0;
	ssize_t r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	while (n + 1 < cap && (r = read(fd, out + n, cap - n - 1)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fd);
}

/* The decimal length of body (static buffer: one at a time). */
static const char *
len_of(const char *body)
{
	static char text[24];

	snprintf(text, sizeof(text), "%zu", strlen(body));
	return text;
}

struct row {
	const char *request;	/* without the trailing blank line's "Connection: close" */
	const char *status;	/* "HTTP/1.1 200" */
	const char *has;	/* in the response */
	const char *input;	/* the handler's input, or NULL when it must not run */
};

static const struct row rows[] = {
	/* rest-json: routed by path, labels bound into the input */
	{ "POST /ListStages HTTP/1.1\r\nHost: x\r\n" AUTH("ivs") "\r\n{}",
	  "HTTP/1.1 200", "{\"account\":\"123456789012\"}", "{}" },
	{ "POST /GetStage HTTP/1.1\r\nHost: x\r\n" AUTH("ivs")
	  "\r\n{\"arn\":\"arn:aws:ivs:us-east-1:123456789012:stage/abc\"}",
	  "HTTP/1.1 200", NULL, "{\"arn\":\"arn:aws:ivs:us-east-1:123456789012:stage/abc\"}" },
	/* a handler's error through the rest-json writer */
	{ "POST /DeleteStage HTTP/1.1\r\nHost: x\r\n" AUTH("ivs")
	  "\r\n{\"arn\":\"arn:aws:ivs:us-east-1:123456789012:stage/abc\"}",
	  "HTTP/1.1 409", "\"exceptionMessage\":\"busy\"", NULL },
	/* not in the table: NotImplemented after validation */
	{ "POST /ListCompositions HTTP/1.1\r\nHost: x\r\n" AUTH("ivs") "\r\n{}",
	  "HTTP/1.1 501", "NotImplementedException", NULL },
	{ "POST /Nope HTTP/1.1\r\nHost: x\r\n" AUTH("ivs") "\r\n{}",
	  "HTTP/1.1 404", "UnknownOperationException", NULL },
	/* envelope: two Authorization headers; wrong signing name; media type */
	{ "POST /ListStages HTTP/1.1\r\nHost: x\r\n" AUTH("ivs") AUTH("ivs") "\r\n",
	  "HTTP/1.1 403", "Authorization headers", NULL },
	{ "POST /ListStages HTTP/1.1\r\nHost: x\r\n" AUTH("s3") "\r\n",
	  "HTTP/1.1 403", "Credential should be scoped to correct service: 'ivs'", NULL },
	{ "POST /ListStages HTTP/1.1\r\nHost: x\r\n" AUTH("ivs")
	  "Content-Type: text/plain\r\n\r\n{}",
	  "HTTP/1.1 415", "must be application/json", NULL },
	/* a refusal of the HTTP layer, before anything is read */
	{ "POST /ListStages HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
	  "HTTP/1.1 413", "RequestEntityTooLargeException", NULL },
	/* awsJson: routed by X-Amz-Target, its own error writer and statuses */
	{ "POST / HTTP/1.1\r\nHost: x\r\n" AUTH("cloudcontrolapi")
	  "X-Amz-Target: CloudApiService.ListResources\r\n"
	  "Content-Type: application/x-amz-json-1.0\r\n\r\n"
	  "{\"TypeName\":\"AWS::IVS::Stage\"}",
	  "HTTP/1.1 200", "Content-Type: application/x-amz-json-1.0",
	  "{\"TypeName\":\"AWS::IVS::Stage\"}" },
	{ "POST / HTTP/1.1\r\nHost: x\r\n" AUTH("cloudcontrolapi")
	  "X-Amz-Target: CloudApiService.GetResource\r\n\r\n"
	  "{\"TypeName\":\"AWS::IVS::Stage\",\"Identifier\":\"x\"}",
	  "HTTP/1.1 400", "\"__type\":\"ResourceConflictException\",\"Message\":\"busy\"", NULL },
	{ "POST / HTTP/1.1\r\nHost: x\r\n" AUTH("cloudcontrolapi")
	  "X-Amz-Target: CloudApiService.Nope\r\n\r\n",
	  "HTTP/1.1 400", "Operation CloudApiService.Nope is not supported", NULL },
	{ "GET /x HTTP/1.1\r\nHost: x\r\n" AUTH("cloudcontrolapi")
	  "X-Amz-Target: CloudApiService.ListResources\r\n\r\n",
	  "HTTP/1.1 400", "requests are POST /", NULL },
	/* awsJson validates before the permission check: a missing member is a
	 * ValidationException in its words */
	{ "POST / HTTP/1.1\r\nHost: x\r\n" AUTH("cloudcontrolapi")
	  "X-Amz-Target: CloudApiService.ListResources\r\n\r\n{}",
	  "HTTP/1.1 400", "ValidationException", NULL },
};

static void
test_rows(void **state)
{
	char raw[8192], out[16384];
	size_t i;
	const char *blank;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* Connection: close and the body's length before the blank line */
		blank = strstr(rows[i].request, "\r\n\r\n");
		snprintf(raw, sizeof(raw), "%.*s\r\nConnection: close%s%s%s",
		    (int)(blank - rows[i].request), rows[i].request,
		    blank[4] ? "\r\nContent-Length: " : "", blank[4] ? len_of(blank + 4) : "",
		    blank);
		seen_in[0] = '\0';
		seen_kind = PRINCIPAL_NONE;
		exchange(raw, out, sizeof(out));
		if (strncmp(out, rows[i].status, strlen(rows[i].status)) != 0 ||
		    (rows[i].has && strstr(out, rows[i].has) == NULL))
			fail_msg("row %zu: want %s with %s, got:\n%s", i, rows[i].status,
			    rows[i].has ? rows[i].has : "-", out);
		assert_string_equal(seen_in, rows[i].input ? rows[i].input : "");
		if (rows[i].input)
			assert_int_equal(seen_kind, PRINCIPAL_SIGV4);
	}
}

/* The resource a permission is checked on comes from the table's member,
 * never from whatever ARN-looking member the input has. */
static void
test_resource_of(void **state)
{
	struct call c;
	char out[256];
	json_t *in = json_pack("{s:s, s:s}", "arn", "arn:aws:ivs:us-east-1:1:stage/a",
	    "resourceArn", "arn:aws:ivs:us-east-1:1:stage/b");

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.who.account, sizeof(c.who.account), "111122223333");
	snprintf(c.who.region, sizeof(c.who.region), "eu-west-1");
	aws_resource_of(&rest, OP_GetStage, &c, in, out, sizeof(out));
	assert_string_equal(out, "arn:aws:ivs:us-east-1:1:stage/a");
	aws_resource_of(&rest, OP_ListStages, &c, in, out, sizeof(out));
	assert_string_equal(out, "arn:aws:ivs:eu-west-1:111122223333:*");
	aws_resource_of(&json10, CC_OP_ListResources, &c, in, out, sizeof(out));
	assert_string_equal(out, "*");
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_resource_of),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
