/* Log lines: formatting (pure) and the one write(2) per line.
 *
 * Owns the log format and level, fixed before the workers start. Knows
 * nothing of HTTP or AWS: callers hand it plain fields.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "limits.h"
#include "util/timefmt.h"

static enum log_format format = LOG_FORMAT_TEXT;
static enum log_level level = LOG_INFO;

static const char *const level_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};
static const char *const format_names[] = {
	[LOG_FORMAT_TEXT] = "text", [LOG_FORMAT_JSON] = "json",
};

/* The index of word in names[n], or -1. */
static int
lookup(const char *const *names, int n, const char *word)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], word) == 0)
			return i;
	return -1;
}

enum err_code
log_configure(const char *fmt, const char *lvl, struct err *e)
{
	int f = fmt ? lookup(format_names, 2, fmt) : (int)format;
	int l = lvl ? lookup(level_names, 4, lvl) : (int)level;

	if (f < 0)
		return err_set(e, ERR_VALIDATION, "--log-format (RTSTAGE_LOG_FORMAT) must be text "
		    "or json, not '%.64s'", fmt);
	if (l < 0)
		return err_set(e, ERR_VALIDATION, "--log-level (RTSTAGE_LOG_LEVEL) must be error, "
		    "warn, info or debug, not '%.64s'", lvl);
	format = (enum log_format)f;
	level = (enum log_level)l;
	return ERR_OK;
}

int
log_enabled(enum log_level l)
{
	return l <= level;
}

/* ---- a bounded line ------------------------------------------------------ */

struct line {
	char *p;
	size_t n, cap;		/* cap keeps room for "\n\0" */
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->n)
		n = l->cap - l->n;
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

static void
puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Appends v as the body of a JSON string (quoted: with the quotes), at
 * most max bytes of output, cut at a character boundary with "...".
 * Invalid UTF-8 becomes U+FFFD, so the line is always valid JSON. */
static void
put_escaped(struct line *l, const char *v, size_t max, int quoted)
{
	const unsigned char *s = (const unsigned char *)(v ? v : "");
	size_t used = 0, k, n = strlen((const char *)s);
	char esc[8];

	if (quoted)
		put(l, "\"", 1);
	while (*s != '\0') {
		k = utf8_len(s, n);
		if (*s == '"' || *s == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *s);
		else if (*s == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (*s < 0x20 || *s == 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
		else if (k == 0)
			snprintf(esc, sizeof(esc), "\\ufffd");
		else
			esc[0] = '\0';
		if (used + (esc[0] ? strlen(esc) : k) + 3 > max) {
			put(l, "...", 3);
			break;
		}
		if (esc[0]) {
			puts_(l, esc);
			used += strlen(esc);
		} else {
			put(l, (const char *)s, k);
			used += k;
		}
		if (k == 0)
			k = 1;
		s += k;
		n -= k;
	}
	if (quoted)
		put(l, "\"", 1);
}

/* A text value: bare when it is one word, else quoted and escaped. */
static void
put_text_value(struct line *l, const char *v, size_t max)
{
	if (v == NULL || *v == '\0') {
		put(l, "-", 1);
		return;
	}
	if (strpbrk(v, " \"\\=\t\r\n") == NULL && strlen(v) <= max) {
		puts_(l, v);
		return;
	}
	put_escaped(l, v, max, 1);
}

static void
put_time(struct line *l, long long now_ms)
{
	char t[TIME_ISO8601_LEN + 4];
	unsigned ms = (unsigned)(now_ms % 1000);

	time_iso8601((time_t)(now_ms / 1000), t);	/* "...T03:04:05Z": no lock, unlike gmtime_r */
	t[19] = '.';
	t[20] = (char)('0' + ms / 100);
	t[21] = (char)('0' + ms / 10 % 10);
	t[22] = (char)('0' + ms % 10);
	t[23] = 'Z';
	put(l, t, 24);
}

/* The decimal text of v into out (24 bytes). */
static const char *
decimal(long long v, char out[24])
{
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	char *p = out + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

/* One field: ` name=value` (text) or `,"name":value` (JSON); number
 * fields are given as text already. */
static void
field(struct line *l, enum log_format f, const char *name, const char *v, int number)
{
	size_t max = strcmp(name, "message") == 0 ? LOG_VALUE_BYTES : LOG_FIELD_BYTES;

	if (f == LOG_FORMAT_TEXT) {
		put(l, " ", 1);
		puts_(l, name);
		put(l, "=", 1);
		put_text_value(l, v, max);
		return;
	}
	put(l, ",\"", 2);
	puts_(l, name);
	put(l, "\":", 2);
	if (number)
		puts_(l, v);
	else if (v == NULL || *v == '\0')
		puts_(l, "null");
	else
		put_escaped(l, v, max, 1);
}

static void
start(struct line *l, enum log_format f, long long now_ms, enum log_level lv, char *out,
    size_t cap)
{
	l->p = out;
	l->n = 0;
	l->cap = cap - 2;
	if (f == LOG_FORMAT_TEXT) {
		put_time(l, now_ms);
		put(l, " ", 1);
		puts_(l, level_names[lv]);
		return;
	}
	puts_(l, "{\"time\":\"");
	put_time(l, now_ms);
	puts_(l, "\",\"level\":\"");
	puts_(l, level_names[lv]);
	puts_(l, "\"");
}

static size_t
finish(struct line *l, enum log_format f)
{
	/* room for the closing brace was kept by the value caps */
	if (f == LOG_FORMAT_JSON)
		put(l, "}", 1);
	l->p[l->n++] = '\n';
	l->p[l->n] = '\0';
	return l->n;
}

size_t
log_format_msg(enum log_format f, long long now_ms, enum log_level lv, const char *msg,
    char *out, size_t cap)
{
	struct line l;

	start(&l, f, now_ms, lv, out, cap);
	if (f == LOG_FORMAT_TEXT) {
		puts_(&l, " rtstage: ");
		put(&l, msg, strlen(msg));
	} else {
		put(&l, ",\"msg\":", 7);
		put_escaped(&l, msg, cap > 160 ? cap - 128 : 16, 1);
	}
	return finish(&l, f);
}

size_t
log_format_request(enum log_format f, long long now_ms, const struct log_request *r,
    char *out, size_t cap)
{
	char status_text[24], ms_text[24];
	const char *status = decimal(r->status, status_text), *ms = decimal(r->duration_ms, ms_text);
	struct line l;

	start(&l, f, now_ms, LOG_INFO, out, cap);
	if (f == LOG_FORMAT_TEXT)
		puts_(&l, " request");
	else
		puts_(&l, ",\"msg\":\"request\"");
	field(&l, f, "request_id", r->request_id, 0);
	field(&l, f, "remote", r->remote, 0);
	field(&l, f, "account", r->account, 0);
	field(&l, f, "region", r->region, 0);
	field(&l, f, "operation", r->operation, 0);
	field(&l, f, "status", status, 1);
	field(&l, f, "error", r->error, 0);
	field(&l, f, "duration_ms", ms, 1);
	if (r->message != NULL && *r->message != '\0')
		field(&l, f, "message", r->message, 0);
	return finish(&l, f);
}

/* ---- writing ------------------------------------------------------------- */

static _Thread_local char buffer[LOG_LINE_BYTES];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
emit(size_t n)
{
	ssize_t w;
	size_t done = 0;

	while (done < n && ((w = write(STDERR_FILENO, buffer + done, n - done)) > 0))
		done += (size_t)w;
}

void
log_msg(enum log_level lv, const char *fmt, ...)
{
	char msg[LOG_LINE_BYTES];
	va_list ap;

	if (!log_enabled(lv))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* a longer message is cut short */
	va_end(ap);
	emit(log_format_msg(format, now_ms(), lv, msg, buffer, sizeof(buffer)));
}

void
log_request(const struct log_request *r)
{
	if (!log_enabled(LOG_INFO))
		return;
	emit(log_format_request(format, now_ms(), r, buffer, sizeof(buffer)));
}
