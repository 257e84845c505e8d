/* Cloud Control resource requests as stored: what GetResourceRequestStatus
 * and ListResourceRequests report, and what a ClientToken is bound to. */
#ifndef RTSTAGE_STORE_REQUEST_STORE_H
#define RTSTAGE_STORE_REQUEST_STORE_H

#include "store/store.h"

struct request_rec {
	long long seq;			/* list order, assigned by the store */
	char token[48];			/* the RequestToken */
	char account[16];
	char region[64];
	char client_token[132];		/* "": none */
	char fingerprint[72];
	char type_name[200];
	char identifier[1028];
	char operation[8];		/* CREATE, UPDATE, DELETE */
	char status[24];		/* IN_PROGRESS, SUCCESS, FAILED, CANCEL_... */
	char message[1028];
	char error_code[32];		/* "": none */
	char *model;			/* the resource model's JSON text, "" none;
					 * malloc'd by store_request_get/page */
	long long event_ms, created_ms;
};

/* Inserts r. ERR_CONFLICT if its client token is taken in its account and
 * region. */
enum err_code store_request_insert(struct store *s, const struct request_rec *r, struct err *e);

/* Writes the outcome of the request r->token: r->status (unless it was
 * cancelled meanwhile: then CANCEL_COMPLETE, which r->status then says),
 * identifier, message, error code, model and event time. */
enum err_code store_request_finish(struct store *s, struct request_rec *r, struct err *e);

/* Sets the status of token from IN_PROGRESS to CANCEL_IN_PROGRESS. */
enum err_code store_request_cancel(struct store *s, const char *token, struct err *e);

/* Reads the request token of (account, region) made at or after since_ms
 * into out; ERR_NOT_FOUND if none. out->model: caller frees. */
enum err_code store_request_get(struct store *s, const char *account, const char *region,
    const char *token, long long since_ms, struct request_rec *out, struct err *e);

/* As store_request_get, by client token. */
enum err_code store_request_by_client_token(struct store *s, const char *account,
    const char *region, const char *client_token, long long since_ms, struct request_rec *out,
    struct err *e);

/* Calls row(arg, r) for up to limit requests of (account, region) made at
 * or after since_ms with seq < before, newest first, whose operation and
 * status are among ops and statuses (",CREATE,UPDATE," style lists). r
 * and its model are valid during the call only. */
enum err_code store_request_page(struct store *s, const char *account, const char *region,
    long long before, int limit, const char *ops, const char *statuses, long long since_ms,
    enum err_code (*row)(void *arg, const struct request_rec *r), void *arg, struct err *e);

/* Deletes every request made before before_ms. */
enum err_code store_request_expire(struct store *s, long long before_ms, struct err *e);

#endif
