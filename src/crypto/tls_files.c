/* --tls-cert and --tls-key: bounded reading and an OpenSSL check of the
 * pair (the TLS library's own refusal names neither file nor reason).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/tls_files.h"
#include "limits.h"

/* Reads path, as option names it, into *out (malloc'd, NUL-terminated)
 * and its length into *len. */
static enum err_code
read_pem(const char *option, const char *path, char **out, size_t *len, struct err *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum err_code rc = ERR_OK;

	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = err_set(e, ERR_VALIDATION, "%s %s: cannot read it: %s", option, path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_VALIDATION, "%s %s: not a regular file", option, path);
		goto out;
	}
	if ((buf = malloc(LIMIT_TLS_PEM_BYTES + 1)) == NULL) {
		rc = err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	while (n <= LIMIT_TLS_PEM_BYTES && got > 0) {
		got = read(fd, buf + n, LIMIT_TLS_PEM_BYTES + 1 - n);
		if (got < 0 && errno == EINTR)
			got = 1;
		else if (got > 0)
			n += (size_t)got;
	}
	if (got < 0)
		rc = err_set(e, ERR_VALIDATION, "%s %s: cannot read it: %s", option, path,
		    strerror(errno));
	else if (n > LIMIT_TLS_PEM_BYTES)
		rc = err_set(e, ERR_VALIDATION, "%s %s: larger than %d bytes, not a PEM file",
		    option, path, LIMIT_TLS_PEM_BYTES);
	else if (n == 0 || memchr(buf, '\0', n) != NULL)
		rc = err_set(e, ERR_VALIDATION, "%s %s: not PEM text", option, path);
out:
	if (fd >= 0)
		close(fd);
	if (rc != ERR_OK && buf != NULL) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		buf = NULL;
	}
	if (buf != NULL) {
		buf[n] = '\0';
		*out = buf;
		*len = n;
	}
	return rc;
}

/* A passphrase is never asked for: an encrypted key fails to load. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The first certificate of the chain pem (the caller frees it), after
 * checking that every certificate block of the chain parses. */
static X509 *
chain_leaf(const char *pem, size_t len)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *leaf = NULL, *next = NULL;
	const char *p = pem;
	int blocks = 0, i;

	while ((p = strstr(p, begin)) != NULL) {
		blocks++;
		p += sizeof(begin) - 1;
	}
	if (bio == NULL || blocks == 0 ||
	    (leaf = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL)
		goto out;
	for (i = 1; i < blocks; i++) {
		if ((next = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL) {
			X509_free(leaf);	/* a later certificate is damaged */
			leaf = NULL;
			goto out;
		}
		X509_free(next);
	}
out:
	BIO_free(bio);
	return leaf;
}

static EVP_PKEY *
private_key(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = NULL;

	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	return key;
}

enum err_code
tls_files_load(const char *cert_path, const char *key_path, struct tls_files *t, struct err *e)
{
	size_t cert_len = 0;
	X509 *leaf = NULL;
	EVP_PKEY *key = NULL;
	enum err_code rc;

	memset(t, 0, sizeof(*t));
	if ((rc = read_pem("--tls-cert", cert_path, &t->cert, &cert_len, e)) != ERR_OK ||
	    (rc = read_pem("--tls-key", key_path, &t->key, &t->key_len, e)) != ERR_OK)
		goto out;
	if ((leaf = chain_leaf(t->cert, cert_len)) == NULL) {
		rc = err_set(e, ERR_VALIDATION, "--tls-cert %s: not a PEM certificate chain "
		    "(-----BEGIN CERTIFICATE----- blocks)", cert_path);
		goto out;
	}
	if ((key = private_key(t->key, t->key_len)) == NULL) {
		rc = err_set(e, ERR_VALIDATION, "--tls-key %s: not an unencrypted PEM private key",
		    key_path);
		goto out;
	}
	if (X509_check_private_key(leaf, key) != 1)
		rc = err_set(e, ERR_VALIDATION, "--tls-key %s is not the private key of the "
		    "certificate in --tls-cert %s", key_path, cert_path);
out:
	X509_free(leaf);
	EVP_PKEY_free(key);
	if (rc != ERR_OK)
		tls_files_clear(t);
	return rc;
}

void
tls_files_clear(struct tls_files *t)
{
	if (t == NULL)
		return;
	if (t->key != NULL)
		OPENSSL_cleanse(t->key, t->key_len);
	free(t->key);
	free(t->cert);
	memset(t, 0, sizeof(*t));
}
