/* The call context: what every domain call is given, whatever surface it
 * came through (an AWS API, an events socket, the console, a job).
 *
 * Plain record; the surface that accepts a request fills it, the domain
 * reads it and writes its one error into it. No behaviour here.
 */
#ifndef RTSTAGE_CORE_CTX_H
#define RTSTAGE_CORE_CTX_H

#include "config.h"
#include "util/err.h"

/* How the caller proved who it is. */
enum principal_kind {
	PRINCIPAL_NONE,		/* not (yet) authenticated */
	PRINCIPAL_SIGV4,	/* an access key, by a SigV4 signature */
	PRINCIPAL_TOKEN,	/* a participant token (events, media) */
	PRINCIPAL_CONSOLE,	/* a console user */
	PRINCIPAL_INTERNAL,	/* the server itself (timers, retention jobs) */
};

struct principal {
	enum principal_kind kind;
	char access_key[129];	/* SIGV4: the key; TOKEN: the participant id */
	char account[16];	/* 12 digits */
	char region[64];	/* from the SigV4 credential scope */
	char profile[64];	/* strict mode: the key's profile in the credentials file */
	char actions[1024];	/* strict mode: what it may do; "": protected mode */
};

#define CALL_REQUEST_ID_LEN 40

struct call {
	struct principal who;
	char request_id[CALL_REQUEST_ID_LEN];	/* as sent in x-amzn-RequestId */
	const struct config *cfg;
	struct err err;
	char *text_out;		/* a response already written as JSON text (malloc'd) */
	const char *operation;	/* static: the operation or route name, for the log */
	long long started_ms;	/* CLOCK_MONOTONIC, when the request reached the handler */
	long long deadline_ms;	/* CLOCK_MONOTONIC; 0: none */
	const char *remote;	/* client address text, or "" */
};

#endif
