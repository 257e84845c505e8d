/* The certificate and private key of --tls-cert and --tls-key: read with a
 * size bound and checked with OpenSSL before the HTTP layer hands them to
 * its TLS library, so that a bad file is refused at start by name.
 */
#ifndef RTSTAGE_CRYPTO_TLS_FILES_H
#define RTSTAGE_CRYPTO_TLS_FILES_H

#include <stddef.h>

#include "util/err.h"

struct tls_files {
	char *cert;		/* PEM text of the certificate chain, NUL-terminated */
	char *key;		/* PEM text of its private key, NUL-terminated */
	size_t key_len;
};

/* Reads cert_path and key_path (each at most LIMIT_TLS_PEM_BYTES) into t
 * and checks that the first is a PEM certificate chain, the second an
 * unencrypted PEM private key, and that the key is the one of the chain's
 * first certificate. Returns ERR_OK (the caller owns t's texts: free with
 * tls_files_clear), or ERR_VALIDATION with a message naming the option and
 * the file at fault (t is then empty). Thread-safe. */
enum err_code tls_files_load(const char *cert_path, const char *key_path, struct tls_files *t,
    struct err *e);

/* Wipes the key text, frees both texts and empties t. Accepts NULL and an
 * empty t. */
void tls_files_clear(struct tls_files *t);

#endif
