/* Tags for every resource type: the permissions a change of tags needs,
 * and the update of a type whose only updatable property is Tags. */
#include <string.h>

#include "aws/auth.h"
#include "cloudcontrol/model.h"
#include "cloudcontrol/tagged.h"
#include "util/jsonpatch.h"

void
cc_tag_changes(const struct tag_set *have, const struct tag_set *want, int *untag, int *tag)
{
	const char *v;
	size_t i;

	*untag = *tag = 0;
	for (i = 0; i < have->n; i++)
		*untag |= tag_set_get(want, have->v[i].key) == NULL;
	for (i = 0; i < want->n; i++)
		*tag |= (v = tag_set_get(have, want->v[i].key)) == NULL ||
		    strcmp(v, want->v[i].value) != 0;
}

enum err_code
cc_update_tags_in(struct call *c, struct store *s, const struct schema *sc, const char *arn,
    const json_t *before, const struct tag_set *have, const json_t *patch)
{
	struct tag_set want;
	json_t *after = json_deep_copy(before);
	int untag, tag;
	enum err_code rc;

	tag_set_init(&want);
	/* everything is checked and authorized before anything is written */
	if (after == NULL) {
		rc = err_set(&c->err, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((rc = jsonpatch_apply(&after, patch, &c->err)) != ERR_OK ||
	    (rc = schema_check_read_only(sc, before, after, &c->err)) != ERR_OK ||
	    (rc = schema_check_create_only(sc, before, after, &c->err)) != ERR_OK ||
	    (rc = schema_check(sc, after, &c->err)) != ERR_OK ||
	    (rc = model_tags(json_object_get(after, "Tags"), &want, &c->err)) != ERR_OK)
		goto out;
	cc_tag_changes(have, &want, &untag, &tag);
	if ((untag && (rc = auth_allow(c, "ivs:UntagResource", arn)) != ERR_OK) ||
	    (tag && (rc = auth_allow(c, "ivs:TagResource", arn)) != ERR_OK))
		goto out;
	if (untag || tag)
		rc = tags_replace_in(c, s, arn, &want);
out:
	json_decref(after);
	tag_set_free(&want);
	return rc;
}

enum err_code
cc_walk_row(struct cc_walk *w, long long seq, const char *arn, cc_model_fn model_of,
    const void *rec)
{
	struct tag_set tags;
	json_t *model;
	enum err_code rc;

	tag_set_init(&tags);
	if ((rc = tags_load_in(w->c, w->s, arn, &tags)) == ERR_OK) {
		if ((model = model_of(rec, &tags)) == NULL)
			rc = err_set(&w->c->err, ERR_INTERNAL, "out of memory");
		else
			rc = w->row(w->arg, seq, arn, model);
	}
	tag_set_free(&tags);
	return rc;
}
