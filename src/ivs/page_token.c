/* Page tokens: base64url(version | seq (8 bytes, big-endian) | HMAC[0..16)). */
#include <openssl/crypto.h>
#include <string.h>

#include "crypto/ids.h"
#include "ivs/page_token.h"

#define VERSION 1
#define MAC_BYTES 16
#define RAW_BYTES (1 + 8 + MAC_BYTES)

static int
mac(const unsigned char *key, const char *scope, const unsigned char *head,
    unsigned char *out)
{
	unsigned char msg[512], full[32];
	size_t n = strlen(scope);

	if (n + 9 > sizeof(msg))
		return -1;
	memcpy(msg, head, 9);
	memcpy(msg + 9, scope, n);
	if (ids_hmac_sha256(key, PAGE_TOKEN_KEY_BYTES, msg, n + 9, full) != 0)
		return -1;
	memcpy(out, full, MAC_BYTES);
	return 0;
}

int
page_token_encode(const unsigned char *key, const char *scope, long long after, char *out)
{
	unsigned char raw[RAW_BYTES];
	unsigned long long v = (unsigned long long)after;
	int i;

	raw[0] = VERSION;
	for (i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)(v >> (56 - 8 * i));
	if (mac(key, scope, raw, raw + 9) != 0)
		return -1;
	ids_b64url_encode(raw, sizeof(raw), out);
	return 0;
}

enum err_code
page_token_decode(const unsigned char *key, const char *scope, const char *token,
    long long *after, struct err *e)
{
	unsigned char raw[RAW_BYTES + 1], want[MAC_BYTES];
	unsigned long long v = 0;
	long n;
	int i;

	n = ids_b64url_decode(token, strlen(token), raw, sizeof(raw));
	if (n != RAW_BYTES || raw[0] != VERSION || mac(key, scope, raw, want) != 0 ||
	    CRYPTO_memcmp(want, raw + 9, MAC_BYTES) != 0)
		return err_set(e, ERR_VALIDATION, "The nextToken is not valid: it was not "
		    "returned by this operation for this account and region, or was altered");
	for (i = 0; i < 8; i++)
		v = v << 8 | raw[1 + i];
	*after = (long long)v;
	return ERR_OK;
}
