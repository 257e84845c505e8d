/* List operations: maxResults, nextToken and the page they describe. */
#ifndef RTSTAGE_IVS_PAGING_H
#define RTSTAGE_IVS_PAGING_H

#include "aws/call.h"

struct paging {
	char scope[192];	/* what a token is bound to: operation, account, region */
	long long after;	/* the page starts after this sequence number */
	int want;		/* page size; query want + 1 rows to learn if more exist */
	json_t *list;		/* the summaries (owned until paging_finish) */
	int taken;		/* rows counted by paging_take */
	long long last;		/* sequence number of the last summary added */
	int more;
};

/* Reads maxResults (default 50) and nextToken of in for operation op. */
enum err_code paging_start(struct call *c, const json_t *in, const char *op, struct paging *p);

/* Is the page full? Then a further row only tells that more exist. */
int paging_full(struct paging *p);

/* Appends summary (stolen) for the row with sequence number seq. */
enum err_code paging_add(struct call *c, struct paging *p, json_t *summary, long long seq);

/* Counts one more row for a page written as text: 1 if it belongs to the
 * page, 0 if it only tells that more exist (p->more is then set). */
int paging_take(struct paging *p, long long seq);

/* The nextToken of the page, if there is a further page, into token
 * (PAGE_TOKEN_MAX bytes): 1 written, 0 none, -1 error (c->err set). */
int paging_token(struct call *c, struct paging *p, char *token);

/* Sets *out to {member: [...], "nextToken": ...} and releases p. */
enum err_code paging_finish(struct call *c, struct paging *p, const char *member, json_t **out);

/* Releases p after a failure. */
void paging_abort(struct paging *p);

#endif
