/* Route matching against the operations table generated from the model. */
#include <stdio.h>
#include <string.h>

#include "aws/route.h"
#include "aws/shapes.h"
#include "util/pct.h"

/* Matches template t against path p segment by segment; 1 on a match,
 * with labels recorded raw (start, length) in out. */
static int
match(const char *t, const char *p, const char *lab[], size_t lablen[], int *n)
{
	const char *close;

	*n = 0;
	while (*t != '\0' && *p != '\0') {
		if (*t == '{') {
			if ((close = strchr(t, '}')) == NULL || *n == ROUTE_MAX_LABELS)
				return 0;
			lab[*n] = p;
			while (*p != '\0' && *p != '/')
				p++;
			lablen[*n] = (size_t)(p - lab[*n]);
			if (lablen[*n] == 0)
				return 0;
			(*n)++;
			t = close + 1;
			continue;
		}
		if (*t++ != *p++)
			return 0;
	}
	return *t == '\0' && *p == '\0';
}

enum err_code
route_match(const char *method, const char *path, struct route *out, struct err *e)
{
	const char *lab[ROUTE_MAX_LABELS];
	size_t lablen[ROUTE_MAX_LABELS];
	const char *t, *open, *close;
	int op, n, i;

	for (op = 0; op < OP__COUNT; op++) {
		if (strcmp(operations[op].method, method) != 0 ||
		    !match(operations[op].uri, path, lab, lablen, &n))
			continue;
		out->op = (enum op_id)op;
		out->n_labels = n;
		t = operations[op].uri;
		for (i = 0; i < n; i++) {
			open = strchr(t, '{');
			close = strchr(open, '}');
			snprintf(out->labels[i].name, sizeof(out->labels[i].name), "%.*s",
			    (int)(close - open - 1), open + 1);
			t = close + 1;
			if (pct_decode(lab[i], lablen[i], out->labels[i].value,
			    sizeof(out->labels[i].value)) < 0)
				return err_set(e, ERR_VALIDATION, "Malformed percent-encoding "
				    "or value too long in path parameter '%s'", out->labels[i].name);
		}
		return ERR_OK;
	}
	return err_set(e, ERR_UNKNOWN_OPERATION, "No operation is bound to %s %.200s",
	    method, path);
}
