/* rtstage: command line, start-up, signals, graceful stop.
 *
 *   rtstage serve [options]   serve the API until SIGTERM or SIGINT
 *   rtstage --help | --version
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include "aws/dispatch.h"
#include "commands.h"
#include "crypto/keys.h"
#include "aws/error.h"
#include "aws/validate.h"
#include "cloudcontrol/cloudcontrol.h"
#include "config.h"
#include "http/server.h"
#include "ivs/ivs.h"
#include "store/store.h"

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

/* Answers 200 with body (malloc'd; NULL answers 500). */
static void
plain(struct http_response *res, char *body)
{
	res->status = body ? 200 : 500;
	res->content_type = "application/json";
	res->body = body;
	res->body_len = body ? strlen(body) : 0;
}

/* Readiness: 200 when the database answers, else 503 with the reason (a
 * load balancer takes the node out of service until it answers again). */
static void
health(struct http_response *res)
{
	struct err e = { ERR_OK, "" };
	json_t *doc;

	if (store_ping(&e) == ERR_OK) {
		plain(res, strdup("{\"status\":\"ready\"}"));
		return;
	}
	doc = json_pack("{s:s, s:s}", "status", "unavailable", "reason", e.msg);
	plain(res, doc ? json_dumps(doc, JSON_COMPACT) : NULL);
	json_decref(doc);
	res->status = 503;
}

/* Routes the few non-AWS paths (no authentication); everything else is
 * an AWS API: Cloud Control when X-Amz-Target names its operation,
 * ivs-realtime otherwise. */
static void
handle(const struct http_request *req, struct http_response *res, void *arg)
{
	if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/healthz") == 0)
		health(res);
	else if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/.well-known/jwks.json") == 0)
		plain(res, keys_jwks(ivs_keys()));
	else if (cc_is_request(req))
		cc_dispatch(req, res, arg);
	else
		aws_dispatch(req, res, arg, ivs_ops);
}

/* Resolves HOST:PORT ("[::1]:4590" for IPv6) into ss. */
static enum err_code
resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *len, struct err *e)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t n;

	if (colon == NULL || colon == listen || colon[1] == '\0')
		return err_set(e, ERR_VALIDATION, "--listen must be HOST:PORT, not '%s'", listen);
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

static int
serve(int argc, char **argv)
{
	struct config cfg;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct http_server *srv = NULL;
	struct http_options http;
	struct err e = { ERR_OK, "" };
	char dburl[4096];
	sigset_t sigs;
	long cpus;
	int sig = 0, rc = 1;

	if (config_load(&cfg, argc, argv, &e) != ERR_OK ||
	    resolve(cfg.listen, &ss, &sslen, &e) != ERR_OK)
		goto out;
	if (cfg.credentials != NULL && auth_load(cfg.credentials, &e) != ERR_OK)
		goto out;
	if (cfg.credentials == NULL && !is_loopback(&ss)) {
		err_set(&e, ERR_VALIDATION, "refusing to listen on %s: no credentials are "
		    "configured, so rtstage runs in protected mode, which accepts any "
		    "well-formed signature and therefore serves loopback addresses only. "
		    "Listen on 127.0.0.1 or [::1], or configure credentials with "
		    "--credentials FILE (RTSTAGE_CREDENTIALS)", cfg.listen);
		goto out;
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

	aws_error_init();
	if (validate_init(&e) != ERR_OK || cc_init(&e) != ERR_OK ||
	    store_init(cfg.db_url, &e) != ERR_OK || ivs_init(cfg.data_dir, &e) != ERR_OK)
		goto out;
	http.threads = cfg.threads;
	http.idle_seconds = cfg.idle_seconds;
	http.request_seconds = cfg.request_seconds;
	http.loopback_hosts_only = cfg.credentials == NULL;
	if ((srv = http_start((struct sockaddr *)&ss, sslen, &http, handle, &cfg, &e)) == NULL)
		goto out;
	fprintf(stderr, "rtstage: listening on %s (port %u), data in %s, %u threads, %s\n",
	    cfg.listen, http_port(srv), cfg.db_url, cfg.threads,
	    cfg.credentials ? "strict mode" : "protected mode");
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP) {
		if (cfg.credentials == NULL)
			continue;
		if (auth_load(cfg.credentials, &e) == ERR_OK)
			fprintf(stderr, "rtstage: SIGHUP: reloaded %s\n", cfg.credentials);
		else
			fprintf(stderr, "rtstage: SIGHUP: kept the credentials in force: %s\n", e.msg);
	}
	fprintf(stderr, "rtstage: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_stop(srv);
	rc = 0;
out:
	auth_fini();
	ivs_fini();
	cc_fini();
	store_fini();
	validate_fini();
	if (rc != 0)
		fprintf(stderr, "rtstage: %s\n", e.msg);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "keys") == 0 && strcmp(argv[2], "rotate") == 0)
		return cmd_keys_rotate(argc - 3, argv + 3);
	if (argc >= 3 && strcmp(argv[1], "token") == 0 && strcmp(argv[2], "inspect") == 0)
		return cmd_token_inspect(argc - 3, argv + 3);
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
