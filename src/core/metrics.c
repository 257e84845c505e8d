/* The metrics registry and its Prometheus text exposition.
 *
 * Families live in a fixed array filled at start-up; each family's series
 * form a list that only grows: readers walk it without a lock, a new
 * series is pushed under the family's mutex (first use only). Values are
 * atomics; a histogram keeps per-bucket counts and derives the cumulative
 * buckets and _count from one reading, so +Inf always equals _count.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "limits.h"
#include "util/buf.h"

#define MAX_LABELS 4
#define KEY_BYTES 512

struct metric_series {
	struct metric_series *next;	/* immutable once published */
	const struct metric_family *family;
	char key[KEY_BYTES];		/* label values joined by '\x1f' */
	char labels[KEY_BYTES + 64];	/* rendered: name="value",... */
	atomic_llong value;		/* counter, gauge */
	atomic_llong buckets[METRICS_MAX_BUCKETS + 1];	/* histogram, +Inf last */
	_Atomic uint64_t sum_bits;	/* histogram: the sum, a double's bits */
};

struct metric_family {
	const char *name, *help;
	enum metric_type type;
	char label_names[MAX_LABELS][64];
	int n_labels;
	double bounds[METRICS_MAX_BUCKETS];
	int n_bounds;
	_Atomic(struct metric_series *) head;
	int n_series;			/* under lock */
	pthread_mutex_t lock;
};

static struct metric_family families[METRICS_MAX_FAMILIES];
static atomic_int n_families;

/* The core families, NULL until metrics_init. */
static struct core_families {
	struct metric_family *requests, *latency, *batches, *store_errors, *connections,
	    *database_up, *signing_keys, *build_info;
	struct metric_series *store_errors_s, *connections_s, *database_up_s, *signing_keys_s;
} core;

static const char *const type_names[] = {
	[METRIC_COUNTER] = "counter", [METRIC_GAUGE] = "gauge", [METRIC_HISTOGRAM] = "histogram",
};

struct metric_family *
metrics_register(const char *name, const char *help, enum metric_type type,
    const char *labels, const double *buckets, int n)
{
	struct metric_family *f;
	const char *p = labels ? labels : "", *comma;
	int i, count = atomic_load(&n_families);

	for (i = 0; i < count; i++)
		if (strcmp(families[i].name, name) == 0)
			return NULL;
	if (count >= METRICS_MAX_FAMILIES || n > METRICS_MAX_BUCKETS)
		return NULL;
	f = &families[count];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->help = help;
	f->type = type;
	while (*p != '\0' && f->n_labels < MAX_LABELS) {
		comma = strchr(p, ',');
		snprintf(f->label_names[f->n_labels++], sizeof(f->label_names[0]), "%.*s",
		    (int)(comma ? comma - p : (long)strlen(p)), p);
		p = comma ? comma + 1 : p + strlen(p);
	}
	for (i = 0; type == METRIC_HISTOGRAM && i < n; i++)
		f->bounds[i] = buckets[i];
	f->n_bounds = type == METRIC_HISTOGRAM ? n : 0;
	pthread_mutex_init(&f->lock, NULL);
	atomic_init(&f->head, NULL);
	atomic_store(&n_families, count + 1);
	return f;
}

/* Appends v to b as a label value: backslash, quote and newline escaped. */
static void
escape_label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_append(b, v, 1);
	}
}

/* Fills s's key and rendered labels from values; -1 if they do not fit. */
static int
label_series(const struct metric_family *f, const char *const *values, char *key, char *labels)
{
	struct buf b;
	size_t n = 0;
	int i, w, ok;

	key[0] = '\0';
	for (i = 0; i < f->n_labels; i++) {	/* each value and a 0x1f; no snprintf: per request */
		w = (int)strlen(values[i] ? values[i] : "");
		if ((size_t)w + 1 >= KEY_BYTES - n)
			return -1;
		memcpy(key + n, values[i] ? values[i] : "", (size_t)w);
		key[n + (size_t)w] = '\x1f';
		n += (size_t)w + 1;
		key[n] = '\0';
	}
	if (labels == NULL)
		return 0;
	buf_init(&b, KEY_BYTES + 63);
	for (i = 0; i < f->n_labels; i++) {
		buf_printf(&b, "%s%s=\"", i ? "," : "", f->label_names[i]);
		escape_label(&b, values[i] ? values[i] : "");
		buf_puts(&b, "\"");
	}
	ok = b.len < KEY_BYTES + 63 && !b.truncated;
	snprintf(labels, KEY_BYTES + 64, "%s", ok ? buf_cstr(&b) : "");
	buf_free(&b);
	return ok ? 0 : -1;
}

static struct metric_series *
find(struct metric_family *f, const char *key)
{
	struct metric_series *s;

	for (s = atomic_load_explicit(&f->head, memory_order_acquire); s != NULL; s = s->next)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

struct metric_series *
metrics_series(struct metric_family *f, const char *const *values)
{
	char key[KEY_BYTES];
	struct metric_series *s;
	int i;

	if (f == NULL || label_series(f, values, key, NULL) != 0)
		return NULL;
	if ((s = find(f, key)) != NULL)
		return s;
	pthread_mutex_lock(&f->lock);
	if ((s = find(f, key)) == NULL && f->n_series < METRICS_MAX_SERIES &&
	    (s = calloc(1, sizeof(*s))) != NULL) {
		if (label_series(f, values, s->key, s->labels) != 0) {
			free(s);
			s = NULL;
		} else {
			s->family = f;
			atomic_init(&s->value, 0);
			for (i = 0; i <= METRICS_MAX_BUCKETS; i++)
				atomic_init(&s->buckets[i], 0);
			atomic_init(&s->sum_bits, 0);
			s->next = atomic_load_explicit(&f->head, memory_order_relaxed);
			atomic_store_explicit(&f->head, s, memory_order_release);
			f->n_series++;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return s;
}

void
metrics_add(struct metric_series *s, long long v)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->value, v, memory_order_relaxed);
}

void
metrics_set(struct metric_series *s, long long v)
{
	if (s != NULL)
		atomic_store_explicit(&s->value, v, memory_order_relaxed);
}

static void
observe_in(const struct metric_family *f, struct metric_series *s, double v)
{
	uint64_t old, next;
	double sum;
	int i;

	for (i = 0; i < f->n_bounds && v > f->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
	old = atomic_load_explicit(&s->sum_bits, memory_order_relaxed);
	do {
		memcpy(&sum, &old, sizeof(sum));
		sum += v;
		memcpy(&next, &sum, sizeof(next));
	} while (!atomic_compare_exchange_weak_explicit(&s->sum_bits, &old, next,
	    memory_order_relaxed, memory_order_relaxed));
}

void
metrics_observe(struct metric_series *s, double v)
{
	if (s != NULL && s->family->type == METRIC_HISTOGRAM)
		observe_in(s->family, s, v);
}

/* ---- exposition ----------------------------------------------------------- */

static void
sample(struct buf *b, const char *name, const char *suffix, const char *labels,
    const char *extra)
{
	int any = labels[0] != '\0' || extra[0] != '\0';

	buf_printf(b, "%s%s%s%s%s%s%s ", name, suffix, any ? "{" : "", labels,
	    labels[0] && extra[0] ? "," : "", extra, any ? "}" : "");
}

static void
expose_histogram(struct buf *b, const struct metric_family *f, struct metric_series *s)
{
	long long counts[METRICS_MAX_BUCKETS + 1], total = 0;
	char le[64];
	uint64_t bits = atomic_load(&s->sum_bits);
	double sum;
	int i;

	for (i = 0; i <= f->n_bounds; i++)
		counts[i] = atomic_load(&s->buckets[i]);
	for (i = 0; i <= f->n_bounds; i++) {
		total += counts[i];
		if (i < f->n_bounds)
			snprintf(le, sizeof(le), "le=\"%g\"", f->bounds[i]);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		sample(b, f->name, "_bucket", s->labels, le);
		buf_printf(b, "%lld\n", total);
	}
	memcpy(&sum, &bits, sizeof(sum));
	sample(b, f->name, "_sum", s->labels, "");
	buf_printf(b, "%.17g\n", sum);
	sample(b, f->name, "_count", s->labels, "");
	buf_printf(b, "%lld\n", total);
}

char *
metrics_expose(void)
{
	struct buf b;
	struct metric_series *s;
	int i, n = atomic_load(&n_families);

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		struct metric_family *f = &families[i];
		buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
		    type_names[f->type]);
		for (s = atomic_load_explicit(&f->head, memory_order_acquire); s; s = s->next) {
			if (f->type == METRIC_HISTOGRAM) {
				expose_histogram(&b, f, s);
				continue;
			}
			sample(&b, f->name, "", s->labels, "");
			buf_printf(&b, "%lld\n", (long long)atomic_load(&s->value));
		}
	}
	if (b.truncated) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

void
metrics_fini(void)
{
	struct metric_series *s, *next;
	int i, n = atomic_load(&n_families);

	for (i = 0; i < n; i++) {
		for (s = atomic_load(&families[i].head); s != NULL; s = next) {
			next = s->next;
			free(s);
		}
		pthread_mutex_destroy(&families[i].lock);
	}
	atomic_store(&n_families, 0);
	core = (struct core_families){ 0 };
}

/* ---- the core families ---------------------------------------------------- */

/* Request latency, seconds: from a cached read (~0.1 ms) to a stalled
 * database (LIMIT_PG_STATEMENT_MS and beyond). */
static const double latency_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* Jobs per group commit: powers of two up to STORE_BATCH. */
static const double batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128 };

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

void
metrics_init(const char *version)
{
	const char *v[1] = { version };

	core.requests = metrics_register("rtstage_requests_total",
	    "Requests answered, by operation (or route) and HTTP status.", METRIC_COUNTER,
	    "operation,status", NULL, 0);
	core.latency = metrics_register("rtstage_request_duration_seconds",
	    "Time from the request's arrival at the handler to its answer, by operation.",
	    METRIC_HISTOGRAM, "operation", latency_bounds, N(latency_bounds));
	core.batches = metrics_register("rtstage_store_batch_jobs",
	    "Group-commit batches (_count) and the write jobs each carried.", METRIC_HISTOGRAM,
	    NULL, batch_bounds, N(batch_bounds));
	core.store_errors = metrics_register("rtstage_store_errors_total",
	    "Write batches the database failed to begin or commit.", METRIC_COUNTER, NULL,
	    NULL, 0);
	core.connections = metrics_register("rtstage_open_connections",
	    "HTTP connections open now.", METRIC_GAUGE, NULL, NULL, 0);
	core.database_up = metrics_register("rtstage_database_up",
	    "1 when the database answered the last check, else 0.", METRIC_GAUGE, NULL, NULL, 0);
	core.signing_keys = metrics_register("rtstage_signing_keys",
	    "Token signing keys published in the JWK Set.", METRIC_GAUGE, NULL, NULL, 0);
	core.build_info = metrics_register("rtstage_build_info",
	    "The running build; always 1.", METRIC_GAUGE, "version", NULL, 0);
	core.store_errors_s = metrics_series(core.store_errors, NULL);
	core.connections_s = metrics_series(core.connections, NULL);
	core.database_up_s = metrics_series(core.database_up, NULL);
	core.signing_keys_s = metrics_series(core.signing_keys, NULL);
	metrics_set(metrics_series(core.build_info, v), 1);
	(void)metrics_series(core.batches, NULL);	/* exposed from the start, at 0 */
}

void
metrics_request(const char *operation, int status, double seconds)
{
	char code[16] = { (char)('0' + status / 100 % 10), (char)('0' + status / 10 % 10),
		(char)('0' + status % 10), '\0' };	/* an HTTP status: three digits */
	const char *v[2] = { operation, code };

	if (core.requests == NULL)
		return;
	if (status < 100 || status > 999)
		snprintf(code, sizeof(code), "%d", status);
	metrics_add(metrics_series(core.requests, v), 1);
	metrics_observe(metrics_series(core.latency, v), seconds);
}

void
metrics_store_batch(int jobs)
{
	if (core.batches != NULL)
		metrics_observe(metrics_series(core.batches, NULL), (double)jobs);
}

void
metrics_store_error(void)
{
	metrics_add(core.store_errors_s, 1);
}

void
metrics_connections(int delta)
{
	metrics_add(core.connections_s, delta);
}

void
metrics_database_up(int up)
{
	metrics_set(core.database_up_s, up ? 1 : 0);
}

void
metrics_signing_keys(int n)
{
	metrics_set(core.signing_keys_s, n);
}
