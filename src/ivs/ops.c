/* The ivs-realtime operations rtstage serves: the whole API at a glance,
 * with the IAM action each needs and the input member naming the resource
 * it acts on (none: every resource of the caller's account and region).
 * An operation of the model missing here answers NotImplementedException.
 * Also the rest-json protocol that serves them, and the service's start-up. */
#include "aws/error.h"
#include "aws/pipeline.h"
#include "crypto/keys.h"
#include "ivs/ivs.h"
#include "ivs/page_token.h"
#include "ivs/public_key.h"
#include "ivs/session.h"
#include "store/key_table.h"
#include "store/store.h"

#define R AWS_OP_READ
#define W AWS_OP_WRITE

const struct aws_op ivs_ops[OP__COUNT] = {
	/* operation                      handler          IAM action                       resource member  flags */
	[OP_CreateStage] =                { stage_create,   "ivs:CreateStage",                NULL,          W },
	[OP_GetStage] =                   { stage_get,      "ivs:GetStage",                   "arn",         R },
	[OP_UpdateStage] =                { stage_update,   "ivs:UpdateStage",                "arn",         W },
	[OP_DeleteStage] =                { stage_delete,   "ivs:DeleteStage",                "arn",         W },
	[OP_ListStages] =                 { stage_list,     "ivs:ListStages",                 NULL,          R },
	[OP_CreateStorageConfiguration] = { storage_create, "ivs:CreateStorageConfiguration", NULL,          W },
	[OP_GetStorageConfiguration] =    { storage_get,    "ivs:GetStorageConfiguration",    "arn",         R },
	[OP_DeleteStorageConfiguration] = { storage_delete, "ivs:DeleteStorageConfiguration", "arn",         W },
	[OP_ListStorageConfigurations] =  { storage_list,   "ivs:ListStorageConfigurations",  NULL,          R },
	[OP_TagResource] =                { tag_resource,   "ivs:TagResource",                "resourceArn", W },
	[OP_UntagResource] =              { untag_resource, "ivs:UntagResource",              "resourceArn", W },
	[OP_ListTagsForResource] =        { list_tags,      "ivs:ListTagsForResource",        "resourceArn", R },
	[OP_CreateParticipantToken] =     { token_create,   "ivs:CreateParticipantToken",     "stageArn",    W },
	[OP_GetStageSession] =            { stage_session_get,       "ivs:GetStageSession",       "stageArn", R },
	[OP_ListStageSessions] =          { stage_session_list,      "ivs:ListStageSessions",     "stageArn", R },
	[OP_GetParticipant] =             { participant_get,         "ivs:GetParticipant",        "stageArn", R },
	[OP_ListParticipants] =           { participant_list,        "ivs:ListParticipants",      "stageArn", R },
	[OP_ListParticipantEvents] =      { participant_events_list, "ivs:ListParticipantEvents", "stageArn", R },
	[OP_DisconnectParticipant] =      { participant_disconnect,  "ivs:DisconnectParticipant", "stageArn", W },
	[OP_ImportPublicKey] =            { public_key_import, "ivs:ImportPublicKey",          NULL,          W },
	[OP_GetPublicKey] =               { public_key_get,    "ivs:GetPublicKey",             "arn",         R },
	[OP_DeletePublicKey] =            { public_key_delete, "ivs:DeletePublicKey",          "arn",         W },
	[OP_ListPublicKeys] =             { public_key_list,   "ivs:ListPublicKeys",           NULL,          R },
};

#undef R
#undef W

static const char *const json_types[] = { "application/json", "application/x-amz-json-", NULL };

const struct aws_protocol ivs_protocol = {
	.name = "ivs-realtime",
	.signing_name = "ivs",
	.lookup = AWS_LOOKUP_REST,
	.media_types = json_types,
	.response_type = "application/json",
	.error = aws_error_respond,
	.model = operations,
	.ops = ivs_ops,
	.n_ops = OP__COUNT,
	.arn_service = "ivs",
	.validate_first = 0,	/* AWS checks permission before the input */
	.json_flags = JSON_COMPACT,
};

static unsigned char page_key[PAGE_TOKEN_KEY_BYTES];
static struct key_files key_files;
static struct key_store key_store;
static struct keyring *keys;

enum err_code
ivs_init(const char *data_dir, struct err *e)
{
	if (store_secret("page-token-key", page_key, sizeof(page_key), e) != ERR_OK ||
	    key_store_for(data_dir, 1, &key_files, &key_store, e) != ERR_OK)
		return e->code;
	keys = keys_open(&key_store, 1, e);
	return keys ? ERR_OK : e->code;
}

void
ivs_fini(void)
{
	keys_free(keys);
	keys = NULL;
}

enum err_code
ivs_write_empty(struct call *c, store_job_fn job, void *arg, json_t **out)
{
	if (store_write(job, arg, &c->err) != ERR_OK)
		return c->err.code;
	*out = json_object();
	return *out ? ERR_OK : err_set(&c->err, ERR_INTERNAL, "out of memory");
}

struct keyring *
ivs_keys(void)
{
	return keys;
}

const unsigned char *
ivs_page_key(void)
{
	return page_key;
}
