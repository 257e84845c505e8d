/* Look-ups over the generated shape tables. */
#include <string.h>

#include "aws/shapes.h"

int
shape_find(const char *name)
{
	int i;

	for (i = 0; i < shapes_count; i++)
		if (strcmp(shapes[i].name, name) == 0)
			return i;
	return -1;
}
