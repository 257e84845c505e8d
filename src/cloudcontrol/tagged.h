/* What the resource types share about tags: which permissions a change of
 * tags needs, and the update of a type whose only updatable property is
 * Tags (AWS::IVS::PublicKey, AWS::IVS::StorageConfiguration). */
#ifndef RTSTAGE_CLOUDCONTROL_TAGGED_H
#define RTSTAGE_CLOUDCONTROL_TAGGED_H

#include <jansson.h>

#include "aws/call.h"
#include "cloudcontrol/schema.h"
#include "cloudcontrol/types.h"
#include "ivs/tags.h"

/* What a change of tags from have to want needs: *untag when a key goes,
 * *tag when a key comes or changes its value. */
void cc_tag_changes(const struct tag_set *have, const struct tag_set *want, int *untag,
    int *tag);

/* Inside a writing job: applies patch to before, the current model of the
 * resource arn (tags have), checks the result (read-only, create-only:
 * ERR_NOT_UPDATABLE, then the schema sc), authorizes ivs:UntagResource
 * and ivs:TagResource on arn as the change needs, and only then makes the
 * resource's tags the result's. */
enum err_code cc_update_tags_in(struct call *c, struct store *s, const struct schema *sc,
    const char *arn, const json_t *before, const struct tag_set *have, const json_t *patch);

/* A ListResources page of a tagged type, walked inside a reading job: each
 * record's model, built with its tags, goes to row. */
struct cc_walk {
	struct call *c;
	struct store *s;
	cc_row_fn row;
	void *arg;
};

/* Builds the model of rec (a record of the walked type) with its tags. */
typedef json_t *(*cc_model_fn)(const void *rec, const struct tag_set *tags);

/* One record of the walk: loads the tags of arn, builds model_of(rec) and
 * hands it to w->row with seq and arn. */
enum err_code cc_walk_row(struct cc_walk *w, long long seq, const char *arn,
    cc_model_fn model_of, const void *rec);

#endif
