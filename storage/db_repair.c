/*
 * Lifecycle repair at daemon start: what a previous run left half done.
 *
 * A daemon that crashed or was killed mid-meeting leaves sessions
 * 'active' that nobody will ever end, and participants 'present' who
 * left long ago.  Before the writer starts, main() calls
 * db_close_stale_sessions() to close them as the evidence allows, then
 * db_resume_appointments() for the one exception: a booked appointment
 * whose time is not over is left open, its participants marked as gone
 * at its last event, so the daemon's schedule read (bookings.c) picks it
 * up again and the tracker goes on from what was recorded.
 *
 * This is storage: it owns only the SQL that rewrites those rows, each
 * step in one transaction.  When an appointment counts as over is the
 * RESUMABLE condition below, which the tracker (appt.c) agrees with:
 * start + duration + auto_end_after_minutes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "xmalloc.h"

/*
 * A booked appointment still within its time (start + duration + the
 * auto-end wait): the daemon picks it up again, so it is not closed.
 * Needs ?1 = now as timestamp text.
 */
#define RESUMABLE \
	"s.scheduled_start IS NOT NULL AND julianday(s.scheduled_start) +" \
	" (COALESCE(s.scheduled_duration_minutes, (SELECT default_duration" \
	"  FROM meeting_settings WHERE id = 1), 60) + COALESCE((SELECT" \
	"  auto_end_after_minutes FROM meeting_settings WHERE id = 1), 30))" \
	" / 1440.0 > julianday(?1)"

/*
 * Stale sessions and the candidates for their end: the last event, the
 * start, and the start plus the last persisted duration.  All three are
 * in our sortable timestamp format, so the latest is a string compare.
 */
static const char stale_sql[] =
	"SELECT s.id, s.peak_participants, s.startTime,"
	" (SELECT MAX(e.timestamp) FROM teleconference_events e"
	"  WHERE e.teleconference_session_id = s.id),"
	" strftime('%Y-%m-%dT%H:%M:%fZ', s.startTime,"
	"  '+' || s.total_duration_seconds || ' seconds')"
	" FROM teleconferencesessions s WHERE s.session_status = 'active'"
	" AND NOT (" RESUMABLE ")"
	" ORDER BY s.id";

static const char stale_session_sql[] =
	"UPDATE teleconferencesessions SET endTime = ?2,"
	" end_reason = 'observer_restarted', session_status = ?3,"
	" total_duration_seconds = MAX(total_duration_seconds, COALESCE("
	"  CAST(ROUND((julianday(?2) - julianday(startTime)) * 86400)"
	"  AS INTEGER), 0)),"
	" updatedAt = ?4"
	" WHERE id = ?1";

static const char stale_participants_sql[] =
	"UPDATE teleconference_participant_sessions SET"
	" session_status = 'left', left_at = ?2,"
	" left_reason = 'observer_restarted', updatedAt = ?3"
	" WHERE teleconference_session_id = ?1 AND session_status = 'present'";

static const char stale_event_sql[] =
	"INSERT INTO teleconference_events (teleconference_session_id,"
	" participant_session_id, event_type, event_data, timestamp)"
	" VALUES (?1, NULL, 'session_end', ?2, ?3)";

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

struct stale {
	int64_t	 id;
	char	 end[32];
	int	 completed;
};

/* Copy into dst the latest non-NULL timestamp column of st among cols. */
static void
latest(sqlite3_stmt *st, const int *cols, int ncols, char *dst,
    size_t dstsz)
{
	const char	*t;
	int		 i;

	dst[0] = '\0';
	for (i = 0; i < ncols; i++) {
		t = (const char *)sqlite3_column_text(st, cols[i]);
		if (t != NULL && strcmp(t, dst) > 0)
			snprintf(dst, dstsz, "%s", t);
	}
}

/*
 * Run sql with ?1 = id, ?2 = a, ?3 = b to completion and reset it.
 * Returns 0, or -1 with the error recorded.
 */
static int
run_id2(struct db *db, const char *sql, int64_t id, const char *a,
    const char *b)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, a, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, b, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		db_record_error(db);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	return db_step_done(db, st);
}

int
db_close_stale_sessions(struct db *db, int64_t now_ms)
{
	static const int cols[] = { 2, 3, 4 };
	static const char data[] = "{\"end_reason\":\"observer_restarted\"}";
	struct stale	*v = NULL;
	sqlite3_stmt	*st;
	const char	*what = "BEGIN";
	char		 now[32];
	size_t		 n = 0, cap = 0, i;
	int		 rc;

	event_iso8601(now_ms, now, sizeof(now));
	db_clear_error(db);
	if (db_exec(db, sql_begin) == -1)
		goto fail;
	what = "finding stale sessions";
	if ((st = db_prepare(db, stale_sql)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].completed = sqlite3_column_int(st, 1) >= 2;
		latest(st, cols, 3, v[n].end, sizeof(v[n].end));
		if (v[n].end[0] == '\0' || strcmp(v[n].end, now) > 0)
			memcpy(v[n].end, now, sizeof(now));
		n++;
	}
	if (rc != SQLITE_DONE) {
		db_record_error(db);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);

	for (i = 0; i < n; i++) {
		what = "closing a stale session";
		if ((st = db_prepare(db, stale_session_sql)) == NULL ||
		    sqlite3_bind_int64(st, 1, v[i].id) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, v[i].end, -1, SQLITE_STATIC) !=
		    SQLITE_OK ||
		    sqlite3_bind_text(st, 3, v[i].completed ? "completed" :
		    "failed", -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC) !=
		    SQLITE_OK || db_step_done(db, st) == -1)
			goto fail_stmt;
		what = "closing its participants";
		if (run_id2(db, stale_participants_sql, v[i].id, v[i].end,
		    now) == -1)
			goto fail;
		what = "recording its end";
		if (run_id2(db, stale_event_sql, v[i].id, data, v[i].end) == -1)
			goto fail;
	}
	what = "COMMIT";
	if (db_exec(db, sql_commit) == -1)
		goto fail;
	free(v);
	return (int)n;
fail_stmt:
	/*
	 * db_step_done() recorded its error; a failed bind has not yet
	 * (SQLite left its error on the connection).
	 */
	if (st != NULL) {
		if (db_errcode(db) == 0)
			db_record_error(db);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
fail:
	log_warnx("%s: closing stale sessions: %s: %s", db_path(db), what,
	    db_errmsg(db));
	if (!sqlite3_get_autocommit(db_sqlite(db)) &&
	    db_exec(db, sql_rollback) == -1)
		log_warnx("%s: ROLLBACK: %s", db_path(db), db_errmsg(db));
	free(v);
	return -1;
}

static const char resume_sql[] =
	"SELECT s.id, (SELECT MAX(e.timestamp) FROM teleconference_events e"
	"  WHERE e.teleconference_session_id = s.id)"
	" FROM teleconferencesessions s WHERE s.session_status = 'active'"
	" AND " RESUMABLE " ORDER BY s.id";

static const char resume_event_sql[] =
	"INSERT INTO teleconference_events (teleconference_session_id,"
	" participant_session_id, event_type, event_data, timestamp)"
	" VALUES (?1, NULL, 'observer_gap', json_object('reason',"
	" 'observer_restarted', 'since', ?2), ?3)";

int
db_resume_appointments(struct db *db, int64_t now_ms)
{
	sqlite3_stmt	*st;
	const char	*what = "BEGIN", *last;
	char		 now[32], since[32];
	int		 rc, n = 0;
	int64_t		 id;

	event_iso8601(now_ms, now, sizeof(now));
	db_clear_error(db);
	if (db_exec(db, sql_begin) == -1)
		goto fail;
	what = "finding appointments to resume";
	if ((st = db_prepare(db, resume_sql)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		last = (const char *)sqlite3_column_text(st, 1);
		snprintf(since, sizeof(since), "%s", last != NULL ? last : now);
		/*
		 * Nobody is known to be there any more: whoever is seen
		 * again becomes present again; the gap is on record.
		 */
		what = "closing its participants";
		if (run_id2(db, stale_participants_sql, id, since, now) == -1)
			goto fail_rows;
		what = "recording the gap";
		if (run_id2(db, resume_event_sql, id, since, now) == -1)
			goto fail_rows;
		n++;
	}
	if (rc != SQLITE_DONE)
		db_record_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		goto fail;
	what = "COMMIT";
	if (db_exec(db, sql_commit) == -1)
		goto fail;
	return n;
fail_rows:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
fail:
	log_warnx("%s: resuming appointments: %s: %s", db_path(db), what,
	    db_errmsg(db));
	if (!sqlite3_get_autocommit(db_sqlite(db)) &&
	    db_exec(db, sql_rollback) == -1)
		log_warnx("%s: ROLLBACK: %s", db_path(db), db_errmsg(db));
	return -1;
}
