/* Resource model <-> the domain's stage, as one table of paths; the
 * models' Tags lists. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cloudcontrol/model.h"
#include "ivs/recording.h"

#define MEMBER(m) offsetof(struct recording, m), sizeof(((struct recording *)0)->m)

enum kind {
	TEXT,		/* a string member of struct recording */
	LIST,		/* a list of enum strings, stored comma-joined */
	NUMBER,		/* an int member */
};

/* Where each recording member lives under the model's
 * AutoParticipantRecordingConfiguration ('/' separates levels), and in
 * struct recording. recordParticipantReplicas is not in the schema: it
 * keeps its default. */
static const struct {
	const char *path;
	enum kind kind;
	size_t off, size;
} recording_map[] = {
	{ "StorageConfigurationArn", TEXT, MEMBER(storage_arn) },
	{ "MediaTypes", LIST, MEMBER(media_types) },
	{ "RecordingReconnectWindowSeconds", NUMBER, MEMBER(reconnect_window) },
	{ "HlsConfiguration/ParticipantRecordingHlsConfiguration/TargetSegmentDurationSeconds",
	  NUMBER, MEMBER(hls_segment) },
	{ "ThumbnailConfiguration/ParticipantThumbnailConfiguration/RecordingMode",
	  TEXT, MEMBER(thumb_mode) },
	{ "ThumbnailConfiguration/ParticipantThumbnailConfiguration/Storage",
	  LIST, MEMBER(thumb_storage) },
	{ "ThumbnailConfiguration/ParticipantThumbnailConfiguration/TargetIntervalSeconds",
	  NUMBER, MEMBER(thumb_interval) },
};

#define N_RECORDING (sizeof(recording_map) / sizeof(recording_map[0]))

/* The value at path in obj, or NULL. */
static const json_t *
get_path(const json_t *obj, const char *path)
{
	char key[128];
	const char *slash;

	while (obj != NULL && (slash = strchr(path, '/')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(slash - path), path);
		obj = json_object_get(obj, key);
		path = slash + 1;
	}
	return obj ? json_object_get(obj, path) : NULL;
}

/* Sets path in obj to value (stolen), making the objects on the way.
 * Returns 0, or -1 when out of memory. */
static int
set_path(json_t *obj, const char *path, json_t *value)
{
	char key[128];
	const char *slash;
	json_t *next;

	while (value != NULL && (slash = strchr(path, '/')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(slash - path), path);
		if ((next = json_object_get(obj, key)) == NULL &&
		    json_object_set_new(obj, key, next = json_object()) != 0) {
			json_decref(value);
			return -1;
		}
		obj = next;
		path = slash + 1;
	}
	return value ? json_object_set_new(obj, path, value) : -1;
}

/* A comma-joined list as a JSON list of strings. */
static json_t *
list_json(const char *s)
{
	json_t *list = json_array();
	const char *comma;

	while (list != NULL && *s != '\0') {
		comma = strchr(s, ',');
		if (comma == NULL)
			comma = s + strlen(s);
		json_array_append_new(list, json_stringn(s, (size_t)(comma - s)));
		s = *comma ? comma + 1 : comma;
	}
	return list;
}

static json_t *
member_json(const struct recording *r, size_t i)
{
	const char *at = (const char *)r + recording_map[i].off;

	switch (recording_map[i].kind) {
	case TEXT:
		return json_string(at);
	case LIST:
		return list_json(at);
	case NUMBER:
		return json_integer(*(const int *)(const void *)at);
	}
	return NULL;
}

int
model_put_tags(json_t *m, const struct tag_set *tags)
{
	json_t *list;
	size_t i;

	if (tags == NULL || tags->n == 0)
		return 0;
	if (json_object_set_new(m, "Tags", list = json_array()) != 0)
		return -1;
	for (i = 0; i < tags->n; i++)
		if (json_array_append_new(list, json_pack("{s:s, s:s}", "Key", tags->v[i].key,
		    "Value", tags->v[i].value)) != 0)
			return -1;
	return 0;
}

json_t *
model_from_stage(const struct stage_rec *st, const struct tag_set *tags)
{
	json_t *m = json_pack("{s:s, s:s, s:{}}", "Arn", st->arn, "Name", st->name,
	    "AutoParticipantRecordingConfiguration");
	json_t *rec = json_object_get(m, "AutoParticipantRecordingConfiguration");
	size_t i;

	for (i = 0; m != NULL && i < N_RECORDING; i++)
		if (set_path(rec, recording_map[i].path, member_json(&st->rec, i)) != 0)
			goto oom;
	if (m == NULL || model_put_tags(m, tags) == 0)
		return m;
oom:
	json_decref(m);
	return NULL;
}

/* Reads one member of the model into r. */
static enum err_code
member_read(const json_t *v, size_t i, struct recording *r, struct err *e)
{
	char *at = (char *)r + recording_map[i].off;
	size_t cap = recording_map[i].size, n = 0, k;
	const json_t *item;
	int w;

	switch (recording_map[i].kind) {
	case TEXT:
		w = snprintf(at, cap, "%s", json_string_value(v) ? json_string_value(v) : "");
		if (w < 0 || (size_t)w >= cap)
			goto too_long;
		return ERR_OK;
	case LIST:
		at[0] = '\0';
		json_array_foreach(v, k, item) {
			w = snprintf(at + n, cap - n, "%s%s", k ? "," : "",
			    json_string_value(item) ? json_string_value(item) : "");
			if (w < 0 || (size_t)w >= cap - n)
				goto too_long;
			n += (size_t)w;
		}
		return ERR_OK;
	case NUMBER:
		if (json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
			goto too_long;	/* the schema's bounds are far narrower */
		*(int *)(void *)at = (int)json_integer_value(v);
		return ERR_OK;
	}
too_long:
	return err_set(e, ERR_VALIDATION, "#/AutoParticipantRecordingConfiguration/%s: the value "
	    "is out of range", recording_map[i].path);
}

enum err_code
model_recording(const json_t *rec, struct recording *out, struct err *e)
{
	const json_t *v;
	size_t i;

	recording_defaults(out);
	for (i = 0; rec != NULL && i < N_RECORDING; i++)
		if ((v = get_path(rec, recording_map[i].path)) != NULL &&
		    member_read(v, i, out, e) != ERR_OK)
			return e->code;
	return ERR_OK;
}

enum err_code
model_tags(const json_t *tags, struct tag_set *out, struct err *e)
{
	const json_t *t;
	const char *key, *value;
	size_t i;

	tag_set_free(out);
	json_array_foreach(tags, i, t) {
		key = json_string_value(json_object_get(t, "Key"));
		value = json_string_value(json_object_get(t, "Value"));
		if (key == NULL || value == NULL)
			continue;	/* the schema check reports it */
		if (tag_set_get(out, key) != NULL)
			return err_set(e, ERR_VALIDATION, "Tags: the key [%s] appears more than once",
			    key);
		if (strncmp(key, "aws:", 4) == 0)
			return err_set(e, ERR_VALIDATION, "Tags: keys beginning with 'aws:' are "
			    "reserved (#/Tags/%zu/Key)", i);
		if (tag_set_put(out, key, value, e) != ERR_OK)
			return e->code;
	}
	return ERR_OK;
}
