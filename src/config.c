/* Configuration table: every option, its variable, default and meaning. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "limits.h"
#include "util/num.h"

enum option_kind { OPT_TEXT, OPT_COUNT, OPT_FLAG };

struct option {
	const char *flag;
	const char *env;
	const char *def;
	size_t offset;			/* of the field in struct config */
	const char *help;
	enum option_kind kind;		/* OPT_TEXT: const char *; OPT_COUNT, OPT_FLAG: unsigned */
	unsigned min, max;		/* OPT_COUNT range */
};

#define AT(field) offsetof(struct config, field)

#define TEXT(f, v, d, field, h) \
	{ .flag = (f), .env = (v), .def = (d), .offset = AT(field), .help = (h), .kind = OPT_TEXT }
#define FLAG(f, v, field, h) \
	{ .flag = (f), .env = (v), .def = "0", .offset = AT(field), .help = (h), .kind = OPT_FLAG, \
	  .min = 0, .max = 1 }
#define NUM(f, v, d, field, h, lo, hi) \
	{ .flag = (f), .env = (v), .def = (d), .offset = AT(field), .help = (h), \
	  .kind = OPT_COUNT, .min = (lo), .max = (hi) }

static const struct option options[] = {
	TEXT("--listen", "RTSTAGE_LISTEN", "127.0.0.1:4590", listen,
	    "HOST:PORT to serve on (port 0: any free port)"),
	TEXT("--data-dir", "RTSTAGE_DATA_DIR", "./data", data_dir,
	    "directory for the database and the signing keys (created if missing)"),
	FLAG("--ephemeral", "RTSTAGE_EPHEMERAL", ephemeral,
	    "serve from a fresh temporary data directory, removed at exit (no value; "
	    "the variable: 1)"),
	TEXT("--db", "RTSTAGE_DB", NULL, db_url,
	    "database URL: sqlite:PATH (default: DATA_DIR/rtstage.db; the signing keys stay "
	    "in DATA_DIR/keys), or postgres://... (libpq URL; several nodes may share it; "
	    "the keys are in the database)"),
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
	TEXT("--endpoint-events", "RTSTAGE_ENDPOINT_EVENTS", NULL, endpoint[ENDPOINT_EVENTS],
	    "events endpoint template (default: ws(s)://HOST/events of --public-url)"),
	TEXT("--endpoint-whip", "RTSTAGE_ENDPOINT_WHIP", NULL, endpoint[ENDPOINT_WHIP],
	    "WHIP endpoint template (default: http(s)://HOST/whip of --public-url)"),
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
	NUM("--quota-public-keys", "RTSTAGE_QUOTA_PUBLIC_KEYS", "3", quota_public_keys,
	    "imported public keys per account and region", 0, 100000000),
	TEXT("--public-url", "RTSTAGE_PUBLIC_URL", NULL, public_url,
	    "how clients reach this node, http(s)://HOST[:PORT] (the events and WHIP "
	    "endpoints derive from it; default: http://LISTEN with the port bound, https:// "
	    "with TLS, 127.0.0.1 or [::1] for a wildcard address)"),
	TEXT("--node-url", "RTSTAGE_NODE_URL", NULL, node_url,
	    "how the other nodes of a shared database reach this one, http(s)://HOST[:PORT]: "
	    "the stage's media host gets signalling forwarded there; it is also the node's id, "
	    "so each node needs its own (default: --public-url)"),
	TEXT("--tls-cert", "RTSTAGE_TLS_CERT", NULL, tls_cert,
	    "PEM certificate (chain) file: serve HTTPS and WSS on the listen port"),
	TEXT("--tls-key", "RTSTAGE_TLS_KEY", NULL, tls_key,
	    "PEM private key file of --tls-cert (both are read once, at start)"),
	NUM("--session-idle-timeout", "RTSTAGE_SESSION_IDLE_TIMEOUT", "180", session_idle_seconds,
	    "seconds a stage session lasts after its last participant left", 1, 86400),
	NUM("--history-days", "RTSTAGE_HISTORY_DAYS", "14", history_days,
	    "days the sessions, participants and events of ended sessions are kept", 1, 3650),
	TEXT("--media-address", "RTSTAGE_MEDIA_ADDRESSES", NULL, media_addresses,
	    "IP[,IP...] of the SFU's host candidates (default: the listen address when it is a "
	    "specific IP)"),
	NUM("--media-port", "RTSTAGE_MEDIA_PORT", "4591", media_port,
	    "the SFU's one UDP port for every peer (ICE-TCP on the same number; 0: any free)",
	    0, 65535),
	TEXT("--media-announce-ip", "RTSTAGE_MEDIA_ANNOUNCE_IP", NULL, media_announce_ip,
	    "the address the SFU's candidates announce, for a host behind 1:1 NAT"),
	TEXT("--sdp-exchange", "RTSTAGE_SDP_EXCHANGE", "socket", sdp_exchange,
	    "socket: offers may also come over the events socket (serverFeatures xdp); "
	    "http: WHIP requests only"),
	TEXT("--log-format", "RTSTAGE_LOG_FORMAT", "text", log_format,
	    "log lines on stderr: text or json (one line per request at level info)"),
	TEXT("--log-level", "RTSTAGE_LOG_LEVEL", "info", log_level,
	    "error, warn, info (requests) or debug (also the canonical request of a refused "
	    "signature)"),
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

#define CONFIG_XSTR(x) #x
#define CONFIG_STR(x) CONFIG_XSTR(x)

/* Stores text as option o's value in cfg. */
static enum err_code
set(struct config *cfg, const struct option *o, const char *text, struct err *e)
{
	char what[96];
	long long n;

	if (o->kind == OPT_TEXT) {
		*(const char **)((char *)cfg + o->offset) = text;
		return ERR_OK;
	}
	snprintf(what, sizeof(what), "%s (%s)", o->flag, o->env);
	if (num_parse(text, o->min, o->max, what, &n, e) != ERR_OK)
		return e->code;
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
	fprintf(f, "Every option may also be written --option=value. Endpoint templates expand "
	    "{hex} (12 hex digits of the stage), {id}, {region}, {account}.\n"
	    "GET /metrics serves Prometheus metrics; POST /_rtstage/reset deletes every resource "
	    "(protected mode only).\n");
}

/* The option argv[*a] names ("--x" or "--x=value"); its value in *value
 * (from the same word, or the next one, consumed). */
static enum err_code
option_of(int argc, char **argv, int *a, const struct option **o, const char **value,
    struct err *e)
{
	const char *word = argv[*a], *eq = strchr(word, '=');
	size_t n = eq ? (size_t)(eq - word) : strlen(word), i;

	for (i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].flag) == n && strncmp(word, options[i].flag, n) == 0)
			break;
	if (i == N_OPTIONS || strncmp(word, "--", 2) != 0)
		return err_set(e, ERR_VALIDATION, "unknown option '%.*s' (see --help)", (int)n, word);
	*o = &options[i];
	if (eq != NULL)
		*value = eq + 1;
	else if (options[i].kind == OPT_FLAG)
		*value = "1";
	else if (*a + 1 >= argc)
		return err_set(e, ERR_VALIDATION, "option %s needs a value", word);
	else
		*value = argv[++*a];
	return ERR_OK;
}

/* Is the sqlite: URL url an in-memory database? */
static int
sqlite_memory(const char *url)
{
	const char *path = url + strlen("sqlite:");

	return strncmp(url, "sqlite:", 7) == 0 &&
	    (*path == '\0' || strcmp(path, ":memory:") == 0 || strstr(path, "mode=memory") ||
	    strncmp(path, "file::memory:", 13) == 0);
}

void
config_redact_url(const char *url, char *out, size_t cap)
{
	const char *scheme = strstr(url, "://"), *at, *colon, *pw;
	size_t n;

	snprintf(out, cap, "%s", url);
	if (scheme != NULL && (at = strchr(scheme + 3, '@')) != NULL &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) != NULL)
		snprintf(out, cap, "%.*s:***%s", (int)(colon - url), url, at);
	if ((pw = strstr(out, "password=")) != NULL) {
		pw += strlen("password=");
		n = strcspn(pw, "& ");
		if ((size_t)(pw - out) + 3 + strlen(pw + n) < cap) {
			memmove((char *)pw + 3, pw + n, strlen(pw + n) + 1);
			memcpy((char *)pw, "***", 3);
		}
	}
}

/* Why host (n bytes, brackets included for IPv6) is not a host of a
 * public URL, or NULL if it is one. */
static const char *
host_problem(const char *host, size_t n)
{
	static const char name_chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
	struct in6_addr a6;
	char ip[INET6_ADDRSTRLEN + 1];

	if (n == 0)
		return "it names no host";
	if (host[0] != '[')
		return strspn(host, name_chars) >= n ? NULL :
		    "its host may hold only letters, digits, '.', '-' and '_' (an IPv6 "
		    "address goes in brackets)";
	if (n < 3 || host[n - 1] != ']' || n - 2 >= sizeof(ip))
		return "its IPv6 address is not closed by ']'";
	memcpy(ip, host + 1, n - 2);
	ip[n - 2] = '\0';
	return inet_pton(AF_INET6, ip, &a6) == 1 ? NULL : "its bracketed host is not an IPv6 address";
}

/* Why url is not a public URL, or NULL if it is one. */
static const char *
url_problem(const char *url)
{
	const char *auth, *end, *colon, *why;
	char port[8];
	long long n;
	struct err ignored;
	int len;

	if (strlen(url) > LIMIT_PUBLIC_URL_BYTES)
		return "it is longer than " CONFIG_STR(LIMIT_PUBLIC_URL_BYTES) " bytes";
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return "it must begin with http:// or https://";
	auth = strstr(url, "://") + 3;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return "it may not carry a user name or password";
	colon = (*auth == '[') ? memchr(auth, ']', (size_t)(end - auth)) : auth;
	colon = colon ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
	if ((why = host_problem(auth, (size_t)((colon ? colon : end) - auth))) != NULL)
		return why;
	if (colon != NULL) {
		len = (int)(end - colon - 1);
		if ((size_t)len >= sizeof(port))
			return "its port must be a number from 1 to " CONFIG_STR(LIMIT_PORT_MAX);
		snprintf(port, sizeof(port), "%.*s", len, colon + 1);
		if (num_parse(port, 1, LIMIT_PORT_MAX, "port", &n, &ignored) != ERR_OK)
			return "its port must be a number from 1 to " CONFIG_STR(LIMIT_PORT_MAX);
	}
	if (*end != '\0' && strcmp(end, "/") != 0)
		return "it may have no path (other than \"/\"), query or fragment";
	return NULL;
}

enum err_code
config_public_url_check(const char *url, struct err *e)
{
	const char *why = url_problem(url);

	if (why != NULL)
		return err_set(e, ERR_VALIDATION, "--public-url (RTSTAGE_PUBLIC_URL) must be "
		    "http(s)://HOST[:PORT], not '%.600s': %s", url, why);
	return ERR_OK;
}

enum err_code
config_load(struct config *cfg, int argc, char **argv, struct err *e)
{
	const struct option *o = NULL;
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
	for (a = 0; a < argc; a++)
		if (option_of(argc, argv, &a, &o, &v, e) != ERR_OK || set(cfg, o, v, e) != ERR_OK)
			return e->code;
	if (cfg->db_url != NULL && sqlite_memory(cfg->db_url))
		return err_set(e, ERR_VALIDATION, "--db %s is not supported: every worker thread "
		    "opens its own connection, and an in-memory SQLite database is private to one "
		    "connection. For a throw-away database use --ephemeral", cfg->db_url);
	if (strlen(cfg->default_account) != 12 ||
	    strspn(cfg->default_account, "0123456789") != 12)
		return err_set(e, ERR_VALIDATION, "--default-account must be 12 digits, not '%s'",
		    cfg->default_account);
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return err_set(e, ERR_VALIDATION, "--tls-cert (RTSTAGE_TLS_CERT) and --tls-key "
		    "(RTSTAGE_TLS_KEY) go together: %s is given without %s",
		    cfg->tls_cert ? "--tls-cert" : "--tls-key",
		    cfg->tls_cert ? "--tls-key" : "--tls-cert");
	if (cfg->public_url != NULL && config_public_url_check(cfg->public_url, e) != ERR_OK)
		return e->code;
	if (cfg->node_url != NULL && url_problem(cfg->node_url) != NULL)
		return err_set(e, ERR_VALIDATION, "--node-url (RTSTAGE_NODE_URL) must be "
		    "http(s)://HOST[:PORT], not '%.600s': %s", cfg->node_url,
		    url_problem(cfg->node_url));
	return ERR_OK;
}
