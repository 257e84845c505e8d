/* Participant tokens: CreateParticipantToken and the tokens CreateStage
 * issues. A token is an ES384 JWT signed by the server's keyring; its
 * record (never the token) is written in the caller's transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/ids.h"
#include "crypto/jwt.h"
#include "ivs/arn.h"
#include "ivs/endpoints.h"
#include "ivs/ivs.h"
#include "store/stage_store.h"
#include "store/token_store.h"
#include "util/timefmt.h"
#include "limits.h"


enum err_code
token_check(struct call *c, const json_t *conf, const char *where)
{
	const json_t *attrs = json_object_get(conf, "attributes");
	const char *k;
	json_t *v;
	size_t total = 0;

	json_object_foreach((json_t *)attrs, k, v)
		total += strlen(k) + json_string_length(v);
	if (total > MAX_ATTRIBUTE_BYTES)
		return err_set(&c->err, ERR_VALIDATION, "1 validation error detected: Value at "
		    "'%sattributes' failed to satisfy constraint: attribute keys and values must "
		    "total at most %d bytes of UTF-8; these total %zu", where, MAX_ATTRIBUTE_BYTES,
		    total);
	return ERR_OK;
}

/* Has the capability list caps (NULL: the default, both) this one? */
static int
grants(const json_t *caps, const char *which)
{
	json_t *v;
	size_t i;

	if (caps == NULL)
		return 1;
	json_array_foreach(caps, i, v)
		if (strcmp(json_string_value(v), which) == 0)
			return 1;
	return 0;
}

enum err_code
token_make(struct call *c, const struct stage_rec *st, const json_t *conf, struct issued *t)
{
	const json_t *dur = json_object_get(conf, "duration");
	const json_t *user = json_object_get(conf, "userId");
	const json_t *attrs = json_object_get(conf, "attributes");
	const json_t *caps = json_object_get(conf, "capabilities");
	char events[ENDPOINT_URL_BYTES], whip[ENDPOINT_URL_BYTES], expiry[TIME_ISO8601_LEN];
	json_t *claims = NULL, *capobj = NULL, *capv = NULL;
	struct endpoint_vars vars;
	struct token_rec *r = &t->rec;
	char *token = NULL;
	int publish = grants(caps, "PUBLISH"), subscribe = grants(caps, "SUBSCRIBE");

	memset(t, 0, sizeof(*t));
	if (ids_alnum(r->participant_id, IDS_RESOURCE_LEN) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for a participant id");
	r->duration = dur ? (int)json_integer_value(dur) : DEFAULT_DURATION;
	r->issued_at = (long long)time(NULL);
	r->expires_at = r->issued_at + 60LL * r->duration;
	snprintf(r->stage_arn, sizeof(r->stage_arn), "%s", st->arn);
	snprintf(r->user_id, sizeof(r->user_id), "%s", user ? json_string_value(user) : "");
	snprintf(r->capabilities, sizeof(r->capabilities), "%s%s%s", publish ? "PUBLISH" : "",
	    publish && subscribe ? "," : "", subscribe ? "SUBSCRIBE" : "");
	endpoint_vars(st, &vars);
	if (endpoint_url(c->cfg, ENDPOINT_EVENTS, &vars, events, sizeof(events)) != 0 ||
	    endpoint_url(c->cfg, ENDPOINT_WHIP, &vars, whip, sizeof(whip)) != 0)
		return err_set(&c->err, ERR_INTERNAL, "endpoint template too long");

	capobj = json_object();
	if (publish)
		json_object_set_new(capobj, "allow_publish", json_true());
	if (subscribe)
		json_object_set_new(capobj, "allow_subscribe", json_true());
	claims = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:O, s:s}",
	    "exp", (json_int_t)r->expires_at, "iat", (json_int_t)r->issued_at,
	    "jti", r->participant_id, "resource", st->arn, "topic", st->id,
	    "events_url", events, "whip_url", whip, "capabilities", capobj, "version", "1.0");
	if (claims != NULL && user != NULL)
		json_object_set(claims, "user_id", (json_t *)user);
	if (claims != NULL && attrs != NULL)
		json_object_set(claims, "attributes", (json_t *)attrs);
	r->attributes = attrs ? json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	if (claims == NULL || r->attributes == NULL) {
		err_set(&c->err, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((token = jwt_sign(ivs_keys(), claims, &c->err)) == NULL)
		goto out;

	time_iso8601((time_t)r->expires_at, expiry);
	capv = json_array();
	if (publish)
		json_array_append_new(capv, json_string("PUBLISH"));
	if (subscribe)
		json_array_append_new(capv, json_string("SUBSCRIBE"));
	t->json = json_pack("{s:s, s:s, s:o, s:i, s:o, s:s}", "participantId", r->participant_id,
	    "token", token, "attributes", attrs ? json_deep_copy(attrs) : json_object(),
	    "duration", r->duration, "capabilities", capv, "expirationTime", expiry);
	capv = NULL;
	if (t->json != NULL && user != NULL)
		json_object_set(t->json, "userId", (json_t *)user);
	if (t->json == NULL)
		err_set(&c->err, ERR_INTERNAL, "out of memory");
out:
	json_decref(capobj);
	json_decref(claims);
	json_decref(capv);
	free(token);
	if (t->json == NULL) {
		token_release(t);
		return c->err.code;
	}
	return ERR_OK;
}

void
token_release(struct issued *t)
{
	free(t->rec.attributes);
	t->rec.attributes = NULL;
	json_decref(t->json);
	t->json = NULL;
}

/* The stage a token names, as far as its claims need it: the ARN says it all. */
static int
stage_of(const char *arn, struct stage_rec *st)
{
	struct arn a;

	memset(st, 0, sizeof(*st));
	if (arn_parse(arn, &a) != 0)
		return -1;
	snprintf(st->arn, sizeof(st->arn), "%s", arn);
	if (strlen(a.id) >= sizeof(st->id))
		return -1;
	memcpy(st->id, a.id, strlen(a.id) + 1);
	snprintf(st->account, sizeof(st->account), "%s", a.account);
	snprintf(st->region, sizeof(st->region), "%s", a.region);
	return 0;
}

struct create_job {
	struct call *c;
	struct issued t;
};

/* The stage must exist for the caller; then the token is recorded. */
static enum err_code
create_tx(struct store *s, void *arg, struct err *e)
{
	struct create_job *j = arg;
	struct stage_rec st;
	struct arn a;

	if (!arn_owned(j->t.rec.stage_arn, "stage", j->c->who.account, j->c->who.region, &a) ||
	    store_stage_get(s, a.account, a.region, a.id, &st, e) == ERR_NOT_FOUND)
		return err_set(e, ERR_NOT_FOUND, "Stage not found: %s", j->t.rec.stage_arn);
	if (e->code != ERR_OK)
		return e->code;
	return store_token_insert(s, &j->t.rec, e);
}

enum err_code
token_create(struct call *c, const json_t *in, json_t **out)
{
	const char *arn = json_string_value(json_object_get(in, "stageArn"));
	struct create_job j = { .c = c };
	struct stage_rec st;

	if (token_check(c, in, "") != ERR_OK)
		return c->err.code;
	if (stage_of(arn, &st) != 0)
		return err_set(&c->err, ERR_NOT_FOUND, "Stage not found: %s", arn);
	/* sign first: the costly part never holds the write lock */
	if (token_make(c, &st, in, &j.t) != ERR_OK)
		return c->err.code;
	if (store_write(create_tx, &j, &c->err) != ERR_OK) {
		token_release(&j.t);
		return c->err.code;
	}
	*out = json_pack("{s:O}", "participantToken", j.t.json);
	token_release(&j.t);
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}
