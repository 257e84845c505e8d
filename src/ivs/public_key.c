/* Imported public keys: the PEM check and fingerprint, the typed calls of
 * public_key.h, the lookup for customer-signed tokens, and the operations
 * ImportPublicKey, GetPublicKey, ListPublicKeys, DeletePublicKey as thin
 * edges over them. The store only reads and writes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "crypto/ids.h"
#include "ivs/arn.h"
#include "ivs/ivs.h"
#include "ivs/paging.h"
#include "ivs/public_key.h"
#include "ivs/quota.h"
#include "store/tag_store.h"

#define BEGIN "-----BEGIN "
#define DASHES "-----"
#define LABEL "PUBLIC KEY"
#define END "-----END " LABEL DASHES
#define CURVE "secp384r1"

/* ---- the PEM check ------------------------------------------------------------ */

/* Why a PEM block of another label is not a public key to import. */
static const struct {
	const char *label;
	const char *why;
} other_blocks[] = {
	{ "CERTIFICATE", "is a certificate: import its public key "
	  "(openssl x509 -in cert.pem -pubkey -noout)" },
	{ "EC PRIVATE KEY", "is a private key: import only its public half "
	  "(openssl ec -in priv.pem -pubout)" },
	{ "PRIVATE KEY", "is a private key: import only its public half "
	  "(openssl pkey -in priv.pem -pubout)" },
	{ "ENCRYPTED PRIVATE KEY", "is an encrypted private key: import only its public half" },
	{ "RSA PRIVATE KEY", "is an RSA private key: an ECDSA P-384 public key is required" },
	{ "RSA PUBLIC KEY", "is a PKCS#1 RSA key: an ECDSA P-384 public key is required" },
	{ "EC PARAMETERS", "holds EC parameters before the key: import the public key alone" },
};

static const char *
skip_space(const char *p)
{
	while (*p != '\0' && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Refuses a block that is not "PUBLIC KEY", naming what it is. at points
 * at "-----BEGIN ". */
static enum err_code
wrong_block(const char *at, struct err *e)
{
	const char *label = at + strlen(BEGIN), *end = strstr(label, DASHES);
	size_t n = end ? (size_t)(end - label) : 0, i;

	for (i = 0; i < sizeof(other_blocks) / sizeof(other_blocks[0]); i++)
		if (n == strlen(other_blocks[i].label) && strncmp(label, other_blocks[i].label,
		    n) == 0)
			return err_set(e, ERR_VALIDATION, "publicKeyMaterial %s",
			    other_blocks[i].why);
	return err_set(e, ERR_VALIDATION, "publicKeyMaterial is a PEM block of type '%.*s': a "
	    "'" LABEL "' block is required", (int)(n > 64 ? 64 : n), label);
}

/* The framing, before any decoding: one "PUBLIC KEY" block with only
 * whitespace around it; *at is where the block begins. */
static enum err_code
check_frame(const char *pem, const char **at, struct err *e)
{
	const char *start = *at = skip_space(pem), *end;

	if (strlen(pem) > LIMIT_PUBLIC_KEY_PEM_BYTES)
		return err_set(e, ERR_VALIDATION, "publicKeyMaterial is longer than %d bytes: a "
		    "P-384 public key in PEM is about 215", LIMIT_PUBLIC_KEY_PEM_BYTES);
	if (strncmp(start, BEGIN, strlen(BEGIN)) != 0)
		return err_set(e, ERR_VALIDATION, "publicKeyMaterial must be a PEM text starting "
		    "with '" BEGIN LABEL DASHES "', with nothing before it");
	if (strncmp(start + strlen(BEGIN), LABEL DASHES, strlen(LABEL DASHES)) != 0)
		return wrong_block(start, e);
	if ((end = strstr(start, END)) == NULL)
		return err_set(e, ERR_VALIDATION, "publicKeyMaterial has no '" END "' line");
	end = skip_space(end + strlen(END));
	if (strncmp(end, BEGIN, strlen(BEGIN)) == 0)
		return err_set(e, ERR_VALIDATION, "publicKeyMaterial holds more than one PEM "
		    "block: import one public key");
	if (*end != '\0')
		return err_set(e, ERR_VALIDATION, "publicKeyMaterial has text after the '" END
		    "' line");
	return ERR_OK;
}

/* The key must be ECDSA on P-384. */
static enum err_code
check_curve(EVP_PKEY *key, struct err *e)
{
	char group[64] = "";
	const char *type;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
		type = EVP_PKEY_get0_type_name(key);
		return err_set(e, ERR_VALIDATION, "publicKeyMaterial is a%s %s key: an ECDSA P-384 "
		    "(" CURVE ") key is required", type && strchr("AEIOU", type[0]) ? "n" : "",
		    type ? type : "non-EC");
	}
	if (EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1 ||
	    strcmp(group, CURVE) != 0)
		return err_set(e, ERR_VALIDATION, "publicKeyMaterial is an EC key on curve %s: "
		    "P-384 (" CURVE ") is required", group[0] ? group : "(unnamed)");
	return ERR_OK;
}

int
public_key_fingerprint(const unsigned char *der, size_t n, char *fp)
{
	unsigned char digest[32];
	char hex[2 * sizeof(digest) + 1];
	size_t i;

	if (ids_sha256(der, n, digest) != 0)
		return -1;
	ids_hex(digest, sizeof(digest), hex);
	for (i = 0; i < sizeof(digest); i++) {
		fp[3 * i] = hex[2 * i];
		fp[3 * i + 1] = hex[2 * i + 1];
		fp[3 * i + 2] = i + 1 < sizeof(digest) ? ':' : '\0';
	}
	return 0;
}

enum err_code
public_key_parse(const char *pem, char *fp, EVP_PKEY **key, struct err *e)
{
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	const char *at;
	unsigned char *der = NULL;
	int n;
	enum err_code rc;

	if (key != NULL)
		*key = NULL;
	if ((rc = check_frame(pem, &at, e)) != ERR_OK)
		goto out;
	if ((bio = BIO_new_mem_buf(at, (int)strlen(at))) == NULL) {
		rc = err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		rc = err_set(e, ERR_VALIDATION, "publicKeyMaterial does not decode: its base64 or "
		    "its SubjectPublicKeyInfo is malformed");
		goto out;
	}
	if ((rc = check_curve(k, e)) != ERR_OK)
		goto out;
	if ((n = i2d_PUBKEY(k, &der)) <= 0 || public_key_fingerprint(der, (size_t)n, fp) != 0) {
		rc = err_set(e, ERR_INTERNAL, "cannot fingerprint the public key");
		goto out;
	}
	if (key != NULL) {
		*key = k;
		k = NULL;
	}
out:
	ERR_clear_error();	/* OpenSSL's queue is per thread: leave it empty */
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	BIO_free(bio);
	return rc;
}

/* ---- the typed calls ------------------------------------------------------------ */

enum err_code
public_key_prepare(struct call *c, const char *name, const char *material,
    struct public_key_rec *r)
{
	int w;

	memset(r, 0, sizeof(*r));
	if (public_key_parse(material, r->fingerprint, NULL, &c->err) != ERR_OK)
		return c->err.code;
	if (ids_alnum(r->id, IDS_RESOURCE_LEN) != 0)
		return err_set(&c->err, ERR_INTERNAL, "no randomness for an id");
	snprintf(r->account, sizeof(r->account), "%s", c->who.account);
	snprintf(r->region, sizeof(r->region), "%s", c->who.region);
	w = snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	if (w < 0 || (size_t)w >= sizeof(r->name) ||
	    arn_format(r->arn, sizeof(r->arn), r->region, r->account, PUBLIC_KEY_TYPE, r->id) != 0)
		return err_set(&c->err, ERR_VALIDATION, "name or ARN too long");
	snprintf(r->material, sizeof(r->material), "%s", material);	/* fits: parsed */
	return ERR_OK;
}

enum err_code
public_key_create_in(struct call *c, struct store *s, const struct public_key_rec *r,
    const struct tag_set *tags)
{
	struct public_key_rec old;
	enum err_code rc;

	rc = store_public_key_by_fingerprint(s, r->account, r->region, r->fingerprint, &old,
	    &c->err);
	if (rc == ERR_OK)
		return err_set(&c->err, ERR_CONFLICT, "This public key is already imported in "
		    "account %s, %s, as %s (fingerprint %s)", r->account, r->region, old.arn,
		    r->fingerprint);
	if (rc != ERR_NOT_FOUND)
		return rc;
	c->err.code = ERR_OK;
	if (tags_check_keys(c, tags) != ERR_OK ||
	    quota_take(c, s, QUOTA_PUBLIC_KEYS) != ERR_OK ||
	    store_public_key_insert(s, r, &c->err) != ERR_OK ||
	    tags_attach_in(c, s, r->arn, tags) != ERR_OK)
		return c->err.code;
	return ERR_OK;
}

enum err_code
public_key_load_in(struct call *c, struct store *s, const char *arn, struct public_key_rec *r,
    struct tag_set *tags)
{
	struct arn a;

	if (!arn_owned(arn, PUBLIC_KEY_TYPE, c->who.account, c->who.region, &a) ||
	    store_public_key_get(s, a.account, a.region, a.id, r, &c->err) == ERR_NOT_FOUND)
		return err_set(&c->err, ERR_NOT_FOUND, "Public key not found: %s", arn);
	if (c->err.code != ERR_OK || tags == NULL)
		return c->err.code;
	return tags_load_in(c, s, r->arn, tags);
}

enum err_code
public_key_delete_in(struct call *c, struct store *s, const char *arn)
{
	struct public_key_rec r;

	if (public_key_load_in(c, s, arn, &r, NULL) != ERR_OK ||
	    quota_release(c, s, QUOTA_PUBLIC_KEYS) != ERR_OK)
		return c->err.code;
	return store_public_key_delete(s, &r, &c->err);
}

enum err_code
public_key_page_in(struct call *c, struct store *s, long long after, int limit,
    enum err_code (*row)(void *arg, const struct public_key_rec *r), void *arg)
{
	return store_public_key_page(s, c->who.account, c->who.region, after, limit, row, arg,
	    &c->err);
}

enum err_code
public_key_find(struct store *s, const char *arn, EVP_PKEY **key, struct err *e)
{
	struct public_key_rec r;
	struct arn a;
	char fp[PUBLIC_KEY_FINGERPRINT_LEN + 1];

	*key = NULL;
	if (arn == NULL || arn_parse(arn, &a) != 0 || strcmp(a.type, PUBLIC_KEY_TYPE) != 0 ||
	    store_public_key_get(s, a.account, a.region, a.id, &r, e) == ERR_NOT_FOUND)
		return err_set(e, ERR_NOT_FOUND, "No public key %s", arn ? arn : "(none)");
	if (e->code != ERR_OK)
		return e->code;
	if (public_key_parse(r.material, fp, key, e) != ERR_OK)	/* checked when imported */
		return err_set(e, ERR_INTERNAL, "stored public key %s does not parse", arn);
	return ERR_OK;
}

/* ---- the JSON edges ------------------------------------------------------------- */

/* The PublicKey object of r with tags (stolen; NULL: none); with full 0
 * the PublicKeySummary (arn, name, tags). NULL when out of memory. */
static json_t *
key_json(const struct public_key_rec *r, json_t *tags, int full)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "arn", r->arn, "name", r->name, "tags",
	    tags ? tags : json_object());

	if (o != NULL && full && (json_object_set_new(o, "publicKeyMaterial",
	    json_string(r->material)) != 0 || json_object_set_new(o, "fingerprint",
	    json_string(r->fingerprint)) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static enum err_code
answer(struct call *c, const struct public_key_rec *r, const struct tag_set *tags,
    json_t **out)
{
	json_t *map = tag_set_to_map(tags), *k = map ? key_json(r, map, 1) : NULL;

	*out = k ? json_pack("{s:o}", "publicKey", k) : NULL;
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

struct create_job {
	struct call *c;
	struct public_key_rec r;
	const struct tag_set *tags;
};

static enum err_code
create_tx(struct store *s, void *arg, struct err *e)
{
	struct create_job *j = arg;

	(void)e;	/* j->c->err */
	return public_key_create_in(j->c, s, &j->r, j->tags);
}

enum err_code
public_key_import(struct call *c, const json_t *in, json_t **out)
{
	const json_t *material = json_object_get(in, "publicKeyMaterial");
	struct tag_set tags;
	struct create_job j = { .c = c, .tags = &tags };
	enum err_code rc;

	tag_set_init(&tags);
	if (strlen(json_string_value(material)) != json_string_length(material)) {
		rc = err_set(&c->err, ERR_VALIDATION, "publicKeyMaterial holds a NUL character");
		goto out;
	}
	if ((rc = tag_set_from_map(json_object_get(in, "tags"), &tags, &c->err)) != ERR_OK ||
	    (rc = tags_check_keys(c, &tags)) != ERR_OK ||
	    (rc = public_key_prepare(c, json_string_value(json_object_get(in, "name")),
	    json_string_value(material), &j.r)) != ERR_OK ||
	    (rc = store_write(create_tx, &j, &c->err)) != ERR_OK)
		goto out;
	rc = answer(c, &j.r, &tags, out);
out:
	tag_set_free(&tags);
	return rc;
}

struct get_job {
	struct call *c;
	const char *arn;
	struct public_key_rec r;	/* out */
	struct tag_set tags;		/* out */
};

static enum err_code
get_tx(struct store *s, void *arg, struct err *e)
{
	struct get_job *j = arg;

	(void)e;	/* j->c->err */
	return public_key_load_in(j->c, s, j->arn, &j->r, &j->tags);
}

enum err_code
public_key_get(struct call *c, const json_t *in, json_t **out)
{
	struct get_job *j = calloc(1, sizeof(*j));	/* a record holds the PEM text */
	enum err_code rc;

	if (j == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	j->c = c;
	j->arn = json_string_value(json_object_get(in, "arn"));
	tag_set_init(&j->tags);
	if ((rc = store_read(get_tx, j, &c->err)) == ERR_OK)
		rc = answer(c, &j->r, &j->tags, out);
	tag_set_free(&j->tags);
	free(j);
	return rc;
}

static enum err_code
delete_tx(struct store *s, void *arg, struct err *e)
{
	struct arn_job *j = arg;

	(void)e;	/* j->c->err */
	return public_key_delete_in(j->c, s, j->arn);
}

enum err_code
public_key_delete(struct call *c, const json_t *in, json_t **out)
{
	struct arn_job j = { .c = c, .arn = json_string_value(json_object_get(in, "arn")) };

	return ivs_write_empty(c, delete_tx, &j, out);
}

struct list {
	struct call *c;
	struct store *s;
	struct paging p;
};

static enum err_code
add_summary(void *arg, const struct public_key_rec *r)
{
	struct list *l = arg;
	json_t *tags;

	if (paging_full(&l->p))
		return ERR_OK;
	if ((tags = tags_map_in(l->c, l->s, r->arn)) == NULL)
		return l->c->err.code;
	return paging_add(l->c, &l->p, key_json(r, tags, 0), r->seq);
}

static enum err_code
list_tx(struct store *s, void *arg, struct err *e)
{
	struct list *l = arg;

	(void)e;	/* l->c->err */
	l->s = s;
	return public_key_page_in(l->c, s, l->p.after, l->p.want + 1, add_summary, l);
}

enum err_code
public_key_list(struct call *c, const json_t *in, json_t **out)
{
	struct list l = { .c = c };

	if (paging_start(c, in, "ListPublicKeys", &l.p) != ERR_OK)
		return c->err.code;
	if (store_read(list_tx, &l, &c->err) != ERR_OK) {
		paging_abort(&l.p);
		return c->err.code;
	}
	return paging_finish(c, &l.p, "publicKeys", out);
}

enum err_code
public_key_token_key(const char *kid, EVP_PKEY **key)
{
	struct err e = { ERR_OK, "" };
	struct store *s = store_thread(&e);

	*key = NULL;
	if (s == NULL || public_key_find(s, kid, key, &e) != ERR_OK) {
		if (e.code != ERR_NOT_FOUND)
			log_msg(LOG_WARN, "looking up the key of a participant token: %s", e.msg);
		return e.code == ERR_NOT_FOUND ? ERR_NOT_FOUND : ERR_INTERNAL;
	}
	return ERR_OK;
}
