/* The public URL check (config_public_url_check) and the endpoints a stage
 * gets from the public URL or from templates (endpoint_url). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ivs/endpoints.h"
#include "limits.h"

struct url_row {
	const char *url;
	const char *why;	/* NULL: accepted; else a part of the refusal */
};

static const struct url_row url_rows[] = {
	{ "http://127.0.0.1:4590", NULL },
	{ "https://stage.example.test", NULL },
	{ "https://stage.example.test/", NULL },
	{ "https://stage.example.test:8443", NULL },
	{ "http://[::1]:4590", NULL },
	{ "http://[2001:db8::1]", NULL },
	{ "https://a_b-c.example", NULL },
	{ "https://h:65535", NULL },
	{ "https://h:1", NULL },
	{ "wss://stage.example.test", "must begin with http:// or https://" },
	{ "Https://stage.example.test", "must begin with http:// or https://" },
	{ "", "must begin with http:// or https://" },
	{ "http://", "names no host" },
	{ "http:///", "names no host" },
	{ "http://:80", "names no host" },
	{ "http://h:", "port must be" },
	{ "http://h:0", "port must be" },
	{ "http://h:65536", "port must be" },
	{ "http://h:123456789", "port must be" },
	{ "http://h:+80", "port must be" },
	{ "http://h:80:81", "port must be" },
	{ "http://h/x", "no path" },
	{ "http://h//", "no path" },
	{ "http://h?", "no path" },
	{ "http://h#", "no path" },
	{ "http://u@h", "user name or password" },
	{ "http://h h", "its host may hold only" },
	{ "http://h%41", "its host may hold only" },
	{ "http://{hex}", "its host may hold only" },
	{ "http://::1", "names no host" },
	{ "http://[::1", "not closed by ']'" },
	{ "http://[]", "not closed by ']'" },
	{ "http://[::g]", "not an IPv6 address" },
	{ "http://[::1]x", "not closed by ']'" },
};

static void
test_public_urls(void **state)
{
	struct err e;
	enum err_code rc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(url_rows) / sizeof(url_rows[0]); i++) {
		e.code = ERR_OK;
		e.msg[0] = '\0';
		rc = config_public_url_check(url_rows[i].url, &e);
		if (url_rows[i].why == NULL && rc != ERR_OK)
			fail_msg("'%s' refused: %s", url_rows[i].url, e.msg);
		if (url_rows[i].why != NULL && (rc != ERR_VALIDATION ||
		    strstr(e.msg, url_rows[i].why) == NULL || strstr(e.msg, "--public-url") == NULL))
			fail_msg("'%s': want '%s', got %d '%s'", url_rows[i].url, url_rows[i].why,
			    rc, e.msg);
	}
}

static void
test_a_long_public_url_is_refused(void **state)
{
	char url[LIMIT_PUBLIC_URL_BYTES + 2];
	struct err e;

	(void)state;
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "http://", 7);
	assert_int_equal(config_public_url_check(url, &e), ERR_VALIDATION);
	assert_non_null(strstr(e.msg, "longer than"));
	url[LIMIT_PUBLIC_URL_BYTES] = '\0';
	assert_int_equal(config_public_url_check(url, &e), ERR_OK);
}

struct endpoint_row {
	const char *public_url, *events_tmpl, *whip_tmpl;
	const char *events, *whip;	/* {hex} stands for the stage's digits */
};

static const struct endpoint_row endpoint_rows[] = {
	{ "http://127.0.0.1:4590", NULL, NULL,
	  "ws://127.0.0.1:4590/events", "http://127.0.0.1:4590/whip" },
	{ "https://stage.example.test:8443", NULL, NULL,
	  "wss://stage.example.test:8443/events", "https://stage.example.test:8443/whip" },
	{ "https://stage.example.test/", NULL, NULL,
	  "wss://stage.example.test/events", "https://stage.example.test/whip" },
	{ "http://[::1]:9", NULL, NULL, "ws://[::1]:9/events", "http://[::1]:9/whip" },
	{ "https://x.test", "wss://e.{region}/{account}/{id}", NULL,
	  "wss://e.us-west-2/111122223333/AbCdEfGhIjKl", "https://x.test/whip" },
	{ "https://x.test", NULL, "https://{hex}.w.test/{unknown}",
	  "wss://x.test/events", "https://{hex}.w.test/{unknown}" },
};

static void
test_endpoints_from_public_url_and_templates(void **state)
{
	struct stage_rec st;
	struct config cfg;
	struct endpoint_vars v;
	char got[ENDPOINT_URL_BYTES], want[ENDPOINT_URL_BYTES], *hex;
	size_t i;

	(void)state;
	memset(&st, 0, sizeof(st));
	snprintf(st.id, sizeof(st.id), "AbCdEfGhIjKl");
	snprintf(st.account, sizeof(st.account), "111122223333");
	snprintf(st.region, sizeof(st.region), "us-west-2");
	snprintf(st.arn, sizeof(st.arn), "arn:aws:ivs:us-west-2:111122223333:stage/AbCdEfGhIjKl");
	endpoint_vars(&st, &v);
	for (i = 0; i < sizeof(endpoint_rows) / sizeof(endpoint_rows[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.public_url = endpoint_rows[i].public_url;
		cfg.endpoint[ENDPOINT_EVENTS] = endpoint_rows[i].events_tmpl;
		cfg.endpoint[ENDPOINT_WHIP] = endpoint_rows[i].whip_tmpl;
		assert_int_equal(endpoint_url(&cfg, ENDPOINT_EVENTS, &v, got, sizeof(got)), 0);
		assert_string_equal(got, endpoint_rows[i].events);
		assert_int_equal(endpoint_url(&cfg, ENDPOINT_WHIP, &v, got, sizeof(got)), 0);
		snprintf(want, sizeof(want), "%s", endpoint_rows[i].whip);
		if ((hex = strstr(want, "{hex}")) != NULL) {
			memmove(hex + 12, hex + 5, strlen(hex + 5) + 1);
			memcpy(hex, v.hex, 12);
		}
		assert_string_equal(got, want);
	}
	/* a result that does not fit is refused, not cut */
	cfg.public_url = "https://stage.example.test:8443";
	cfg.endpoint[ENDPOINT_EVENTS] = NULL;
	assert_int_equal(endpoint_url(&cfg, ENDPOINT_EVENTS, &v, got, 20), -1);
	assert_int_equal(endpoint_url(&cfg, ENDPOINT_EVENTS, &v, got,
	    strlen("wss://stage.example.test:8443/events") + 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_urls),
		cmocka_unit_test(test_a_long_public_url_is_refused),
		cmocka_unit_test(test_endpoints_from_public_url_and_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
