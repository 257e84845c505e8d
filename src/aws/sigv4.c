/* SigV4 Authorization header parsing. */
#include <ctype.h>
#include <string.h>

#include "aws/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* Copies the n bytes at p into out (cap bytes with the NUL); 0 if they fit. */
static int
copy(char *out, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Splits the credential AKID/DATE/REGION/SERVICE/aws4_request. */
static enum err_code
parse_credential(const char *p, size_t n, struct sigv4_auth *a, struct err *e)
{
	const char *part[5];
	size_t len[5];
	size_t i, k = 0, start = 0;

	for (i = 0; i <= n && k < 5; i++) {
		if (i == n || p[i] == '/') {
			part[k] = p + start;
			len[k++] = i - start;
			start = i + 1;
		}
	}
	if (k != 5 || start <= n || len[4] != 12 || memcmp(part[4], "aws4_request", 12) != 0)
		return err_set(e, ERR_INCOMPLETE_SIG, "Credential should be scoped to a valid "
		    "region, like 'us-east-1': it must read ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request");
	if (len[0] == 0 || copy(a->access_key, sizeof(a->access_key), part[0], len[0]))
		return err_set(e, ERR_INCOMPLETE_SIG, "Credential has an empty or overlong access key");
	for (i = 0; i < len[1]; i++)
		if (!isdigit((unsigned char)part[1][i]))
			break;
	if (len[1] != 8 || i != 8)
		return err_set(e, ERR_INCOMPLETE_SIG, "Credential date must be YYYYMMDD");
	copy(a->date, sizeof(a->date), part[1], len[1]);
	for (i = 0; i < len[2]; i++)
		if (!islower((unsigned char)part[2][i]) && !isdigit((unsigned char)part[2][i]) &&
		    part[2][i] != '-')
			break;
	if (len[2] == 0 || i != len[2] || copy(a->region, sizeof(a->region), part[2], len[2]))
		return err_set(e, ERR_INCOMPLETE_SIG, "Credential should be scoped to a valid "
		    "region, like 'us-east-1'");
	if (len[3] == 0 || copy(a->service, sizeof(a->service), part[3], len[3]))
		return err_set(e, ERR_INCOMPLETE_SIG, "Credential should be scoped to a service");
	return ERR_OK;
}

enum err_code
sigv4_parse(const char *h, struct sigv4_auth *a, struct err *e)
{
	static const char *const names[] = { "Credential", "SignedHeaders", "Signature" };
	const char *p, *end, *eq;
	int seen[3] = { 0, 0, 0 };
	enum err_code rc;
	size_t n, i;

	memset(a, 0, sizeof(*a));
	if (h == NULL || *h == '\0')
		return err_set(e, ERR_MISSING_AUTH, "Missing Authentication Token");
	n = strlen(ALGORITHM);
	if (strncmp(h, ALGORITHM, n) != 0 || (h[n] != ' ' && h[n] != '\0'))
		return err_set(e, ERR_INCOMPLETE_SIG, "Authorization header must start with "
		    "'" ALGORITHM "' (the only supported algorithm)");
	for (p = h + n; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			return err_set(e, ERR_INCOMPLETE_SIG, "Authorization header has a "
			    "parameter without '=': '%.*s'", (int)(end - p), p);
		n = (size_t)(end - eq - 1);
		while (n > 0 && eq[n] == ' ')
			n--;
		for (i = 0; i < 3; i++)
			if ((size_t)(eq - p) == strlen(names[i]) && memcmp(p, names[i], strlen(names[i])) == 0)
				break;
		if (i == 0 && (rc = parse_credential(eq + 1, n, a, e)) != ERR_OK)
			return rc;
		if (i == 1 && (n == 0 || copy(a->signed_headers, sizeof(a->signed_headers), eq + 1, n)))
			return err_set(e, ERR_INCOMPLETE_SIG, "SignedHeaders is empty or too long");
		if (i == 2 && (n != 64 || copy(a->signature, sizeof(a->signature), eq + 1, n)))
			return err_set(e, ERR_INCOMPLETE_SIG, "Signature must be 64 hex characters");
		if (i < 3)
			seen[i] = 1;
	}
	for (i = 0; i < 3; i++)
		if (!seen[i])
			return err_set(e, ERR_INCOMPLETE_SIG, "Authorization header requires "
			    "'%s' parameter. Authorization=%.200s", names[i], h);
	return ERR_OK;
}
