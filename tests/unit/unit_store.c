/* A unit test's store (see unit_store.h): the temporary directory of its
 * SQLite database and the files SQLite leaves there. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"
#include "unit_store.h"

static char dir[] = "/tmp/rtstage-unit-XXXXXX";
static const char *const files[] = { "t.db", "t.db-wal", "t.db-shm" };

int
unit_store_open(int may_pg)
{
	const char *db = may_pg ? getenv("RTSTAGE_UNIT_DB") : NULL;	/* postgres://... */
	char url[64];
	struct err e;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	if (store_init(db != NULL ? db : url, &e) != ERR_OK) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	return 0;
}

void
unit_store_close(void)
{
	char path[96];
	size_t i;

	store_fini();
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}
