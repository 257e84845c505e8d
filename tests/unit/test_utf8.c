/* UTF-8 boundaries and repair, and err_set's cut of a long message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

static const struct {
	const char *s;
	size_t len, want;
} boundaries[] = {
	{ "abc", 3, 3 },
	{ "a\xC3\xA9", 3, 3 },
	{ "a\xC3\xA9", 2, 1 },			/* cut after a 2-byte lead */
	{ "\xE2\x82\xAC", 2, 0 },
	{ "\xE2\x82\xAC", 1, 0 },
	{ "x\xF0\x9F\x98\x80", 4, 1 },
	{ "x\xF0\x9F\x98\x80", 5, 5 },
	{ "\x80\x80", 2, 2 },			/* stray continuations: no lead to cut at */
	{ "", 0, 0 },
};

static const struct {
	const char *in, *want;
} repairs[] = {
	{ "plain", "plain" },
	{ "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80" },
	{ "/\xFF\xFE", "/\xEF\xBF\xBD\xEF\xBF\xBD" },
	{ "a\xC3", "a\xEF\xBF\xBD" },				/* truncated */
	{ "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD" },		/* overlong */
	{ "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },	/* surrogate */
	{ "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },	/* > U+10FFFF */
};

static void
test_boundary(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]); i++)
		if (utf8_boundary(boundaries[i].s, boundaries[i].len) != boundaries[i].want)
			fail_msg("boundary row %zu: %zu, want %zu", i,
			    utf8_boundary(boundaries[i].s, boundaries[i].len), boundaries[i].want);
}

static void
test_sanitize(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(repairs) / sizeof(repairs[0]); i++) {
		buf_init(&b, 0);
		utf8_sanitize(repairs[i].in, strlen(repairs[i].in), &b);
		if (strcmp(buf_cstr(&b), repairs[i].want) != 0)
			fail_msg("repair row %zu: '%s'", i, buf_cstr(&b));
		buf_free(&b);
	}
}

/* err_set cuts a message too long for struct err on a character
 * boundary, whatever the offset of the multi-byte characters. */
static void
test_err_set_cut(void **state)
{
	static const char *const chars[] = { "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80" };
	char text[ERR_MSG_MAX * 2];
	struct buf clean;
	struct err e;
	size_t c, lead, i, n;

	(void)state;
	for (c = 0; c < 3; c++) {
		for (lead = 0; lead < 4; lead++) {
			memset(text, 'a', lead);
			for (i = lead, n = strlen(chars[c]); i + n < sizeof(text); i += n)
				memcpy(text + i, chars[c], n);
			text[i] = '\0';
			assert_int_equal(err_set(&e, ERR_VALIDATION, "%s", text), ERR_VALIDATION);
			assert_true(strlen(e.msg) > ERR_MSG_MAX - 5);
			buf_init(&clean, 0);
			utf8_sanitize(e.msg, strlen(e.msg), &clean);
			if (strcmp(buf_cstr(&clean), e.msg) != 0)
				fail_msg("char %zu, lead %zu: cut inside a character", c, lead);
			buf_free(&clean);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_err_set_cut),
	};

	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
