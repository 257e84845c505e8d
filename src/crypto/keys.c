/* P-384 keys on disk, ES384 signatures, the JWK Set. OpenSSL 3 only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/ids.h"
#include "crypto/keys.h"

#define MAX_KEYS 64
#define COORD 48		/* bytes of a P-384 coordinate */

struct key {
	long long created;	/* nanoseconds since the epoch (file names order keys) */
	long long retired;	/* when its successor was made, ns; 0: current */
	char kid[KEYS_KID_LEN + 1];
	EVP_PKEY *pkey;
};

struct keyring {
	char dir[4096];
	pthread_rwlock_t lock;
	struct timespec seen;	/* directory mtime when last read */
	int n;			/* keys, oldest first */
	struct key keys[MAX_KEYS];
};

static void
drop_keys(struct keyring *k)
{
	int i;

	for (i = 0; i < k->n; i++)
		EVP_PKEY_free(k->keys[i].pkey);
	k->n = 0;
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

/* (Re)reads every CREATED-KID.pem of the directory. Caller holds the write lock. */
static enum err_code
load(struct keyring *k, struct err *e)
{
	char path[4200];
	struct dirent *d;
	struct stat st;
	long long created;
	FILE *f;
	DIR *dir;
	int i;

	if (stat(k->dir, &st) != 0)
		return err_set(e, ERR_INTERNAL, "keys: cannot read %s: %s", k->dir, strerror(errno));
	if ((dir = opendir(k->dir)) == NULL)
		return err_set(e, ERR_INTERNAL, "keys: cannot open %s: %s", k->dir, strerror(errno));
	drop_keys(k);
	while ((d = readdir(dir)) != NULL && k->n < MAX_KEYS) {
		char kid[KEYS_KID_LEN + 1];
		size_t len = strlen(d->d_name);
		if (len < 5 || strcmp(d->d_name + len - 4, ".pem") != 0 ||
		    sscanf(d->d_name, "%lld-", &created) != 1)
			continue;
		if (strlen(k->dir) + 1 + len >= sizeof(path))
			continue;	/* cannot be named: not one of ours */
		memcpy(path, k->dir, strlen(k->dir));
		path[strlen(k->dir)] = '/';
		memcpy(path + strlen(k->dir) + 1, d->d_name, len + 1);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		k->keys[k->n].pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (k->keys[k->n].pkey == NULL || kid_of(k->keys[k->n].pkey, kid) != 0) {
			EVP_PKEY_free(k->keys[k->n].pkey);
			continue;
		}
		k->keys[k->n].created = created;
		memcpy(k->keys[k->n].kid, kid, sizeof(kid));
		k->n++;
	}
	closedir(dir);
	qsort(k->keys, (size_t)k->n, sizeof(k->keys[0]), by_created);
	for (i = 0; i < k->n; i++)
		k->keys[i].retired = i + 1 < k->n ? k->keys[i + 1].created : 0;
	k->seen = st.st_mtim;
	return ERR_OK;
}

/* Re-reads the directory if it changed since it was last read. */
static void
refresh(struct keyring *k)
{
	struct stat st;
	struct err ignored;

	if (stat(k->dir, &st) != 0 || (st.st_mtim.tv_sec == k->seen.tv_sec &&
	    st.st_mtim.tv_nsec == k->seen.tv_nsec))
		return;
	pthread_rwlock_wrlock(&k->lock);
	if (st.st_mtim.tv_sec != k->seen.tv_sec || st.st_mtim.tv_nsec != k->seen.tv_nsec)
		(void)load(k, &ignored);
	pthread_rwlock_unlock(&k->lock);
}

static enum err_code
make_key(const char *dir, char *kid, struct err *e)
{
	char path[4200], tmp[4300];
	struct timespec now;
	EVP_PKEY *pkey;
	FILE *f;
	int fd, ok;

	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")) == NULL ||
	    kid_of(pkey, kid) != 0) {
		EVP_PKEY_free(pkey);
		return err_set(e, ERR_INTERNAL, "keys: cannot generate a P-384 key");
	}
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(path, sizeof(path), "%s/%lld%09ld-%s.pem", dir, (long long)now.tv_sec, now.tv_nsec, kid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		EVP_PKEY_free(pkey);
		return err_set(e, ERR_INTERNAL, "keys: cannot write %s: %s", tmp, strerror(errno));
	}
	ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	ok = fclose(f) == 0 && ok;
	EVP_PKEY_free(pkey);
	if (!ok || rename(tmp, path) != 0) {	/* a key appears whole or not at all */
		unlink(tmp);
		return err_set(e, ERR_INTERNAL, "keys: cannot write %s: %s", path, strerror(errno));
	}
	return ERR_OK;
}

static enum err_code
key_dir(const char *data_dir, char *out, size_t cap, struct err *e)
{
	if ((size_t)snprintf(out, cap, "%s/keys", data_dir) >= cap)
		return err_set(e, ERR_INTERNAL, "keys: data directory path too long");
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return err_set(e, ERR_INTERNAL, "keys: cannot create %s: %s", out, strerror(errno));
	return ERR_OK;
}

struct keyring *
keys_open(const char *data_dir, int create, struct err *e)
{
	struct keyring *k = calloc(1, sizeof(*k));
	char kid[KEYS_KID_LEN + 1];

	if (k == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	pthread_rwlock_init(&k->lock, NULL);
	if ((create ? key_dir(data_dir, k->dir, sizeof(k->dir), e) :
	    ((size_t)snprintf(k->dir, sizeof(k->dir), "%s/keys", data_dir) >= sizeof(k->dir) ?
	    err_set(e, ERR_INTERNAL, "path too long") : ERR_OK)) != ERR_OK ||
	    load(k, e) != ERR_OK)
		goto fail;
	if (k->n == 0 && create && (make_key(k->dir, kid, e) != ERR_OK || load(k, e) != ERR_OK))
		goto fail;
	if (k->n == 0) {
		err_set(e, ERR_INTERNAL, "keys: no signing key in %s", k->dir);
		goto fail;
	}
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
	drop_keys(k);
	pthread_rwlock_destroy(&k->lock);
	free(k);
}

enum err_code
keys_rotate(const char *data_dir, char *kid, struct err *e)
{
	char dir[4096];

	if (key_dir(data_dir, dir, sizeof(dir), e) != ERR_OK)
		return e->code;
	return make_key(dir, kid, e);
}

void
keys_current(struct keyring *k, char *kid)
{
	refresh(k);
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

	refresh(k);
	pthread_rwlock_rdlock(&k->lock);
	if ((key = find(k, kid)) == NULL)
		goto out;
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

	refresh(k);
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
