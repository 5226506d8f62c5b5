/*
 * Events: what the derivation (room.c, appt.c) produces and what every
 * sink (the storage writer, alert delivery, a test capture) receives.
 *
 * An event carries its type, its time (ms since the epoch, UTC), pointers
 * to the current rollups of the meeting session and, for participant
 * events, of the participant, and its details as typed fields.  Nothing
 * in the derivation builds JSON: event_json() renders the details once,
 * where they are stored or sent.  Everything an event points to is
 * borrowed: a sink is done with it when its emit() returns and copies
 * what it keeps.  EVENT_ROLLUP and EVENT_APPOINTMENT_ROLLUP carry no event
 * row: they only say "the rollups changed, persist them".
 */
#ifndef TELETRACK_EVENT_H
#define TELETRACK_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum event_type {
	EVENT_SESSION_START,
	EVENT_SESSION_END,
	EVENT_JOIN,
	EVENT_LEAVE,
	EVENT_DISCONNECT,
	EVENT_RECONNECT,
	EVENT_KICKED,
	EVENT_DEVICE_SWITCH,
	EVENT_AUDIO_MUTE,
	EVENT_AUDIO_UNMUTE,
	EVENT_VIDEO_MUTE,
	EVENT_VIDEO_UNMUTE,
	EVENT_SCREENSHARE_START,
	EVENT_SCREENSHARE_STOP,
	EVENT_HAND_RAISE,
	EVENT_HAND_LOWER,
	EVENT_NICK_CHANGE,
	EVENT_ROLE_CHANGE,
	EVENT_CHAT_MESSAGE,
	EVENT_REACTION,
	EVENT_RECORDING_PENDING,
	EVENT_RECORDING_START,
	EVENT_RECORDING_STOP,
	EVENT_RECORDING_FAILED,
	EVENT_LIVESTREAM_START,
	EVENT_LIVESTREAM_STOP,
	EVENT_TRANSCRIPTION_START,
	EVENT_TRANSCRIPTION_STOP,
	EVENT_OBSERVER_JOIN,
	EVENT_OBSERVER_GAP,
	EVENT_HIDDEN_JOIN,		/* Jibri, transcriber: not a participant */
	EVENT_HIDDEN_LEAVE,
	EVENT_MEETING_INFO,		/* Jitsi meeting id learned */
	EVENT_DOMINANT_SPEAKER,		/* companion module only */
	EVENT_SPEAKER_STATS,		/* speakerstats snapshot at join */
	EVENT_CONNECTION_INTERRUPTED,	/* companion module only */
	EVENT_CONNECTION_RESTORED,	/* companion module only */
	EVENT_CLIENT_INFO,		/* companion module only */
	EVENT_ROLLUP,			/* no event row: persist rollups */
	EVENT_APPOINTMENT_STATUS,	/* scheduled -> active -> ... */
	EVENT_ATTENDANCE,		/* a participant against the booking */
	EVENT_ALERT,			/* raised or cleared; alerts row */
	EVENT_BILLABLE_START,		/* caregiver and patient together */
	EVENT_BILLABLE_STOP,
	EVENT_APPOINTMENT_ROLLUP,	/* no event row: billable, wait */
	EVENT_LOBBY_JOIN,		/* knocked (companion module) */
	EVENT_LOBBY_ADMITTED,
	EVENT_LOBBY_DENIED,
	EVENT_LOBBY_LEAVE,
	EVENT_BREAKOUT_MOVE,		/* to or from a breakout room */
	EVENT_PARTICIPANT_MERGE,	/* no event row: a provisional
					   participant (merge_from) is this
					   one; fold its rows into it */
	EVENT__COUNT
};

/*
 * One meeting: one row of teleconferencesessions.  Owned by room.c; all
 * strings NUL-terminated or NULL.  Times are ms since the epoch; 0 = unset.
 */
struct session_rec {
	const char	*uid;		/* unique key: "<room_jid>/<start_ms>" */
	const char	*room;		/* room name (node of the room JID) */
	const char	*room_jid;
	const char	*meeting_id;	/* muc#roominfo_meetingId or NULL */
	const char	*appointment_id; /* NULL until scheduling knows it */
	int64_t		 start_ms;
	int64_t		 end_ms;
	const char	*status;	/* "active", "completed", "failed";
					   NULL: keep the stored status (an
					   appointment's row, see appt.c) */
	const char	*end_reason;	/* NULL while active */
	int64_t		 duration_s;
	int		 participant_count;	/* distinct persons */
	int		 peak_participants;	/* max concurrent */
	int		 total_disconnections;
	const char	*recording_status; /* not_recorded, pending, recording,
					      recorded, failed */
	int64_t		 recording_duration_s;
	const char	*connection_quality; /* worst participant's; NULL if none */

	/* Appointment figures (appt.c); room.c leaves them unset. */
	const char	*status_reason;	/* NULL: keep what is stored */
	int		 appt_figures;	/* 1: the two below are known */
	int64_t		 billable_s;	/* caregiver and patient together */
	int64_t		 patient_wait_s; /* a patient without a caregiver */
};

/* Something that went wrong for a participant, for issues_encountered. */
struct issue {
	const char	*what;		/* static: "reconnect", "disconnect",
					   "kicked", "interrupted" */
	int64_t		 at_s;		/* seconds after the first join */
};

/*
 * One person in one meeting: one row of teleconference_participant_sessions,
 * keyed by (session uid, key).  Owned by room.c.
 */
struct participant_rec {
	const char	*key;		/* "id:<jwt user id>", "sid:<stats-id>"
					   or "nick:<nick>" */
	const char	*nick;		/* current or last MUC nick */
	const char	*name;		/* identity name, else display name,
					   else nick */
	const char	*participant_id; /* JWT identity user id or NULL */
	const char	*role;		/* identity role field or "unknown" */
	const char	*jid;		/* real JID when public, else NULL */
	const char	*stats_id;
	int64_t		 joined_ms;	/* first join */
	int64_t		 left_ms;	/* last leave; 0 while present */
	int64_t		 duration_s;	/* time present, across reconnects */
	int		 present;	/* an occupant of it is in the room */
	int		 join_count;
	int		 disconnection_count;
	int		 camera_enabled;	/* ever on */
	int		 microphone_enabled;	/* ever on */
	int		 screen_shared;		/* ever on */
	int		 is_moderator;		/* ever moderator */
	int		 messages_sent;
	int		 reactions_sent;
	double		 spoke_time_s;	/* NULL in SQL when spoke_known == 0 */
	int		 spoke_known;
	int64_t		 lobby_wait_s;	/* in the lobby before being let in */
	int		 lobby_known;	/* 0: never knocked (NULL in SQL) */
	const struct issue *issues;	/* rendered as a JSON array of
					   "<what>-at-<N>s" */
	size_t		 nissues;
	const char	*connection_quality; /* good, fair, poor */
	const char	*left_reason;	/* leave, disconnect, kicked, ... */
	const char	*ip_address;	/* companion module only, else NULL */
	const char	*user_agent;
	const char	*browser;
	const char	*operating_system;
	const char	*device_type;
};

/* The type of an event detail. */
enum event_vtype {
	EV_STR,		/* s (NULL: null) */
	EV_INT,		/* i */
	EV_BOOL,	/* i != 0 */
	EV_NULL,
	EV_TIME,	/* i: ms since the epoch, as ISO 8601 text */
	EV_MINUTES,	/* i: a duration in ms, as minutes (one decimal) */
	EV_INTS,	/* ints[0 .. i): an array of numbers */
	EV_OBJECT,	/* opens an object named key; EV_END closes it */
	EV_END
};

/* One detail: a typed value under a key.  Strings are borrowed. */
struct event_field {
	const char	*key;
	enum event_vtype type;
	const char	*s;
	int64_t		 i;
	const int	*ints;
};

/* EVENT_ALERT: the alert a rule raised or cleared. */
struct alert_rec {
	const char	*rule;
	const char	*severity;	/* critical, warning, info */
	int		 raised;	/* 1 raised, 0 cleared */
	const char	*subject;	/* participant key, "member:ID", ... */
	const char	*participant_key; /* NULL: not about one person */
	const char	*appointment_id;
	const char	*room;
	const char	*message;	/* a sentence for people, or NULL */
};

/* EVENT_ATTENDANCE: a participant against the booking. */
struct attendance_rec {
	int		 expected;	/* 1 on the roster, 0 not, -1 no roster */
	const char	*role;
	const char	*attendance;	/* "on_time", "late" */
	int64_t		 late_ms;
	int64_t		 left_early_ms;	/* -1: did not leave early */
	int64_t		 overran_ms;	/* -1: did not overrun */
};

/* EVENT_LOBBY_*: who knocked (no participant row yet). */
struct knock_rec {
	const char	*nick;		/* in the lobby room */
	const char	*name;		/* display name */
	const char	*participant_id; /* JWT identity user id or NULL */
	const char	*role;		/* JWT identity role or NULL */
	int64_t		 since_ms;	/* knocked at */
};

struct event {
	enum event_type			 type;
	int64_t				 ts_ms;
	const struct session_rec	*session;	/* never NULL */
	const struct participant_rec	*participant;	/* NULL: session level */
	const struct event_field	*fields;	/* the details */
	size_t				 nfields;
	const struct alert_rec		*alert;		/* EVENT_ALERT */
	const struct attendance_rec	*attendance;	/* EVENT_ATTENDANCE */
	const struct knock_rec		*knock;		/* EVENT_LOBBY_* */
	const char			*merge_from;	/* EVENT_PARTICIPANT_
							   MERGE: the key */
	int				 merge_peak_lowered; /* ... and the
							   session's peak went
							   down by one */
};

struct event_sink {
	void	(*emit)(const struct event *, void *arg);
	void	 *arg;
};

/*
 * A small builder for an event's details, on the stack of the code that
 * emits: EVENT_FIELDS_MAX fields at most (more are dropped, logged).
 */
#define EVENT_FIELDS_MAX	24
struct event_fields {
	struct event_field	 v[EVENT_FIELDS_MAX];
	size_t			 n;
};

void	ef_str(struct event_fields *, const char *key, const char *s);
void	ef_int(struct event_fields *, const char *key, int64_t i);
void	ef_bool(struct event_fields *, const char *key, int b);
void	ef_null(struct event_fields *, const char *key);
void	ef_time(struct event_fields *, const char *key, int64_t ms);
void	ef_minutes(struct event_fields *, const char *key, int64_t ms);
void	ef_ints(struct event_fields *, const char *key, const int *v,
	    size_t n);
void	ef_object(struct event_fields *, const char *key);
void	ef_end(struct event_fields *);

/* 1 for the types that update rows but are not timeline events. */
int		 event_type_is_rollup(enum event_type);

/*
 * The stored JSON of ev (event_data): its details as an object; for
 * EVENT_ALERT the alert with the details under "details", for
 * EVENT_ATTENDANCE the attendance figures.  NULL for rollups.  Strings
 * that are not valid UTF-8 get '?' for every byte >= 0x80.  The caller
 * frees the result.
 */
char		*event_json(const struct event *ev);

/* The details alone as a JSON object ("{}" when none); caller frees. */
char		*event_fields_json(const struct event_field *f, size_t n);

/* issues as the JSON array stored in issues_encountered; caller frees. */
char		*event_issues_json(const struct issue *v, size_t n);

/*
 * A deep copy of s in one allocation (free() frees it), or NULL for NULL.
 */
struct session_rec *event_session_dup(const struct session_rec *s);

/* The stored name, e.g. "audio_mute"; "unknown" for an invalid type. */
const char	*event_type_name(enum event_type);

/* Deliver ev to sink when sink and sink->emit are set. */
void		 event_emit(const struct event_sink *, const struct event *);

/* Format ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 25). */
char		*event_iso8601(int64_t ms, char *buf, unsigned long bufsz);

#endif
