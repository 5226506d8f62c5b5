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
 *
 * Over 800 lines on purpose: a report is its SQL, written once for both
 * backends, and the filters every list shares; split by report, each
 * file would carry the shared filter and row plumbing again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "report.h"
#include "xmalloc.h"

/*
 * The filters every list report shares (struct report_filter), on the
 * session row aliased s; a NULL parameter does not filter (CAST: so
 * PostgreSQL knows its type where it first stands).  A session's day is
 * its start, or its booked start when it never started (a no-show still
 * belongs to the day it was booked for).  :tonext is the day after :to
 * (computed here: the two dialects count days differently).
 */
#define WHEN_SQL	"COALESCE(s.startTime, s.scheduled_start)"
#define CAREGIVER_ROLE_SQL \
	"(SELECT caregiver_role FROM meeting_settings WHERE id = 1)"
#define FILTER_SQL \
	" (CAST(:from AS TEXT) IS NULL OR " WHEN_SQL " >= :from)" \
	" AND (CAST(:tonext AS TEXT) IS NULL OR " WHEN_SQL " < :tonext)" \
	" AND (CAST(:status AS TEXT) IS NULL OR s.session_status = :status)" \
	" AND (CAST(:room AS TEXT) IS NULL" \
	"  OR lower(s.jitsi_room_name) = lower(:room))" \
	" AND (CAST(:quality AS TEXT) IS NULL" \
	"  OR s.connection_quality = :quality)" \
	" AND (CAST(:caregiver AS TEXT) IS NULL" \
	"  OR EXISTS (SELECT 1 FROM teleconference_participant_sessions c" \
	"  WHERE c.teleconference_session_id = s.id" \
	"  AND c.participant_role = " CAREGIVER_ROLE_SQL \
	"  AND (c.participant_id = :caregiver" \
	"  OR c.participant_name = :caregiver))" \
	"  OR EXISTS (SELECT 1 FROM teleconference_expected_participants c" \
	"  WHERE c.teleconference_session_id = s.id" \
	"  AND c.participant_role = " CAREGIVER_ROLE_SQL \
	"  AND (c.participant_id = :caregiver" \
	"  OR c.participant_name = :caregiver)))"

/*
 * The sort keys of report_sessions(), as SQL on s: text keys and
 * numbers apart, since a PostgreSQL CASE has one type.  NULLs sort as
 * SQLite sorts them (first going up, last going down) on both.
 */
#define SORT_TEXT_SQL \
	" WHEN 'start' THEN " WHEN_SQL \
	" WHEN 'room' THEN s.jitsi_room_name" \
	" WHEN 'status' THEN s.session_status"
#define SORT_NUM_SQL \
	" WHEN 'duration' THEN s.total_duration_seconds" \
	" WHEN 'participants' THEN s.participant_count" \
	" WHEN 'disconnections' THEN s.total_disconnections" \
	" WHEN 'quality' THEN CASE s.connection_quality WHEN 'good' THEN 3" \
	"  WHEN 'fair' THEN 2 WHEN 'poor' THEN 1 END" \
	" WHEN 'billable' THEN s.billable_seconds"
#define ORDER_SQL \
	" ORDER BY CASE WHEN :asc = 1 THEN CASE :sort" SORT_TEXT_SQL \
	"  END END NULLS FIRST," \
	" CASE WHEN :asc = 1 THEN CASE :sort" SORT_NUM_SQL " END END" \
	"  NULLS FIRST," \
	" CASE WHEN :asc = 0 THEN CASE :sort" SORT_TEXT_SQL " END END" \
	"  DESC NULLS LAST," \
	" CASE WHEN :asc = 0 THEN CASE :sort" SORT_NUM_SQL " END END" \
	"  DESC NULLS LAST," \
	" " WHEN_SQL " DESC NULLS LAST, s.id DESC"

const char *const report_sort_keys[] = {
	"start", "room", "status", "duration", "participants",
	"disconnections", "quality", "billable", NULL
};

static const char sql_sessions[] =
	"SELECT s.id, s.jitsi_room_name AS room,"
	" s.jitsi_meeting_id AS meeting_id, s.startTime AS start,"
	" s.endTime AS end, s.session_status AS status,"
	" s.total_duration_seconds AS duration_s,"
	" s.participant_count AS participants, s.peak_participants AS peak,"
	" s.total_disconnections AS disconnections,"
	" s.connection_quality AS quality, s.recording_status AS recording,"
	" s.end_reason, s.appointmentId AS appointment, s.scheduled_start,"
	" s.status_reason, s.billable_seconds AS billable_s, s.shard"
	" FROM teleconferencesessions s WHERE" FILTER_SQL
	ORDER_SQL " LIMIT :limit";

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
	" WHERE p.teleconference_session_id = :session"
	" ORDER BY p.joined_at NULLS FIRST, p.id";

static const char sql_events[] =
	"SELECT e.timestamp, e.event_type AS type,"
	" COALESCE(p.participant_name, p.nick) AS participant, p.nick,"
	" e.event_data AS data"
	" FROM teleconference_events e"
	" LEFT JOIN teleconference_participant_sessions p"
	" ON p.id = e.participant_session_id"
	" WHERE e.teleconference_session_id = :session"
	" ORDER BY e.timestamp, e.id LIMIT :limit";

static const char sql_summary[] =
	"SELECT s.id, s.session_uid, s.appointmentId, s.roomId,"
	" s.jitsi_room_name, s.jitsi_meeting_id, s.startTime, s.endTime,"
	" s.session_status, s.end_reason, s.total_duration_seconds,"
	" s.participant_count, s.peak_participants, s.total_disconnections,"
	" s.connection_quality, b.avg_quality_score, s.recording_status,"
	" s.recording_duration_seconds, s.shard,"
	" (SELECT COUNT(*) FROM teleconference_participant_sessions p"
	"  WHERE p.teleconference_session_id = s.id) AS participant_rows,"
	" (SELECT COUNT(*) FROM teleconference_events e"
	"  WHERE e.teleconference_session_id = s.id) AS event_rows"
	" FROM teleconferencesessions s"
	" JOIN billing_report b ON b.session_id = s.id"
	" WHERE s.id = :session";

static const char sql_billing[] =
	"SELECT b.* FROM billing_report b"
	" JOIN teleconferencesessions s ON s.id = b.session_id WHERE" FILTER_SQL
	" ORDER BY b.startTime DESC NULLS LAST, b.session_id DESC"
	" LIMIT :limit";

static const char sql_problems[] =
	"SELECT q.* FROM problem_sessions q"
	" JOIN teleconferencesessions s ON s.id = q.session_id WHERE" FILTER_SQL
	" ORDER BY q.startTime DESC NULLS LAST, q.session_id DESC"
	" LIMIT :limit";

/*
 * The caregiver_performance view's query with the filters inside the
 * aggregate (a view's groups cannot be filtered from outside): keep the
 * two alike (storage/schema/001_schema.sql; PostgreSQL's own lines of
 * it in pg/001_schema.sql).
 * name is the participant_name of the latest join: SQLite's bare column
 * beside MAX(), PostgreSQL's array_agg().
 */
#define CAREGIVERS_SQL(name) \
	"SELECT" \
	" p.participant_id, " name " AS name," \
	" COUNT(DISTINCT p.teleconference_session_id) AS total_sessions," \
	" ROUND(AVG(p.session_duration_seconds) / 60.0, 2)" \
	"  AS avg_duration_minutes," \
	" ROUND(CAST(AVG(p.spoke_time_seconds) AS NUMERIC), 1)" \
	"  AS avg_spoke_time_seconds," \
	" SUM(p.messages_sent) AS total_messages," \
	" ROUND(AVG(p.disconnection_count), 2) AS avg_disconnections," \
	" MAX(p.joined_at) AS last_joined_at" \
	" FROM teleconference_participant_sessions p" \
	" JOIN teleconferencesessions s ON s.id = p.teleconference_session_id" \
	" WHERE p.participant_role = 'caregiver'" \
	" AND s.session_status = 'completed'" \
	" AND p.participant_id IS NOT NULL AND" FILTER_SQL \
	" GROUP BY p.participant_id" \
	" ORDER BY total_sessions DESC, p.participant_id LIMIT :limit"
static const char sql_caregivers[] = CAREGIVERS_SQL("p.participant_name");
static const char sql_caregivers_pg[] = CAREGIVERS_SQL(
	"(array_agg(p.participant_name"
	" ORDER BY p.joined_at DESC NULLS LAST))[1]");

static const char sql_alerts[] =
	"SELECT a.id AS alert_id, a.teleconference_session_id AS session_id,"
	" a.raised_at, a.cleared_at, a.severity,"
	" a.rule, a.appointment_id, s.jitsi_room_name AS room,"
	" p.participant_name AS participant, a.subject, a.details"
	" FROM alerts a"
	" JOIN teleconferencesessions s ON s.id = a.teleconference_session_id"
	" LEFT JOIN teleconference_participant_sessions p"
	"  ON p.id = a.participant_session_id WHERE" FILTER_SQL
	" ORDER BY a.raised_at DESC, a.id DESC LIMIT :limit";

/*
 * "a; b; c" of the rows of a subquery in its order: SQLite 3.40 has no
 * ORDER BY inside group_concat(), so an ordered subquery feeds it;
 * PostgreSQL says the same with string_agg().
 */
#define LIST_LITE(expr, from, order) \
	"(SELECT group_concat(x, '; ') FROM (SELECT " expr " AS x " from \
	" ORDER BY " order "))"
#define LIST_PG(expr, from, order) \
	"(SELECT string_agg(" expr ", '; ' ORDER BY " order ") " from ")"

/* Who came to a booked appointment, and who did not. */
#define ATTENDED_EXPR \
	"COALESCE(p.participant_name, p.nick) || ' ('" \
	" || p.participant_role || ', ' || COALESCE(p.attendance, '?')" \
	" || CASE WHEN p.late_minutes > 0 THEN ' ' || p.late_minutes" \
	" || ' min' ELSE '' END" \
	" || CASE WHEN p.left_early_minutes > 0 THEN ', left '" \
	" || p.left_early_minutes || ' min early' ELSE '' END" \
	" || CASE WHEN p.overran_minutes > 0 THEN ', overran '" \
	" || p.overran_minutes || ' min' ELSE '' END" \
	" || CASE WHEN p.expected = 0 THEN ', unexpected' ELSE '' END" \
	" || ')'"
#define ATTENDED_FROM \
	"FROM teleconference_participant_sessions p" \
	" WHERE p.teleconference_session_id = s.id"
#define ROSTER_EXPR \
	"COALESCE(e.participant_name, e.participant_id)" \
	" || ' (' || e.participant_role || ')'"
#define ABSENT_FROM(present) \
	"FROM teleconference_expected_participants e" \
	" WHERE e.teleconference_session_id = s.id AND NOT EXISTS" \
	" (SELECT 1 FROM teleconference_participant_sessions p" \
	" WHERE p.teleconference_session_id = s.id" \
	" AND p.participant_id = e.participant_id" present ")"

/*
 * One line per booked appointment: outcome, billable and waiting time,
 * who came (role, punctuality), who did not.
 */
#define ATTENDANCE_SQL(list, time) \
	"SELECT s.id AS session_id, s.appointmentId AS appointment," \
	" s.jitsi_room_name AS room, s.scheduled_start," \
	" s.scheduled_duration_minutes AS booked_minutes, s.session_status," \
	" s.status_reason," \
	" ROUND(COALESCE(s.billable_seconds, 0) / 60.0, 2)" \
	"  AS billable_minutes," \
	" ROUND(COALESCE(s.patient_wait_seconds, 0) / 60.0, 2)" \
	"  AS patient_wait_minutes, " \
	list(ATTENDED_EXPR, ATTENDED_FROM, "p.joined_at, p.id") \
	" AS attended, " \
	list(ROSTER_EXPR, ABSENT_FROM(""), "e.id") " AS absent," \
	" (SELECT count(*) FROM alerts a" \
	"  WHERE a.teleconference_session_id = s.id) AS alerts" \
	" FROM teleconferencesessions s WHERE s.scheduled_start IS NOT NULL" \
	" AND" FILTER_SQL \
	" ORDER BY " time "(s.scheduled_start) DESC NULLS LAST, s.id DESC" \
	" LIMIT :limit"
static const char sql_attendance[] = ATTENDANCE_SQL(LIST_LITE, "julianday");
static const char sql_attendance_pg[] = ATTENDANCE_SQL(LIST_PG,
	"teletrack_time");

static const char sql_find_id[] =
	"SELECT id FROM teleconferencesessions WHERE id = ?1";

/*
 * By session_uid, else the Jitsi meeting id, else the appointment, else
 * the room (any case); the latest session first.  Rooms and meeting ids
 * are unique across shards as the sessions recorded by all of them are
 * in the one database.
 */
static const char sql_find_ref[] =
	"SELECT s.id FROM teleconferencesessions s"
	" WHERE s.session_uid = ?1 OR s.jitsi_meeting_id = ?1"
	" OR s.appointmentId = ?1 OR lower(s.jitsi_room_name) = lower(?1)"
	" ORDER BY CASE WHEN s.session_uid = ?1 THEN 0"
	" WHEN s.jitsi_meeting_id = ?1 THEN 1 WHEN s.appointmentId = ?1"
	" THEN 2 ELSE 3 END, " WHEN_SQL " DESC NULLS LAST, s.id DESC LIMIT 1";

/*
 * The dashboard's views (storage/web/): what is happening now, one
 * session in full, the charts, and the counts /metrics exports.
 */

/*
 * Active sessions and the appointments booked for :day (UTC): who is
 * awaited (on the roster, not present) while it is on, who never came
 * once it ended.
 */
#define NOW_SQL(list, day, time) \
	"SELECT s.id, s.jitsi_room_name AS room," \
	" s.appointmentId AS appointment, s.scheduled_start," \
	" s.scheduled_duration_minutes AS booked_minutes," \
	" s.startTime AS start, s.session_status AS status, s.status_reason," \
	" (SELECT count(*) FROM teleconference_participant_sessions p" \
	"  WHERE p.teleconference_session_id = s.id" \
	"  AND p.session_status = 'present') AS present," \
	" s.participant_count AS participants," \
	" s.connection_quality AS quality, s.recording_status AS recording," \
	" CASE WHEN s.session_status IN ('scheduled', 'active') THEN " \
	list(ROSTER_EXPR, ABSENT_FROM(" AND p.session_status = 'present'"), \
	"e.id") " END AS awaited," \
	" CASE WHEN s.session_status IN ('completed', 'failed') THEN " \
	list(ROSTER_EXPR, ABSENT_FROM(""), "e.id") " END AS absent," \
	" (SELECT count(*) FROM alerts a WHERE a.teleconference_session_id =" \
	"  s.id AND a.cleared_at IS NULL) AS open_alerts" \
	" FROM teleconferencesessions s" \
	" WHERE s.session_status = 'active' OR " day("s.scheduled_start") \
	" = :day" \
	" ORDER BY CASE WHEN s.session_status = 'active' THEN 0 ELSE 1 END," \
	" " time "(COALESCE(s.scheduled_start, s.startTime)) NULLS FIRST, s.id"
/* A time's UTC day, "YYYY-MM-DD". */
#define DAY_LITE(t)	"date(" t ")"
#define DAY_PG(t)	"to_char(teletrack_time(" t "), 'YYYY-MM-DD')"
static const char sql_now[] = NOW_SQL(LIST_LITE, DAY_LITE, "julianday");
static const char sql_now_pg[] = NOW_SQL(LIST_PG, DAY_PG, "teletrack_time");

/* Who is in the sessions sql_now lists. */
#define PRESENT_SQL(day) \
	"SELECT p.teleconference_session_id AS session_id, p.id," \
	" COALESCE(p.participant_name, p.nick) AS name," \
	" p.participant_role AS role, p.joined_at, p.join_count AS joins," \
	" p.disconnection_count AS disconnections," \
	" p.connection_quality AS quality, p.microphone_enabled AS mic," \
	" p.camera_enabled AS camera, p.screen_shared AS screen" \
	" FROM teleconference_participant_sessions p" \
	" JOIN teleconferencesessions s ON s.id = p.teleconference_session_id" \
	" WHERE p.session_status = 'present' AND (s.session_status = 'active'" \
	" OR " day("s.scheduled_start") " = :day)" \
	" ORDER BY p.teleconference_session_id, p.joined_at NULLS FIRST, p.id"
static const char sql_present[] = PRESENT_SQL(DAY_LITE);
static const char sql_present_pg[] = PRESENT_SQL(DAY_PG);

static const char sql_open_alerts[] =
	"SELECT a.id AS alert_id, a.teleconference_session_id AS session_id,"
	" a.raised_at, a.severity, a.rule, a.appointment_id,"
	" s.jitsi_room_name AS room, p.participant_name AS participant,"
	" a.subject, a.details"
	" FROM alerts a"
	" JOIN teleconferencesessions s ON s.id = a.teleconference_session_id"
	" LEFT JOIN teleconference_participant_sessions p"
	"  ON p.id = a.participant_session_id"
	" WHERE a.cleared_at IS NULL"
	" ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning'"
	" THEN 1 ELSE 2 END, a.raised_at DESC, a.id DESC";

/* Every column of the session row, and the billing view's score. */
static const char sql_session_row[] =
	"SELECT s.*, b.avg_quality_score"
	" FROM teleconferencesessions s"
	" JOIN billing_report b ON b.session_id = s.id WHERE s.id = :session";

/* Every column of the session's participant rows. */
static const char sql_participant_rows[] =
	"SELECT p.* FROM teleconference_participant_sessions p"
	" WHERE p.teleconference_session_id = :session"
	" ORDER BY p.joined_at NULLS FIRST, p.id";

static const char sql_timeline[] =
	"SELECT e.id, e.timestamp, e.event_type AS type,"
	" e.participant_session_id AS participant, e.event_data AS data"
	" FROM teleconference_events e"
	" WHERE e.teleconference_session_id = :session"
	" ORDER BY e.timestamp, e.id";

static const char sql_session_alerts[] =
	"SELECT a.id AS alert_id, a.rule, a.severity, a.subject,"
	" a.participant_session_id AS participant, a.raised_at, a.cleared_at,"
	" a.details"
	" FROM alerts a WHERE a.teleconference_session_id = :session"
	" ORDER BY a.raised_at, a.id";

static const char sql_roster[] =
	"SELECT e.participant_id, e.participant_role AS role,"
	" e.participant_name AS name,"
	" (SELECT p.id FROM teleconference_participant_sessions p"
	"  WHERE p.teleconference_session_id = e.teleconference_session_id"
	"  AND p.participant_id = e.participant_id ORDER BY p.id LIMIT 1)"
	"  AS participant"
	" FROM teleconference_expected_participants e"
	" WHERE e.teleconference_session_id = :session ORDER BY e.id";

/* Charts. */
#define DAILY_SQL(day) \
	"SELECT " day(WHEN_SQL) " AS day, s.session_status AS status," \
	" count(*) AS sessions" \
	" FROM teleconferencesessions s WHERE" FILTER_SQL \
	" AND " WHEN_SQL " IS NOT NULL" \
	" GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2"
static const char sql_daily[] = DAILY_SQL(DAY_LITE);
static const char sql_daily_pg[] = DAILY_SQL(DAY_PG);

static const char sql_quality[] =
	"SELECT COALESCE(s.connection_quality, 'unknown') AS quality,"
	" count(*) AS sessions"
	" FROM teleconferencesessions s WHERE" FILTER_SQL
	" AND s.session_status IN ('active', 'completed', 'failed')"
	" GROUP BY 1 ORDER BY CASE COALESCE(s.connection_quality, 'unknown')"
	" WHEN 'good' THEN 1 WHEN 'fair' THEN 2 WHEN 'poor' THEN 3 ELSE 4 END";

/*
 * Per caregiver on the rosters of ended appointments: how many they were
 * booked for and how many they never joined (matched by participant id,
 * as the attendance report's "absent").  Bookings that ended before the
 * daemon ran (not_observed) say nothing about anybody.
 */
#define NOSHOW_SQL \
	"CASE WHEN NOT EXISTS (SELECT 1" \
	" FROM teleconference_participant_sessions p" \
	" WHERE p.teleconference_session_id = s.id" \
	" AND p.participant_id = e.participant_id) THEN 1 ELSE 0 END"
static const char sql_noshow[] =
	"SELECT e.participant_id, MAX(e.participant_name) AS name,"
	" count(*) AS booked, SUM(" NOSHOW_SQL ") AS no_shows,"
	" ROUND(100.0 * SUM(" NOSHOW_SQL ") / count(*), 1) AS no_show_percent"
	" FROM teleconference_expected_participants e"
	" JOIN teleconferencesessions s ON s.id = e.teleconference_session_id"
	" WHERE e.participant_role = " CAREGIVER_ROLE_SQL
	" AND s.session_status IN ('completed', 'failed')"
	" AND COALESCE(s.status_reason, '') <> 'not_observed'"
	" AND" FILTER_SQL
	" GROUP BY e.participant_id"
	" ORDER BY no_show_percent DESC, booked DESC, e.participant_id";

/* /metrics. */
static const char sql_live_counts[] =
	"SELECT (SELECT count(*) FROM teleconferencesessions"
	"  WHERE session_status = 'active') AS sessions_active,"
	" (SELECT count(*) FROM teleconference_participant_sessions p"
	"  JOIN teleconferencesessions s"
	"  ON s.id = p.teleconference_session_id"
	"  WHERE p.session_status = 'present'"
	"  AND s.session_status = 'active') AS participants_present";

static const char sql_status_counts[] =
	"SELECT session_status AS status, count(*) AS sessions"
	" FROM teleconferencesessions GROUP BY 1 ORDER BY 1";

static const char sql_event_counts[] =
	"SELECT event_type AS type, count(*) AS events"
	" FROM teleconference_events GROUP BY 1 ORDER BY 1";

static const char sql_alert_counts[] =
	"SELECT rule, severity, count(*) AS alerts FROM alerts"
	" WHERE cleared_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2";

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

const char *
report_get(const struct report_rows *r, size_t i, const char *name)
{
	int	 c;

	if (r == NULL || i >= r->nrows || (c = report_col(r, name)) < 0)
		return NULL;
	return report_cell(r, i, (size_t)c)->text;
}

int64_t
report_get_int(const struct report_rows *r, size_t i, const char *name)
{
	const char	*t = report_get(r, i, name);

	return t != NULL ? strtoll(t, NULL, 10) : 0;
}

double
report_get_num(const struct report_rows *r, size_t i, const char *name)
{
	const char	*t = report_get(r, i, name);

	return t != NULL ? atof(t) : 0;
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

void
report_cell_set(struct report_cell *c, struct db_stmt *st, int i)
{
	const char	*t;

	switch (db_column_type(st, i)) {
	case DB_NULL:
		c->type = REPORT_NULL;
		c->text = NULL;
		return;
	case DB_INT:
		c->type = REPORT_INT;
		break;
	case DB_REAL:
		c->type = REPORT_REAL;
		break;
	default:
		c->type = REPORT_TEXT;
		break;
	}
	t = db_column_text(st, i);
	c->text = xstrdup(t != NULL ? t : "");
}

/*
 * Step st (bound) to the end and collect every row; resets st.  The
 * columns are read after the first step (PostgreSQL knows them only
 * then).
 */
static struct report_rows *
collect(struct db *db, struct db_stmt *st)
{
	struct report_rows	*r;
	struct report_cell	*c;
	const char		*t;
	size_t			 cap = 0, i;
	int			 rc;

	(void)db;
	r = xcalloc(1, sizeof(*r));
	rc = db_step(st);
	if (rc != -1) {
		r->ncols = (size_t)db_column_count(st);
		r->cols = xreallocarray(NULL, r->ncols + 1, sizeof(*r->cols));
		for (i = 0; i < r->ncols; i++)
			r->cols[i] = xstrdup((t = db_column_name(st,
			    (int)i)) != NULL ? t : "?");
	}
	for (; rc == DB_ROW; rc = db_step(st)) {
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
	db_reset(st);
	if (rc != DB_DONE) {
		report_rows_free(r);
		return NULL;
	}
	return r;
}

/* The values a statement with named parameters may use. */
struct qargs {
	const struct report_filter	*f;	/* NULL: no filter */
	int64_t				 session;
	int64_t				 limit;	/* lim() */
	const char			*day;	/* YYYY-MM-DD */
};

/* Bind the text v (NULL or "" binds NULL: no filter). */
static int
bind_text(struct db_stmt *st, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		return db_bind_null(st, i);
	return db_bind_text(st, i, v);
}

/*
 * The day after to ("YYYY-MM-DD..."), for :tonext: NULL when to is
 * empty; "" (before every day: nothing matches) when it is not a day.
 */
static const char *
day_after(const char *to, char *buf, size_t bufsz)
{
	struct tm	 tm;
	time_t		 t;
	const char	*end;

	if (to == NULL || *to == '\0')
		return NULL;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(to, "%Y-%m-%d", &tm)) == NULL ||
	    (*end != '\0' && *end != ' ' && *end != 'T')) {
		snprintf(buf, bufsz, "%s", "");
		return buf;
	}
	tm.tm_mday++;
	tm.tm_isdst = 0;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(buf, bufsz, "%Y-%m-%d", &tm);
	return buf;
}

/*
 * Run sql with each named parameter it uses (:from, :tonext, :status,
 * :room, :caregiver, :quality, :sort, :asc, :session, :limit, :day)
 * bound from a, and collect every row.  A name not listed here is a
 * programming error and fails the report.
 */
static struct report_rows *
query_named(struct db *db, const char *name, const char *sql,
    const struct qargs *a)
{
	static const struct report_filter none;
	const struct report_filter	*f = a->f != NULL ? a->f : &none;
	struct report_rows		*r;
	struct db_stmt			*st;
	const char			*pn, *next;
	char				 nextbuf[16];
	int				 i, n, rc;

	if ((st = db_prepare(db, sql)) == NULL)
		goto fail;
	next = day_after(f->to, nextbuf, sizeof(nextbuf));
	n = db_param_count(st);
	for (i = 1; i <= n; i++) {
		if ((pn = db_param_name(st, i)) == NULL)
			pn = "?";
		if (strcmp(pn, ":from") == 0)
			rc = bind_text(st, i, f->from);
		else if (strcmp(pn, ":tonext") == 0)
			rc = next == NULL ? db_bind_null(st, i) :
			    db_bind_text(st, i, next);
		else if (strcmp(pn, ":status") == 0)
			rc = bind_text(st, i, f->status);
		else if (strcmp(pn, ":room") == 0)
			rc = bind_text(st, i, f->room);
		else if (strcmp(pn, ":caregiver") == 0)
			rc = bind_text(st, i, f->caregiver);
		else if (strcmp(pn, ":quality") == 0)
			rc = bind_text(st, i, f->quality);
		else if (strcmp(pn, ":sort") == 0)
			rc = bind_text(st, i, f->sort);
		else if (strcmp(pn, ":asc") == 0)
			rc = db_bind_int(st, i, f->asc != 0);
		else if (strcmp(pn, ":session") == 0)
			rc = db_bind_int(st, i, a->session);
		else if (strcmp(pn, ":limit") == 0)
			rc = db_bind_int(st, i, a->limit);
		else if (strcmp(pn, ":day") == 0)
			rc = bind_text(st, i, a->day);
		else {
			log_warnx("%s: report %s: unknown parameter %s",
			    db_path(db), name, pn);
			db_reset(st);
			return NULL;
		}
		if (rc == -1) {
			db_reset(st);
			goto fail;
		}
	}
	if ((r = collect(db, st)) == NULL)
		goto fail;
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

/* LIMIT: no limit is the largest number (PostgreSQL refuses -1). */
static int64_t
lim(int limit)
{
	return limit > 0 ? limit : INT64_MAX;
}

int64_t
report_find_session(struct db *db, const char *ref)
{
	struct db_stmt	*st;
	const char	*p;
	int64_t		 id = 0;
	int		 rc, numeric = ref[0] != '\0' && strlen(ref) < 19;

	for (p = ref; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			numeric = 0;
	if ((st = db_prepare(db, numeric ? sql_find_id : sql_find_ref)) ==
	    NULL)
		goto fail;
	if ((numeric ? db_bind_int(st, 1, strtoll(ref, NULL, 10)) :
	    db_bind_text(st, 1, ref)) == -1) {
		db_reset(st);
		goto fail;
	}
	if ((rc = db_step(st)) == DB_ROW)
		id = db_column_int(st, 0);
	db_reset(st);
	if (rc == -1)
		goto fail;
	return id;
fail:
	log_warnx("%s: finding session: %s", db_path(db), db_errmsg(db));
	return -1;
}

int
report_sort_valid(const char *key)
{
	size_t	 i;

	for (i = 0; report_sort_keys[i] != NULL; i++)
		if (strcmp(report_sort_keys[i], key) == 0)
			return 1;
	return 0;
}

/* The list reports: the query of each, and PostgreSQL's where it differs. */
static const struct {
	const char	*name;
	const char	*sql;
	const char	*sql_pg;
} lists[] = {
	{ "sessions", sql_sessions, NULL },
	{ "billing", sql_billing, NULL },
	{ "problems", sql_problems, NULL },
	{ "caregivers", sql_caregivers, sql_caregivers_pg },
	{ "alerts", sql_alerts, NULL },
	{ "attendance", sql_attendance, sql_attendance_pg },
	/* The dashboard's charts: all rows, whatever the limit. */
	{ "daily", sql_daily, sql_daily_pg },
	{ "quality", sql_quality, NULL },
	{ "noshow", sql_noshow, NULL },
};
#define NLISTS	(sizeof(lists) / sizeof(lists[0]))

const char *
report_list_name(size_t i)
{
	return i < NLISTS ? lists[i].name : NULL;
}

struct report_rows *
report_list(struct db *db, const char *name, const struct report_filter *f,
    int limit)
{
	struct qargs	 a = { f, 0, lim(limit), NULL };
	size_t		 i;

	for (i = 0; i < NLISTS; i++)
		if (strcmp(lists[i].name, name) == 0)
			return query_named(db, name, db_pick(db, lists[i].sql,
			    lists[i].sql_pg != NULL ? lists[i].sql_pg :
			    lists[i].sql), &a);
	log_warnx("report %s: no such report", name);
	return NULL;
}

/* One query with :session (and :day) bound. */
static struct report_rows *
one(struct db *db, const char *name, const char *sql, int64_t session,
    const char *day)
{
	struct qargs	 a = { NULL, session, INT64_MAX, day };

	return query_named(db, name, sql, &a);
}

struct report_rows *
report_participants(struct db *db, int64_t session)
{
	return one(db, "participants", sql_participants, session, NULL);
}

struct report_rows *
report_events(struct db *db, int64_t session, int limit)
{
	struct qargs	 a = { NULL, session, lim(limit), NULL };

	return query_named(db, "events", sql_events, &a);
}

struct report_rows *
report_summary(struct db *db, int64_t session)
{
	struct report_rows	*r;

	if ((r = one(db, "summary", sql_summary, session, NULL)) == NULL)
		return NULL;
	return transpose(r);
}

/*
 * The dashboard's views
 */

struct report_rows *
report_now(struct db *db, const char *day)
{
	return one(db, "now",
	    db_pick(db, sql_now, sql_now_pg), 0, day);
}

struct report_rows *
report_present(struct db *db, const char *day)
{
	return one(db, "present",
	    db_pick(db, sql_present, sql_present_pg), 0, day);
}

struct report_rows *
report_open_alerts(struct db *db)
{
	return one(db, "open alerts", sql_open_alerts, 0, NULL);
}

struct report_rows *
report_session_row(struct db *db, int64_t session)
{
	return one(db, "session", sql_session_row, session, NULL);
}

struct report_rows *
report_participant_rows(struct db *db, int64_t session)
{
	return one(db, "participant rows", sql_participant_rows, session,
	    NULL);
}

struct report_rows *
report_timeline(struct db *db, int64_t session)
{
	return one(db, "timeline", sql_timeline, session, NULL);
}

struct report_rows *
report_session_alerts(struct db *db, int64_t session)
{
	return one(db, "session alerts", sql_session_alerts, session, NULL);
}

struct report_rows *
report_roster(struct db *db, int64_t session)
{
	return one(db, "roster", sql_roster, session, NULL);
}

/* /metrics' counts. */
static const struct {
	const char	*name;
	const char	*sql;
} counts[] = {
	{ "live", sql_live_counts },
	{ "status", sql_status_counts },
	{ "events", sql_event_counts },
	{ "alerts", sql_alert_counts },
};

struct report_rows *
report_counts(struct db *db, const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (strcmp(counts[i].name, name) == 0)
			return one(db, name, counts[i].sql, 0, NULL);
	log_warnx("counts %s: no such report", name);
	return NULL;
}
