/* Validator: one row per constraint kind, checked on real model shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "aws/shapes.h"
#include "aws/validate.h"
#include "util/buf.h"
#include "util/utf8.h"

struct row {
	const char *shape;
	const char *json;
	enum err_code want;
	const char *msg;	/* substring the message must contain; NULL: any */
};

#define ARN "\"arn:aws:ivs:us-east-1:123456789012:stage/abc\""
#define MUST_NOT_BE_NULL "failed to satisfy constraint: Member must not be null"

static const struct row rows[] = {
	{ "CreateStageRequest", "{}", ERR_OK, NULL },
	{ "CreateStageRequest", "{\"name\":\"ok-name_1\",\"unknownMember\":5}", ERR_OK, NULL },
	{ "CreateStageRequest", "{\"name\":\"my stage!\"}", ERR_VALIDATION,
	  "1 validation error detected: Value 'my stage!' at 'name' failed to satisfy "
	  "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]*" },
	{ "CreateStageRequest", "{\"name\":\"ab\\nc\"}", ERR_VALIDATION, "regular expression" },
	{ "CreateStageRequest", "{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	  ERR_VALIDATION, "at 'name' failed to satisfy constraint: Member must have length less than or equal to 128" },
	{ "CreateStageRequest", "{\"name\":5}", ERR_SERIALIZATION, "Expected a string at 'name'" },
	{ "CreateStageRequest", "{\"tags\":{\"\":\"v\"}}", ERR_VALIDATION,
	  "at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
	  "[Member must have length greater than or equal to 1]" },
	{ "CreateStageRequest", "{\"autoParticipantRecordingConfiguration\":{}}", ERR_VALIDATION,
	  "Value null at 'autoParticipantRecordingConfiguration.storageConfigurationArn' "
	  "failed to satisfy constraint: Member must not be null" },
	{ "CreateStageRequest", "{\"autoParticipantRecordingConfiguration\":{\"storageConfigurationArn\":\"\","
	  "\"mediaTypes\":[\"VIDEO\"]}}", ERR_VALIDATION,
	  "at 'autoParticipantRecordingConfiguration.mediaTypes' failed to satisfy constraint: "
	  "Member must satisfy constraint: [Member must satisfy enum value set: [AUDIO_VIDEO, AUDIO_ONLY, NONE]]" },
	{ "CreateStageRequest", "{\"autoParticipantRecordingConfiguration\":{\"storageConfigurationArn\":\"\","
	  "\"hlsConfiguration\":{\"targetSegmentDurationSeconds\":11}}}", ERR_VALIDATION,
	  "Value '11' at 'autoParticipantRecordingConfiguration.hlsConfiguration.targetSegmentDurationSeconds' "
	  "failed to satisfy constraint: Member must have value less than or equal to 10" },
	{ "CreateStageRequest", "{\"autoParticipantRecordingConfiguration\":{\"storageConfigurationArn\":\"x\","
	  "\"recordingReconnectWindowSeconds\":-1}}", ERR_VALIDATION, "2 validation errors detected: " },
	{ "CreateStageRequest", "{\"participantTokenConfigurations\":[{\"duration\":0}]}", ERR_VALIDATION,
	  "at 'participantTokenConfigurations.1.member.duration' failed to satisfy constraint: "
	  "Member must have value greater than or equal to 1" },
	{ "ListStagesRequest", "{\"maxResults\":0}", ERR_VALIDATION,
	  "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1" },
	{ "ListStagesRequest", "{\"maxResults\":1.5}", ERR_SERIALIZATION, "maxResults" },
	{ "ListStagesRequest", "{\"maxResults\":4294967296}", ERR_SERIALIZATION, "32-bit" },
	{ "ListStagesRequest", "{\"nextToken\":\"a b\"}", ERR_VALIDATION, "at 'nextToken'" },
	{ "GetStageRequest", "{}", ERR_VALIDATION, "Value null at 'arn'" },
	{ "GetStageRequest", "{\"arn\":\"\"}", ERR_VALIDATION, "2 validation errors" },
	{ "GetStageRequest", "{\"arn\":\"arn:aws:ivs:us-east-1:123456789012:stage/abc\"}", ERR_OK, NULL },
	{ "GetStageRequest", "{\"arn\":\"xarn:aws:ivs:us-east-1:123456789012:stage/abc\"}", ERR_VALIDATION,
	  "regular expression pattern" },
	{ "GetStageRequest", "{\"arn\":\"arn:aws:ivs:us-east-1:123456789012:stage/abc/\"}", ERR_VALIDATION,
	  "regular expression pattern" },
	{ "UpdateStageRequest", "{\"arn\":\"arn:aws:ivs:us-east-1:1:stage/a\",\"autoParticipantRecordingConfiguration\":"
	  "{\"storageConfigurationArn\":\"arn:aws:ivs:us-east-1:1:stage/x\"}}", ERR_VALIDATION,
	  "at 'autoParticipantRecordingConfiguration.storageConfigurationArn'" },
	{ "CreateStageRequest", "{\"tags\":{\"k\":5}}", ERR_SERIALIZATION, "at 'tags.k'" },
	/* spec/ mends ResourceArn's pattern (tools/strip_model.py ERRATA): real ARNs pass */
	{ "TagResourceRequest", "{\"resourceArn\":\"arn:aws:ivs:us-east-1:123456789012:stage/a1\","
	  "\"tags\":{}}", ERR_OK, NULL },
	{ "ListTagsForResourceRequest", "{\"resourceArn\":\"arn:aws:ivs:us-east-1:123456789012:"
	  "storage-configuration/a1\"}", ERR_OK, NULL },
	{ "ListTagsForResourceRequest", "{\"resourceArn\":\"arn:aws:ivs:us-east-1:1:stage\"}",
	  ERR_VALIDATION, "at 'resourceArn'" },
};

/* Rows about null, with the object the walk must leave behind: a null
 * structure member is deleted, as absent; a null in a list or map stays
 * and is a violation. */
static const struct null_row {
	const char *shape, *json;
	enum err_code want;
	const char *msg;	/* substring the message must contain; NULL: any */
	const char *after;	/* the object once validated; NULL: not checked */
} null_rows[] = {
	{ "CreateStageRequest", "{\"name\":null}", ERR_OK, NULL, "{}" },
	{ "CreateStageRequest", "{\"name\":null,\"tags\":null,\"participantTokenConfigurations\":null,"
	  "\"autoParticipantRecordingConfiguration\":null,\"x\":null}", ERR_OK, NULL, "{}" },
	{ "CreateStageRequest", "{\"tags\":{\"k\":null}}", ERR_VALIDATION,
	  "1 validation error detected: Value null at 'tags.k' " MUST_NOT_BE_NULL, NULL },
	{ "CreateStageRequest", "{\"tags\":{\"a\":\"1\",\"k\":null,\"z\":null}}", ERR_VALIDATION,
	  "2 validation errors detected", NULL },
	{ "CreateStageRequest", "{\"participantTokenConfigurations\":[null]}", ERR_VALIDATION,
	  "Value null at 'participantTokenConfigurations.1.member' " MUST_NOT_BE_NULL, NULL },
	{ "CreateStageRequest", "{\"participantTokenConfigurations\":[{},null]}", ERR_VALIDATION,
	  "Value null at 'participantTokenConfigurations.2.member' " MUST_NOT_BE_NULL, NULL },
	{ "CreateStageRequest", "{\"participantTokenConfigurations\":[{\"capabilities\":[null]}]}", ERR_VALIDATION,
	  "Value null at 'participantTokenConfigurations.1.member.capabilities.1.member' " MUST_NOT_BE_NULL, NULL },
	{ "CreateStageRequest", "{\"participantTokenConfigurations\":[{\"attributes\":{\"a\":null}}]}",
	  ERR_VALIDATION, "Value null at 'participantTokenConfigurations.1.member.attributes.a' " MUST_NOT_BE_NULL, NULL },
	{ "CreateStageRequest", "{\"participantTokenConfigurations\":[{\"userId\":null,\"duration\":null,"
	  "\"capabilities\":null,\"attributes\":null}]}", ERR_OK, NULL, "{\"participantTokenConfigurations\":[{}]}" },
	{ "CreateStageRequest", "{\"autoParticipantRecordingConfiguration\":{\"storageConfigurationArn\":null}}",
	  ERR_VALIDATION, "Value null at 'autoParticipantRecordingConfiguration.storageConfigurationArn' "
	  MUST_NOT_BE_NULL, NULL },
	{ "CreateStageRequest", "{\"autoParticipantRecordingConfiguration\":{\"storageConfigurationArn\":\"\","
	  "\"mediaTypes\":[\"AUDIO_ONLY\",null],\"hlsConfiguration\":null}}", ERR_VALIDATION,
	  "Value null at 'autoParticipantRecordingConfiguration.mediaTypes.2.member' " MUST_NOT_BE_NULL, NULL },
	{ "UpdateStageRequest", "{\"arn\":" ARN ",\"name\":null}", ERR_OK, NULL, "{\"arn\":" ARN "}" },
	{ "UpdateStageRequest", "{\"arn\":null,\"name\":\"n\"}", ERR_VALIDATION, "Value null at 'arn' " MUST_NOT_BE_NULL, NULL },
	{ "CreateParticipantTokenRequest", "{\"stageArn\":" ARN ",\"duration\":null,\"userId\":null,"
	  "\"capabilities\":null,\"attributes\":null}", ERR_OK, NULL, "{\"stageArn\":" ARN "}" },
	{ "CreateParticipantTokenRequest", "{\"stageArn\":" ARN ",\"capabilities\":[\"PUBLISH\",null]}",
	  ERR_VALIDATION, "Value null at 'capabilities.2.member' " MUST_NOT_BE_NULL, NULL },
	{ "CreateParticipantTokenRequest", "{\"stageArn\":" ARN ",\"attributes\":{\"a\":null}}",
	  ERR_VALIDATION, "Value null at 'attributes.a' " MUST_NOT_BE_NULL, NULL },
	{ "TagResourceRequest", "{\"resourceArn\":" ARN ",\"tags\":{\"k\":null}}", ERR_VALIDATION,
	  "Value null at 'tags.k' " MUST_NOT_BE_NULL, NULL },
	{ "TagResourceRequest", "{\"resourceArn\":" ARN ",\"tags\":null}", ERR_VALIDATION,
	  "Value null at 'tags' " MUST_NOT_BE_NULL, "{\"resourceArn\":" ARN "}" },
	{ "CreateStorageConfigurationRequest", "{\"s3\":{\"bucketName\":\"b\"},\"tags\":{\"k\":null}}",
	  ERR_VALIDATION, "Value null at 'tags.k' " MUST_NOT_BE_NULL, NULL },
	{ "CreateStorageConfigurationRequest", "{\"s3\":{\"bucketName\":null}}", ERR_VALIDATION,
	  "Value null at 's3.bucketName' " MUST_NOT_BE_NULL, "{\"s3\":{}}" },
	{ "cc.CreateResourceInput", "{\"TypeName\":\"AWS::IVS::Stage\",\"DesiredState\":\"{}\","
	  "\"ClientToken\":null,\"RoleArn\":null}", ERR_OK, NULL,
	  "{\"TypeName\":\"AWS::IVS::Stage\",\"DesiredState\":\"{}\"}" },
	{ "cc.UpdateResourceInput", "{\"TypeName\":\"AWS::IVS::Stage\",\"Identifier\":\"x\","
	  "\"PatchDocument\":null}", ERR_VALIDATION, "Value null at 'PatchDocument' " MUST_NOT_BE_NULL, NULL },
};

static void
test_rows(void **state)
{
	struct err e;
	json_error_t je;
	json_t *v;
	size_t i;
	int shape;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		shape = shape_find(rows[i].shape);
		assert_true(shape >= 0);
		v = json_loads(rows[i].json, 0, &je);
		assert_non_null(v);
		e.code = ERR_OK;
		e.msg[0] = '\0';
		enum err_code rc = validate_input(shape, v, &e);
		if (rc != rows[i].want || (rows[i].msg && strstr(e.msg, rows[i].msg) == NULL))
			fail_msg("row %zu (%s): got %d '%s'", i, rows[i].json, rc, e.msg);
		json_decref(v);
	}
}

static void
test_nulls(void **state)
{
	const struct null_row *r;
	struct err e;
	json_error_t je;
	json_t *v, *want;
	char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(null_rows) / sizeof(null_rows[0]); i++) {
		r = &null_rows[i];
		assert_true(shape_find(r->shape) >= 0);
		v = json_loads(r->json, 0, &je);
		assert_non_null(v);
		e.msg[0] = '\0';
		enum err_code rc = validate_input(shape_find(r->shape), v, &e);
		if (rc != r->want || (r->msg && strstr(e.msg, r->msg) == NULL))
			fail_msg("null row %zu (%s): got %d '%s'", i, r->json, rc, e.msg);
		if (r->after != NULL) {
			want = json_loads(r->after, 0, &je);
			assert_non_null(want);
			got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
			if (!json_equal(v, want))
				fail_msg("null row %zu (%s): left %s, want %s", i, r->json, got, r->after);
			free(got);
			json_decref(want);
		}
		json_decref(v);
	}
}

static void
test_utf16_length(void **state)
{
	struct buf;
	char json[1024] = "{\"name\":\"";
	json_t *v;
	struct err e;
	int i, shape = shape_find("StageName");

	(void)state;
	/* U+1F600 counts as two units: 64 of them are 128 units (ok), 65 are not.
	 * StageName's pattern refuses them anyway, so check the length message. */
	for (i = 0; i < 65; i++)
		strcat(json, "\xF0\x9F\x98\x80");
	strcat(json, "\"}");
	v = json_loads(json, 0, NULL);
	assert_non_null(v);
	assert_int_equal(validate_input(shape_find("CreateStageRequest"), v, &e), ERR_VALIDATION);
	assert_non_null(strstr(e.msg, "length less than or equal to 128"));
	json_decref(v);
	assert_true(validate_pattern(shape, "abc-_", 5));
	assert_false(validate_pattern(shape, "abc def", 7));
}

/* A Value '...' excerpt is cut at LIMIT_VALUE_EXCERPT bytes, never
 * inside a character: the message stays valid UTF-8 whatever the offset. */
static void
test_excerpt_cut_on_a_character(void **state)
{
	static const char *const chars[] = { "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80" };
	struct buf json, clean;
	struct err e;
	json_t *v;
	size_t c;
	int lead, i;

	(void)state;
	for (c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
		for (lead = 0; lead < 4; lead++) {
			buf_init(&json, 0);
			buf_puts(&json, "{\"name\":\"");
			for (i = 0; i < lead; i++)
				buf_puts(&json, "a");
			for (i = 0; i < 200; i++)
				buf_puts(&json, chars[c]);
			buf_puts(&json, "\"}");
			v = json_loads(buf_cstr(&json), 0, NULL);
			assert_non_null(v);
			assert_int_equal(validate_input(shape_find("CreateStageRequest"), v, &e),
			    ERR_VALIDATION);
			buf_init(&clean, 0);
			utf8_sanitize(e.msg, strlen(e.msg), &clean);
			if (strcmp(buf_cstr(&clean), e.msg) != 0)
				fail_msg("char %zu, lead %d: message is not valid UTF-8: %s", c, lead, e.msg);
			assert_non_null(strstr(e.msg, "at 'name' failed"));
			buf_free(&clean);
			buf_free(&json);
			json_decref(v);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_utf16_length),
		cmocka_unit_test(test_excerpt_cut_on_a_character),
	};
	struct err e;

	if (validate_init(&e) != ERR_OK)
		return 1;
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
