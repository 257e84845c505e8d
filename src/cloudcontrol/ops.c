/* The Cloud Control operations, the same for every resource type of
 * types.h.
 *
 * Like the real service's resource handlers, a request needs the
 * permissions of the API operations that would make its change
 * (ivs:CreateStage, ivs:GetStage, ...); they are checked before anything
 * is written. The change itself is carried out by the typed domain calls
 * (quotas, storage references, the tag limit, recording defaults hold as
 * in the API) in ONE store job, together with the request's outcome: a
 * request changes everything it asks or nothing, and a resource never
 * exists without the request that made it being recorded SUCCESS.
 *
 * A mutating request is recorded IN_PROGRESS before it acts (which also
 * claims its ClientToken, so a retry cannot act twice) and given its
 * outcome when done; GetResourceRequestStatus and ListResourceRequests read
 * the records for CC_REQUEST_RETAIN_MS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/auth.h"
#include "aws/validate.h"
#include "cloudcontrol/cloudcontrol.h"
#include "cloudcontrol/schema.h"
#include "cloudcontrol/types.h"
#include "crypto/ids.h"
#include "ivs/ivs.h"
#include "ivs/page_token.h"
#include "ivs/paging.h"
#include "store/request_store.h"
#include "limits.h"


/* Every type served, by TypeName. */
static const struct cc_type *const types[] = {
	&cc_stage_type,
	&cc_public_key_type,
	&cc_storage_type,
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The type in's TypeName names: ERR_TYPE_NOT_FOUND if none. */
static enum err_code
find_type(struct call *c, const json_t *in, const struct cc_type **type)
{
	const char *name = json_string_value(json_object_get(in, "TypeName"));
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(name, types[i]->name) == 0) {
			*type = types[i];
			return ERR_OK;
		}
	return err_set(&c->err, ERR_TYPE_NOT_FOUND, "The type '%s' cannot be found.", name);
}

/* May the caller perform action on every resource of type (an ARN ending
 * in "TYPE/" and a star)? */
static enum err_code
allow_any(struct call *c, const struct cc_type *type, const char *action)
{
	char any[160];

	snprintf(any, sizeof(any), "arn:aws:ivs:%s:%s:%s/*", c->who.region, c->who.account,
	    type->arn_type);
	return auth_allow(c, action, any);
}

/* Words a domain ERR_NOT_FOUND (also of an identifier that is no ARN of
 * the caller) as CloudFormation does; passes other codes on. */
static enum err_code
not_found(struct call *c, const struct cc_type *type, const char *id, enum err_code rc)
{
	if (rc == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_NOT_FOUND, "Resource of type '%s' with identifier '%s' "
		    "was not found.", type->name, id);
	return rc;
}

/* ---- resource requests ---------------------------------------------------- */

/* What a failed request reports, by the error that failed it. */
static const char *const handler_codes[ERR__COUNT] = {
	[ERR_VALIDATION] = "InvalidRequest",
	[ERR_SERIALIZATION] = "InvalidRequest",
	[ERR_INVALID_REQUEST] = "InvalidRequest",
	[ERR_NOT_FOUND] = "NotFound",
	[ERR_NOT_UPDATABLE] = "NotUpdatable",
	[ERR_CONFLICT] = "ResourceConflict",
	[ERR_QUOTA] = "ServiceLimitExceeded",
	[ERR_ACCESS_DENIED] = "AccessDenied",
	[ERR_INTERNAL] = "ServiceInternalError",
};

/* The ProgressEvent of r. */
static json_t *
event_json(const struct request_rec *r)
{
	int stale = strcmp(r->status, "IN_PROGRESS") == 0 &&
	    now_ms() - r->created_ms > CC_REQUEST_STALE_MS;
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:f}", "TypeName", r->type_name,
	    "RequestToken", r->token, "Operation", r->operation,
	    "OperationStatus", stale ? "FAILED" : r->status, "EventTime", r->event_ms / 1000.0);

	if (ev == NULL)
		return NULL;
	if (r->identifier[0])
		json_object_set_new(ev, "Identifier", json_string(r->identifier));
	if (r->model && r->model[0])
		json_object_set_new(ev, "ResourceModel", json_string(r->model));
	if (stale) {
		json_object_set_new(ev, "StatusMessage", json_string("The request was cut short: "
		    "the server stopped while carrying it out"));
		json_object_set_new(ev, "ErrorCode", json_string("ServiceInternalError"));
	} else {
		if (r->message[0])
			json_object_set_new(ev, "StatusMessage", json_string(r->message));
		if (r->error_code[0])
			json_object_set_new(ev, "ErrorCode", json_string(r->error_code));
	}
	return ev;
}

static enum err_code
answer_event(struct call *c, const struct request_rec *r, json_t **out)
{
	json_t *ev = event_json(r);

	*out = ev ? json_pack("{s:o}", "ProgressEvent", ev) : NULL;
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

static enum err_code
insert_tx(struct store *s, void *arg, struct err *e)
{
	const struct request_rec *r = arg;

	if (store_request_expire(s, r->created_ms - CC_REQUEST_RETAIN_MS, e) != ERR_OK)
		return e->code;
	return store_request_insert(s, r, e);
}

static enum err_code
finish_tx(struct store *s, void *arg, struct err *e)
{
	return store_request_finish(s, arg, e);
}

static enum err_code
cancel_tx(struct store *s, void *arg, struct err *e)
{
	return store_request_cancel(s, arg, e);
}

/* The request made earlier with the caller's client token, if it is the
 * same request: then *replay is set and *out is its event. */
static enum err_code
earlier(struct call *c, const struct request_rec *r, int *replay, json_t **out)
{
	struct request_rec old;
	struct store *s;
	enum err_code rc;

	*replay = 0;
	if ((s = store_thread(&c->err)) == NULL)
		return c->err.code;
	memset(&old, 0, sizeof(old));
	rc = store_request_by_client_token(s, r->account, r->region, r->client_token,
	    r->created_ms - CC_REQUEST_RETAIN_MS, &old, &c->err);
	if (rc == ERR_NOT_FOUND) {
		c->err.code = ERR_OK;
		return ERR_OK;
	}
	if (rc == ERR_OK && strcmp(old.fingerprint, r->fingerprint) != 0)
		rc = err_set(&c->err, ERR_CLIENT_TOKEN_CONFLICT, "The ClientToken '%s' was used "
		    "with a different request (%s)", r->client_token, old.token);
	else if (rc == ERR_OK && (rc = answer_event(c, &old, out)) == ERR_OK)
		*replay = 1;
	free(old.model);
	return rc;
}

/* Starts request r (identifier set by the caller) for operation op on
 * type: fingerprints what the request is (op, type and what, so that a
 * ClientToken names one request of one operation), claims the client
 * token and records it IN_PROGRESS, in a commit of its own. When the
 * client token names the same request made before, sets *replay and
 * answers that request's event in *out. */
static enum err_code
begin(struct call *c, const json_t *in, const char *op, const struct cc_type *type,
    const json_t *what, struct request_rec *r, int *replay, json_t **out)
{
	const char *ct = json_string_value(json_object_get(in, "ClientToken"));
	json_t *all = json_pack("[s, s, O]", op, type->name, what);
	char *text = all ? json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	unsigned char digest[32];
	enum err_code rc;

	json_decref(all);
	snprintf(r->operation, sizeof(r->operation), "%s", op);
	snprintf(r->type_name, sizeof(r->type_name), "%s", type->name);
	snprintf(r->account, sizeof(r->account), "%s", c->who.account);
	snprintf(r->region, sizeof(r->region), "%s", c->who.region);
	snprintf(r->client_token, sizeof(r->client_token), "%s", ct ? ct : "");
	if (text == NULL || ids_sha256(text, strlen(text), digest) != 0) {
		free(text);
		return err_set(&c->err, ERR_INTERNAL, "cannot fingerprint the request");
	}
	free(text);
	ids_hex(digest, sizeof(digest), r->fingerprint);
	snprintf(r->status, sizeof(r->status), "IN_PROGRESS");
	r->created_ms = r->event_ms = now_ms();
	if (ids_request_id(r->token) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for a request token");
	if (ct != NULL) {
		if ((rc = earlier(c, r, replay, out)) != ERR_OK || *replay)
			return rc;
	}
	rc = store_write(insert_tx, r, &c->err);
	if (rc == ERR_CONFLICT && ct != NULL) {	/* the same token, a moment earlier */
		c->err.code = ERR_OK;
		if ((rc = earlier(c, r, replay, out)) != ERR_OK || *replay)
			return rc;
		return err_set(&c->err, ERR_CLIENT_TOKEN_CONFLICT, "The ClientToken '%s' is in use",
		    ct);
	}
	return rc;
}

/* Records that r failed with rc (its handler error code and c->err's
 * message) and answers its event. A failed change wrote nothing (its job
 * was rolled back whole), so this is a commit of its own. */
static enum err_code
finish_failed(struct call *c, struct request_rec *r, enum err_code rc, json_t **out)
{
	enum err_code w;

	snprintf(r->status, sizeof(r->status), "FAILED");
	snprintf(r->message, sizeof(r->message), "%.1023s", c->err.msg);
	snprintf(r->error_code, sizeof(r->error_code), "%s",
	    handler_codes[rc] ? handler_codes[rc] : "InternalFailure");
	r->model = NULL;
	r->event_ms = now_ms();
	c->err.code = ERR_OK;
	w = store_write(finish_tx, r, &c->err);	/* r->status as stored: cancelled, perhaps */
	return w == ERR_OK ? answer_event(c, r, out) : w;
}

/* ---- CreateResource, UpdateResource, DeleteResource ------------------------ */

/* One mutating request: the change and the recording of its success, in
 * one job.
 *
 * Why that order is crash-safe: the ClientToken's claim commits first
 * (IN_PROGRESS, no identifier, nothing changed). The resource and the
 * request's SUCCESS row (with the identifier and model) then commit in one
 * transaction, so after a crash either both exist or neither does: no
 * resource is ever orphaned by a request that stays IN_PROGRESS, and a
 * retry with the same ClientToken answers the recorded event, naming the
 * resource whenever it exists. A crash between the two commits leaves an
 * IN_PROGRESS row that changed nothing; it reads FAILED once stale. */
struct change_job {
	struct call *c;
	const struct cc_type *type;
	struct request_rec *r;		/* identifier set; filled with the outcome */
	enum err_code (*act)(const struct change_job *j, struct store *s);
	int answers_model;		/* the event carries the resource's model */
	void *plan;			/* create */
	const json_t *patch;		/* update */
};

static enum err_code
act_create(const struct change_job *j, struct store *s)
{
	return j->type->create_in(j->c, s, j->plan);
}

static enum err_code
act_update(const struct change_job *j, struct store *s)
{
	return j->type->update_in(j->c, s, j->r->identifier, j->patch);
}

static enum err_code
act_delete(const struct change_job *j, struct store *s)
{
	return j->type->delete_in(j->c, s, j->r->identifier);
}

static enum err_code
change_tx(struct store *s, void *arg, struct err *e)
{
	struct change_job *j = arg;
	struct request_rec *r = j->r;
	json_t *model = NULL;

	if (j->act(j, s) != ERR_OK)
		return e->code;
	if (j->answers_model) {
		if (j->type->read_in(j->c, s, r->identifier, &model) != ERR_OK)
			return e->code;
		r->model = json_dumps(model, JSON_COMPACT);
		json_decref(model);
		if (r->model == NULL)
			return err_set(e, ERR_INTERNAL, "out of memory");
	}
	snprintf(r->status, sizeof(r->status), "SUCCESS");
	r->message[0] = r->error_code[0] = '\0';
	r->event_ms = now_ms();
	return store_request_finish(s, r, e);	/* r->status as stored: cancelled, perhaps */
}

/* Carries out j (its request begun), in one job with its outcome, and
 * answers the request's event: rc is what failed before (ERR_OK: nothing). */
static enum err_code
carry_out(struct call *c, struct change_job *j, enum err_code rc, json_t **out)
{
	if (rc == ERR_OK)
		rc = not_found(c, j->type, j->r->identifier, store_write(change_tx, j, &c->err));
	if (rc == ERR_OK)
		rc = answer_event(c, j->r, out);
	else
		rc = finish_failed(c, j->r, rc, out);
	free(j->r->model);
	j->r->model = NULL;
	return rc;
}

/* Parses a document member (DesiredState, PatchDocument) that must hold
 * JSON of type want. */
static enum err_code
document(struct call *c, const json_t *in, const char *member, json_type want, json_t **doc)
{
	json_error_t je;

	*doc = json_loads(json_string_value(json_object_get(in, member)), 0, &je);
	if (*doc == NULL)
		return err_set(&c->err, ERR_INVALID_REQUEST, "%s is not valid JSON: %s at "
		    "line %d, column %d", member, je.text, je.line, je.column);
	if (json_typeof(*doc) != want) {
		json_decref(*doc);
		*doc = NULL;
		return err_set(&c->err, ERR_INVALID_REQUEST, "%s must be a JSON %s", member,
		    want == JSON_OBJECT ? "object" : "array");
	}
	return ERR_OK;
}

static enum err_code
cc_create(struct call *c, const json_t *in, json_t **out)
{
	struct request_rec r;
	struct change_job j = { .c = c, .r = &r, .act = act_create, .answers_model = 1 };
	json_t *desired = NULL;
	int replay = 0;
	enum err_code rc;

	memset(&r, 0, sizeof(r));
	if (find_type(c, in, &j.type) != ERR_OK || document(c, in, "DesiredState", JSON_OBJECT,
	    &desired) != ERR_OK)
		return c->err.code;
	if ((rc = begin(c, in, "CREATE", j.type, desired, &r, &replay, out)) != ERR_OK || replay)
		goto out;
	if ((rc = j.type->prepare(c, desired, &j.plan, r.identifier, sizeof(r.identifier))) ==
	    ERR_OK && (rc = allow_any(c, j.type, j.type->create_action)) == ERR_OK)
		rc = auth_allow(c, j.type->read_action, r.identifier);
	if (rc != ERR_OK)
		r.identifier[0] = '\0';		/* nothing was made */
	rc = carry_out(c, &j, rc, out);
	if (rc == ERR_OK && strcmp(r.status, "SUCCESS") != 0)
		r.identifier[0] = '\0';
out:
	if (j.plan != NULL)
		j.type->plan_free(j.plan);
	json_decref(desired);
	return rc;
}

static enum err_code
cc_update(struct call *c, const json_t *in, json_t **out)
{
	const char *id = json_string_value(json_object_get(in, "Identifier"));
	struct request_rec r;
	struct change_job j = { .c = c, .r = &r, .act = act_update, .answers_model = 1 };
	json_t *what = NULL;
	int replay = 0;
	enum err_code rc;

	memset(&r, 0, sizeof(r));
	if (find_type(c, in, &j.type) != ERR_OK || document(c, in, "PatchDocument", JSON_ARRAY,
	    (json_t **)&j.patch) != ERR_OK)
		return c->err.code;
	snprintf(r.identifier, sizeof(r.identifier), "%s", id);
	if ((what = json_pack("[s, O]", id, j.patch)) == NULL)
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
	else if ((rc = begin(c, in, "UPDATE", j.type, what, &r, &replay, out)) == ERR_OK &&
	    !replay)
		rc = carry_out(c, &j, auth_allow(c, j.type->read_action, id), out);
	json_decref(what);
	json_decref((json_t *)j.patch);
	return rc;
}

static enum err_code
cc_delete(struct call *c, const json_t *in, json_t **out)
{
	const char *id = json_string_value(json_object_get(in, "Identifier"));
	struct request_rec r;
	struct change_job j = { .c = c, .r = &r, .act = act_delete, .answers_model = 0 };
	json_t *what;
	int replay = 0;
	enum err_code rc;

	memset(&r, 0, sizeof(r));
	if (find_type(c, in, &j.type) != ERR_OK)
		return c->err.code;
	snprintf(r.identifier, sizeof(r.identifier), "%s", id);
	if ((what = json_string(id)) == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	if ((rc = begin(c, in, "DELETE", j.type, what, &r, &replay, out)) == ERR_OK && !replay) {
		if ((rc = auth_allow(c, j.type->read_action, id)) == ERR_OK)
			rc = auth_allow(c, j.type->delete_action, id);
		rc = carry_out(c, &j, rc, out);
	}
	json_decref(what);
	return rc;
}

/* ---- GetResource, ListResources -------------------------------------------- */

static json_t *
description(const char *id, const json_t *model)
{
	char *text = json_dumps(model, JSON_COMPACT);
	json_t *d = text ? json_pack("{s:s, s:s}", "Identifier", id, "Properties", text) : NULL;

	free(text);
	return d;
}

struct read_job {
	struct call *c;
	const struct cc_type *type;
	const char *id;
	json_t *model;		/* out */
};

static enum err_code
read_tx(struct store *s, void *arg, struct err *e)
{
	struct read_job *j = arg;

	(void)e;	/* j->c->err */
	return j->type->read_in(j->c, s, j->id, &j->model);
}

static enum err_code
cc_get(struct call *c, const json_t *in, json_t **out)
{
	struct read_job j = { .c = c, .id = json_string_value(json_object_get(in, "Identifier")) };
	json_t *d;

	if (find_type(c, in, &j.type) != ERR_OK ||
	    auth_allow(c, j.type->read_action, j.id) != ERR_OK ||
	    not_found(c, j.type, j.id, store_read(read_tx, &j, &c->err)) != ERR_OK)
		return c->err.code;
	d = description(j.id, j.model);
	json_decref(j.model);
	*out = d ? json_pack("{s:s, s:o}", "TypeName", j.type->name, "ResourceDescription", d) :
	    NULL;
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

struct list_page {
	struct call *c;
	const struct cc_type *type;
	struct paging p;
};

static enum err_code
add_resource(void *arg, long long seq, const char *id, json_t *model)
{
	struct list_page *l = arg;
	json_t *d;

	if (!paging_take(&l->p, seq)) {		/* the row past the page */
		json_decref(model);
		return ERR_OK;
	}
	d = description(id, model);
	json_decref(model);
	if (auth_allow(l->c, l->type->read_action, id) != ERR_OK)
		return l->c->err.code;
	if (d == NULL || json_array_append_new(l->p.list, d) != 0)
		return err_set(&l->c->err, ERR_INTERNAL, "out of memory");
	return ERR_OK;
}

static enum err_code
cc_list(struct call *c, const json_t *in, json_t **out)
{
	const json_t *max = json_object_get(in, "MaxResults");
	const json_t *token = json_object_get(in, "NextToken");
	struct list_page l = { .c = c };
	char next[PAGE_TOKEN_MAX];
	json_t *req;
	struct store *s;
	int has;
	enum err_code rc;

	if (find_type(c, in, &l.type) != ERR_OK || allow_any(c, l.type, l.type->list_action) !=
	    ERR_OK)
		return c->err.code;
	req = json_pack("{s:O*, s:O*}", "maxResults", max, "nextToken", token);
	rc = req ? paging_start(c, req, l.type->list_scope, &l.p) : err_set(&c->err, ERR_INTERNAL,
	    "out of memory");
	json_decref(req);
	if (rc != ERR_OK)
		return rc;
	if ((s = store_thread(&c->err)) == NULL ||
	    (rc = l.type->page_in(c, s, l.p.after, l.p.want + 1, add_resource, &l)) != ERR_OK ||
	    (has = paging_token(c, &l.p, next)) < 0) {
		paging_abort(&l.p);
		return c->err.code;
	}
	*out = json_pack("{s:s, s:O, s:s*}", "TypeName", l.type->name, "ResourceDescriptions",
	    l.p.list, "NextToken", has ? next : NULL);
	paging_abort(&l.p);
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

/* ---- the requests themselves ------------------------------------------------- */

static enum err_code
get_request(struct call *c, const json_t *in, struct request_rec *r)
{
	const char *token = json_string_value(json_object_get(in, "RequestToken"));
	struct store *s = store_thread(&c->err);

	memset(r, 0, sizeof(*r));
	if (s == NULL)
		return c->err.code;
	if (store_request_get(s, c->who.account, c->who.region, token,
	    now_ms() - CC_REQUEST_RETAIN_MS, r, &c->err) == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_REQUEST_TOKEN_NOT_FOUND, "Request with token %s was "
		    "not found", token);
	return c->err.code;
}

static enum err_code
cc_request_status(struct call *c, const json_t *in, json_t **out)
{
	struct request_rec r;
	enum err_code rc;

	if ((rc = get_request(c, in, &r)) == ERR_OK)
		rc = answer_event(c, &r, out);
	free(r.model);
	return rc;
}

static enum err_code
cc_cancel(struct call *c, const json_t *in, json_t **out)
{
	struct request_rec r;
	enum err_code rc;

	if ((rc = get_request(c, in, &r)) != ERR_OK)
		goto out;
	if (strcmp(r.status, "IN_PROGRESS") != 0 || now_ms() - r.created_ms > CC_REQUEST_STALE_MS) {
		rc = err_set(&c->err, ERR_CONCURRENT_MODIFICATION, "Request with token %s has "
		    "already completed (%s) and cannot be cancelled", r.token, r.status);
		goto out;
	}
	if ((rc = store_write(cancel_tx, r.token, &c->err)) != ERR_OK)
		goto out;
	free(r.model);
	if ((rc = get_request(c, in, &r)) == ERR_OK)
		rc = answer_event(c, &r, out);
out:
	free(r.model);
	return rc;
}

/* ",A,B," of the strings of list, or of every value of the enum shape
 * when list is empty. */
static void
filter_of(const json_t *list, int enum_shape, char *out, size_t cap)
{
	const json_t *v;
	size_t i, n = 1;
	int k;

	snprintf(out, cap, ",");
	json_array_foreach(list, i, v)
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s,", json_string_value(v));
	for (k = 0; json_array_size(list) == 0 && k < shapes[enum_shape].n_enums; k++)
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s,",
		    shapes[enum_shape].enums[k]);
}

/* Page tokens are base64url; the model's NextToken alphabet has '/' where
 * base64url has '_'. */
static void
swap(char *s, char from, char to)
{
	for (; *s; s++)
		if (*s == from)
			*s = to;
}

struct request_page {
	struct call *c;
	json_t *list;
	int want, taken;
	long long last;
};

static enum err_code
add_request(void *arg, const struct request_rec *r)
{
	struct request_page *p = arg;

	if (++p->taken > p->want)
		return ERR_OK;	/* only tells that there is more */
	p->last = r->seq;
	return json_array_append_new(p->list, event_json(r)) == 0 ? ERR_OK :
	    err_set(&p->c->err, ERR_INTERNAL, "out of memory");
}

static enum err_code
cc_list_requests(struct call *c, const json_t *in, json_t **out)
{
	const json_t *filter = json_object_get(in, "ResourceRequestStatusFilter");
	const char *token = json_string_value(json_object_get(in, "NextToken"));
	const json_t *max = json_object_get(in, "MaxResults");
	struct request_page p = { .c = c, .list = json_array(), .taken = 0, .last = 0 };
	char scope[192], ops[64], statuses[160], next[PAGE_TOKEN_MAX] = "";
	long long before = INT64_MAX;
	struct store *s;
	enum err_code rc;

	p.want = max ? (int)json_integer_value(max) : LIST_REQUESTS_DEFAULT;
	snprintf(scope, sizeof(scope), "ListResourceRequests/%s/%s", c->who.account,
	    c->who.region);
	if (token && (snprintf(next, sizeof(next), "%s", token), swap(next, '/', '_'),
	    page_token_decode(ivs_page_key(), scope, next, &before, &c->err) != ERR_OK)) {
		json_decref(p.list);
		return err_set(&c->err, ERR_VALIDATION, "The NextToken is not valid for this list");
	}
	filter_of(json_object_get(filter, "Operations"), shape_find("cc.Operation"), ops,
	    sizeof(ops));
	filter_of(json_object_get(filter, "OperationStatuses"), shape_find("cc.OperationStatus"),
	    statuses, sizeof(statuses));
	if ((s = store_thread(&c->err)) == NULL || p.list == NULL) {
		json_decref(p.list);
		return c->err.code ? c->err.code : err_set(&c->err, ERR_INTERNAL, "out of memory");
	}
	rc = store_request_page(s, c->who.account, c->who.region, before, p.want + 1, ops,
	    statuses, now_ms() - CC_REQUEST_RETAIN_MS, add_request, &p, &c->err);
	if (rc == ERR_OK && p.taken > p.want && page_token_encode(ivs_page_key(), scope, p.last,
	    next) != 0)
		rc = err_set(&c->err, ERR_INTERNAL, "cannot sign the next token");
	swap(next, '_', '/');
	if (rc == ERR_OK)
		*out = json_pack("{s:o, s:s*}", "ResourceRequestStatusSummaries", p.list,
		    "NextToken", p.taken > p.want ? next : NULL);
	else
		json_decref(p.list);
	return rc;
}

/* Every operation needs cloudformation:<Operation> on any resource ("*"),
 * as the real service's documented policies grant it. */
#define R AWS_OP_READ
#define W (AWS_OP_WRITE | AWS_OP_RECORDED)

const struct aws_op cc_ops[CC_OP__COUNT] = {
	/* operation                       handler            IAM action                                  resource flags */
	[CC_OP_CreateResource] =           { cc_create,         "cloudformation:CreateResource",           NULL, W },
	[CC_OP_GetResource] =              { cc_get,            "cloudformation:GetResource",              NULL, R },
	[CC_OP_UpdateResource] =           { cc_update,         "cloudformation:UpdateResource",           NULL, W },
	[CC_OP_DeleteResource] =           { cc_delete,         "cloudformation:DeleteResource",           NULL, W },
	[CC_OP_ListResources] =            { cc_list,           "cloudformation:ListResources",            NULL, R },
	[CC_OP_GetResourceRequestStatus] = { cc_request_status, "cloudformation:GetResourceRequestStatus", NULL, R },
	[CC_OP_ListResourceRequests] =     { cc_list_requests,  "cloudformation:ListResourceRequests",     NULL, R },
	[CC_OP_CancelResourceRequest] =    { cc_cancel,         "cloudformation:CancelResourceRequest",    NULL,
	    AWS_OP_WRITE },
};

#undef R
#undef W

enum err_code
cc_init(struct err *e)
{
	size_t i;

	if (schema_init(e) != ERR_OK)
		return e->code;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (schema_for(types[i]->name) == NULL)
			return err_set(e, ERR_INTERNAL, "no resource schema for %s", types[i]->name);
	return ERR_OK;
}

void
cc_fini(void)
{
	schema_fini();
}
