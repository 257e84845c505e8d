/* Routing: method and raw path to an operation of the model. */
#ifndef RTSTAGE_AWS_ROUTE_H
#define RTSTAGE_AWS_ROUTE_H

#include "aws/shapes_gen.h"
#include "util/err.h"

#define ROUTE_MAX_LABELS 2
#define ROUTE_LABEL_MAX 2048

struct route {
	enum op_id op;
	int n_labels;
	struct {
		char name[64];			/* as in the URI template */
		char value[ROUTE_LABEL_MAX];	/* percent-decoded */
	} labels[ROUTE_MAX_LABELS];
};

/* Finds the operation whose HTTP binding matches method and path (raw,
 * percent-encoded). A {label} matches one non-empty path segment and is
 * decoded into out. Returns ERR_OK; ERR_UNKNOWN_OPERATION if nothing
 * matches; ERR_VALIDATION for a malformed escape in a label. */
enum err_code route_match(const char *method, const char *path, struct route *out,
    struct err *e);

#endif
