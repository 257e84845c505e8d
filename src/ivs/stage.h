/* Stages as the domain speaks them: typed calls that check the stage rules
 * (quota, storage reference, recording defaults and the reset rule, the
 * tag rules) and run inside one store job, so that every facade (the
 * ivs-realtime API, Cloud Control) keeps them the same way and can do a
 * whole change in one transaction. No JSON here.
 *
 * The _in calls run inside a job (store_write, or store_read for loads):
 * they never begin or end a transaction, and they check everything a
 * change needs before writing any of it. Errors go to c->err.
 */
#ifndef RTSTAGE_IVS_STAGE_H
#define RTSTAGE_IVS_STAGE_H

#include "aws/call.h"
#include "ivs/tags.h"
#include "store/stage_store.h"

/* What a request says of a stage; NULL members were not given. */
struct stage_spec {
	const char *name;
	const struct recording *rec;	/* as sent: the reset rule is applied here */
	const struct tag_set *tags;	/* create: its tags; apply: every tag it keeps */
};

/* Makes a new stage's record from spec, outside any job: a fresh id and
 * ARN in the caller's account and region, the name ("" when not given),
 * the recording (defaults when not given; an empty storage ARN resets
 * every member to its default). */
enum err_code stage_prepare(struct call *c, const struct stage_spec *spec, struct stage_rec *st);

/* Inside a writing job: stores st (made by stage_prepare) with tags (may
 * be NULL): checks its storage reference, the tag rules and the stage
 * quota, then writes. */
enum err_code stage_create_in(struct call *c, struct store *s, const struct stage_rec *st,
    const struct tag_set *tags);

/* Reads the caller's stage arn into st and, when tags is not NULL, its
 * tags in key order (one statement: a job, or a lone read on the thread's
 * connection). ERR_NOT_FOUND "Stage not found" also for an ARN of another
 * type, account or region. */
enum err_code stage_load_in(struct call *c, struct store *s, const char *arn,
    struct stage_rec *st, struct tag_set *tags);

/* Inside a writing job: changes st, loaded in the same job, as ch says
 * (name, recording, and when ch->tags is given the whole tag set), after
 * checking the storage reference and the tag rules. st is the stage as
 * written afterwards. */
enum err_code stage_apply_in(struct call *c, struct store *s, struct stage_rec *st,
    const struct stage_spec *ch);

/* Inside a writing job: deletes the caller's stage arn, its tags and
 * participant token records, and gives back its quota. */
enum err_code stage_delete_in(struct call *c, struct store *s, const char *arn);

/* Calls row(arg, st, key, value) for up to limit stages of the caller
 * with seq > after, in seq order, once per tag in key order (key NULL for
 * a stage without tags): one statement, one snapshot. */
enum err_code stage_page_in(struct call *c, struct store *s, long long after, int limit,
    enum err_code (*row)(void *arg, const struct stage_rec *st, const char *key,
	const char *value),
    void *arg);

#endif
