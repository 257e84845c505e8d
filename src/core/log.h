/* The server's log: one line per event on stderr, as text or JSON.
 *
 * Each line is formatted into a per-thread buffer and written with one
 * write(2), so concurrent workers never interleave within a line (lines
 * stay under LOG_LINE_BYTES <= PIPE_BUF) and no lock is held while
 * formatting. Configure once before the workers start.
 */
#ifndef RTSTAGE_CORE_LOG_H
#define RTSTAGE_CORE_LOG_H

#include <stddef.h>

#include "util/err.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* One request, as its log line reports it. Strings may be NULL or "". */
struct log_request {
	const char *request_id;
	const char *remote;
	const char *account;
	const char *region;
	const char *operation;	/* operation name, or the route's name */
	int status;
	const char *error;	/* AWS error name; NULL or "" when none */
	const char *message;	/* the error's message; NULL when none */
	long long duration_ms;
};

/* Sets the format ("text", "json") and the level ("error", "warn",
 * "info", "debug"); NULL keeps the current one. Returns ERR_VALIDATION
 * naming the option on an unknown word. Not thread-safe: call before the
 * workers start. Defaults: text, info. */
enum err_code log_configure(const char *format, const char *level, struct err *e);

/* Is level logged? Thread-safe. */
int log_enabled(enum log_level level);

/* Logs one message line at level (when enabled). Thread-safe. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs r at info (when enabled). Thread-safe. */
void log_request(const struct log_request *r);

/* The line log_msg / log_request would write at now_ms (Unix time in ms),
 * in format f, into out (cap bytes, cap >= 64): newline-terminated,
 * NUL-terminated, values escaped (JSON) or quoted when they hold spaces
 * (text), each value cut short rather than the line. Returns the length. */
size_t log_format_msg(enum log_format f, long long now_ms, enum log_level level,
    const char *msg, char *out, size_t cap);
size_t log_format_request(enum log_format f, long long now_ms, const struct log_request *r,
    char *out, size_t cap);

#endif
