/*
 * The storage writer's SQL (writer_int.h): every statement a batch
 * runs, for SQLite and, where the dialects differ, PostgreSQL (db_pick),
 * and the functions that bind a queued snapshot to them.  Every value
 * is bound, never pasted into the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"
#include "writer_int.h"
#include "xmalloc.h"

/*
 * A counter or a flag that only grows: SQLite's MAX(a, b) is PostgreSQL's
 * GREATEST(a, b), so the upserts say it in words both know.
 */
#define KEEP_MAX(c) \
	" " c " = CASE WHEN excluded." c " > t." c " THEN excluded." c \
	" ELSE t." c " END"
/* The same in a plain UPDATE: p, the parameter, against the column c. */
#define KEEP_MAX_P(c, p) \
	" " c " = CASE WHEN " p " > " c " THEN " p " ELSE " c " END"

/*
 * An upsert's id on PostgreSQL: the row's own when it exists, else the
 * next from its identity sequence.  PostgreSQL evaluates a column's
 * default before it finds the conflict, so a plain upsert would take a
 * number for every rollup of a row and the ids would grow by thousands
 * a meeting; COALESCE() asks the sequence only for a new row.
 */
#define PG_ID(table, where) \
	"COALESCE((SELECT id FROM " table " WHERE " where ")," \
	" nextval(pg_get_serial_sequence('" table "', 'id'))), "

/*
 * Identifiers learned once (appointment, meeting id) are kept when a
 * snapshot lacks them, so a value set by the scheduler is not erased.
 * Counters and "ever" flags only grow and the start only moves earlier:
 * within one run that is what room.c reports anyway, and an appointment
 * resumed after a daemon restart (its row observed again from zero)
 * never loses what the previous run recorded.  The rest is the
 * snapshot's.  A new row's createdAt and updatedAt are the batch's time,
 * bound: the columns' strftime() defaults cost two clock reads and
 * formats a row, as much as an index.
 */
#define SESSION_SQL(id_col, id_val) \
	"INSERT INTO teleconferencesessions AS t (" id_col "session_uid," \
	" appointmentId, roomId, jitsi_room_name, jitsi_meeting_id," \
	" startTime, endTime, session_status, end_reason," \
	" total_duration_seconds," \
	" participant_count, peak_participants, total_disconnections," \
	" recording_status, recording_duration_seconds, connection_quality," \
	" status_reason, billable_seconds, patient_wait_seconds, shard," \
	" createdAt, updatedAt)" \
	" VALUES (" id_val "?1, ?2, ?3, ?4, ?5, ?6, ?7," \
	" COALESCE(?8, 'active'), ?9, ?10, ?11, ?12, ?13," \
	" COALESCE(?14, 'not_recorded'), ?15, ?16, ?17, ?18, ?19, ?21," \
	" ?20, ?20)" \
	" ON CONFLICT (session_uid) DO UPDATE SET" \
	" appointmentId = COALESCE(excluded.appointmentId, t.appointmentId)," \
	" roomId = excluded.roomId," \
	" jitsi_room_name = excluded.jitsi_room_name," \
	" jitsi_meeting_id = COALESCE(excluded.jitsi_meeting_id," \
	"  t.jitsi_meeting_id)," \
	" startTime = CASE WHEN t.startTime IS NULL" \
	"  OR excluded.startTime < t.startTime THEN excluded.startTime" \
	"  ELSE t.startTime END," \
	" endTime = excluded.endTime," \
	" session_status = COALESCE(?8, t.session_status)," \
	" end_reason = excluded.end_reason," \
	KEEP_MAX("total_duration_seconds") "," \
	KEEP_MAX("participant_count") "," \
	KEEP_MAX("peak_participants") "," \
	KEEP_MAX("total_disconnections") "," \
	" recording_status = excluded.recording_status," \
	KEEP_MAX("recording_duration_seconds") "," \
	" connection_quality = excluded.connection_quality," \
	" status_reason = COALESCE(excluded.status_reason, t.status_reason)," \
	" billable_seconds = COALESCE(excluded.billable_seconds," \
	"  t.billable_seconds)," \
	" patient_wait_seconds = COALESCE(excluded.patient_wait_seconds," \
	"  t.patient_wait_seconds)," \
	" updatedAt = ?20," \
	" shard = COALESCE(t.shard, excluded.shard)" \
	" WHERE t.shard IS NULL OR excluded.shard IS NULL" \
	" OR t.shard = excluded.shard"
/*
 * The row's id: RETURNING on PostgreSQL.  SQLite runs a RETURNING
 * statement whole into a temporary table before its first row comes
 * back, which cost a third of each new row's upsert; there a new row's
 * id is the connection's last insert id, and an updated row's is read
 * back by the unique key (step_id()).
 */
static const char sql_session[] = SESSION_SQL("", "");
static const char sql_session_pg[] = SESSION_SQL("id, ",
	PG_ID("teleconferencesessions", "session_uid = ?1")) " RETURNING id";
static const char sql_session_id[] =
	"SELECT id FROM teleconferencesessions WHERE session_uid = ?1";
/*
 * The same row again, its indexed columns unchanged (SQLite), as
 * sql_participant_update is for a participant: the upsert rewrites the
 * entries of the table's ten indexes, this touches none.  Same
 * parameters, the row's id as ?22, the same rules column for column;
 * the shard must already be the one the upsert would keep.
 */
static const char sql_session_update[] =
	"UPDATE teleconferencesessions SET"
	" jitsi_room_name = ?4, end_reason = ?9,"
	KEEP_MAX_P("total_duration_seconds", "?10") ","
	KEEP_MAX_P("participant_count", "?11") ","
	KEEP_MAX_P("peak_participants", "?12") ","
	KEEP_MAX_P("total_disconnections", "?13") ","
	" recording_status = COALESCE(?14, 'not_recorded'),"
	KEEP_MAX_P("recording_duration_seconds", "?15") ","
	" connection_quality = ?16,"
	" status_reason = COALESCE(?17, status_reason),"
	" billable_seconds = COALESCE(?18, billable_seconds),"
	" patient_wait_seconds = COALESCE(?19, patient_wait_seconds),"
	" updatedAt = ?20"
	" WHERE id = ?22 AND shard IS ?21";

/*
 * Client details come from the companion module and may be missing from
 * a later snapshot: kept when NULL.  user_id belongs to the application
 * and is never written here.
 */
#define PARTICIPANT_SQL(id_col, id_val) \
	"INSERT INTO teleconference_participant_sessions AS t" \
	" (" id_col "teleconference_session_id, participant_key," \
	" appointment_id, participant_id, participant_role, participant_name," \
	" nick, jid, stats_id, joined_at, left_at, left_reason," \
	" session_duration_seconds," \
	" join_count, disconnection_count, connection_quality, device_type," \
	" browser, operating_system, ip_address, user_agent, camera_enabled," \
	" microphone_enabled, screen_shared, spoke_time_seconds," \
	" messages_sent, reactions_sent, issues_encountered, is_moderator," \
	" session_status, lobby_wait_seconds, createdAt, updatedAt)" \
	" VALUES (" id_val "?1, ?2, ?3, ?4, COALESCE(?5, 'unknown'), ?6, ?7," \
	" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21," \
	" ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?32, ?31, ?31)" \
	" ON CONFLICT (teleconference_session_id, participant_key)" \
	" DO UPDATE SET" \
	" appointment_id = COALESCE(excluded.appointment_id," \
	"  t.appointment_id)," \
	" participant_id = COALESCE(excluded.participant_id," \
	"  t.participant_id)," \
	" participant_role = excluded.participant_role," \
	" participant_name = excluded.participant_name," \
	" nick = excluded.nick," \
	" jid = COALESCE(excluded.jid, t.jid)," \
	" stats_id = COALESCE(excluded.stats_id, t.stats_id)," \
	" joined_at = CASE WHEN t.joined_at IS NULL" \
	"  OR excluded.joined_at < t.joined_at THEN excluded.joined_at" \
	"  ELSE t.joined_at END," \
	" left_at = excluded.left_at," \
	" left_reason = excluded.left_reason," \
	KEEP_MAX("session_duration_seconds") "," \
	KEEP_MAX("join_count") "," \
	KEEP_MAX("disconnection_count") "," \
	" connection_quality = excluded.connection_quality," \
	" device_type = COALESCE(excluded.device_type, t.device_type)," \
	" browser = COALESCE(excluded.browser, t.browser)," \
	" operating_system = COALESCE(excluded.operating_system," \
	"  t.operating_system)," \
	" ip_address = COALESCE(excluded.ip_address, t.ip_address)," \
	" user_agent = COALESCE(excluded.user_agent, t.user_agent)," \
	KEEP_MAX("camera_enabled") "," \
	KEEP_MAX("microphone_enabled") "," \
	KEEP_MAX("screen_shared") "," \
	" spoke_time_seconds = COALESCE(excluded.spoke_time_seconds," \
	"  t.spoke_time_seconds)," \
	KEEP_MAX("messages_sent") "," \
	KEEP_MAX("reactions_sent") "," \
	" issues_encountered = excluded.issues_encountered," \
	KEEP_MAX("is_moderator") "," \
	" session_status = excluded.session_status," \
	" lobby_wait_seconds = COALESCE(excluded.lobby_wait_seconds," \
	"  t.lobby_wait_seconds)," \
	" updatedAt = ?31"
/*
 * The same row again, its indexed columns unchanged (SQLite): an UPDATE
 * naming only the columns that change during a stay leaves the table's
 * seven indexes alone, where the UPSERT above rewrites them all.  Same
 * parameters; the same rules (KEEP_MAX, COALESCE) column for column.
 */
static const char sql_participant_update[] =
	"UPDATE teleconference_participant_sessions SET"
	" participant_name = ?6, nick = ?7, jid = COALESCE(?8, jid),"
	" stats_id = COALESCE(?9, stats_id), left_reason = ?12,"
	KEEP_MAX_P("session_duration_seconds", "?13") ","
	KEEP_MAX_P("join_count", "?14") ","
	KEEP_MAX_P("disconnection_count", "?15") ","
	" connection_quality = ?16,"
	" device_type = COALESCE(?17, device_type),"
	" browser = COALESCE(?18, browser),"
	" operating_system = COALESCE(?19, operating_system),"
	" ip_address = COALESCE(?20, ip_address),"
	" user_agent = COALESCE(?21, user_agent),"
	KEEP_MAX_P("camera_enabled", "?22") ","
	KEEP_MAX_P("microphone_enabled", "?23") ","
	KEEP_MAX_P("screen_shared", "?24") ","
	" spoke_time_seconds = COALESCE(?25, spoke_time_seconds),"
	KEEP_MAX_P("messages_sent", "?26") ","
	KEEP_MAX_P("reactions_sent", "?27") ","
	" issues_encountered = ?28,"
	KEEP_MAX_P("is_moderator", "?29") ","
	" session_status = ?30, updatedAt = ?31,"
	" lobby_wait_seconds = COALESCE(?32, lobby_wait_seconds)"
	" WHERE id = ?33";
static const char sql_participant[] = PARTICIPANT_SQL("", "");
static const char sql_participant_pg[] = PARTICIPANT_SQL("id, ",
	PG_ID("teleconference_participant_sessions",
	"teleconference_session_id = ?1 AND participant_key = ?2"))
	" RETURNING id";
static const char sql_participant_id[] =
	"SELECT id FROM teleconference_participant_sessions"
	" WHERE teleconference_session_id = ?1 AND participant_key = ?2";

/* The side effects of appointment events (appt.c), bound typed. */
static const char sql_attendance[] =
	"UPDATE teleconference_participant_sessions SET"
	" expected = ?2, attendance = ?3, late_minutes = ?4,"
	" left_early_minutes = ?5, overran_minutes = ?6, updatedAt = ?7"
	" WHERE id = ?1";

/*
 * Raised once: an open alert of the same rule and subject stays (NOT
 * EXISTS spares PostgreSQL's sequence a number; ON CONFLICT settles two
 * writers raising it at once).
 */
static const char sql_alert_raise[] =
	"INSERT INTO alerts (teleconference_session_id, participant_session_id,"
	" appointment_id, rule, subject, severity, raised_at, details)"
	" SELECT ?1, (SELECT id FROM teleconference_participant_sessions"
	"  WHERE teleconference_session_id = ?1 AND participant_key = ?2),"
	" ?3, ?4, COALESCE(?5, ''), ?6, ?7, ?8"
	" WHERE NOT EXISTS (SELECT 1 FROM alerts"
	"  WHERE teleconference_session_id = ?1 AND rule = ?4"
	"  AND subject = COALESCE(?5, '') AND cleared_at IS NULL)"
	" ON CONFLICT (teleconference_session_id, rule, subject)"
	" WHERE cleared_at IS NULL DO NOTHING";

static const char sql_alert_clear[] =
	"UPDATE alerts SET cleared_at = ?3, updatedAt = ?5"
	" WHERE teleconference_session_id = ?1 AND cleared_at IS NULL"
	" AND rule = ?2 AND subject = COALESCE(?4, '')";

/*
 * A provisional participant (a tab, bot/derive/tabs.c) was a reconnect of
 * another: its event and alert rows move to that participant (its join is
 * stated again as the reconnect that follows) and its row goes.
 */
static const char sql_merge_find[] =
	"SELECT id FROM teleconference_participant_sessions"
	" WHERE teleconference_session_id = ?1 AND participant_key = ?2";
/*
 * The session row keeps the largest counts it was given (a resumed
 * appointment starts counting from zero): the one the tab added is taken
 * back only where it is still the count the tab made (?2, ?3: the counts
 * after the merge), and is not the count of the batch's latest snapshot
 * (?5, ?6), which the row got in the first pass.  Someone who joins
 * after the merge, in the same batch, brings the count back up to what
 * it was with the tab: that count is theirs (fuzz finding F6).
 */
static const char sql_merge_counts[] =
	"UPDATE teleconferencesessions SET"
	" participant_count = CASE WHEN participant_count = ?2 + 1"
	"  AND participant_count > ?5 THEN ?2 ELSE participant_count END,"
	" peak_participants = CASE WHEN ?4 AND peak_participants = ?3 + 1"
	"  AND peak_participants > ?6 THEN ?3 ELSE peak_participants END"
	" WHERE id = ?1";
static const char *const sql_merge[] = {
	"DELETE FROM teleconference_events WHERE participant_session_id = ?1"
	" AND event_type = 'join'",
	"UPDATE teleconference_events SET participant_session_id = ?2"
	" WHERE participant_session_id = ?1",
	"UPDATE alerts SET participant_session_id = ?2, updatedAt = ?3"
	" WHERE participant_session_id = ?1",
	"DELETE FROM teleconference_participant_sessions WHERE id = ?1",
};

static const char sql_event[] =
	"INSERT INTO teleconference_events (teleconference_session_id,"
	" participant_session_id, event_type, event_data, timestamp)"
	" VALUES (?1, ?2, ?3, ?4, ?5)";

/*
 * Writing
 */

static int
bind_str(struct db_stmt *st, int i, const char *s)
{
	return db_bind_text(st, i, s);
}

/* A time in ms since the epoch as our timestamp text; 0 (unset): NULL. */
static int
bind_time(struct db_stmt *st, int i, int64_t ms)
{
	char	 buf[32];

	if (ms <= 0)
		return db_bind_null(st, i);
	event_iso8601(ms, buf, sizeof(buf));
	return db_bind_copy(st, i, buf);
}

/*
 * Step an upsert to completion; 0 with *id set, or -1 with the error
 * recorded.  The id: the upsert's RETURNING (PostgreSQL); on SQLite the
 * id of the row it inserted, or, when it updated one, what sel (the
 * row's unique key bound) reads back.  (An insert whose id happens to
 * equal the last one inserted elsewhere is read back too: still right.)
 * No row written: the upsert's WHERE kept the row as it was, because
 * another shard recorded it (a session uid both made).
 */
static int
step_id(struct db *db, struct db_stmt *st, struct db_stmt *sel,
    const char *uid, int64_t *id)
{
	char	 esc[128];
	int64_t	 before, after;
	int	 rc;

	*id = -1;
	before = sel != NULL ? db_last_insert_id(db) : 0;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_column_int(st, 0);
		rc = db_step(st);
	} else if (rc == DB_DONE && sel != NULL && db_changes(db) > 0) {
		if ((after = db_last_insert_id(db)) != before)
			*id = after;
		else if ((rc = db_step(sel)) == DB_ROW) {
			*id = db_column_int(sel, 0);
			rc = DB_DONE;
		} else if (rc == DB_DONE) {
			db_set_error(db, DB_ERR_CONTENT, 0, "session %s: the "
			    "row just written is not there",
			    log_escape(esc, sizeof(esc), uid));
			rc = -1;
		}
		db_reset(sel);
	} else if (rc == DB_DONE) {
		db_set_error(db, DB_ERR_CONTENT, 0, "session %s belongs to "
		    "another shard", log_escape(esc, sizeof(esc), uid));
		rc = -1;
	}
	db_reset(st);
	return rc == DB_DONE && *id != -1 ? 0 : -1;
}

/* SQLite: sql, the query of an upserted row's id (*sel); NULL elsewhere. */
static int
id_query(struct db *db, const char *sql, struct db_stmt **sel)
{
	*sel = NULL;
	if (db_backend(db) != DB_SQLITE)
		return 0;
	return (*sel = db_prepare(db, sql)) != NULL ? 0 : -1;
}

/* A bind failed (its error is recorded): reset. */
static int
bind_failed(struct db_stmt *st)
{
	db_reset(st);
	return -1;
}

/*
 * Step a narrow UPDATE (sql_session_update, sql_participant_update) of
 * the row rowid, its other parameters bound, with rowid as parameter i:
 * 1 with *id set, 0 when it changed no row (deleted by hand, another
 * shard's: the caller writes it with the upsert), or -1.
 */
static int
narrow_update(struct db *db, struct db_stmt *st, int i, int64_t rowid,
    int64_t *id)
{
	int	 rc;

	if (db_bind_int(st, i, rowid) != 0)
		return bind_failed(st);
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return -1;
	if (db_changes(db) != 1)
		return 0;
	*id = rowid;
	return 1;
}

/* A session snapshot as parameters 1-21 of either statement. */
static int
bind_session(struct writer *w, struct db_stmt *st, const struct session_rec *s)
{
	int	 rc = 0;

	rc |= bind_str(st, 1, s->uid);
	rc |= bind_str(st, 2, s->appointment_id);
	rc |= bind_str(st, 3, s->room_jid);
	rc |= bind_str(st, 4, s->room);
	rc |= bind_str(st, 5, s->meeting_id);
	rc |= bind_time(st, 6, s->start_ms);
	rc |= bind_time(st, 7, s->end_ms);
	rc |= bind_str(st, 8, s->status);
	rc |= bind_str(st, 9, s->end_reason);
	rc |= db_bind_int(st, 10, s->duration_s);
	rc |= db_bind_int(st, 11, s->participant_count);
	rc |= db_bind_int(st, 12, s->peak_participants);
	rc |= db_bind_int(st, 13, s->total_disconnections);
	rc |= bind_str(st, 14, s->recording_status);
	rc |= db_bind_int(st, 15, s->recording_duration_s);
	rc |= bind_str(st, 16, s->connection_quality);
	rc |= bind_str(st, 17, s->status_reason);
	if (s->appt_figures) {
		rc |= db_bind_int(st, 18, s->billable_s);
		rc |= db_bind_int(st, 19, s->patient_wait_s);
	} else {
		rc |= db_bind_null(st, 18);
		rc |= db_bind_null(st, 19);
	}
	rc |= bind_str(st, 20, w->stamp);
	rc |= bind_str(st, 21, w->shard);
	return rc;
}

/*
 * r: the row as last committed, or NULL.  With the indexed columns as
 * r says them (on SQLite), the UPDATE; else, or when the UPDATE found
 * no row to change (deleted by hand, or the shard differs), the upsert.
 */
int
write_session(struct writer *w, const struct session_rec *s,
    const struct row *r, int64_t *id)
{
	struct db			*db = w->db;
	const struct session_rec	*was;
	struct db_stmt			*st, *sel;
	int				 rc;

	was = r != NULL ? &r->q->s : NULL;
	if (was != NULL && r->id > 0 && db_backend(db) == DB_SQLITE &&
	    streq(s->appointment_id, was->appointment_id) &&
	    streq(s->room_jid, was->room_jid) &&
	    streq(s->meeting_id, was->meeting_id) &&
	    s->start_ms == was->start_ms && s->end_ms == was->end_ms &&
	    (s->status == NULL || streq(s->status, was->status))) {
		if ((st = db_prepare(db, sql_session_update)) == NULL)
			return -1;
		if (bind_session(w, st, s) != 0)
			return bind_failed(st);
		if ((rc = narrow_update(db, st, 22, r->id, id)) != 0)
			return rc == 1 ? 0 : -1;
	}
	if ((st = db_prepare(db, db_pick(db, sql_session, sql_session_pg))) ==
	    NULL)
		return -1;
	if (bind_session(w, st, s) != 0 ||
	    id_query(db, sql_session_id, &sel) == -1 ||
	    (sel != NULL && bind_str(sel, 1, s->uid) != 0))
		return bind_failed(st);
	return step_id(db, st, sel, s->uid, id);
}

/* A participant snapshot as parameters 1-32 of either statement. */
static int
bind_participant(struct writer *w, struct db_stmt *st, const struct qev *e,
    int64_t sid)
{
	const struct participant_rec	*p = &e->p;
	char				*issues;
	int				 rc = 0;

	issues = event_issues_json(p->issues, p->nissues);
	rc |= db_bind_int(st, 1, sid);
	rc |= bind_str(st, 2, p->key);
	rc |= bind_str(st, 3, e->s.appointment_id);
	rc |= bind_str(st, 4, p->participant_id);
	rc |= bind_str(st, 5, p->role);
	rc |= bind_str(st, 6, p->name);
	rc |= bind_str(st, 7, p->nick);
	rc |= bind_str(st, 8, p->jid);
	rc |= bind_str(st, 9, p->stats_id);
	rc |= bind_time(st, 10, p->joined_ms);
	/* Present: not left (yet), whatever an earlier leave said. */
	rc |= bind_time(st, 11, p->present ? 0 : p->left_ms);
	rc |= bind_str(st, 12, p->present ? NULL : p->left_reason);
	rc |= db_bind_int(st, 13, p->duration_s);
	rc |= db_bind_int(st, 14, p->join_count);
	rc |= db_bind_int(st, 15, p->disconnection_count);
	rc |= bind_str(st, 16, p->connection_quality);
	rc |= bind_str(st, 17, p->device_type);
	rc |= bind_str(st, 18, p->browser);
	rc |= bind_str(st, 19, p->operating_system);
	rc |= bind_str(st, 20, p->ip_address);
	rc |= bind_str(st, 21, p->user_agent);
	rc |= db_bind_int(st, 22, p->camera_enabled != 0);
	rc |= db_bind_int(st, 23, p->microphone_enabled != 0);
	rc |= db_bind_int(st, 24, p->screen_shared != 0);
	if (p->spoke_known)
		rc |= db_bind_real(st, 25, p->spoke_time_s);
	else
		rc |= db_bind_null(st, 25);
	rc |= db_bind_int(st, 26, p->messages_sent);
	rc |= db_bind_int(st, 27, p->reactions_sent);
	rc |= db_bind_copy(st, 28, issues);
	free(issues);
	rc |= db_bind_int(st, 29, p->is_moderator != 0);
	rc |= bind_str(st, 30, p->present ? "present" : "left");
	rc |= bind_str(st, 31, w->stamp);
	if (p->lobby_known)
		rc |= db_bind_int(st, 32, p->lobby_wait_s);
	else
		rc |= db_bind_null(st, 32);
	return rc;
}

int
write_participant(struct writer *w, const struct qev *e, const struct row *r,
    int64_t sid, int64_t *id)
{
	struct db			*db = w->db;
	const struct participant_rec	*p = &e->p, *was;
	struct db_stmt			*st, *sel;
	int				 rc;

	was = r != NULL ? &r->q->p : NULL;
	if (was != NULL && r->id > 0 && db_backend(db) == DB_SQLITE &&
	    streq(e->s.appointment_id, r->q->s.appointment_id) &&
	    streq(p->participant_id, was->participant_id) &&
	    streq(p->role, was->role) && p->joined_ms == was->joined_ms &&
	    p->present == was->present && p->left_ms == was->left_ms) {
		if ((st = db_prepare(db, sql_participant_update)) == NULL)
			return -1;
		if (bind_participant(w, st, e, sid) != 0)
			return bind_failed(st);
		if ((rc = narrow_update(db, st, 33, r->id, id)) != 0)
			return rc == 1 ? 0 : -1;
	}
	if ((st = db_prepare(db, db_pick(db, sql_participant,
	    sql_participant_pg))) == NULL)
		return -1;
	if (bind_participant(w, st, e, sid) != 0 ||
	    id_query(db, sql_participant_id, &sel) == -1 ||
	    (sel != NULL && (db_bind_int(sel, 1, sid) != 0 ||
	    bind_str(sel, 2, p->key) != 0)))
		return bind_failed(st);
	return step_id(db, st, sel, e->s.uid, id);
}

int
write_event(struct db *db, const struct qev *e, int64_t sid, int64_t pid)
{
	struct db_stmt	*st;
	char		 ts[32];
	int		 rc = 0;

	if ((st = db_prepare(db, sql_event)) == NULL)
		return -1;
	rc |= db_bind_int(st, 1, sid);
	if (pid > 0)
		rc |= db_bind_int(st, 2, pid);
	else
		rc |= db_bind_null(st, 2);
	rc |= bind_str(st, 3, event_type_name(e->ev.type));
	rc |= bind_str(st, 4, e->data);
	/* A zero time is room.c's bug, yet the event is worth keeping. */
	rc |= bind_str(st, 5, event_iso8601(e->ev.ts_ms, ts, sizeof(ts)));
	if (rc != 0)
		return bind_failed(st);
	return db_step_done(db, st);
}

/* Minutes with one decimal, as the JSON of the event says them. */
static int
bind_minutes(struct db_stmt *st, int i, int64_t ms)
{
	if (ms < 0)
		return db_bind_null(st, i);
	return db_bind_real(st, i, (double)((ms + 3000) / 6000) / 10.0);
}

/*
 * The row changes an appointment event makes besides its event row:
 * attendance columns, or an alerts row.
 */
int
write_side_effect(struct writer *w, const struct qev *e, int64_t sid,
    int64_t pid)
{
	const struct attendance_rec	*at = e->ev.attendance;
	const struct alert_rec		*al = e->ev.alert;
	struct db			*db = w->db;
	struct db_stmt			*st;
	char				 ts[32];
	int				 rc = 0;

	if (at != NULL && e->ev.type == EVENT_ATTENDANCE) {
		if (pid <= 0)
			return 0;
		if ((st = db_prepare(db, sql_attendance)) == NULL)
			return -1;
		rc |= db_bind_int(st, 1, pid);
		if (at->expected < 0)
			rc |= db_bind_null(st, 2);
		else
			rc |= db_bind_int(st, 2, at->expected != 0);
		rc |= bind_str(st, 3, at->attendance);
		rc |= bind_minutes(st, 4, at->late_ms);
		rc |= bind_minutes(st, 5, at->left_early_ms);
		rc |= bind_minutes(st, 6, at->overran_ms);
		rc |= bind_str(st, 7, w->stamp);
	} else if (al != NULL && e->ev.type == EVENT_ALERT) {
		event_iso8601(e->ev.ts_ms, ts, sizeof(ts));
		if (al->raised) {
			if ((st = db_prepare(db, sql_alert_raise)) == NULL)
				return -1;
			rc |= db_bind_int(st, 1, sid);
			rc |= bind_str(st, 2, al->participant_key);
			rc |= bind_str(st, 3, al->appointment_id);
			rc |= bind_str(st, 4, al->rule);
			rc |= bind_str(st, 5, al->subject);
			rc |= bind_str(st, 6, al->severity);
			rc |= db_bind_copy(st, 7, ts);
			rc |= bind_str(st, 8, e->details);
		} else {
			if ((st = db_prepare(db, sql_alert_clear)) == NULL)
				return -1;
			rc |= db_bind_int(st, 1, sid);
			rc |= bind_str(st, 2, al->rule);
			rc |= db_bind_copy(st, 3, ts);
			rc |= bind_str(st, 4, al->subject);
			rc |= bind_str(st, 5, w->stamp);
		}
	} else
		return 0;
	if (rc != 0)
		return bind_failed(st);
	return db_step_done(db, st);
}

/*
 * Fold the rows of participant key merge_from into pid's (sql_merge).
 * latest is the session snapshot the batch wrote to the session row.
 */
int
write_merge(struct writer *w, const struct qev *e,
    const struct session_rec *latest, int64_t sid, int64_t pid)
{
	struct ent	*te;
	struct db_stmt	*st;
	int64_t		 tab = 0;
	size_t		 i;
	int		 rc = 0, n;

	if (e->ev.merge_from == NULL || pid <= 0)
		return 0;
	if ((te = cache_get(&w->cache, e->s.uid, e->ev.merge_from)) != NULL &&
	    te->id > 0) {
		tab = te->id;
		te->written = 0;	/* the row is gone: not a kept row */
	} else {
		if ((st = db_prepare(w->db, sql_merge_find)) == NULL)
			return -1;
		if (db_bind_int(st, 1, sid) == -1 ||
		    bind_str(st, 2, e->ev.merge_from) == -1)
			return bind_failed(st);
		if ((rc = db_step(st)) == DB_ROW)
			tab = db_column_int(st, 0);
		db_reset(st);
		if (rc == -1)
			return -1;
	}
	if ((st = db_prepare(w->db, sql_merge_counts)) == NULL)
		return -1;
	rc = db_bind_int(st, 1, sid);
	rc |= db_bind_int(st, 2, e->s.participant_count);
	rc |= db_bind_int(st, 3, e->s.peak_participants);
	rc |= db_bind_int(st, 4, e->ev.merge_peak_lowered != 0);
	rc |= db_bind_int(st, 5, latest->participant_count);
	rc |= db_bind_int(st, 6, latest->peak_participants);
	if (rc != 0)
		return bind_failed(st);
	if (db_step_done(w->db, st) == -1)
		return -1;
	if (tab <= 0)
		return 0;	/* never written: nothing to fold */
	for (i = 0; i < sizeof(sql_merge) / sizeof(sql_merge[0]); i++) {
		if ((st = db_prepare(w->db, sql_merge[i])) == NULL)
			return -1;
		n = db_param_count(st);
		rc = db_bind_int(st, 1, tab);
		if (n > 1)
			rc |= db_bind_int(st, 2, pid);
		if (n > 2)
			rc |= bind_str(st, 3, w->stamp);
		if (rc != 0)
			return bind_failed(st);
		if (db_step_done(w->db, st) == -1)
			return -1;
	}
	return 0;
}

/* A participant snapshot that can have a row (room.c always sets key). */
int
has_participant(const struct qev *e)
{
	return e->ev.participant != NULL && e->p.key != NULL;
}
