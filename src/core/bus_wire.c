/* The wire form of a bus event, as it travels between nodes (a NOTIFY
 * payload): one line of six fields separated by '|',
 *
 *     1|kind|stage_arn|participant_id|node|reason
 *
 * version first, the kind by name (kinds[] below), then the event's
 * strings with '\' and '|' escaped as "\\" and "\|". Decoding is strict:
 * any other version, kind, escape or field count, an empty stage ARN or a
 * field longer than its struct member is not an event. Pure functions, no
 * state.
 */
#include <stddef.h>
#include <string.h>

#include "core/bus.h"
#include "limits.h"

#define WIRE_VERSION "1"
#define WIRE_SEP '|'
#define WIRE_ESC '\\'

static const char *const kinds[BUS_KIND__COUNT] = {
	[BUS_ROSTER_CHANGED] = "roster",
	[BUS_PARTICIPANT_DISCONNECTED] = "disconnected",
	[BUS_STAGE_DELETED] = "deleted",
	[BUS_PARTICIPANT_REPLACED] = "replaced",
};

/* The longest kind name, with room for "1|" and the five separators, and
 * every string member escaped in full (each byte may double). */
#define WIRE_MAX (2 + 12 + 4 + 2 * (BUS_ARN_CAP + BUS_ID_CAP + BUS_NODE_CAP + BUS_REASON_CAP))
_Static_assert(WIRE_MAX < LIMIT_NOTIFY_PAYLOAD_BYTES, "an event always fits a NOTIFY payload");

/* A string member of an event, where it lives and how long it may be. */
struct field {
	size_t offset, cap;
};

static const struct field fields[] = {
	{ offsetof(struct bus_event, stage_arn), BUS_ARN_CAP },
	{ offsetof(struct bus_event, participant_id), BUS_ID_CAP },
	{ offsetof(struct bus_event, node), BUS_NODE_CAP },
	{ offsetof(struct bus_event, reason), BUS_REASON_CAP },
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* Appends s[0..n) to out at *len (cap bytes, NUL kept room for). */
static int
put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (n >= cap - *len)
		return -1;
	memcpy(out + *len, s, n);
	*len += n;
	return 0;
}

/* Appends s (at most cap_s bytes, NUL-terminated within them) escaped. */
static int
put_escaped(char *out, size_t cap, size_t *len, const char *s, size_t cap_s)
{
	size_t n = strnlen(s, cap_s), i;

	if (n == cap_s)
		return -1;	/* not terminated within its member */
	for (i = 0; i < n; i++) {
		if ((s[i] == WIRE_ESC || s[i] == WIRE_SEP) && put(out, cap, len, "\\", 1) != 0)
			return -1;
		if (put(out, cap, len, s + i, 1) != 0)
			return -1;
	}
	return 0;
}

int
bus_encode(const struct bus_event *ev, char *out, size_t cap)
{
	const char *kind;
	size_t len = 0, i;

	if (cap == 0 || (unsigned)ev->kind >= BUS_KIND__COUNT)
		return -1;
	kind = kinds[ev->kind];
	if (ev->stage_arn[0] == '\0')
		return -1;
	if (put(out, cap, &len, WIRE_VERSION "|", 2) != 0 ||
	    put(out, cap, &len, kind, strlen(kind)) != 0)
		return -1;
	for (i = 0; i < N_FIELDS; i++)
		if (put(out, cap, &len, "|", 1) != 0 ||
		    put_escaped(out, cap, &len, (const char *)ev + fields[i].offset, fields[i].cap) != 0)
			return -1;
	if (len >= LIMIT_NOTIFY_PAYLOAD_BYTES)
		return -1;
	out[len] = '\0';
	return (int)len;
}

/* Reads one unescaped field of text at *p into out (cap bytes with its
 * NUL), up to the next separator or the end; *p is left on the
 * separator or the NUL. */
static enum err_code
take(const char **p, char *out, size_t cap, const char *name, struct err *e)
{
	const char *s = *p;
	size_t n = 0;

	for (; *s != '\0' && *s != WIRE_SEP; s++) {
		if (*s == WIRE_ESC) {
			s++;
			if (*s != WIRE_ESC && *s != WIRE_SEP)
				return err_set(e, ERR_VALIDATION, "bus event: bad escape in %s", name);
		}
		if (n + 1 >= cap)
			return err_set(e, ERR_VALIDATION, "bus event: %s longer than %zu bytes",
			    name, cap - 1);
		out[n++] = *s;
	}
	out[n] = '\0';
	*p = s;
	return ERR_OK;
}

/* Steps over the separator that must follow field name. */
static enum err_code
separator(const char **p, const char *name, struct err *e)
{
	if (**p != WIRE_SEP)
		return err_set(e, ERR_VALIDATION, "bus event: missing fields after %s", name);
	(*p)++;
	return ERR_OK;
}

enum err_code
bus_decode(const char *text, struct bus_event *ev, struct err *e)
{
	static const char *const names[N_FIELDS] = { "stage_arn", "participant_id", "node",
	    "reason" };
	char word[16];
	const char *p = text;
	enum err_code rc;
	size_t i;
	int k;

	memset(ev, 0, sizeof(*ev));
	if (strnlen(text, LIMIT_NOTIFY_PAYLOAD_BYTES) == LIMIT_NOTIFY_PAYLOAD_BYTES) {
		rc = err_set(e, ERR_VALIDATION, "bus event: longer than %d bytes",
		    LIMIT_NOTIFY_PAYLOAD_BYTES - 1);
		goto out;
	}
	if ((rc = take(&p, word, sizeof(word), "version", e)) != ERR_OK)
		goto out;
	if (strcmp(word, WIRE_VERSION) != 0) {
		rc = err_set(e, ERR_VALIDATION, "bus event: unknown version");
		goto out;
	}
	if ((rc = separator(&p, "version", e)) != ERR_OK ||
	    (rc = take(&p, word, sizeof(word), "kind", e)) != ERR_OK)
		goto out;
	for (k = 0; k < BUS_KIND__COUNT && strcmp(word, kinds[k]) != 0; k++)
		;
	if (k == BUS_KIND__COUNT) {
		rc = err_set(e, ERR_VALIDATION, "bus event: unknown kind");
		goto out;
	}
	ev->kind = (enum bus_kind)k;
	for (i = 0; i < N_FIELDS; i++)
		if ((rc = separator(&p, i == 0 ? "kind" : names[i - 1], e)) != ERR_OK ||
		    (rc = take(&p, (char *)ev + fields[i].offset, fields[i].cap, names[i], e)) != ERR_OK)
			goto out;
	if (*p != '\0') {
		rc = err_set(e, ERR_VALIDATION, "bus event: more fields than six");
		goto out;
	}
	if (ev->stage_arn[0] == '\0')
		rc = err_set(e, ERR_VALIDATION, "bus event: no stage_arn");
out:
	if (rc != ERR_OK)
		memset(ev, 0, sizeof(*ev));
	return rc;
}
