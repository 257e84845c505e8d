/* Paging shared by every List operation. */
#include <stdio.h>

#include "ivs/ivs.h"
#include "ivs/page_token.h"
#include "ivs/paging.h"
#include "limits.h"


enum err_code
paging_start(struct call *c, const json_t *in, const char *op, struct paging *p)
{
	const json_t *max = json_object_get(in, "maxResults");
	const char *token = json_string_value(json_object_get(in, "nextToken"));

	p->want = max ? (int)json_integer_value(max) : DEFAULT_PAGE;
	p->after = p->last = 0;
	p->more = p->taken = 0;
	p->list = NULL;
	snprintf(p->scope, sizeof(p->scope), "%s|%s|%s", op, c->who.account, c->who.region);
	if (token != NULL && *token != '\0' &&
	    page_token_decode(ivs_page_key(), p->scope, token, &p->after, &c->err) != ERR_OK)
		return c->err.code;
	if ((p->list = json_array()) == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	return ERR_OK;
}

int
paging_full(struct paging *p)
{
	if ((int)json_array_size(p->list) < p->want)
		return 0;
	p->more = 1;
	return 1;
}

enum err_code
paging_add(struct call *c, struct paging *p, json_t *summary, long long seq)
{
	if (summary == NULL || json_array_append_new(p->list, summary) != 0)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	p->last = seq;
	return ERR_OK;
}

int
paging_take(struct paging *p, long long seq)
{
	if (p->taken == p->want) {
		p->more = 1;
		return 0;
	}
	p->taken++;
	p->last = seq;
	return 1;
}

int
paging_token(struct call *c, struct paging *p, char *token)
{
	if (!p->more)
		return 0;
	if (page_token_encode(ivs_page_key(), p->scope, p->last, token) != 0) {
		err_set(&c->err, ERR_INTERNAL, "cannot sign the page token");
		return -1;
	}
	return 1;
}

enum err_code
paging_finish(struct call *c, struct paging *p, const char *member, json_t **out)
{
	char next[PAGE_TOKEN_MAX];
	int has;

	*out = json_pack("{s:o}", member, p->list);
	p->list = NULL;
	if (*out == NULL)
		return err_set(&c->err, ERR_INTERNAL, "out of memory");
	if ((has = paging_token(c, p, next)) < 0) {
		json_decref(*out);
		*out = NULL;
		return c->err.code;
	}
	if (has)
		json_object_set_new(*out, "nextToken", json_string(next));
	return ERR_OK;
}

void
paging_abort(struct paging *p)
{
	json_decref(p->list);
	p->list = NULL;
}
