/* Fuzz target: the participant-token claim rules (ptoken_check_claims),
 * which fuzz_jwt cannot reach without a valid signature.
 * Input: a JSON text, the decoded claims. Checks what an accepted token
 * promises its callers: every field the rules accept is filled, within
 * its capacity, and not yet expired. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ivs/ptoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_S 1790000000LL	/* a fixed "now": the corpus's tokens are around it */

static void
check_accepted(const struct ptoken *t)
{
	if (t->participant_id[0] == '\0' || t->stage_arn[0] == '\0' || t->topic[0] == '\0' ||
	    t->events_url[0] == '\0' || t->whip_url[0] == '\0' || t->attributes == NULL ||
	    t->capabilities == NULL || t->exp <= NOW_S ||
	    (t->publish != 0 && t->publish != 1) || (t->subscribe != 0 && t->subscribe != 1))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *claims = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	struct ptoken t;

	if (claims == NULL)
		return 0;
	memset(&t, 0, sizeof(t));
	if (ptoken_check_claims(claims, NOW_S, &t) == PTOKEN_OK)
		check_accepted(&t);
	else if (t.why[0] == '\0')
		abort();	/* every refusal says which rule */
	ptoken_free(&t);
	json_decref(claims);
	return 0;
}
