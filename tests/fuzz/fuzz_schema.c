/* Fuzz target: the resource schemas' checks (src/cloudcontrol/schema.c).
 * Input: a resource model as JSON text, checked as a create would against
 * every schema, and as a patch's result against the empty model. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudcontrol/schema.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e;

	(void)argc;
	(void)argv;
	return schema_init(&e) == ERR_OK ? 0 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	const struct schema *sc;
	struct err e;
	size_t i;

	for (i = 0; v != NULL && (sc = schema_nth(i)) != NULL; i++) {
		(void)schema_check_read_only(sc, NULL, v, &e);
		(void)schema_check_create_only(sc, NULL, v, &e);
		(void)schema_check(sc, v, &e);
	}
	json_decref(v);
	return 0;
}
