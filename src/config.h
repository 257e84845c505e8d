/* Server configuration: command line over environment over defaults. */
#ifndef RTSTAGE_CONFIG_H
#define RTSTAGE_CONFIG_H

#include <stddef.h>

#include "util/err.h"

enum endpoint_kind { ENDPOINT_EVENTS, ENDPOINT_WHIP, ENDPOINT_RTMP, ENDPOINT_RTMPS, ENDPOINT__COUNT };

struct config {
	const char *listen;		/* HOST:PORT */
	const char *data_dir;
	const char *db_url;		/* sqlite:PATH; NULL: DATA_DIR/rtstage.db */
	const char *default_account;	/* account of access keys that are not 12 digits */
	const char *credentials;	/* credentials file (strict mode); NULL: protected mode */
	unsigned threads;		/* 0: one per CPU */
	const char *endpoint[ENDPOINT__COUNT];	/* templates with {hex} {id} {region} {account};
						 * events and whip: NULL derives them
						 * from public_url */
	unsigned idle_seconds;		/* keep-alive connections idle longer are closed */
	unsigned request_seconds;	/* a request body must arrive within this */
	unsigned quota_stages;		/* per account and region */
	unsigned quota_storage_configurations;
	unsigned quota_public_keys;
	const char *log_format;		/* "text" or "json" */
	const char *log_level;		/* "error", "warn", "info" or "debug" */
	unsigned ephemeral;		/* 1: a fresh temporary data directory, removed at exit */
	const char *public_url;		/* how clients reach this node, checked by
					 * config_public_url_check; NULL until main.c sets
					 * the default (http(s)://LISTEN, the bound port),
					 * before the first request */
	const char *node_url;		/* how other nodes reach this one, and its id;
					 * NULL: public_url */
	const char *tls_cert;		/* PEM certificate chain: serve HTTPS and WSS */
	const char *tls_key;		/* its PEM private key */
	unsigned session_idle_seconds;	/* a stage session ends this long after its last
					 * participant left */
	unsigned history_days;		/* ended sessions' history is kept this long */
	const char *media_addresses;	/* IP[,IP...] the SFU's host candidates name; NULL:
					 * the listen address when it is a specific IP */
	unsigned media_port;		/* the SFU's one UDP port (and ICE-TCP port) */
	const char *media_announce_ip;	/* the address candidates announce (1:1 NAT) */
	const char *sdp_exchange;	/* "socket" (SDP over the events socket too) or "http" */
};

/* Fills cfg from argv (after the "serve" word) and the RTSTAGE_*
 * environment. Returns ERR_OK, or ERR_VALIDATION with a message naming
 * the option. Strings point into argv/environ or static defaults. */
enum err_code config_load(struct config *cfg, int argc, char **argv, struct err *e);

/* Checks that url is a public URL: http:// or https://, a host (a name,
 * an IPv4 address or a bracketed IPv6 address), an optional port from 1
 * to 65535, no user, no path other than "/", no query or fragment, at
 * most LIMIT_PUBLIC_URL_BYTES. Returns ERR_OK, or ERR_VALIDATION with a
 * message naming --public-url and the reason. Pure. */
enum err_code config_public_url_check(const char *url, struct err *e);

/* Prints the options of `rtstage serve` to f. */
void config_usage(void *f);

/* Writes url into out (cap bytes) with its password, if any, replaced by
 * "***" (postgresql://u:***@h/db; a password=... parameter likewise).
 * Pure. */
void config_redact_url(const char *url, char *out, size_t cap);

#endif
