/* Stages and tags as stored: records and the queries on them.
 *
 * The caller (src/ivs/) holds the transaction and decides what changes;
 * these functions only read and write rows.
 */
#ifndef RTSTAGE_STORE_STAGE_STORE_H
#define RTSTAGE_STORE_STAGE_STORE_H

#include <jansson.h>

#include "store/store.h"

/* autoParticipantRecordingConfiguration, flattened. Lists are stored as
 * comma-joined enum values ("" for an empty list). */
struct recording {
	char storage_arn[132];
	char media_types[64];
	int thumb_interval;
	char thumb_storage[64];
	char thumb_mode[16];
	int reconnect_window;
	int hls_segment;
	int record_replicas;
};

struct stage_rec {
	long long seq;			/* list order, assigned by the store */
	char id[16];
	char account[16];
	char region[64];
	char arn[192];
	char name[400];			/* 128 UTF-16 units at most 3 bytes each */
	struct recording rec;
	char active_session_id[24];	/* read only: "" when no session is active */
};

/* Inserts st (its seq is assigned). ERR_CONFLICT if the id exists. */
enum err_code store_stage_insert(struct store *s, const struct stage_rec *st, struct err *e);

/* Reads the stage id of (account, region) into out; ERR_NOT_FOUND if none. */
enum err_code store_stage_get(struct store *s, const char *account, const char *region,
    const char *id, struct stage_rec *out, struct err *e);

/* As store_stage_get, and calls tag(arg, key, value) for each of the
 * stage's tags in key order: one statement, so one consistent snapshot
 * without a transaction. */
enum err_code store_stage_read(struct store *s, const char *account, const char *region,
    const char *id, struct stage_rec *out,
    void (*tag)(void *arg, const char *key, const char *value), void *arg, struct err *e);

/* Writes name and recording of the stage st->id. */
enum err_code store_stage_update(struct store *s, const struct stage_rec *st, struct err *e);

/* Deletes the stage st->id and its tags. */
enum err_code store_stage_delete(struct store *s, const struct stage_rec *st, struct err *e);

/* What ListStages shows of a stage. */
struct stage_summary {
	long long seq;
	char arn[192];
	char name[400];
	char active_session_id[24];	/* "" when no session is active */
};

/* Calls row(arg, summary, key, value) for each tag of up to limit stages
 * of (account, region) with seq > after, in seq order and then key order,
 * once with key NULL for a stage without tags. One statement: one
 * consistent snapshot. Returns ERR_OK or the first error (row's included). */
enum err_code store_stage_page(struct store *s, const char *account, const char *region,
    long long after, int limit,
    enum err_code (*row)(void *arg, const struct stage_summary *st, const char *key,
	const char *value),
    void *arg, struct err *e);

/* As store_stage_page, with each stage's whole record (recording
 * configuration included): what a facade showing full stages lists. */
enum err_code store_stage_page_full(struct store *s, const char *account, const char *region,
    long long after, int limit,
    enum err_code (*row)(void *arg, const struct stage_rec *st, const char *key,
	const char *value),
    void *arg, struct err *e);

/* Sets *used when any stage records storage_arn. */
enum err_code store_stage_uses_storage(struct store *s, const char *storage_arn, int *used,
    struct err *e);

#endif
