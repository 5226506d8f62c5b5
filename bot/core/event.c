/*
 * Event type names (the vocabulary stored in teleconference_events), the
 * detail builder the derivation fills, and the one place events become
 * JSON: event_json() renders what the writer stores in event_data and what
 * alert delivery sends.  The names are the contract with our users'
 * queries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "event.h"
#include "log.h"
#include "text.h"
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
	[EVENT_LOBBY_JOIN] = "lobby_join",
	[EVENT_LOBBY_ADMITTED] = "lobby_admitted",
	[EVENT_LOBBY_DENIED] = "lobby_denied",
	[EVENT_LOBBY_LEAVE] = "lobby_leave",
	[EVENT_BREAKOUT_MOVE] = "breakout_move",
	[EVENT_PARTICIPANT_MERGE] = "participant_merge",
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
	/*
	 * The second formatted last, per thread: a batch's rows and a
	 * burst's events fall in a few seconds, and gmtime_r() with
	 * snprintf() cost as much as the rest of an event row's binding.
	 */
	static _Thread_local time_t	 last = -1;
	static _Thread_local char	 prefix[32];	/* "...T12:34:56.", any
							   year an int64 of ms
							   makes */
	static _Thread_local size_t	 plen;
	struct tm			 tm;
	time_t				 sec;
	int				 msec;

	if (ms < 0)
		ms = 0;
	sec = (time_t)(ms / 1000);
	msec = (int)(ms % 1000);
	if (sec != last) {
		gmtime_r(&sec, &tm);
		plen = (size_t)snprintf(prefix, sizeof(prefix),
		    "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		last = sec;
	}
	if (bufsz < plen + 5) {
		snprintf(buf, bufsz, "%s%03dZ", prefix, msec);
		return buf;
	}
	memcpy(buf, prefix, plen);
	buf[plen] = (char)('0' + msec / 100);
	buf[plen + 1] = (char)('0' + msec / 10 % 10);
	buf[plen + 2] = (char)('0' + msec % 10);
	buf[plen + 3] = 'Z';
	buf[plen + 4] = '\0';
	return buf;
}

/* --- details ----------------------------------------------------------- */

static struct event_field *
ef_add(struct event_fields *f, const char *key, enum event_vtype type)
{
	struct event_field	*v;

	if (f->n >= EVENT_FIELDS_MAX) {
		log_warnx("event detail %s dropped: more than %d details",
		    key != NULL ? key : "(end)", EVENT_FIELDS_MAX);
		return NULL;
	}
	v = &f->v[f->n++];
	memset(v, 0, sizeof(*v));
	v->key = key;
	v->type = type;
	return v;
}

void
ef_str(struct event_fields *f, const char *key, const char *s)
{
	struct event_field	*v = ef_add(f, key, EV_STR);

	if (v != NULL)
		v->s = s;
}

/* A field whose value is the integer i: a count, a flag, a time. */
static void
ef_add_i(struct event_fields *f, const char *key, enum event_vtype type,
    int64_t i)
{
	struct event_field	*v = ef_add(f, key, type);

	if (v != NULL)
		v->i = i;
}

void
ef_int(struct event_fields *f, const char *key, int64_t i)
{
	ef_add_i(f, key, EV_INT, i);
}

void
ef_bool(struct event_fields *f, const char *key, int b)
{
	ef_add_i(f, key, EV_BOOL, b != 0);
}

void
ef_null(struct event_fields *f, const char *key)
{
	ef_add(f, key, EV_NULL);
}

void
ef_time(struct event_fields *f, const char *key, int64_t ms)
{
	ef_add_i(f, key, EV_TIME, ms);
}

void
ef_minutes(struct event_fields *f, const char *key, int64_t ms)
{
	ef_add_i(f, key, EV_MINUTES, ms);
}

void
ef_ints(struct event_fields *f, const char *key, const int *ints, size_t n)
{
	struct event_field	*v = ef_add(f, key, EV_INTS);

	if (v != NULL) {
		v->ints = ints;
		v->i = (int64_t)n;
	}
}

void
ef_object(struct event_fields *f, const char *key)
{
	ef_add(f, key, EV_OBJECT);
}

void
ef_end(struct event_fields *f)
{
	ef_add(f, NULL, EV_END);
}

/* --- rendering ---------------------------------------------------------- */

/*
 * A JSON string for untrusted text.  expat hands us valid UTF-8, but a
 * fixture or a future source might not: jansson refuses invalid UTF-8, so
 * fall back to a copy repaired the one way text.c repairs (U+FFFD).
 */
static json_t *
jstr(const char *s)
{
	json_t	*j;
	char	*copy;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = text_utf8_repair(s);
	j = json_string(copy);
	free(copy);
	return j != NULL ? j : json_null();
}

/* A duration as minutes with one decimal, rounded: 90 s -> 1.5. */
static json_t *
jminutes(int64_t ms)
{
	return json_real((double)((ms + 3000) / 6000) / 10.0);
}

static json_t *
jvalue(const struct event_field *v)
{
	char	 iso[32];
	json_t	*a;
	int64_t	 k;

	switch (v->type) {
	case EV_STR:
		return jstr(v->s);
	case EV_INT:
		return json_integer(v->i);
	case EV_BOOL:
		return json_boolean(v->i);
	case EV_TIME:
		return json_string(event_iso8601(v->i, iso, sizeof(iso)));
	case EV_MINUTES:
		return jminutes(v->i);
	case EV_INTS:
		a = json_array();
		for (k = 0; k < v->i; k++)
			json_array_append_new(a, json_integer(v->ints[k]));
		return a;
	default:
		return json_null();
	}
}

/* Add fields f[*i ..] to obj up to the EV_END that closes it. */
static void
jfields(json_t *obj, const struct event_field *f, size_t n, size_t *i)
{
	json_t	*sub;

	while (*i < n) {
		const struct event_field *v = &f[(*i)++];

		if (v->type == EV_END)
			return;
		if (v->key == NULL)
			continue;
		if (v->type == EV_OBJECT) {
			sub = json_object();
			jfields(sub, f, n, i);
			json_object_set_new(obj, v->key, sub);
		} else
			json_object_set_new(obj, v->key, jvalue(v));
	}
}

static json_t *
jobject(const struct event_field *f, size_t n)
{
	json_t	*obj = json_object();
	size_t	 i = 0;

	while (i < n)
		jfields(obj, f, n, &i);
	return obj;
}

/*
 * obj as text (it is released).  Into a buffer on the stack first: an
 * event's JSON nearly always fits, and json_dumps() would grow its own
 * buffer a few times and copy it once more.
 */
static char *
jdump(json_t *obj)
{
	const size_t	 flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	char		 buf[512], *s;
	size_t		 n;

	if ((n = json_dumpb(obj, buf, sizeof(buf), flags)) > 0 &&
	    n < sizeof(buf)) {
		s = xmalloc(n + 1);
		memcpy(s, buf, n);
		s[n] = '\0';
	} else
		s = json_dumps(obj, flags);
	json_decref(obj);
	if (s == NULL)
		fatalx("json_dumps: out of memory");
	return s;
}

char *
event_fields_json(const struct event_field *f, size_t n)
{
	return jdump(jobject(f, n));
}

char *
event_issues_json(const struct issue *v, size_t n)
{
	json_t	*a;
	char	 buf[64];
	size_t	 i;

	/* Most people's: every participant row written says it. */
	if (n == 0)
		return xstrdup("[]");
	a = json_array();
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s-at-%llds", v[i].what,
		    (long long)v[i].at_s);
		json_array_append_new(a, json_string(buf));
	}
	return jdump(a);
}

static json_t *
jalert(const struct alert_rec *al, const struct event_field *f, size_t n)
{
	json_t	*d = json_object();

	json_object_set_new(d, "rule", jstr(al->rule));
	json_object_set_new(d, "severity", jstr(al->severity));
	json_object_set_new(d, "state", json_string(al->raised ? "raised" :
	    "cleared"));
	json_object_set_new(d, "subject", jstr(al->subject));
	if (al->participant_key != NULL)
		json_object_set_new(d, "participant_key",
		    jstr(al->participant_key));
	json_object_set_new(d, "appointment_id", jstr(al->appointment_id));
	json_object_set_new(d, "room", jstr(al->room));
	if (al->message != NULL)
		json_object_set_new(d, "message", jstr(al->message));
	json_object_set_new(d, "details", jobject(f, n));
	return d;
}

static json_t *
jattendance(const struct attendance_rec *at)
{
	json_t	*d = json_object();

	json_object_set_new(d, "expected", at->expected < 0 ? json_null() :
	    json_boolean(at->expected));
	json_object_set_new(d, "role", jstr(at->role));
	json_object_set_new(d, "attendance", jstr(at->attendance));
	json_object_set_new(d, "late_minutes", jminutes(at->late_ms));
	json_object_set_new(d, "left_early_minutes", at->left_early_ms < 0 ?
	    json_null() : jminutes(at->left_early_ms));
	json_object_set_new(d, "overran_minutes", at->overran_ms < 0 ?
	    json_null() : jminutes(at->overran_ms));
	return d;
}

char *
event_json(const struct event *ev)
{
	if (event_type_is_rollup(ev->type))
		return NULL;
	if (ev->type == EVENT_ALERT && ev->alert != NULL)
		return jdump(jalert(ev->alert, ev->fields, ev->nfields));
	if (ev->type == EVENT_ATTENDANCE && ev->attendance != NULL)
		return jdump(jattendance(ev->attendance));
	if (ev->nfields == 0)
		return NULL;
	return jdump(jobject(ev->fields, ev->nfields));
}
