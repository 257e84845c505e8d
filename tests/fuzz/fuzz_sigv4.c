/* Fuzz target: SigV4 header parsing and canonical-request building.
 * Input: Authorization header, path, query and header lines, separated by
 * newlines ("Name: value" lines for headers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_header hs[16];
	struct sigv4_request r;
	struct sigv4_auth a;
	struct err e;
	struct buf creq, sts;
	char *text = malloc(size + 1), *line, *save = NULL, *parts[3] = { "", "/", "" };
	size_t n = 0;
	int i = 0;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (i < 3)
			parts[i++] = line;
		else if (colon != NULL && n < 16) {
			*colon = '\0';
			hs[n].name = line;
			hs[n].value = colon + 1;
			n++;
		}
	}
	(void)sigv4_parse(parts[0], &a, &e);
	r.method = "POST";
	r.path = parts[1];
	r.query = parts[2];
	r.headers = hs;
	r.n_headers = n;
	r.payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	buf_init(&creq, 0);
	buf_init(&sts, 0);
	if (sigv4_canonical_request(&r, a.signed_headers[0] ? a.signed_headers : "host;x-amz-date",
	    &creq) == 0)
		sigv4_string_to_sign("20260101T000000Z", &a, buf_cstr(&creq), creq.len, &sts);
	buf_free(&creq);
	buf_free(&sts);
	free(text);
	return 0;
}
