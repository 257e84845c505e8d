/* The resource schemas of the types Cloud Control serves, and the checks
 * they imply.
 *
 * The schemas (spec/schemas/, embedded at build time) are read once at
 * start. schema_check interprets the JSON Schema keywords it uses: type,
 * properties, additionalProperties, required, minLength, maxLength,
 * pattern, enum, minimum, maximum, minItems, maxItems, uniqueItems, items
 * and $ref to "#/definitions/...". Messages follow CloudFormation's
 * ("#/Name: failed validation constraint for keyword [pattern]").
 * Every check is linear in the model: patterns are compiled once, at
 * start; uniqueItems sorts the items' canonical texts; an array that
 * breaks minItems or maxItems is not looked into further.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudcontrol/schema.h"
#include "util/buf.h"
#include "limits.h"


/* schema_gen.c */
extern const char stage_schema_json[], public_key_schema_json[], storage_schema_json[];

struct schema {
	const char *text;	/* embedded JSON */
	json_t *doc;		/* read by schema_init */
};

static struct schema schemas[] = {
	{ stage_schema_json, NULL },
	{ public_key_schema_json, NULL },
	{ storage_schema_json, NULL },
};

#define N_SCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

/* Every "pattern" of the schema, compiled at start; read-only afterwards. */
static struct {
	const char *text;	/* the schema's own string: compared by address */
	pcre2_code *re;		/* NULL: the pattern does not compile */
} patterns[MAX_PATTERNS];
static int n_patterns;

/* Compiles every "pattern" string found in s. */
static enum err_code
compile_patterns(const json_t *s, struct err *e)
{
	const char *key;
	json_t *x;
	size_t i;
	int err;
	PCRE2_SIZE off;

	if (json_is_array(s))
		json_array_foreach(s, i, x)
			if (compile_patterns(x, e) != ERR_OK)
				return e->code;
	if (!json_is_object(s))
		return ERR_OK;
	json_object_foreach((json_t *)s, key, x) {
		if (strcmp(key, "pattern") == 0 && json_is_string(x)) {
			if (n_patterns == MAX_PATTERNS)
				return err_set(e, ERR_INTERNAL, "resource schema: more than %d patterns",
				    MAX_PATTERNS);
			patterns[n_patterns].text = json_string_value(x);
			patterns[n_patterns].re = pcre2_compile((PCRE2_SPTR)json_string_value(x),
			    PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
			if (patterns[n_patterns].re != NULL)
				(void)pcre2_jit_compile(patterns[n_patterns].re, PCRE2_JIT_COMPLETE);
			n_patterns++;
		} else if (compile_patterns(x, e) != ERR_OK) {
			return e->code;
		}
	}
	return ERR_OK;
}

enum err_code
schema_init(struct err *e)
{
	json_error_t je;
	size_t i;

	for (i = 0; i < N_SCHEMAS; i++) {
		if ((schemas[i].doc = json_loads(schemas[i].text, 0, &je)) == NULL)
			return err_set(e, ERR_INTERNAL, "resource schema %zu: %s", i, je.text);
		if (compile_patterns(schemas[i].doc, e) != ERR_OK)
			return e->code;
	}
	return ERR_OK;
}

void
schema_fini(void)
{
	size_t i;
	int k;

	for (k = 0; k < n_patterns; k++)
		pcre2_code_free(patterns[k].re);
	n_patterns = 0;
	for (i = 0; i < N_SCHEMAS; i++) {
		json_decref(schemas[i].doc);
		schemas[i].doc = NULL;
	}
}

const struct schema *
schema_nth(size_t i)
{
	return i < N_SCHEMAS ? &schemas[i] : NULL;
}

const struct schema *
schema_for(const char *type_name)
{
	size_t i;

	for (i = 0; i < N_SCHEMAS; i++)
		if (strcmp(schema_type_name(&schemas[i]), type_name) == 0)
			return &schemas[i];
	return NULL;
}

const char *
schema_type_name(const struct schema *sc)
{
	const char *name = json_string_value(json_object_get(sc->doc, "typeName"));

	return name ? name : "";
}

/* The value a schema path "/properties/A/B" names in model m, or NULL.
 * Returns 0, or -1 when path is not of that form. */
static int
property(const json_t *m, const char *path, const json_t **v)
{
	char key[128];
	const char *slash;

	*v = NULL;
	if (path == NULL || strncmp(path, "/properties/", 12) != 0)
		return -1;
	for (path += 12; m != NULL && (slash = strchr(path, '/')) != NULL; path = slash + 1) {
		snprintf(key, sizeof(key), "%.*s", (int)(slash - path), path);
		m = json_object_get(m, key);
	}
	*v = m ? json_object_get(m, path) : NULL;
	return 0;
}

/* Do before and after differ at the schema path prop? */
static int
changed(const json_t *before, const json_t *after, const char *prop)
{
	const json_t *a, *b;

	if (property(before, prop, &b) != 0 || property(after, prop, &a) != 0)
		return 0;
	return (a == NULL) != (b == NULL) || (a && !json_equal(a, b));
}

enum err_code
schema_check_create_only(const struct schema *sc, const json_t *before, const json_t *after,
    struct err *e)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(sc->doc, "createOnlyProperties"), i, v)
		if (changed(before, after, json_string_value(v)))
			return err_set(e, ERR_NOT_UPDATABLE, "Invalid patch update: "
			    "createOnlyProperties [%s] cannot be updated", json_string_value(v));
	return ERR_OK;
}

enum err_code
schema_check_read_only(const struct schema *sc, const json_t *before, const json_t *after,
    struct err *e)
{
	const json_t *v, *a, *b;
	const char *prop;
	size_t i;

	json_array_foreach(json_object_get(sc->doc, "readOnlyProperties"), i, v) {
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
	const json_t *root;	/* the schema document: "$ref"s point into it */
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
deref(const struct check *k, const json_t *s)
{
	const char *ref = json_string_value(json_object_get(s, "$ref"));

	if (ref == NULL || strncmp(ref, "#/definitions/", 14) != 0)
		return s;
	return json_object_get(json_object_get(k->root, "definitions"), ref + 14);
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
 * themselves with ^ and $). pattern is the schema's own string. */
static int
pattern_ok(const char *pattern, const char *s)
{
	pcre2_match_data *md;
	pcre2_code *re = NULL;
	int i, rc;

	for (i = 0; i < n_patterns && re == NULL; i++)
		if (patterns[i].text == pattern)
			re = patterns[i].re;
	if (re == NULL)
		return 1;	/* a pattern we cannot read constrains nothing */
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = md ? pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL) : 0;
	pcre2_match_data_free(md);
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

static int
compare_texts(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Are the items of v all different? Compares their canonical texts
 * (compact, keys sorted) after sorting them: O(n log n), not O(n^2). An
 * item that cannot be written counts as different. */
static int
items_unique(const json_t *v)
{
	size_t i, n = json_array_size(v);
	char **texts = calloc(n ? n : 1, sizeof(*texts));
	int unique = 1;

	if (texts == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if ((texts[i] = json_dumps(json_array_get(v, i), JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY)) == NULL)
			goto out;
	qsort(texts, n, sizeof(*texts), compare_texts);
	for (i = 1; i < n && unique; i++)
		unique = strcmp(texts[i - 1], texts[i]) != 0;
out:
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	return unique;
}

static void
walk_array(struct check *k, const json_t *s, const json_t *v, const char *path)
{
	const json_t *items = json_object_get(s, "items"), *x;
	json_int_t min = json_integer_value(json_object_get(s, "minItems"));
	const json_t *max = json_object_get(s, "maxItems");
	char sub[512];
	size_t i;

	if ((json_int_t)json_array_size(v) < min) {
		problem(k, path, "expected minimum item count: %s", "minItems");
		return;
	}
	if (max && (json_int_t)json_array_size(v) > json_integer_value(max)) {
		problem(k, path, "expected maximum item count: %s", "maxItems");
		return;
	}
	if (json_is_true(json_object_get(s, "uniqueItems")) && !items_unique(v))
		problem(k, path, "array items are not unique (%s)", "uniqueItems");
	if (items == NULL)
		return;
	json_array_foreach(v, i, x) {
		if (k->problems > MAX_PROBLEMS)
			return;
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

	s = deref(k, s);
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
schema_check(const struct schema *sc, const json_t *props, struct err *e)
{
	struct check k = { .root = sc->doc, .problems = 0 };
	enum err_code rc = ERR_OK;

	buf_init(&k.msg, 0);
	walk(&k, sc->doc, props, "#");
	if (k.problems > 0)
		rc = err_set(e, ERR_VALIDATION, "Model validation failed (%s%s)",
		    buf_cstr(&k.msg), k.problems > MAX_PROBLEMS ? ", ..." : "");
	buf_free(&k.msg);
	return rc;
}
