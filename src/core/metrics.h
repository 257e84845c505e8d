/* Metrics: a registry of counters, gauges and histograms, exposed in the
 * Prometheus text format 0.0.4 (GET /metrics).
 *
 * Families are registered at start-up (name, help, type, label names);
 * series (one per combination of label values) are found or made on
 * first use and never removed. Updates are atomic additions: no lock on
 * the hot path. The exposition is built at scrape time.
 */
#ifndef RTSTAGE_CORE_METRICS_H
#define RTSTAGE_CORE_METRICS_H

#include <stddef.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_family;
struct metric_series;

/* Registers a family: name and label names ("operation,status"; NULL or
 * "" for none) as Prometheus writes them, help text, type, and for a
 * histogram its n bucket upper bounds, ascending (+Inf is implied). All
 * strings are static. Returns the family (owned by the registry), or NULL
 * when the registry is full or the name is taken. Call before serving. */
struct metric_family *metrics_register(const char *name, const char *help,
    enum metric_type type, const char *labels, const double *buckets, int n);

/* The series of f for the label values (as many as its label names; NULL
 * when it has none), made on first use; NULL if f is NULL or full.
 * Lock-free when the series exists. Thread-safe. */
struct metric_series *metrics_series(struct metric_family *f, const char *const *values);

/* Adds v to a counter or gauge, sets a gauge, records an observation in a
 * histogram. NULL series: nothing happens. Thread-safe, lock-free. */
void metrics_add(struct metric_series *s, long long v);
void metrics_set(struct metric_series *s, long long v);
void metrics_observe(struct metric_series *s, double v);

/* The whole registry in the text exposition format, malloc'd (caller
 * frees), or NULL when out of memory. Thread-safe. */
char *metrics_expose(void);

/* Registers the core families (requests, latency, store batches and
 * errors, connections, database, signing keys, build info). Call once
 * before serving; the helpers below do nothing until then. */
void metrics_init(const char *version);

/* Frees every family and series. Call after the workers have stopped. */
void metrics_fini(void);

/* The core series, for the modules that feed them. Thread-safe. */
void metrics_request(const char *operation, int status, double seconds);
void metrics_store_batch(int jobs);
void metrics_store_error(void);
void metrics_connections(int delta);
void metrics_database_up(int up);
void metrics_signing_keys(int n);

#endif
