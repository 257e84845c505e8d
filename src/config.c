/* Configuration table: every option, its variable, default and meaning. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct option {
	const char *flag;
	const char *env;
	const char *def;
	size_t offset;			/* of the const char * in struct config */
	const char *help;
};

#define AT(field) offsetof(struct config, field)

static const struct option options[] = {
	{ "--listen", "RTSTAGE_LISTEN", "127.0.0.1:4590", AT(listen),
	  "HOST:PORT to serve on (port 0: any free port)" },
	{ "--data-dir", "RTSTAGE_DATA_DIR", "./data", AT(data_dir),
	  "directory for the database and keys (created if missing)" },
	{ "--db", "RTSTAGE_DB", NULL, AT(db_url),
	  "database URL, sqlite:PATH (default: DATA_DIR/rtstage.db)" },
	{ "--default-account", "RTSTAGE_DEFAULT_ACCOUNT", "123456789012", AT(default_account),
	  "account of access keys that are not 12 digits" },
	{ "--endpoint-events", "RTSTAGE_ENDPOINT_EVENTS", "wss://global.events.live-video.net",
	  AT(endpoint[ENDPOINT_EVENTS]), "events endpoint template" },
	{ "--endpoint-whip", "RTSTAGE_ENDPOINT_WHIP", "https://{hex}.global-bm.whip.live-video.net",
	  AT(endpoint[ENDPOINT_WHIP]), "WHIP endpoint template" },
	{ "--endpoint-rtmp", "RTSTAGE_ENDPOINT_RTMP",
	  "rtmp://{hex}.global-contribute.live-video.net/app/",
	  AT(endpoint[ENDPOINT_RTMP]), "RTMP endpoint template" },
	{ "--endpoint-rtmps", "RTSTAGE_ENDPOINT_RTMPS",
	  "rtmps://{hex}.global-contribute.live-video.net:443/app/",
	  AT(endpoint[ENDPOINT_RTMPS]), "RTMPS endpoint template" },
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char **
slot(struct config *cfg, const struct option *o)
{
	return (const char **)((char *)cfg + o->offset);
}

void
config_usage(void *fp)
{
	FILE *f = fp;
	size_t i;

	fprintf(f, "Options of rtstage serve (each also read from its environment variable):\n");
	for (i = 0; i < N_OPTIONS; i++)
		fprintf(f, "  %-20s %-24s %s%s%s%s\n", options[i].flag, options[i].env,
		    options[i].help, options[i].def ? " [" : "",
		    options[i].def ? options[i].def : "", options[i].def ? "]" : "");
	fprintf(f, "  %-20s %-24s %s\n", "--threads", "RTSTAGE_THREADS",
	    "worker threads [number of CPUs]");
	fprintf(f, "Endpoint templates expand {hex} (12 hex digits of the stage), {id}, "
	    "{region}, {account}.\n");
}

enum err_code
config_load(struct config *cfg, int argc, char **argv, struct err *e)
{
	const char *threads = getenv("RTSTAGE_THREADS"), *v;
	char *end;
	size_t i;
	long n;
	int a;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < N_OPTIONS; i++)
		*slot(cfg, &options[i]) = (v = getenv(options[i].env)) && *v ? v : options[i].def;
	for (a = 0; a < argc; a++) {
		if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc) {
			threads = argv[++a];
			continue;
		}
		for (i = 0; i < N_OPTIONS; i++)
			if (strcmp(argv[a], options[i].flag) == 0)
				break;
		if (i == N_OPTIONS)
			return err_set(e, ERR_VALIDATION, "unknown option '%s' (see --help)", argv[a]);
		if (a + 1 >= argc)
			return err_set(e, ERR_VALIDATION, "option %s needs a value", argv[a]);
		*slot(cfg, &options[i]) = argv[++a];
	}
	cfg->threads = 0;
	if (threads != NULL && *threads) {
		n = strtol(threads, &end, 10);
		if (*end != '\0' || n < 1 || n > 256)
			return err_set(e, ERR_VALIDATION, "--threads must be 1..256, not '%s'", threads);
		cfg->threads = (unsigned)n;
	}
	if (strlen(cfg->default_account) != 12 ||
	    strspn(cfg->default_account, "0123456789") != 12)
		return err_set(e, ERR_VALIDATION, "--default-account must be 12 digits, not '%s'",
		    cfg->default_account);
	return ERR_OK;
}
