/* Fuzz target: JSON Patch. Input: a JSON array [document, patch]. */
#include <jansson.h>
#include <stdint.h>

#include "util/jsonpatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *doc;
	struct err e;

	if (json_is_array(in) && json_array_size(in) == 2) {
		doc = json_incref(json_array_get(in, 0));
		(void)jsonpatch_apply(&doc, json_array_get(in, 1), &e);
		json_decref(doc);
	}
	json_decref(in);
	return 0;
}
