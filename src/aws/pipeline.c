/* The AWS request pipeline, in the order a request meets it.
 *
 * One sequence of steps for rest-json (ivs-realtime) and awsJson1_0
 * (Cloud Control), parameterised by struct aws_protocol. Each step either
 * fills the next one's input or stops with an error; errors become wire
 * errors only in the protocol's error writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/auth.h"
#include "aws/error.h"
#include "aws/pipeline.h"
#include "aws/route.h"
#include "aws/validate.h"
#include "core/log.h"
#include "limits.h"
#include "util/jsonscan.h"
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
	[HTTP_LENGTHS_DIFFER] = { ERR_VALIDATION, "The request has Content-Length headers that "
	    "differ: send exactly one", 0, NULL, NULL },
	[HTTP_LENGTH_AND_CHUNKED] = { ERR_VALIDATION, "The request has both Transfer-Encoding "
	    "and Content-Length: send one of them", 0, NULL, NULL },
	[HTTP_CODING_UNSUPPORTED] = { ERR_NOT_IMPLEMENTED, "is not supported: send the body "
	    "with a Content-Length, or as Transfer-Encoding: chunked", 0, NULL,
	    "Transfer-Encoding" },
	[HTTP_HOST_INVALID] = { ERR_VALIDATION, "The request must have exactly one Host header",
	    0, NULL, NULL },
	[HTTP_HOST_FOREIGN] = { ERR_ACCESS_DENIED, "is not accepted: in protected mode rtstage "
	    "answers only requests addressed to a loopback address or localhost", 0, NULL,
	    "Host" },
	[HTTP_ORIGIN_FOREIGN] = { ERR_ACCESS_DENIED, "is not accepted: in protected mode rtstage "
	    "answers only pages served from a loopback address or localhost", 0, NULL,
	    "Origin" },
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

/* The operation a request names, and (rest-json) its URI labels. */
struct target {
	int op;			/* -1 until found */
	struct route rt;	/* AWS_LOOKUP_REST only */
};

/* A body must say it is of a type the protocol takes, or say nothing of
 * its type. */
static enum err_code
check_media_type(const struct aws_protocol *p, const struct http_request *req, struct err *e)
{
	const char *type = http_header(req, "Content-Type");
	size_t i;

	if (type == NULL || req->body_len == 0)
		return ERR_OK;
	for (i = 0; p->media_types[i] != NULL; i++)
		if (strncasecmp(type, p->media_types[i], strlen(p->media_types[i])) == 0)
			return ERR_OK;
	return err_set(e, ERR_MEDIA_TYPE, "Content-Type '%.100s' is not supported: the body "
	    "must be %s", type, p->response_type);
}

static enum err_code
find_rest(const struct aws_protocol *p, const struct http_request *req, struct target *t,
    struct err *e)
{
	(void)p;
	if (route_match(req->method, req->path, &t->rt, e) != ERR_OK)
		return e->code;
	t->op = (int)t->rt.op;
	return ERR_OK;
}

static enum err_code
find_target(const struct aws_protocol *p, const struct http_request *req, struct target *t,
    struct err *e)
{
	const char *name = http_header(req, "X-Amz-Target");
	size_t n = strlen(p->target_prefix);
	int i;

	if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/") != 0)
		return err_set(e, ERR_UNKNOWN_OPERATION, "%s requests are POST /, not %.16s %.200s",
		    p->name, req->method, req->path);
	if (name != NULL && strncmp(name, p->target_prefix, n) == 0)
		for (i = 0; i < p->n_ops; i++)
			if (strcmp(name + n, p->model[i].name) == 0) {
				t->op = i;
				return ERR_OK;
			}
	return err_set(e, ERR_UNKNOWN_OPERATION, "Operation %.200s is not supported",
	    name ? name : "(none)");
}

static enum err_code (*const lookups[])(const struct aws_protocol *,
    const struct http_request *, struct target *, struct err *) = {
	[AWS_LOOKUP_REST] = find_rest,
	[AWS_LOOKUP_TARGET] = find_target,
};

static void
count_authorization(void *arg, const char *name, const char *value)
{
	(void)value;
	if (strcasecmp(name, "Authorization") == 0)
		(*(int *)arg)++;
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
	if (jsonscan_values(req->body, req->body_len, LIMIT_JSON_VALUES) > LIMIT_JSON_VALUES)
		return err_set(e, ERR_SERIALIZATION, "The request body holds more JSON values "
		    "than the limit of %d", LIMIT_JSON_VALUES);
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
bind_http_members(const struct target *t, const char *query, json_t *in, struct err *e)
{
	const struct route *rt = &t->rt;
	const struct shape *s;
	const struct shape_member *m;
	json_t *list;
	int i, k;

	if (t->op < 0 || operations[rt->op].input < 0)
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
aws_resource_of(const struct aws_protocol *p, int op, const struct call *c, const json_t *in,
    char *out, size_t cap)
{
	const char *member = p->ops[op].resource;
	const char *arn = member ? json_string_value(json_object_get(in, member)) : NULL;

	if (arn != NULL)
		snprintf(out, cap, "%s", arn);
	else if (p->arn_service != NULL)
		snprintf(out, cap, "arn:aws:%s:%s:%s:*", p->arn_service, c->who.region,
		    c->who.account);
	else
		snprintf(out, cap, "*");
}

/* May the caller perform the operation on the resource it names? */
static enum err_code
authorize(const struct aws_protocol *p, struct call *c, int op, json_t *in)
{
	char named[96], resource[ROUTE_LABEL_MAX];
	const char *action = p->ops[op].action;

	if (action == NULL) {	/* not served: the action the model's name makes */
		snprintf(named, sizeof(named), "%s:%s", p->signing_name, p->model[op].name);
		action = named;
	}
	if (auth_permits(c, action))
		return ERR_OK;	/* the resource is named only in a refusal */
	aws_resource_of(p, op, c, in, resource, sizeof(resource));
	return auth_allow(c, action, resource);
}

static enum err_code
validate(const struct aws_protocol *p, struct call *c, int op, json_t *in)
{
	return validate_input(p->model[op].input, in, &c->err);
}

/* Permission and validation, in the protocol's order. */
static enum err_code
check_input(const struct aws_protocol *p, struct call *c, int op, json_t *in)
{
	static enum err_code (*const order[2][2])(const struct aws_protocol *, struct call *,
	    int, json_t *) = {
		{ authorize, validate },
		{ validate, authorize },
	};
	enum err_code rc;
	int i;

	for (i = 0; i < 2; i++)
		if ((rc = order[p->validate_first != 0][i](p, c, op, in)) != ERR_OK)
			return rc;
	return ERR_OK;
}

static enum err_code
authenticate(const struct aws_protocol *p, const struct http_request *req, struct call *c)
{
	if (auth_verify(req, p->signing_name, c) != ERR_OK)
		return c->err.code;
	c->who.kind = PRINCIPAL_SIGV4;
	return ERR_OK;
}

static enum err_code
run(const struct aws_protocol *p, struct call *c, int op, const json_t *in, json_t **out)
{
	if (p->ops[op].fn == NULL)
		return err_set(&c->err, ERR_NOT_IMPLEMENTED, "rtstage does not implement %s yet",
		    p->model[op].name);
	return p->ops[op].fn(c, in, out);
}

/* Writes the success of op (out, or c->text_out) or c's error into res. */
static void
answer(const struct aws_protocol *p, struct call *c, enum err_code rc, int op, json_t *out,
    struct http_response *res)
{
	if (rc == ERR_OK) {
		res->status = p->model[op].status;
		res->content_type = p->response_type;
		res->body = c->text_out ? c->text_out : json_dumps(out, p->json_flags);
		c->text_out = NULL;
		res->body_len = res->body ? strlen(res->body) : 0;
		if (res->body != NULL)
			return;
		err_set(&c->err, ERR_INTERNAL, "out of memory writing the response");
	}
	if (c->err.code == ERR_INTERNAL)
		log_msg(LOG_ERROR, "request %s: %s", c->request_id, c->err.msg);
	p->error(&c->err, res);
}

void
aws_pipeline(const struct aws_protocol *p, const struct http_request *req,
    struct http_response *res, struct call *c)
{
	struct target t = { .op = -1 };
	json_t *in = NULL, *out = NULL;
	enum err_code rc;

	c->operation = p->name;
	if ((rc = aws_check_envelope(req, &c->err)) != ERR_OK ||
	    (rc = lookups[p->lookup](p, req, &t, &c->err)) != ERR_OK)
		goto out;
	c->operation = p->model[t.op].name;
	if ((rc = authenticate(p, req, c)) != ERR_OK)
		goto out;
	if ((rc = check_media_type(p, req, &c->err)) != ERR_OK)
		goto out;
	if ((rc = aws_parse_body(req, &in, &c->err)) != ERR_OK)
		goto out;
	if (p->lookup == AWS_LOOKUP_REST &&
	    (rc = bind_http_members(&t, req->query, in, &c->err)) != ERR_OK)
		goto out;
	if ((rc = check_input(p, c, t.op, in)) != ERR_OK)
		goto out;
	rc = run(p, c, t.op, in, &out);
out:
	answer(p, c, rc, t.op, out, res);
	free(c->text_out);
	c->text_out = NULL;
	json_decref(in);
	json_decref(out);
}
