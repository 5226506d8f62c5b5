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
struct sqlite3_stmt;

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
 * Set c from column i of st's current row, keeping SQLite's type (a
 * BLOB becomes text).  c->text is a copy that report_rows_free() frees.
 * For storage code that builds its own rows (schedule_list()).
 */
void		 report_cell_set(struct report_cell *c,
		    struct sqlite3_stmt *st, int i);

/* Free rows and every string in them.  NULL is fine. */
void		 report_rows_free(struct report_rows *);

/*
 * The session a user means by ref: its id when ref is a decimal number,
 * else its session_uid, else the latest session with that
 * jitsi_meeting_id.  Returns the id, 0 when nothing matches, -1 on an
 * SQLite error (logged).
 */
int64_t		 report_find_session(struct db *, const char *ref);

/*
 * Each report returns rows that report_rows_free() frees, or NULL on an
 * SQLite error (logged with the report's name).  limit <= 0 means all.
 * session is an id from report_find_session().
 */

/* Latest sessions first: times, status, duration, counts, recording. */
struct report_rows *report_sessions(struct db *, int limit);

/* The participants of one session, by join time. */
struct report_rows *report_participants(struct db *, int64_t session);

/* One session's timeline: timestamp, type, participant, data. */
struct report_rows *report_events(struct db *, int64_t session, int limit);

/* One session as field/value rows, with counts of its rows. */
struct report_rows *report_summary(struct db *, int64_t session);

/* The billing_report view, latest first. */
struct report_rows *report_billing(struct db *, int limit);

/* The problem_sessions view, latest first. */
struct report_rows *report_problems(struct db *, int limit);

/* The caregiver_performance view, most sessions first. */
struct report_rows *report_caregivers(struct db *, int limit);

/* Alerts, latest first: rule, severity, raised/cleared, who, details. */
struct report_rows *report_alerts(struct db *, int limit);

/* Booked appointments, latest first: outcome, billable, who came. */
struct report_rows *report_attendance(struct db *, int limit);

#endif
