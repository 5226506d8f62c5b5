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

/* The sort keys of report_sessions_filter(), ended by NULL. */
extern const char *const report_sort_keys[];

/* 1 when key is one of report_sort_keys. */
int		 report_sort_valid(const char *key);

/*
 * Each report returns rows that report_rows_free() frees, or NULL on an
 * database error (logged with the report's name).  limit <= 0 means all.
 * session is an id from report_find_session().  The unfiltered reports
 * are the _filter ones with no filter: one query each.
 */

/* Latest sessions first: times, status, duration, counts, recording. */
struct report_rows *report_sessions(struct db *, int limit);
struct report_rows *report_sessions_filter(struct db *,
		    const struct report_filter *, int limit);

/* The participants of one session, by join time. */
struct report_rows *report_participants(struct db *, int64_t session);

/* One session's timeline: timestamp, type, participant, data. */
struct report_rows *report_events(struct db *, int64_t session, int limit);

/* One session as field/value rows, with counts of its rows. */
struct report_rows *report_summary(struct db *, int64_t session);

/* The billing_report view, latest first. */
struct report_rows *report_billing(struct db *, int limit);
struct report_rows *report_billing_filter(struct db *,
		    const struct report_filter *, int limit);

/* The problem_sessions view, latest first. */
struct report_rows *report_problems(struct db *, int limit);
struct report_rows *report_problems_filter(struct db *,
		    const struct report_filter *, int limit);

/* The caregiver_performance view, most sessions first. */
struct report_rows *report_caregivers(struct db *, int limit);
struct report_rows *report_caregivers_filter(struct db *,
		    const struct report_filter *, int limit);

/* Alerts, latest first: rule, severity, raised/cleared, who, details. */
struct report_rows *report_alerts(struct db *, int limit);
struct report_rows *report_alerts_filter(struct db *,
		    const struct report_filter *, int limit);

/* Booked appointments, latest first: outcome, billable, who came. */
struct report_rows *report_attendance(struct db *, int limit);
struct report_rows *report_attendance_filter(struct db *,
		    const struct report_filter *, int limit);

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

/* Sessions per day and status: day, status, sessions. */
struct report_rows *report_daily_outcomes(struct db *,
		    const struct report_filter *);

/* Sessions per connection quality (good, fair, poor, unknown). */
struct report_rows *report_quality_counts(struct db *,
		    const struct report_filter *);

/*
 * Caregivers on the rosters of ended appointments: booked, no_shows,
 * no_show_percent; highest rate first.
 */
struct report_rows *report_noshow_rates(struct db *,
		    const struct report_filter *);

/* One row: sessions_active, participants_present. */
struct report_rows *report_live_counts(struct db *);

/* Sessions per status; events per type; open alerts per rule+severity. */
struct report_rows *report_status_counts(struct db *);
struct report_rows *report_event_counts(struct db *);
struct report_rows *report_alert_counts(struct db *);

#endif
