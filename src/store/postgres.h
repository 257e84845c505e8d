/* The connection options every rtstage connection to PostgreSQL carries
 * (store/postgres.c): connect timeout, keepalives, TCP user timeout,
 * statement and lock timeouts, application name. The store's driver uses
 * them, and so does any other module that opens a connection of its own
 * (store/notify.c), so that all of them fail alike when the database or
 * the network stalls.
 */
#ifndef RTSTAGE_STORE_POSTGRES_H
#define RTSTAGE_STORE_POSTGRES_H

#define POSTGRES_OPTIONS 9

/* Keywords and values for PQconnectdbParams or PQconnectStartParams, with
 * expand_dbname = 1: the URL comes last, so its own settings win. */
struct postgres_options {
	const char *keys[POSTGRES_OPTIONS + 1];
	const char *vals[POSTGRES_OPTIONS + 1];
	char connect[16], tcp[16], options[160];
};

/* Fills o for url, with statement_ms as the statement and lock timeout
 * and application as the application name. o points into itself and at
 * url and application: they must outlive its use. Pure. */
void postgres_options(struct postgres_options *o, const char *url, const char *application,
    int statement_ms);

#endif
