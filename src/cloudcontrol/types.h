/* The resource types Cloud Control serves, one row each: the permissions
 * its requests need and the typed domain calls that carry them out. The
 * request machinery (ops.c) is the same for every type; adding a type is
 * adding a row and its calls.
 */
#ifndef RTSTAGE_CLOUDCONTROL_TYPES_H
#define RTSTAGE_CLOUDCONTROL_TYPES_H

#include <jansson.h>

#include "aws/call.h"
#include "store/store.h"

/* Receives one resource of a page: its sequence number, identifier and
 * model (stolen). */
typedef enum err_code (*cc_row_fn)(void *arg, long long seq, const char *id, json_t *model);

struct cc_type {
	const char *name;		/* TypeName: "AWS::IVS::Stage" */
	const char *arn_type;		/* its ARNs' resource type: "stage" */
	const char *list_scope;		/* page-token scope: the API's List operation,
					 * so both APIs' tokens are one */
	/* checked before the request acts: on every resource of the type for
	 * create and list, on the resource otherwise; read also before a
	 * create or update answers the model */
	const char *create_action, *read_action, *delete_action, *list_action;

	/* Checks a DesiredState against the schema and the rules that need no
	 * store, and makes *plan (freed by plan_free) and the new resource's
	 * identifier (id, cap bytes). Outside any job. */
	enum err_code (*prepare)(struct call *c, const json_t *desired, void **plan, char *id,
	    size_t cap);
	void (*plan_free)(void *plan);

	/* Inside one writing job each; ERR_NOT_FOUND when id names no
	 * resource of the caller. update_in applies patch to the current
	 * model, checks the result, authorizes what the change needs, and
	 * only then writes. */
	enum err_code (*create_in)(struct call *c, struct store *s, void *plan);
	enum err_code (*update_in)(struct call *c, struct store *s, const char *id,
	    const json_t *patch);
	enum err_code (*delete_in)(struct call *c, struct store *s, const char *id);

	/* Reads, in a job or as one statement: the model of id (caller owns);
	 * a page of up to limit resources with seq > after, in seq order. */
	enum err_code (*read_in)(struct call *c, struct store *s, const char *id, json_t **model);
	enum err_code (*page_in)(struct call *c, struct store *s, long long after, int limit,
	    cc_row_fn row, void *arg);
};

/* AWS::IVS::Stage (stage_type.c), AWS::IVS::PublicKey (publickey_type.c),
 * AWS::IVS::StorageConfiguration (storage_type.c). */
extern const struct cc_type cc_stage_type;
extern const struct cc_type cc_public_key_type;
extern const struct cc_type cc_storage_type;

#endif
