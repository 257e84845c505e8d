/* JSON Patch (RFC 6902) on jansson documents, with JSON Pointers (RFC 6901).
 *
 * All six operations: add, remove, replace, move, copy, test. A patch
 * applies whole or not at all. Used by the Cloud Control UpdateResource
 * operation (PatchDocument).
 */
#ifndef RTSTAGE_UTIL_JSONPATCH_H
#define RTSTAGE_UTIL_JSONPATCH_H

#include <jansson.h>

#include "util/err.h"

/* Applies patch (a JSON array of operation objects) to *doc. On success
 * *doc is the patched document (the old one released, the caller owns the
 * new). On failure returns ERR_VALIDATION with a message naming the
 * operation and pointer, and leaves *doc untouched. An operation that
 * would make the document weigh more than LIMIT_PATCH_DOCUMENT_BYTES (the
 * least length of its compact JSON text), or the patch copy more than
 * LIMIT_PATCH_COPY_BYTES in all, is refused so, before it copies anything. */
enum err_code jsonpatch_apply(json_t **doc, const json_t *patch, struct err *e);

#endif
