/* JSON Patch: RFC 6902 Appendix A, then copy, atomicity and bad pointers.
 * A row with want NULL must fail and leave the document as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "limits.h"
#include "util/buf.h"
#include "util/jsonpatch.h"

struct row {
	const char *name, *doc, *patch, *want;
};

static const struct row rows[] = {
	{ "A.1 add an object member", "{\"foo\":\"bar\"}",
	  "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", "{\"baz\":\"qux\",\"foo\":\"bar\"}" },
	{ "A.2 add an array element", "{\"foo\":[\"bar\",\"baz\"]}",
	  "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}" },
	{ "A.3 remove an object member", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
	  "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}" },
	{ "A.4 remove an array element", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
	  "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}" },
	{ "A.5 replace a value", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
	  "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", "{\"baz\":\"boo\",\"foo\":\"bar\"}" },
	{ "A.6 move a value", "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
	  "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
	  "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}" },
	{ "A.7 move an array element", "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
	  "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
	  "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}" },
	{ "A.8 test, success", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
	  "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
	  "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}" },
	{ "A.9 test, error", "{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL },
	{ "A.10 add a nested member object", "{\"foo\":\"bar\"}",
	  "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
	  "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}" },
	{ "A.11 ignore unrecognised members", "{\"foo\":\"bar\"}",
	  "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]", "{\"foo\":\"bar\",\"baz\":\"qux\"}" },
	{ "A.12 add to a nonexistent target", "{\"foo\":\"bar\"}",
	  "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", NULL },
	{ "A.14 ~ escape ordering", "{\"/\":9,\"~1\":10}",
	  "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", "{\"/\":9,\"~1\":10}" },
	{ "A.15 strings are not numbers", "{\"/\":9,\"~1\":10}",
	  "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", NULL },
	{ "A.16 add an array value", "{\"foo\":[\"bar\"]}",
	  "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]", "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}" },
	{ "copy", "{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]",
	  "{\"a\":{\"b\":1},\"c\":{\"b\":1}}" },
	{ "replace the whole document", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]" },
	{ "escaped slash", "{\"a/b\":1}", "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":2}]", "{\"a/b\":2}" },
	{ "all or nothing", "{\"a\":1}",
	  "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"remove\",\"path\":\"/zz\"}]", NULL },
	{ "move into itself", "{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", NULL },
	{ "replace a missing member", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":2}]", NULL },
	{ "remove past the array end", "{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]", NULL },
	{ "leading zero index", "{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/01\"}]", NULL },
	{ "pointer without a slash", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"a\"}]", NULL },
	{ "bad escape", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/~2\"}]", NULL },
	{ "unknown op", "{\"a\":1}", "[{\"op\":\"merge\",\"path\":\"/a\",\"value\":2}]", NULL },
	{ "value missing", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\"}]", NULL },
	{ "not an array", "{\"a\":1}", "{\"op\":\"remove\",\"path\":\"/a\"}", NULL },
};

static void
test_rows(void **state)
{
	json_t *doc, *before, *patch, *want;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		doc = json_loads(rows[i].doc, JSON_DECODE_ANY, NULL);
		patch = json_loads(rows[i].patch, JSON_DECODE_ANY, NULL);
		assert_non_null(doc);
		assert_non_null(patch);
		before = json_deep_copy(doc);
		e.msg[0] = '\0';
		enum err_code rc = jsonpatch_apply(&doc, patch, &e);
		if (rows[i].want == NULL) {
			if (rc != ERR_VALIDATION || !json_equal(doc, before))
				fail_msg("%s: should fail and change nothing (rc %d)", rows[i].name, rc);
			assert_true(strlen(e.msg) > 0);
		} else {
			want = json_loads(rows[i].want, JSON_DECODE_ANY, NULL);
			if (rc != ERR_OK || !json_equal(doc, want))
				fail_msg("%s: rc %d, %s", rows[i].name, rc, e.msg);
			json_decref(want);
		}
		json_decref(before);
		json_decref(doc);
		json_decref(patch);
	}
}

/* Bounds: patches that would grow the document past
 * LIMIT_PATCH_DOCUMENT_BYTES or copy past LIMIT_PATCH_COPY_BYTES, each
 * refused (ok 0) within 500 ms (unbounded, the worst take seconds and
 * gigabytes), beside similar ones within the bounds. A row's patch is op
 * repeated n times, "%d" in it standing for the index; big is the size of
 * the string at /big in the document ("a" * big), and value_big the size
 * of the string "%s" stands for. */
struct bound_row {
	const char *name, *op;
	int n, ok;
	size_t big, value_big;
};

static const struct bound_row bound_rows[] = {
	{ "24 copies of the root", "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/x%d\"}", 24, 0, 10, 0 },
	{ "18 copies of the root of a tiny document", "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/x%d\"}", 18, 0, 0, 0 },
	{ "4 copies of the root", "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/x%d\"}", 4, 1, 10, 0 },
	{ "copies of a large subtree", "{\"op\":\"copy\",\"from\":\"/big\",\"path\":\"/c%d\"}", 10, 0, 30000, 0 },
	{ "one copy of a large subtree", "{\"op\":\"copy\",\"from\":\"/big\",\"path\":\"/c%d\"}", 1, 1, 30000, 0 },
	{ "copy and remove, over and over", "{\"op\":\"copy\",\"from\":\"/big\",\"path\":\"/c\"},"
	  "{\"op\":\"remove\",\"path\":\"/c\"}", 40, 0, 60000, 0 },
	{ "moves of a large subtree do not grow it", "{\"op\":\"move\",\"from\":\"/big\",\"path\":\"/m\"},"
	  "{\"op\":\"move\",\"from\":\"/m\",\"path\":\"/big\"}", 200, 1, 100000, 0 },
	{ "add large values", "{\"op\":\"add\",\"path\":\"/a%d\",\"value\":\"%s\"}", 5, 0, 10, 40000 },
	{ "add a value past the limit", "{\"op\":\"add\",\"path\":\"/a%d\",\"value\":\"%s\"}", 1, 0, 10,
	  LIMIT_PATCH_DOCUMENT_BYTES },
	{ "replace with a large value", "{\"op\":\"replace\",\"path\":\"/big\",\"value\":\"%s\"}", 1, 0, 10,
	  LIMIT_PATCH_DOCUMENT_BYTES },
	{ "replace the root with a large value", "{\"op\":\"replace\",\"path\":\"\",\"value\":\"%s\"}", 1, 0, 10,
	  LIMIT_PATCH_DOCUMENT_BYTES },
	{ "replacing a large value keeps the weight", "{\"op\":\"replace\",\"path\":\"/big\",\"value\":\"%s\"}",
	  3, 1, 50000, 50000 },
	{ "add and remove frees the weight", "{\"op\":\"add\",\"path\":\"/a\",\"value\":\"%s\"},"
	  "{\"op\":\"remove\",\"path\":\"/a\"}", 3, 1, 10, 60000 },
};

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Appends tpl to b with "%d" replaced by k and "%s" by value. */
static void
expand(struct buf *b, const char *tpl, int k, const char *value)
{
	for (; *tpl; tpl++) {
		if (tpl[0] == '%' && tpl[1] == 'd') {
			buf_printf(b, "%d", k);
			tpl++;
		} else if (tpl[0] == '%' && tpl[1] == 's') {
			buf_puts(b, value);
			tpl++;
		} else {
			buf_append(b, tpl, 1);
		}
	}
}

static void
test_bounds(void **state)
{
	const struct bound_row *r;
	struct timespec t0, t1;
	struct buf text;
	json_t *doc, *patch;
	struct err e;
	char *big, *value;
	size_t i;
	int k;
	double ms;

	(void)state;
	for (i = 0; i < sizeof(bound_rows) / sizeof(bound_rows[0]); i++) {
		r = &bound_rows[i];
		big = repeat('a', r->big);
		value = repeat('v', r->value_big);
		doc = json_pack("{s:s}", "big", big);
		buf_init(&text, 0);
		buf_puts(&text, "[");
		for (k = 0; k < r->n; k++) {
			if (k > 0)
				buf_puts(&text, ",");
			expand(&text, r->op, k, value);
		}
		buf_puts(&text, "]");
		assert_false(text.truncated);
		patch = json_loads(buf_cstr(&text), 0, NULL);
		if (patch == NULL)
			fail_msg("%s: the patch does not parse", r->name);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		enum err_code rc = jsonpatch_apply(&doc, patch, &e);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (r->ok && rc != ERR_OK)
			fail_msg("%s: refused: %s", r->name, e.msg);
		if (!r->ok && (rc != ERR_VALIDATION || strstr(e.msg, "limit") == NULL))
			fail_msg("%s: rc %d, want a refusal naming the limit (%s)", r->name, rc,
			    rc ? e.msg : "");
		if (ms > 500)
			fail_msg("%s: took %.1f ms", r->name, ms);
		json_decref(doc);
		json_decref(patch);
		buf_free(&text);
		free(big);
		free(value);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests_name("jsonpatch", tests, NULL, NULL);
}
