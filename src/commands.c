/* Offline commands on a data directory.
 *
 *   rtstage keys rotate [--data-dir DIR]
 *       makes a new token signing key; a running server picks it up, and
 *       older keys stay published until their tokens have expired.
 *   rtstage token inspect TOKEN [--data-dir DIR]
 *       decodes TOKEN, verifies it against DIR's keys, looks up its record,
 *       prints the claims and whether it is valid, expired or revoked.
 *       Exit status: 0 valid, 1 not valid, 2 usage or set-up error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "store/store.h"
#include "store/token_store.h"
#include "util/timefmt.h"

/* Reads [--data-dir DIR] (default $RTSTAGE_DATA_DIR or ./data); the one
 * positional word, if want_word, into *word. Returns 0 or -1. */
static int
args(int argc, char **argv, const char **dir, int want_word, const char **word)
{
	int i;

	*dir = getenv("RTSTAGE_DATA_DIR") && *getenv("RTSTAGE_DATA_DIR") ?
	    getenv("RTSTAGE_DATA_DIR") : "./data";
	*word = NULL;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
			*dir = argv[++i];
		else if (want_word && *word == NULL && argv[i][0] != '-')
			*word = argv[i];
		else
			return -1;
	}
	return want_word && *word == NULL ? -1 : 0;
}

int
cmd_keys_rotate(int argc, char **argv)
{
	char kid[KEYS_KID_LEN + 1];
	const char *dir, *none;
	struct err e;

	if (args(argc, argv, &dir, 0, &none) != 0) {
		fprintf(stderr, "usage: rtstage keys rotate [--data-dir DIR]\n");
		return 2;
	}
	if (keys_rotate(dir, kid, &e) != ERR_OK) {
		fprintf(stderr, "rtstage: %s\n", e.msg);
		return 2;
	}
	printf("new signing key %s in %s/keys; older keys stay published for %d days\n",
	    kid, dir, KEYS_RETAIN_SECONDS / 86400);
	return 0;
}

/* Prints what the store knows of participant id; sets *revoked. */
static void
print_record(const char *dir, const char *id, int *revoked)
{
	char url[4200], when[TIME_ISO8601_LEN];
	struct token_rec r;
	struct store *s;
	struct err e;

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "sqlite:%s/rtstage.db", dir);
	if (store_init(url, &e) != ERR_OK || (s = store_thread(&e)) == NULL ||
	    store_token_get(s, id, &r, &e) != ERR_OK) {
		printf("record:    none (%s)\n", e.msg);
		store_fini();
		return;
	}
	time_iso8601((time_t)r.issued_at, when);
	printf("record:    participant %s of %s, issued %s, %d minutes\n", r.participant_id,
	    r.stage_arn, when, r.duration);
	printf("revoked:   %s\n", r.revoked ? "yes" : "no");
	*revoked = r.revoked;
	free(r.attributes);
	store_fini();
}

int
cmd_token_inspect(int argc, char **argv)
{
	const char *dir, *token, *id;
	json_t *header = NULL, *claims = NULL, *exp;
	struct keyring *k;
	enum jwt_check check;
	char when[TIME_ISO8601_LEN], *text;
	long long now = (long long)time(NULL), left;
	int revoked = 0, expired = 0, has_exp;
	struct err e;

	if (args(argc, argv, &dir, 1, &token) != 0) {
		fprintf(stderr, "usage: rtstage token inspect TOKEN [--data-dir DIR]\n");
		return 2;
	}
	if ((k = keys_open(dir, 0, &e)) == NULL) {
		fprintf(stderr, "rtstage: %s\n", e.msg);
		return 2;
	}
	check = jwt_verify(k, token, &header, &claims);
	keys_free(k);
	if (header != NULL && (text = json_dumps(header, JSON_COMPACT)) != NULL) {
		printf("header:    %s\n", text);
		free(text);
	}
	if (claims != NULL && (text = json_dumps(claims, JSON_INDENT(2) | JSON_SORT_KEYS)) != NULL) {
		printf("claims:    %s\n", text);
		free(text);
	}
	printf("signature: %s\n", jwt_check_text(check));
	if ((has_exp = json_is_integer(exp = json_object_get(claims, "exp")))) {
		left = json_integer_value(exp) - now;
		expired = left <= 0;
		time_iso8601((time_t)json_integer_value(exp), when);
		printf("expires:   %s (%s %lld minutes%s)\n", when, expired ? "expired" : "in",
		    (expired ? -left : left) / 60, expired ? " ago" : "");
	}
	if ((id = json_string_value(json_object_get(claims, "jti"))) != NULL)
		print_record(dir, id, &revoked);
	json_decref(header);
	json_decref(claims);
	if (check == JWT_VALID && !expired && !revoked && has_exp) {
		printf("verdict:   VALID\n");
		return 0;
	}
	printf("verdict:   NOT VALID: %s\n", check != JWT_VALID ? jwt_check_text(check) :
	    revoked ? "the token was revoked" : expired ? "the token has expired" :
	    "the token has no exp claim");
	return 1;
}
