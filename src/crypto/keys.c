/* The keyring: P-384 keys from a key store, ES384 signatures, the JWK Set.
 * OpenSSL 3 only. */
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/ids.h"
#include "crypto/keys.h"

#define COORD 48		/* bytes of a P-384 coordinate */

struct key {
	long long created;	/* nanoseconds since the epoch (file names order keys) */
	long long retired;	/* when its successor was made, ns; 0: current */
	char kid[KEYS_KID_LEN + 1];
	EVP_PKEY *pkey;
};

struct keyring {
	struct key_store ks;
	pthread_rwlock_t lock;
	pthread_mutex_t poll_lock;
	char stamp[64];		/* ks's stamp when last read */
	long long polled;	/* when the stamp was last asked for, ms (monotonic) */
	int n;			/* keys, oldest first: every key of the store, */
	struct key *keys;	/* however many (the store prunes retired ones) */
};

/* Keys as they are read from a store. */
struct key_list {
	struct key *keys;
	int n, cap;
	int oom;		/* a key could not be kept: the list is incomplete */
};

static void
drop_keys(struct key *keys, int n)
{
	int i;

	for (i = 0; i < n; i++)
		EVP_PKEY_free(keys[i].pkey);
	free(keys);
}

static int
kid_of(EVP_PKEY *pkey, char *kid)
{
	unsigned char *der = NULL, digest[32];
	int n = i2d_PUBKEY(pkey, &der);
	char full[64];

	if (n <= 0)
		return -1;
	SHA256(der, (size_t)n, digest);
	OPENSSL_free(der);
	ids_b64url_encode(digest, 12, full);
	memcpy(kid, full, KEYS_KID_LEN);
	kid[KEYS_KID_LEN] = '\0';
	return 0;
}

static int
by_created(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	return (x->created > y->created) - (x->created < y->created);
}

/* Adds one key of the store to the list being loaded (arg). */
static void
load_one(void *arg, long long created, const char *pem)
{
	struct key_list *l = arg;
	struct key *key, *grown;
	BIO *bio;

	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 16;
		if ((grown = realloc(l->keys, (size_t)cap * sizeof(*grown))) == NULL) {
			l->oom = 1;
			return;
		}
		l->keys = grown;
		l->cap = cap;
	}
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		l->oom = 1;
		return;
	}
	key = &l->keys[l->n];
	key->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key->pkey == NULL || kid_of(key->pkey, key->kid) != 0) {
		EVP_PKEY_free(key->pkey);	/* not a key of ours: skipped */
		return;
	}
	key->created = created;
	l->n++;
}

/* (Re)reads every key of the store, all or nothing: on failure the ring
 * keeps the keys it had. Caller holds the write lock. */
static enum err_code
load(struct keyring *k, struct err *e)
{
	char stamp[sizeof(k->stamp)];
	struct key_list l = { NULL, 0, 0, 0 };
	int i;

	if (k->ks.stamp(k->ks.ctx, stamp, sizeof(stamp), e) != ERR_OK)
		return e->code;
	if (k->ks.each(k->ks.ctx, load_one, &l, e) != ERR_OK) {
		drop_keys(l.keys, l.n);
		return e->code;
	}
	if (l.oom || (l.n == 0 && k->n > 0)) {	/* keep signing with what we have */
		drop_keys(l.keys, l.n);
		return err_set(e, ERR_INTERNAL, "keys: %s reading %s", l.oom ? "out of memory" :
		    "no key left", k->ks.where);
	}
	if (l.n > 0)
		qsort(l.keys, (size_t)l.n, sizeof(l.keys[0]), by_created);
	for (i = 0; i < l.n; i++)
		l.keys[i].retired = i + 1 < l.n ? l.keys[i + 1].created : 0;
	drop_keys(k->keys, k->n);
	k->keys = l.keys;
	k->n = l.n;
	memcpy(k->stamp, stamp, sizeof(stamp));
	return ERR_OK;
}

static long long
realtime_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* Finds the prune point (arg): the newest key made at least
 * KEYS_RETAIN_SECONDS ago. */
struct prune_point {
	long long cutoff, point;
};

static void
prune_seen(void *arg, long long created, const char *pem)
{
	struct prune_point *p = arg;

	(void)pem;
	if (created <= p->cutoff && created > p->point)
		p->point = created;
}

/* Deletes from ks the keys whose successor was made more than
 * KEYS_RETAIN_SECONDS ago: every token they signed has expired. Those are
 * exactly the keys older than the newest key made that long ago. */
static enum err_code
prune(const struct key_store *ks, struct err *e)
{
	struct prune_point p = { realtime_ns() - KEYS_RETAIN_SECONDS * 1000000000LL, 0 };

	if (ks->each(ks->ctx, prune_seen, &p, e) != ERR_OK)
		return e->code;
	return p.point == 0 ? ERR_OK : ks->prune(ks->ctx, p.point, e);
}

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Re-reads the store if its stamp changed since it was last read, asking
 * at most every ks.poll_ms (unless force). Keeps the keys it has when the
 * store cannot answer. */
static void
refresh(struct keyring *k, int force)
{
	char stamp[sizeof(k->stamp)];
	struct err ignored;
	long long now = k->ks.poll_ms ? monotonic_ms() : 0;

	pthread_mutex_lock(&k->poll_lock);
	if (!force && k->ks.poll_ms && now - k->polled < k->ks.poll_ms) {
		pthread_mutex_unlock(&k->poll_lock);
		return;
	}
	k->polled = now;
	if (k->ks.stamp(k->ks.ctx, stamp, sizeof(stamp), &ignored) == ERR_OK &&
	    strcmp(stamp, k->stamp) != 0) {
		pthread_rwlock_wrlock(&k->lock);
		if (load(k, &ignored) != ERR_OK)
			k->stamp[0] = '\0';	/* read again next time */
		pthread_rwlock_unlock(&k->lock);
	}
	pthread_mutex_unlock(&k->poll_lock);
}

/* Makes a P-384 key and adds it to ks (with first set: only if ks has
 * none yet, which is then not an error). */
static enum err_code
make_key(const struct key_store *ks, int first, char *kid, struct err *e)
{
	EVP_PKEY *pkey;
	BIO *bio = NULL;
	char *pem = NULL;
	long len = 0;
	enum err_code rc;

	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")) == NULL ||
	    kid_of(pkey, kid) != 0 || (bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0) {
		BIO_free(bio);
		EVP_PKEY_free(pkey);
		return err_set(e, ERR_INTERNAL, "keys: cannot generate a P-384 key");
	}
	{
		char *text = strndup(pem, (size_t)len);
		rc = text ? ks->add(ks->ctx, realtime_ns(), kid, text, first, e) :
		    err_set(e, ERR_INTERNAL, "out of memory");
		if (text != NULL)
			OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}

struct keyring *
keys_open(const struct key_store *ks, int create, struct err *e)
{
	struct keyring *k = calloc(1, sizeof(*k));
	char kid[KEYS_KID_LEN + 1];

	if (k == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	k->ks = *ks;
	pthread_rwlock_init(&k->lock, NULL);
	pthread_mutex_init(&k->poll_lock, NULL);
	if (create && prune(ks, e) != ERR_OK)
		goto fail;
	if (load(k, e) != ERR_OK)
		goto fail;
	if (k->n == 0 && create && (make_key(ks, 1, kid, e) != ERR_OK || load(k, e) != ERR_OK))
		goto fail;
	if (k->n == 0) {
		err_set(e, ERR_INTERNAL, "keys: no signing key in %s", ks->where);
		goto fail;
	}
	k->polled = k->ks.poll_ms ? monotonic_ms() : 0;
	return k;
fail:
	keys_free(k);
	return NULL;
}

void
keys_free(struct keyring *k)
{
	if (k == NULL)
		return;
	drop_keys(k->keys, k->n);
	pthread_rwlock_destroy(&k->lock);
	pthread_mutex_destroy(&k->poll_lock);
	free(k);
}

enum err_code
keys_rotate(const struct key_store *ks, char *kid, struct err *e)
{
	if (make_key(ks, 0, kid, e) != ERR_OK)
		return e->code;
	return prune(ks, e);
}

void
keys_current(struct keyring *k, char *kid)
{
	refresh(k, 0);
	pthread_rwlock_rdlock(&k->lock);
	memcpy(kid, k->keys[k->n - 1].kid, KEYS_KID_LEN + 1);
	pthread_rwlock_unlock(&k->lock);
}

/* The key called kid, or NULL. Caller holds the lock. */
static struct key *
find(struct keyring *k, const char *kid)
{
	int i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].kid, kid) == 0)
			return &k->keys[i];
	return NULL;
}

enum err_code
keys_sign(struct keyring *k, const char *kid, const void *msg, size_t n, unsigned char *sig,
    struct err *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[128];
	const unsigned char *p = der;
	size_t derlen = sizeof(der);
	const BIGNUM *r, *s;
	ECDSA_SIG *es = NULL;
	struct key *cur;
	enum err_code rc = ERR_INTERNAL;

	pthread_rwlock_rdlock(&k->lock);
	if ((cur = find(k, kid)) == NULL) {
		err_set(e, ERR_INTERNAL, "keys: no key %s", kid);
		goto out;
	}
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, cur->pkey) != 1 ||
	    EVP_DigestSign(md, der, &derlen, msg, n) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL) {
		err_set(e, ERR_INTERNAL, "keys: signing failed");
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, COORD) != COORD || BN_bn2binpad(s, sig + COORD, COORD) != COORD) {
		err_set(e, ERR_INTERNAL, "keys: signature does not fit");
		goto out;
	}
	rc = ERR_OK;
out:
	pthread_rwlock_unlock(&k->lock);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return rc;
}

int
keys_verify(struct keyring *k, const char *kid, const void *msg, size_t n,
    const unsigned char *sig)
{
	unsigned char *der = NULL;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	struct key *key;
	int derlen, result = -1;

	refresh(k, 0);
	pthread_rwlock_rdlock(&k->lock);
	if ((key = find(k, kid)) == NULL) {	/* perhaps made a moment ago elsewhere */
		pthread_rwlock_unlock(&k->lock);
		refresh(k, 1);
		pthread_rwlock_rdlock(&k->lock);
		if ((key = find(k, kid)) == NULL)
			goto out;
	}
	result = 0;
	r = BN_bin2bn(sig, COORD, NULL);
	s = BN_bin2bn(sig + COORD, COORD, NULL);
	if (r == NULL || s == NULL || (es = ECDSA_SIG_new()) == NULL || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;		/* owned by es now */
	if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0 || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key->pkey) != 1)
		goto out;
	result = EVP_DigestVerify(md, der, (size_t)derlen, msg, n) == 1;
out:
	pthread_rwlock_unlock(&k->lock);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return result;
}

/* One JWK: the public half of key. */
static json_t *
jwk(const struct key *key)
{
	unsigned char xb[COORD], yb[COORD];
	char x[80], y[80];
	BIGNUM *bx = NULL, *by = NULL;
	json_t *out = NULL;

	if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
	    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
	    BN_bn2binpad(bx, xb, COORD) == COORD && BN_bn2binpad(by, yb, COORD) == COORD) {
		ids_b64url_encode(xb, COORD, x);
		ids_b64url_encode(yb, COORD, y);
		out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-384",
		    "x", x, "y", y, "kid", key->kid, "alg", "ES384", "use", "sig");
	}
	BN_free(bx);
	BN_free(by);
	return out;
}

char *
keys_jwks(struct keyring *k)
{
	json_t *list = json_array(), *doc;
	long long now = (long long)time(NULL) * 1000000000LL;
	char *text = NULL;
	int i;

	refresh(k, 0);
	pthread_rwlock_rdlock(&k->lock);
	for (i = k->n - 1; list != NULL && i >= 0; i--)	/* newest first */
		if (k->keys[i].retired == 0 ||
		    k->keys[i].retired + KEYS_RETAIN_SECONDS * 1000000000LL > now)
			json_array_append_new(list, jwk(&k->keys[i]));
	pthread_rwlock_unlock(&k->lock);
	if ((doc = json_pack("{s:o}", "keys", list)) != NULL)
		text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}
