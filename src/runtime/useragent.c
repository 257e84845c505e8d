/* User-Agent reading (see useragent.h): the first row whose marker the
 * text contains names the browser, likewise the system. Rows are ordered
 * so that a more specific marker comes before one it contains (Edge and
 * Chromium before Chrome, Chrome before Safari, Android before Linux,
 * iOS before macOS). */
#include <stdio.h>
#include <string.h>

#include "runtime/useragent.h"

struct ua_row {
	const char *marker;	/* text that identifies it */
	const char *name;	/* what the Participant shape says */
	const char *version_at;	/* the version follows this text; NULL: none */
};

static const struct ua_row browsers[] = {
	/* marker          name         version after */
	{ "Edg/",          "Edge",      "Edg/" },
	{ "EdgA/",         "Edge",      "EdgA/" },
	{ "EdgiOS/",       "Edge",      "EdgiOS/" },
	{ "Firefox/",      "Firefox",   "Firefox/" },
	{ "FxiOS/",        "Firefox",   "FxiOS/" },
	{ "Chromium/",     "Chromium",  "Chromium/" },
	{ "HeadlessChrome/", "Chrome",  "HeadlessChrome/" },
	{ "Chrome/",       "Chrome",    "Chrome/" },
	{ "CriOS/",        "Chrome",    "CriOS/" },
	{ "Safari/",       "Safari",    "Version/" },
};

static const struct ua_row systems[] = {
	{ "Windows NT ",   "Windows",   "Windows NT " },
	{ "iPhone OS ",    "iOS",       "iPhone OS " },
	{ "iPad; CPU OS ", "iOS",       "CPU OS " },
	{ "Android",       "Android",   "Android " },
	{ "Mac OS X",      "macOS",     "Mac OS X " },
	{ "CrOS",          "Linux",     NULL },
	{ "Linux",         "Linux",     NULL },
};

/* The dotted version after at in ua into out ("" when none). */
static void
version(const char *ua, const char *at, char *out)
{
	const char *p = at ? strstr(ua, at) : NULL;
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p += strlen(at); n + 1 < USERAGENT_FIELD_CAP &&
	    ((*p >= '0' && *p <= '9') || *p == '.' || *p == '_'); p++)
		out[n++] = *p == '_' ? '.' : *p;
	out[n] = '\0';
}

/* Applies the first matching row of rows to name and ver. */
static void
match(const char *ua, const struct ua_row *rows, size_t n, char *name, char *ver)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strstr(ua, rows[i].marker) == NULL)
			continue;
		snprintf(name, USERAGENT_FIELD_CAP, "%s", rows[i].name);
		version(ua, rows[i].version_at, ver);
		return;
	}
}

void
useragent_parse(const char *ua, struct useragent *out)
{
	memset(out, 0, sizeof(*out));
	if (ua == NULL)
		return;
	match(ua, browsers, sizeof(browsers) / sizeof(browsers[0]), out->browser_name,
	    out->browser_version);
	match(ua, systems, sizeof(systems) / sizeof(systems[0]), out->os_name, out->os_version);
}
