/* Validation of a request against its input shape, with AWS's messages.
 *
 * Owns the compiled patterns of every shape. Knows nothing of HTTP or of
 * what an operation means; domain rules live in src/ivs/.
 */
#ifndef RTSTAGE_AWS_VALIDATE_H
#define RTSTAGE_AWS_VALIDATE_H

#include <jansson.h>

#include "util/err.h"

/* Compiles every pattern of the model. Call once before serving; not
 * thread-safe. Returns ERR_OK, or ERR_INTERNAL with e set. */
enum err_code validate_init(struct err *e);

/* Frees what validate_init made. */
void validate_fini(void);

/* Walks value (a JSON object) against shapes[shape]. Members bound to the
 * URI, query or headers are expected in the same object (the dispatcher
 * puts them there). A null structure member counts as absent and is
 * deleted from value (at every depth), so whoever reads value afterwards
 * never meets a null; a null element of a list or value of a map is a
 * violation ("Member must not be null"). Unknown members are ignored. Returns ERR_OK; ERR_SERIALIZATION when a value has the wrong
 * JSON type; ERR_VALIDATION listing every constraint violated, Coral style:
 * "2 validation errors detected: Value 'x' at 'name' failed to satisfy
 * constraint: Member must ...; ...". Thread-safe. */
enum err_code validate_input(int shape, json_t *value, struct err *e);

/* Does the whole of s (len bytes of UTF-8) match the pattern of
 * shapes[shape]? A shape without a pattern matches everything. */
int validate_pattern(int shape, const char *s, size_t len);

#endif
