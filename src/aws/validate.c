/* The one validator: walks a request against the generated shape tables.
 *
 * Violations are collected, not stopped at, so one answer lists them all as
 * AWS's Coral validator does. Wrong JSON types stop the walk at once with a
 * SerializationException, as AWS's deserializer does.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/shapes.h"
#include "aws/validate.h"
#include "limits.h"
#include "util/buf.h"
#include "util/utf8.h"

static pcre2_code **compiled;		/* parallel to shapes[]; NULL: no pattern */
static pthread_key_t match_key;		/* each thread's pcre2_match_data, freed at thread exit */

struct walk {
	struct buf msgs;		/* "Value ... constraint: ..." joined by "; " */
	int count;			/* violations found (may exceed those listed) */
	int type_error;			/* set: msgs holds one serialization message */
};

enum err_code
validate_init(struct err *e)
{
	int errcode, i;
	PCRE2_SIZE off;

	if (pthread_key_create(&match_key, (void (*)(void *))pcre2_match_data_free) != 0)
		return err_set(e, ERR_INTERNAL, "cannot create a thread key");
	compiled = calloc((size_t)shapes_count, sizeof(*compiled));
	if (compiled == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory compiling patterns");
	for (i = 0; i < shapes_count; i++) {
		if (shapes[i].pattern == NULL)
			continue;
		compiled[i] = pcre2_compile((PCRE2_SPTR)shapes[i].pattern,
		    PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &errcode, &off, NULL);
		if (compiled[i] == NULL)
			return err_set(e, ERR_INTERNAL, "pattern of shape %s does not compile "
			    "(offset %zu)", shapes[i].name, (size_t)off);
		(void)pcre2_jit_compile(compiled[i], PCRE2_JIT_COMPLETE);	/* optional speed-up */
	}
	return ERR_OK;
}

void
validate_fini(void)
{
	int i;

	if (compiled == NULL)
		return;
	for (i = 0; i < shapes_count; i++)
		pcre2_code_free(compiled[i]);
	free(compiled);
	compiled = NULL;
	pcre2_match_data_free(pthread_getspecific(match_key));
	pthread_setspecific(match_key, NULL);
	pthread_key_delete(match_key);
}

int
validate_pattern(int shape, const char *s, size_t len)
{
	pcre2_match_data *md;
	int rc;

	if (compiled == NULL || compiled[shape] == NULL)
		return 1;
	if ((md = pthread_getspecific(match_key)) == NULL) {
		if ((md = pcre2_match_data_create(1, NULL)) == NULL)
			return 0;
		pthread_setspecific(match_key, md);
	}
	rc = pcre2_match(compiled[shape], (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	return rc >= 0;
}

/* Length as the AWS validator counts it: UTF-16 code units. */
static long long
utf16_length(const char *s, size_t len)
{
	long long n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xC0) == 0x80)
			continue;		/* continuation byte */
		n += (c >= 0xF0) ? 2 : 1;	/* 4-byte sequences are surrogate pairs */
	}
	return n;
}

/* Renders v as Coral quotes values: strings bare, lists [a, b], maps {k=v}. */
static void
render(struct buf *b, const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_append(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		buf_printf(b, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		buf_puts(b, json_is_true(v) ? "true" : "false");
		break;
	case JSON_ARRAY:
		buf_puts(b, "[");
		json_array_foreach(v, i, x) {
			if (i > 0)
				buf_puts(b, ", ");
			render(b, x);
		}
		buf_puts(b, "]");
		break;
	case JSON_OBJECT:
		buf_puts(b, "{");
		json_object_foreach((json_t *)v, k, x) {
			buf_printf(b, "%s%s=", first ? "" : ", ", k);
			render(b, x);
			first = 0;
		}
		buf_puts(b, "}");
		break;
	default:
		buf_puts(b, "null");
	}
}

/* How constraints() reports each violation it finds. */
struct sink {
	void (*emit)(struct sink *k, const char *constraint);
	struct walk *w;		/* walk_sink: report at (v, path) */
	const json_t *v;
	const char *path;
	struct buf *joined;	/* join_sink: "a, b" for Coral's [...] summaries */
};

/* Reports through k every scalar or size constraint of shape s that v
 * breaks; returns how many. */
static int
constraints(const struct shape *s, int shape, const json_t *v, struct sink *k)
{
	struct buf m;
	long long n = 0;
	int count = 0, i, have_n = 1;
	const char *what = "length";

	buf_init(&m, 0);
#define ADD(...) do { buf_reset(&m); buf_printf(&m, __VA_ARGS__); k->emit(k, buf_cstr(&m)); count++; } while (0)
	switch (s->type) {
	case SHAPE_STRING:
		n = utf16_length(json_string_value(v), json_string_length(v));
		break;
	case SHAPE_LIST:
		n = (long long)json_array_size(v);
		break;
	case SHAPE_MAP:
		n = (long long)json_object_size(v);
		break;
	case SHAPE_INTEGER:
	case SHAPE_LONG:
		n = json_integer_value(v);
		what = "value";
		break;
	default:
		have_n = 0;
	}
	if (have_n && s->has_max && n > s->max)
		ADD("Member must have %s less than or equal to %lld", what, s->max);
	if (have_n && s->has_min && n < s->min)
		ADD("Member must have %s greater than or equal to %lld", what, s->min);
	if (s->type == SHAPE_STRING && s->pattern != NULL &&
	    !validate_pattern(shape, json_string_value(v), json_string_length(v)))
		ADD("Member must satisfy regular expression pattern: %s", s->pattern);
	if (s->type == SHAPE_STRING && s->n_enums > 0) {
		for (i = 0; i < s->n_enums; i++)
			if (strcmp(s->enums[i], json_string_value(v)) == 0)
				break;
		if (i == s->n_enums) {
			struct buf set;
			buf_init(&set, 0);
			for (i = 0; i < s->n_enums; i++)
				buf_printf(&set, "%s%s", i ? ", " : "", s->enums[i]);
			ADD("Member must satisfy enum value set: [%s]", buf_cstr(&set));
			buf_free(&set);
		}
	}
#undef ADD
	buf_free(&m);
	return count;
}

static void violation(struct walk *w, const json_t *v, const char *path, const char *constraint);

static void
walk_emit(struct sink *k, const char *constraint)
{
	violation(k->w, k->v, k->path, constraint);
}

static void
join_emit(struct sink *k, const char *constraint)
{
	if (k->joined->len > 0)
		buf_puts(k->joined, ", ");
	buf_puts(k->joined, constraint);
}

static void
violation(struct walk *w, const json_t *v, const char *path, const char *constraint)
{
	struct buf val;

	w->count++;
	if (w->count > LIMIT_VALIDATION_ERRORS)
		return;
	buf_init(&val, LIMIT_VALUE_EXCERPT);
	if (v == NULL) {
		buf_printf(&w->msgs, "%sValue null", w->count > 1 ? "; " : "");
	} else {
		render(&val, v);	/* cut at the cap: back to a character boundary */
		buf_printf(&w->msgs, "%sValue '%.*s'", w->count > 1 ? "; " : "",
		    (int)utf8_boundary(buf_cstr(&val), val.len), buf_cstr(&val));
	}
	buf_printf(&w->msgs, " at '%s' failed to satisfy constraint: %s", path, constraint);
	buf_free(&val);
}

static const char *const type_names[] = {
	[SHAPE_STRUCTURE] = "an object", [SHAPE_STRING] = "a string",
	[SHAPE_INTEGER] = "an integer", [SHAPE_LONG] = "an integer",
	[SHAPE_FLOAT] = "a number", [SHAPE_DOUBLE] = "a number",
	[SHAPE_BOOLEAN] = "a boolean", [SHAPE_LIST] = "a list",
	[SHAPE_MAP] = "an object (map)", [SHAPE_TIMESTAMP] = "a timestamp",
	[SHAPE_BLOB] = "a base64 string",
};

/* Is v of the JSON type shape s takes? Sets w->type_error and the message
 * if not. */
static int
type_ok(struct walk *w, const struct shape *s, const json_t *v, const char *path)
{
	int ok;

	switch (s->type) {
	case SHAPE_STRUCTURE:
	case SHAPE_MAP:
		ok = json_is_object(v);
		break;
	case SHAPE_STRING:
	case SHAPE_BLOB:
		ok = json_is_string(v);
		break;
	case SHAPE_INTEGER:
		ok = json_is_integer(v) && json_integer_value(v) >= -2147483648LL &&
		    json_integer_value(v) <= 2147483647LL;
		break;
	case SHAPE_LONG:
		ok = json_is_integer(v);
		break;
	case SHAPE_FLOAT:
	case SHAPE_DOUBLE:
	case SHAPE_TIMESTAMP:
		ok = json_is_number(v) || (s->type == SHAPE_TIMESTAMP && json_is_string(v));
		break;
	case SHAPE_BOOLEAN:
		ok = json_is_boolean(v);
		break;
	case SHAPE_LIST:
		ok = json_is_array(v);
		break;
	default:
		ok = 0;
	}
	if (!ok) {
		w->type_error = 1;
		buf_reset(&w->msgs);
		buf_printf(&w->msgs, "Expected %s at '%s'%s", type_names[s->type], path,
		    json_is_integer(v) && s->type == SHAPE_INTEGER ?
		    " within the 32-bit integer range" : "");
	}
	return ok;
}

static void walk(struct walk *w, int shape, json_t *v, const char *path);

/* Checks element x of container v (at path) against shapes[shape]: its
 * type, when sub (the element's own path) is given, then its constraints,
 * which Coral reports at the container as "<what> must satisfy constraint:
 * [...]". Returns -1 after a type error, 1 after a violation, else 0. */
static int
summarize(struct walk *w, const json_t *v, const char *path, int shape, const json_t *x,
    const char *sub, const char *what)
{
	struct buf msg, c;
	struct sink join = { .emit = join_emit, .joined = &msg };
	int n;

	if (sub != NULL && (json_is_null(x) || !type_ok(w, &shapes[shape], x, sub)))
		return w->type_error ? -1 : 0;
	buf_init(&msg, 0);
	if ((n = constraints(&shapes[shape], shape, x, &join)) > 0) {
		buf_init(&c, 0);
		buf_printf(&c, "%s must satisfy constraint: [%s]", what, buf_cstr(&msg));
		violation(w, v, path, buf_cstr(&c));
		buf_free(&c);
	}
	buf_free(&msg);
	return n > 0;
}

/* Reports every null element of list v, or null value of map v: null is
 * no value, and a list or map cannot hold one ("Value null at 'tags.k'
 * failed to satisfy constraint: Member must not be null"). */
static void
null_elements(struct walk *w, const struct shape *s, const json_t *v, const char *path)
{
	struct buf sub;
	const char *k;
	json_t *x;
	size_t i;

	if (s->type == SHAPE_LIST) {
		json_array_foreach(v, i, x) {
			if (!json_is_null(x))
				continue;
			buf_init(&sub, 0);
			buf_printf(&sub, "%s.%zu.member", path, i + 1);
			violation(w, NULL, buf_cstr(&sub), "Member must not be null");
			buf_free(&sub);
		}
		return;
	}
	json_object_foreach((json_t *)v, k, x) {
		if (!json_is_null(x))
			continue;
		buf_init(&sub, 0);
		buf_printf(&sub, "%s.%s", path, k);
		violation(w, NULL, buf_cstr(&sub), "Member must not be null");
		buf_free(&sub);
	}
}

/* Checks the elements (or keys and values) of a list or map: nulls are
 * violations of their own, scalar violations are summarised at the
 * container's path as Coral does ("Member must satisfy constraint:
 * [...]"), structures are walked with paths of the form
 * list.N.member.field. */
static void
walk_elements(struct walk *w, const struct shape *s, json_t *v, const char *path)
{
	struct buf sub;
	const char *k;
	json_t *x, *key;
	size_t i;
	int r;

	null_elements(w, s, v, path);
	if (s->type == SHAPE_LIST && shapes[s->member].type == SHAPE_STRUCTURE) {
		json_array_foreach(v, i, x) {
			if (json_is_null(x))
				continue;
			buf_init(&sub, 0);
			buf_printf(&sub, "%s.%zu.member", path, i + 1);
			walk(w, s->member, x, buf_cstr(&sub));
			buf_free(&sub);
			if (w->type_error)
				return;
		}
		return;
	}
	if (s->type == SHAPE_LIST) {
		json_array_foreach(v, i, x) {
			buf_init(&sub, 0);
			buf_printf(&sub, "%s.%zu.member", path, i + 1);
			r = summarize(w, v, path, s->member, x, buf_cstr(&sub), "Member");
			buf_free(&sub);
			if (r != 0)
				return;		/* a type error, or one summary per list, as Coral */
		}
		return;
	}
	/* map: keys, then values */
	json_object_foreach((json_t *)v, k, x) {
		if ((key = json_string(k)) == NULL)
			continue;
		r = summarize(w, v, path, s->key, key, NULL, "Map keys");
		json_decref(key);
		if (r != 0)
			break;
	}
	json_object_foreach((json_t *)v, k, x) {
		buf_init(&sub, 0);
		buf_printf(&sub, "%s.%s", path, k);
		r = summarize(w, v, path, s->value, x, buf_cstr(&sub), "Map value");
		buf_free(&sub);
		if (r != 0)
			return;
	}
}

/* Deletes every member of object v whose value is null: null means
 * absent, and once deleted no later reader can take it for present. */
static void
drop_nulls(json_t *v)
{
	const char *k;
	json_t *x;
	void *tmp;

	json_object_foreach_safe(v, tmp, k, x)
		if (json_is_null(x))
			json_object_del(v, k);
}

static void
walk(struct walk *w, int shape, json_t *v, const char *path)
{
	const struct shape *s = &shapes[shape];
	const struct shape_member *m;
	struct sink sink = { .emit = walk_emit };
	struct buf sub;
	json_t *x;
	int i;

	if (!type_ok(w, s, v, path))
		return;
	if (s->type == SHAPE_STRUCTURE) {
		drop_nulls(v);
		for (i = 0; i < s->n_members && !w->type_error; i++) {
			m = &s->members[i];
			x = json_object_get(v, m->name);
			buf_init(&sub, 0);
			buf_printf(&sub, "%s%s%s", path, *path ? "." : "", m->name);
			if (x == NULL) {
				if (m->required)
					violation(w, NULL, buf_cstr(&sub), "Member must not be null");
			} else {
				walk(w, m->shape, x, buf_cstr(&sub));
			}
			buf_free(&sub);
		}
		return;
	}
	sink.w = w;
	sink.v = v;
	sink.path = path;
	constraints(s, shape, v, &sink);
	if (s->type == SHAPE_LIST || s->type == SHAPE_MAP)
		walk_elements(w, s, v, path);
}

enum err_code
validate_input(int shape, json_t *value, struct err *e)
{
	struct walk w = { .count = 0, .type_error = 0 };
	enum err_code rc = ERR_OK;

	buf_init(&w.msgs, 0);
	walk(&w, shape, value, "");
	if (w.type_error)
		rc = err_set(e, ERR_SERIALIZATION, "%s", buf_cstr(&w.msgs));
	else if (w.count > 0)
		rc = err_set(e, ERR_VALIDATION, "%d validation error%s detected: %s",
		    w.count, w.count == 1 ? "" : "s", buf_cstr(&w.msgs));
	buf_free(&w.msgs);
	return rc;
}
