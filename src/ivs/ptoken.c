/* Participant token verification (see ptoken.h): the signature through
 * the keyring (crypto/jwt.c) or the customer-key hook, then one table of
 * claim rules. Knows nothing of sockets or stores. */
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ids.h"
#include "crypto/jwt.h"
#include "ivs/arn.h"
#include "ivs/ptoken.h"
#include "limits.h"

/* The resource type of the ARN a customer-signed token's kid names (as
 * ivs/public_key.h's PUBLIC_KEY_TYPE, which this pure module does not
 * include). */
#define PTOKEN_KEY_TYPE "public-key"

static _Atomic(ptoken_key_lookup_fn) key_lookup;

void
ptoken_set_key_lookup(ptoken_key_lookup_fn fn)
{
	atomic_store(&key_lookup, fn);
}

const char *
ptoken_code_name(enum ptoken_code c)
{
	static const char *const names[] = {
		[PTOKEN_OK] = "INTERNAL",
		[PTOKEN_MISSING] = "TOKEN_MISSING",
		[PTOKEN_INVALID] = "TOKEN_INVALID",
		[PTOKEN_INVALID_SIGNATURE] = "TOKEN_INVALID_SIGNATURE",
		[PTOKEN_EXPIRED] = "TOKEN_EXPIRED",
		[PTOKEN_UNREADABLE] = "INTERNAL",
	};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "INTERNAL";
}

void
ptoken_free(struct ptoken *t)
{
	if (t == NULL)
		return;
	free(t->attributes);
	free(t->capabilities);
	t->attributes = t->capabilities = NULL;
}

static enum ptoken_code
refuse(struct ptoken *out, enum ptoken_code c, const char *why)
{
	snprintf(out->why, sizeof(out->why), "%s", why);
	return c;
}

/* ---- the claims ------------------------------------------------------------ */

/* What the claim rules read and fill. */
struct claims_ctx {
	const json_t *claims;
	long long now_s;
	struct ptoken *out;
};

/* Copies string claim name into out (cap bytes); 0 when absent and not
 * required; -1 when of another type, too long, or required and absent. */
static int
string_claim(const json_t *claims, const char *name, int required, char *out, size_t cap)
{
	const json_t *v = json_object_get(claims, name);

	out[0] = '\0';
	if (v == NULL)
		return required ? -1 : 0;
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Reads number claim name as whole seconds from 0 to LIMIT_TIME_MAX into
 * *out; 0 if it is one, -1 otherwise (the range is checked before the
 * conversion, which a larger double would make undefined). */
static int
time_claim(const json_t *claims, const char *name, long long *out)
{
	const json_t *v = json_object_get(claims, name);
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out >= 0 && *out <= LIMIT_TIME_MAX ? 0 : -1;
	}
	if (!json_is_real(v) || !((d = json_real_value(v)) >= 0 && d <= (double)LIMIT_TIME_MAX))
		return -1;
	*out = (long long)d;
	return 0;
}

/* UTF-16 code units of s (valid UTF-8, as jansson keeps it): one per
 * character, two for those past U+FFFF (a four-byte sequence). */
static size_t
utf16_units(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char b = (unsigned char)*s;

		n += (b & 0xC0) != 0x80;
		n += b >= 0xF0;
	}
	return n;
}

/* Reads a boolean capability; -1 if present and not a boolean. */
static int
capability(const json_t *caps, const char *name)
{
	const json_t *v = json_object_get(caps, name);

	if (v == NULL)
		return 0;
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

static int
rule_object(struct claims_ctx *x)
{
	return json_is_object(x->claims);
}

static int
rule_exp(struct claims_ctx *x)
{
	return time_claim(x->claims, "exp", &x->out->exp) == 0;
}

static int
rule_iat(struct claims_ctx *x)
{
	return time_claim(x->claims, "iat", &x->out->iat) == 0;
}

static int
rule_jti(struct claims_ctx *x)
{
	const char *s = x->out->participant_id;
	size_t n;

	if (string_claim(x->claims, "jti", 1, x->out->participant_id,
	    sizeof(x->out->participant_id)) != 0)
		return 0;
	n = strlen(s);
	return n >= 1 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int
rule_topic(struct claims_ctx *x)
{
	return string_claim(x->claims, "topic", 1, x->out->topic, sizeof(x->out->topic)) == 0 &&
	    x->out->topic[0] != '\0';
}

/* resource: "arn:aws:ivs:REGION:ACCOUNT:stage/ID" with ID the topic. */
static int
rule_resource(struct claims_ctx *x)
{
	struct arn a;

	return string_claim(x->claims, "resource", 1, x->out->stage_arn,
	    sizeof(x->out->stage_arn)) == 0 && arn_parse(x->out->stage_arn, &a) == 0 &&
	    strcmp(a.type, "stage") == 0 && strcmp(a.id, x->out->topic) == 0;
}

static int
rule_urls(struct claims_ctx *x)
{
	return string_claim(x->claims, "events_url", 1, x->out->events_url,
	    sizeof(x->out->events_url)) == 0 && x->out->events_url[0] != '\0' &&
	    string_claim(x->claims, "whip_url", 1, x->out->whip_url,
	    sizeof(x->out->whip_url)) == 0 && x->out->whip_url[0] != '\0';
}

static int
rule_capabilities(struct claims_ctx *x)
{
	const json_t *caps = json_object_get(x->claims, "capabilities");

	return json_is_object(caps) &&
	    (x->out->publish = capability(caps, "allow_publish")) >= 0 &&
	    (x->out->subscribe = capability(caps, "allow_subscribe")) >= 0;
}

static int
rule_version(struct claims_ctx *x)
{
	const json_t *v = json_object_get(x->claims, "version");

	return json_is_string(v) && strcmp(json_string_value(v), "1.0") == 0;
}

static int
rule_user_id(struct claims_ctx *x)
{
	return string_claim(x->claims, "user_id", 0, x->out->user_id,
	    sizeof(x->out->user_id)) == 0 &&
	    utf16_units(x->out->user_id) <= LIMIT_TOKEN_USER_ID_UNITS;
}

/* attributes, when present: an object of strings, keys and values
 * together at most MAX_ATTRIBUTE_BYTES (as CreateParticipantToken). */
static int
rule_attributes(struct claims_ctx *x)
{
	const json_t *attrs = json_object_get(x->claims, "attributes");
	const char *k;
	const json_t *v;
	size_t total = 0;

	if (attrs == NULL)
		return 1;
	if (!json_is_object(attrs))
		return 0;
	json_object_foreach((json_t *)attrs, k, v) {
		if (!json_is_string(v))
			return 0;
		total += strlen(k) + json_string_length(v);
	}
	return total <= MAX_ATTRIBUTE_BYTES;
}

static int
rule_lifetime(struct claims_ctx *x)
{
	return x->out->exp - x->out->iat <= LIMIT_TOKEN_LIFETIME_S;
}

static int
rule_issued(struct claims_ctx *x)
{
	return x->out->iat <= x->now_s + LIMIT_TOKEN_CLOCK_SKEW_S;
}

static int
rule_unexpired(struct claims_ctx *x)
{
	return x->out->exp > x->now_s;
}

/* The claim rules in the order they are judged; the first broken one is
 * the refusal. Later rules may read what earlier ones filled in. */
static const struct {
	int (*holds)(struct claims_ctx *x);
	enum ptoken_code code;
	const char *why;
} claim_rules[] = {
	{ rule_object, PTOKEN_INVALID, "the claims are not a JSON object" },
	{ rule_exp, PTOKEN_INVALID, "claim exp must be a number of seconds since the epoch" },
	{ rule_iat, PTOKEN_INVALID, "claim iat must be a number of seconds since the epoch" },
	{ rule_jti, PTOKEN_INVALID, "claim jti must be 1 to 64 of [A-Za-z0-9_-]" },
	{ rule_topic, PTOKEN_INVALID, "claim topic must be the stage id" },
	{ rule_resource, PTOKEN_INVALID,
	  "claim resource must be the ARN of the stage the topic names" },
	{ rule_urls, PTOKEN_INVALID,
	  "claims events_url and whip_url must be the stage's endpoints (non-empty strings)" },
	{ rule_capabilities, PTOKEN_INVALID,
	  "claim capabilities must be an object of boolean allow_publish, allow_subscribe" },
	{ rule_version, PTOKEN_INVALID, "claim version must be \"1.0\"" },
	{ rule_user_id, PTOKEN_INVALID, "claim user_id must be a string of at most 128 characters" },
	{ rule_attributes, PTOKEN_INVALID,
	  "claim attributes must be an object of strings, keys and values at most 1 KB in all" },
	{ rule_lifetime, PTOKEN_INVALID, "claim exp must be at most 14 days after iat" },
	{ rule_issued, PTOKEN_INVALID, "claim iat is in the future" },
	{ rule_unexpired, PTOKEN_EXPIRED, "the token has expired (claim exp)" },
};

enum ptoken_code
ptoken_check_claims(const json_t *claims, long long now_s, struct ptoken *out)
{
	struct claims_ctx x = { claims, now_s, out };
	const json_t *attrs = json_object_get(claims, "attributes");
	size_t i;

	for (i = 0; i < sizeof(claim_rules) / sizeof(claim_rules[0]); i++)
		if (!claim_rules[i].holds(&x))
			return refuse(out, claim_rules[i].code, claim_rules[i].why);
	free(out->attributes);
	free(out->capabilities);
	out->attributes = attrs ? json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	out->capabilities = json_dumps(json_object_get(claims, "capabilities"),
	    JSON_COMPACT | JSON_SORT_KEYS);
	if (out->attributes == NULL || out->capabilities == NULL)
		return refuse(out, PTOKEN_INVALID, "out of memory reading the claims");
	return PTOKEN_OK;
}

/* ---- the signature --------------------------------------------------------- */

/* Does the raw R||S signature of token verify under pkey (ES384)? */
static int
verify_with(EVP_PKEY *pkey, const char *token)
{
	const char *dot2 = strrchr(token, '.');
	unsigned char sig[KEYS_SIG_BYTES + 1], *der = NULL;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int derlen, ok = 0;

	if (dot2 == NULL || ids_b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig)) !=
	    KEYS_SIG_BYTES)
		return 0;
	r = BN_bin2bn(sig, KEYS_SIG_BYTES / 2, NULL);
	s = BN_bin2bn(sig + KEYS_SIG_BYTES / 2, KEYS_SIG_BYTES / 2, NULL);
	if (r == NULL || s == NULL || (es = ECDSA_SIG_new()) == NULL || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;		/* es owns them */
	if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0 || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, pkey) != 1)
		goto out;
	ok = EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)token,
	    (size_t)(dot2 - token)) == 1;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return ok;
}

/* Is the public key ARN k of the account and region of the stage the
 * resource claim names? A customer's key admits to its own stages only,
 * whoever else imported the same material. */
static int
key_owned(const struct arn *k, const json_t *claims)
{
	const char *resource = json_string_value(json_object_get(claims, "resource"));
	struct arn r;

	return resource != NULL && arn_parse(resource, &r) == 0 &&
	    strcmp(k->account, r.account) == 0 && strcmp(k->region, r.region) == 0;
}

/* A kid the server does not have: a customer's imported key, which the
 * hook reads from the store, of the stage's own account and region. */
static enum ptoken_code
foreign_key(const json_t *header, const json_t *claims, const char *token, struct ptoken *out)
{
	ptoken_key_lookup_fn fn = atomic_load(&key_lookup);
	const char *kid = json_string_value(json_object_get(header, "kid"));
	EVP_PKEY *pkey = NULL;
	enum err_code found;
	struct arn k;
	int ok;

	if (kid == NULL)
		return refuse(out, PTOKEN_INVALID, "the header has no kid");
	if (strlen(kid) >= sizeof(out->key_arn) || arn_parse(kid, &k) != 0 ||
	    strcmp(k.type, PTOKEN_KEY_TYPE) != 0)
		return refuse(out, PTOKEN_INVALID_SIGNATURE,
		    "the header's kid is neither a key of the server nor a public key ARN");
	if (!key_owned(&k, claims))
		return refuse(out, PTOKEN_INVALID_SIGNATURE, "the kid is not a public key of the "
		    "account and region of the stage the token names");
	found = fn != NULL ? fn(kid, &pkey) : ERR_NOT_FOUND;
	if (found == ERR_NOT_FOUND)
		return refuse(out, PTOKEN_INVALID_SIGNATURE,
		    "no public key has the header's kid (deleted, or never imported)");
	if (found != ERR_OK)
		return refuse(out, PTOKEN_UNREADABLE,
		    "the public key the kid names could not be read; try again");
	ok = verify_with(pkey, token);
	EVP_PKEY_free(pkey);
	if (!ok)
		return refuse(out, PTOKEN_INVALID_SIGNATURE,
		    "the signature does not verify under the public key the kid names");
	memcpy(out->key_arn, kid, strlen(kid) + 1);
	return PTOKEN_OK;
}

enum ptoken_code
ptoken_verify(struct keyring *ring, const char *token, long long now_s, struct ptoken *out)
{
	json_t *header = NULL, *claims = NULL;
	const char *typ;
	enum ptoken_code rc = PTOKEN_OK;
	enum jwt_check chk;

	memset(out, 0, sizeof(*out));
	if (token == NULL || token[0] == '\0')
		return refuse(out, PTOKEN_MISSING, "no token was sent");
	if (strlen(token) > MAX_TOKEN)
		return refuse(out, PTOKEN_INVALID, "the token is too long");
	chk = jwt_verify(ring, token, &header, &claims);
	if (chk == JWT_MALFORMED || chk == JWT_WRONG_ALG) {
		rc = refuse(out, PTOKEN_INVALID, jwt_check_text(chk));
		goto out;
	}
	typ = json_string_value(json_object_get(header, "typ"));
	if (typ == NULL || strcmp(typ, "JWT") != 0) {
		rc = refuse(out, PTOKEN_INVALID, "its header does not say typ JWT");
		goto out;
	}
	if (chk == JWT_UNKNOWN_KEY)
		rc = foreign_key(header, claims, token, out);
	else if (chk != JWT_VALID)
		rc = refuse(out, PTOKEN_INVALID_SIGNATURE, jwt_check_text(chk));
	if (rc == PTOKEN_OK)
		rc = ptoken_check_claims(claims, now_s, out);
out:
	json_decref(header);
	json_decref(claims);
	return rc;
}
