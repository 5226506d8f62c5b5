/*
 * What the scheduling side hands the appointment tracker: a booking as
 * stored (with its roster, and what a previous run saw when it is
 * resumed) and the policy from meeting_settings.  Plain value types, so
 * storage (bookings.c reads them from SQL), the settings table and the
 * tracker (appt.c) share them without storage including the derivation's
 * headers.
 */
#ifndef TELETRACK_BOOKING_H
#define TELETRACK_BOOKING_H

#include <stddef.h>
#include <stdint.h>

/* One expected participant.  Strings are copied by appt_new(). */
struct appt_member {
	const char	*id;		/* participant id (JWT user id) */
	const char	*role;		/* caregiver, patient, ... */
	const char	*name;		/* display name or NULL */
};

/* A participant a previous run saw (a resumed appointment). */
struct appt_seen {
	const char	*key;		/* room.c's participant key */
	const char	*id;
	const char	*name;
	const char	*role;
	int64_t		 first_join_ms;
};

/* A booking, as stored.  Strings are copied by appt_new(). */
struct appt_booking {
	const char		*uid;		/* its session_uid */
	const char		*appointment_id;
	const char		*room;		/* room name (node) */
	const char		*room_jid;
	int64_t			 start_ms;
	int64_t			 duration_ms;
	const struct appt_member *roster;
	size_t			 nroster;

	/*
	 * Resumed after a daemon restart (stored status 'active'): the
	 * figures and participants recorded so far, to go on from.
	 */
	int			 resumed;
	int64_t			 base_billable_ms;
	int64_t			 base_wait_ms;
	const struct appt_seen	*seen;
	size_t			 nseen;
};

/* The policy from meeting_settings, in ms. */
struct appt_policy {
	int64_t		 early_join_ms;		/* join this early */
	int64_t		 late_join_ms;		/* after start + this: no-show */
	int64_t		 auto_end_ms;		/* empty this long: ended */
	int64_t		 late_grace_ms;		/* later: "late" */
	int64_t		 left_early_grace_ms;
	int64_t		 overrun_grace_ms;
	int64_t		 caregiver_absent_ms;
	int64_t		 patient_wait_ms;
	int64_t		 drop_ms;
	int64_t		 disconnect_window_ms;
	int64_t		 recording_missing_ms;
	int		 disconnects;
	int		 enable_chat;
	int		 enable_screen_share;
	int		 enable_recording;
	int		 record_meetings;	/* a recording is expected */
	int		 max_participants;	/* more present: an alert;
						   0: no limit */
	char		 caregiver_role[64];
	char		 patient_role[64];
	char		 rules[512];		/* "all" or rule names */
};

#endif
