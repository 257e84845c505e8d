/* libsrtp2's AES-128 counter mode and HMAC-SHA1 over OpenSSL (see
 * srtp_cm.h): the AES-CM-128/HMAC-SHA1-80 profile's two primitives, and
 * the counter mode libsrtp2's key derivation runs for every profile.
 * Counter mode: the key is the AES key then the 14-byte salt; a message's
 * first counter block is the salt (two zero bytes after it) XOR the
 * 16-byte IV libsrtp2 gives, and the key stream runs on from there until
 * the next IV (RFC 3711 4.1.1). Owns no SRTP logic. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "media/srtp_cm.h"

#define CM_BLOCK 16
#define SHA1_LEN 20		/* HMAC-SHA1's whole tag; the key is at most as long */

static EVP_CIPHER *aes_128_ctr;	/* fetched once by srtp_cm_use_openssl */
static EVP_MAC *hmac;

/* ---- AES-128 counter mode ---- */

struct cm {
	EVP_CIPHER_CTX *ctx;
	uint8_t offset[CM_BLOCK];	/* the salt, then zeros */
};

static const srtp_cipher_type_t cm_type;

static srtp_err_status_t
cm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	srtp_cipher_t *c = NULL;
	struct cm *m = NULL;

	(void)tag_len;
	*cp = NULL;
	if (key_len != SRTP_AES_ICM_128_KEY_LEN_WSALT)
		return srtp_err_status_bad_param;
	if ((c = calloc(1, sizeof(*c))) == NULL || (m = calloc(1, sizeof(*m))) == NULL ||
	    (m->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(m);
		free(c);
		return srtp_err_status_alloc_fail;
	}
	c->type = &cm_type;
	c->state = m;
	c->key_len = key_len;
	c->algorithm = SRTP_AES_ICM_128;
	*cp = c;
	return srtp_err_status_ok;
}

static srtp_err_status_t
cm_dealloc(srtp_cipher_pointer_t c)
{
	struct cm *m = c->state;

	EVP_CIPHER_CTX_free(m->ctx);	/* wipes the key schedule */
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
	free(c);
	return srtp_err_status_ok;
}

/* key: 16 bytes of AES key, then the 14-byte salt. */
static srtp_err_status_t
cm_init(void *state, const uint8_t *key)
{
	struct cm *m = state;

	memset(m->offset, 0, sizeof(m->offset));
	memcpy(m->offset, key + SRTP_AES_128_KEY_LEN, SRTP_SALT_LEN);
	if (EVP_EncryptInit_ex2(m->ctx, aes_128_ctr, key, NULL, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Starts a message's key stream at offset XOR iv (either direction). */
static srtp_err_status_t
cm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct cm *m = state;
	uint8_t counter[CM_BLOCK];
	size_t i;

	(void)dir;
	for (i = 0; i < CM_BLOCK; i++)
		counter[i] = m->offset[i] ^ iv[i];
	if (EVP_EncryptInit_ex2(m->ctx, NULL, NULL, counter, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* XORs the next len bytes of the key stream into buf. */
static srtp_err_status_t
cm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct cm *m = state;
	int out;

	if (*len == 0)
		return srtp_err_status_ok;
	if (*len > INT_MAX || EVP_EncryptUpdate(m->ctx, buf, &out, buf, (int)*len) != 1 ||
	    out != (int)*len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* RFC 3711 B.2: the key stream of key 2B7E1516..., salt F0F1F2F3..., IV 0. */
static const uint8_t cm_kat_key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t cm_kat_iv[CM_BLOCK];
static const uint8_t cm_kat_zeros[32];
static const uint8_t cm_kat_stream[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t cm_kat = {
	.key_length_octets = SRTP_AES_ICM_128_KEY_LEN_WSALT,
	.key = cm_kat_key,
	.idx = cm_kat_iv,
	.plaintext_length_octets = sizeof(cm_kat_zeros),
	.plaintext = cm_kat_zeros,
	.ciphertext_length_octets = sizeof(cm_kat_stream),
	.ciphertext = cm_kat_stream,
};

static const srtp_cipher_type_t cm_type = {
	.alloc = cm_alloc,
	.dealloc = cm_dealloc,
	.init = cm_init,
	.encrypt = cm_encrypt,
	.decrypt = cm_encrypt,
	.set_iv = cm_set_iv,
	.description = "AES-128 counter mode over OpenSSL EVP",
	.test_data = &cm_kat,
	.id = SRTP_AES_ICM_128,
};

/* ---- HMAC-SHA1 ---- */

struct mac {
	EVP_MAC_CTX *ctx;
};

static const srtp_auth_type_t mac_type;

static srtp_err_status_t
mac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	srtp_auth_t *a = NULL;
	struct mac *m = NULL;

	*ap = NULL;
	if (key_len < 0 || out_len < 0 || out_len > SHA1_LEN)	/* as libsrtp2's own */
		return srtp_err_status_bad_param;
	if ((a = calloc(1, sizeof(*a))) == NULL || (m = calloc(1, sizeof(*m))) == NULL ||
	    (m->ctx = EVP_MAC_CTX_new(hmac)) == NULL) {
		free(m);
		free(a);
		return srtp_err_status_alloc_fail;
	}
	a->type = &mac_type;
	a->state = m;
	a->out_len = out_len;
	a->key_len = key_len;
	a->prefix_len = 0;
	*ap = a;
	return srtp_err_status_ok;
}

static srtp_err_status_t
mac_dealloc(srtp_auth_pointer_t a)
{
	struct mac *m = a->state;

	EVP_MAC_CTX_free(m->ctx);	/* wipes the key */
	free(m);
	free(a);
	return srtp_err_status_ok;
}

static srtp_err_status_t
mac_init(void *state, const uint8_t *key, int key_len)
{
	struct mac *m = state;
	char sha1[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha1, 0),
		OSSL_PARAM_construct_end(),
	};

	if (EVP_MAC_init(m->ctx, key, (size_t)key_len, params) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Starts a message under the key mac_init set. */
static srtp_err_status_t
mac_start(void *state)
{
	struct mac *m = state;

	return EVP_MAC_init(m->ctx, NULL, 0, NULL) == 1 ? srtp_err_status_ok :
	    srtp_err_status_auth_fail;
}

static srtp_err_status_t
mac_update(void *state, const uint8_t *buf, int len)
{
	struct mac *m = state;

	if (len < 0 || EVP_MAC_update(m->ctx, buf, (size_t)len) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Takes the message's last len bytes, writes the first tag_len bytes of
 * its HMAC at tag. */
static srtp_err_status_t
mac_compute(void *state, const uint8_t *buf, int len, int tag_len, uint8_t *tag)
{
	struct mac *m = state;
	uint8_t full[SHA1_LEN];
	size_t out = 0;

	if (tag_len < 0 || tag_len > SHA1_LEN || mac_update(state, buf, len) != srtp_err_status_ok ||
	    EVP_MAC_final(m->ctx, full, &out, sizeof(full)) != 1 || out != SHA1_LEN)
		return srtp_err_status_auth_fail;
	memcpy(tag, full, (size_t)tag_len);
	OPENSSL_cleanse(full, sizeof(full));
	return srtp_err_status_ok;
}

/* RFC 2202 test case 1: key 0x0b x 20, "Hi There". */
static const uint8_t mac_kat_key[SHA1_LEN] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t mac_kat_data[] = { 'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e' };
static const uint8_t mac_kat_tag[SHA1_LEN] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const srtp_auth_test_case_t mac_kat = {
	.key_length_octets = sizeof(mac_kat_key),
	.key = mac_kat_key,
	.data_length_octets = sizeof(mac_kat_data),
	.data = mac_kat_data,
	.tag_length_octets = sizeof(mac_kat_tag),
	.tag = mac_kat_tag,
};

static const srtp_auth_type_t mac_type = {
	.alloc = mac_alloc,
	.dealloc = mac_dealloc,
	.init = mac_init,
	.compute = mac_compute,
	.update = mac_update,
	.start = mac_start,
	.description = "HMAC-SHA1 over OpenSSL EVP_MAC",
	.test_data = &mac_kat,
	.id = SRTP_HMAC_SHA1,
};

/* Does mac_start really start again under the same key? libsrtp2's test
 * computes one tag per fresh context, and OpenSSL before 3.0.3 answered a
 * re-initialisation without a key with success and did nothing: every
 * packet's tag after the first would be wrong. Computes the known answer
 * twice on one context. */
static int
restart_works(void)
{
	srtp_auth_t *a = NULL;
	uint8_t tag[SHA1_LEN];
	int round, ok = 0;

	if (mac_alloc(&a, SHA1_LEN, SHA1_LEN) != srtp_err_status_ok)
		return 0;
	if (mac_init(a->state, mac_kat_key, SHA1_LEN) != srtp_err_status_ok)
		goto out;
	for (round = 0; round < 2; round++)
		if (mac_start(a->state) != srtp_err_status_ok ||
		    mac_compute(a->state, mac_kat_data, (int)sizeof(mac_kat_data), SHA1_LEN, tag) !=
		    srtp_err_status_ok || memcmp(tag, mac_kat_tag, SHA1_LEN) != 0)
			goto out;
	ok = 1;
out:
	mac_dealloc(a);
	return ok;
}

srtp_err_status_t
srtp_cm_use_openssl(void)
{
	srtp_err_status_t st;

	if (aes_128_ctr == NULL && (aes_128_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL)) == NULL)
		return srtp_err_status_init_fail;
	if (hmac == NULL && (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return srtp_err_status_init_fail;
	if ((st = srtp_replace_cipher_type(&cm_type, SRTP_AES_ICM_128)) != srtp_err_status_ok)
		return st;
	if (!restart_works())
		return srtp_err_status_ok;	/* libsrtp2's own HMAC stays */
	return srtp_replace_auth_type(&mac_type, SRTP_HMAC_SHA1);
}
