/* Rosters and their STAGE_STATE text (see roster.h). Attribute objects
 * are stored as the store's JSON text and written back as they are
 * (after a check that they parse), so nothing is re-encoded. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "runtime/roster.h"
#include "util/buf.h"
#include "util/jsonw.h"

void
roster_init(struct roster *r, const char *stage_id)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->stage_id, sizeof(r->stage_id), "%s", stage_id ? stage_id : "");
}

void
roster_free(struct roster *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->participants[i].attributes);
	free(r->participants);
	free(r->kicked);
	r->participants = NULL;
	r->kicked = NULL;
	r->n = r->cap = r->n_kicked = r->cap_kicked = 0;
}

/* Room for one more entry in an array of *cap elements of size each. */
static int
grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t want = *cap ? *cap * 2 : 8;
	void *p;

	if (n < *cap)
		return 0;
	if ((p = realloc(*arr, want * size)) == NULL)
		return -1;
	*arr = p;
	*cap = want;
	return 0;
}

/* attributes as JSON object text that is safe to embed: itself when it is
 * a JSON object, "{}" otherwise. */
static const char *
object_text(const char *attributes)
{
	json_t *v;
	int ok;

	if (attributes == NULL || attributes[0] == '\0')
		return "{}";
	v = json_loads(attributes, 0, NULL);
	ok = json_is_object(v);
	json_decref(v);
	return ok ? attributes : "{}";
}

int
roster_add(struct roster *r, const char *id, const char *user_id, const char *attributes,
    int audio_muted, int video_stopped, int is_publishing)
{
	struct roster_entry *p;

	if (r->n + r->n_kicked >= LIMIT_SNAPSHOT_PARTICIPANTS) {
		r->truncated = 1;
		return 0;
	}
	if (grow((void **)&r->participants, r->n, &r->cap, sizeof(*r->participants)) != 0)
		return -1;
	p = &r->participants[r->n];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->user_id, sizeof(p->user_id), "%s", user_id ? user_id : "");
	if ((p->attributes = strdup(object_text(attributes))) == NULL)
		return -1;
	p->audio_muted = audio_muted != 0;
	p->video_stopped = video_stopped != 0;
	p->is_publishing = is_publishing != 0;
	r->n++;
	return 0;
}

int
roster_add_kicked(struct roster *r, const char *id)
{
	if (r->n + r->n_kicked >= LIMIT_SNAPSHOT_PARTICIPANTS) {
		r->truncated = 1;
		return 0;
	}
	if (grow((void **)&r->kicked, r->n_kicked, &r->cap_kicked, sizeof(*r->kicked)) != 0)
		return -1;
	snprintf(r->kicked[r->n_kicked], ROSTER_ID_CAP, "%s", id);
	r->n_kicked++;
	return 0;
}

static const char *
boolean(int v)
{
	return v ? "true" : "false";
}

char *
roster_snapshot(const struct roster *r, long long seq)
{
	const struct roster_entry *p;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_printf(&b, "{\"type\":\"STAGE_STATE\",\"payload\":{\"sequenceNumber\":%lld,"
	    "\"stageId\":", seq);
	jsonw_string(&b, r->stage_id, strlen(r->stage_id));
	buf_puts(&b, ",\"participants\":[");
	for (i = 0; i < r->n; i++) {
		p = &r->participants[i];
		buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
		jsonw_string(&b, p->id, strlen(p->id));
		buf_puts(&b, ",\"userId\":");
		jsonw_string(&b, p->user_id, strlen(p->user_id));
		buf_puts(&b, ",\"attributes\":");
		buf_puts(&b, p->attributes);
		buf_printf(&b, ",\"audioMuted\":%s,\"videoStopped\":%s,\"isPublishing\":%s}",
		    boolean(p->audio_muted), boolean(p->video_stopped), boolean(p->is_publishing));
	}
	buf_puts(&b, "],\"disconnected\":[");
	for (i = 0; i < r->n_kicked; i++) {
		buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
		jsonw_string(&b, r->kicked[i], strlen(r->kicked[i]));
		buf_puts(&b, ",\"status\":\"KICKED\"}");
	}
	buf_puts(&b, r->xdp ? "],\"serverFeatures\":[\"xdp\"]}}" : "],\"serverFeatures\":[]}}");
	if (b.truncated) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}
