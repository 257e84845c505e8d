/* List operations: maxResults, nextToken and the page they describe. */
#ifndef RTSTAGE_IVS_PAGING_H
#define RTSTAGE_IVS_PAGING_H

#include "aws/call.h"

struct paging {
	char scope[192];	/* what a token is bound to: operation, account, region */
	long long after;	/* the page starts after this sequence number */
	int want;		/* page size; query want + 1 rows to learn if more exist */
	json_t *list;		/* the summaries (owned until paging_finish) */
	long long last;		/* sequence number of the last summary added */
	int more;
};

/* Reads maxResults (default 50) and nextToken of in for operation op. */
enum err_code paging_start(struct call *c, const json_t *in, const char *op, struct paging *p);

/* Is the page full? Then a further row only tells that more exist. */
int paging_full(struct paging *p);

/* Appends summary (stolen) for the row with sequence number seq. */
enum err_code paging_add(struct call *c, struct paging *p, json_t *summary, long long seq);

/* Sets *out to {member: [...], "nextToken": ...} and releases p. */
enum err_code paging_finish(struct call *c, struct paging *p, const char *member, json_t **out);

/* Releases p after a failure. */
void paging_abort(struct paging *p);

#endif
