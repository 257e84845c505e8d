/* SigV4 Authorization header parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "aws/sigv4.h"
#include "crypto/ids.h"

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

/* AWS's published SigV4 test suite ("aws-sig-v4-test-suite"): every case
 * signs with these credentials, date, region and service, over a request
 * to example.amazonaws.com. */
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct vector {
	const char *name, *method, *path, *query;
	struct sigv4_header headers[6];	/* besides Host and X-Amz-Date */
	const char *body, *signed_headers, *signature;
};

static const struct vector vectors[] = {
	{ "get-vanilla", "GET", "/", "", { { NULL, NULL } }, "", "host;x-amz-date",
	  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-unreserved", "GET",
	  "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "",
	  { { NULL, NULL } }, "", "host;x-amz-date",
	  "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
	{ "get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1",
	  { { NULL, NULL } }, "", "host;x-amz-date",
	  "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1",
	  { { NULL, NULL } }, "", "host;x-amz-date",
	  "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
	{ "get-vanilla-utf8-query", "GET", "/", "%E1%88%B4=bar", { { NULL, NULL } }, "",
	  "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
	{ "get-header-value-order", "GET", "/", "",
	  { { "My-Header1", "value4" }, { "My-Header1", "value1" }, { "My-Header1", "value3" },
	    { "My-Header1", "value2" } }, "", "host;my-header1;x-amz-date",
	  "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
	{ "get-header-key-duplicate", "GET", "/", "",
	  { { "My-Header1", "value2" }, { "My-Header1", "value2" }, { "My-Header1", "value1" } },
	  "", "host;my-header1;x-amz-date",
	  "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ "get-header-value-trim", "GET", "/", "",
	  { { "My-Header1", " value1" }, { "My-Header2", "\"a   b   c\"" } }, "",
	  "host;my-header1;my-header2;x-amz-date",
	  "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ "post-x-www-form-urlencoded", "POST", "/", "",
	  { { "Content-Type", "application/x-www-form-urlencoded" } }, "Param1=value1",
	  "content-type;host;x-amz-date",
	  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
	{ "get-vanilla-with-session-token", "GET", "/", "",
	  { { "X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267" } },
	  "", "host;x-amz-date;x-amz-security-token",
	  "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8" },
};

static void
test_suite_vectors(void **state)
{
	struct sigv4_header hs[8];
	struct sigv4_request r;
	struct sigv4_auth a;
	struct buf creq, sts;
	unsigned char key[32];
	char hash[65], sig[65];
	size_t i, n;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.date, "20150830");
	strcpy(a.region, "us-east-1");
	strcpy(a.service, "service");
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		hs[0].name = "Host";
		hs[0].value = "example.amazonaws.com";
		hs[1].name = "X-Amz-Date";
		hs[1].value = SUITE_DATE;
		for (n = 0; n < 6 && v->headers[n].name; n++)
			hs[2 + n] = v->headers[n];
		sigv4_sha256_hex(v->body, strlen(v->body), hash);
		r.method = v->method;
		r.path = v->path;
		r.query = v->query;
		r.headers = hs;
		r.n_headers = 2 + n;
		r.payload_hash = hash;
		buf_init(&creq, 0);
		buf_init(&sts, 0);
		assert_int_equal(sigv4_canonical_request(&r, v->signed_headers, &creq), 0);
		sigv4_string_to_sign(SUITE_DATE, &a, buf_cstr(&creq), creq.len, &sts);
		sigv4_signing_key(SUITE_SECRET, a.date, a.region, a.service, key);
		sigv4_signature(key, buf_cstr(&sts), sts.len, sig);
		if (strcmp(sig, v->signature) != 0)
			fail_msg("%s: signature %s, canonical request:\n%s", v->name, sig, buf_cstr(&creq));
		buf_free(&creq);
		buf_free(&sts);
	}
}

/* The suite's 2011 edition, as botocore carries it: paths that need
 * encoding arrive encoded and sign double-encoded, as a server sees them. */
static void
test_encoded_path_vectors(void **state)
{
	static const struct {
		const char *path, *creq_uri, *signature;
	} paths[] = {
		{ "/%20/foo", "/%2520/foo",	/* get-space */
		  "2be9e587d1ee1f0fd02128724b86b4358ba3630d39f493b6e06610a19a50779e" },
		{ "/%E1%88%B4", "/%25E1%2588%25B4",	/* get-utf8 */
		  "57b1eb3df3b16a8479c0097b66c0b261cfd65b829419a3f2c3d05319722490b8" },
	};
	struct sigv4_header hs[] = { { "Date", "Mon, 09 Sep 2011 23:36:00 GMT" },
	    { "Host", "host.foo.com" } };
	struct sigv4_request r = { "GET", NULL, "", hs, 2, EMPTY_HASH };
	struct sigv4_auth a;
	struct buf creq, sts;
	unsigned char key[32];
	char sig[65];
	size_t i;

	(void)state;
	memset(&a, 0, sizeof(a));
	strcpy(a.date, "20110909");
	strcpy(a.region, "us-east-1");
	strcpy(a.service, "host");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r.path = paths[i].path;
		buf_init(&creq, 0);
		buf_init(&sts, 0);
		assert_int_equal(sigv4_canonical_request(&r, "date;host", &creq), 0);
		assert_non_null(strstr(buf_cstr(&creq), paths[i].creq_uri));
		sigv4_string_to_sign("20110909T233600Z", &a, buf_cstr(&creq), creq.len, &sts);
		sigv4_signing_key(SUITE_SECRET, a.date, a.region, a.service, key);
		sigv4_signature(key, buf_cstr(&sts), sts.len, sig);
		assert_string_equal(sig, paths[i].signature);
		buf_free(&creq);
		buf_free(&sts);
	}
}

/* The suite's published canonical request of get-vanilla, line by line. */
static void
test_canonical_request_text(void **state)
{
	struct sigv4_header hs[] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } };
	struct sigv4_request r = { "GET", "/", "", hs, 2, EMPTY_HASH };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(sigv4_canonical_request(&r, "host;x-amz-date", &b), 0);
	assert_string_equal(buf_cstr(&b), "GET\n/\n\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_HASH);
	buf_free(&b);
}

/* Header values in the canonical request: trimmed, runs of blanks folded
 * to one space, a lone tab read as a space, repeats joined by commas. */
static void
test_canonical_header_values(void **state)
{
	static const struct {
		const char *value, *want;
	} values[] = {
		{ "plain", "plain" },
		{ "  padded\t ", "padded" },
		{ "a  b", "a b" },
		{ "a \t b", "a b" },
		{ "a\tb", "a b" },
		{ "a\t\tb c   d", "a b c d" },
		{ "", "" },
		{ " \t ", "" },
		{ "x y", "x y" },
	};
	struct sigv4_header hs[2] = { { "X-Test", NULL }, { "x-test", "second" } };
	struct sigv4_request r = { "GET", "/", "", hs, 2, EMPTY_HASH };
	char want[128];
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		hs[0].value = values[i].value;
		buf_init(&b, 0);
		assert_int_equal(sigv4_canonical_request(&r, "x-test", &b), 0);
		snprintf(want, sizeof(want), "GET\n/\n\nx-test:%s,second\n\nx-test\n" EMPTY_HASH,
		    values[i].want);
		assert_string_equal(buf_cstr(&b), want);
		buf_free(&b);
	}
}

struct text_row {
	const char *in, *out;
};

static void
test_canonical_uri_and_query(void **state)
{
	/* the raw path as received; AWS clients encode it once more (all but S3) */
	static const struct text_row uris[] = {
		{ "/", "/" }, { "", "/" }, { "/CreateStage", "/CreateStage" },
		{ "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2FabcDEF",
		  "/tags/arn%253Aaws%253Aivs%253Aus-east-1%253A123456789012%253Astage%252FabcDEF" },
		{ "/a b", "/a%20b" },
	};
	static const struct text_row queries[] = {
		{ "", "" },
		{ "Param2=value2&Param1=value1", "Param1=value1&Param2=value2" },
		{ "tagKeys=b&tagKeys=a%20c", "tagKeys=a%20c&tagKeys=b" },
		{ "q=a+b", "q=a%2Bb" },
		{ "b&a=1", "a=1&b=" },
		{ "a=1=2", "a=1%3D2" },
		{ "x=a.b&x=a%2Fb", "x=a%2Fb&x=a.b" },
		{ "%e1%88%b4=bar", "%E1%88%B4=bar" },
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		buf_init(&b, 0);
		sigv4_canonical_uri(uris[i].in, &b);
		assert_string_equal(buf_cstr(&b), uris[i].out);
		buf_free(&b);
	}
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(sigv4_canonical_query(queries[i].in, &b), 0);
		assert_string_equal(buf_cstr(&b), queries[i].out);
		buf_free(&b);
	}
	buf_init(&b, 0);
	assert_int_equal(sigv4_canonical_query("a=%zz", &b), -1);
	buf_free(&b);
}

/* The derived key of AWS's documentation example (IAM, 20150830, us-east-1). */
static void
test_signing_key(void **state)
{
	unsigned char key[32];
	char hex[65];

	(void)state;
	sigv4_signing_key(SUITE_SECRET, "20150830", "us-east-1", "iam", key);
	ids_hex(key, 32, hex);
	assert_string_equal(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

/* A signed header is a whole name of the list, never a substring. */
static void
test_signs_header(void **state)
{
	static const struct {
		const char *list;
		int want;
	} lists[] = {
		{ "host;x-amz-date", 1 }, { "content-type;host;x-amz-date", 1 }, { "x-amz-date;host", 1 },
		{ "host", 1 }, { "Host;x-amz-date", 1 },
		{ "x-amz-date;x-ghost", 0 }, { "hostx", 0 }, { "x-host", 0 }, { "hos", 0 },
		{ "host-name;x-amz-date", 0 }, { ";;", 0 }, { "", 0 }, { "x-amz-date;hostx;xhost", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (sigv4_signs_header(lists[i].list, "host") != lists[i].want)
			fail_msg("'%s': want %d", lists[i].list, lists[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_signs_header),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_suite_vectors),
		cmocka_unit_test(test_encoded_path_vectors),
		cmocka_unit_test(test_canonical_request_text),
		cmocka_unit_test(test_canonical_header_values),
		cmocka_unit_test(test_canonical_uri_and_query),
		cmocka_unit_test(test_signing_key),
	};

	return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
