/* Endpoint templates, and the events and WHIP endpoints of this node. */
#include <stdio.h>
#include <string.h>

#include "crypto/ids.h"
#include "ivs/endpoints.h"
#include "limits.h"
#include "util/jsonw.h"

void
endpoint_vars(const struct stage_rec *st, struct endpoint_vars *v)
{
	unsigned char digest[32];

	v->st = st;
	ids_sha256(st->arn, strlen(st->arn), digest);
	ids_hex(digest, 6, v->hex);
}

int
endpoint_expand(const char *t, const struct endpoint_vars *v, char *out, size_t cap)
{
	static const struct {
		const char *word;
		size_t len;
	} words[] = { { "{hex}", 5 }, { "{id}", 4 }, { "{region}", 8 }, { "{account}", 9 } };
	const char *values[4] = { v->hex, v->st->id, v->st->region, v->st->account };
	size_t o = 0, n, i;

	while (*t != '\0') {
		for (i = 0; *t == '{' && i < 4; i++)
			if (strncmp(t, words[i].word, words[i].len) == 0)
				break;
		if (*t != '{' || i == 4) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *t++;
			continue;
		}
		n = strlen(values[i]);
		if (o + n >= cap)
			return -1;
		memcpy(out + o, values[i], n);
		o += n;
		t += words[i].len;
	}
	out[o] = '\0';
	return 0;
}

int
endpoint_url(const struct config *cfg, enum endpoint_kind k, const struct endpoint_vars *v,
    char *out, size_t cap)
{
	/* [kind] = { plain scheme, secure scheme, path } of this node's own */
	static const struct {
		const char *plain, *secure, *path;
	} own[ENDPOINT__COUNT] = {
		[ENDPOINT_EVENTS] = { "ws", "wss", "/events" },
		[ENDPOINT_WHIP] = { "http", "https", "/whip" },
	};
	const char *url = cfg->public_url, *auth;
	int secure, n;

	if (cfg->endpoint[k] != NULL || own[k].path == NULL || url == NULL)
		return endpoint_expand(cfg->endpoint[k] ? cfg->endpoint[k] : "", v, out, cap);
	secure = strncmp(url, "https://", 8) == 0;
	auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	n = snprintf(out, cap, "%s://%.*s%s", secure ? own[k].secure : own[k].plain,
	    (int)strcspn(auth, "/"), auth, own[k].path);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void
endpoints_write(struct buf *b, const struct config *cfg, const struct stage_rec *st)
{
	static const char *const names[ENDPOINT__COUNT] = {
		[ENDPOINT_EVENTS] = "events", [ENDPOINT_WHIP] = "whip",
		[ENDPOINT_RTMP] = "rtmp", [ENDPOINT_RTMPS] = "rtmps",
	};
	struct endpoint_vars v;
	char url[ENDPOINT_URL_BYTES];
	int i, n = 0;

	endpoint_vars(st, &v);
	buf_puts(b, "{");
	for (i = 0; i < ENDPOINT__COUNT; i++) {
		if (endpoint_url(cfg, (enum endpoint_kind)i, &v, url, sizeof(url)) != 0)
			continue;
		buf_printf(b, "%s\"%s\":", n++ ? "," : "", names[i]);
		jsonw_string(b, url, strlen(url));
	}
	buf_puts(b, "}");
}
