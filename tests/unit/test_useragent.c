/* User-Agent reading: one row per browser and system the Participant
 * shape names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "runtime/useragent.h"

struct row {
	const char *ua;
	const char *browser, *browser_version, *os, *os_version;
};

static const struct row rows[] = {
	{ "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	  "Chrome/120.0.6099.109 Safari/537.36",
	  "Chrome", "120.0.6099.109", "Windows", "10.0" },
	{ "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	  "HeadlessChrome/120.0.6099.224 Safari/537.36",
	  "Chrome", "120.0.6099.224", "Linux", "" },
	{ "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	  "Chromium/118.0.5993.88 Chrome/118.0.5993.88 Safari/537.36",
	  "Chromium", "118.0.5993.88", "Linux", "" },
	{ "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
	  "Gecko) Version/17.2 Safari/605.1.15",
	  "Safari", "17.2", "macOS", "10.15.7" },
	{ "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
	  "Firefox", "121.0", "macOS", "14.2" },
	{ "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
	  "Firefox", "120.0", "Linux", "" },
	{ "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	  "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
	  "Edge", "120.0.2210.91", "Windows", "10.0" },
	{ "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
	  "Chrome/120.0.6099.144 Mobile Safari/537.36",
	  "Chrome", "120.0.6099.144", "Android", "14" },
	{ "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
	  "like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
	  "Safari", "17.2", "iOS", "17.2" },
	{ "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
	  "like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
	  "Chrome", "120.0.6099.119", "iOS", "17.2" },
	{ "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
	  "Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
	  "Safari", "16.6", "iOS", "16.6" },
	{ "python-websockets/10.4", "", "", "", "" },
	{ "", "", "", "", "" },
};

static void
test_rows(void **state)
{
	struct useragent ua;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		useragent_parse(rows[i].ua, &ua);
		if (strcmp(ua.browser_name, rows[i].browser) != 0 ||
		    strcmp(ua.browser_version, rows[i].browser_version) != 0 ||
		    strcmp(ua.os_name, rows[i].os) != 0 ||
		    strcmp(ua.os_version, rows[i].os_version) != 0)
			fail_msg("row %zu: got %s %s on %s %s", i, ua.browser_name,
			    ua.browser_version, ua.os_name, ua.os_version);
	}
}

static void
test_null_and_long_versions(void **state)
{
	struct useragent ua;

	(void)state;
	useragent_parse(NULL, &ua);
	assert_string_equal(ua.browser_name, "");
	useragent_parse("Firefox/1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19", &ua);
	assert_string_equal(ua.browser_name, "Firefox");
	assert_true(strlen(ua.browser_version) < USERAGENT_FIELD_CAP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_null_and_long_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
