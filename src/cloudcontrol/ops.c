/* The Cloud Control operations for AWS::IVS::Stage.
 *
 * Like the real service's resource handlers, each operation is carried out
 * through the ivs-realtime operations themselves (CreateStage, GetStage,
 * UpdateStage, TagResource, UntagResource, DeleteStage, ListStages), with
 * the caller's identity and permissions: every rule of the API (quotas,
 * storage references, the tag limit, recording defaults) holds here too.
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
#include "cloudcontrol/model.h"
#include "cloudcontrol/schema.h"
#include "crypto/ids.h"
#include "ivs/ivs.h"
#include "ivs/page_token.h"
#include "store/request_store.h"
#include "util/jsonpatch.h"

#define LIST_REQUESTS_DEFAULT 20

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the ivs-realtime operations, called as the caller ------------------ */

static enum err_code
call_ivs_borrowed(struct call *c, enum op_id op, const json_t *in, const char *resource,
    json_t **out)
{
	char action[96];
	json_error_t je;
	enum err_code rc;

	*out = NULL;
	c->err.code = ERR_OK;	/* handlers expect a clean slate */
	c->err.msg[0] = '\0';
	snprintf(action, sizeof(action), "ivs:%s", operations[op].name);
	if (in == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	if (auth_allow(c, action, resource) != ERR_OK ||
	    validate_input(operations[op].input, in, &c->err) != ERR_OK)
		return c->err.code;
	if ((rc = ivs_ops[op].fn(c, in, out)) != ERR_OK)
		return rc;
	if (*out == NULL && c->text_out != NULL) {
		*out = json_loads(c->text_out, 0, &je);
		free(c->text_out);
		c->text_out = NULL;
	}
	if (*out == NULL)
		*out = json_object();
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

/* Runs ivs-realtime operation op on in (checked against the model first)
 * if the caller may perform it on resource; *out is its response. Takes
 * in (a new reference, NULL when it could not be made). */
static enum err_code
call_ivs(struct call *c, enum op_id op, json_t *in, const char *resource, json_t **out)
{
	enum err_code rc = call_ivs_borrowed(c, op, in, resource, out);

	json_decref(in);
	return rc;
}

/* The resource model of the stage arn. ERR_NOT_FOUND (also for an
 * identifier that is no stage ARN of the caller) in CloudFormation's
 * words. */
static enum err_code
read_model(struct call *c, const char *arn, json_t **model)
{
	json_t *out = NULL;
	enum err_code rc;

	*model = NULL;
	rc = call_ivs(c, OP_GetStage, json_pack("{s:s}", "arn", arn), arn, &out);
	if (rc == ERR_NOT_FOUND || rc == ERR_VALIDATION)
		rc = err_set(&c->err, ERR_NOT_FOUND, "Resource of type '%s' with identifier '%s' "
		    "was not found.", schema_type_name(), arn);
	else if (rc == ERR_OK && (*model = model_from_stage(json_object_get(out, "stage"))) == NULL)
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
	json_decref(out);
	return rc;
}

static enum err_code
check_type(struct call *c, const json_t *in)
{
	const char *type = json_string_value(json_object_get(in, "TypeName"));

	if (strcmp(type, schema_type_name()) != 0)
		return err_set(&c->err, ERR_TYPE_NOT_FOUND, "The type '%s' cannot be found.", type);
	return ERR_OK;
}

/* ---- resource requests ---------------------------------------------------- */

/* What a failed request reports, by the error that failed it. */
static const char *const handler_codes[ERR__COUNT] = {
	[ERR_VALIDATION] = "InvalidRequest",
	[ERR_SERIALIZATION] = "InvalidRequest",
	[ERR_INVALID_REQUEST] = "InvalidRequest",
	[ERR_NOT_FOUND] = "NotFound",
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

/* Starts request r (operation, type and identifier set by the caller):
 * fingerprints what (the request as sent), claims the client token and
 * records it IN_PROGRESS. When the client token names the same request
 * made before, sets *replay and answers that request's event in *out. */
static enum err_code
begin(struct call *c, const json_t *in, const char *what, struct request_rec *r, int *replay,
    json_t **out)
{
	const char *ct = json_string_value(json_object_get(in, "ClientToken"));
	unsigned char digest[32];
	enum err_code rc;

	snprintf(r->account, sizeof(r->account), "%s", c->who.account);
	snprintf(r->region, sizeof(r->region), "%s", c->who.region);
	snprintf(r->client_token, sizeof(r->client_token), "%s", ct ? ct : "");
	if (ids_sha256(what, strlen(what), digest) != 0)
		return err_set(&c->err, ERR_INTERNAL, "cannot hash the request");
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

/* Records the outcome of r: SUCCESS with model (NULL: none), or FAILED
 * with rc's handler error code and c->err's message; answers its event. */
static enum err_code
finish(struct call *c, struct request_rec *r, enum err_code rc, const json_t *model,
    json_t **out)
{
	char *text = model ? json_dumps(model, JSON_COMPACT) : NULL;
	enum err_code w;

	snprintf(r->status, sizeof(r->status), "%s", rc == ERR_OK ? "SUCCESS" : "FAILED");
	snprintf(r->message, sizeof(r->message), "%.1023s", rc == ERR_OK ? "" : c->err.msg);
	snprintf(r->error_code, sizeof(r->error_code), "%s", rc == ERR_OK ? "" :
	    handler_codes[rc] ? handler_codes[rc] : "InternalFailure");
	r->model = text;
	r->event_ms = now_ms();
	c->err.code = ERR_OK;
	w = store_write(finish_tx, r, &c->err);	/* r->status as stored: cancelled, perhaps */
	if (w == ERR_OK)
		w = answer_event(c, r, out);
	r->model = NULL;
	free(text);
	return w;
}

/* ---- CreateResource, UpdateResource, DeleteResource ------------------------ */

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
create_stage(struct call *c, const json_t *desired, json_t **model)
{
	json_t *in = json_object(), *tags = NULL, *out = NULL;
	const json_t *name = json_object_get(desired, "Name");
	const json_t *rec = json_object_get(desired, "AutoParticipantRecordingConfiguration");
	char any[160];
	enum err_code rc;

	*model = NULL;
	if (schema_check_read_only(NULL, desired, &c->err) != ERR_OK ||
	    schema_check(desired, &c->err) != ERR_OK ||
	    model_tags_to_api(json_object_get(desired, "Tags"), &tags, &c->err) != ERR_OK) {
		json_decref(in);
		return c->err.code;
	}
	if (in && name)
		json_object_set(in, "name", (json_t *)name);
	if (in && rec)
		json_object_set_new(in, "autoParticipantRecordingConfiguration",
		    model_recording_to_api(rec));
	if (in && json_object_size(tags) > 0)
		json_object_set(in, "tags", tags);
	snprintf(any, sizeof(any), "arn:aws:ivs:%s:%s:stage/*", c->who.region, c->who.account);
	rc = call_ivs(c, OP_CreateStage, in, any, &out);
	if (rc == ERR_OK)
		rc = read_model(c, json_string_value(json_object_get(json_object_get(out, "stage"),
		    "arn")), model);
	json_decref(tags);
	json_decref(out);
	return rc;
}

static enum err_code
cc_create(struct call *c, const json_t *in, json_t **out)
{
	struct request_rec r;
	json_t *desired = NULL, *model = NULL;
	char *what;
	int replay = 0;
	enum err_code rc;

	memset(&r, 0, sizeof(r));
	if (check_type(c, in) != ERR_OK || document(c, in, "DesiredState", JSON_OBJECT,
	    &desired) != ERR_OK)
		return c->err.code;
	snprintf(r.operation, sizeof(r.operation), "CREATE");
	snprintf(r.type_name, sizeof(r.type_name), "%s", schema_type_name());
	what = json_dumps(desired, JSON_COMPACT | JSON_SORT_KEYS);
	rc = what ? begin(c, in, what, &r, &replay, out) : err_set(&c->err, ERR_INTERNAL,
	    "out of memory");
	free(what);
	if (rc == ERR_OK && !replay) {
		rc = create_stage(c, desired, &model);
		if (model)
			snprintf(r.identifier, sizeof(r.identifier), "%s",
			    json_string_value(json_object_get(model, "Arn")));
		rc = finish(c, &r, rc, model, out);
	}
	json_decref(desired);
	json_decref(model);
	return rc;
}

/* Makes the stage what the patched model says: UpdateStage for its name
 * and recording, UntagResource and TagResource for its tags. */
static enum err_code
apply_model(struct call *c, const char *arn, const json_t *before, const json_t *after)
{
	static const char *const staged[] = { "Name", "AutoParticipantRecordingConfiguration" };
	json_t *old_tags = NULL, *new_tags = NULL, *gone, *set, *in, *out = NULL, *v;
	const char *k;
	size_t i;
	int changed = 0;
	enum err_code rc;

	for (i = 0; i < sizeof(staged) / sizeof(staged[0]); i++) {
		const json_t *a = json_object_get(after, staged[i]), *b = json_object_get(before,
		    staged[i]);
		changed |= (a == NULL) != (b == NULL) || (a && !json_equal(a, b));
	}
	if (changed) {
		const json_t *name = json_object_get(after, "Name");
		in = json_pack("{s:s, s:O*, s:o}", "arn", arn, "name", name,
		    "autoParticipantRecordingConfiguration", model_recording_to_api(
		    json_object_get(after, "AutoParticipantRecordingConfiguration")));
		if (in && name == NULL)
			json_object_set_new(in, "name", json_string(""));
		rc = call_ivs(c, OP_UpdateStage, in, arn, &out);
		json_decref(out);
		if (rc != ERR_OK)
			return rc;
	}
	if (model_tags_to_api(json_object_get(before, "Tags"), &old_tags, &c->err) != ERR_OK ||
	    model_tags_to_api(json_object_get(after, "Tags"), &new_tags, &c->err) != ERR_OK) {
		json_decref(old_tags);
		return c->err.code;
	}
	gone = json_array();
	set = json_object();
	json_object_foreach(old_tags, k, v)
		if (json_object_get(new_tags, k) == NULL)
			json_array_append_new(gone, json_string(k));
	json_object_foreach(new_tags, k, v)
		if (!json_equal(v, json_object_get(old_tags, k)))
			json_object_set(set, k, v);
	rc = ERR_OK;
	if (json_array_size(gone) > 0) {	/* first, so that a replacement fits the limit */
		rc = call_ivs(c, OP_UntagResource, json_pack("{s:s, s:O}", "resourceArn", arn,
		    "tagKeys", gone), arn, &out);
		json_decref(out);
	}
	if (rc == ERR_OK && json_object_size(set) > 0) {
		rc = call_ivs(c, OP_TagResource, json_pack("{s:s, s:O}", "resourceArn", arn,
		    "tags", set), arn, &out);
		json_decref(out);
	}
	json_decref(gone);
	json_decref(set);
	json_decref(old_tags);
	json_decref(new_tags);
	return rc;
}

static enum err_code
update_stage(struct call *c, const char *arn, const json_t *patch, json_t **model)
{
	json_t *before = NULL, *after = NULL;
	enum err_code rc;

	*model = NULL;
	if ((rc = read_model(c, arn, &before)) != ERR_OK)
		return rc;
	after = json_deep_copy(before);
	if ((rc = jsonpatch_apply(&after, patch, &c->err)) == ERR_OK &&
	    (rc = schema_check_read_only(before, after, &c->err)) == ERR_OK &&
	    (rc = schema_check(after, &c->err)) == ERR_OK &&
	    (rc = apply_model(c, arn, before, after)) == ERR_OK)
		rc = read_model(c, arn, model);
	json_decref(before);
	json_decref(after);
	return rc;
}

static enum err_code
cc_update(struct call *c, const json_t *in, json_t **out)
{
	const char *id = json_string_value(json_object_get(in, "Identifier"));
	struct request_rec r;
	json_t *patch = NULL, *model = NULL;
	char *what;
	int replay = 0;
	enum err_code rc;

	memset(&r, 0, sizeof(r));
	if (check_type(c, in) != ERR_OK || document(c, in, "PatchDocument", JSON_ARRAY,
	    &patch) != ERR_OK)
		return c->err.code;
	snprintf(r.operation, sizeof(r.operation), "UPDATE");
	snprintf(r.type_name, sizeof(r.type_name), "%s", schema_type_name());
	snprintf(r.identifier, sizeof(r.identifier), "%s", id);
	model = json_pack("[s, O]", id, patch);		/* what the request is */
	what = model ? json_dumps(model, JSON_COMPACT) : NULL;
	json_decref(model);
	model = NULL;
	rc = what ? begin(c, in, what, &r, &replay, out) : err_set(&c->err, ERR_INTERNAL,
	    "out of memory");
	free(what);
	if (rc == ERR_OK && !replay) {
		rc = update_stage(c, id, patch, &model);
		rc = finish(c, &r, rc, model, out);
	}
	json_decref(patch);
	json_decref(model);
	return rc;
}

static enum err_code
cc_delete(struct call *c, const json_t *in, json_t **out)
{
	const char *id = json_string_value(json_object_get(in, "Identifier"));
	struct request_rec r;
	json_t *model = NULL, *res = NULL;
	int replay = 0;
	enum err_code rc;

	memset(&r, 0, sizeof(r));
	if (check_type(c, in) != ERR_OK)
		return c->err.code;
	snprintf(r.operation, sizeof(r.operation), "DELETE");
	snprintf(r.type_name, sizeof(r.type_name), "%s", schema_type_name());
	snprintf(r.identifier, sizeof(r.identifier), "%s", id);
	if ((rc = begin(c, in, id, &r, &replay, out)) != ERR_OK || replay)
		return rc;
	if ((rc = read_model(c, id, &model)) == ERR_OK)
		rc = call_ivs(c, OP_DeleteStage, json_pack("{s:s}", "arn", id), id, &res);
	json_decref(model);
	json_decref(res);
	return finish(c, &r, rc, NULL, out);
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

static enum err_code
cc_get(struct call *c, const json_t *in, json_t **out)
{
	const char *id = json_string_value(json_object_get(in, "Identifier"));
	json_t *model = NULL, *d;

	if (check_type(c, in) != ERR_OK || read_model(c, id, &model) != ERR_OK)
		return c->err.code;
	d = description(id, model);
	json_decref(model);
	*out = d ? json_pack("{s:s, s:o}", "TypeName", schema_type_name(), "ResourceDescription",
	    d) : NULL;
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

static enum err_code
cc_list(struct call *c, const json_t *in, json_t **out)
{
	const json_t *max = json_object_get(in, "MaxResults");
	const json_t *token = json_object_get(in, "NextToken");
	json_t *page = NULL, *list = NULL, *stage, *model, *req;
	const char *arn;
	char any[160];
	size_t i;
	enum err_code rc;

	if (check_type(c, in) != ERR_OK)
		return c->err.code;
	req = json_object();
	if (req && max)
		json_object_set(req, "maxResults", (json_t *)max);
	if (req && token)
		json_object_set(req, "nextToken", (json_t *)token);
	snprintf(any, sizeof(any), "arn:aws:ivs:%s:%s:stage/*", c->who.region, c->who.account);
	rc = call_ivs(c, OP_ListStages, req, any, &page);
	req = NULL;	/* taken */
	if (rc != ERR_OK)
		goto out;
	if ((list = json_array()) == NULL) {
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
		goto out;
	}
	json_array_foreach(json_object_get(page, "stages"), i, stage) {
		arn = json_string_value(json_object_get(stage, "arn"));
		rc = read_model(c, arn, &model);
		if (rc == ERR_NOT_FOUND)
			continue;	/* deleted since the page was read */
		if (rc != ERR_OK)
			goto out;
		json_array_append_new(list, description(arn, model));
		json_decref(model);
	}
	rc = ERR_OK;
	*out = json_pack("{s:s, s:O, s:O*}", "TypeName", schema_type_name(),
	    "ResourceDescriptions", list, "NextToken", json_object_get(page, "nextToken"));
	if (*out == NULL)
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
out:
	json_decref(req);
	json_decref(page);
	json_decref(list);
	return rc;
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
	return schema_init(e);
}

void
cc_fini(void)
{
	schema_fini();
}
