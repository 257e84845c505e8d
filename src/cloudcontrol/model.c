/* Resource model <-> API Stage, as tables of paths. */
#include <stdio.h>
#include <string.h>

#include "cloudcontrol/model.h"

/* Where each recording member lives: under the model's
 * AutoParticipantRecordingConfiguration and under the API's
 * autoParticipantRecordingConfiguration ('/' separates levels). */
static const struct {
	const char *model, *api;
} recording_map[] = {
	{ "StorageConfigurationArn", "storageConfigurationArn" },
	{ "MediaTypes", "mediaTypes" },
	{ "RecordingReconnectWindowSeconds", "recordingReconnectWindowSeconds" },
	{ "HlsConfiguration/ParticipantRecordingHlsConfiguration/TargetSegmentDurationSeconds",
	  "hlsConfiguration/targetSegmentDurationSeconds" },
	{ "ThumbnailConfiguration/ParticipantThumbnailConfiguration/RecordingMode",
	  "thumbnailConfiguration/recordingMode" },
	{ "ThumbnailConfiguration/ParticipantThumbnailConfiguration/Storage",
	  "thumbnailConfiguration/storage" },
	{ "ThumbnailConfiguration/ParticipantThumbnailConfiguration/TargetIntervalSeconds",
	  "thumbnailConfiguration/targetIntervalSeconds" },
};

/* The value at path in obj, or NULL. */
static const json_t *
get_path(const json_t *obj, const char *path)
{
	char key[128];
	const char *slash;
	size_t n;

	while (obj != NULL && (slash = strchr(path, '/')) != NULL) {
		n = (size_t)(slash - path);
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		obj = json_object_get(obj, key);
		path = slash + 1;
	}
	return obj ? json_object_get(obj, path) : NULL;
}

/* Sets path in obj to value (a new reference is taken), making the
 * objects on the way. */
static void
set_path(json_t *obj, const char *path, const json_t *value)
{
	char key[128];
	const char *slash;
	json_t *next;

	while ((slash = strchr(path, '/')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(slash - path), path);
		if ((next = json_object_get(obj, key)) == NULL) {
			next = json_object();
			json_object_set_new(obj, key, next);
		}
		obj = next;
		path = slash + 1;
	}
	json_object_set(obj, path, (json_t *)value);
}

json_t *
model_from_stage(const json_t *stage)
{
	json_t *m = json_object(), *rec = json_object(), *tags = json_array();
	const json_t *api_rec = json_object_get(stage, "autoParticipantRecordingConfiguration");
	const json_t *v;
	const char *k;
	size_t i;

	if (m == NULL || rec == NULL || tags == NULL) {
		json_decref(m);
		json_decref(rec);
		json_decref(tags);
		return NULL;
	}
	json_object_set(m, "Arn", json_object_get(stage, "arn"));
	if ((v = json_object_get(stage, "name")) != NULL)
		json_object_set(m, "Name", (json_t *)v);
	for (i = 0; api_rec && i < sizeof(recording_map) / sizeof(recording_map[0]); i++)
		if ((v = get_path(api_rec, recording_map[i].api)) != NULL)
			set_path(rec, recording_map[i].model, v);
	if (api_rec)
		json_object_set(m, "AutoParticipantRecordingConfiguration", rec);
	json_object_foreach((json_t *)json_object_get(stage, "tags"), k, v)
		json_array_append_new(tags, json_pack("{s:s, s:O}", "Key", k, "Value", v));
	if (json_array_size(tags) > 0)
		json_object_set(m, "Tags", tags);
	if ((v = json_object_get(stage, "activeSessionId")) != NULL && json_string_length(v) > 0)
		json_object_set(m, "ActiveSessionId", (json_t *)v);
	json_decref(rec);
	json_decref(tags);
	return m;
}

json_t *
model_recording_to_api(const json_t *rec)
{
	json_t *api = json_object();
	const json_t *v;
	size_t i;

	if (api == NULL)
		return NULL;
	if (rec == NULL) {
		json_object_set_new(api, "storageConfigurationArn", json_string(""));
		return api;
	}
	for (i = 0; i < sizeof(recording_map) / sizeof(recording_map[0]); i++)
		if ((v = get_path(rec, recording_map[i].model)) != NULL)
			set_path(api, recording_map[i].api, v);
	return api;
}

enum err_code
model_tags_to_api(const json_t *tags, json_t **map, struct err *e)
{
	const json_t *t;
	const char *key;
	size_t i;

	if ((*map = json_object()) == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	json_array_foreach(tags, i, t) {
		key = json_string_value(json_object_get(t, "Key"));
		if (key == NULL)
			continue;	/* the schema check reports it */
		if (json_object_get(*map, key) != NULL) {
			err_set(e, ERR_VALIDATION, "Tags: the key [%s] appears more than once", key);
			goto fail;
		}
		if (strncmp(key, "aws:", 4) == 0) {
			err_set(e, ERR_VALIDATION, "Tags: keys beginning with 'aws:' are reserved "
			    "(#/Tags/%zu/Key)", i);
			goto fail;
		}
		json_object_set(*map, key, json_object_get(t, "Value"));
	}
	return ERR_OK;
fail:
	json_decref(*map);
	*map = NULL;
	return e->code;
}
