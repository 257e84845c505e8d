/* The schema, as numbered migrations. Append; never edit a released one.
 *
 * Each migration is one script in SQLite's SQL; a driver's dialect table
 * rewrites it for its database (PostgreSQL: BIGSERIAL for AUTOINCREMENT,
 * BIGINT for INTEGER). The writing transaction that applies them takes the
 * store's write lock first, so nodes that start together apply each
 * migration once, one after the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrations.h"

struct migration {
	int version;
	const char *what;
	const char *script;	/* SQLite's SQL; see the dialect tables */
};

static const struct migration migrations[] = {
	{ 1, "settings, stages and tags",
	  "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
	  "CREATE TABLE stages ("
	  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"	/* list order; never reused */
	  " id TEXT NOT NULL UNIQUE,"
	  " account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " rec_storage_arn TEXT NOT NULL, rec_media_types TEXT NOT NULL,"
	  " rec_thumb_interval INTEGER NOT NULL, rec_thumb_storage TEXT NOT NULL,"
	  " rec_thumb_mode TEXT NOT NULL, rec_reconnect_window INTEGER NOT NULL,"
	  " rec_hls_segment INTEGER NOT NULL, rec_replicas INTEGER NOT NULL,"
	  " created_at INTEGER NOT NULL);"
	  "CREATE INDEX stages_by_owner ON stages (account, region, seq);"
	  "CREATE TABLE tags (resource_arn TEXT NOT NULL, tag_key TEXT NOT NULL,"
	  " tag_value TEXT NOT NULL, PRIMARY KEY (resource_arn, tag_key));" },
	{ 2, "storage configurations and quota usage",
	  "CREATE TABLE storage_configurations ("
	  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " id TEXT NOT NULL UNIQUE,"
	  " account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,"
	  " name TEXT NOT NULL, bucket TEXT NOT NULL, created_at INTEGER NOT NULL);"
	  "CREATE INDEX storage_by_owner ON storage_configurations (account, region, seq);"
	  "CREATE INDEX stages_by_storage ON stages (rec_storage_arn);"
	  /* one counter per (account, region, kind): O(1) quota checks that
	   * serialise concurrent creates on the counter's row */
	  "CREATE TABLE usage (account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL,"
	  " used INTEGER NOT NULL, PRIMARY KEY (account, region, kind));"
	  "INSERT INTO usage (account, region, kind, used)"
	  " SELECT account, region, 'stages', COUNT(*) FROM stages GROUP BY account, region;" },
	{ 3, "participant token records",
	  /* what was issued, never the token itself */
	  "CREATE TABLE participant_tokens ("
	  " participant_id TEXT PRIMARY KEY, stage_arn TEXT NOT NULL,"
	  " user_id TEXT NOT NULL, attributes TEXT NOT NULL, capabilities TEXT NOT NULL,"
	  " duration INTEGER NOT NULL, issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	  " revoked INTEGER NOT NULL DEFAULT 0);"
	  "CREATE INDEX participant_tokens_by_stage ON participant_tokens (stage_arn);" },
	{ 4, "token signing keys (for databases shared by several nodes)",
	  "CREATE TABLE signing_keys (created INTEGER PRIMARY KEY, kid TEXT NOT NULL,"
	  " pem TEXT NOT NULL);" },
	{ 5, "Cloud Control resource requests",
	  "CREATE TABLE resource_requests ("
	  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " token TEXT NOT NULL UNIQUE,"
	  " account TEXT NOT NULL, region TEXT NOT NULL,"
	  " client_token TEXT,"			/* NULL: none given */
	  " fingerprint TEXT NOT NULL,"		/* of the request, for ClientToken reuse */
	  " type_name TEXT NOT NULL, identifier TEXT NOT NULL,"
	  " operation TEXT NOT NULL, status TEXT NOT NULL,"
	  " status_message TEXT NOT NULL, error_code TEXT NOT NULL, resource_model TEXT NOT NULL,"
	  " event_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
	  "CREATE UNIQUE INDEX resource_requests_by_client_token"
	  " ON resource_requests (account, region, client_token);"
	  "CREATE INDEX resource_requests_by_owner ON resource_requests (account, region, seq);"
	  "CREATE INDEX resource_requests_by_age ON resource_requests (created_ms);" },
	{ 6, "stage sessions, their participants and events, revocations",
	  /* end_ms 0: active; at most one active session per stage */
	  "CREATE TABLE stage_sessions ("
	  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " id TEXT NOT NULL UNIQUE, stage_arn TEXT NOT NULL,"
	  " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
	  " connected INTEGER NOT NULL,"		/* participants connected now */
	  " empty_since_ms INTEGER NOT NULL);"	/* when connected last fell */
	  "CREATE INDEX stage_sessions_by_stage ON stage_sessions (stage_arn, seq);"
	  "CREATE UNIQUE INDEX stage_sessions_active ON stage_sessions (stage_arn)"
	  " WHERE end_ms = 0;"
	  "CREATE INDEX stage_sessions_idle ON stage_sessions (empty_since_ms) WHERE end_ms = 0;"
	  "CREATE INDEX stage_sessions_by_end ON stage_sessions (end_ms);"
	  "CREATE TABLE session_participants ("
	  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " session_id TEXT NOT NULL, participant_id TEXT NOT NULL,"
	  " user_id TEXT NOT NULL, attributes TEXT NOT NULL, state TEXT NOT NULL,"
	  " first_join_ms INTEGER NOT NULL, published INTEGER NOT NULL,"
	  " recording_state TEXT NOT NULL, protocol TEXT NOT NULL,"
	  " browser_name TEXT NOT NULL, browser_version TEXT NOT NULL,"
	  " os_name TEXT NOT NULL, os_version TEXT NOT NULL, sdk_version TEXT NOT NULL,"
	  " node TEXT NOT NULL);"		/* the rtstage node holding its connection */
	  "CREATE UNIQUE INDEX session_participants_by_id"
	  " ON session_participants (session_id, participant_id);"
	  "CREATE INDEX session_participants_by_session ON session_participants (session_id, seq);"
	  "CREATE INDEX session_participants_by_user"
	  " ON session_participants (session_id, user_id, seq);"
	  "CREATE INDEX session_participants_by_published"
	  " ON session_participants (session_id, published, seq);"
	  "CREATE INDEX session_participants_by_state"
	  " ON session_participants (session_id, state, seq);"
	  "CREATE INDEX session_participants_by_recording"
	  " ON session_participants (session_id, recording_state, seq);"
	  "CREATE INDEX session_participants_by_node ON session_participants (node, state);"
	  "CREATE TABLE participant_events ("
	  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " session_id TEXT NOT NULL, participant_id TEXT NOT NULL,"
	  " name TEXT NOT NULL, event_ms INTEGER NOT NULL,"
	  " remote_participant_id TEXT NOT NULL, error_code TEXT NOT NULL,"
	  " previous_token TEXT NOT NULL, new_token TEXT NOT NULL);"	/* JSON or '' */
	  "CREATE INDEX participant_events_by_participant"
	  " ON participant_events (session_id, participant_id, seq);"
	  /* participant ids that may not join a stage again, signed by us or not */
	  "CREATE TABLE participant_revocations ("
	  " stage_arn TEXT NOT NULL, participant_id TEXT NOT NULL, revoked_ms INTEGER NOT NULL,"
	  " PRIMARY KEY (stage_arn, participant_id));"
	  "CREATE INDEX participant_revocations_by_age ON participant_revocations (revoked_ms);" },
	{ 7, "the live state of connected participants (the events socket's roster)",
	  "ALTER TABLE session_participants ADD COLUMN audio_muted INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE session_participants ADD COLUMN video_stopped INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE session_participants ADD COLUMN is_publishing INTEGER NOT NULL DEFAULT 0;" },
	{ 8, "imported public keys",
	  "CREATE TABLE public_keys ("
	  " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	  " id TEXT NOT NULL UNIQUE,"
	  " account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,"
	  " name TEXT NOT NULL, fingerprint TEXT NOT NULL, material TEXT NOT NULL,"
	  " created_at INTEGER NOT NULL);"
	  "CREATE INDEX public_keys_by_owner ON public_keys (account, region, seq);"
	  /* one key material per account and region */
	  "CREATE UNIQUE INDEX public_keys_by_fingerprint"
	  " ON public_keys (account, region, fingerprint);" },
	{ 9, "media nodes and the node hosting each stage's media",
	  /* a node's URL is where other nodes forward signalling; heartbeat_ms
	   * is the node's clock at its last beat */
	  "CREATE TABLE media_nodes (node TEXT PRIMARY KEY, url TEXT NOT NULL,"
	  " heartbeat_ms INTEGER NOT NULL);"
	  /* one host per stage; a row whose node is dead may be taken over */
	  "CREATE TABLE media_hosts (stage_arn TEXT PRIMARY KEY, node TEXT NOT NULL,"
	  " since_ms INTEGER NOT NULL);"
	  "CREATE INDEX media_hosts_by_node ON media_hosts (node);" },
};

/* script with every rule of dialect applied in turn; caller frees. */
static char *
rewrite(const char *script, const struct store_rewrite *dialect)
{
	char *text = strdup(script), *out, *at, *o;
	size_t from, to, hits;

	for (; text != NULL && dialect != NULL && dialect->from != NULL; dialect++) {
		from = strlen(dialect->from);
		to = strlen(dialect->to);
		for (hits = 0, at = text; (at = strstr(at, dialect->from)) != NULL; at += from)
			hits++;
		if ((out = malloc(strlen(text) + hits * to + 1)) == NULL)
			break;
		for (o = out, at = text; ; ) {
			char *hit = strstr(at, dialect->from);
			size_t keep = hit ? (size_t)(hit - at) : strlen(at);
			memcpy(o, at, keep);
			o += keep;
			if (hit == NULL)
				break;
			memcpy(o, dialect->to, to);
			o += to;
			at = hit + from;
		}
		*o = '\0';
		free(text);
		text = out;
	}
	return text;
}

static const char SQL_VERSION[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char SQL_RECORD[] = "INSERT INTO schema_migrations (version) VALUES (?)";

enum err_code
migrations_apply(struct store *s, struct err *e)
{
	struct store_stmt *st;
	long long have;
	size_t i;

	/* The writing transaction serialises nodes that start together. */
	const struct store_driver *drv = store_driver();
	char *script;
	enum err_code rc;

	if (store_begin(s, 1, e) != ERR_OK)
		return e->code;
	if (drv->migrate_setup != NULL && store_exec(s, drv->migrate_setup, e) != ERR_OK)
		goto fail;
	if (store_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations "
	    "(version INTEGER PRIMARY KEY)", e) != ERR_OK)
		goto fail;
	if ((st = store_sql(s, SQL_VERSION, e)) == NULL || store_step(st, e) != STORE_ROW)
		goto fail;
	have = store_col_int(st, 0);
	store_reset(st);	/* finish the read before writing */
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		if (migrations[i].version <= have)
			continue;
		if ((script = rewrite(migrations[i].script, drv->dialect)) == NULL) {
			err_set(e, ERR_INTERNAL, "out of memory");
			goto fail;
		}
		rc = store_exec(s, script, e);
		free(script);
		if (rc != ERR_OK)
			goto fail;
		if ((st = store_sql(s, SQL_RECORD, e)) == NULL)
			goto fail;
		store_bind_int(st, 1, migrations[i].version);
		if (store_run(st, e) != ERR_OK)
			goto fail;
		fprintf(stderr, "rtstage: applied migration %d (%s)\n",
		    migrations[i].version, migrations[i].what);
	}
	return store_commit(s, e);
fail:
	store_rollback(s);
	return e->code;
}
