/* A stage's roster as the events socket shows it: who is connected with
 * their live state, and who was disconnected by the API. Plain records
 * filled from the store and the STAGE_STATE text made from them. Pure;
 * one thread per roster.
 */
#ifndef RTSTAGE_RUNTIME_ROSTER_H
#define RTSTAGE_RUNTIME_ROSTER_H

#include <stddef.h>

#define ROSTER_ID_CAP 72
#define ROSTER_USER_CAP 400
#define ROSTER_STAGE_ID_CAP 64

struct roster_entry {
	char id[ROSTER_ID_CAP];
	char user_id[ROSTER_USER_CAP];
	char *attributes;		/* JSON object text, malloc'd */
	int audio_muted, video_stopped, is_publishing;
};

struct roster {
	char stage_id[ROSTER_STAGE_ID_CAP];
	struct roster_entry *participants;
	size_t n, cap;
	char (*kicked)[ROSTER_ID_CAP];	/* disconnected by the API: KICKED */
	size_t n_kicked, cap_kicked;
	int truncated;			/* entries were left out (LIMIT_SNAPSHOT_PARTICIPANTS) */
	int xdp;			/* serverFeatures says "xdp": SDP offers may come
					 * over the events socket */
};

/* An empty roster of stage_id. */
void roster_init(struct roster *r, const char *stage_id);

/* Frees what r holds; r is empty afterwards. Accepts a zeroed roster. */
void roster_free(struct roster *r);

/* Adds a connected participant (attributes: JSON object text, copied;
 * NULL or "" is {}). Returns 0, or -1 when out of memory; past
 * LIMIT_SNAPSHOT_PARTICIPANTS entries it is left out and r->truncated set. */
int roster_add(struct roster *r, const char *id, const char *user_id, const char *attributes,
    int audio_muted, int video_stopped, int is_publishing);

/* Adds a participant id disconnected by the API, as roster_add. */
int roster_add_kicked(struct roster *r, const char *id);

/* The STAGE_STATE message of r with sequenceNumber seq, as JSON text
 * (caller frees), or NULL when out of memory:
 * {"type":"STAGE_STATE","payload":{"sequenceNumber","stageId",
 * "participants":[...],"disconnected":[{"id","status":"KICKED"}],
 * "serverFeatures":[] or ["xdp"]}}. */
char *roster_snapshot(const struct roster *r, long long seq);

#endif
