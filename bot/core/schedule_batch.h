/*
 * Appointments to book, as parsed from the command line or an import
 * file and checked, before storage writes them (storage/schedule.c).
 * Pure: no database, no output; errors go back in the batch.
 */
#ifndef TELETRACK_SCHEDULE_BATCH_H
#define TELETRACK_SCHEDULE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define SCHEDULE_FIELD_MAX	1024	/* bytes of an id, role, name, reason */
#define SCHEDULE_ROOM_MAX	1023	/* bytes: an XMPP localpart's limit */
#define SCHEDULE_MINUTES_MAX	1440	/* a booking over a day is a typo */
#define SCHEDULE_MEMBERS_MAX	256	/* per appointment */
#define SCHEDULE_MS_MAX		253402300800000LL /* 10000-01-01T00:00:00Z */

/* One expected participant.  All strings owned by the batch. */
struct schedule_member {
	char	*id;
	char	*role;
	char	*name;		/* NULL: none given */
};

/*
 * One appointment to book (or, with cancel set, to cancel if it is still
 * scheduled: an iCalendar STATUS:CANCELLED).  Strings are owned by the
 * batch; they are checked by schedule_batch_validate(), not when added.
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
 * Check every entry (ids, room, start, minutes, roster: valid UTF-8
 * without control characters, sizes, no white space in ids; the room
 * lowercased in place as Jitsi does) and look for an appointment given
 * twice.  Problems are appended to b->errs.  schedule_apply() calls it.
 */
void	 schedule_batch_validate(struct schedule_batch *b);

#endif
