/* Log line formatting: text and JSON, escaping, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "core/log.h"
#include "limits.h"

/* 2024-03-05T06:07:08.009Z */
#define WHEN 1709618828009LL

static const struct log_request base = {
	.request_id = "8f7e6d5c-0000-4000-8000-000000000001",
	.remote = "127.0.0.1",
	.account = "123456789012",
	.region = "us-east-1",
	.operation = "CreateStage",
	.status = 200,
	.error = NULL,
	.message = NULL,
	.duration_ms = 3,
};

static void
test_text_request(void **state)
{
	char out[LOG_LINE_BYTES];
	struct log_request r = base;

	(void)state;
	log_format_request(LOG_FORMAT_TEXT, WHEN, &r, out, sizeof(out));
	assert_string_equal(out, "2024-03-05T06:07:08.009Z info request "
	    "request_id=8f7e6d5c-0000-4000-8000-000000000001 remote=127.0.0.1 "
	    "account=123456789012 region=us-east-1 operation=CreateStage status=200 error=- "
	    "duration_ms=3\n");
	r.status = 400;
	r.error = "ValidationException";
	r.message = "Value 'a \"b\"' at 'name' failed";
	r.account = "";
	log_format_request(LOG_FORMAT_TEXT, WHEN, &r, out, sizeof(out));
	assert_non_null(strstr(out, " account=- "));
	assert_non_null(strstr(out, " error=ValidationException duration_ms=3 "
	    "message=\"Value 'a \\\"b\\\"' at 'name' failed\"\n"));
}

struct json_row {
	const char *message;	/* becomes the message field */
	const char *want;	/* what JSON parsing gives back; NULL: message */
};

static const struct json_row json_rows[] = {
	{ "plain", NULL },
	{ "quote \" backslash \\ newline \n tab \t", NULL },
	{ "control \x01\x1f del \x7f", NULL },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa5", NULL },	/* valid UTF-8 kept */
	{ "bad \xff byte", "bad \xef\xbf\xbd byte" },		/* U+FFFD */
	{ "cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd" },
};

static void
test_json_request_escapes(void **state)
{
	char out[LOG_LINE_BYTES];
	struct log_request r = base;
	json_error_t je;
	json_t *doc;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(json_rows) / sizeof(json_rows[0]); i++) {
		r.error = "ValidationException";
		r.message = json_rows[i].message;
		n = log_format_request(LOG_FORMAT_JSON, WHEN, &r, out, sizeof(out));
		assert_int_equal(out[n - 1], '\n');
		assert_null(memchr(out, '\n', n - 1));	/* one line */
		doc = json_loadb(out, n, 0, &je);
		if (doc == NULL)
			fail_msg("row %zu: %s: %s", i, je.text, out);
		assert_string_equal(json_string_value(json_object_get(doc, "message")),
		    json_rows[i].want ? json_rows[i].want : json_rows[i].message);
		assert_string_equal(json_string_value(json_object_get(doc, "time")),
		    "2024-03-05T06:07:08.009Z");
		assert_int_equal(json_integer_value(json_object_get(doc, "status")), 200);
		assert_string_equal(json_string_value(json_object_get(doc, "operation")),
		    "CreateStage");
		json_decref(doc);
	}
}

static void
test_json_null_fields_and_long_values(void **state)
{
	static char huge[3 * LOG_LINE_BYTES];
	char out[LOG_LINE_BYTES];
	struct log_request r = base;
	json_t *doc;
	size_t n;

	(void)state;
	memset(huge, '"', sizeof(huge) - 1);	/* every byte doubles when escaped */
	r.message = huge;
	r.error = "X";
	r.account = NULL;
	r.operation = huge;
	n = log_format_request(LOG_FORMAT_JSON, WHEN, &r, out, sizeof(out));
	assert_true(n < LOG_LINE_BYTES);
	doc = json_loadb(out, n, 0, NULL);
	assert_non_null(doc);
	assert_true(json_is_null(json_object_get(doc, "account")));
	assert_true(strlen(json_string_value(json_object_get(doc, "message"))) <= LOG_VALUE_BYTES);
	json_decref(doc);
}

static void
test_messages(void **state)
{
	char out[LOG_LINE_BYTES];
	json_t *doc;

	(void)state;
	log_format_msg(LOG_FORMAT_TEXT, WHEN, LOG_WARN, "kept the credentials", out, sizeof(out));
	assert_string_equal(out, "2024-03-05T06:07:08.009Z warn rtstage: kept the credentials\n");
	log_format_msg(LOG_FORMAT_JSON, WHEN, LOG_DEBUG, "canonical\nrequest \"x\"", out,
	    sizeof(out));
	doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "level")), "debug");
	assert_string_equal(json_string_value(json_object_get(doc, "msg")), "canonical\nrequest \"x\"");
	json_decref(doc);
}

static void
test_configure(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(log_configure("json", "warn", &e), ERR_OK);
	assert_false(log_enabled(LOG_INFO));
	assert_true(log_enabled(LOG_WARN));
	assert_int_equal(log_configure("xml", NULL, &e), ERR_VALIDATION);
	assert_non_null(strstr(e.msg, "--log-format (RTSTAGE_LOG_FORMAT) must be text or json"));
	assert_int_equal(log_configure(NULL, "loud", &e), ERR_VALIDATION);
	assert_false(log_enabled(LOG_INFO));	/* a refused word changes nothing */
	assert_int_equal(log_configure("text", "info", &e), ERR_OK);
	assert_true(log_enabled(LOG_INFO));
	assert_false(log_enabled(LOG_DEBUG));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_request),
		cmocka_unit_test(test_json_request_escapes),
		cmocka_unit_test(test_json_null_fields_and_long_values),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_configure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
