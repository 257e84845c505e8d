/* The ivs-realtime operations rtstage serves: the whole API at a glance.
 * An operation of the model missing here answers NotImplementedException. */
#include "ivs/ivs.h"
#include "ivs/page_token.h"
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
};

static unsigned char page_key[PAGE_TOKEN_KEY_BYTES];

enum err_code
ivs_init(struct err *e)
{
	return store_secret("page-token-key", page_key, sizeof(page_key), e);
}

const unsigned char *
ivs_page_key(void)
{
	return page_key;
}
