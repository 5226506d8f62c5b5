/*
 * Reports over the database, for the `teletrack report` command
 * (report_cli.c) and for tests: each report is one function that runs
 * one read-only query with bound parameters and returns the result as
 * struct report_rows, keeping SQLite's type for each cell so JSON output
 * can tell numbers from text.  The aggregate reports read the views the
 * migration creates (billing_report, problem_sessions,
 * caregiver_performance), so the same figures are available to anyone
 * querying the file with sqlite3.
 *
 * Nothing here prints or exits; errors are logged once, here, where the
 * report's name is known.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "report.h"
#include "xmalloc.h"

static const char sql_sessions[] =
	"SELECT s.id, s.jitsi_room_name AS room,"
	" s.jitsi_meeting_id AS meeting_id, s.startTime AS start,"
	" s.endTime AS end, s.session_status AS status,"
	" s.total_duration_seconds AS duration_s,"
	" s.participant_count AS participants, s.peak_participants AS peak,"
	" s.total_disconnections AS disconnections,"
	" s.connection_quality AS quality, s.recording_status AS recording,"
	" s.end_reason"
	" FROM teleconferencesessions s"
	" ORDER BY s.startTime DESC, s.id DESC LIMIT ?1";

static const char sql_participants[] =
	"SELECT p.id, p.participant_name AS name, p.nick,"
	" p.participant_role AS role, p.participant_id, p.joined_at,"
	" p.left_at, p.session_status AS status, p.left_reason,"
	" p.session_duration_seconds AS duration_s, p.join_count AS joins,"
	" p.disconnection_count AS disconnections,"
	" p.connection_quality AS quality, p.camera_enabled AS camera,"
	" p.microphone_enabled AS mic, p.screen_shared AS screen,"
	" p.is_moderator AS moderator, p.spoke_time_seconds AS spoke_s,"
	" p.messages_sent AS messages, p.reactions_sent AS reactions,"
	" p.issues_encountered AS issues"
	" FROM teleconference_participant_sessions p"
	" WHERE p.teleconference_session_id = ?1"
	" ORDER BY p.joined_at, p.id LIMIT ?2";

static const char sql_events[] =
	"SELECT e.timestamp, e.event_type AS type,"
	" COALESCE(p.participant_name, p.nick) AS participant, p.nick,"
	" e.event_data AS data"
	" FROM teleconference_events e"
	" LEFT JOIN teleconference_participant_sessions p"
	" ON p.id = e.participant_session_id"
	" WHERE e.teleconference_session_id = ?1"
	" ORDER BY e.timestamp, e.id LIMIT ?2";

static const char sql_summary[] =
	"SELECT s.id, s.session_uid, s.appointmentId, s.roomId,"
	" s.jitsi_room_name, s.jitsi_meeting_id, s.startTime, s.endTime,"
	" s.session_status, s.end_reason, s.total_duration_seconds,"
	" s.participant_count, s.peak_participants, s.total_disconnections,"
	" s.connection_quality, b.avg_quality_score, s.recording_status,"
	" s.recording_duration_seconds,"
	" (SELECT COUNT(*) FROM teleconference_participant_sessions p"
	"  WHERE p.teleconference_session_id = s.id) AS participant_rows,"
	" (SELECT COUNT(*) FROM teleconference_events e"
	"  WHERE e.teleconference_session_id = s.id) AS event_rows"
	" FROM teleconferencesessions s"
	" JOIN billing_report b ON b.session_id = s.id"
	" WHERE s.id = ?1 LIMIT ?2";

static const char sql_billing[] =
	"SELECT * FROM billing_report"
	" ORDER BY startTime DESC, session_id DESC LIMIT ?1";

static const char sql_problems[] =
	"SELECT * FROM problem_sessions"
	" ORDER BY startTime DESC, session_id DESC LIMIT ?1";

static const char sql_caregivers[] =
	"SELECT * FROM caregiver_performance"
	" ORDER BY total_sessions DESC, participant_id LIMIT ?1";

static const char sql_alerts[] =
	"SELECT a.id AS alert_id, a.raised_at, a.cleared_at, a.severity,"
	" a.rule, a.appointment_id, s.jitsi_room_name AS room,"
	" p.participant_name AS participant, a.subject, a.details"
	" FROM alerts a"
	" JOIN teleconferencesessions s ON s.id = a.teleconference_session_id"
	" LEFT JOIN teleconference_participant_sessions p"
	"  ON p.id = a.participant_session_id"
	" ORDER BY a.raised_at DESC, a.id DESC LIMIT ?1";

/*
 * One line per booked appointment: outcome, billable and waiting time,
 * who came (role, punctuality), who did not.
 */
static const char sql_attendance[] =
	"SELECT s.id AS session_id, s.appointmentId AS appointment,"
	" s.jitsi_room_name AS room, s.scheduled_start,"
	" s.scheduled_duration_minutes AS booked_minutes, s.session_status,"
	" s.status_reason,"
	" ROUND(COALESCE(s.billable_seconds, 0) / 60.0, 2)"
	"  AS billable_minutes,"
	" ROUND(COALESCE(s.patient_wait_seconds, 0) / 60.0, 2)"
	"  AS patient_wait_minutes,"
	" (SELECT group_concat(COALESCE(p.participant_name, p.nick) || ' ('"
	"  || p.participant_role || ', ' || COALESCE(p.attendance, '?')"
	"  || CASE WHEN p.late_minutes > 0 THEN ' ' || p.late_minutes"
	"  || ' min' ELSE '' END"
	"  || CASE WHEN p.left_early_minutes > 0 THEN ', left '"
	"  || p.left_early_minutes || ' min early' ELSE '' END"
	"  || CASE WHEN p.overran_minutes > 0 THEN ', overran '"
	"  || p.overran_minutes || ' min' ELSE '' END"
	"  || CASE WHEN p.expected = 0 THEN ', unexpected' ELSE '' END"
	"  || ')', '; ')"
	"  FROM teleconference_participant_sessions p"
	"  WHERE p.teleconference_session_id = s.id) AS attended,"
	" (SELECT group_concat(COALESCE(e.participant_name, e.participant_id)"
	"  || ' (' || e.participant_role || ')', '; ')"
	"  FROM teleconference_expected_participants e"
	"  WHERE e.teleconference_session_id = s.id AND NOT EXISTS"
	"  (SELECT 1 FROM teleconference_participant_sessions p"
	"  WHERE p.teleconference_session_id = s.id"
	"  AND p.participant_id = e.participant_id)) AS absent,"
	" (SELECT count(*) FROM alerts a"
	"  WHERE a.teleconference_session_id = s.id) AS alerts"
	" FROM teleconferencesessions s WHERE s.scheduled_start IS NOT NULL"
	" ORDER BY julianday(s.scheduled_start) DESC, s.id DESC LIMIT ?1";

static const char sql_find_id[] =
	"SELECT id FROM teleconferencesessions WHERE id = ?1";

static const char sql_find_ref[] =
	"SELECT id FROM teleconferencesessions"
	" WHERE session_uid = ?1 OR jitsi_meeting_id = ?1"
	" ORDER BY session_uid = ?1 DESC, startTime DESC, id DESC LIMIT 1";

const struct report_cell *
report_cell(const struct report_rows *r, size_t row, size_t col)
{
	return &r->cells[row * r->ncols + col];
}

int
report_col(const struct report_rows *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i], name) == 0)
			return (int)i;
	return -1;
}

void
report_rows_free(struct report_rows *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	for (i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i].text);
	free(r->cols);
	free(r->cells);
	free(r);
}

/*
 * Run sql (a static string: the statement is cached) with the int64
 * parameters p[0..np-1] bound as ?1..?np, and collect every row.
 */
void
report_cell_set(struct report_cell *c, sqlite3_stmt *st, int i)
{
	const char	*t;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		c->type = REPORT_NULL;
		c->text = NULL;
		return;
	case SQLITE_INTEGER:
		c->type = REPORT_INT;
		break;
	case SQLITE_FLOAT:
		c->type = REPORT_REAL;
		break;
	default:	/* TEXT; a BLOB is shown as text */
		c->type = REPORT_TEXT;
		break;
	}
	t = (const char *)sqlite3_column_text(st, i);
	c->text = xstrdup(t != NULL ? t : "");
}

static struct report_rows *
query(struct db *db, const char *name, const char *sql, const int64_t *p,
    int np)
{
	struct report_rows	*r;
	struct report_cell	*c;
	sqlite3_stmt		*st;
	const char		*t;
	size_t			 cap = 0, i;
	int			 rc, k;

	if ((st = db_prepare(db, sql)) == NULL)
		goto fail;
	for (k = 0; k < np; k++)
		if (sqlite3_bind_int64(st, k + 1, p[k]) != SQLITE_OK) {
			db_record_error(db);
			sqlite3_reset(st);
			goto fail;
		}

	r = xcalloc(1, sizeof(*r));
	r->ncols = (size_t)sqlite3_column_count(st);
	r->cols = xreallocarray(NULL, r->ncols + 1, sizeof(*r->cols));
	for (i = 0; i < r->ncols; i++)
		r->cols[i] = xstrdup((t = sqlite3_column_name(st, (int)i)) !=
		    NULL ? t : "?");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->nrows == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			r->cells = xreallocarray(r->cells, cap * r->ncols + 1,
			    sizeof(*r->cells));
		}
		c = &r->cells[r->nrows * r->ncols];
		for (i = 0; i < r->ncols; i++, c++)
			report_cell_set(c, st, (int)i);
		r->nrows++;
	}
	if (rc != SQLITE_DONE) {
		db_record_error(db);
		sqlite3_reset(st);
		report_rows_free(r);
		goto fail;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
fail:
	log_warnx("%s: report %s: %s", db_path(db), name, db_errmsg(db));
	return NULL;
}

/*
 * Turn the one-row result r into field/value rows (text mode would
 * otherwise print one very wide line).  Frees r.
 */
static struct report_rows *
transpose(struct report_rows *r)
{
	struct report_rows	*t;
	size_t			 i;

	t = xcalloc(1, sizeof(*t));
	t->ncols = 2;
	t->cols = xreallocarray(NULL, 2, sizeof(*t->cols));
	t->cols[0] = xstrdup("field");
	t->cols[1] = xstrdup("value");
	if (r->nrows > 0) {
		t->nrows = r->ncols;
		t->cells = xreallocarray(NULL, t->nrows * 2 + 1,
		    sizeof(*t->cells));
		for (i = 0; i < r->ncols; i++) {
			t->cells[i * 2].type = REPORT_TEXT;
			t->cells[i * 2].text = r->cols[i];
			t->cells[i * 2 + 1] = r->cells[i];
			r->cols[i] = NULL;
			r->cells[i].text = NULL;
		}
	}
	report_rows_free(r);
	return t;
}

/* SQLite's LIMIT: a negative value means no limit. */
static int64_t
lim(int limit)
{
	return limit > 0 ? limit : -1;
}

int64_t
report_find_session(struct db *db, const char *ref)
{
	sqlite3_stmt	*st;
	const char	*p;
	int64_t		 id = 0;
	int		 rc, numeric = ref[0] != '\0';

	for (p = ref; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			numeric = 0;
	if ((st = db_prepare(db, numeric ? sql_find_id : sql_find_ref)) ==
	    NULL)
		goto fail;
	if ((numeric ? sqlite3_bind_int64(st, 1, strtoll(ref, NULL, 10)) :
	    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC)) != SQLITE_OK) {
		db_record_error(db);
		sqlite3_reset(st);
		goto fail;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		db_record_error(db);
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return id;
fail:
	log_warnx("%s: finding session: %s", db_path(db), db_errmsg(db));
	return -1;
}

struct report_rows *
report_sessions(struct db *db, int limit)
{
	int64_t	 p[] = { lim(limit) };

	return query(db, "sessions", sql_sessions, p, 1);
}

struct report_rows *
report_participants(struct db *db, int64_t session)
{
	int64_t	 p[] = { session, -1 };

	return query(db, "participants", sql_participants, p, 2);
}

struct report_rows *
report_events(struct db *db, int64_t session, int limit)
{
	int64_t	 p[] = { session, lim(limit) };

	return query(db, "events", sql_events, p, 2);
}

struct report_rows *
report_summary(struct db *db, int64_t session)
{
	struct report_rows	*r;
	int64_t			 p[] = { session, 1 };

	if ((r = query(db, "summary", sql_summary, p, 2)) == NULL)
		return NULL;
	return transpose(r);
}

struct report_rows *
report_billing(struct db *db, int limit)
{
	int64_t	 p[] = { lim(limit) };

	return query(db, "billing", sql_billing, p, 1);
}

struct report_rows *
report_problems(struct db *db, int limit)
{
	int64_t	 p[] = { lim(limit) };

	return query(db, "problems", sql_problems, p, 1);
}

struct report_rows *
report_caregivers(struct db *db, int limit)
{
	int64_t	 p[] = { lim(limit) };

	return query(db, "caregivers", sql_caregivers, p, 1);
}

struct report_rows *
report_alerts(struct db *db, int limit)
{
	int64_t	 p[] = { lim(limit) };

	return query(db, "alerts", sql_alerts, p, 1);
}

struct report_rows *
report_attendance(struct db *db, int limit)
{
	int64_t	 p[] = { lim(limit) };

	return query(db, "attendance", sql_attendance, p, 1);
}
