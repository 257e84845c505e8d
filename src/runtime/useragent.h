/* What a User-Agent says of a participant's browser and system: the
 * Participant shape's browserName, browserVersion, osName, osVersion.
 * Table-driven, pure, thread-safe.
 */
#ifndef RTSTAGE_RUNTIME_USERAGENT_H
#define RTSTAGE_RUNTIME_USERAGENT_H

#define USERAGENT_FIELD_CAP 32

struct useragent {
	char browser_name[USERAGENT_FIELD_CAP];		/* "" when unknown */
	char browser_version[USERAGENT_FIELD_CAP];
	char os_name[USERAGENT_FIELD_CAP];
	char os_version[USERAGENT_FIELD_CAP];
};

/* Reads ua (NULL: nothing known) into out: Chrome, Chromium, Firefox,
 * Safari, Edge; Windows, macOS, Linux, Android, iOS. Versions are dotted
 * ("10.15.7" for "10_15_7"). */
void useragent_parse(const char *ua, struct useragent *out);

#endif
