/*
 * Scheduling: appointments booked ahead of their meeting, their expected
 * participants (the roster), and the meeting_settings row.  Used by the
 * `schedule` and `settings` commands (schedule_cli.c); nothing here
 * prints or logs: errors go back to the caller, who knows the context.
 *
 * A booking is a teleconferencesessions row with session_uid
 * "appt:<appointmentId>", session_status 'scheduled', roomId and
 * jitsi_room_name the lowercased room, scheduled_start (UTC text) and
 * scheduled_duration_minutes; the daemon later turns that same row into
 * the meeting's session.
 */
#ifndef TELETRACK_SCHEDULE_H
#define TELETRACK_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct report_rows;

#define SCHEDULE_FIELD_MAX	1024	/* bytes of an id, role, name, reason */
#define SCHEDULE_ROOM_MAX	1023	/* bytes: an XMPP localpart's limit */
#define SCHEDULE_MINUTES_MAX	1440	/* a booking over a day is a typo */

/* One expected participant.  All strings owned by the batch. */
struct schedule_member {
	char	*id;
	char	*role;
	char	*name;		/* NULL: none given */
};

/*
 * One appointment to book (or, with cancel set, to cancel if it is still
 * scheduled: an iCalendar STATUS:CANCELLED).  Strings are owned by the
 * batch; they are validated by schedule_apply(), not when added.
 */
struct schedule_appt {
	char			*appt;		/* appointmentId */
	char			*room;		/* stored lowercased */
	int64_t			 start_ms;	/* UTC; set it: 0 is 1970 */
	double			 minutes;	/* when has_minutes */
	int			 has_minutes;	/* else default_duration */
	int			 cancel;
	int			 line;		/* in the source */
	struct schedule_member	*members;
	size_t			 nmembers;
};

/* A problem found in a batch. */
struct schedule_error {
	int	 line;		/* 0: the source as a whole */
	char	*msg;		/* complete: "FILE:LINE: ..." */
};

/*
 * Appointments read from one source (an import file, or the one given on
 * the command line) and the errors found in them, each a complete
 * message ("FILE:LINE: ..." when file is set).  After schedule_apply():
 * how many rows were added, updated and cancelled.
 */
struct schedule_batch {
	char			*file;		/* NULL: the command line */
	struct schedule_appt	*appts;
	size_t			 nappts;
	struct schedule_error	*errs;		/* in the order found */
	size_t			 nerrs;
	int			 added;
	int			 updated;
	int			 cancelled;
};

/* An empty batch; file (may be NULL) names the source in messages. */
void	 schedule_batch_init(struct schedule_batch *, const char *file);

/* Free everything the batch holds (not the struct itself). */
void	 schedule_batch_free(struct schedule_batch *);

/* Append a zeroed appointment read at line; returns it (borrowed). */
struct schedule_appt *schedule_batch_add(struct schedule_batch *, int line);

/*
 * Record an error at line: "FILE:LINE: message", or "FILE: message"
 * when line is 0, or the bare message when the batch has no file.
 */
void	 schedule_batch_error(struct schedule_batch *, int line,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Append a copy of (id, role, name) to a's roster; name may be NULL. */
void	 schedule_appt_member(struct schedule_appt *a, const char *id,
	    const char *role, const char *name);

/*
 * Parse "ID:ROLE[:NAME]" (NAME may itself hold spaces and colons) into
 * a's roster.  Returns 0, or -1 with a message in err.
 */
int	 schedule_parse_member(struct schedule_appt *a, const char *spec,
	    char *err, size_t errsz);

/*
 * Parse a start time into ms since the epoch: ISO 8601
 * "YYYY-MM-DDTHH:MM[:SS[.fff]]" followed by "Z" or an offset "+HH:MM"
 * ("+HHMM", "+HH"), or "YYYY-MM-DD HH:MM[:SS]" (a space, no zone) read
 * as UTC.  A "T" time without a zone is refused: it could be anyone's
 * local time.  Returns 0, or -1 with a message in err.
 */
int	 schedule_parse_time(const char *s, int64_t *ms, char *err,
	    size_t errsz);

/*
 * Parse a duration in minutes: a decimal number in (0,
 * SCHEDULE_MINUTES_MAX].  Returns 0, or -1 with a message in err.
 */
int	 schedule_parse_minutes(const char *s, double *minutes, char *err,
	    size_t errsz);

/*
 * Write the batch in one transaction: each appointment is added, or
 * updated when a row for it is still 'scheduled' (start, minutes, room,
 * roster replaced); one that is active, completed, failed or cancelled is
 * an error.  cancel entries cancel a scheduled row and are otherwise
 * skipped.  Every problem found is appended to b->errs (validation of
 * every entry first, then the database's refusals), and then nothing is
 * written; a batch that already holds errors (from parsing) is checked
 * the same way and never written.  now_ms stamps createdAt/updatedAt.
 * Returns 0 when committed, -1 otherwise (b->nerrs > 0).
 */
int	 schedule_apply(struct db *, struct schedule_batch *b,
	    int64_t now_ms);

/*
 * Cancel appointment appt if it is 'scheduled' or 'active':
 * session_status 'cancelled', status_reason reason (NULL: "cancelled").
 * Returns 0, or -1 with a message in err (unknown appointment, already
 * ended, database error).
 */
int	 schedule_cancel(struct db *, const char *appt, const char *reason,
	    int64_t now_ms, char *err, size_t errsz);

/*
 * Appointments by start: appointment, room, start, minutes, status,
 * reason, roster ("id:role:name; ...").  Scheduled and active ones only
 * unless all is set.  limit <= 0 means all.  Returns rows for
 * report_rows_free(), or NULL with a message in err.
 */
struct report_rows *schedule_list(struct db *, int all, int limit,
	    char *err, size_t errsz);

/*
 * meeting_settings as rows: setting, type (int, real, text), value,
 * help; one per entry of db_setting_cols.  Returns rows for
 * report_rows_free(), or NULL with a message in err.
 */
struct report_rows *schedule_settings(struct db *, char *err, size_t errsz);

/*
 * Check one "KEY=VALUE" for schedule_settings_set(): KEY a column of
 * db_setting_cols, VALUE of its type (int and real: a number >= 0; text:
 * printable and short enough for struct db_settings).  Returns 0, or -1
 * with a message in err.
 */
int	 schedule_setting_check(const char *kv, char *err, size_t errsz);

/*
 * Set each "KEY=VALUE" of kv[0..n-1] and updatedAt, in one transaction.
 * Every pair is checked first; on any error nothing is written.  Returns
 * 0, or -1 with a message in err.
 */
int	 schedule_settings_set(struct db *, char *const *kv, size_t n,
	    int64_t now_ms, char *err, size_t errsz);

#endif
