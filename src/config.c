/* Configuration table: every option, its variable, default and meaning. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum option_kind { OPT_TEXT, OPT_COUNT };

struct option {
	const char *flag;
	const char *env;
	const char *def;
	size_t offset;			/* of the field in struct config */
	const char *help;
	enum option_kind kind;		/* OPT_TEXT: const char *; OPT_COUNT: unsigned */
	unsigned min, max;		/* OPT_COUNT range */
};

#define AT(field) offsetof(struct config, field)

#define TEXT(f, v, d, field, h) \
	{ .flag = (f), .env = (v), .def = (d), .offset = AT(field), .help = (h), .kind = OPT_TEXT }
#define NUM(f, v, d, field, h, lo, hi) \
	{ .flag = (f), .env = (v), .def = (d), .offset = AT(field), .help = (h), \
	  .kind = OPT_COUNT, .min = (lo), .max = (hi) }

static const struct option options[] = {
	TEXT("--listen", "RTSTAGE_LISTEN", "127.0.0.1:4590", listen,
	    "HOST:PORT to serve on (port 0: any free port)"),
	TEXT("--data-dir", "RTSTAGE_DATA_DIR", "./data", data_dir,
	    "directory for the database and keys (created if missing)"),
	TEXT("--db", "RTSTAGE_DB", NULL, db_url,
	    "database URL: sqlite:PATH (default: DATA_DIR/rtstage.db), or postgres://... "
	    "(libpq URL; several nodes may share it)"),
	TEXT("--default-account", "RTSTAGE_DEFAULT_ACCOUNT", "123456789012", default_account,
	    "account of access keys that are not 12 digits (protected mode)"),
	TEXT("--credentials", "RTSTAGE_CREDENTIALS", NULL, credentials,
	    "credentials file: strict SigV4, accounts and permissions (reread on SIGHUP)"),
	NUM("--threads", "RTSTAGE_THREADS", "0", threads,
	    "worker threads (0: eight per CPU)", 0, 256),
	NUM("--idle-timeout", "RTSTAGE_IDLE_TIMEOUT", "60", idle_seconds,
	    "seconds before an idle connection is closed", 1, 3600),
	NUM("--request-timeout", "RTSTAGE_REQUEST_TIMEOUT", "30", request_seconds,
	    "seconds from a request's headers to the end of its body", 1, 3600),
	TEXT("--endpoint-events", "RTSTAGE_ENDPOINT_EVENTS", "wss://global.events.live-video.net",
	    endpoint[ENDPOINT_EVENTS], "events endpoint template"),
	TEXT("--endpoint-whip", "RTSTAGE_ENDPOINT_WHIP", "https://{hex}.global-bm.whip.live-video.net",
	    endpoint[ENDPOINT_WHIP], "WHIP endpoint template"),
	TEXT("--endpoint-rtmp", "RTSTAGE_ENDPOINT_RTMP",
	    "rtmp://{hex}.global-contribute.live-video.net/app/",
	    endpoint[ENDPOINT_RTMP], "RTMP endpoint template"),
	TEXT("--endpoint-rtmps", "RTSTAGE_ENDPOINT_RTMPS",
	    "rtmps://{hex}.global-contribute.live-video.net:443/app/",
	    endpoint[ENDPOINT_RTMPS], "RTMPS endpoint template"),
	/* quotas: the real service's defaults, per account and region */
	NUM("--quota-stages", "RTSTAGE_QUOTA_STAGES", "1000", quota_stages,
	    "stages per account and region", 0, 100000000),
	NUM("--quota-storage-configurations", "RTSTAGE_QUOTA_STORAGE_CONFIGURATIONS", "5",
	    quota_storage_configurations, "storage configurations per account and region",
	    0, 100000000),
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* Stores text as option o's value in cfg. */
static enum err_code
set(struct config *cfg, const struct option *o, const char *text, struct err *e)
{
	unsigned long n;
	char *end;

	if (o->kind == OPT_TEXT) {
		*(const char **)((char *)cfg + o->offset) = text;
		return ERR_OK;
	}
	n = strtoul(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || n < o->min || n > o->max)
		return err_set(e, ERR_VALIDATION, "%s (%s) must be a whole number from %u to %u, "
		    "not '%s'", o->flag, o->env, o->min, o->max, text);
	*(unsigned *)((char *)cfg + o->offset) = (unsigned)n;
	return ERR_OK;
}

void
config_usage(void *fp)
{
	FILE *f = fp;
	size_t i;

	fprintf(f, "Options of rtstage serve (each also read from its environment variable):\n");
	for (i = 0; i < N_OPTIONS; i++)
		fprintf(f, "  %-32s %-38s %s%s%s%s\n", options[i].flag, options[i].env,
		    options[i].help, options[i].def ? " [" : "",
		    options[i].def ? options[i].def : "", options[i].def ? "]" : "");
	fprintf(f, "Endpoint templates expand {hex} (12 hex digits of the stage), {id}, "
	    "{region}, {account}.\n");
}

enum err_code
config_load(struct config *cfg, int argc, char **argv, struct err *e)
{
	const char *v;
	size_t i;
	int a;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < N_OPTIONS; i++) {
		v = getenv(options[i].env);
		if (v == NULL || *v == '\0')
			v = options[i].def;
		if (v != NULL && set(cfg, &options[i], v, e) != ERR_OK)
			return e->code;
	}
	for (a = 0; a < argc; a++) {
		for (i = 0; i < N_OPTIONS; i++)
			if (strcmp(argv[a], options[i].flag) == 0)
				break;
		if (i == N_OPTIONS)
			return err_set(e, ERR_VALIDATION, "unknown option '%s' (see --help)", argv[a]);
		if (a + 1 >= argc)
			return err_set(e, ERR_VALIDATION, "option %s needs a value", argv[a]);
		if (set(cfg, &options[i], argv[++a], e) != ERR_OK)
			return e->code;
	}
	if (strlen(cfg->default_account) != 12 ||
	    strspn(cfg->default_account, "0123456789") != 12)
		return err_set(e, ERR_VALIDATION, "--default-account must be 12 digits, not '%s'",
		    cfg->default_account);
	return ERR_OK;
}
