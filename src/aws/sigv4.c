/* SigV4: Authorization header parsing and the signing steps. */
#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/sigv4.h"
#include "crypto/ids.h"
#include "util/pct.h"

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

static int
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends the n bytes at p, percent-encoding all but unreserved characters
 * (and '/' when keep_slash). */
static void
encode(struct buf *out, const char *p, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = { '%', 0, 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			buf_append(out, p + i, 1);
		} else {
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			buf_append(out, esc, 3);
		}
	}
}

void
sigv4_canonical_uri(const char *raw_path, struct buf *out)
{
	if (*raw_path == '\0')
		buf_puts(out, "/");
	else
		encode(out, raw_path, strlen(raw_path), 1);
}

struct param {
	char *name, *value;	/* canonical (encoded) forms */
};

static int
by_name_value(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

/* Decodes then canonically encodes n raw bytes into a new string. */
static char *
recode(const char *p, size_t n)
{
	char *dec = malloc(n + 1);
	struct buf b;
	long len;

	if (dec == NULL || (len = pct_decode(p, n, dec, n + 1)) < 0) {
		free(dec);
		return NULL;
	}
	buf_init(&b, 0);
	encode(&b, dec, (size_t)len, 0);
	free(dec);
	return b.data ? buf_take(&b) : strdup("");
}

int
sigv4_canonical_query(const char *q, struct buf *out)
{
	struct param *ps = NULL;
	const char *amp, *eq;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	while (*q != '\0') {
		amp = strchr(q, '&');
		if (amp == NULL)
			amp = q + strlen(q);
		if (amp > q) {
			if (n == cap) {
				struct param *grown = realloc(ps, (cap = cap ? cap * 2 : 8) * sizeof(*ps));
				if (grown == NULL) {
					rc = -1;
					break;
				}
				ps = grown;
			}
			eq = memchr(q, '=', (size_t)(amp - q));
			ps[n].name = recode(q, (size_t)((eq ? eq : amp) - q));
			ps[n].value = eq ? recode(eq + 1, (size_t)(amp - eq - 1)) : strdup("");
			if (ps[n].name == NULL || ps[n].value == NULL) {
				free(ps[n].name);
				free(ps[n].value);
				rc = -1;
				break;
			}
			n++;
		}
		q = *amp ? amp + 1 : amp;
	}
	if (rc == 0 && n > 0) {
		qsort(ps, n, sizeof(*ps), by_name_value);
		for (i = 0; i < n; i++)
			buf_printf(out, "%s%s=%s", i ? "&" : "", ps[i].name, ps[i].value);
	}
	for (i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
	return rc;
}

/* Appends value trimmed, with runs of spaces folded to one. */
static void
append_trimmed(struct buf *out, const char *v)
{
	const char *end, *run;

	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	while (v < end) {
		run = v;		/* a run of plain characters, each followed by no blank */
		while (v < end && *v != '\t' && !(*v == ' ' && (v[1] == ' ' || v[1] == '\t')))
			v++;
		buf_append(out, run, (size_t)(v - run));
		if (v < end && (*v == ' ' || *v == '\t') && (v[1] == ' ' || v[1] == '\t'))
			v++;		/* a blank before another: dropped */
		else if (v < end) {
			buf_append(out, " ", 1);	/* a lone tab, read as a space */
			v++;
		}
	}
}

int
sigv4_signs_header(const char *signed_headers, const char *name)
{
	const char *p = signed_headers, *semi;
	size_t n, want = strlen(name);

	for (;;) {
		semi = strchr(p, ';');
		n = semi ? (size_t)(semi - p) : strlen(p);
		if (n == want && strncasecmp(p, name, n) == 0)
			return 1;
		if (semi == NULL)
			return 0;
		p = semi + 1;
	}
}

int
sigv4_canonical_request(const struct sigv4_request *req, const char *signed_headers,
    struct buf *out)
{
	const char *p = signed_headers, *semi;
	char name[128];
	size_t i, n;
	int first;

	buf_puts(out, req->method);
	buf_puts(out, "\n");
	sigv4_canonical_uri(req->path, out);
	buf_puts(out, "\n");
	if (sigv4_canonical_query(req->query, out) != 0)
		return -1;
	buf_puts(out, "\n");
	while (*p != '\0') {
		semi = strchr(p, ';');
		n = semi ? (size_t)(semi - p) : strlen(p);
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			buf_append(out, name, n);
			buf_append(out, ":", 1);
			first = 1;
			for (i = 0; i < req->n_headers; i++) {
				if (strcasecmp(req->headers[i].name, name) != 0)
					continue;
				if (!first)
					buf_puts(out, ",");
				append_trimmed(out, req->headers[i].value);
				first = 0;
			}
			buf_puts(out, "\n");
		}
		p = semi ? semi + 1 : p + n;
	}
	buf_puts(out, "\n");
	buf_puts(out, signed_headers);
	buf_puts(out, "\n");
	buf_puts(out, req->payload_hash);
	return 0;
}

void
sigv4_sha256_hex(const void *p, size_t n, char *hex)
{
	unsigned char d[32];

	ids_sha256(p, n, d);
	ids_hex(d, sizeof(d), hex);
}

void
sigv4_string_to_sign(const char *amz_date, const struct sigv4_auth *a, const char *creq,
    size_t creq_len, struct buf *out)
{
	char hex[65];

	const char *const parts[] = { ALGORITHM "\n", amz_date, "\n", a->date, "/", a->region,
		"/", a->service, "/aws4_request\n", hex };
	size_t i;

	sigv4_sha256_hex(creq, creq_len, hex);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)	/* buf_printf costs more */
		buf_puts(out, parts[i]);
}

void
sigv4_signing_key(const char *secret, const char *date, const char *region,
    const char *service, unsigned char *key)
{
	unsigned char k1[32], k2[32], k3[32];
	char seed[256];
	size_t n = (size_t)snprintf(seed, sizeof(seed), "AWS4%s", secret);

	ids_hmac_sha256((const unsigned char *)seed, n < sizeof(seed) ? n : sizeof(seed) - 1,
	    date, strlen(date), k1);
	ids_hmac_sha256(k1, 32, region, strlen(region), k2);
	ids_hmac_sha256(k2, 32, service, strlen(service), k3);
	ids_hmac_sha256(k3, 32, "aws4_request", 12, key);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
}

void
sigv4_signature(const unsigned char *key, const char *sts, size_t sts_len, char *hex)
{
	unsigned char mac[32];

	ids_hmac_sha256(key, 32, sts, sts_len, mac);
	ids_hex(mac, sizeof(mac), hex);
}

int
sigv4_signature_with(struct ids_hmac *mac, const char *sts, size_t sts_len, char *hex)
{
	unsigned char m[32];

	if (ids_hmac_run(mac, sts, sts_len, m) != 0)
		return -1;
	ids_hex(m, sizeof(m), hex);
	return 0;
}
