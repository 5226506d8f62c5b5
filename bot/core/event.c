/*
 * Event type names (the vocabulary stored in teleconference_events) and the
 * tiny sink helper.  The names are the contract with our users' queries.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "event.h"
#include "log.h"
#include "xmalloc.h"

static const char *const names[EVENT__COUNT] = {
	[EVENT_SESSION_START] = "session_start",
	[EVENT_SESSION_END] = "session_end",
	[EVENT_JOIN] = "join",
	[EVENT_LEAVE] = "leave",
	[EVENT_DISCONNECT] = "disconnect",
	[EVENT_RECONNECT] = "reconnect",
	[EVENT_KICKED] = "kicked",
	[EVENT_DEVICE_SWITCH] = "device_switch",
	[EVENT_AUDIO_MUTE] = "audio_mute",
	[EVENT_AUDIO_UNMUTE] = "audio_unmute",
	[EVENT_VIDEO_MUTE] = "video_mute",
	[EVENT_VIDEO_UNMUTE] = "video_unmute",
	[EVENT_SCREENSHARE_START] = "screenshare_start",
	[EVENT_SCREENSHARE_STOP] = "screenshare_stop",
	[EVENT_HAND_RAISE] = "hand_raise",
	[EVENT_HAND_LOWER] = "hand_lower",
	[EVENT_NICK_CHANGE] = "nick_change",
	[EVENT_ROLE_CHANGE] = "role_change",
	[EVENT_CHAT_MESSAGE] = "chat_message",
	[EVENT_REACTION] = "reaction",
	[EVENT_RECORDING_PENDING] = "recording_pending",
	[EVENT_RECORDING_START] = "recording_start",
	[EVENT_RECORDING_STOP] = "recording_stop",
	[EVENT_RECORDING_FAILED] = "recording_failed",
	[EVENT_LIVESTREAM_START] = "livestream_start",
	[EVENT_LIVESTREAM_STOP] = "livestream_stop",
	[EVENT_TRANSCRIPTION_START] = "transcription_start",
	[EVENT_TRANSCRIPTION_STOP] = "transcription_stop",
	[EVENT_OBSERVER_JOIN] = "observer_join",
	[EVENT_OBSERVER_GAP] = "observer_gap",
	[EVENT_HIDDEN_JOIN] = "hidden_join",
	[EVENT_HIDDEN_LEAVE] = "hidden_leave",
	[EVENT_MEETING_INFO] = "meeting_info",
	[EVENT_DOMINANT_SPEAKER] = "dominant_speaker",
	[EVENT_SPEAKER_STATS] = "speaker_stats",
	[EVENT_CONNECTION_INTERRUPTED] = "connection_interrupted",
	[EVENT_CONNECTION_RESTORED] = "connection_restored",
	[EVENT_CLIENT_INFO] = "client_info",
	[EVENT_ROLLUP] = "rollup",
	[EVENT_APPOINTMENT_STATUS] = "appointment_status",
	[EVENT_ATTENDANCE] = "attendance",
	[EVENT_ALERT] = "alert",
	[EVENT_BILLABLE_START] = "billable_start",
	[EVENT_BILLABLE_STOP] = "billable_stop",
	[EVENT_APPOINTMENT_ROLLUP] = "appointment_rollup",
};

int
event_type_is_rollup(enum event_type t)
{
	return t == EVENT_ROLLUP || t == EVENT_APPOINTMENT_ROLLUP;
}

#define SESSION_STRINGS	10

static size_t
session_strings(struct session_rec *s, const char ***f)
{
	f[0] = &s->uid;
	f[1] = &s->room;
	f[2] = &s->room_jid;
	f[3] = &s->meeting_id;
	f[4] = &s->appointment_id;
	f[5] = &s->status;
	f[6] = &s->end_reason;
	f[7] = &s->recording_status;
	f[8] = &s->connection_quality;
	f[9] = &s->status_reason;
	return SESSION_STRINGS;
}

struct session_rec *
event_session_dup(const struct session_rec *src)
{
	struct session_rec	 tmp, *d;
	const char		**f[SESSION_STRINGS];
	size_t			 n, i, len = 0, o = sizeof(*d), sl;

	if (src == NULL)
		return NULL;
	tmp = *src;
	n = session_strings(&tmp, f);
	for (i = 0; i < n; i++)
		if (*f[i] != NULL)
			len += strlen(*f[i]) + 1;
	d = xmalloc(sizeof(*d) + len);
	*d = *src;
	n = session_strings(d, f);
	for (i = 0; i < n; i++) {
		if (*f[i] == NULL)
			continue;
		sl = strlen(*f[i]) + 1;
		memcpy((char *)d + o, *f[i], sl);
		*f[i] = (char *)d + o;
		o += sl;
	}
	return d;
}

const char *
event_type_name(enum event_type t)
{
	if ((int)t < 0 || t >= EVENT__COUNT || names[t] == NULL)
		return "unknown";
	return names[t];
}

void
event_emit(const struct event_sink *sink, const struct event *ev)
{
	if (sink != NULL && sink->emit != NULL)
		sink->emit(ev, sink->arg);
}

char *
event_iso8601(int64_t ms, char *buf, unsigned long bufsz)
{
	struct tm	 tm;
	time_t		 sec;
	int		 msec;

	if (ms < 0)
		ms = 0;
	sec = (time_t)(ms / 1000);
	msec = (int)(ms % 1000);
	gmtime_r(&sec, &tm);
	snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, msec);
	return buf;
}

/*
 * A JSON string for untrusted text.  expat hands us valid UTF-8, but a
 * fixture or a future source might not: jansson refuses invalid UTF-8, so
 * fall back to a copy with every byte >= 0x80 replaced by '?'.
 */
json_t *
event_jstr(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j != NULL ? j : json_null();
}

/* Serialise and free obj; the caller frees the result. */
char *
event_jdump(json_t *obj)
{
	char	*s;

	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (s == NULL)
		fatalx("json_dumps: out of memory");
	return s;
}
