/* Fuzz target: the bus event's wire form. Input: the text of a NOTIFY
 * payload. Whatever bus_decode accepts must encode again, and the
 * encoding must decode to the same event (the wire form is canonical for
 * what it accepts up to escapes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[LIMIT_NOTIFY_PAYLOAD_BYTES + 16], again[LIMIT_NOTIFY_PAYLOAD_BYTES];
	struct bus_event ev, back;
	struct err e;
	int n;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';	/* a payload is a C string: it ends at the first NUL */
	if (bus_decode(text, &ev, &e) != ERR_OK) {
		if (e.code != ERR_VALIDATION)
			__builtin_trap();
		return 0;
	}
	if ((n = bus_encode(&ev, again, sizeof(again))) < 0 || (size_t)n != strlen(again))
		__builtin_trap();
	if (bus_decode(again, &back, &e) != ERR_OK || memcmp(&ev, &back, sizeof(ev)) != 0)
		__builtin_trap();
	return 0;
}
