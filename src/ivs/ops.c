/* The ivs-realtime operations rtstage serves: the whole API at a glance.
 * An operation of the model missing here answers NotImplementedException. */
#include "crypto/keys.h"
#include "ivs/ivs.h"
#include "ivs/page_token.h"
#include "ivs/session.h"
#include "store/key_table.h"
#include "store/store.h"

const op_fn ivs_ops[OP__COUNT] = {
	[OP_CreateStage] = stage_create,
	[OP_GetStage] = stage_get,
	[OP_UpdateStage] = stage_update,
	[OP_DeleteStage] = stage_delete,
	[OP_ListStages] = stage_list,
	[OP_CreateStorageConfiguration] = storage_create,
	[OP_GetStorageConfiguration] = storage_get,
	[OP_DeleteStorageConfiguration] = storage_delete,
	[OP_ListStorageConfigurations] = storage_list,
	[OP_TagResource] = tag_resource,
	[OP_UntagResource] = untag_resource,
	[OP_ListTagsForResource] = list_tags,
	[OP_CreateParticipantToken] = token_create,
	[OP_GetStageSession] = stage_session_get,
	[OP_ListStageSessions] = stage_session_list,
	[OP_GetParticipant] = participant_get,
	[OP_ListParticipants] = participant_list,
	[OP_ListParticipantEvents] = participant_events_list,
	[OP_DisconnectParticipant] = participant_disconnect,
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
