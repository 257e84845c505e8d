/* jsonscan_values: one pass over JSON text, tracking only whether it is
 * inside a string (and after a backslash there). */
#include "util/jsonscan.h"

size_t
jsonscan_values(const char *s, size_t len, size_t stop)
{
	size_t i, n = 1;
	int in_string = 0, escaped = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (s[i] == '\\')
				escaped = 1;
			else if (s[i] == '"')
				in_string = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			in_string = 1;
			break;
		case '{':
		case '[':
		case ',':
			if (++n > stop)
				return stop + 1;
			break;
		default:
			break;
		}
	}
	return n;
}
