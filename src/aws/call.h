/* What an operation handler is given: who calls, and where errors go. */
#ifndef RTSTAGE_AWS_CALL_H
#define RTSTAGE_AWS_CALL_H

#include <jansson.h>

#include "config.h"
#include "util/err.h"

struct principal {
	char access_key[129];
	char account[16];	/* 12 digits */
	char region[64];	/* from the SigV4 credential scope */
	char profile[64];	/* strict mode: the key's profile in the credentials file */
	char actions[1024];	/* strict mode: what it may do; "": protected mode */
};

struct call {
	struct principal who;
	char request_id[40];
	const struct config *cfg;
	struct err err;
	char *text_out;		/* a response already written as JSON text (malloc'd) */
};

/* An operation: reads the validated input in (members named as in the
 * model, URI and query members included), and on ERR_OK sets *out to the
 * response object (caller owns it), or, for responses too hot to build as
 * a tree, leaves *out NULL and sets c->text_out to the JSON text. On
 * failure it returns the code with c->err set, and sets neither. */
typedef enum err_code (*op_fn)(struct call *c, const json_t *in, json_t **out);

#endif
