/* JSON Patch: each operation works on a copy of the document, which
 * replaces the original only when every operation succeeded.
 *
 * Every operation is weighed before it is carried out: the document's
 * weight (the least length its compact JSON text can have) is kept up to
 * date as values arrive and leave, and an operation that would take it past
 * LIMIT_PATCH_DOCUMENT_BYTES, or a patch whose copies add up past
 * LIMIT_PATCH_COPY_BYTES, is refused before anything is copied. A patch
 * thus costs time and memory in proportion to those limits, whatever it
 * asks for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "util/jsonpatch.h"
#include "util/num.h"


/* A parsed JSON Pointer: its reference tokens, unescaped. */
struct pointer {
	int n;
	char *tokens[MAX_TOKENS];
};

static void
pointer_free(struct pointer *p)
{
	int i;

	for (i = 0; i < p->n; i++)
		free(p->tokens[i]);
	p->n = 0;
}

/* Parses s ("" or "/a/b~1c/0"); 0, or -1 if malformed. */
static int
pointer_parse(const char *s, struct pointer *p)
{
	const char *end;
	size_t i, o;

	p->n = 0;
	if (*s == '\0')
		return 0;
	if (*s != '/')
		return -1;
	while (*s == '/') {
		s++;
		end = strchr(s, '/');
		if (end == NULL)
			end = s + strlen(s);
		if (p->n == MAX_TOKENS || (p->tokens[p->n] = malloc((size_t)(end - s) + 1)) == NULL) {
			pointer_free(p);
			return -1;
		}
		for (i = 0, o = 0; s + i < end; i++) {
			if (s[i] != '~') {
				p->tokens[p->n][o++] = s[i];
			} else if (s + i + 1 < end && (s[i + 1] == '0' || s[i + 1] == '1')) {
				p->tokens[p->n][o++] = s[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				p->n++;
				pointer_free(p);
				return -1;	/* '~' not followed by 0 or 1 */
			}
		}
		p->tokens[p->n++][o] = '\0';
		s = end;
	}
	return 0;
}

/* An array index token: digits without a leading zero; -1 if not. */
static long
index_of(const char *t, size_t size, int allow_end)
{
	struct err e;
	long long v;

	if (allow_end && strcmp(t, "-") == 0)
		return (long)size;
	if (t[0] == '0' && t[1] != '\0')
		return -1;
	return num_parse(t, 0, INT32_MAX, "array index", &v, &e) == ERR_OK ? (long)v : -1;
}

/* The value the first n tokens of p name in doc, or NULL. */
static json_t *
resolve(json_t *doc, const struct pointer *p, int n)
{
	long k;
	int i;

	for (i = 0; i < n && doc != NULL; i++) {
		if (json_is_object(doc))
			doc = json_object_get(doc, p->tokens[i]);
		else if (json_is_array(doc) && (k = index_of(p->tokens[i], json_array_size(doc), 0)) >= 0)
			doc = json_array_get(doc, (size_t)k);
		else
			doc = NULL;
	}
	return doc;
}

/* Adds value (stolen) at p in *doc. */
static int
add(json_t **doc, const struct pointer *p, json_t *value)
{
	json_t *parent;
	const char *last;
	long k;

	if (p->n == 0) {
		json_decref(*doc);
		*doc = value;
		return 0;
	}
	parent = resolve(*doc, p, p->n - 1);
	last = p->tokens[p->n - 1];
	if (json_is_object(parent))
		return json_object_set_new(parent, last, value);
	if (json_is_array(parent) && (k = index_of(last, json_array_size(parent), 1)) >= 0 &&
	    (size_t)k <= json_array_size(parent))
		return json_array_insert_new(parent, (size_t)k, value);
	json_decref(value);
	return -1;
}

/* Removes the value at p from doc; the removed value is returned (caller
 * owns it), NULL if there was none. The whole document cannot be removed. */
static json_t *
take(json_t *doc, const struct pointer *p)
{
	json_t *parent, *v;
	long k;

	if (p->n == 0 || (parent = resolve(doc, p, p->n - 1)) == NULL)
		return NULL;
	if (json_is_object(parent)) {
		if ((v = json_object_get(parent, p->tokens[p->n - 1])) == NULL)
			return NULL;
		json_incref(v);
		json_object_del(parent, p->tokens[p->n - 1]);
		return v;
	}
	if (json_is_array(parent) && (k = index_of(p->tokens[p->n - 1], json_array_size(parent), 0)) >= 0 &&
	    (size_t)k < json_array_size(parent)) {
		v = json_incref(json_array_get(parent, (size_t)k));
		json_array_remove(parent, (size_t)k);
		return v;
	}
	return NULL;
}

/* Is pointer a a proper prefix of b? */
static int
proper_prefix(const struct pointer *a, const struct pointer *b)
{
	int i;

	if (a->n >= b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->tokens[i], b->tokens[i]) != 0)
			return 0;
	return 1;
}

/* What a patch has spent so far. */
struct budget {
	size_t doc;		/* weight of the document being patched */
	size_t copied;		/* weight of every value copied into it so far */
};

/* The least length of v's compact JSON text, or cap + 1 once that is
 * known to exceed cap: the walk stops there, so it costs O(min(v, cap)). */
static size_t
weigh(const json_t *v, size_t cap)
{
	const char *k;
	json_t *x;
	size_t i, n = 2;	/* the brackets of a container */

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) + 2;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, x)
			if ((n += strlen(k) + 4 + weigh(x, cap - (n < cap ? n : cap))) > cap)
				return cap + 1;
		return n;
	case JSON_ARRAY:
		json_array_foreach(v, i, x)
			if ((n += 1 + weigh(x, cap - (n < cap ? n : cap))) > cap)
				return cap + 1;
		return n;
	case JSON_FALSE:
		return 5;
	case JSON_TRUE:
	case JSON_NULL:
		return 4;
	default:
		return 1;	/* a number: at least one digit */
	}
}

/* The weight a value adds beside its own at p: its key, quotes, colon and
 * comma in an object, its comma in an array, nothing at the root. */
static size_t
slot(json_t *doc, const struct pointer *p)
{
	if (p->n == 0)
		return 0;
	return json_is_object(resolve(doc, p, p->n - 1)) ? strlen(p->tokens[p->n - 1]) + 4 : 1;
}

/* Takes the weight of v, leaving p, off b. */
static void
spend_less(struct budget *b, json_t *doc, const struct pointer *p, const json_t *v)
{
	size_t w = weigh(v, SIZE_MAX / 2) + slot(doc, p);

	b->doc = b->doc > w ? b->doc - w : 0;
}

/* Admits v arriving at p in doc (replacing what is there when replacing,
 * or when p is the root or an existing object member, as add does), a
 * fresh copy when copy is set: refused with e set if the document or the
 * patch's copies would exceed their limit. Weighs before anything is
 * copied. */
static enum err_code
admit(struct budget *b, json_t *doc, const struct pointer *p, const json_t *v, int copy,
    int replacing, size_t at, struct err *e)
{
	json_t *old = resolve(doc, p, p->n);
	size_t w = weigh(v, LIMIT_PATCH_DOCUMENT_BYTES), next;

	if (old != NULL && (replacing || p->n == 0 || json_is_object(resolve(doc, p, p->n - 1))))
		spend_less(b, doc, p, old);
	next = b->doc + w + slot(doc, p);
	if (next > LIMIT_PATCH_DOCUMENT_BYTES)
		return err_set(e, ERR_VALIDATION, "Patch operation %zu: the document would exceed "
		    "the limit of %d bytes", at, LIMIT_PATCH_DOCUMENT_BYTES);
	if (copy && b->copied + w > LIMIT_PATCH_COPY_BYTES)
		return err_set(e, ERR_VALIDATION, "Patch operation %zu: the patch copies more than "
		    "the limit of %d bytes", at, LIMIT_PATCH_COPY_BYTES);
	b->doc = next;
	b->copied += copy ? w : 0;
	return ERR_OK;
}

/* Applies one operation to *doc, within budget b. */
static enum err_code
apply_one(json_t **doc, const json_t *op, size_t at, struct budget *b, struct err *e)
{
	const char *name = json_string_value(json_object_get(op, "op"));
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *from = json_string_value(json_object_get(op, "from"));
	json_t *value = json_object_get(op, "value"), *v;
	struct pointer p = { 0 }, f = { 0 };
	enum err_code rc = ERR_OK;

#define FAIL(...) do { rc = err_set(e, ERR_VALIDATION, __VA_ARGS__); goto out; } while (0)
	if (!json_is_object(op) || name == NULL || path == NULL)
		FAIL("Patch operation %zu needs \"op\" and \"path\"", at);
	if (pointer_parse(path, &p) != 0)
		FAIL("Patch operation %zu: '%s' is not a JSON Pointer", at, path);
	if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 || strcmp(name, "test") == 0) {
		if (value == NULL)
			FAIL("Patch operation %zu (%s %s) needs a \"value\"", at, name, path);
		if (strcmp(name, "test") == 0) {
			if (!json_equal(resolve(*doc, &p, p.n), value))
				FAIL("Patch operation %zu: test failed: %s does not hold the given value", at, path);
		} else if (strcmp(name, "replace") == 0 && resolve(*doc, &p, p.n) == NULL) {
			FAIL("Patch operation %zu: nothing to replace at %s", at, path);
		} else {
			if ((rc = admit(b, *doc, &p, value, 1, strcmp(name, "replace") == 0, at, e)) != ERR_OK)
				goto out;
			if (strcmp(name, "replace") == 0 && p.n > 0)
				json_decref(take(*doc, &p));
			if (add(doc, &p, json_deep_copy(value)) != 0)
				FAIL("Patch operation %zu: cannot %s at %s", at, name, path);
		}
	} else if (strcmp(name, "remove") == 0) {
		if ((v = resolve(*doc, &p, p.n)) != NULL && p.n > 0)
			spend_less(b, *doc, &p, v);
		if ((v = take(*doc, &p)) == NULL)
			FAIL("Patch operation %zu: nothing to remove at %s", at, path);
		json_decref(v);
	} else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
		if (from == NULL || pointer_parse(from, &f) != 0)
			FAIL("Patch operation %zu (%s) needs a \"from\" JSON Pointer", at, name);
		if (strcmp(name, "move") == 0 && proper_prefix(&f, &p))
			FAIL("Patch operation %zu: cannot move %s into itself (%s)", at, from, path);
		if ((v = resolve(*doc, &f, f.n)) == NULL)
			FAIL("Patch operation %zu: nothing at %s to %s", at, from, name);
		if (strcmp(name, "move") == 0) {
			if (f.n > 0)
				spend_less(b, *doc, &f, v);
			v = f.n == 0 ? json_incref(*doc) : take(*doc, &f);
		} else {
			if ((rc = admit(b, *doc, &p, v, 1, 0, at, e)) != ERR_OK)
				goto out;
			v = json_deep_copy(v);
		}
		if (v == NULL)
			FAIL("Patch operation %zu: out of memory", at);
		if (strcmp(name, "move") == 0 && (rc = admit(b, *doc, &p, v, 0, 0, at, e)) != ERR_OK) {
			json_decref(v);
			goto out;
		}
		if (add(doc, &p, v) != 0)
			FAIL("Patch operation %zu: cannot %s to %s", at, name, path);
	} else {
		FAIL("Patch operation %zu: unknown op '%s' (add, remove, replace, move, copy, test)",
		    at, name);
	}
#undef FAIL
out:
	pointer_free(&p);
	pointer_free(&f);
	return rc;
}

enum err_code
jsonpatch_apply(json_t **doc, const json_t *patch, struct err *e)
{
	struct budget b = { .doc = weigh(*doc, SIZE_MAX / 2), .copied = 0 };
	json_t *work, *op;
	size_t i;

	if (!json_is_array(patch))
		return err_set(e, ERR_VALIDATION, "A patch document must be a JSON array of operations");
	if ((work = json_deep_copy(*doc)) == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	json_array_foreach(patch, i, op) {
		if (apply_one(&work, op, i, &b, e) != ERR_OK) {
			json_decref(work);
			return e->code;
		}
	}
	json_decref(*doc);
	*doc = work;
	return ERR_OK;
}
