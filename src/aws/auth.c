/* Credentials table (loaded, reloaded on SIGHUP), SigV4 verification and
 * the actions check.
 *
 * The table in force is reference-counted: a request takes a reference
 * for its whole authentication, a reload swaps the pointer, and the old
 * table is freed when its last request lets go. Secrets are wiped when a
 * table is freed.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/auth.h"
#include "core/log.h"
#include "aws/sigv4.h"
#include "crypto/ids.h"
#include "limits.h"
#include "util/timefmt.h"


struct credential {
	int line;			/* where its profile starts */
	char profile[64];
	char access_key[129];
	char secret[129];
	char account[16];
	char session_token[2048];
	char actions[1024];		/* patterns separated by spaces */
};

struct table {
	atomic_int refs;
	unsigned long generation;	/* distinct for every table ever loaded */
	size_t n;
	struct credential *v;
};


/* A derived signing key of this thread, with an HMAC keyed with it (NULL
 * if OpenSSL could not make one: the key is then used as it is). */
struct cached_key {
	unsigned long generation;	/* 0: empty */
	size_t credential;
	char date[9], region[64], service[64];
	unsigned char key[32];
	struct ids_hmac *mac;
};

static _Thread_local struct cached_key key_cache[KEY_CACHE];
static _Thread_local unsigned key_cache_next;
static atomic_ulong generations;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_owner;	/* set in a thread once its cache holds a MAC */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct table *current;

static void
release(struct table *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	OPENSSL_cleanse(t->v, t->n * sizeof(*t->v));
	free(t->v);
	free(t);
}

static struct table *
acquire(void)
{
	struct table *t;

	pthread_mutex_lock(&lock);
	if ((t = current) != NULL)
		atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&lock);
	return t;
}

void
auth_fini(void)
{
	pthread_mutex_lock(&lock);
	release(current);
	current = NULL;
	pthread_mutex_unlock(&lock);
}

/* ---- the credentials file ------------------------------------------------ */

/* Trims s in place and cuts an inline comment (" ; ..." or " # ..."). */
static char *
clean(char *s)
{
	char *p, *end;

	while (isspace((unsigned char)*s))
		s++;
	for (p = s; *p; p++)
		if ((*p == ';' || *p == '#') && (p == s || isspace((unsigned char)p[-1])))
			break;
	*p = '\0';
	end = p;
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static const struct {
	const char *key;
	size_t offset, size;
} fields[] = {
#define F(k, m) { k, offsetof(struct credential, m), sizeof(((struct credential *)0)->m) }
	F("aws_access_key_id", access_key),
	F("aws_secret_access_key", secret),
	F("account_id", account),
	F("aws_session_token", session_token),
	F("actions", actions),
#undef F
};

/* Checks a finished profile. */
static enum err_code
finish(const char *path, struct table *t, struct err *e)
{
	struct credential *c = &t->v[t->n - 1];
	size_t i;

	if (!c->access_key[0] || !c->secret[0] || !c->account[0])
		return err_set(e, ERR_VALIDATION, "%s:%d: profile [%s] needs aws_access_key_id, "
		    "aws_secret_access_key and account_id", path, c->line, c->profile);
	if (strlen(c->account) != 12 || strspn(c->account, "0123456789") != 12)
		return err_set(e, ERR_VALIDATION, "%s:%d: profile [%s]: account_id must be 12 digits",
		    path, c->line, c->profile);
	if (!c->actions[0])
		snprintf(c->actions, sizeof(c->actions), "ivs:* cloudformation:*");
	for (i = 0; i + 1 < t->n; i++)
		if (strcmp(t->v[i].access_key, c->access_key) == 0)
			return err_set(e, ERR_VALIDATION, "%s:%d: profile [%s] repeats the access key of "
			    "profile [%s]", path, c->line, c->profile, t->v[i].profile);
	return ERR_OK;
}

static enum err_code
parse(const char *path, FILE *f, struct table *t, struct err *e)
{
	char raw[4096], *line, *eq, *key, *value;
	struct credential *grown;
	int no = 0;
	size_t i;

	while (fgets(raw, sizeof(raw), f) != NULL) {
		no++;
		if (strchr(raw, '\n') == NULL && !feof(f))
			return err_set(e, ERR_VALIDATION, "%s:%d: line too long", path, no);
		line = clean(raw);
		if (*line == '\0')
			continue;
		if (*line == '[') {
			size_t n = strlen(line);
			if (line[n - 1] != ']' || n < 3 || n - 2 >= sizeof(t->v[0].profile))
				return err_set(e, ERR_VALIDATION, "%s:%d: malformed profile header '%s'",
				    path, no, line);
			if (t->n > 0 && finish(path, t, e) != ERR_OK)
				return e->code;
			if ((grown = realloc(t->v, (t->n + 1) * sizeof(*t->v))) == NULL)
				return err_set(e, ERR_INTERNAL, "out of memory");
			t->v = grown;
			memset(&t->v[t->n], 0, sizeof(t->v[0]));
			t->v[t->n].line = no;
			snprintf(t->v[t->n].profile, sizeof(t->v[0].profile), "%.*s", (int)(n - 2), line + 1);
			t->n++;
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL)
			return err_set(e, ERR_VALIDATION, "%s:%d: expected 'key = value' or '[profile]'",
			    path, no);
		if (t->n == 0)
			return err_set(e, ERR_VALIDATION, "%s:%d: a key before any [profile]", path, no);
		*eq = '\0';
		key = clean(line);
		value = clean(eq + 1);
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(key, fields[i].key) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0]))
			return err_set(e, ERR_VALIDATION, "%s:%d: unknown key '%s'", path, no, key);
		if (*value == '\0' || strlen(value) >= fields[i].size)
			return err_set(e, ERR_VALIDATION, "%s:%d: %s is empty or too long", path, no, key);
		memcpy((char *)&t->v[t->n - 1] + fields[i].offset, value, strlen(value) + 1);
	}
	if (t->n == 0)
		return err_set(e, ERR_VALIDATION, "%s: no [profile] in the file", path);
	return finish(path, t, e);
}

enum err_code
auth_load(const char *path, struct err *e)
{
	struct table *t = calloc(1, sizeof(*t)), *old;
	FILE *f;

	if (t == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	atomic_init(&t->refs, 1);
	t->generation = atomic_fetch_add(&generations, 1) + 1;
	if ((f = fopen(path, "r")) == NULL) {
		free(t);
		return err_set(e, ERR_VALIDATION, "cannot read credentials file %s", path);
	}
	if (parse(path, f, t, e) != ERR_OK) {
		fclose(f);
		release(t);
		return e->code;
	}
	fclose(f);
	pthread_mutex_lock(&lock);
	old = current;
	current = t;
	pthread_mutex_unlock(&lock);
	release(old);
	return ERR_OK;
}

/* ---- verification -------------------------------------------------------- */

struct collect {
	struct sigv4_header h[MAX_HEADERS];
	size_t n;
};

static void
collect(void *arg, const char *name, const char *value)
{
	struct collect *c = arg;

	if (c->n < MAX_HEADERS) {
		c->h[c->n].name = name;
		c->h[c->n].value = value;
		c->n++;
	}
}

/* Seconds since the epoch of an X-Amz-Date (YYYYMMDDTHHMMSSZ); -1 if malformed. */
static long long
amz_time(const char *s)
{
	struct tm tm;
	const char *end;

	if (s == NULL || strlen(s) != 16)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	return end && *end == '\0' ? time_utc_seconds(&tm) : -1;	/* timegm takes a lock */
}

static void
amz_format(long long t, char *out, size_t cap)
{
	struct tm tm;

	time_utc(t, &tm);
	strftime(out, cap, "%Y%m%dT%H%M%SZ", &tm);
}

static const char MISMATCH[] = "The request signature we calculated does not match the "
    "signature you provided. Check your AWS Secret Access Key and signing method. Consult "
    "the service documentation for details.";

/* Frees the MACs of an ending thread's cache (the cache_owner destructor). */
static void
free_cache(void *cache)
{
	struct cached_key *c = cache;
	unsigned j;

	for (j = 0; j < KEY_CACHE; j++) {
		ids_hmac_free(c[j].mac);
		c[j].mac = NULL;
		c[j].generation = 0;
		OPENSSL_cleanse(c[j].key, sizeof(c[j].key));
	}
}

static void
make_cache_owner(void)
{
	pthread_key_create(&cache_owner, free_cache);
}

/* The cache entry of credential i of table t for a's scope: this thread's
 * own, or derived now (four HMACs) in place of the oldest. */
static const struct cached_key *
signing_key(const struct table *t, size_t i, const struct sigv4_auth *a)
{
	struct cached_key *c;
	unsigned j;

	for (j = 0; j < KEY_CACHE; j++) {
		c = &key_cache[j];
		if (c->generation == t->generation && c->credential == i &&
		    strcmp(c->date, a->date) == 0 && strcmp(c->region, a->region) == 0 &&
		    strcmp(c->service, a->service) == 0)
			return c;
	}
	pthread_once(&cache_once, make_cache_owner);
	c = &key_cache[key_cache_next++ % KEY_CACHE];
	ids_hmac_free(c->mac);
	sigv4_signing_key(t->v[i].secret, a->date, a->region, a->service, c->key);
	c->generation = t->generation;
	c->credential = i;
	snprintf(c->date, sizeof(c->date), "%s", a->date);
	snprintf(c->region, sizeof(c->region), "%s", a->region);
	snprintf(c->service, sizeof(c->service), "%s", a->service);
	if ((c->mac = ids_hmac_new(c->key, sizeof(c->key))) != NULL &&
	    pthread_getspecific(cache_owner) == NULL)
		pthread_setspecific(cache_owner, key_cache);
	return c;
}

/* The hex signature of sts under the signing key of c; -1 if OpenSSL failed. */
static int
sign(const struct cached_key *c, const char *sts, size_t len, char *sig)
{
	if (c->mac != NULL)
		return sigv4_signature_with(c->mac, sts, len, sig);
	sigv4_signature(c->key, sts, len, sig);
	return 0;
}

/* Strict checks of a parsed header against credential i of table t. */
static enum err_code
check(const struct http_request *req, const struct sigv4_auth *a, const struct table *t,
    size_t i, const char *amz_date, struct err *e)
{
	const struct credential *k = &t->v[i];
	struct sigv4_request sr;
	struct collect hs = { .n = 0 };
	struct buf creq, sts;
	char body_hash[65], sig[65], early[20], late[20], now_text[20];
	const char *sent_hash = http_header(req, "x-amz-content-sha256");
	const char *token = http_header(req, "X-Amz-Security-Token");
	long long when = amz_time(amz_date), now = (long long)time(NULL);
	enum err_code rc = ERR_OK;

	if ((k->session_token[0] || token) &&
	    (token == NULL || strcmp(token, k->session_token) != 0))
		return err_set(e, ERR_UNRECOGNIZED_CLIENT, "The security token included in the "
		    "request is invalid.");
	if (when < 0)
		return err_set(e, ERR_INCOMPLETE_SIG, "X-Amz-Date must be in the form "
		    "YYYYMMDD'T'HHMMSS'Z', not '%s'", amz_date);
	if (strncmp(amz_date, a->date, 8) != 0)
		return err_set(e, ERR_INVALID_SIG, "Date in Credential scope does not match "
		    "YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%.8s', from '%s'.",
		    a->date, amz_date, amz_date);
	if (when < now - AUTH_MAX_SKEW_SECONDS || when > now + AUTH_MAX_SKEW_SECONDS) {
		amz_format(now, now_text, sizeof(now_text));
		amz_format(now - AUTH_MAX_SKEW_SECONDS, early, sizeof(early));
		amz_format(now + AUTH_MAX_SKEW_SECONDS, late, sizeof(late));
		return when < now ?
		    err_set(e, ERR_INVALID_SIG, "Signature expired: %s is now earlier than %s "
			"(%s - 5 min.)", amz_date, early, now_text) :
		    err_set(e, ERR_INVALID_SIG, "Signature not yet current: %s is still later than "
			"%s (%s + 5 min.)", amz_date, late, now_text);
	}
	if (!sigv4_signs_header(a->signed_headers, "host"))
		return err_set(e, ERR_INVALID_SIG, "'Host' must be a signed header");
	sigv4_sha256_hex(req->body ? req->body : "", req->body_len, body_hash);
	if (sent_hash != NULL && strcmp(sent_hash, body_hash) != 0)
		return err_set(e, ERR_INVALID_SIG, "The provided 'x-amz-content-sha256' header does "
		    "not match what was computed.");

	http_headers_each(req, collect, &hs);
	sr.method = req->method;
	sr.path = req->path;
	sr.query = req->query;
	sr.headers = hs.h;
	sr.n_headers = hs.n;
	sr.payload_hash = body_hash;
	buf_init(&creq, 0);
	buf_init(&sts, 0);
	if (sigv4_canonical_request(&sr, a->signed_headers, &creq) != 0) {
		rc = err_set(e, ERR_INVALID_SIG, "The query string has a malformed escape");
		goto out;
	}
	sigv4_string_to_sign(amz_date, a, buf_cstr(&creq), creq.len, &sts);
	if (sign(signing_key(t, i, a), buf_cstr(&sts), sts.len, sig) != 0 || CRYPTO_memcmp(sig, a->signature, 64) != 0) {
		rc = err_set(e, ERR_INVALID_SIG, "%s", MISMATCH);
		log_msg(LOG_DEBUG, "canonical request of the refused signature:\n%s",
		    buf_cstr(&creq));
	}
out:
	buf_free(&creq);
	buf_free(&sts);
	return rc;
}

/* Copies src into dst (cap bytes), cut short if it must be; as snprintf
 * "%s" would, without its cost on every request. */
static void
set(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

enum err_code
auth_verify(const struct http_request *req, const char *service, struct call *c)
{
	const char *amz_date = http_header(req, "X-Amz-Date");
	struct sigv4_auth a;
	struct table *t;
	size_t i;
	enum err_code rc;

	if (sigv4_parse(http_header(req, "Authorization"), &a, &c->err) != ERR_OK)
		return c->err.code;
	if (amz_date == NULL)
		return err_set(&c->err, ERR_INCOMPLETE_SIG, "Authorization header requires "
		    "existence of either a 'X-Amz-Date' or a 'Date' header.");
	if (strcmp(a.service, service) != 0)
		return err_set(&c->err, ERR_INVALID_SIG, "Credential should be scoped to correct "
		    "service: '%s'.", service);
	set(c->who.access_key, sizeof(c->who.access_key), a.access_key);
	set(c->who.region, sizeof(c->who.region), a.region);
	if ((t = acquire()) == NULL) {		/* protected mode */
		for (i = 0; a.access_key[i] >= '0' && a.access_key[i] <= '9'; i++)
			;
		if (i == 12 && a.access_key[12] == '\0')
			memcpy(c->who.account, a.access_key, 13);	/* a 12-digit key is its account */
		else
			set(c->who.account, sizeof(c->who.account), c->cfg->default_account);
		return ERR_OK;
	}
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].access_key, a.access_key) == 0)
			break;
	if (i == t->n) {
		release(t);
		return err_set(&c->err, ERR_UNRECOGNIZED_CLIENT, "The security token included in "
		    "the request is invalid.");
	}
	if ((rc = check(req, &a, t, i, amz_date, &c->err)) == ERR_OK) {
		set(c->who.account, sizeof(c->who.account), t->v[i].account);
		set(c->who.profile, sizeof(c->who.profile), t->v[i].profile);
		set(c->who.actions, sizeof(c->who.actions), t->v[i].actions);
	}
	release(t);
	return rc;
}

int
auth_permits(const struct call *c, const char *action)
{
	const char *p = c->who.actions;
	char pattern[sizeof(c->who.actions)];
	size_t n;

	if (*p == '\0')
		return 1;		/* protected mode: no permissions to check */
	for (;;) {			/* patterns separated by spaces or commas */
		p += strspn(p, " ,");
		if ((n = strcspn(p, " ,")) == 0)
			return 0;
		memcpy(pattern, p, n);
		pattern[n] = '\0';
		if (fnmatch(pattern, action, FNM_CASEFOLD) == 0)
			return 1;
		p += n;
	}
}

enum err_code
auth_allow(struct call *c, const char *action, const char *resource)
{
	if (auth_permits(c, action))
		return ERR_OK;
	return err_set(&c->err, ERR_ACCESS_DENIED, "User: arn:aws:iam::%s:user/%s is not "
	    "authorized to perform: %s on resource: %s", c->who.account, c->who.profile, action,
	    resource);
}
