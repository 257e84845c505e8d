/* Who may call: the credentials file, SigV4 verification, permissions.
 *
 * Without a credentials file rtstage is in protected mode: any well-formed
 * signature is accepted and the account comes from the access key. With
 * one (strict mode) every request must be signed by a key of the file,
 * exactly as AWS verifies it, and the key's actions decide what it may do.
 */
#ifndef RTSTAGE_AWS_AUTH_H
#define RTSTAGE_AWS_AUTH_H

#include "aws/call.h"
#include "http/server.h"

#include "limits.h"	/* AUTH_MAX_SKEW_SECONDS */

/* Reads the credentials file at path and, if it is well-formed, makes it
 * the one in force (first load or reload: requests in flight keep the
 * table they started with). A malformed file changes nothing; the
 * message names its line. Thread-safe. */
enum err_code auth_load(const char *path, struct err *e);

/* Frees the credentials in force. */
void auth_fini(void);

/* Authenticates req, whose credential scope must name service, filling
 * c->who. Protected mode: parses the header only. Strict mode: also
 * checks the key, session token, clock and signature. Errors are the AWS
 * authentication errors (403). */
enum err_code auth_verify(const struct http_request *req, const char *service, struct call *c);

/* May c->who perform action ("ivs:DeleteStage") on resource? ERR_OK, or
 * ERR_ACCESS_DENIED with AWS's message. Always ERR_OK in protected mode. */
enum err_code auth_allow(struct call *c, const char *action, const char *resource);

/* The same question without the resource: 1 if c->who may perform
 * action, else 0 (auth_allow then words the refusal). */
int auth_permits(const struct call *c, const char *action);

#endif
