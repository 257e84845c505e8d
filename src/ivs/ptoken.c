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
#include "ivs/ptoken.h"
#include "limits.h"

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

static int
is_participant_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == n;
}

/* Is arn "arn:aws:ivs:REGION:ACCOUNT:stage/ID" with ID equal to topic? */
static int
is_stage_arn_of(const char *arn, const char *topic)
{
	const char *slash = strrchr(arn, '/');

	return strncmp(arn, "arn:aws:ivs:", 12) == 0 && slash != NULL && slash - arn >= 6 &&
	    strncmp(slash - 6, ":stage", 6) == 0 && topic[0] != '\0' &&
	    strcmp(slash + 1, topic) == 0;
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

/* Every attribute value must be a string. */
static int
attributes_ok(const json_t *attrs)
{
	const char *k;
	const json_t *v;

	if (!json_is_object(attrs))
		return 0;
	json_object_foreach((json_t *)attrs, k, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

enum ptoken_code
ptoken_check_claims(const json_t *claims, long long now_s, struct ptoken *out)
{
	const json_t *exp = json_object_get(claims, "exp");
	const json_t *iat = json_object_get(claims, "iat");
	const json_t *caps = json_object_get(claims, "capabilities");
	const json_t *attrs = json_object_get(claims, "attributes");
	const json_t *version = json_object_get(claims, "version");

	if (!json_is_object(claims))
		return refuse(out, PTOKEN_INVALID, "the claims are not a JSON object");
	if (!json_is_number(exp))
		return refuse(out, PTOKEN_INVALID, "claim exp must be a number");
	if (iat != NULL && !json_is_number(iat))
		return refuse(out, PTOKEN_INVALID, "claim iat must be a number");
	if (string_claim(claims, "jti", 1, out->participant_id, sizeof(out->participant_id)) ||
	    !is_participant_id(out->participant_id))
		return refuse(out, PTOKEN_INVALID, "claim jti must be 1 to 64 of [A-Za-z0-9_-]");
	if (string_claim(claims, "topic", 1, out->topic, sizeof(out->topic)) ||
	    out->topic[0] == '\0')
		return refuse(out, PTOKEN_INVALID, "claim topic must be the stage id");
	if (string_claim(claims, "resource", 1, out->stage_arn, sizeof(out->stage_arn)) ||
	    !is_stage_arn_of(out->stage_arn, out->topic))
		return refuse(out, PTOKEN_INVALID,
		    "claim resource must be the ARN of the stage the topic names");
	if (!json_is_object(caps) || (out->publish = capability(caps, "allow_publish")) < 0 ||
	    (out->subscribe = capability(caps, "allow_subscribe")) < 0)
		return refuse(out, PTOKEN_INVALID,
		    "claim capabilities must be an object of boolean allow_publish, allow_subscribe");
	if (!json_is_string(version) || strcmp(json_string_value(version), "1.0") != 0)
		return refuse(out, PTOKEN_INVALID, "claim version must be \"1.0\"");
	if (string_claim(claims, "user_id", 0, out->user_id, sizeof(out->user_id)))
		return refuse(out, PTOKEN_INVALID, "claim user_id must be a string");
	if (attrs != NULL && !attributes_ok(attrs))
		return refuse(out, PTOKEN_INVALID, "claim attributes must be an object of strings");
	if (string_claim(claims, "events_url", 0, out->events_url, sizeof(out->events_url)) ||
	    string_claim(claims, "whip_url", 0, out->whip_url, sizeof(out->whip_url)))
		return refuse(out, PTOKEN_INVALID, "claims events_url and whip_url must be strings");
	out->exp = (long long)json_number_value(exp);
	out->iat = iat ? (long long)json_number_value(iat) : 0;
	if (out->iat > now_s + LIMIT_TOKEN_CLOCK_SKEW_S)
		return refuse(out, PTOKEN_INVALID, "claim iat is in the future");
	if (out->exp <= now_s)
		return refuse(out, PTOKEN_EXPIRED, "the token has expired (claim exp)");
	free(out->attributes);
	free(out->capabilities);
	out->attributes = attrs ? json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	out->capabilities = json_dumps(caps, JSON_COMPACT | JSON_SORT_KEYS);
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

/* A kid the server does not have: the customer-key hook decides. */
static enum ptoken_code
foreign_key(const json_t *header, const char *token, struct ptoken *out)
{
	ptoken_key_lookup_fn fn = atomic_load(&key_lookup);
	const char *kid = json_string_value(json_object_get(header, "kid"));
	EVP_PKEY *pkey;
	int ok;

	if (kid == NULL)
		return refuse(out, PTOKEN_INVALID, "the header has no kid");
	if (fn == NULL || (pkey = fn(kid)) == NULL)
		return refuse(out, PTOKEN_INVALID_SIGNATURE, "no known key has the header's kid");
	ok = verify_with(pkey, token);
	EVP_PKEY_free(pkey);
	return ok ? PTOKEN_OK : refuse(out, PTOKEN_INVALID_SIGNATURE,
	    "the signature does not verify under the key the kid names");
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
		rc = foreign_key(header, token, out);
	else if (chk != JWT_VALID)
		rc = refuse(out, PTOKEN_INVALID_SIGNATURE, jwt_check_text(chk));
	if (rc == PTOKEN_OK)
		rc = ptoken_check_claims(claims, now_s, out);
out:
	json_decref(header);
	json_decref(claims);
	return rc;
}
