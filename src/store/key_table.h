/* The signing keys' store in the database (see crypto/keys.h). */
#ifndef RTSTAGE_STORE_KEY_TABLE_H
#define RTSTAGE_STORE_KEY_TABLE_H

#include "crypto/keys.h"

/* Fills ks with the database's key store; needs store_init first. */
void key_table_open(struct key_store *ks);

/* The key store of this server: the database's when the database is
 * shared by nodes (store_driver()->shared), else the files under data_dir
 * (in files). */
enum err_code key_store_for(const char *data_dir, int create, struct key_files *files,
    struct key_store *ks, struct err *e);

#endif
