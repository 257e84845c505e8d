/* rtstage: command line, start-up, signals, graceful stop. Wiring only:
 * what the server answers is the route table (src/routes.c).
 *
 *   rtstage serve [options]   serve the API until SIGTERM or SIGINT
 *   rtstage --help | --version
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/auth.h"
#include "aws/error.h"
#include "aws/validate.h"
#include "cloudcontrol/cloudcontrol.h"
#include "commands.h"
#include "config.h"
#include "core/bus.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/tls_files.h"
#include "http/server.h"
#include "ivs/ivs.h"
#include "limits.h"
#include "media/sfu.h"
#include "media/stage_host.h"
#include "media/whip.h"
#include "routes.h"
#include "ivs/ptoken.h"
#include "ivs/public_key.h"
#include "runtime/runtime.h"
#include "store/notify.h"
#include "store/store.h"
#include "util/num.h"

#ifndef RTSTAGE_VERSION
#define RTSTAGE_VERSION "0.1.0"
#endif

static void
usage(FILE *f)
{
	fprintf(f, "rtstage %s: the Amazon IVS Real-Time control plane, self-hosted.\n\n"
	    "Usage:\n"
	    "  rtstage serve [options]                        serve the ivs-realtime API\n"
	    "  rtstage keys rotate [--data-dir DIR] [--db URL]\n"
	    "                                                 make a new token signing key\n"
	    "  rtstage token inspect TOKEN [--data-dir DIR] [--db URL]\n"
	    "                                                 decode and verify a participant token\n"
	    "  rtstage --help                                 this text\n"
	    "  rtstage --version                              the version\n\n", RTSTAGE_VERSION);
	config_usage(f);
}

/* Resolves HOST:PORT ("[::1]:4590" for IPv6) into ss. */
static enum err_code
resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *len, struct err *e)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	const char *colon = strrchr(listen, ':');
	long long port;
	size_t n;

	if (colon == NULL || colon == listen || colon[1] == '\0')
		return err_set(e, ERR_VALIDATION, "--listen must be HOST:PORT, not '%s'", listen);
	if (num_parse(colon + 1, 0, LIMIT_PORT_MAX, "the port of --listen (RTSTAGE_LISTEN)", &port,
	    e) != ERR_OK)
		return e->code;
	n = (size_t)(colon - listen);
	if (listen[0] == '[' && n >= 2 && listen[n - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), listen + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)n, listen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		return err_set(e, ERR_VALIDATION, "cannot resolve listen address '%s'", listen);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return ERR_OK;
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
}

/* The default public URL: the address the server is bound to, with the
 * port bound; a wildcard address names the loopback address of its family
 * (the only one the server surely answers on). */
static void
default_public_url(const struct sockaddr_storage *ss, unsigned short port, int tls, char *out,
    size_t cap)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
	const char *scheme = tls ? "https" : "http";
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
			snprintf(host, sizeof(host), "::1");
		else
			inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
		snprintf(out, cap, "%s://[%s]:%u", scheme, host, port);
		return;
	}
	if (v4->sin_addr.s_addr == htonl(INADDR_ANY))
		snprintf(host, sizeof(host), "127.0.0.1");
	else
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
	snprintf(out, cap, "%s://%s:%u", scheme, host, port);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Makes the temporary data directory of --ephemeral into dir. */
static enum err_code
make_ephemeral(char *dir, size_t cap, struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(dir, cap, "%s/rtstage-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_VALIDATION, "TMPDIR is too long");
	if (mkdtemp(dir) == NULL)
		return err_set(e, ERR_INTERNAL, "cannot create a temporary data directory in %s: %s",
		    tmp && *tmp ? tmp : "/tmp", strerror(errno));
	return ERR_OK;
}

/* Replaces every copy of url in msg (ERR_MSG_MAX) by its redacted form. */
static void
redact_in(char *msg, const char *url)
{
	char safe[4096], out[ERR_MSG_MAX];
	const char *p = msg, *hit;
	size_t n = 0, ulen = url ? strlen(url) : 0;

	if (ulen == 0)
		return;
	config_redact_url(url, safe, sizeof(safe));
	while ((hit = strstr(p, url)) != NULL && n < sizeof(out)) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%.*s%s", (int)(hit - p), p, safe);
		p = hit + ulen;
	}
	if (p == msg)
		return;
	if (n < sizeof(out))
		snprintf(out + n, sizeof(out) - n, "%s", p);
	snprintf(msg, ERR_MSG_MAX, "%s", out);
}

/* The SFU's host candidate addresses by default: the listen address when
 * it is a specific IP, else 127.0.0.1 (a wildcard names no one address a
 * client surely reaches; --media-address says which). */
static void
default_media_address(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;

	snprintf(out, cap, "127.0.0.1");
	if (ss->ss_family == AF_INET && v4->sin_addr.s_addr != htonl(INADDR_ANY))
		(void)inet_ntop(AF_INET, &v4->sin_addr, out, (socklen_t)cap);
	else if (ss->ss_family == AF_INET6 && !IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
		(void)inet_ntop(AF_INET6, &v6->sin6_addr, out, (socklen_t)cap);
}

/* Is one of the words --help or -h? */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int
serve(int argc, char **argv)
{
	struct config cfg;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct http_server *srv = NULL;
	struct http_options http;
	struct notify *link = NULL;
	struct bus_remote remote = { NULL, NULL };
	struct err e = { ERR_OK, "" };
	struct tls_files tls = { NULL, NULL, 0 };
	char dburl[4096], safe_url[4096], url[128], temp_dir[4096] = "";
	char media_addr[INET6_ADDRSTRLEN];
	struct sfu_options media;
	sigset_t sigs;
	long cpus;
	int sig = 0, rc = 1;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (config_load(&cfg, argc, argv, &e) != ERR_OK ||
	    log_configure(cfg.log_format, cfg.log_level, &e) != ERR_OK ||
	    resolve(cfg.listen, &ss, &sslen, &e) != ERR_OK)
		goto out;
	if (cfg.credentials != NULL && auth_load(cfg.credentials, &e) != ERR_OK)
		goto out;
	if (cfg.tls_cert != NULL && tls_files_load(cfg.tls_cert, cfg.tls_key, &tls, &e) != ERR_OK)
		goto out;
	if (cfg.credentials == NULL && !is_loopback(&ss)) {
		err_set(&e, ERR_VALIDATION, "refusing to listen on %s: no credentials are "
		    "configured, so rtstage runs in protected mode, which accepts any "
		    "well-formed signature and therefore serves loopback addresses only. "
		    "Listen on 127.0.0.1 or [::1], or configure credentials with "
		    "--credentials FILE (RTSTAGE_CREDENTIALS)", cfg.listen);
		goto out;
	}
	if (cfg.ephemeral) {
		if (make_ephemeral(temp_dir, sizeof(temp_dir), &e) != ERR_OK)
			goto out;
		cfg.data_dir = temp_dir;
	}
	if (mkdir(cfg.data_dir, 0700) != 0 && errno != EEXIST) {
		err_set(&e, ERR_INTERNAL, "cannot create data directory %s: %s",
		    cfg.data_dir, strerror(errno));
		goto out;
	}
	if (cfg.db_url == NULL) {
		snprintf(dburl, sizeof(dburl), "sqlite:%s/rtstage.db", cfg.data_dir);
		cfg.db_url = dburl;
	}
	config_redact_url(cfg.db_url, safe_url, sizeof(safe_url));
	/* Eight workers per CPU: a worker waiting for a group commit holds no
	 * CPU, and more writes in flight make larger, cheaper commits
	 * (bench/README.md shows the measurement behind the number). */
	if (cfg.threads == 0)
		cfg.threads = 8 * ((cpus = sysconf(_SC_NPROCESSORS_ONLN)) > 0 ? (unsigned)cpus : 2);

	/* Signals are taken synchronously by this thread alone. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* a file-size limit fails the write, not the server */

	metrics_init(RTSTAGE_VERSION);
	aws_error_init();
	if (validate_init(&e) != ERR_OK || cc_init(&e) != ERR_OK ||
	    store_init(cfg.db_url, &e) != ERR_OK || ivs_init(cfg.data_dir, &e) != ERR_OK)
		goto out;
	metrics_database_up(1);
	http.threads = cfg.threads;
	http.idle_seconds = cfg.idle_seconds;
	http.request_seconds = cfg.request_seconds;
	http.loopback_hosts_only = cfg.credentials == NULL;
	http.tls_cert_pem = tls.cert;
	http.tls_key_pem = tls.key;
	/* Bound first: the default public URL names the port bound, and it is
	 * set before the first request can read it. */
	if ((srv = http_bind((struct sockaddr *)&ss, sslen, &http, routes_handle, &cfg, &e)) == NULL) {
		if (strstr(e.msg, cfg.listen) == NULL) {	/* name the address */
			struct err why = e;
			err_set(&e, why.code, "--listen %s: %.1900s", cfg.listen, why.msg);
		}
		goto out;
	}
	if (cfg.public_url == NULL) {
		default_public_url(&ss, http_port(srv), tls.cert != NULL, url, sizeof(url));
		cfg.public_url = url;
	}
	/* customer-signed participant tokens: their kid names an imported key */
	ptoken_set_key_lookup(public_key_token_key);
	/* This node's id is the URL other nodes reach it at (--node-url; by
	 * default its public URL). With several nodes on one database the bus
	 * reaches the others through it, and signalling for a stage whose
	 * media this node hosts is forwarded to it. The runtime starts before
	 * the HTTP server serves and stops, closing its sockets, before it
	 * stops. */
	if (cfg.node_url == NULL)
		cfg.node_url = cfg.public_url;
	if (store_driver()->shared) {
		if ((link = notify_start(cfg.db_url, bus_deliver_remote, &e)) == NULL)
			goto out;
		remote.ctx = link;
		remote.send = notify_send;
	}
	bus_configure(cfg.node_url, link ? &remote : NULL);
	/* The SFU before the runtime (its hooks post to the runtime, which
	 * drops what comes before it runs) and stopped after it. */
	default_media_address(&ss, media_addr, sizeof(media_addr));
	media = (struct sfu_options){ cfg.media_addresses ? cfg.media_addresses : media_addr,
	    cfg.media_port, cfg.media_announce_ip };
	whip_init();
	if (stage_host_start(cfg.node_url, cfg.node_url, store_driver()->shared, &e) != ERR_OK)
		goto out;
	if (sfu_start(&media, runtime_media_hooks(), &e) != ERR_OK)
		goto out;
	if (runtime_start(&cfg, cfg.node_url, &e) != ERR_OK)
		goto out;
	if (http_serve(srv, &e) != ERR_OK)
		goto out;
	log_msg(LOG_INFO, "ready at %s (%s%s, %s, data in %s, %u threads, media on %s port %u); "
	    "console at %s/console/", cfg.public_url, cfg.credentials ? "strict mode" : "protected mode",
	    tls.cert ? ", TLS" : "", safe_url, cfg.data_dir, cfg.threads, media.addresses,
	    sfu_port(), cfg.public_url);
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) {
		if (tls.cert != NULL)
			log_msg(LOG_INFO, "SIGHUP: the TLS certificate and key stay those read at "
			    "start (a restart reads %s again)", cfg.tls_cert);
		if (cfg.credentials == NULL)
			continue;
		if (auth_load(cfg.credentials, &e) == ERR_OK)
			log_msg(LOG_INFO, "SIGHUP: reloaded %s", cfg.credentials);
		else
			log_msg(LOG_WARN, "SIGHUP: kept the credentials in force: %s", e.msg);
	}
	log_msg(LOG_INFO, "%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	runtime_stop();
	http_stop(srv);
	srv = NULL;
	rc = 0;
out:
	runtime_stop();		/* before the store goes; a no-op if never started */
	http_stop(srv);
	sfu_stop();		/* after the runtime and the WHIP requests; a no-op if never started */
	stage_host_stop();	/* other nodes take this node's stages at once */
	bus_configure(NULL, NULL);	/* nothing publishes any more */
	notify_stop(link);
	tls_files_clear(&tls);
	auth_fini();
	ivs_fini();
	cc_fini();
	store_fini();
	validate_fini();
	metrics_fini();
	if (temp_dir[0] != '\0')
		(void)nftw(temp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (rc != 0) {
		redact_in(e.msg, cfg.db_url);
		log_msg(LOG_ERROR, "%s", e.msg);
	}
	return rc;
}

/* The subcommands, by their words. */
static const struct {
	const char *word, *sub;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "serve", NULL, serve },
	{ "keys", "rotate", cmd_keys_rotate },
	{ "token", "inspect", cmd_token_inspect },
};

int
main(int argc, char **argv)
{
	size_t i;
	int skip;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (argc < 2 || strcmp(argv[1], commands[i].word) != 0)
			continue;
		if (commands[i].sub == NULL)
			return commands[i].run(argc - 2, argv + 2);
		if (argc >= 3 && strcmp(argv[2], commands[i].sub) == 0)
			skip = 3;
		else if (wants_help(argc - 2, argv + 2))
			skip = 2;	/* `rtstage keys --help`: the command's own help */
		else
			break;
		return commands[i].run(argc - skip, argv + skip);
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("rtstage %s\n", RTSTAGE_VERSION);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
