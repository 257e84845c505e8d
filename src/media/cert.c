/* The DTLS identity (P-256 key, self-signed certificate) and SDP
 * fingerprints: making, formatting and reading them. No I/O. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "limits.h"
#include "media/cert.h"

struct cert {
	EVP_PKEY *key;
	X509 *x509;
	char fingerprint[CERT_FINGERPRINT_LEN + 1];
};

static const char HASH_NAME[] = "sha-256";

void
cert_free(struct cert *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->key);
	X509_free(c->x509);
	free(c);
}

/* A random positive 63-bit serial: browsers do not look at it, but two
 * certificates of one issuer name should not share one. */
static int
set_serial(X509 *x)
{
	unsigned char raw[8];
	BIGNUM *bn = NULL;
	int ok = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	raw[0] &= 0x7f;
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	ok = 1;
out:
	BN_free(bn);
	return ok;
}

static int
self_sign(X509 *x, EVP_PKEY *key)
{
	X509_NAME *name = X509_get_subject_name(x);

	return X509_set_version(x, 2) == 1 && set_serial(x) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -24L * 3600) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_VALID_DAYS * 24 * 3600) != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)"rtstage", -1, -1, 0) == 1 &&
	    X509_set_issuer_name(x, name) == 1 &&
	    X509_set_pubkey(x, key) == 1 &&
	    X509_sign(x, key, EVP_sha256()) > 0;
}

enum err_code
cert_new(struct cert **out, struct err *e)
{
	uint8_t digest[CERT_DIGEST_LEN];
	struct cert *c = NULL;
	enum err_code rc = ERR_INTERNAL;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		err_set(e, rc, "out of memory for the DTLS certificate");
		goto out;
	}
	c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	c->x509 = X509_new();
	if (c->key == NULL || c->x509 == NULL || !self_sign(c->x509, c->key)) {
		err_set(e, rc, "cannot make the DTLS certificate");
		goto out;
	}
	if ((rc = cert_digest(c->x509, digest, e)) != ERR_OK)
		goto out;
	cert_fingerprint_format(digest, c->fingerprint);
	*out = c;
	c = NULL;
out:
	cert_free(c);
	return rc;
}

const char *
cert_fingerprint(const struct cert *c)
{
	return c->fingerprint;
}

X509 *
cert_x509(const struct cert *c)
{
	return c->x509;
}

EVP_PKEY *
cert_key(const struct cert *c)
{
	return c->key;
}

enum err_code
cert_digest(X509 *x, uint8_t out[CERT_DIGEST_LEN], struct err *e)
{
	unsigned int len = 0;

	if (X509_digest(x, EVP_sha256(), out, &len) != 1 || len != CERT_DIGEST_LEN)
		return err_set(e, ERR_INTERNAL, "cannot hash a DTLS certificate");
	return ERR_OK;
}

void
cert_fingerprint_format(const uint8_t digest[CERT_DIGEST_LEN],
    char out[CERT_FINGERPRINT_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	char *p = out;
	size_t i;

	memcpy(p, HASH_NAME, sizeof(HASH_NAME) - 1);
	p += sizeof(HASH_NAME) - 1;
	*p++ = ' ';
	for (i = 0; i < CERT_DIGEST_LEN; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hex[digest[i] >> 4];
		*p++ = hex[digest[i] & 0xf];
	}
	*p = '\0';
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

enum err_code
cert_fingerprint_parse(const char *text, uint8_t out[CERT_DIGEST_LEN], struct err *e)
{
	size_t name = sizeof(HASH_NAME) - 1, i;
	const char *p;

	if (text == NULL || strncasecmp(text, HASH_NAME, name) != 0 || text[name] != ' ')
		return err_set(e, ERR_VALIDATION, "fingerprint: only sha-256 is supported");
	if (strlen(text) != CERT_FINGERPRINT_LEN)
		return err_set(e, ERR_VALIDATION, "fingerprint: sha-256 needs 32 hex pairs");
	p = text + name + 1;
	for (i = 0; i < CERT_DIGEST_LEN; i++, p += 3) {
		int hi = hex_value(p[0]), lo = hex_value(p[1]);
		char sep = i + 1 < CERT_DIGEST_LEN ? ':' : '\0';

		if (hi < 0 || lo < 0 || p[2] != sep)
			return err_set(e, ERR_VALIDATION, "fingerprint: malformed at pair %zu", i + 1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return ERR_OK;
}
