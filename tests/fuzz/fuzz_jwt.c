/* Fuzz target: participant-token decoding and verification.
 * Input: a token text. A throw-away keyring is made in a temporary
 * directory at start. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jwt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct keyring *ring;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct key_files files;
	static struct key_store ks;
	char dir[] = "/tmp/rtstage-fuzz-XXXXXX";
	struct err e;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL || key_files_open(&files, dir, 1, &ks, &e) != ERR_OK ||
	    (ring = keys_open(&ks, 1, &e)) == NULL)
		return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = malloc(size + 1);
	json_t *header = NULL, *claims = NULL;

	if (token == NULL)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	(void)jwt_verify(ring, token, &header, &claims);
	json_decref(header);
	json_decref(claims);
	free(token);
	return 0;
}
