/* Offline commands on a server's data.
 *
 *   rtstage keys rotate [--data-dir DIR] [--db URL]
 *       makes a new token signing key; a running server picks it up, and
 *       older keys stay published until their tokens have expired.
 *   rtstage token inspect TOKEN [--data-dir DIR] [--db URL]
 *       decodes TOKEN, verifies it against the server's keys or, when
 *       customer-signed, the imported public key its kid names (as the
 *       events socket does), judges its claims, looks up its stage and its
 *       record, prints the claims and whether it is valid, or why not
 *       (signature, key, expiry, a claim rule, deleted stage, revoked, no
 *       record). Exit status: 0 valid, 1 not valid, 2 usage or set-up error.
 *
 * The keys are files under DIR with SQLite, rows of the database with
 * PostgreSQL; --db (or RTSTAGE_DB) names the database as for serve.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "ivs/arn.h"
#include "ivs/ptoken.h"
#include "ivs/public_key.h"
#include "ivs/session.h"
#include "limits.h"
#include "store/key_table.h"
#include "store/stage_store.h"
#include "store/store.h"
#include "store/token_store.h"
#include "util/timefmt.h"

#define KEYS_USAGE \
	"usage: rtstage keys rotate [--data-dir DIR] [--db URL]\n" \
	"  Makes a new token signing key; a running server picks it up, and older keys\n" \
	"  stay published until their tokens have expired. --data-dir (RTSTAGE_DATA_DIR,\n" \
	"  default ./data) and --db (RTSTAGE_DB) name the server's data as for serve.\n"
#define TOKEN_USAGE \
	"usage: rtstage token inspect TOKEN [--data-dir DIR] [--db URL]\n" \
	"  Decodes TOKEN, verifies it against the server's keys (or the imported public\n" \
	"  key a customer-signed token names), prints its claims and whether it is\n" \
	"  valid, expired or revoked. Exit status: 0 valid, 1 not valid, 2 usage or\n" \
	"  set-up error.\n"

struct where {
	const char *dir;
	char db[4200];
};

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

/* The value of option name ("--db") at argv[*i], written "--db URL" or
 * "--db=URL" (the next word is consumed), or NULL if argv[*i] is not it. */
static const char *
option(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* Reads [--data-dir DIR] [--db URL] (defaults: $RTSTAGE_DATA_DIR or ./data,
 * $RTSTAGE_DB or DIR's SQLite database); the one positional word, if
 * want_word, into *word. Returns 0, 1 for --help, or -1. */
static int
args(int argc, char **argv, struct where *w, int want_word, const char **word)
{
	const char *db = env_or("RTSTAGE_DB", NULL), *v;
	int i;

	w->dir = env_or("RTSTAGE_DATA_DIR", "./data");
	*word = NULL;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
		if ((v = option(argc, argv, &i, "--data-dir")) != NULL)
			w->dir = v;
		else if ((v = option(argc, argv, &i, "--db")) != NULL)
			db = v;
		else if (want_word && *word == NULL && argv[i][0] != '-')
			*word = argv[i];
		else
			return -1;
	}
	if (db)
		snprintf(w->db, sizeof(w->db), "%s", db);
	else
		snprintf(w->db, sizeof(w->db), "sqlite:%s/rtstage.db", w->dir);
	return want_word && *word == NULL ? -1 : 0;
}

int
cmd_keys_rotate(int argc, char **argv)
{
	char kid[KEYS_KID_LEN + 1];
	struct key_files files;
	struct key_store ks;
	struct where w;
	const char *none;
	struct err e;
	int rc = 2;

	if ((rc = args(argc, argv, &w, 0, &none)) != 0) {
		fprintf(rc > 0 ? stdout : stderr, "%s", KEYS_USAGE);
		return rc > 0 ? 0 : 2;
	}
	rc = 2;
	if (store_init(w.db, &e) == ERR_OK && key_store_for(w.dir, 1, &files, &ks, &e) == ERR_OK &&
	    keys_rotate(&ks, kid, &e) == ERR_OK) {
		printf("new signing key %s in %s; older keys stay published for %d days\n",
		    kid, ks.where, KEYS_RETAIN_SECONDS / 86400);
		rc = 0;
	} else {
		fprintf(stderr, "rtstage: %s\n", e.msg);
	}
	store_fini();
	return rc;
}

/* What inspect found out about a token; each flag, when set, makes it
 * not valid (see faults[]). */
struct findings {
	enum jwt_check check;
	struct ptoken pt;	/* what the verifier of the events socket says */
	enum ptoken_code verdict;
	int customer;		/* the kid is not the server's: an imported key's */
	int no_exp;		/* no integer exp claim */
	int exp_range;		/* exp not a time ISO 8601 can show */
	int expired;
	int rule;		/* breaks a rule of the token schema (pt.why) */
	int stage_gone;		/* the stage it names does not exist (deleted) */
	int stage_unknown;	/* the stage could not be looked up */
	int revoked;
	int no_record;		/* the server has no record of issuing it */
};

/* Prints the expiry claim; sets f->no_exp, exp_range, expired. */
static void
print_expiry(const json_t *claims, long long now, struct findings *f)
{
	const json_t *exp = json_object_get(claims, "exp");
	char when[TIME_ISO8601_LEN];
	long long v, left;

	if (!json_is_integer(exp)) {
		f->no_exp = 1;
		return;
	}
	v = json_integer_value(exp);
	if (v < 0 || v > LIMIT_TIME_MAX) {
		printf("expires:   exp %lld: out of range\n", v);
		f->exp_range = 1;
		return;
	}
	left = v - now;
	f->expired = left <= 0;
	time_iso8601((time_t)v, when);
	printf("expires:   %s (%s %lld minutes%s)\n", when, f->expired ? "expired" : "in",
	    (f->expired ? -left : left) / 60, f->expired ? " ago" : "");
}

/* Prints whether the stage the token names (its resource claim) exists;
 * sets f->stage_gone or stage_unknown. */
static void
print_stage(const json_t *claims, struct findings *f)
{
	const char *arn = json_string_value(json_object_get(claims, "resource"));
	struct stage_rec st;
	struct store *s;
	struct arn a;
	struct err e;

	if (arn == NULL || arn_parse(arn, &a) != 0 || strcmp(a.type, "stage") != 0) {
		printf("stage:     none named (no stage ARN in the resource claim)\n");
		f->stage_gone = 1;
		return;
	}
	if ((s = store_thread(&e)) == NULL ||
	    store_stage_get(s, a.account, a.region, a.id, &st, &e) != ERR_OK) {
		f->stage_gone = e.code == ERR_NOT_FOUND;
		f->stage_unknown = !f->stage_gone;
		printf("stage:     %s %s\n", arn, f->stage_gone ? "does not exist (deleted)" : e.msg);
		return;
	}
	printf("stage:     %s exists\n", arn);
}

/* Was participant id revoked for stage_arn (DisconnectParticipant)?
 * 1 yes, 0 no or unknown. */
static int
revoked_on_stage(const char *stage_arn, const char *id)
{
	struct store *s;
	struct err e;
	int r = 0;

	if (stage_arn == NULL || (s = store_thread(&e)) == NULL ||
	    session_is_revoked(s, stage_arn, id, &r, &e) != ERR_OK)
		return 0;
	return r;
}

/* Prints what the store knows of participant id of stage_arn (the
 * resource claim, may be NULL); sets f->revoked or no_record. A
 * customer-signed token has no record: only its revocation is told. */
static void
print_record(const char *id, const char *stage_arn, struct findings *f)
{
	char when[TIME_ISO8601_LEN];
	struct token_rec r;
	struct store *s;
	struct err e;

	memset(&r, 0, sizeof(r));
	if (id == NULL) {
		printf("record:    none (no jti claim)\n");
		f->no_record = !f->customer;
		return;
	}
	if (f->customer) {
		f->revoked = revoked_on_stage(stage_arn, id);
		printf("record:    none (customer-signed: the server did not issue it)\n");
		printf("revoked:   %s\n", f->revoked ? "yes" : "no");
		return;
	}
	if ((s = store_thread(&e)) == NULL || store_token_get(s, id, &r, &e) != ERR_OK) {
		printf("record:    none (%s)\n", e.msg);
		f->no_record = 1;
		return;
	}
	time_iso8601((time_t)r.issued_at, when);
	printf("record:    participant %s of %s, issued %s, %d minutes\n", r.participant_id,
	    r.stage_arn, when, r.duration);
	f->revoked = r.revoked || revoked_on_stage(r.stage_arn, id);
	printf("revoked:   %s\n", f->revoked ? "yes" : "no");
	free(r.attributes);
}

/* Why a token is not valid, in the order they are told: the first that
 * holds is the verdict. */
static const struct {
	size_t flag;		/* offset of an int of struct findings */
	const char *why;
} faults[] = {
	{ offsetof(struct findings, no_exp), "the token has no exp claim" },
	{ offsetof(struct findings, exp_range), "the exp claim is out of range" },
	{ offsetof(struct findings, expired), "the token has expired" },
	{ offsetof(struct findings, rule), NULL },	/* pt.why */
	{ offsetof(struct findings, stage_gone), "its stage does not exist (deleted)" },
	{ offsetof(struct findings, stage_unknown), "its stage could not be looked up" },
	{ offsetof(struct findings, revoked), "the token was revoked" },
	{ offsetof(struct findings, no_record), "the server has no record of issuing it" },
};

/* Verifies token as the events socket does (ptoken_verify: a kid that is
 * not the server's names an imported public key) and prints who signed
 * it; sets f->pt, verdict, customer and rule. */
static void
judge(struct keyring *k, const char *token, struct findings *f)
{
	f->verdict = ptoken_verify(k, token, (long long)time(NULL), &f->pt);
	f->customer = f->check == JWT_UNKNOWN_KEY;
	if (!f->customer)
		printf("signature: %s\n", jwt_check_text(f->check));
	else if (f->pt.key_arn[0] != '\0')
		printf("signature: verified by the imported public key %s\n", f->pt.key_arn);
	else
		printf("signature: %s\n", f->pt.why);
	f->rule = f->verdict == PTOKEN_INVALID && (!f->customer || f->pt.key_arn[0] != '\0');
	if (f->rule)
		printf("rule:      %s\n", f->pt.why);
}

/* Prints the verdict; returns the exit status (0 valid, 1 not). */
static int
verdict(const struct findings *f)
{
	size_t i;

	if (f->customer && f->pt.key_arn[0] == '\0') {
		printf("verdict:   NOT VALID: %s\n", f->pt.why);
		return 1;
	}
	if (!f->customer && f->check != JWT_VALID) {
		printf("verdict:   NOT VALID: %s\n", jwt_check_text(f->check));
		return 1;
	}
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (*(const int *)(const void *)((const char *)f + faults[i].flag)) {
			printf("verdict:   NOT VALID: %s\n", faults[i].why ? faults[i].why : f->pt.why);
			return 1;
		}
	}
	printf("verdict:   VALID\n");
	return 0;
}

int
cmd_token_inspect(int argc, char **argv)
{
	const char *token;
	json_t *header = NULL, *claims = NULL;
	struct key_files files;
	struct key_store ks;
	struct keyring *k = NULL;
	struct findings f;
	struct where w;
	char *text;
	struct err e;
	int rc = 2;

	memset(&f, 0, sizeof(f));
	if ((rc = args(argc, argv, &w, 1, &token)) != 0) {
		fprintf(rc > 0 ? stdout : stderr, "%s", TOKEN_USAGE);
		return rc > 0 ? 0 : 2;
	}
	rc = 2;
	if (store_init(w.db, &e) != ERR_OK || key_store_for(w.dir, 0, &files, &ks, &e) != ERR_OK ||
	    (k = keys_open(&ks, 0, &e)) == NULL) {
		fprintf(stderr, "rtstage: %s\n", e.msg);
		goto out;
	}
	/* customer-signed tokens: their kid names an imported key, as serve */
	ptoken_set_key_lookup(public_key_token_key);
	f.check = jwt_verify(k, token, &header, &claims);
	if (header != NULL && (text = json_dumps(header, JSON_COMPACT)) != NULL) {
		printf("header:    %s\n", text);
		free(text);
	}
	if (claims != NULL && (text = json_dumps(claims, JSON_INDENT(2) | JSON_SORT_KEYS)) != NULL) {
		printf("claims:    %s\n", text);
		free(text);
	}
	judge(k, token, &f);
	if (claims != NULL) {
		print_expiry(claims, (long long)time(NULL), &f);
		print_stage(claims, &f);
		print_record(json_string_value(json_object_get(claims, "jti")),
		    json_string_value(json_object_get(claims, "resource")), &f);
	}
	rc = verdict(&f);
out:
	ptoken_free(&f.pt);
	keys_free(k);
	store_fini();
	json_decref(header);
	json_decref(claims);
	return rc;
}
