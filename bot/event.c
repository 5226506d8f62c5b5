/*
 * Event type names (the vocabulary stored in teleconference_events) and the
 * tiny sink helper.  The names are the contract with our users' queries.
 */
#include <stdio.h>
#include <time.h>

#include "event.h"

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
};

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
