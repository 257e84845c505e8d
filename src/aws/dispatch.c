/* The rest-json request pipeline, in the order a request meets it.
 *
 * Each step either fills the next one's input or stops with an error;
 * errors become wire errors only in aws_error_respond.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/auth.h"
#include "aws/dispatch.h"
#include "aws/error.h"
#include "aws/route.h"
#include "aws/shapes.h"
#include "aws/validate.h"
#include "crypto/ids.h"
#include "limits.h"
#include "util/pct.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Requests the HTTP layer refused unread, as AWS errors: over a limit,
 * "<what>: the limit is <limit> <unit>"; otherwise "<what>", or with a
 * header to quote, "<header> '<value>' <what>". */
static const struct {
	enum err_code code;
	const char *what;
	long limit;
	const char *unit;
	const char *quoted;
} refusals[] = {
	[HTTP_ACCEPTED] = { ERR_OK, NULL, 0, NULL, NULL },
	[HTTP_BODY_TOO_LARGE] = { ERR_TOO_LARGE, "Request body too large", LIMIT_BODY_BYTES,
	    "bytes", NULL },
	[HTTP_URL_TOO_LONG] = { ERR_URL_TOO_LONG, "Request target too long", LIMIT_URL_BYTES,
	    "bytes", NULL },
	[HTTP_HEADERS_TOO_LARGE] = { ERR_HEADERS_TOO_LARGE, "Request headers too large",
	    LIMIT_HEADER_BYTES, "bytes in at most " STR(LIMIT_HEADER_COUNT) " headers", NULL },
	[HTTP_LENGTHS_DIFFER] = { ERR_VALIDATION, "The request has Content-Length headers that differ: send exactly one", 0, NULL, NULL },
	[HTTP_LENGTH_AND_CHUNKED] = { ERR_VALIDATION, "The request has both Transfer-Encoding and Content-Length: send one of them", 0, NULL, NULL },
	[HTTP_CODING_UNSUPPORTED] = { ERR_NOT_IMPLEMENTED, "is not supported: send the body with a Content-Length, or as Transfer-Encoding: chunked", 0, NULL, "Transfer-Encoding" },
	[HTTP_HOST_INVALID] = { ERR_VALIDATION, "The request must have exactly one Host header", 0, NULL, NULL },
	[HTTP_HOST_FOREIGN] = { ERR_ACCESS_DENIED, "is not accepted: in protected mode rtstage answers only requests addressed to a loopback address or localhost", 0, NULL, "Host" },
	[HTTP_ORIGIN_FOREIGN] = { ERR_ACCESS_DENIED, "is not accepted: in protected mode rtstage answers only pages served from a loopback address or localhost", 0, NULL, "Origin" },
};

/* The error for a request the HTTP layer refused. */
static enum err_code
refuse(const struct http_request *req, struct err *e)
{
	const char *value;

	if (refusals[req->refusal].limit != 0)
		return err_set(e, refusals[req->refusal].code, "%s: the limit is %ld %s",
		    refusals[req->refusal].what, refusals[req->refusal].limit,
		    refusals[req->refusal].unit);
	if (refusals[req->refusal].quoted == NULL)
		return err_set(e, refusals[req->refusal].code, "%s", refusals[req->refusal].what);
	value = http_header(req, refusals[req->refusal].quoted);
	return err_set(e, refusals[req->refusal].code, "%s '%.200s' %s",
	    refusals[req->refusal].quoted, value ? value : "", refusals[req->refusal].what);
}

/* A body must say it is JSON, or say nothing of its type. */
static enum err_code
check_media_type(const struct http_request *req, struct err *e)
{
	static const char *const json_types[] = { "application/json", "application/x-amz-json-" };
	const char *type = http_header(req, "Content-Type");
	size_t i;

	if (type == NULL || req->body_len == 0)
		return ERR_OK;
	for (i = 0; i < sizeof(json_types) / sizeof(json_types[0]); i++)
		if (strncasecmp(type, json_types[i], strlen(json_types[i])) == 0)
			return ERR_OK;
	return err_set(e, ERR_MEDIA_TYPE, "Content-Type '%.100s' is not supported: the body "
	    "must be application/json", type);
}

static void
count_authorization(void *arg, const char *name, const char *value)
{
	(void)value;
	if (strcasecmp(name, "Authorization") == 0)
		(*(int *)arg)++;
}

/* Checks that the caller may perform the operation on the resource its
 * input names (or on every resource of its account and region). */
static enum err_code
authorize(struct call *c, enum op_id op, const json_t *in)
{
	static const char *const members[] = { "arn", "stageArn", "resourceArn" };
	char action[96], any[160];
	const char *resource = NULL;
	size_t i;

	for (i = 0; i < sizeof(members) / sizeof(members[0]) && resource == NULL; i++)
		resource = json_string_value(json_object_get(in, members[i]));
	if (resource == NULL) {
		snprintf(any, sizeof(any), "arn:aws:ivs:%s:%s:*", c->who.region, c->who.account);
		resource = any;
	}
	snprintf(action, sizeof(action), "ivs:%s", operations[op].name);
	return auth_allow(c, action, resource);
}

static int
depth(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	int d, max = 0;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			if ((d = depth(x)) > max)
				max = d;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if ((d = depth(x)) > max)
				max = d;
	} else {
		return 0;
	}
	return max + 1;
}

enum err_code
aws_parse_body(const struct http_request *req, json_t **in, struct err *e)
{
	json_error_t je;
	size_t i;

	for (i = 0; i < req->body_len && strchr(" \t\r\n", req->body[i]) != NULL; i++)
		;
	if (i == req->body_len) {
		*in = json_object();
		return *in ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
	}
	*in = json_loadb(req->body, req->body_len, 0, &je);
	if (*in == NULL)
		return err_set(e, ERR_SERIALIZATION, "Malformed JSON at line %d, column %d: %s",
		    je.line, je.column, je.text);
	if (!json_is_object(*in))
		return err_set(e, ERR_SERIALIZATION, "The request body must be a JSON object");
	if (depth(*in) > LIMIT_JSON_DEPTH)
		return err_set(e, ERR_SERIALIZATION, "JSON nesting deeper than the limit of %d",
		    LIMIT_JSON_DEPTH);
	return ERR_OK;
}

/* Adds each value of query parameter name in query to list. */
static enum err_code
query_values(const char *query, const char *name, json_t *list, struct err *e)
{
	const char *p = query, *amp, *eq;
	char value[ROUTE_LABEL_MAX];
	size_t klen, nlen = strlen(name);

	while (*p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq ? eq : amp) - p);
		if (klen == nlen && memcmp(p, name, nlen) == 0) {
			if (eq == NULL)
				eq = amp - 1;
			if (pct_decode(eq + 1, (size_t)(amp - eq - 1), value, sizeof(value)) < 0)
				return err_set(e, ERR_VALIDATION, "Malformed percent-encoding in "
				    "query parameter '%s'", name);
			json_array_append_new(list, json_string(value));
		}
		p = *amp ? amp + 1 : amp;
	}
	return ERR_OK;
}

/* Moves URI labels and query parameters into the input object under the
 * member names of the input shape, so one validator sees everything. */
static enum err_code
bind_http_members(const struct route *rt, const char *query, json_t *in, struct err *e)
{
	const struct shape *s;
	const struct shape_member *m;
	json_t *list;
	int i, k;

	if (operations[rt->op].input < 0)
		return ERR_OK;
	s = &shapes[operations[rt->op].input];
	for (i = 0; i < s->n_members; i++) {
		m = &s->members[i];
		if (m->location == LOC_URI) {
			for (k = 0; k < rt->n_labels; k++)
				if (strcmp(rt->labels[k].name, m->location_name) == 0)
					json_object_set_new(in, m->name, json_string(rt->labels[k].value));
		} else if (m->location == LOC_QUERY) {
			json_object_del(in, m->name);	/* the query is the only source */
			if (strstr(query, m->location_name) == NULL)
				continue;
			list = json_array();
			if (query_values(query, m->location_name, list, e) != ERR_OK) {
				json_decref(list);
				return e->code;
			}
			if (shapes[m->shape].type == SHAPE_LIST)
				json_object_set_new(in, m->name, list);
			else {
				if (json_array_size(list) > 0)
					json_object_set(in, m->name, json_array_get(list, 0));
				json_decref(list);
			}
		}
	}
	return ERR_OK;
}

void
aws_call_init(struct call *c, const struct config *cfg, struct http_response *res)
{
	memset(&c->who, 0, sizeof(c->who));
	c->text_out = NULL;
	c->cfg = cfg;
	c->err.code = ERR_OK;
	c->err.msg[0] = '\0';
	if (ids_request_id(c->request_id) != 0)
		snprintf(c->request_id, sizeof(c->request_id), "00000000-0000-4000-8000-000000000000");
	http_set_header(res, "x-amzn-RequestId", c->request_id);
}

enum err_code
aws_check_envelope(const struct http_request *req, struct err *e)
{
	int authorizations = 0;

	if (req->refusal != HTTP_ACCEPTED)
		return refuse(req, e);
	http_headers_each(req, count_authorization, &authorizations);
	if (authorizations > 1)
		return err_set(e, ERR_INCOMPLETE_SIG, "The request has %d Authorization headers; "
		    "send exactly one", authorizations);
	return ERR_OK;
}

void
aws_dispatch(const struct http_request *req, struct http_response *res,
    const struct config *cfg, const op_fn ops[OP__COUNT])
{
	struct call c;
	struct route rt;
	json_t *in = NULL, *out = NULL;
	enum err_code rc;

	aws_call_init(&c, cfg, res);
	if (req->refusal != HTTP_ACCEPTED)
		rc = aws_check_envelope(req, &c.err);
	else if ((rc = route_match(req->method, req->path, &rt, &c.err)) != ERR_OK)
		;
	else if ((rc = aws_check_envelope(req, &c.err)) != ERR_OK)
		;
	else if ((rc = auth_verify(req, "ivs", &c)) != ERR_OK)
		;
	else if ((rc = check_media_type(req, &c.err)) != ERR_OK)
		;
	else if ((rc = aws_parse_body(req, &in, &c.err)) != ERR_OK)
		;
	else if ((rc = bind_http_members(&rt, req->query, in, &c.err)) != ERR_OK)
		;
	else if ((rc = authorize(&c, rt.op, in)) != ERR_OK)
		;
	else if ((rc = validate_input(operations[rt.op].input, in, &c.err)) != ERR_OK)
		;
	else if (ops[rt.op] == NULL)
		rc = err_set(&c.err, ERR_NOT_IMPLEMENTED, "rtstage does not implement %s yet",
		    operations[rt.op].name);
	else
		rc = ops[rt.op](&c, in, &out);

	if (rc == ERR_OK) {
		res->status = operations[rt.op].status;
		res->content_type = "application/json";
		res->body = c.text_out ? c.text_out : json_dumps(out, JSON_COMPACT);
		c.text_out = NULL;
		res->body_len = res->body ? strlen(res->body) : 0;
		if (res->body == NULL) {
			err_set(&c.err, ERR_INTERNAL, "out of memory writing the response");
			aws_error_respond(&c.err, res);
		}
	} else {
		if (c.err.code == ERR_INTERNAL)
			fprintf(stderr, "rtstage: request %s: %s\n", c.request_id, c.err.msg);
		aws_error_respond(&c.err, res);
	}
	free(c.text_out);
	json_decref(in);
	json_decref(out);
}
