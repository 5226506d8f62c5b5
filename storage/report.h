/*
 * Reports: read-only queries over the database, one function each, that
 * return their result as rows of typed cells.  Nothing here prints;
 * report_cli.c formats rows as text, CSV or JSON.
 */
#ifndef TELETRACK_REPORT_H
#define TELETRACK_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum report_type {
	REPORT_NULL,
	REPORT_INT,
	REPORT_REAL,
	REPORT_TEXT
};

/* One value; text is its exact text (SQLite's rendering for numbers). */
struct report_cell {
	enum report_type	 type;
	char			*text;		/* NULL for REPORT_NULL */
};

/* A result: ncols column names and nrows * ncols cells, row-major. */
struct report_rows {
	size_t			 ncols;
	char			**cols;
	size_t			 nrows;
	struct report_cell	*cells;
};

/* Cell (row, col); both must be in range.  Borrowed from rows. */
const struct report_cell *report_cell(const struct report_rows *,
		    size_t row, size_t col);

/* Index of the column named name, or -1. */
int		 report_col(const struct report_rows *, const char *name);

/*
 * The text of column name in row i: NULL for a NULL cell, no such
 * column or row, or r NULL.  report_get_int() and report_get_num() read
 * it as a number, 0 when it is NULL.
 */
const char	*report_get(const struct report_rows *r, size_t i,
		    const char *name);
int64_t		 report_get_int(const struct report_rows *r, size_t i,
		    const char *name);
double		 report_get_num(const struct report_rows *r, size_t i,
		    const char *name);

/*
 * Set c from column i of st's current row, keeping its type as SQLite
 * gives it.  c->text is a copy that report_rows_free() frees.  For
 * storage code that builds its own rows (schedule_list()).
 */
void		 report_cell_set(struct report_cell *c,
		    struct db_stmt *st, int i);

/* Free rows and every string in them.  NULL is fine. */
void		 report_rows_free(struct report_rows *);

/*
 * The session a user means by ref: its id when ref is a decimal number,
 * else its session_uid, else the latest session with that
 * jitsi_meeting_id, else with that appointmentId, else in that room (any
 * case), whichever shard recorded it.  Returns the id, 0 when nothing
 * matches, -1 on a database error (logged).
 */
int64_t		 report_find_session(struct db *, const char *ref);

/*
 * What the list reports (sessions, billing, problems, caregivers,
 * attendance, alerts, and the charts) keep; NULL or "" does not filter.
 * A session's day is its start, or its booked start when it never
 * started.  Strings are borrowed for the call.
 */
struct report_filter {
	const char	*from;		/* "YYYY-MM-DD" UTC, inclusive */
	const char	*to;		/* "YYYY-MM-DD" UTC, inclusive */
	const char	*status;	/* session_status */
	const char	*room;		/* jitsi_room_name, any case */
	const char	*caregiver;	/* id or name of a caregiver present
					   or on the roster */
	const char	*quality;	/* connection_quality */
	const char	*sort;		/* sessions: one of report_sort_keys,
					   NULL: latest start first */
	int		 asc;		/* sort ascending */
};

/* The sort keys of the sessions list, ended by NULL. */
extern const char *const report_sort_keys[];

/* 1 when key is one of report_sort_keys. */
int		 report_sort_valid(const char *key);

/*
 * Each report returns rows that report_rows_free() frees, or NULL on an
 * database error (logged with the report's name).  limit <= 0 means all.
 * session is an id from report_find_session().  The list reports take a
 * filter; NULL (the command line's reports) keeps every row.
 */

/* The participants of one session, by join time. */
struct report_rows *report_participants(struct db *, int64_t session);

/* One session's timeline: timestamp, type, participant, data. */
struct report_rows *report_events(struct db *, int64_t session, int limit);

/* One session as field/value rows, with counts of its rows. */
struct report_rows *report_summary(struct db *, int64_t session);

/*
 * A list report by name, filtered by f (NULL: every row):
 *   sessions	latest first: times, status, duration, counts, recording
 *   billing	the billing_report view, latest first
 *   problems	the problem_sessions view, latest first
 *   caregivers	the caregiver_performance view, most sessions first
 *   alerts	latest first: rule, severity, raised/cleared, who, details
 *   attendance	booked appointments, latest first: outcome, billable,
 *		who came
 * and the dashboard's charts, which return every row:
 *   daily	sessions per day and status: day, status, sessions
 *   quality	sessions per connection quality (good, fair, poor, unknown)
 *   noshow	caregivers on the rosters of ended appointments: booked,
 *		no_shows, no_show_percent; highest rate first
 * An unknown name is logged and gives NULL.
 */
struct report_rows *report_list(struct db *, const char *name,
		    const struct report_filter *, int limit);

/* The name of list report i (0, 1, ...), NULL past the last. */
const char	*report_list_name(size_t i);

/*
 * The dashboard's views (storage/web/).  day is "YYYY-MM-DD" (UTC).
 */

/*
 * Active sessions, then the appointments booked for day: status, who is
 * present (count), roster members awaited (scheduled or active) or
 * absent (ended), open alerts.
 */
struct report_rows *report_now(struct db *, const char *day);

/* The participants present in the sessions report_now() lists. */
struct report_rows *report_present(struct db *, const char *day);

/* Alerts not cleared, critical first. */
struct report_rows *report_open_alerts(struct db *);

/* Every column of one session row (no row: no such session). */
struct report_rows *report_session_row(struct db *, int64_t session);

/* Every column of one session's participant rows, by join time. */
struct report_rows *report_participant_rows(struct db *, int64_t session);

/* One session's events: id, timestamp, type, participant (row id), data. */
struct report_rows *report_timeline(struct db *, int64_t session);

/* One session's alerts, raised first. */
struct report_rows *report_session_alerts(struct db *, int64_t session);

/* One appointment's roster, with the participant row each one became. */
struct report_rows *report_roster(struct db *, int64_t session);

/*
 * /metrics' counts by name:
 *   live	one row: sessions_active, participants_present
 *   status	sessions per status
 *   events	events per type
 *   alerts	open alerts per rule and severity
 * An unknown name is logged and gives NULL.
 */
struct report_rows *report_counts(struct db *, const char *name);

#endif
