/* The ivs-realtime service: its operation table and start-up. */
#ifndef RTSTAGE_IVS_IVS_H
#define RTSTAGE_IVS_IVS_H

#include "aws/call.h"
#include "aws/shapes_gen.h"

/* Handlers by operation; NULL where rtstage does not serve it yet. */
extern const op_fn ivs_ops[OP__COUNT];

/* Loads what the service needs from the store (page-token key). Call
 * after store_init, before serving. */
enum err_code ivs_init(struct err *e);

/* The page-token key loaded by ivs_init. */
const unsigned char *ivs_page_key(void);

/* Stage operations (stage.c). */
enum err_code stage_create(struct call *c, const json_t *in, json_t **out);
enum err_code stage_get(struct call *c, const json_t *in, json_t **out);
enum err_code stage_update(struct call *c, const json_t *in, json_t **out);
enum err_code stage_delete(struct call *c, const json_t *in, json_t **out);
enum err_code stage_list(struct call *c, const json_t *in, json_t **out);

#endif
