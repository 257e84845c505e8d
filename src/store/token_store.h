/* Records of issued participant tokens (never the token string). */
#ifndef RTSTAGE_STORE_TOKEN_STORE_H
#define RTSTAGE_STORE_TOKEN_STORE_H

#include "store/store.h"

struct token_rec {
	char participant_id[72];
	char stage_arn[192];
	char user_id[400];
	char *attributes;	/* JSON object text; owned by the record's maker */
	char capabilities[32];	/* comma-joined */
	int duration;		/* minutes */
	long long issued_at, expires_at;
	int revoked;
};

/* Records r inside the open writing transaction. */
enum err_code store_token_insert(struct store *s, const struct token_rec *r, struct err *e);

/* Reads the record of participant_id into out (attributes: caller frees);
 * ERR_NOT_FOUND if there is none. */
enum err_code store_token_get(struct store *s, const char *participant_id, struct token_rec *out,
    struct err *e);

/* Marks the record of participant_id for stage_arn revoked, if there is one. */
enum err_code store_token_revoke(struct store *s, const char *stage_arn,
    const char *participant_id, struct err *e);

/* Deletes the records of every token of stage_arn. */
enum err_code store_tokens_delete_stage(struct store *s, const char *stage_arn, struct err *e);

#endif
