/* JSON Patch: each operation works on a copy of the document, which
 * replaces the original only when every operation succeeded. */
#include <stdlib.h>
#include <string.h>

#include "util/jsonpatch.h"

#define MAX_TOKENS 64

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
	char *end;
	long v;

	if (allow_end && strcmp(t, "-") == 0)
		return (long)size;
	if (*t < '0' || *t > '9' || (t[0] == '0' && t[1] != '\0'))
		return -1;
	v = strtol(t, &end, 10);
	return *end == '\0' ? v : -1;
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

/* Applies one operation to *doc. */
static enum err_code
apply_one(json_t **doc, const json_t *op, size_t at, struct err *e)
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
			if (strcmp(name, "replace") == 0 && p.n > 0)
				json_decref(take(*doc, &p));
			if (add(doc, &p, json_deep_copy(value)) != 0)
				FAIL("Patch operation %zu: cannot %s at %s", at, name, path);
		}
	} else if (strcmp(name, "remove") == 0) {
		if ((v = take(*doc, &p)) == NULL)
			FAIL("Patch operation %zu: nothing to remove at %s", at, path);
		json_decref(v);
	} else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
		if (from == NULL || pointer_parse(from, &f) != 0)
			FAIL("Patch operation %zu (%s) needs a \"from\" JSON Pointer", at, name);
		if (strcmp(name, "move") == 0 && proper_prefix(&f, &p))
			FAIL("Patch operation %zu: cannot move %s into itself (%s)", at, from, path);
		if (strcmp(name, "move") == 0)
			v = f.n == 0 ? json_incref(*doc) : take(*doc, &f);
		else
			v = json_deep_copy(resolve(*doc, &f, f.n));
		if (v == NULL)
			FAIL("Patch operation %zu: nothing at %s to %s", at, from, name);
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
	json_t *work, *op;
	size_t i;

	if (!json_is_array(patch))
		return err_set(e, ERR_VALIDATION, "A patch document must be a JSON array of operations");
	if ((work = json_deep_copy(*doc)) == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	json_array_foreach(patch, i, op) {
		if (apply_one(&work, op, i, e) != ERR_OK) {
			json_decref(work);
			return e->code;
		}
	}
	json_decref(*doc);
	*doc = work;
	return ERR_OK;
}
