/* Individual participant recording configuration: domain rules. */
#include <stdio.h>
#include <string.h>

#include "ivs/recording.h"

void
recording_defaults(struct recording *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->media_types, sizeof(r->media_types), "AUDIO_VIDEO");
	r->thumb_interval = 60;
	snprintf(r->thumb_storage, sizeof(r->thumb_storage), "SEQUENTIAL");
	snprintf(r->thumb_mode, sizeof(r->thumb_mode), "DISABLED");
	r->reconnect_window = 0;
	r->hls_segment = 6;
	r->record_replicas = 1;
}

/* Joins a JSON list of (validated, enum) strings with commas into out. */
static void
join(const json_t *list, char *out, size_t cap)
{
	json_t *v;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(list, i, v) {
		int w = snprintf(out + n, cap - n, "%s%s", i ? "," : "", json_string_value(v));
		if (w < 0 || (size_t)w >= cap - n)
			return;
		n += (size_t)w;
	}
}

/* A comma-joined list back as a JSON list. */
static json_t *
split(const char *s)
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

void
recording_from_json(const json_t *obj, struct recording *r)
{
	const json_t *v, *thumb, *hls;

	recording_defaults(r);
	v = json_object_get(obj, "storageConfigurationArn");
	if (!json_is_string(v) || json_string_length(v) == 0)
		return;		/* "" disables recording: everything else is default */
	snprintf(r->storage_arn, sizeof(r->storage_arn), "%s", json_string_value(v));
	if (json_is_array(v = json_object_get(obj, "mediaTypes")))
		join(v, r->media_types, sizeof(r->media_types));
	if (json_is_integer(v = json_object_get(obj, "recordingReconnectWindowSeconds")))
		r->reconnect_window = (int)json_integer_value(v);
	if (json_is_boolean(v = json_object_get(obj, "recordParticipantReplicas")))
		r->record_replicas = json_is_true(v);
	hls = json_object_get(obj, "hlsConfiguration");
	if (json_is_integer(v = json_object_get(hls, "targetSegmentDurationSeconds")))
		r->hls_segment = (int)json_integer_value(v);
	thumb = json_object_get(obj, "thumbnailConfiguration");
	if (json_is_integer(v = json_object_get(thumb, "targetIntervalSeconds")))
		r->thumb_interval = (int)json_integer_value(v);
	if (json_is_array(v = json_object_get(thumb, "storage")))
		join(v, r->thumb_storage, sizeof(r->thumb_storage));
	if (json_is_string(v = json_object_get(thumb, "recordingMode")))
		snprintf(r->thumb_mode, sizeof(r->thumb_mode), "%s", json_string_value(v));
}

json_t *
recording_to_json(const struct recording *r)
{
	return json_pack("{s:s, s:o, s:{s:i, s:o, s:s}, s:i, s:{s:i}, s:b}",
	    "storageConfigurationArn", r->storage_arn,
	    "mediaTypes", split(r->media_types),
	    "thumbnailConfiguration",
	        "targetIntervalSeconds", r->thumb_interval,
	        "storage", split(r->thumb_storage),
	        "recordingMode", r->thumb_mode,
	    "recordingReconnectWindowSeconds", r->reconnect_window,
	    "hlsConfiguration", "targetSegmentDurationSeconds", r->hls_segment,
	    "recordParticipantReplicas", r->record_replicas);
}
