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

#include <jansson.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Days since an epoch, for arithmetic on times as the scheduling app may
 * have written them (NULL when one is not a time): SQLite's julianday(),
 * PostgreSQL's teletrack_time() (pg/001_schema.sql).
 */
#define JD_LITE(t)	"julianday(" t ")"
#define JD_PG(t) \
	"(EXTRACT(EPOCH FROM teletrack_time(" t ")) / 86400.0)"

/*
 * A booked appointment still within its time (start + duration + the
 * auto-end wait): the daemon picks it up again, so it is not closed.
 * Needs ?1 = now as timestamp text.
 */
#define RESUMABLE(jd) \
	"s.scheduled_start IS NOT NULL AND " jd("s.scheduled_start") " +" \
	" (COALESCE(s.scheduled_duration_minutes, (SELECT default_duration" \
	"  FROM meeting_settings WHERE id = 1), 60) + COALESCE((SELECT" \
	"  auto_end_after_minutes FROM meeting_settings WHERE id = 1), 30))" \
	" / 1440.0 > " jd("?1")

/* The sessions of this daemon's shard (?2; NULL: of no shard). */
#define OURS	" AND s.shard IS NOT DISTINCT FROM ?2"

/*
 * Stale sessions and the candidates for their end: the last event, the
 * start, and the start plus the last persisted duration.  All three are
 * in our sortable timestamp format, so the latest is a string compare.
 */
#define STALE_SQL(jd, plus) \
	"SELECT s.id, s.peak_participants, s.startTime," \
	" (SELECT MAX(e.timestamp) FROM teleconference_events e" \
	"  WHERE e.teleconference_session_id = s.id), " plus \
	" FROM teleconferencesessions s WHERE s.session_status = 'active'" \
	" AND NOT (" RESUMABLE(jd) ")" OURS \
	" ORDER BY s.id"
static const char stale_sql[] = STALE_SQL(JD_LITE,
	"strftime('%Y-%m-%dT%H:%M:%fZ', s.startTime,"
	" '+' || s.total_duration_seconds || ' seconds')");
static const char stale_sql_pg[] = STALE_SQL(JD_PG,
	"teletrack_iso(teletrack_time(s.startTime)"
	" + s.total_duration_seconds * INTERVAL '1 second')");

/* The seconds from startTime to ?2, when both are times. */
#define SPAN(jd) \
	"COALESCE(CAST(ROUND((" jd("?2") " - " jd("startTime") ") * 86400)" \
	" AS BIGINT), 0)"
#define STALE_SESSION_SQL(jd) \
	"UPDATE teleconferencesessions SET endTime = ?2," \
	" end_reason = 'observer_restarted', session_status = ?3," \
	" total_duration_seconds = CASE WHEN " SPAN(jd) \
	"  > total_duration_seconds THEN " SPAN(jd) \
	"  ELSE total_duration_seconds END," \
	" updatedAt = ?4" \
	" WHERE id = ?1"
static const char stale_session_sql[] = STALE_SESSION_SQL(JD_LITE);
static const char stale_session_sql_pg[] = STALE_SESSION_SQL(JD_PG);

static const char stale_participants_sql[] =
	"UPDATE teleconference_participant_sessions SET"
	" session_status = 'left', left_at = ?2,"
	" left_reason = 'observer_restarted', updatedAt = ?3"
	" WHERE teleconference_session_id = ?1 AND session_status = 'present'";

static const char stale_event_sql[] =
	"INSERT INTO teleconference_events (teleconference_session_id,"
	" participant_session_id, event_type, event_data, timestamp)"
	" VALUES (?1, NULL, 'session_end', ?2, ?3)";

/* A session one repair rewrites. */
struct fix {
	int64_t	 id;
	char	 at[32];	/* stale: its end; resumed: since when */
	int	 completed;	/* stale: two or more were there */
};

/*
 * One repair: the sessions sql selects (?1 = now, ?2 = shard), each
 * read by keep() and rewritten by apply(), which names its step in
 * *what for the log.
 */
struct repair {
	const char	*name;		/* for the log */
	const char	*finding;	/* ... the SELECT */
	const char	*sql, *sql_pg;
	void		(*keep)(struct db_stmt *, const char *now,
			    struct fix *);
	int		(*apply)(struct db *, const struct fix *,
			    const char *now, const char **what);
};

/* Copy into dst the latest non-NULL timestamp column of st among cols. */
static void
latest(struct db_stmt *st, const int *cols, int ncols, char *dst,
    size_t dstsz)
{
	const char	*t;
	int		 i;

	dst[0] = '\0';
	for (i = 0; i < ncols; i++) {
		t = db_column_text(st, cols[i]);
		if (t != NULL && strcmp(t, dst) > 0)
			snprintf(dst, dstsz, "%s", t);
	}
}

/*
 * Run sql with ?1 = id, ?2 = a, ?3 = b (and ?4 = c unless NULL) to
 * completion and reset it.  Returns 0, or -1 with the error recorded.
 */
static int
run_id(struct db *db, const char *sql, int64_t id, const char *a,
    const char *b, const char *c)
{
	struct db_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (db_bind_int(st, 1, id) == -1 || db_bind_copy(st, 2, a) == -1 ||
	    db_bind_copy(st, 3, b) == -1 ||
	    (c != NULL && db_bind_copy(st, 4, c) == -1)) {
		db_reset(st);
		return -1;
	}
	return db_step_done(db, st);
}

/* Bind ?1 = now and ?2 = shard to a query of sessions. */
static int
bind_now_shard(struct db_stmt *st, const char *now, const char *shard)
{
	if (db_bind_text(st, 1, now) == -1 ||
	    db_bind_text(st, 2, shard != NULL && *shard != '\0' ? shard :
	    NULL) == -1) {
		db_reset(st);
		return -1;
	}
	return 0;
}

static void
rollback(struct db *db)
{
	if (db_rollback(db) == -1)
		log_warnx("%s: ROLLBACK: %s", db_path(db), db_errmsg(db));
}

/*
 * Its end: the latest of the last event, the start and the start plus
 * the last persisted duration, but no later than now.
 */
static void
stale_keep(struct db_stmt *st, const char *now, struct fix *f)
{
	static const int cols[] = { 2, 3, 4 };

	f->completed = db_column_int(st, 1) >= 2;
	latest(st, cols, 3, f->at, sizeof(f->at));
	if (f->at[0] == '\0' || strcmp(f->at, now) > 0)
		snprintf(f->at, sizeof(f->at), "%s", now);
}

static int
stale_apply(struct db *db, const struct fix *f, const char *now,
    const char **what)
{
	static const char data[] = "{\"end_reason\":\"observer_restarted\"}";

	*what = "closing a stale session";
	if (run_id(db, db_pick(db, stale_session_sql, stale_session_sql_pg),
	    f->id, f->at, f->completed ? "completed" : "failed", now) == -1)
		return -1;
	*what = "closing its participants";
	if (run_id(db, stale_participants_sql, f->id, f->at, now,
	    NULL) == -1)
		return -1;
	*what = "recording its end";
	return run_id(db, stale_event_sql, f->id, data, f->at, NULL);
}

static const struct repair stale_repair = {
	"closing stale sessions", "finding stale sessions",
	stale_sql, stale_sql_pg, stale_keep, stale_apply
};

#define RESUME_SQL(jd) \
	"SELECT s.id, (SELECT MAX(e.timestamp) FROM teleconference_events e" \
	"  WHERE e.teleconference_session_id = s.id)" \
	" FROM teleconferencesessions s WHERE s.session_status = 'active'" \
	" AND " RESUMABLE(jd) OURS " ORDER BY s.id"
static const char resume_sql[] = RESUME_SQL(JD_LITE);
static const char resume_sql_pg[] = RESUME_SQL(JD_PG);

static const char resume_event_sql[] =
	"INSERT INTO teleconference_events (teleconference_session_id,"
	" participant_session_id, event_type, event_data, timestamp)"
	" VALUES (?1, NULL, 'observer_gap', ?2, ?3)";

/* The observer_gap event's data: {"reason":..., "since": since}. */
static char *
gap_json(const char *since)
{
	json_t	*j;
	char	*s;

	j = json_pack("{s:s, s:s}", "reason", "observer_restarted", "since",
	    since);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(j);
	return s;
}

/* Since its last event, or now when it has none. */
static void
resume_keep(struct db_stmt *st, const char *now, struct fix *f)
{
	const char	*last = db_column_text(st, 1);

	snprintf(f->at, sizeof(f->at), "%s", last != NULL ? last : now);
}

static int
resume_apply(struct db *db, const struct fix *f, const char *now,
    const char **what)
{
	char	*data;
	int	 rc;

	/*
	 * Nobody is known to be there any more: whoever is seen again
	 * becomes present again; the gap is on record.
	 */
	*what = "closing its participants";
	if (run_id(db, stale_participants_sql, f->id, f->at, now,
	    NULL) == -1)
		return -1;
	*what = "recording the gap";
	data = gap_json(f->at);
	rc = run_id(db, resume_event_sql, f->id, data, now, NULL);
	free(data);
	return rc;
}

static const struct repair resume_repair = {
	"resuming appointments", "finding appointments to resume",
	resume_sql, resume_sql_pg, resume_keep, resume_apply
};

/*
 * Run r in one transaction: collect its sessions first (the statement
 * is done before the rewrites start), then rewrite each.  Returns how
 * many, or -1 (logged, rolled back).
 */
static int
repair(struct db *db, const struct repair *r, const char *shard,
    int64_t now_ms)
{
	struct fix	*v = NULL;
	struct db_stmt	*st;
	const char	*what = "BEGIN";
	char		 now[32];
	size_t		 n = 0, cap = 0, i;
	int		 rc;

	event_iso8601(now_ms, now, sizeof(now));
	db_clear_error(db);
	if (db_begin(db) == -1)
		goto fail;
	what = r->finding;
	if ((st = db_prepare(db, db_pick(db, r->sql, r->sql_pg))) == NULL ||
	    bind_now_shard(st, now, shard) == -1)
		goto fail;
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].id = db_column_int(st, 0);
		r->keep(st, now, &v[n]);
		n++;
	}
	db_reset(st);
	if (rc != DB_DONE)
		goto fail;
	for (i = 0; i < n; i++)
		if (r->apply(db, &v[i], now, &what) == -1)
			goto fail;
	what = "COMMIT";
	if (db_commit(db) == -1)
		goto fail;
	free(v);
	return (int)n;
fail:
	log_warnx("%s: %s: %s: %s", db_path(db), r->name, what,
	    db_errmsg(db));
	rollback(db);
	free(v);
	return -1;
}

int
db_close_stale_sessions(struct db *db, const char *shard, int64_t now_ms)
{
	return repair(db, &stale_repair, shard, now_ms);
}

int
db_resume_appointments(struct db *db, const char *shard, int64_t now_ms)
{
	return repair(db, &resume_repair, shard, now_ms);
}
