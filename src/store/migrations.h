/* Numbered schema migrations, applied at start. */
#ifndef RTSTAGE_STORE_MIGRATIONS_H
#define RTSTAGE_STORE_MIGRATIONS_H

#include "store/store.h"

/* Applies, in one writing transaction, every migration newer than the
 * database's version. Safe to run from several processes at once. */
enum err_code migrations_apply(struct store *s, struct err *e);

#endif
