/* Endpoint templates. */
#include <openssl/sha.h>
#include <string.h>

#include "crypto/ids.h"
#include "ivs/endpoints.h"

int
endpoint_expand(const char *t, const struct stage_rec *st, char *out, size_t cap)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char hex[13];
	const char *value;
	size_t o = 0, n;

	SHA256((const unsigned char *)st->arn, strlen(st->arn), digest);
	ids_hex(digest, 6, hex);
	while (*t != '\0') {
		value = NULL;
		n = 0;
		if (strncmp(t, "{hex}", 5) == 0)
			value = hex, n = 5;
		else if (strncmp(t, "{id}", 4) == 0)
			value = st->id, n = 4;
		else if (strncmp(t, "{region}", 8) == 0)
			value = st->region, n = 8;
		else if (strncmp(t, "{account}", 9) == 0)
			value = st->account, n = 9;
		if (value == NULL) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *t++;
			continue;
		}
		if (o + strlen(value) >= cap)
			return -1;
		memcpy(out + o, value, strlen(value));
		o += strlen(value);
		t += n;
	}
	out[o] = '\0';
	return 0;
}

json_t *
endpoints_to_json(const struct config *cfg, const struct stage_rec *st)
{
	static const char *const names[ENDPOINT__COUNT] = {
		[ENDPOINT_EVENTS] = "events", [ENDPOINT_WHIP] = "whip",
		[ENDPOINT_RTMP] = "rtmp", [ENDPOINT_RTMPS] = "rtmps",
	};
	json_t *obj = json_object();
	char url[2048];
	int i;

	for (i = 0; obj != NULL && i < ENDPOINT__COUNT; i++)
		if (endpoint_expand(cfg->endpoint[i], st, url, sizeof(url)) == 0)
			json_object_set_new(obj, names[i], json_string(url));
	return obj;
}
