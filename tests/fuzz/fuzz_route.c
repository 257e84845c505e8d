/* Fuzz target: routing, percent-decoding and query parsing.
 * Input: "METHOD PATH?QUERY". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/route.h"
#include "aws/sigv4.h"
#include "util/pct.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *path, *query, out[256];
	struct route rt;
	struct err e;
	struct buf b;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	path = strchr(text, ' ');
	if (path != NULL) {
		*path++ = '\0';
		query = strchr(path, '?');
		if (query != NULL)
			*query++ = '\0';
		(void)route_match(text, path, &rt, &e);
		(void)pct_decode(path, strlen(path), out, sizeof(out));
		if (query != NULL) {
			buf_init(&b, 0);
			(void)sigv4_canonical_query(query, &b);
			buf_free(&b);
		}
	}
	free(text);
	return 0;
}
