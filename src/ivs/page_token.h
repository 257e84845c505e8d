/* Opaque, tamper-evident pagination tokens.
 *
 * A token names the position after which the next page starts (the last
 * seq returned) and is bound by an HMAC to the list it came from (scope:
 * operation, account, region), so it survives restarts and other nodes,
 * and a forged or altered one is refused.
 */
#ifndef RTSTAGE_IVS_PAGE_TOKEN_H
#define RTSTAGE_IVS_PAGE_TOKEN_H

#include <stddef.h>

#include "util/err.h"

#define PAGE_TOKEN_KEY_BYTES 32
#define PAGE_TOKEN_MAX 64	/* text length bound, NUL included */

/* Writes the token for (scope, after) under key into out
 * (PAGE_TOKEN_MAX bytes). Returns 0, or -1 on a crypto failure. */
int page_token_encode(const unsigned char *key, const char *scope, long long after,
    char *out);

/* Reads token back into *after. Returns ERR_OK, or ERR_VALIDATION if it is
 * not a token this server made for scope. */
enum err_code page_token_decode(const unsigned char *key, const char *scope,
    const char *token, long long *after, struct err *e);

#endif
