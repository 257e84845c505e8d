/* JWT encode/decode around the keyring's ES384 signatures. */
#include <stdlib.h>
#include <string.h>

#include "crypto/ids.h"
#include "crypto/jwt.h"
#include "util/buf.h"
#include "limits.h"


/* Appends base64url(JSON of v) to b. */
static int
append_json(struct buf *b, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	char *enc;
	size_t n;

	if (text == NULL)
		return -1;
	n = strlen(text);
	if ((enc = malloc(n / 3 * 4 + 8)) == NULL) {
		free(text);
		return -1;
	}
	ids_b64url_encode((const unsigned char *)text, n, enc);
	buf_puts(b, enc);
	free(enc);
	free(text);
	return 0;
}

char *
jwt_sign(struct keyring *k, const json_t *claims, struct err *e)
{
	unsigned char sig[KEYS_SIG_BYTES];
	char kid[KEYS_KID_LEN + 1], sigtext[KEYS_SIG_BYTES / 3 * 4 + 4];
	json_t *header;
	struct buf b;

	keys_current(k, kid);
	if ((header = json_pack("{s:s, s:s, s:s}", "alg", "ES384", "typ", "JWT", "kid", kid)) == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	buf_init(&b, MAX_TOKEN);
	append_json(&b, header);
	json_decref(header);
	buf_puts(&b, ".");
	if (append_json(&b, claims) != 0 || b.truncated) {
		buf_free(&b);
		err_set(e, ERR_INTERNAL, "token too large or out of memory");
		return NULL;
	}
	if (keys_sign(k, kid, b.data, b.len, sig, e) != ERR_OK) {
		buf_free(&b);
		return NULL;
	}
	ids_b64url_encode(sig, sizeof(sig), sigtext);
	buf_puts(&b, ".");
	buf_puts(&b, sigtext);
	if (b.truncated) {
		buf_free(&b);
		err_set(e, ERR_INTERNAL, "token too large");
		return NULL;
	}
	return buf_take(&b);
}

/* Decodes the base64url JSON object of len chars at s; NULL if it is not. */
static json_t *
part(const char *s, size_t len)
{
	unsigned char *raw = malloc(len + 1);
	long n;
	json_t *v = NULL;

	if (raw == NULL)
		return NULL;
	if ((n = ids_b64url_decode(s, len, raw, len + 1)) >= 0)
		v = json_loadb((const char *)raw, (size_t)n, 0, NULL);
	free(raw);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

enum jwt_check
jwt_verify(struct keyring *k, const char *token, json_t **header, json_t **claims)
{
	unsigned char sig[KEYS_SIG_BYTES + 1];
	const char *dot1, *dot2, *kid, *alg;
	size_t len = strlen(token);
	int ok;

	*header = *claims = NULL;
	if (len > MAX_TOKEN || (dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL || strchr(dot2 + 1, '.') != NULL)
		return JWT_MALFORMED;
	*header = part(token, (size_t)(dot1 - token));
	*claims = part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (*header == NULL || *claims == NULL)
		return JWT_MALFORMED;
	alg = json_string_value(json_object_get(*header, "alg"));
	kid = json_string_value(json_object_get(*header, "kid"));
	if (alg == NULL || strcmp(alg, "ES384") != 0)
		return JWT_WRONG_ALG;
	if (ids_b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig)) != KEYS_SIG_BYTES)
		return JWT_BAD_SIGNATURE;
	if (kid == NULL)
		return JWT_UNKNOWN_KEY;
	ok = keys_verify(k, kid, token, (size_t)(dot2 - token), sig);
	return ok < 0 ? JWT_UNKNOWN_KEY : ok ? JWT_VALID : JWT_BAD_SIGNATURE;
}

const char *
jwt_check_text(enum jwt_check c)
{
	static const char *const text[] = {
		[JWT_VALID] = "the signature is valid",
		[JWT_MALFORMED] = "it is not a compact JWS of three base64url JSON parts",
		[JWT_WRONG_ALG] = "its header does not say alg ES384",
		[JWT_UNKNOWN_KEY] = "no known signing key has its kid",
		[JWT_BAD_SIGNATURE] = "the signature does not verify",
	};

	return text[c];
}
