/*
 * The SQLite side of teletrack: opening the file, the PRAGMAs, the schema
 * and its migrations, a small prepared-statement cache, and two
 * whole-database operations (reading meeting_settings, closing sessions
 * a previous run left open).
 *
 * Flow: main() opens the database read-write once and hands it to the
 * writer (writer.c), which turns events into rows; the report CLI opens it
 * read-only and hands it to report.c.  Both go through struct db, which
 * owns the sqlite3 handle and every statement, so db_close() is the one
 * place that finalizes them (as in mosquitto's persist-sqlite plugin).
 *
 * Schema: the tables of the application's design (a MySQL migration)
 * adapted to SQLite, plus what the observer needs (session_uid,
 * participant_key, ...).  Migrations are numbered by PRAGMA user_version:
 * migration i takes the schema from version i to i + 1 in one
 * transaction, so a crash mid-migration leaves the previous version.
 * Timestamps are UTC text "YYYY-MM-DDTHH:MM:SS.mmmZ", which sorts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "textutil.h"
#include "xmalloc.h"

#define NOW_SQL	"strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/*
 * Migration 0 -> 1: the whole schema.
 *
 * Vocabularies (not CHECKed where room.c supplies the value, so a new
 * word never makes the writer reject events; session_status is the
 * exception: the scheduler and every report depend on it):
 *   recording_status: not_recorded, pending, recording, recorded, failed
 *   connection_quality: good, fair, poor (NULL: no participant yet)
 *   left_reason: leave, disconnect, kicked, observer_restarted, ...
 */
static const char migration_1[] =
	"CREATE TABLE meeting_settings ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" default_duration INTEGER NOT NULL DEFAULT 60,"
	" allow_early_join_minutes INTEGER NOT NULL DEFAULT 15,"
	" max_late_join_minutes INTEGER NOT NULL DEFAULT 30,"
	" max_meeting_duration INTEGER NOT NULL DEFAULT 180,"
	" auto_end_after_minutes INTEGER NOT NULL DEFAULT 30,"
	" record_meetings INTEGER NOT NULL DEFAULT 0,"
	" require_moderator INTEGER NOT NULL DEFAULT 1,"
	" enable_chat INTEGER NOT NULL DEFAULT 1,"
	" enable_screen_share INTEGER NOT NULL DEFAULT 1,"
	" enable_recording INTEGER NOT NULL DEFAULT 1,"
	" enable_file_sharing INTEGER NOT NULL DEFAULT 0,"
	" enable_virtual_background INTEGER NOT NULL DEFAULT 1,"
	" video_quality TEXT NOT NULL DEFAULT 'high',"
	" max_participants INTEGER NOT NULL DEFAULT 2,"
	" quality_fair_per_hour REAL NOT NULL DEFAULT 2.0,"
	" quality_poor_per_hour REAL NOT NULL DEFAULT 6.0,"
	" leave_grace_seconds INTEGER NOT NULL DEFAULT 10,"
	" createdAt TEXT NOT NULL DEFAULT (" NOW_SQL "),"
	" updatedAt TEXT NOT NULL DEFAULT (" NOW_SQL ")"
	");"
	"INSERT INTO meeting_settings (id) VALUES (1);"

	/*
	 * roomId is not UNIQUE (the design's was): room names are reused by
	 * every meeting held in them.  jitsi_meeting_id is not unique either:
	 * a daemon restart mid-meeting opens a second row for the meeting.
	 */
	"CREATE TABLE teleconferencesessions ("
	" id INTEGER PRIMARY KEY,"
	" session_uid TEXT NOT NULL UNIQUE,"
	" appointmentId TEXT,"
	" roomId TEXT,"
	" jitsi_room_name TEXT,"
	" jitsi_meeting_id TEXT,"
	" startTime TEXT,"
	" endTime TEXT,"
	" recordingUrl TEXT,"
	" transcription TEXT,"
	" chatHistory TEXT,"			/* always NULL: no chat kept */
	" session_status TEXT NOT NULL DEFAULT 'scheduled' CHECK"
	" (session_status IN ('scheduled','active','completed',"
	"'cancelled','failed')),"
	" end_reason TEXT,"
	" total_duration_seconds INTEGER NOT NULL DEFAULT 0,"
	" participant_count INTEGER NOT NULL DEFAULT 0,"
	" peak_participants INTEGER NOT NULL DEFAULT 0,"
	" connection_quality TEXT,"
	" total_disconnections INTEGER NOT NULL DEFAULT 0,"
	" recording_status TEXT NOT NULL DEFAULT 'not_recorded',"
	" recording_duration_seconds INTEGER NOT NULL DEFAULT 0,"
	" session_notes TEXT,"
	" metadata TEXT,"			/* JSON */
	" createdAt TEXT NOT NULL DEFAULT (" NOW_SQL "),"
	" updatedAt TEXT NOT NULL DEFAULT (" NOW_SQL ")"
	");"
	"CREATE INDEX idx_sessions_status ON teleconferencesessions"
	" (session_status);"
	"CREATE INDEX idx_sessions_start ON teleconferencesessions (startTime);"
	"CREATE INDEX idx_sessions_end ON teleconferencesessions (endTime);"
	"CREATE INDEX idx_sessions_appointment ON teleconferencesessions"
	" (appointmentId);"
	"CREATE INDEX idx_sessions_meeting ON teleconferencesessions"
	" (jitsi_meeting_id);"
	"CREATE INDEX idx_sessions_room ON teleconferencesessions (roomId);"

	"CREATE TABLE teleconference_participant_sessions ("
	" id INTEGER PRIMARY KEY,"
	" teleconference_session_id INTEGER NOT NULL"
	"  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,"
	" participant_key TEXT NOT NULL,"
	" appointment_id TEXT,"
	" participant_id TEXT,"
	" participant_role TEXT NOT NULL DEFAULT 'unknown',"
	" participant_name TEXT,"
	" nick TEXT,"
	" user_id TEXT,"			/* set by the application */
	" jid TEXT,"
	" stats_id TEXT,"
	" joined_at TEXT,"
	" left_at TEXT,"			/* NULL while present */
	" left_reason TEXT,"
	" session_duration_seconds INTEGER NOT NULL DEFAULT 0,"
	" join_count INTEGER NOT NULL DEFAULT 0,"
	" disconnection_count INTEGER NOT NULL DEFAULT 0,"
	" connection_quality TEXT,"
	" avg_bandwidth_kbps INTEGER,"		/* not observable: NULL */
	" device_type TEXT,"
	" browser TEXT,"
	" operating_system TEXT,"
	" ip_address TEXT,"
	" user_agent TEXT,"
	" camera_enabled INTEGER NOT NULL DEFAULT 0,"
	" microphone_enabled INTEGER NOT NULL DEFAULT 0,"
	" screen_shared INTEGER NOT NULL DEFAULT 0,"
	" spoke_time_seconds REAL,"		/* NULL: unknown */
	" messages_sent INTEGER NOT NULL DEFAULT 0,"
	" reactions_sent INTEGER NOT NULL DEFAULT 0,"
	" issues_encountered TEXT,"		/* JSON array */
	" error_logs TEXT,"
	" is_moderator INTEGER NOT NULL DEFAULT 0,"
	" session_status TEXT NOT NULL DEFAULT 'present' CHECK"
	" (session_status IN ('present','left')),"
	" createdAt TEXT NOT NULL DEFAULT (" NOW_SQL "),"
	" updatedAt TEXT NOT NULL DEFAULT (" NOW_SQL "),"
	" UNIQUE (teleconference_session_id, participant_key)"
	");"
	/* The UNIQUE index serves lookups by session. */
	"CREATE INDEX idx_parts_appointment ON"
	" teleconference_participant_sessions (appointment_id);"
	"CREATE INDEX idx_parts_participant ON"
	" teleconference_participant_sessions (participant_id,"
	" participant_role);"
	"CREATE INDEX idx_parts_joined ON teleconference_participant_sessions"
	" (joined_at);"
	"CREATE INDEX idx_parts_left ON teleconference_participant_sessions"
	" (left_at);"
	"CREATE INDEX idx_parts_user ON teleconference_participant_sessions"
	" (user_id);"
	"CREATE INDEX idx_parts_role_joined ON"
	" teleconference_participant_sessions (participant_role, joined_at);"

	"CREATE TABLE teleconference_events ("
	" id INTEGER PRIMARY KEY,"
	" teleconference_session_id INTEGER NOT NULL"
	"  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,"
	" participant_session_id INTEGER"
	"  REFERENCES teleconference_participant_sessions (id)"
	"  ON DELETE CASCADE,"
	" event_type TEXT NOT NULL,"
	" event_data TEXT,"			/* JSON object */
	" timestamp TEXT NOT NULL"
	");"
	"CREATE INDEX idx_events_session ON teleconference_events"
	" (teleconference_session_id);"
	"CREATE INDEX idx_events_participant ON teleconference_events"
	" (participant_session_id);"
	"CREATE INDEX idx_events_type ON teleconference_events (event_type);"
	"CREATE INDEX idx_events_timestamp ON teleconference_events"
	" (timestamp);"

	/*
	 * The design's billing query averaged the text quality column; here
	 * each participant's quality becomes a number first.
	 */
	"CREATE VIEW billing_report AS SELECT"
	" s.id AS session_id, s.appointmentId, s.jitsi_room_name AS room,"
	" s.roomId, s.jitsi_meeting_id, s.startTime, s.endTime,"
	" s.session_status, s.total_duration_seconds,"
	" ROUND(s.total_duration_seconds / 60.0, 2) AS duration_minutes,"
	" s.participant_count, s.peak_participants, s.connection_quality,"
	" (SELECT ROUND(AVG(CASE p.connection_quality WHEN 'good' THEN 3"
	"  WHEN 'fair' THEN 2 WHEN 'poor' THEN 1 END), 2)"
	"  FROM teleconference_participant_sessions p"
	"  WHERE p.teleconference_session_id = s.id) AS avg_quality_score,"
	" s.recording_status, s.recording_duration_seconds"
	" FROM teleconferencesessions s;"

	"CREATE VIEW problem_sessions AS SELECT q.*,"
	" substr(CASE WHEN q.total_disconnections > 3"
	"  THEN ',disconnections' ELSE '' END"
	" || CASE WHEN q.session_status = 'failed' THEN ',failed' ELSE '' END"
	" || CASE WHEN q.connection_quality = 'poor'"
	"  THEN ',poor_quality' ELSE '' END"
	" || CASE WHEN q.kicked_count > 0 THEN ',kicked' ELSE '' END, 2)"
	" AS reasons"
	" FROM (SELECT"
	" s.id AS session_id, s.appointmentId, s.jitsi_room_name AS room,"
	" s.jitsi_meeting_id, s.startTime, s.endTime, s.session_status,"
	" s.end_reason, s.connection_quality, s.total_disconnections,"
	" (SELECT COUNT(*) FROM teleconference_events e"
	"  WHERE e.teleconference_session_id = s.id"
	"  AND e.event_type = 'disconnect') AS disconnect_events,"
	" (SELECT COUNT(*) FROM teleconference_participant_sessions p"
	"  WHERE p.teleconference_session_id = s.id"
	"  AND (p.left_reason = 'kicked' OR EXISTS (SELECT 1"
	"  FROM teleconference_events k WHERE k.participant_session_id = p.id"
	"  AND k.event_type = 'kicked'))) AS kicked_count"
	" FROM teleconferencesessions s) AS q"
	" WHERE q.total_disconnections > 3 OR q.session_status = 'failed'"
	" OR q.connection_quality = 'poor' OR q.kicked_count > 0;"

	/*
	 * The design took the status from the participant row; what counts
	 * is whether the session was completed.  Caregivers without an id
	 * cannot be told apart and are left out.  participant_name is the
	 * name of the row with the latest joined_at (SQLite's bare column
	 * with MAX()).
	 */
	"CREATE VIEW caregiver_performance AS SELECT"
	" p.participant_id, p.participant_name AS name,"
	" COUNT(DISTINCT p.teleconference_session_id) AS total_sessions,"
	" ROUND(AVG(p.session_duration_seconds) / 60.0, 2)"
	"  AS avg_duration_minutes,"
	" ROUND(AVG(p.spoke_time_seconds), 1) AS avg_spoke_time_seconds,"
	" SUM(p.messages_sent) AS total_messages,"
	" ROUND(AVG(p.disconnection_count), 2) AS avg_disconnections,"
	" MAX(p.joined_at) AS last_joined_at"
	" FROM teleconference_participant_sessions p"
	" JOIN teleconferencesessions s ON s.id = p.teleconference_session_id"
	" WHERE p.participant_role = 'caregiver'"
	" AND s.session_status = 'completed'"
	" AND p.participant_id IS NOT NULL"
	" GROUP BY p.participant_id;";


/*
 * Migration 1 -> 2: scheduling, attendance and alerts (issue #4).
 *
 * A scheduled appointment is a teleconferencesessions row with
 * session_status 'scheduled', scheduled_start and
 * scheduled_duration_minutes, and its roster in
 * teleconference_expected_participants.  The observer's meeting session
 * for it is that same row (found by session_uid), so the booking and what
 * happened sit side by side.  status_reason says why a session ended as
 * it did (caregiver_no_show, ...); end_reason stays the technical end
 * (focus_left, ...).  Minutes are REAL: fractions are allowed.
 */
static const char migration_2[] =
	"ALTER TABLE teleconferencesessions ADD COLUMN scheduled_start TEXT;"
	"ALTER TABLE teleconferencesessions ADD COLUMN"
	" scheduled_duration_minutes REAL;"
	"ALTER TABLE teleconferencesessions ADD COLUMN status_reason TEXT;"
	"ALTER TABLE teleconferencesessions ADD COLUMN billable_seconds"
	" INTEGER;"
	"ALTER TABLE teleconferencesessions ADD COLUMN patient_wait_seconds"
	" INTEGER;"
	"CREATE INDEX idx_sessions_scheduled ON teleconferencesessions"
	" (session_status, scheduled_start);"

	"CREATE TABLE teleconference_expected_participants ("
	" id INTEGER PRIMARY KEY,"
	" teleconference_session_id INTEGER NOT NULL"
	"  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,"
	" participant_id TEXT NOT NULL,"
	" participant_role TEXT NOT NULL,"
	" participant_name TEXT,"
	" createdAt TEXT NOT NULL DEFAULT (" NOW_SQL "),"
	" UNIQUE (teleconference_session_id, participant_id)"
	");"

	/*
	 * expected: 1 on the roster, 0 not (an unexpected participant),
	 * NULL when the session has no roster.  attendance: on_time | late.
	 */
	"ALTER TABLE teleconference_participant_sessions ADD COLUMN expected"
	" INTEGER;"
	"ALTER TABLE teleconference_participant_sessions ADD COLUMN"
	" attendance TEXT;"
	"ALTER TABLE teleconference_participant_sessions ADD COLUMN"
	" late_minutes REAL;"
	"ALTER TABLE teleconference_participant_sessions ADD COLUMN"
	" left_early_minutes REAL;"
	"ALTER TABLE teleconference_participant_sessions ADD COLUMN"
	" overran_minutes REAL;"

	/*
	 * One row per alert: raised once, cleared when its condition stops
	 * holding.  subject tells alerts of one rule apart (a participant
	 * key, a roster id, or ''); at most one is open per (session, rule,
	 * subject).
	 */
	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY,"
	" teleconference_session_id INTEGER NOT NULL"
	"  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,"
	" participant_session_id INTEGER"
	"  REFERENCES teleconference_participant_sessions (id)"
	"  ON DELETE SET NULL,"
	" appointment_id TEXT,"
	" rule TEXT NOT NULL,"
	" subject TEXT NOT NULL DEFAULT '',"
	" severity TEXT NOT NULL CHECK"
	" (severity IN ('info','warning','critical')),"
	" raised_at TEXT NOT NULL,"
	" cleared_at TEXT,"
	" details TEXT,"			/* JSON object */
	" createdAt TEXT NOT NULL DEFAULT (" NOW_SQL "),"
	" updatedAt TEXT NOT NULL DEFAULT (" NOW_SQL ")"
	");"
	"CREATE UNIQUE INDEX idx_alerts_open ON alerts"
	" (teleconference_session_id, rule, subject) WHERE cleared_at IS NULL;"
	"CREATE INDEX idx_alerts_session ON alerts (teleconference_session_id);"
	"CREATE INDEX idx_alerts_raised ON alerts (raised_at);"

	"ALTER TABLE meeting_settings ADD COLUMN late_grace_minutes REAL"
	" NOT NULL DEFAULT 5;"
	"ALTER TABLE meeting_settings ADD COLUMN left_early_grace_minutes REAL"
	" NOT NULL DEFAULT 5;"
	"ALTER TABLE meeting_settings ADD COLUMN overrun_grace_minutes REAL"
	" NOT NULL DEFAULT 5;"
	"ALTER TABLE meeting_settings ADD COLUMN"
	" alert_caregiver_absent_minutes REAL NOT NULL DEFAULT 5;"
	"ALTER TABLE meeting_settings ADD COLUMN"
	" alert_patient_waiting_minutes REAL NOT NULL DEFAULT 5;"
	"ALTER TABLE meeting_settings ADD COLUMN alert_drop_minutes REAL"
	" NOT NULL DEFAULT 2;"
	"ALTER TABLE meeting_settings ADD COLUMN alert_disconnects INTEGER"
	" NOT NULL DEFAULT 3;"
	"ALTER TABLE meeting_settings ADD COLUMN"
	" alert_disconnect_window_minutes REAL NOT NULL DEFAULT 15;"
	"ALTER TABLE meeting_settings ADD COLUMN"
	" alert_recording_missing_minutes REAL NOT NULL DEFAULT 5;"
	"ALTER TABLE meeting_settings ADD COLUMN alert_rules TEXT NOT NULL"
	" DEFAULT 'all';"
	"ALTER TABLE meeting_settings ADD COLUMN alert_admin_jids TEXT NOT NULL"
	" DEFAULT '';"
	"ALTER TABLE meeting_settings ADD COLUMN caregiver_role TEXT NOT NULL"
	" DEFAULT 'caregiver';"
	"ALTER TABLE meeting_settings ADD COLUMN patient_role TEXT NOT NULL"
	" DEFAULT 'patient';"

	"CREATE VIEW attendance_report AS SELECT"
	" s.id AS session_id, s.appointmentId, s.jitsi_room_name AS room,"
	" s.scheduled_start, s.scheduled_duration_minutes, s.session_status,"
	" s.status_reason, p.participant_id, p.participant_role,"
	" p.participant_name, p.expected, p.attendance, p.late_minutes,"
	" p.left_early_minutes, p.overran_minutes, p.joined_at, p.left_at,"
	" p.session_duration_seconds, p.disconnection_count"
	" FROM teleconference_participant_sessions p"
	" JOIN teleconferencesessions s ON s.id = p.teleconference_session_id"
	" WHERE s.scheduled_start IS NOT NULL;";

/* migrations[i] takes the schema from user_version i to i + 1. */
static const char *const migrations[DB_SCHEMA_VERSION] = {
	migration_1,
	migration_2,
};

#define DB_MAX_STMTS	32

struct db_stmt {
	const char	*sql;		/* the key: its address */
	sqlite3_stmt	*st;
};

struct db {
	sqlite3		*sq;
	char		*path;
	int		 flags;
	struct db_stmt	 stmts[DB_MAX_STMTS];
	size_t		 nstmts;
	int		 errcode;
	char		 errmsg[256];
};

/*
 * "file:" URI for path with the characters URIs give a meaning escaped,
 * so any file name opens as itself.  An absolute path gets an empty
 * authority ("file:///..."), so a path starting with "//" is not read as
 * a host name.  The caller frees the result.
 */
static char *
path_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		 len = strlen(path), o = 0;
	char		*uri;
	const char	*p;

	uri = xmalloc(len * 3 + strlen(query) + 16);
	memcpy(uri, "file:", 5);
	o = 5;
	if (path[0] == '/') {
		memcpy(uri + o, "//", 2);
		o += 2;
	}
	for (p = path; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%' || c == '?' || c == '#' || c <= 0x20 ||
		    c >= 0x7f) {
			uri[o++] = '%';
			uri[o++] = hex[c >> 4];
			uri[o++] = hex[c & 0xf];
		} else
			uri[o++] = (char)c;
	}
	uri[o++] = '?';
	strcpy(uri + o, query);
	return uri;
}

/* PRAGMA user_version, or -1 with err filled. */
static int
user_version(sqlite3 *sq, char *err, size_t errsz)
{
	sqlite3_stmt	*st;
	int		 rc, v = -1;

	if (sqlite3_prepare_v2(sq, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		seterr(err, errsz, "reading the schema version: %s",
		    sqlite3_errmsg(sq));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		seterr(err, errsz, "reading the schema version: %s",
		    sqlite3_errmsg(sq));
	sqlite3_finalize(st);
	return v;
}

/*
 * Bring the schema from its current version to DB_SCHEMA_VERSION.  Each
 * step is one IMMEDIATE transaction that re-reads the version inside it,
 * so two daemons started together on a new file do not both migrate.
 */
static int
migrate(sqlite3 *sq, char *err, size_t errsz)
{
	char		*msg = NULL;
	char		 what[64];
	int		 v;

	for (;;) {
		if (sqlite3_exec(sq, "BEGIN IMMEDIATE", NULL, NULL, &msg) !=
		    SQLITE_OK) {
			seterr(err, errsz, "migration: BEGIN: %s",
			    msg != NULL ? msg : sqlite3_errmsg(sq));
			sqlite3_free(msg);
			return -1;
		}
		if ((v = user_version(sq, err, errsz)) == -1)
			goto fail;
		if (v > DB_SCHEMA_VERSION) {
			seterr(err, errsz, "schema is newer than this "
			    "program: version %d, it knows %d", v,
			    DB_SCHEMA_VERSION);
			goto fail;
		}
		if (v == DB_SCHEMA_VERSION)
			break;
		snprintf(what, sizeof(what), "PRAGMA user_version = %d",
		    v + 1);
		if (sqlite3_exec(sq, migrations[v], NULL, NULL, &msg) !=
		    SQLITE_OK || sqlite3_exec(sq, what, NULL, NULL, &msg) !=
		    SQLITE_OK) {
			seterr(err, errsz, "migration %d -> %d: %s", v, v + 1,
			    msg != NULL ? msg : sqlite3_errmsg(sq));
			sqlite3_free(msg);
			goto fail;
		}
		if (sqlite3_exec(sq, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			seterr(err, errsz, "migration: COMMIT: %s",
			    msg != NULL ? msg : sqlite3_errmsg(sq));
			sqlite3_free(msg);
			goto fail;
		}
	}
	if (sqlite3_exec(sq, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errsz, "migration: COMMIT: %s",
		    msg != NULL ? msg : sqlite3_errmsg(sq));
		sqlite3_free(msg);
		goto fail;
	}
	return 0;
fail:
	if (!sqlite3_get_autocommit(sq))
		sqlite3_exec(sq, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Run one PRAGMA (or other row-less statement); -1 with err filled. */
static int
pragma(sqlite3 *sq, const char *sql, char *err, size_t errsz)
{
	char	*msg = NULL;

	if (sqlite3_exec(sq, sql, NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errsz, "%s: %s", sql,
		    msg != NULL ? msg : sqlite3_errmsg(sq));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

struct db *
db_open(const char *path, int flags, char *err, size_t errsz)
{
	struct db	*db;
	char		*uri = NULL;
	int		 rc, v;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	db->flags = flags;

	if (flags & DB_READONLY) {
		uri = path_uri(path, "mode=ro");
		rc = sqlite3_open_v2(uri, &db->sq,
		    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	} else
		rc = sqlite3_open_v2(path, &db->sq,
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		seterr(err, errsz, "cannot open: %s", db->sq != NULL ?
		    sqlite3_errmsg(db->sq) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db->sq, 1);

	if (flags & DB_READONLY) {
		if (sqlite3_busy_timeout(db->sq, DB_BUSY_MS_READONLY) !=
		    SQLITE_OK) {
			seterr(err, errsz, "busy_timeout: %s",
			    sqlite3_errmsg(db->sq));
			goto fail;
		}
		if (pragma(db->sq, "PRAGMA query_only = ON", err, errsz) == -1)
			goto fail;
		if ((v = user_version(db->sq, err, errsz)) == -1) {
			rc = sqlite3_errcode(db->sq);
			if (rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN)
				seterr(err, errsz, "cannot read: its WAL "
				    "index (-shm file) is missing and this "
				    "user cannot create it (start the daemon "
				    "once, or run as a user who may write the "
				    "directory)");
			goto fail;
		}
		if (v != DB_SCHEMA_VERSION) {
			seterr(err, errsz, "%s: version %d, expected %d",
			    v == 0 ? "not a teletrack database (no schema)" :
			    v > DB_SCHEMA_VERSION ?
			    "schema is newer than this program" :
			    "schema is older: start the daemon to migrate it",
			    v, DB_SCHEMA_VERSION);
			goto fail;
		}
		return db;
	}

	if (sqlite3_busy_timeout(db->sq, DB_BUSY_MS) != SQLITE_OK) {
		seterr(err, errsz, "busy_timeout: %s",
		    sqlite3_errmsg(db->sq));
		goto fail;
	}
	/*
	 * journal_mode answers with the mode in effect: "memory" for
	 * ":memory:", "wal" otherwise; anything else (e.g. "delete" on a
	 * file system without shared memory) is refused, because reports
	 * would then block the writer.
	 */
	if (pragma(db->sq, "PRAGMA foreign_keys = ON", err, errsz) == -1)
		goto fail;
	{
		sqlite3_stmt	*st;
		const char	*mode;

		if (sqlite3_prepare_v2(db->sq, "PRAGMA journal_mode = WAL", -1,
		    &st, NULL) != SQLITE_OK) {
			seterr(err, errsz, "journal_mode: %s",
			    sqlite3_errmsg(db->sq));
			goto fail;
		}
		rc = sqlite3_step(st);
		mode = rc == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(st, 0) : NULL;
		if (mode == NULL || (strcmp(mode, "wal") != 0 &&
		    strcmp(mode, "memory") != 0)) {
			seterr(err, errsz, "cannot enable WAL: %s",
			    mode != NULL ? mode : sqlite3_errmsg(db->sq));
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
	}
	if (pragma(db->sq, "PRAGMA synchronous = NORMAL", err, errsz) == -1 ||
	    pragma(db->sq, "PRAGMA journal_size_limit = 67108864", err,
	    errsz) == -1 ||
	    migrate(db->sq, err, errsz) == -1)
		goto fail;
	/*
	 * Keep the -wal and -shm files when the daemon closes: a read-only
	 * reader cannot create the -shm itself, so without them a report
	 * run by another user (directory not writable) fails whenever the
	 * daemon is stopped.  No-op for ":memory:".
	 */
	{
		int	 one = 1;

		rc = sqlite3_file_control(db->sq, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
		if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
			seterr(err, errsz, "persistent WAL: %s",
			    sqlite3_errstr(rc));
			goto fail;
		}
	}
	return db;
fail:
	/* Every message above lacks the path: the caller may not know it. */
	if (err != NULL && errsz > 0) {
		char	*msg = xstrdup(err);

		seterr(err, errsz, "%s: %s", path, msg);
		free(msg);
	}
	db_close(db);
	return NULL;
}

void
db_close(struct db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nstmts; i++)
		sqlite3_finalize(db->stmts[i].st);
	/* Every statement is finalized, so close cannot fail with BUSY. */
	if (db->sq != NULL && sqlite3_close(db->sq) != SQLITE_OK)
		log_warnx("closing %s: %s", db->path, sqlite3_errmsg(db->sq));
	free(db->path);
	free(db);
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

struct sqlite3 *
db_sqlite(struct db *db)
{
	return db->sq;
}

void
db_record_error(struct db *db)
{
	db->errcode = sqlite3_extended_errcode(db->sq);
	snprintf(db->errmsg, sizeof(db->errmsg), "%s",
	    sqlite3_errmsg(db->sq));
}

void
db_clear_error(struct db *db)
{
	db->errcode = 0;
	db->errmsg[0] = '\0';
}

int
db_errcode(const struct db *db)
{
	return db->errcode;
}

const char *
db_errmsg(const struct db *db)
{
	return db->errcode == 0 && db->errmsg[0] == '\0' ? "no error" :
	    db->errmsg;
}

struct sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql)
			return db->stmts[i].st;
	if (db->nstmts == DB_MAX_STMTS)
		fatalx("%s: more than %d statements", __func__, DB_MAX_STMTS);
	if (sqlite3_prepare_v3(db->sq, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK) {
		db_record_error(db);
		return NULL;
	}
	db->stmts[db->nstmts].sql = sql;
	db->stmts[db->nstmts].st = st;
	db->nstmts++;
	return st;
}

int
db_step_done(struct db *db, struct sqlite3_stmt *st)
{
	int	 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		db_record_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_exec(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	return db_step_done(db, st);
}

#define SI(f)	'i', offsetof(struct db_settings, f), 0
#define SR(f)	'r', offsetof(struct db_settings, f), 0
#define ST(f)	't', offsetof(struct db_settings, f), \
		    sizeof(((struct db_settings *)0)->f)

const struct db_setting_col db_setting_cols[] = {
	{ "default_duration", SR(default_duration),
	    "minutes booked when a schedule entry gives none" },
	{ "allow_early_join_minutes", SR(allow_early_join_minutes),
	    "the observer joins this long before the start" },
	{ "max_late_join_minutes", SR(max_late_join_minutes),
	    "after start + this, a missing participant is a no-show" },
	{ "max_meeting_duration", SR(max_meeting_duration),
	    "minutes (informational)" },
	{ "auto_end_after_minutes", SR(auto_end_after_minutes),
	    "an empty appointment ends after this long" },
	{ "record_meetings", SI(record_meetings),
	    "1: a recording is expected" },
	{ "require_moderator", SI(require_moderator), "(informational)" },
	{ "enable_chat", SI(enable_chat), "0: chat use raises an alert" },
	{ "enable_screen_share", SI(enable_screen_share),
	    "0: screen sharing raises an alert" },
	{ "enable_recording", SI(enable_recording),
	    "0: a recording raises an alert" },
	{ "enable_file_sharing", SI(enable_file_sharing), "(informational)" },
	{ "enable_virtual_background", SI(enable_virtual_background),
	    "(informational)" },
	{ "video_quality", ST(video_quality), "(informational)" },
	{ "max_participants", SI(max_participants), "(informational)" },
	{ "quality_fair_per_hour", SR(quality_fair_per_hour),
	    "connection incidents per hour for 'fair'" },
	{ "quality_poor_per_hour", SR(quality_poor_per_hour),
	    "connection incidents per hour for 'poor'" },
	{ "leave_grace_seconds", SI(leave_grace_seconds),
	    "(the config file's leave_grace wins)" },
	{ "late_grace_minutes", SR(late_grace_minutes),
	    "joining later than start + this is late" },
	{ "left_early_grace_minutes", SR(left_early_grace_minutes),
	    "leaving before end - this is leaving early" },
	{ "overrun_grace_minutes", SR(overrun_grace_minutes),
	    "staying past end + this is overrunning" },
	{ "alert_caregiver_absent_minutes",
	    SR(alert_caregiver_absent_minutes),
	    "alert: no caregiver this long after the start" },
	{ "alert_patient_waiting_minutes", SR(alert_patient_waiting_minutes),
	    "alert: a patient alone this long" },
	{ "alert_drop_minutes", SR(alert_drop_minutes),
	    "alert: dropped and not back within this" },
	{ "alert_disconnects", SI(alert_disconnects),
	    "alert: this many disconnects within the window" },
	{ "alert_disconnect_window_minutes",
	    SR(alert_disconnect_window_minutes),
	    "the window for alert_disconnects" },
	{ "alert_recording_missing_minutes",
	    SR(alert_recording_missing_minutes),
	    "alert: expected recording not started this long into the "
	    "meeting" },
	{ "alert_rules", ST(alert_rules),
	    "'all', or the rules to raise, comma-separated" },
	{ "alert_admin_jids", ST(alert_admin_jids),
	    "XMPP addresses alerts are sent to, comma-separated" },
	{ "caregiver_role", ST(caregiver_role),
	    "the participant role of caregivers" },
	{ "patient_role", ST(patient_role), "the participant role of patients" },
	{ NULL, 0, 0, 0, NULL }
};

const struct db_setting_col *
db_setting_col(const char *name)
{
	const struct db_setting_col *c;

	for (c = db_setting_cols; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
db_settings_defaults(struct db_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->default_duration = 60;
	s->allow_early_join_minutes = 15;
	s->max_late_join_minutes = 30;
	s->max_meeting_duration = 180;
	s->auto_end_after_minutes = 30;
	s->record_meetings = 0;
	s->require_moderator = 1;
	s->enable_chat = 1;
	s->enable_screen_share = 1;
	s->enable_recording = 1;
	s->enable_file_sharing = 0;
	s->enable_virtual_background = 1;
	snprintf(s->video_quality, sizeof(s->video_quality), "high");
	s->max_participants = 2;
	s->quality_fair_per_hour = 2.0;
	s->quality_poor_per_hour = 6.0;
	s->leave_grace_seconds = 10;
	s->late_grace_minutes = 5;
	s->left_early_grace_minutes = 5;
	s->overrun_grace_minutes = 5;
	s->alert_caregiver_absent_minutes = 5;
	s->alert_patient_waiting_minutes = 5;
	s->alert_drop_minutes = 2;
	s->alert_disconnects = 3;
	s->alert_disconnect_window_minutes = 15;
	s->alert_recording_missing_minutes = 5;
	snprintf(s->alert_rules, sizeof(s->alert_rules), "all");
	snprintf(s->caregiver_role, sizeof(s->caregiver_role), "caregiver");
	snprintf(s->patient_role, sizeof(s->patient_role), "patient");
}

/* SELECT of every column in db_setting_cols, built once (static). */
static const char *
settings_sql(void)
{
	static char	 sql[2048];
	const struct db_setting_col *c;
	size_t		 o;

	if (sql[0] != '\0')
		return sql;
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (c = db_setting_cols; c->name != NULL; c++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s%s",
		    c == db_setting_cols ? "" : ", ", c->name);
	snprintf(sql + o, sizeof(sql) - o, " FROM meeting_settings"
	    " WHERE id = 1");
	return sql;
}

int
db_settings(struct db *db, struct db_settings *s)
{
	const struct db_setting_col *c;
	sqlite3_stmt	*st;
	char		*base = (char *)s;
	int		 i, rc;

	db_settings_defaults(s);
	if ((st = db_prepare(db, settings_sql())) == NULL)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (i = 0, c = db_setting_cols; c->name != NULL; c++, i++) {
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				continue;
			switch (c->type) {
			case 'i':
				*(int *)(base + c->off) =
				    sqlite3_column_int(st, i);
				break;
			case 'r':
				*(double *)(base + c->off) =
				    sqlite3_column_double(st, i);
				break;
			default:
				snprintf(base + c->off, c->size, "%s",
				    (const char *)sqlite3_column_text(st, i));
				break;
			}
		}
	} else if (rc != SQLITE_DONE) {
		db_record_error(db);
		sqlite3_reset(st);
		db_settings_defaults(s);
		goto fail;
	}
	sqlite3_reset(st);
	return 0;
fail:
	log_warnx("%s: reading meeting_settings: %s", db->path,
	    db_errmsg(db));
	return -1;
}

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
		if (db->errcode == 0)
			db_record_error(db);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
fail:
	log_warnx("%s: closing stale sessions: %s: %s", db->path, what,
	    db_errmsg(db));
	if (!sqlite3_get_autocommit(db->sq) && db_exec(db, sql_rollback) == -1)
		log_warnx("%s: ROLLBACK: %s", db->path, db_errmsg(db));
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
	log_warnx("%s: resuming appointments: %s: %s", db->path, what,
	    db_errmsg(db));
	if (!sqlite3_get_autocommit(db->sq) && db_exec(db, sql_rollback) == -1)
		log_warnx("%s: ROLLBACK: %s", db->path, db_errmsg(db));
	return -1;
}
