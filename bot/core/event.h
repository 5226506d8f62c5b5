/*
 * Events: what room.c derives and what every sink (the SQLite writer, a
 * logger, a test capture) receives.
 *
 * An event carries its type, its time (ms since the epoch, UTC), a JSON
 * object with the details, and pointers to the current rollups of the
 * meeting session and, for participant events, of the participant.  The
 * pointers are borrowed: a sink is done with them when emit() returns and
 * copies what it keeps.  EVENT_ROLLUP carries no event row: it only says
 * "the rollups changed, persist them" (durations grow with the clock).
 */
#ifndef TELETRACK_EVENT_H
#define TELETRACK_EVENT_H

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
	const char	*issues_json;	/* JSON array text, "[]" when none */
	const char	*connection_quality; /* good, fair, poor */
	const char	*left_reason;	/* leave, disconnect, kicked, ... */
	const char	*ip_address;	/* companion module only, else NULL */
	const char	*user_agent;
	const char	*browser;
	const char	*operating_system;
	const char	*device_type;
};

struct event {
	enum event_type			 type;
	int64_t				 ts_ms;
	const struct session_rec	*session;	/* never NULL */
	const struct participant_rec	*participant;	/* NULL: session level */
	const char			*data;		/* JSON object or NULL */
};

struct event_sink {
	void	(*emit)(const struct event *, void *arg);
	void	 *arg;
};

/*
 * EVENT_ATTENDANCE data: {"expected": true|false|null, "attendance":
 * "on_time"|"late", "late_minutes": N, "left_early_minutes": N|null,
 * "overran_minutes": N|null}; the writer copies it to the participant row.
 *
 * EVENT_ALERT data: {"rule", "severity", "state": "raised"|"cleared",
 * "subject", "participant_key"?, "appointment_id"?, "details": {...}};
 * the writer inserts or clears the alerts row.
 */

/* 1 for the types that update rows but are not timeline events. */
int		 event_type_is_rollup(enum event_type);

/*
 * A deep copy of s in one allocation (free() frees it), or NULL for NULL.
 */
struct session_rec *event_session_dup(const struct session_rec *s);

struct json_t;

/*
 * A JSON string for untrusted text (bytes >= 0x80 become '?' when the
 * text is not valid UTF-8); JSON null for NULL.
 */
struct json_t	*event_jstr(const char *s);

/* Serialise obj compactly and release it; the caller frees the result. */
char		*event_jdump(struct json_t *obj);

/* The stored name, e.g. "audio_mute"; "unknown" for an invalid type. */
const char	*event_type_name(enum event_type);

/* Deliver ev to sink when sink and sink->emit are set. */
void		 event_emit(const struct event_sink *, const struct event *);

/* Format ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 25). */
char		*event_iso8601(int64_t ms, char *buf, unsigned long bufsz);

#endif
