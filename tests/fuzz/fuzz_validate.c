/* Fuzz target: the validator on every operation's input shape.
 * Input: one byte choosing the operation, then a request body. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/shapes.h"
#include "aws/shapes_gen.h"
#include "aws/validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e;

	(void)argc;
	(void)argv;
	return validate_init(&e) == ERR_OK ? 0 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	json_t *v;
	int op;

	if (size < 1)
		return 0;
	op = data[0] % OP__COUNT;
	if (operations[op].input < 0)
		return 0;
	v = json_loadb((const char *)data + 1, size - 1, 0, NULL);
	if (json_is_object(v))
		(void)validate_input(operations[op].input, v, &e);
	json_decref(v);
	return 0;
}
