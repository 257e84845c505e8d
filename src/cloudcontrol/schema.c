/* The resource schema of AWS::IVS::Stage, and the checks it implies.
 *
 * The schema (spec/schemas/, embedded at build time) is read once at
 * start. schema_check interprets the JSON Schema keywords it uses: type,
 * properties, additionalProperties, required, minLength, maxLength,
 * pattern, enum, minimum, maximum, minItems, maxItems, uniqueItems, items
 * and $ref to "#/definitions/...". Messages follow CloudFormation's
 * ("#/Name: failed validation constraint for keyword [pattern]").
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cloudcontrol/schema.h"
#include "util/buf.h"

#define MAX_PROBLEMS 5

extern const char stage_schema_json[];	/* schema_gen.c */

static json_t *schema;

enum err_code
schema_init(struct err *e)
{
	json_error_t je;

	if ((schema = json_loads(stage_schema_json, 0, &je)) == NULL)
		return err_set(e, ERR_INTERNAL, "resource schema: %s", je.text);
	return ERR_OK;
}

void
schema_fini(void)
{
	json_decref(schema);
	schema = NULL;
}

const char *
schema_type_name(void)
{
	return json_string_value(json_object_get(schema, "typeName"));
}

enum err_code
schema_check_read_only(const json_t *before, const json_t *after, struct err *e)
{
	const json_t *v, *a, *b;
	const char *prop;
	size_t i;

	json_array_foreach(json_object_get(schema, "readOnlyProperties"), i, v) {
		prop = json_string_value(v);
		if (prop == NULL || strncmp(prop, "/properties/", 12) != 0)
			continue;
		prop += 12;
		b = before ? json_object_get(before, prop) : NULL;
		a = json_object_get(after, prop);
		if ((a == NULL) != (b == NULL) || (a && !json_equal(a, b)))
			return err_set(e, ERR_VALIDATION, "Model validation failed (#/%s: "
			    "read-only property [%s] cannot be set)", prop, prop);
	}
	return ERR_OK;
}

struct check {
	struct buf msg;
	int problems;
};

static void problem(struct check *k, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct check *k, const char *path, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (++k->problems > MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_printf(&k->msg, "%s%s: %s", k->problems > 1 ? ", " : "", path, line);
}

/* The definition a "$ref" names, or s itself. */
static const json_t *
deref(const json_t *s)
{
	const char *ref = json_string_value(json_object_get(s, "$ref"));

	if (ref == NULL || strncmp(ref, "#/definitions/", 14) != 0)
		return s;
	return json_object_get(json_object_get(schema, "definitions"), ref + 14);
}

static size_t
code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* JSON Schema patterns are searched for, not matched whole (they anchor
 * themselves with ^ and $). */
static int
pattern_ok(const char *pattern, const char *s)
{
	int rc, err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
	    &err, &off, NULL);
	pcre2_match_data *md;

	if (re == NULL)
		return 1;	/* a pattern we cannot read constrains nothing */
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = md ? pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL) : 0;
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc >= 0;
}

static const char *
type_of(const json_t *v)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "JSONObject", [JSON_ARRAY] = "JSONArray",
		[JSON_STRING] = "String", [JSON_INTEGER] = "Integer", [JSON_REAL] = "Number",
		[JSON_TRUE] = "Boolean", [JSON_FALSE] = "Boolean", [JSON_NULL] = "Null",
	};
	return names[json_typeof(v)];
}

/* JSON Schema's type names, as the jansson types each admits. */
static const struct {
	const char *name;
	unsigned mask;
} types[] = {
	{ "object", 1u << JSON_OBJECT },
	{ "array", 1u << JSON_ARRAY },
	{ "string", 1u << JSON_STRING },
	{ "integer", 1u << JSON_INTEGER },
	{ "number", 1u << JSON_INTEGER | 1u << JSON_REAL },
	{ "boolean", 1u << JSON_TRUE | 1u << JSON_FALSE },
};

static int
type_ok(const char *want, const json_t *v)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, want) == 0)
			return (types[i].mask & 1u << json_typeof(v)) != 0;
	return 1;
}

static void walk(struct check *k, const json_t *s, const json_t *v, const char *path);

static void
walk_object(struct check *k, const json_t *s, const json_t *v, const char *path)
{
	const json_t *props = json_object_get(s, "properties"), *x;
	const char *key;
	char sub[512];
	size_t i;

	json_array_foreach(json_object_get(s, "required"), i, x)
		if (json_object_get(v, json_string_value(x)) == NULL)
			problem(k, path, "required key [%s] not found", json_string_value(x));
	json_object_foreach((json_t *)v, key, x) {
		const json_t *ps = json_object_get(props, key);
		if (ps == NULL) {
			if (json_is_false(json_object_get(s, "additionalProperties")))
				problem(k, path, "extraneous key [%s] is not permitted", key);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s/%s", path, key);
		walk(k, ps, x, sub);
	}
}

static void
walk_array(struct check *k, const json_t *s, const json_t *v, const char *path)
{
	const json_t *items = json_object_get(s, "items"), *x, *y;
	json_int_t min = json_integer_value(json_object_get(s, "minItems"));
	const json_t *max = json_object_get(s, "maxItems");
	char sub[512];
	size_t i, j;

	if ((json_int_t)json_array_size(v) < min)
		problem(k, path, "expected minimum item count: %s", "minItems");
	if (max && (json_int_t)json_array_size(v) > json_integer_value(max))
		problem(k, path, "expected maximum item count: %s", "maxItems");
	if (json_is_true(json_object_get(s, "uniqueItems")))
		json_array_foreach(v, i, x)
			for (j = i + 1; j < json_array_size(v); j++)
				if (json_equal(x, y = json_array_get(v, j)))
					problem(k, path, "array items are not unique (%s)", "uniqueItems");
	if (items == NULL)
		return;
	json_array_foreach(v, i, x) {
		snprintf(sub, sizeof(sub), "%s/%zu", path, i);
		walk(k, items, x, sub);
	}
}

static void
walk_scalar(struct check *k, const json_t *s, const json_t *v, const char *path)
{
	const json_t *x, *min = json_object_get(s, "minimum"), *max = json_object_get(s, "maximum");
	const char *pattern = json_string_value(json_object_get(s, "pattern"));
	const json_t *en = json_object_get(s, "enum");
	size_t i;
	int listed = 0;

	if (json_is_string(v)) {
		size_t n = code_points(json_string_value(v));
		if ((x = json_object_get(s, "minLength")) && (json_int_t)n < json_integer_value(x))
			problem(k, path, "expected minLength: %s", "minLength");
		if ((x = json_object_get(s, "maxLength")) && (json_int_t)n > json_integer_value(x))
			problem(k, path, "expected maxLength: %s", "maxLength");
		if (pattern && !pattern_ok(pattern, json_string_value(v)))
			problem(k, path, "failed validation constraint for keyword [%s]", "pattern");
	}
	if (json_is_number(v)) {
		if (min && json_number_value(v) < json_number_value(min))
			problem(k, path, "failed validation constraint for keyword [%s]", "minimum");
		if (max && json_number_value(v) > json_number_value(max))
			problem(k, path, "failed validation constraint for keyword [%s]", "maximum");
	}
	if (en != NULL) {
		json_array_foreach(en, i, x)
			listed |= json_equal(x, v);
		if (!listed)
			problem(k, path, "failed validation constraint for keyword [%s]", "enum");
	}
}

static void
walk(struct check *k, const json_t *s, const json_t *v, const char *path)
{
	const char *type;
	char found[64];

	s = deref(s);
	if (s == NULL)
		return;
	type = json_string_value(json_object_get(s, "type"));
	if (type != NULL && !type_ok(type, v)) {
		snprintf(found, sizeof(found), "%s, found: %s", type, type_of(v));
		problem(k, path, "expected type: %s", found);
		return;
	}
	if (json_is_object(v))
		walk_object(k, s, v, path);
	else if (json_is_array(v))
		walk_array(k, s, v, path);
	else
		walk_scalar(k, s, v, path);
}

enum err_code
schema_check(const json_t *props, struct err *e)
{
	struct check k = { .problems = 0 };
	enum err_code rc = ERR_OK;

	buf_init(&k.msg, 0);
	walk(&k, schema, props, "#");
	if (k.problems > 0)
		rc = err_set(e, ERR_VALIDATION, "Model validation failed (%s%s)",
		    buf_cstr(&k.msg), k.problems > MAX_PROBLEMS ? ", ..." : "");
	buf_free(&k.msg);
	return rc;
}
