/* The ivs-realtime service: its operation table and start-up. */
#ifndef RTSTAGE_IVS_IVS_H
#define RTSTAGE_IVS_IVS_H

#include "aws/call.h"
#include "aws/shapes_gen.h"
#include "store/store.h"

/* Operations by id (handler, IAM action, resource member); a zeroed row
 * where rtstage does not serve it yet. */
extern const struct aws_op ivs_ops[OP__COUNT];

/* The rest-json protocol of ivs-realtime over ivs_ops (struct
 * aws_protocol, src/aws/pipeline.h). */
struct aws_protocol;
extern const struct aws_protocol ivs_protocol;

/* Loads what the service needs: the page-token key (from the store) and
 * the token signing keys (from data_dir, made on first start). Call after
 * store_init, before serving. */
enum err_code ivs_init(const char *data_dir, struct err *e);

/* Releases what ivs_init loaded. */
void ivs_fini(void);

/* The argument of a job that acts on one resource of the caller. */
struct arn_job {
	struct call *c;
	const char *arn;
};

/* Runs job with store_write and, once it committed, answers the empty
 * object that deletes and tag changes return. */
enum err_code ivs_write_empty(struct call *c, store_job_fn job, void *arg, json_t **out);

/* The page-token key loaded by ivs_init. */
const unsigned char *ivs_page_key(void);

/* The token signing keys loaded by ivs_init. */
struct keyring *ivs_keys(void);

struct keyring;
struct store;

/* Stage operations (stage.c). */
enum err_code stage_create(struct call *c, const json_t *in, json_t **out);
enum err_code stage_get(struct call *c, const json_t *in, json_t **out);
enum err_code stage_update(struct call *c, const json_t *in, json_t **out);
enum err_code stage_delete(struct call *c, const json_t *in, json_t **out);
enum err_code stage_list(struct call *c, const json_t *in, json_t **out);

/* Storage configuration operations (storage.c). */
enum err_code storage_create(struct call *c, const json_t *in, json_t **out);
enum err_code storage_get(struct call *c, const json_t *in, json_t **out);
enum err_code storage_delete(struct call *c, const json_t *in, json_t **out);
enum err_code storage_list(struct call *c, const json_t *in, json_t **out);

/* Checks, inside the open transaction, that a non-empty arn names a storage
 * configuration of the caller; ERR_VALIDATION if not. */
enum err_code storage_check_ref(struct call *c, struct store *s, const char *arn);

/* Typed storage configuration calls, inside a job. storage_load_in reads
 * the caller's configuration arn (ERR_NOT_FOUND, also for another type,
 * account or region); storage_create_in stores r (id, ARN, name, bucket
 * filled) with tags (may be NULL) after the tag rules and the quota. */
struct storage_rec;
struct tag_set;
enum err_code storage_load_in(struct call *c, struct store *s, const char *arn,
    struct storage_rec *r);
enum err_code storage_create_in(struct call *c, struct store *s, const struct storage_rec *r,
    const struct tag_set *tags);

/* Makes a new configuration's record outside any job: a fresh id and ARN
 * in the caller's account and region, name ("" when NULL), bucket. */
enum err_code storage_prepare(struct call *c, const char *name, const char *bucket,
    struct storage_rec *r);

/* Inside a writing job: deletes the caller's configuration arn and its
 * tags and gives back its quota; ERR_CONFLICT while a stage refers to it. */
enum err_code storage_delete_in(struct call *c, struct store *s, const char *arn);

/* Calls row(arg, r) for up to limit configurations of the caller with seq
 * > after, in seq order (one statement). */
enum err_code storage_page_in(struct call *c, struct store *s, long long after, int limit,
    enum err_code (*row)(void *arg, const struct storage_rec *r), void *arg);

/* Participant tokens (token.c). */
#include "store/token_store.h"
struct stage_rec;
enum err_code token_create(struct call *c, const json_t *in, json_t **out);

/* A signed token and its record, made before the transaction that stores it. */
struct issued {
	struct token_rec rec;
	json_t *json;		/* the ParticipantToken object */
};

/* Checks the rules of a token configuration the model cannot express
 * (attributes at most 1 KB); where prefixes the member path in messages. */
enum err_code token_check(struct call *c, const json_t *conf, const char *where);

/* Signs a token for stage st as conf says (no store access); fills t,
 * which the caller releases with token_release. */
enum err_code token_make(struct call *c, const struct stage_rec *st, const json_t *conf,
    struct issued *t);
void token_release(struct issued *t);

/* Tag operations (tags.c). */
enum err_code tag_resource(struct call *c, const json_t *in, json_t **out);
enum err_code untag_resource(struct call *c, const json_t *in, json_t **out);
enum err_code list_tags(struct call *c, const json_t *in, json_t **out);
/* The typed tag calls are in ivs/tags.h, the typed stage calls in
 * ivs/stage.h. */

#endif
