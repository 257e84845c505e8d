/* The roster follows the media: the SFU's hooks (see runtime.h), handed
 * from the SFU's threads to the runtime's store thread, which records
 * the participant's publishing state and its history (PUBLISH_STARTED,
 * SUBSCRIBE_STOPPED, ...) and then tells every node the roster changed.
 * A WHIP participant with no events socket leaves when its last media
 * session ends. The other way: a participant that left through another
 * node (its socket there closed) loses the media this node hosts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/log.h"
#include "ivs/session.h"
#include "media/whip.h"
#include "runtime/events.h"
#include "runtime/jobs.h"
#include "runtime/runtime.h"
#include "store/session_store.h"
#include "store/store.h"

enum media_what { M_PUBLISH_STARTED, M_SUBSCRIBE_STARTED, M_ENDED };

struct media_job {
	enum media_what what;
	int publish;
	char arn[SFU_ARN_CAP];
	char pid[SFU_PID_CAP];
	char remote[SFU_PID_CAP];
	char reason[32];
	char error_code[40];
	int leaves;			/* a WHIP-only participant whose last media ended */
};

/* The history event of j (NULL: none). */
static const char *
event_name(const struct media_job *j)
{
	static const char *const names[][2] = {	/* [what][publish] */
		[M_PUBLISH_STARTED]   = { NULL, "PUBLISH_STARTED" },
		[M_SUBSCRIBE_STARTED] = { "SUBSCRIBE_STARTED", NULL },
		[M_ENDED]             = { "SUBSCRIBE_STOPPED", "PUBLISH_STOPPED" },
	};

	if (j->what == M_ENDED && j->error_code[0] != '\0')
		return j->publish ? "PUBLISH_ERROR" : "SUBSCRIBE_ERROR";
	return names[j->what][j->publish != 0];
}

static enum err_code
media_tx(struct store *s, void *arg, struct err *e)
{
	struct media_job *j = arg;
	const char *name = event_name(j);
	int empty, running = 1;

	/* a normal end of what never started (ICE never came up, a republish
	 * before the media) is no stop: nothing is recorded */
	if (j->what == M_ENDED && j->error_code[0] == '\0' &&
	    store_participant_media_running(s, j->arn, j->pid, j->publish, j->remote, &running,
	    e) != ERR_OK)
		return e->code;
	if (!running)
		name = NULL;
	if (j->publish && session_set_publishing(s, j->arn, j->pid,
	    j->what == M_PUBLISH_STARTED, e) != ERR_OK)
		return e->code;
	if (name != NULL && session_event(s, j->arn, j->pid, name, j->remote,
	    j->error_code[0] ? j->error_code : NULL, session_now_ms(), e) != ERR_OK)
		return e->code;
	if (j->leaves)
		return session_leave(s, j->arn, j->pid, session_now_ms(), &empty, e);
	return ERR_OK;
}

/* On the store thread. */
static void
media_job(void *arg)
{
	struct media_job *j = arg;
	struct err e = { ERR_OK, "" };
	struct bus_event ev = { .kind = BUS_ROSTER_CHANGED };

	if (j->what == M_ENDED)
		j->leaves = whip_bare_ended(j->arn, j->pid);
	/* a participant that left first has nothing more to record */
	if (store_write(media_tx, j, &e) != ERR_OK && e.code != ERR_NOT_FOUND)
		log_msg(LOG_WARN, "media: recording %s of %s in %s: %s", event_name(j), j->pid,
		    j->arn, e.msg);
	if (j->publish || j->leaves) {
		snprintf(ev.stage_arn, sizeof(ev.stage_arn), "%s", j->arn);
		snprintf(ev.participant_id, sizeof(ev.participant_id), "%s", j->pid);
		bus_publish(&ev);
	}
	free(j);
}

/* On an SFU thread: logs, then hands the fact to the store thread. */
static void
post(enum media_what what, int publish, const char *arn, const char *pid, const char *remote,
    const char *reason, const char *error_code)
{
	struct media_job *j = calloc(1, sizeof(*j));

	if (what == M_ENDED)
		log_msg(LOG_INFO, "media session ended: role=%s participant=%s%s%s stage=%s "
		    "reason=%s%s%s", publish ? "publish" : "subscribe", pid,
		    remote[0] ? " remote=" : "", remote, arn, reason,
		    error_code[0] ? " error=" : "", error_code);
	else
		log_msg(LOG_INFO, "media session started: role=%s participant=%s%s%s stage=%s",
		    publish ? "publish" : "subscribe", pid, remote[0] ? " remote=" : "", remote, arn);
	if (j == NULL)
		return;
	j->what = what;
	j->publish = publish;
	snprintf(j->arn, sizeof(j->arn), "%s", arn);
	snprintf(j->pid, sizeof(j->pid), "%s", pid);
	snprintf(j->remote, sizeof(j->remote), "%s", remote);
	snprintf(j->reason, sizeof(j->reason), "%s", reason);
	snprintf(j->error_code, sizeof(j->error_code), "%s", error_code);
	if (jobs_post(media_job, j) != 0) {
		log_msg(LOG_WARN, "media: store queue full or stopped; the %s of %s is not recorded",
		    what == M_ENDED ? "end" : "start", pid);
		free(j);
	}
}

static void
on_publish_started(const char *stage_arn, const char *participant_id)
{
	post(M_PUBLISH_STARTED, 1, stage_arn, participant_id, "", "", "");
}

static void
on_subscribe_started(const char *stage_arn, const char *participant_id, const char *remote_id)
{
	post(M_SUBSCRIBE_STARTED, 0, stage_arn, participant_id, remote_id, "", "");
}

static void
on_session_ended(const char *stage_arn, const char *participant_id, const char *remote_id,
    int publish, const char *reason, const char *error_code)
{
	post(M_ENDED, publish, stage_arn, participant_id, remote_id ? remote_id : "",
	    reason ? reason : "", error_code ? error_code : "");
}

/* ---- participants that left through another node --------------------------- */

struct left_job {
	char arn[SFU_ARN_CAP];
	char pid[SFU_PID_CAP];
	int connected;
};

static enum err_code
connected_tx(struct store *s, void *arg, struct err *e)
{
	struct left_job *j = arg;

	return session_is_connected(s, j->arn, j->pid, &j->connected, e);
}

/* On the store thread: a participant no longer connected has no media. */
static void
left_job(void *arg)
{
	struct left_job *j = arg;
	struct err e = { ERR_OK, "" };

	if (store_read(connected_tx, j, &e) != ERR_OK)
		log_msg(LOG_WARN, "media: checking whether %s is still in %s: %s", j->pid, j->arn,
		    e.msg);
	else if (!j->connected) {
		log_msg(LOG_INFO, "media: %s left %s through another node: its media ends",
		    j->pid, j->arn);
		sfu_end_participant(j->arn, j->pid);
	}
	free(j);
}

void
media_roster_changed(const char *stage_arn, const char *participant_id)
{
	struct left_job *j;

	if (participant_id[0] == '\0' || !sfu_has_sessions(stage_arn, participant_id) ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		return;
	snprintf(j->arn, sizeof(j->arn), "%s", stage_arn);
	snprintf(j->pid, sizeof(j->pid), "%s", participant_id);
	if (jobs_post(left_job, j) != 0) {
		log_msg(LOG_WARN, "media: store queue full; whether %s left is not checked", j->pid);
		free(j);
	}
}

static const struct sfu_hooks hooks = {
	.publish_started = on_publish_started,
	.subscribe_started = on_subscribe_started,
	.session_ended = on_session_ended,
};

const struct sfu_hooks *
runtime_media_hooks(void)
{
	return &hooks;
}
