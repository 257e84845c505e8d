/* CSPRNG identifiers, hex and base64url, HMAC. Wraps OpenSSL only. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ids.h"
#include "limits.h"
#include "util/pct.h"

static const char alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
ids_alnum(char *out, size_t n)
{
	unsigned char r[64];
	size_t got = 0, i;

	while (got < n) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return -1;
		for (i = 0; i < sizeof(r) && got < n; i++)
			if (r[i] < 248)		/* 248 = 4 * 62: reject to stay uniform */
				out[got++] = alnum[r[i] % 62];
	}
	out[n] = '\0';
	return 0;
}

int
ids_random(unsigned char *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

int
ids_unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = pct_hex_value(hex[2 * i])) < 0 || (lo = pct_hex_value(hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void
ids_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* This thread's random bytes for request ids, drawn LIMIT_REQUEST_ID_POOL
 * at a time; the ones at pool_next and beyond are unused. */
static _Thread_local unsigned char pool[LIMIT_REQUEST_ID_POOL];
static _Thread_local size_t pool_next = LIMIT_REQUEST_ID_POOL;

int
ids_request_id(char *out)
{
	unsigned char r[16];
	char h[33];

	if (pool_next + sizeof(r) > sizeof(pool)) {
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			return -1;
		pool_next = 0;
	}
	memcpy(r, pool + pool_next, sizeof(r));
	pool_next += sizeof(r);
	r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
	ids_hex(r, sizeof(r), h);
	memcpy(out, h, 8);
	out[8] = '-';
	memcpy(out + 9, h + 8, 4);
	out[13] = '-';
	memcpy(out + 14, h + 12, 4);
	out[18] = '-';
	memcpy(out + 19, h + 16, 4);
	out[23] = '-';
	memcpy(out + 24, h + 20, 12);
	out[36] = '\0';
	return 0;
}

size_t
ids_b64url_encode(const unsigned char *p, size_t n, char *out)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)p[i] << 16;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static int
b64val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;

	return p ? (int)(p - b64url) : -1;
}

long
ids_b64url_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
	size_t i, o = 0;
	unsigned v = 0;
	int bits = 0, d;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = b64val(s[i])) < 0)
			return -1;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	if (bits > 0 && (v & ((1u << bits) - 1)) != 0)
		return -1;		/* leftover bits must be zero: one text per value */
	return (long)o;
}

/* OpenSSL 3's one-shot HMAC() and SHA256() look their algorithm up by
 * name on every call, under provider locks. These keep the algorithms
 * fetched once and a context per thread, freed when the thread ends. */
struct thread_ctx {
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;
static EVP_MD *sha256;
static EVP_MAC *hmac;

static void
free_ctx(void *p)
{
	struct thread_ctx *t = p;

	EVP_MD_CTX_free(t->md);
	EVP_MAC_CTX_free(t->mac);
	free(t);
}

static void
fetch(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	pthread_key_create(&ctx_key, free_ctx);
}

static struct thread_ctx *
thread_ctx(void)
{
	OSSL_PARAM params[2];
	struct thread_ctx *t;

	pthread_once(&once, fetch);
	if ((t = pthread_getspecific(ctx_key)) != NULL)
		return t;
	if (sha256 == NULL || hmac == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->md = EVP_MD_CTX_new();
	t->mac = EVP_MAC_CTX_new(hmac);
	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (t->md == NULL || t->mac == NULL || EVP_MAC_CTX_set_params(t->mac, params) != 1) {
		free_ctx(t);
		return NULL;
	}
	pthread_setspecific(ctx_key, t);
	return t;
}

int
ids_hmac_sha256(const unsigned char *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char *mac)
{
	struct thread_ctx *t = thread_ctx();
	size_t n = 0;

	if (t == NULL || EVP_MAC_init(t->mac, key, keylen, NULL) != 1 ||
	    EVP_MAC_update(t->mac, msg, msglen) != 1 || EVP_MAC_final(t->mac, mac, &n, 32) != 1)
		return -1;
	return n == 32 ? 0 : -1;
}

int
ids_sha256(const void *p, size_t n, unsigned char *digest)
{
	struct thread_ctx *t = thread_ctx();

	if (t == NULL || EVP_DigestInit_ex2(t->md, sha256, NULL) != 1 ||
	    EVP_DigestUpdate(t->md, p, n) != 1 || EVP_DigestFinal_ex(t->md, digest, NULL) != 1)
		return -1;
	return 0;
}

struct ids_hmac {
	EVP_MAC_CTX *ctx;
};

struct ids_hmac *
ids_hmac_new(const unsigned char *key, size_t keylen)
{
	struct ids_hmac *h;
	OSSL_PARAM params[2];

	pthread_once(&once, fetch);
	if (hmac == NULL || (h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((h->ctx = EVP_MAC_CTX_new(hmac)) == NULL ||
	    EVP_MAC_init(h->ctx, key, keylen, params) != 1) {
		ids_hmac_free(h);
		return NULL;
	}
	return h;
}

int
ids_hmac_run(struct ids_hmac *h, const void *msg, size_t msglen, unsigned char *mac)
{
	size_t n = 0;

	/* a NULL key restarts from the states the key left */
	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(h->ctx, msg, msglen) != 1 ||
	    EVP_MAC_final(h->ctx, mac, &n, 32) != 1)
		return -1;
	return n == 32 ? 0 : -1;
}

void
ids_hmac_free(struct ids_hmac *h)
{
	if (h == NULL)
		return;
	EVP_MAC_CTX_free(h->ctx);
	free(h);
}
