/* Individual participant recording configuration: domain rules. */
#include <stdio.h>
#include <string.h>

#include "ivs/recording.h"
#include "util/jsonw.h"

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

/* Appends a comma-joined list as a JSON list of strings. */
static void
write_list(struct buf *b, const char *s)
{
	const char *comma;

	buf_puts(b, "[");
	while (*s != '\0') {
		comma = strchr(s, ',');
		if (comma == NULL)
			comma = s + strlen(s);
		jsonw_string(b, s, (size_t)(comma - s));
		if (*comma)
			buf_puts(b, ",");
		s = *comma ? comma + 1 : comma;
	}
	buf_puts(b, "]");
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

void
recording_write(struct buf *b, const struct recording *r)
{
	buf_puts(b, "{\"storageConfigurationArn\":");
	jsonw_string(b, r->storage_arn, strlen(r->storage_arn));
	buf_puts(b, ",\"mediaTypes\":");
	write_list(b, r->media_types);
	buf_printf(b, ",\"thumbnailConfiguration\":{\"targetIntervalSeconds\":%d,\"storage\":",
	    r->thumb_interval);
	write_list(b, r->thumb_storage);
	buf_puts(b, ",\"recordingMode\":");
	jsonw_string(b, r->thumb_mode, strlen(r->thumb_mode));
	buf_printf(b, "},\"recordingReconnectWindowSeconds\":%d,"
	    "\"hlsConfiguration\":{\"targetSegmentDurationSeconds\":%d},"
	    "\"recordParticipantReplicas\":%s}", r->reconnect_window, r->hls_segment,
	    r->record_replicas ? "true" : "false");
}
