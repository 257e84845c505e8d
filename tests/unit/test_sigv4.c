/* SigV4 Authorization header parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "aws/sigv4.h"

#define SIG "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

struct row {
	const char *header;
	enum err_code want;
	const char *msg;
};

static const struct row rows[] = {
	{ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivs/aws4_request, "
	  "SignedHeaders=host;x-amz-date, Signature=" SIG, ERR_OK, NULL },
	{ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivs/aws4_request,"
	  "SignedHeaders=host;x-amz-date,Signature=" SIG, ERR_OK, NULL },
	{ NULL, ERR_MISSING_AUTH, "Missing Authentication Token" },
	{ "", ERR_MISSING_AUTH, NULL },
	{ "Bearer abc", ERR_INCOMPLETE_SIG, "AWS4-HMAC-SHA256" },
	{ "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" SIG, ERR_INCOMPLETE_SIG, "'Credential'" },
	{ "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/ivs/aws4_request, Signature=" SIG,
	  ERR_INCOMPLETE_SIG, "'SignedHeaders'" },
	{ "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/ivs/aws4_request, SignedHeaders=host",
	  ERR_INCOMPLETE_SIG, "'Signature'" },
	{ "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/ivs, SignedHeaders=host, Signature=" SIG,
	  ERR_INCOMPLETE_SIG, "region" },
	{ "AWS4-HMAC-SHA256 Credential=A/2015083/us-east-1/ivs/aws4_request, SignedHeaders=host, Signature=" SIG,
	  ERR_INCOMPLETE_SIG, "YYYYMMDD" },
	{ "AWS4-HMAC-SHA256 Credential=A/20150830/US_EAST/ivs/aws4_request, SignedHeaders=host, Signature=" SIG,
	  ERR_INCOMPLETE_SIG, "region" },
	{ "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/ivs/aws4_request, SignedHeaders=host, Signature=abc",
	  ERR_INCOMPLETE_SIG, "64 hex" },
	{ "AWS4-HMAC-SHA256 Credential", ERR_INCOMPLETE_SIG, "without '='" },
};

static void
test_rows(void **state)
{
	struct sigv4_auth a;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		e.msg[0] = '\0';
		enum err_code rc = sigv4_parse(rows[i].header, &a, &e);
		if (rc != rows[i].want || (rows[i].msg && strstr(e.msg, rows[i].msg) == NULL))
			fail_msg("row %zu: got %d '%s'", i, rc, e.msg);
	}
}

static void
test_fields(void **state)
{
	struct sigv4_auth a;
	struct err e;

	(void)state;
	assert_int_equal(sigv4_parse(rows[0].header, &a, &e), ERR_OK);
	assert_string_equal(a.access_key, "AKIDEXAMPLE");
	assert_string_equal(a.date, "20150830");
	assert_string_equal(a.region, "us-east-1");
	assert_string_equal(a.service, "ivs");
	assert_string_equal(a.signed_headers, "host;x-amz-date");
	assert_string_equal(a.signature, SIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
