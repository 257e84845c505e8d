/* libsrtp2's AES-128-GCM cipher type over OpenSSL EVP (see srtp_gcm.h):
 * one EVP_CIPHER_CTX per libsrtp2 cipher, keyed once per session key,
 * given a fresh IV per packet. libsrtp2 drives it as it drives its own:
 * set_iv, set_aad (once or more), encrypt then get_tag, or decrypt of
 * the ciphertext with the tag at its end. Owns no SRTP logic. */
#include <limits.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <srtp2/cipher.h>

#include "media/srtp_gcm.h"

#define GCM_IV_LEN 12		/* RFC 7714 8.1: the IV is 96 bits */
#define GCM_TAG_FULL 16		/* the tag lengths libsrtp2's policies ask for */
#define GCM_TAG_SHORT 8

struct gcm {
	EVP_CIPHER_CTX *ctx;
	int tag_len;
};

static EVP_CIPHER *aes_128_gcm;	/* fetched once by srtp_gcm_use_openssl */
static const srtp_cipher_type_t gcm_type;

static srtp_err_status_t
gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	srtp_cipher_t *c = NULL;
	struct gcm *g = NULL;

	*cp = NULL;
	if (key_len != SRTP_AES_GCM_128_KEY_LEN_WSALT ||
	    (tag_len != GCM_TAG_FULL && tag_len != GCM_TAG_SHORT))
		return srtp_err_status_bad_param;
	if ((c = calloc(1, sizeof(*c))) == NULL || (g = calloc(1, sizeof(*g))) == NULL ||
	    (g->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(g);
		free(c);
		return srtp_err_status_alloc_fail;
	}
	g->tag_len = tag_len;
	c->type = &gcm_type;
	c->state = g;
	c->key_len = key_len;
	c->algorithm = SRTP_AES_GCM_128;
	*cp = c;
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_dealloc(srtp_cipher_pointer_t c)
{
	struct gcm *g = c->state;

	EVP_CIPHER_CTX_free(g->ctx);	/* wipes the key schedule */
	free(g);
	free(c);
	return srtp_err_status_ok;
}

/* key: the 16-byte session key (libsrtp2 keeps the salt for the IVs). */
static srtp_err_status_t
gcm_init(void *state, const uint8_t *key)
{
	struct gcm *g = state;

	if (EVP_CipherInit_ex2(g->ctx, aes_128_gcm, key, NULL, -1, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Starts a message: the IV, and whether it is sealed or opened. */
static srtp_err_status_t
gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm *g = state;

	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	if (EVP_CipherInit_ex2(g->ctx, NULL, NULL, iv, dir == srtp_direction_encrypt, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_set_aad(void *state, const uint8_t *aad, uint32_t len)
{
	struct gcm *g = state;
	int out;

	if (len > INT_MAX || EVP_CipherUpdate(g->ctx, NULL, &out, aad, (int)len) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* Encrypts or decrypts len bytes in place (none: libsrtp2 passes an
 * SRTCP packet sent unencrypted, all of it authenticated as AAD). */
static srtp_err_status_t
gcm_update(struct gcm *g, uint8_t *buf, unsigned int len)
{
	int out;

	if (len == 0)
		return srtp_err_status_ok;
	if (len > INT_MAX || EVP_CipherUpdate(g->ctx, buf, &out, buf, (int)len) != 1 ||
	    out != (int)len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	return gcm_update(state, buf, *len);
}

/* After gcm_encrypt: writes the message's tag at tag, its length in *len. */
static srtp_err_status_t
gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct gcm *g = state;
	uint8_t none[GCM_TAG_FULL];
	int out;

	if (EVP_CipherFinal_ex(g->ctx, none, &out) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_GET_TAG, g->tag_len, tag) != 1)
		return srtp_err_status_cipher_fail;
	*len = (uint32_t)g->tag_len;
	return srtp_err_status_ok;
}

/* buf: *len bytes, the ciphertext then the tag. Decrypts in place and
 * leaves the plaintext length in *len, or fails authentication. */
static srtp_err_status_t
gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *g = state;
	unsigned int body;
	uint8_t none[GCM_TAG_FULL];
	srtp_err_status_t st;
	int out;

	if (*len < (unsigned int)g->tag_len)
		return srtp_err_status_bad_param;
	body = *len - (unsigned int)g->tag_len;
	if (EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_SET_TAG, g->tag_len, buf + body) != 1)
		return srtp_err_status_cipher_fail;
	if ((st = gcm_update(g, buf, body)) != srtp_err_status_ok)
		return st;
	if (EVP_CipherFinal_ex(g->ctx, none, &out) != 1)
		return srtp_err_status_auth_fail;
	*len = body;
	return srtp_err_status_ok;
}

/* A known answer libsrtp2 checks before taking the type, then its own
 * type's (the same published case among them): test case 4 of the GCM
 * specification (McGrew and
 * Viega, "The Galois/Counter Mode of Operation"), a 60-byte message
 * with 20 bytes of AAD. The key is followed by the 12 salt bytes
 * libsrtp2's key length counts, which the cipher does not read. */
static const uint8_t kat_key[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static uint8_t kat_iv[GCM_IV_LEN] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t kat_aad[] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
	0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t kat_plain[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
	0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
	0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
	0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t kat_sealed[60 + GCM_TAG_FULL] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
	0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
	0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
	0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
static const srtp_cipher_test_case_t kat = {
	.key_length_octets = SRTP_AES_GCM_128_KEY_LEN_WSALT,
	.key = kat_key,
	.idx = kat_iv,
	.plaintext_length_octets = sizeof(kat_plain),
	.plaintext = kat_plain,
	.ciphertext_length_octets = sizeof(kat_sealed),
	.ciphertext = kat_sealed,
	.aad_length_octets = sizeof(kat_aad),
	.aad = kat_aad,
	.tag_length_octets = GCM_TAG_FULL,
	.next_test_case = NULL,
};

static const srtp_cipher_type_t gcm_type = {
	.alloc = gcm_alloc,
	.dealloc = gcm_dealloc,
	.init = gcm_init,
	.set_aad = gcm_set_aad,
	.encrypt = gcm_encrypt,
	.decrypt = gcm_decrypt,
	.set_iv = gcm_set_iv,
	.get_tag = gcm_get_tag,
	.description = "AES-128-GCM over OpenSSL EVP",
	.test_data = &kat,
	.id = SRTP_AES_GCM_128,
};

srtp_err_status_t
srtp_gcm_use_openssl(void)
{
	if (aes_128_gcm == NULL && (aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL)) == NULL)
		return srtp_err_status_init_fail;
	return srtp_replace_cipher_type(&gcm_type, SRTP_AES_GCM_128);
}
