/* Shape and operation tables of the service model.
 *
 * The tables themselves are generated (src/aws/shapes_gen.c, by
 * tools/gen_shapes.py from spec/); this header only describes their form.
 * Shapes refer to each other by index into shapes[].
 */
#ifndef RTSTAGE_AWS_SHAPES_H
#define RTSTAGE_AWS_SHAPES_H

#include <stddef.h>

enum shape_type {
	SHAPE_STRUCTURE, SHAPE_STRING, SHAPE_INTEGER, SHAPE_LONG, SHAPE_FLOAT,
	SHAPE_DOUBLE, SHAPE_BOOLEAN, SHAPE_LIST, SHAPE_MAP, SHAPE_TIMESTAMP,
	SHAPE_BLOB
};

/* Where a member travels in an HTTP request. */
enum member_location { LOC_BODY, LOC_URI, LOC_QUERY, LOC_HEADER };

struct shape_member {
	const char *name;		/* JSON key, as spelled in the model */
	int shape;			/* index into shapes[] */
	int required;
	enum member_location location;
	const char *location_name;	/* NULL for LOC_BODY */
};

struct shape {
	const char *name;
	enum shape_type type;
	int has_min, has_max;		/* length for strings/lists/maps, value for numbers */
	long long min, max;
	const char *pattern;		/* must match the whole value; NULL: none */
	const char *const *enums;
	int n_enums;
	const struct shape_member *members;
	int n_members;
	int member, key, value;		/* list member, map key and value; -1: none */
	int http_status;		/* error shapes only; 0 otherwise */
};

struct operation {
	const char *name;
	const char *method;
	const char *uri;		/* e.g. "/CreateStage", "/tags/{resourceArn}" */
	int status;			/* success status */
	int input, output;		/* shape indices; -1: none */
};

extern const struct shape shapes[];
extern const int shapes_count;
extern const struct operation operations[];	/* indexed by enum op_id */

/* Returns the index of the shape called name, or -1. Not for hot paths. */
int shape_find(const char *name);

#endif
