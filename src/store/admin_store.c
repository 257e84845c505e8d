/* Queries over the whole store: the reset of every resource.
 *
 * The resource tables are listed here once; a migration that adds a
 * resource table adds its row, or a reset leaves its rows behind.
 */
#include "store/admin_store.h"
#include "store/store.h"

/* Children before parents, though no foreign keys are declared. */
static const char *const reset_sql[] = {
	"DELETE FROM participant_events",
	"DELETE FROM session_participants",
	"DELETE FROM participant_revocations",
	"DELETE FROM stage_sessions",
	"DELETE FROM tags",
	"DELETE FROM participant_tokens",
	"DELETE FROM stages",
	"DELETE FROM storage_configurations",
	"DELETE FROM public_keys",
	"DELETE FROM usage",
	"DELETE FROM resource_requests",
};

static enum err_code
reset_job(struct store *s, void *arg, struct err *e)
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(reset_sql) / sizeof(reset_sql[0]); i++)
		if (store_exec(s, reset_sql[i], e) != ERR_OK)
			return e->code;
	return ERR_OK;
}

enum err_code
store_admin_reset(struct err *e)
{
	return store_write(reset_job, NULL, e);
}
