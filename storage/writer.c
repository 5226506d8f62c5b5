/*
 * The storage writer: the event sink at the end of the flow
 * (room.c -> event sink -> here -> the database, SQLite or PostgreSQL,
 * through the storage interface db.h).
 *
 * DESIGN
 *
 * writer_emit() runs inside libstrophe's handlers and must never block or
 * fail, so it only deep-copies the event into an in-memory queue: one
 * allocation per event holding the event, both rollup snapshots and all
 * their strings.  A timed handler asks writer_due() and calls
 * writer_flush(), which writes the whole queue in one transaction
 * (SQLite: IMMEDIATE, one fsync-free WAL commit per batch, as mosquitto's
 * persist-sqlite commits on its tick).
 *
 * Rollups are snapshots: the latest one wins.  So within a batch each
 * session and participant row is upserted once, with the latest
 * snapshot the batch holds for it, before the event rows that need its
 * id; the snapshots in between are not written, except an appointment's
 * (appt.c), whose status and figures a room snapshot does not carry.  A
 * burst of events costs one upsert per participant per batch, not one
 * per event.  The ids found are cached only for the batch: after a
 * rollback a freshly inserted id no longer exists.
 *
 * Failures: another process holding the write lock (SQLITE_BUSY after
 * busy_timeout), a read-only file or role, a full disk, a PostgreSQL
 * server gone (the next attempt reconnects).  The transaction is rolled
 * back and the queue kept; writer_due() backs off before the next
 * attempt so the event loop is not blocked on every tick.  The warning
 * is logged when the kind of failure changes, the recovery when it
 * comes.  An event the database refuses for its content (a CHECK or NOT
 * NULL constraint, a row another shard wrote) would fail every retry: it
 * is dropped, logged, and the batch retried without it.  A PostgreSQL
 * COMMIT whose answer was lost with the connection may have taken
 * effect: the next flush asks txid_status() before writing it again.
 * Committed event rows are never touched again, but for one case: a
 * provisional participant (a tab that was a reconnect,
 * bot/derive/tabs.c) is folded into another, its rows moving over in
 * the batch that says so.  WAL with synchronous=NORMAL keeps the
 * file consistent after a crash (the last commits may be lost on power
 * failure, never half of one).
 *
 * Shards: with [xmpp] shard set, every session row carries it, and the
 * events of a booked appointment nobody has taken yet wait in claim.c
 * until the database says which shard records it (the one whose Prosody
 * hosts the room); another shard's are dropped.
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claim.h"
#include "clock.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "writer.h"
#include "xmalloc.h"

/*
 * One queued event: its snapshots, its typed parts, its details rendered
 * as the JSON stored in event_data, then (in the same allocation, after
 * the struct) the participant's issues and every string.
 */
struct qev {
	int			 refs;		/* the queue's, the rows' */
	int64_t			 queued_ms;	/* when writer_emit() took it */
	struct event		 ev;
	struct session_rec	 s;
	struct participant_rec	 p;
	struct alert_rec	 al;
	struct attendance_rec	 at;
	const char		*data;		/* event_data JSON or NULL */
	const char		*details;	/* alert details JSON */
};

/*
 * A session (key == NULL) or participant row met in the current batch.
 * uid and key are borrowed from the queued event that first named it.
 */
struct ent {
	const char		*uid;
	const char		*key;
	int64_t			 id;
	int64_t			 sid;		/* participant: its session */
	struct qev		*latest;	/* the snapshot to write */
	size_t			 pos;		/* its queue position */
	int			 rollup;	/* a rollup in the batch */
	int			 written;	/* upserted in this batch */
};

/*
 * A row as last committed: its id and the snapshot written (a queued
 * event kept alive by reference).  Between batches these say which rows
 * an event would change: a mute changes nothing on the participant's row
 * but its time present, which rollups write.  uid and key point into q.
 */
struct row {
	const char		*uid;		/* first: the tree's key */
	const char		*key;		/* NULL: the session row */
	int64_t			 id;
	struct qev		*q;
};

struct cache {
	struct ent		*v;
	size_t			 cap;		/* power of 2, or 0 */
	size_t			 n;
};

struct writer {
	struct db		*db;
	int			 flush_ms;
	size_t			 flush_count;
	size_t			 max;

	struct qev		**q;		/* ring: q[(head + i) % cap] */
	size_t			 head;
	size_t			 count;
	size_t			 cap;

	struct cache		 cache;
	int64_t			 now;		/* latest clock seen */
	int			 failing;	/* last flush failed */
	enum db_err		 fail_kind;
	char			*shard;		/* [xmpp] shard, or NULL */
	struct claims		*claims;	/* with a shard */
	int64_t			 last_settle;	/* ms */
	uint64_t		 foreign;	/* events another shard
						   records */
	int64_t			 txid;		/* PostgreSQL: this batch's */
	int64_t			 doubt_txid;	/* a COMMIT whose answer was
						   lost, or 0 */
	size_t			 doubt_n;	/* its events: the oldest
						   queued */
	int64_t			 backoff_ms;
	int64_t			 retry_at;
	uint64_t		 dropped;
	uint64_t		 written[EVENT__COUNT];	/* committed rows */
	uint64_t		 dropped_failing; /* since the failure began */
	int64_t			 last_commit;	/* ms, 0: none yet */
	char			 stamp[32];	/* updatedAt of this flush */
	void			*rows;		/* struct row, committed */
	uint64_t		 lat[WRITER_LAT_MAX + 2]; /* ms from emit to
						   commit: [ms], then over */
};

#define WRITER_FREE_TRIES	10	/* flushes tried by writer_free() */

/*
 * A counter or a flag that only grows: SQLite's MAX(a, b) is PostgreSQL's
 * GREATEST(a, b), so the upserts say it in words both know.
 */
#define KEEP_MAX(c) \
	" " c " = CASE WHEN excluded." c " > t." c " THEN excluded." c \
	" ELSE t." c " END"

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
 * snapshot's.
 */
#define SESSION_SQL(id_col, id_val) \
	"INSERT INTO teleconferencesessions AS t (" id_col "session_uid," \
	" appointmentId, roomId, jitsi_room_name, jitsi_meeting_id," \
	" startTime, endTime, session_status, end_reason," \
	" total_duration_seconds," \
	" participant_count, peak_participants, total_disconnections," \
	" recording_status, recording_duration_seconds, connection_quality," \
	" status_reason, billable_seconds, patient_wait_seconds, shard)" \
	" VALUES (" id_val "?1, ?2, ?3, ?4, ?5, ?6, ?7," \
	" COALESCE(?8, 'active'), ?9, ?10, ?11, ?12, ?13," \
	" COALESCE(?14, 'not_recorded'), ?15, ?16, ?17, ?18, ?19, ?21)" \
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
	" OR t.shard = excluded.shard" \
	" RETURNING id"
static const char sql_session[] = SESSION_SQL("", "");
static const char sql_session_pg[] = SESSION_SQL("id, ",
	PG_ID("teleconferencesessions", "session_uid = ?1"));

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
	" session_status, lobby_wait_seconds)" \
	" VALUES (" id_val "?1, ?2, ?3, ?4, COALESCE(?5, 'unknown'), ?6, ?7," \
	" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21," \
	" ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?32)" \
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
	" updatedAt = ?31" \
	" RETURNING id"
/*
 * The same row again, its indexed columns unchanged (SQLite): an UPDATE
 * naming only the columns that change during a stay leaves the table's
 * seven indexes alone, where the UPSERT above rewrites them all.  Same
 * parameters; the same rules (KEEP_MAX, COALESCE) column for column.
 */
#define KEEP_MAX_P(c, p) \
	" " c " = CASE WHEN " p " > " c " THEN " p " ELSE " c " END"
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
	"teleconference_session_id = ?1 AND participant_key = ?2"));

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
 * Queue
 */

/* The string fields of a queued event, for copying and repointing. */
static size_t
string_fields(struct qev *e, const char ***f)
{
	size_t	 n = 0;

	f[n++] = &e->data;
	f[n++] = &e->details;
	f[n++] = &e->s.uid;
	f[n++] = &e->s.room;
	f[n++] = &e->s.room_jid;
	f[n++] = &e->s.meeting_id;
	f[n++] = &e->s.appointment_id;
	f[n++] = &e->s.status;
	f[n++] = &e->s.end_reason;
	f[n++] = &e->s.recording_status;
	f[n++] = &e->s.connection_quality;
	f[n++] = &e->s.status_reason;
	if (e->ev.alert != NULL) {
		f[n++] = &e->al.rule;
		f[n++] = &e->al.severity;
		f[n++] = &e->al.subject;
		f[n++] = &e->al.participant_key;
		f[n++] = &e->al.appointment_id;
		f[n++] = &e->al.room;
		f[n++] = &e->al.message;
	}
	if (e->ev.attendance != NULL) {
		f[n++] = &e->at.role;
		f[n++] = &e->at.attendance;
	}
	f[n++] = &e->ev.merge_from;
	if (e->ev.participant == NULL)
		return n;
	f[n++] = &e->p.key;
	f[n++] = &e->p.nick;
	f[n++] = &e->p.name;
	f[n++] = &e->p.participant_id;
	f[n++] = &e->p.role;
	f[n++] = &e->p.jid;
	f[n++] = &e->p.stats_id;
	f[n++] = &e->p.connection_quality;
	f[n++] = &e->p.left_reason;
	f[n++] = &e->p.ip_address;
	f[n++] = &e->p.user_agent;
	f[n++] = &e->p.browser;
	f[n++] = &e->p.operating_system;
	f[n++] = &e->p.device_type;
	return n;
}

#define MAX_FIELDS	48

/*
 * A deep copy of ev in one allocation (free() frees it), with its
 * details rendered: this is where an event becomes the JSON it is
 * stored as, once.
 */
static struct qev *
qev_new(const struct event *ev)
{
	struct qev	 tmp, *e;
	const char	**f[MAX_FIELDS];
	char		*data = NULL, *details = NULL, *o;
	size_t		 n, i, len = 0, ilen = 0, sl;

	memset(&tmp, 0, sizeof(tmp));
	tmp.ev = *ev;
	tmp.s = *ev->session;
	if (ev->participant != NULL) {
		tmp.p = *ev->participant;
		ilen = tmp.p.nissues * sizeof(*tmp.p.issues);
	}
	if (ev->alert != NULL) {
		tmp.al = *ev->alert;
		details = event_fields_json(ev->fields, ev->nfields);
	}
	if (ev->attendance != NULL)
		tmp.at = *ev->attendance;
	tmp.data = data = event_json(ev);
	tmp.details = details;
	n = string_fields(&tmp, f);
	for (i = 0; i < n; i++)
		if (*f[i] != NULL)
			len += strlen(*f[i]) + 1;

	/* sizeof(*e) keeps the issues after it aligned. */
	e = xmalloc(sizeof(*e) + ilen + len);
	memcpy(e, &tmp, sizeof(tmp));
	if (ilen > 0) {
		memcpy(e + 1, tmp.p.issues, ilen);
		e->p.issues = (const struct issue *)(e + 1);
	} else
		e->p.issues = NULL;
	o = (char *)(e + 1) + ilen;
	n = string_fields(e, f);
	for (i = 0; i < n; i++) {
		if (*f[i] == NULL)
			continue;
		sl = strlen(*f[i]) + 1;
		memcpy(o, *f[i], sl);
		*f[i] = o;
		o += sl;
	}
	free(data);
	free(details);
	/* The copies own nothing outside e. */
	e->ev.session = &e->s;
	e->ev.participant = ev->participant != NULL ? &e->p : NULL;
	e->ev.alert = ev->alert != NULL ? &e->al : NULL;
	e->ev.attendance = ev->attendance != NULL ? &e->at : NULL;
	e->ev.fields = NULL;
	e->ev.nfields = 0;
	e->refs = 1;
	return e;
}

static void
qev_unref(struct qev *e)
{
	if (e != NULL && --e->refs == 0)
		free(e);
}

static struct qev *
queue_at(const struct writer *w, size_t i)
{
	return w->q[(w->head + i) % w->cap];
}

static void
queue_drop_oldest(struct writer *w)
{
	if (w->doubt_n > 0)
		w->doubt_n--;
	qev_unref(w->q[w->head]);
	w->head = (w->head + 1) % w->cap;
	w->count--;
}

/* The oldest event is on record: counted (an event row), then dropped. */
static void
drop_committed(struct writer *w)
{
	enum event_type	 t = queue_at(w, 0)->ev.type;

	if (!event_type_is_rollup(t) && t != EVENT_PARTICIPANT_MERGE)
		w->written[t]++;
	queue_drop_oldest(w);
}

/* Remove the event at position i (0 = oldest), keeping the order. */
static void
queue_remove(struct writer *w, size_t i)
{
	qev_unref(queue_at(w, i));
	for (; i + 1 < w->count; i++)
		w->q[(w->head + i) % w->cap] = queue_at(w, i + 1);
	w->count--;
}

static void
queue_push(struct writer *w, struct qev *e)
{
	struct qev	**nq;
	size_t		 ncap, i;

	if (w->count >= w->max) {
		queue_drop_oldest(w);
		w->dropped++;
		w->dropped_failing++;
		if (w->dropped_failing == 1 ||
		    w->dropped_failing % 10000 == 0)
			log_warnx("%s: event queue full (%zu events held): "
			    "dropped %llu oldest event(s) so far",
			    db_path(w->db), w->count + 1,
			    (unsigned long long)w->dropped_failing);
	}
	if (w->count == w->cap) {
		ncap = w->cap == 0 ? 64 : w->cap * 2;
		nq = xreallocarray(NULL, ncap, sizeof(*nq));
		for (i = 0; i < w->count; i++)
			nq[i] = queue_at(w, i);
		free(w->q);
		w->q = nq;
		w->cap = ncap;
		w->head = 0;
	}
	w->q[(w->head + w->count) % w->cap] = e;
	w->count++;
}

/*
 * Batch cache: open addressing over (uid, key), cleared per flush.
 */

static uint64_t
hash2(const char *a, const char *b)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	if (b != NULL)
		for (; *b != '\0'; b++)
			h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

static int
ent_match(const struct ent *e, const char *uid, const char *key)
{
	if (strcmp(e->uid, uid) != 0)
		return 0;
	if (e->key == NULL || key == NULL)
		return e->key == key;
	return strcmp(e->key, key) == 0;
}

/* The slot for (uid, key): its entry, or the empty slot to fill. */
static struct ent *
cache_slot(struct cache *c, const char *uid, const char *key)
{
	size_t	 i = (size_t)hash2(uid, key) & (c->cap - 1);

	while (c->v[i].uid != NULL && !ent_match(&c->v[i], uid, key))
		i = (i + 1) & (c->cap - 1);
	return &c->v[i];
}

static void
cache_clear(struct cache *c)
{
	if (c->cap > 0)
		memset(c->v, 0, c->cap * sizeof(*c->v));
	c->n = 0;
}

static struct ent *
cache_get(struct cache *c, const char *uid, const char *key)
{
	struct ent	*e;

	if (c->cap == 0)
		return NULL;
	e = cache_slot(c, uid, key);
	return e->uid != NULL ? e : NULL;
}

/* Add (uid, key), known absent; the table stays at most half full. */
static struct ent *
cache_add(struct cache *c, const char *uid, const char *key)
{
	struct ent	*old = c->v, *e;
	size_t		 oldcap = c->cap, i;

	if ((c->n + 1) * 2 > c->cap) {
		c->cap = c->cap == 0 ? 64 : c->cap * 2;
		c->v = xcalloc(c->cap, sizeof(*c->v));
		for (i = 0; i < oldcap; i++)
			if (old[i].uid != NULL)
				*cache_slot(c, old[i].uid, old[i].key) =
				    old[i];
		free(old);
	}
	e = cache_slot(c, uid, key);
	e->uid = uid;
	e->key = key;
	c->n++;
	return e;
}

/*
 * Rows as committed
 */

static void	rows_forget(struct writer *, const char *);
static void	latency(struct writer *);

static int
row_cmp(const void *a, const void *b)
{
	const struct row	*x = a, *y = b;
	int			 c = strcmp(x->uid, y->uid);

	if (c != 0)
		return c;
	if (x->key == NULL || y->key == NULL)
		return (x->key != NULL) - (y->key != NULL);
	return strcmp(x->key, y->key);
}

static struct row *
row_find(struct writer *w, const char *uid, const char *key)
{
	struct row	 k;
	void		*n;

	k.uid = uid;
	k.key = key;
	n = tfind(&k, &w->rows, row_cmp);
	return n != NULL ? *(struct row **)n : NULL;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The session row would not change, but for the durations rollups write. */
static int
same_session(const struct session_rec *a, const struct session_rec *b)
{
	return a->start_ms == b->start_ms && a->end_ms == b->end_ms &&
	    same(a->room, b->room) && same(a->room_jid, b->room_jid) &&
	    same(a->meeting_id, b->meeting_id) &&
	    same(a->appointment_id, b->appointment_id) &&
	    same(a->status, b->status) && same(a->end_reason, b->end_reason) &&
	    a->participant_count == b->participant_count &&
	    a->peak_participants == b->peak_participants &&
	    a->total_disconnections == b->total_disconnections &&
	    same(a->recording_status, b->recording_status) &&
	    same(a->connection_quality, b->connection_quality) &&
	    same(a->status_reason, b->status_reason) &&
	    a->appt_figures == b->appt_figures &&
	    a->billable_s == b->billable_s &&
	    a->patient_wait_s == b->patient_wait_s;
}

/* The same for a participant row (time present and spoken aside). */
static int
same_participant(const struct participant_rec *a,
    const struct participant_rec *b)
{
	return same(a->nick, b->nick) && same(a->name, b->name) &&
	    same(a->participant_id, b->participant_id) &&
	    same(a->role, b->role) && same(a->jid, b->jid) &&
	    same(a->stats_id, b->stats_id) && a->joined_ms == b->joined_ms &&
	    a->left_ms == b->left_ms && a->present == b->present &&
	    a->join_count == b->join_count &&
	    a->disconnection_count == b->disconnection_count &&
	    a->camera_enabled == b->camera_enabled &&
	    a->microphone_enabled == b->microphone_enabled &&
	    a->screen_shared == b->screen_shared &&
	    a->is_moderator == b->is_moderator &&
	    a->messages_sent == b->messages_sent &&
	    a->reactions_sent == b->reactions_sent &&
	    a->spoke_known == b->spoke_known &&
	    a->lobby_known == b->lobby_known &&
	    a->lobby_wait_s == b->lobby_wait_s &&
	    a->nissues == b->nissues &&
	    (a->nissues == 0 || memcmp(a->issues, b->issues,
	    a->nissues * sizeof(*a->issues)) == 0) &&
	    same(a->connection_quality, b->connection_quality) &&
	    same(a->left_reason, b->left_reason) &&
	    same(a->ip_address, b->ip_address) &&
	    same(a->user_agent, b->user_agent) &&
	    same(a->browser, b->browser) &&
	    same(a->operating_system, b->operating_system) &&
	    same(a->device_type, b->device_type);
}

struct forget {
	const char	*uid;
	struct row	**v;
	size_t		 n;
};

static void
collect(const void *node, VISIT which, void *arg)
{
	struct row	*r = *(struct row *const *)node;
	struct forget	*f = arg;

	if ((which == postorder || which == leaf) &&
	    strcmp(r->uid, f->uid) == 0) {
		f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
		f->v[f->n++] = r;
	}
}

/* Forget the rows of the session uid (it ended). */
static void
rows_forget(struct writer *w, const char *uid)
{
	struct forget	 f;
	char		*copy = xstrdup(uid);
	size_t		 i;

	memset(&f, 0, sizeof(f));
	f.uid = copy;
	twalk_r(w->rows, collect, &f);
	for (i = 0; i < f.n; i++) {
		tdelete(f.v[i], &w->rows, row_cmp);
		qev_unref(f.v[i]->q);
		free(f.v[i]);
	}
	free(f.v);
	free(copy);
}

static void
row_free(void *p)
{
	struct row	*r = p;

	qev_unref(r->q);
	free(r);
}

/*
 * After a commit: the rows written are as their latest snapshots say;
 * the rows of sessions that ended are forgotten.
 */
static void
rows_commit(struct writer *w)
{
	struct cache	*c = &w->cache;
	struct ent	*e;
	struct qev	*e2;
	struct row	*r;
	size_t		 i;

	for (i = 0; i < c->cap; i++) {
		e = &c->v[i];
		if (e->uid == NULL || !e->written)
			continue;
		r = row_find(w, e->uid, e->key);
		/*
		 * Someone who left is written when they come back: keeping
		 * the snapshot of everyone who ever left would grow with the
		 * meeting's history.
		 */
		if (e->key != NULL && !e->latest->p.present) {
			if (r != NULL) {
				tdelete(r, &w->rows, row_cmp);
				row_free(r);
			}
			continue;
		}
		if (r == NULL) {
			r = xcalloc(1, sizeof(*r));
			r->uid = e->latest->s.uid;
			r->key = e->key != NULL ? e->latest->p.key : NULL;
			if (tsearch(r, &w->rows, row_cmp) == NULL)
				fatal("tsearch");
		}
		/* The same strings, now in the kept snapshot. */
		e->latest->refs++;
		qev_unref(r->q);
		r->q = e->latest;
		r->uid = r->q->s.uid;
		r->key = e->key != NULL ? r->q->p.key : NULL;
		r->id = e->id;
	}
	for (i = 0; i < w->count; i++) {
		e2 = queue_at(w, i);
		if (e2->ev.type == EVENT_SESSION_END)
			rows_forget(w, e2->s.uid);
		else if (e2->ev.type == EVENT_PARTICIPANT_MERGE &&
		    e2->ev.merge_from != NULL &&
		    (r = row_find(w, e2->s.uid, e2->ev.merge_from)) != NULL) {
			tdelete(r, &w->rows, row_cmp);
			row_free(r);
		}
	}
}

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
 * Step an upsert ... RETURNING id to completion; 0 with *id set, or -1
 * with the error recorded.  No row: the upsert's WHERE kept the row as
 * it was, because another shard recorded it (a session uid both made).
 */
static int
step_id(struct db *db, struct db_stmt *st, const char *uid, int64_t *id)
{
	char	 esc[128];
	int	 rc;

	*id = -1;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_column_int(st, 0);
		rc = db_step(st);
	} else if (rc == DB_DONE) {
		db_set_error(db, DB_ERR_CONTENT, 0, "session %s belongs to "
		    "another shard", log_escape(esc, sizeof(esc), uid));
		rc = -1;
	}
	db_reset(st);
	return rc == DB_DONE && *id != -1 ? 0 : -1;
}

/* A bind failed (its error is recorded): reset. */
static int
bind_failed(struct db_stmt *st)
{
	db_reset(st);
	return -1;
}

static int
write_session(struct writer *w, const struct session_rec *s, int64_t *id)
{
	struct db	*db = w->db;
	struct db_stmt	*st;
	int		 rc = 0;

	if ((st = db_prepare(db, db_pick(db, sql_session, sql_session_pg))) ==
	    NULL)
		return -1;
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
	if (rc != 0)
		return bind_failed(st);
	return step_id(db, st, s->uid, id);
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

static int
write_participant(struct writer *w, const struct qev *e, const struct row *r,
    int64_t sid, int64_t *id)
{
	struct db			*db = w->db;
	const struct participant_rec	*p = &e->p, *was;
	struct db_stmt			*st;
	int				 rc;

	was = r != NULL ? &r->q->p : NULL;
	if (was != NULL && r->id > 0 && db_backend(db) == DB_SQLITE &&
	    same(e->s.appointment_id, r->q->s.appointment_id) &&
	    same(p->participant_id, was->participant_id) &&
	    same(p->role, was->role) && p->joined_ms == was->joined_ms &&
	    p->present == was->present && p->left_ms == was->left_ms) {
		if ((st = db_prepare(db, sql_participant_update)) == NULL)
			return -1;
		if (bind_participant(w, st, e, sid) != 0 ||
		    db_bind_int(st, 33, r->id) != 0)
			return bind_failed(st);
		rc = db_step(st);
		db_reset(st);
		if (rc != DB_DONE)
			return -1;
		if (db_changes(db) == 1) {
			*id = r->id;
			return 0;
		}
		/* The row went (deleted by hand?): written anew below. */
	}
	if ((st = db_prepare(db, db_pick(db, sql_participant,
	    sql_participant_pg))) == NULL)
		return -1;
	if (bind_participant(w, st, e, sid) != 0)
		return bind_failed(st);
	return step_id(db, st, e->s.uid, id);
}

static int
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
static int
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
static int
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
static int
has_participant(const struct qev *e)
{
	return e->ev.participant != NULL && e->p.key != NULL;
}

/*
 * One attempt at writing the queue in one transaction, in three passes
 * so that every row is written once per batch:
 *   1. each session row with its latest snapshot (an appointment's
 *      snapshots, which carry what room snapshots leave NULL, in order);
 *   2. each participant row with its latest snapshot;
 *   3. the event rows and their side effects, in queue order.
 * On failure, returns -1 with *what naming the step and *bad the queue
 * position of the event whose row failed (or -1: BEGIN, COMMIT); the
 * transaction is still open and the caller rolls it back.
 */
static int
flush_once(struct writer *w, const char **what, long *bad)
{
	struct cache	*c = &w->cache;
	struct ent	*se, *pe;
	struct row	*r;
	struct qev	*e;
	size_t		 i;
	int64_t		 id;

	*bad = -1;
	*what = "BEGIN";
	cache_clear(c);
	event_iso8601(w->now, w->stamp, sizeof(w->stamp));
	if (db_begin(w->db) == -1)
		return -1;
	/* PostgreSQL: to ask later whether a lost COMMIT took effect. */
	if ((w->txid = db_tx_id(w->db)) == 0 &&
	    db_errkind(w->db) != DB_ERR_NONE)
		return -1;
	/* Which rows the batch touches, and their latest snapshots. */
	for (i = 0; i < w->count; i++) {
		e = queue_at(w, i);
		if ((se = cache_get(c, e->s.uid, NULL)) == NULL)
			se = cache_add(c, e->s.uid, NULL);
		se->latest = e;
		se->pos = i;
		se->rollup |= event_type_is_rollup(e->ev.type);
		if (has_participant(e)) {
			if ((pe = cache_get(c, e->s.uid, e->p.key)) == NULL)
				pe = cache_add(c, e->s.uid, e->p.key);
			pe->latest = e;
			pe->pos = i;
			pe->rollup |= event_type_is_rollup(e->ev.type) ||
			    e->ev.type == EVENT_PARTICIPANT_MERGE;
		}
	}
	*what = "writing the session row";
	for (i = 0; i < w->count; i++) {
		e = queue_at(w, i);
		se = cache_get(c, e->s.uid, NULL);
		if (se->latest != e && !e->s.appt_figures)
			continue;
		/* Nothing but durations changed, and no rollup asks for them. */
		if (!e->s.appt_figures && !se->rollup &&
		    (r = row_find(w, e->s.uid, NULL)) != NULL &&
		    same_session(&r->q->s, &e->s)) {
			se->id = r->id;
			continue;
		}
		*bad = (long)i;
		if (write_session(w, &e->s, &id) == -1)
			return -1;
		se->id = id;
		se->written = 1;
	}
	/* In the order they first appear: new rows get ids in that order. */
	*what = "writing the participant row";
	for (i = 0; i < w->count; i++) {
		e = queue_at(w, i);
		if (!has_participant(e) ||
		    (pe = cache_get(c, e->s.uid, e->p.key))->id != 0)
			continue;
		pe->sid = cache_get(c, e->s.uid, NULL)->id;
		r = row_find(w, e->s.uid, e->p.key);
		if (!pe->rollup && r != NULL &&
		    same_participant(&r->q->p, &pe->latest->p)) {
			pe->id = r->id;
			continue;
		}
		*bad = (long)pe->pos;
		if (write_participant(w, pe->latest, r, pe->sid, &pe->id) == -1)
			return -1;
		pe->written = 1;
	}
	for (i = 0; i < w->count; i++) {
		e = queue_at(w, i);
		*bad = (long)i;
		se = cache_get(c, e->s.uid, NULL);
		pe = has_participant(e) ? cache_get(c, e->s.uid, e->p.key) :
		    NULL;
		id = pe != NULL ? pe->id : 0;
		if (e->ev.type == EVENT_PARTICIPANT_MERGE) {
			*what = "folding a provisional participant";
			if (write_merge(w, e, &se->latest->s, se->id, id) ==
			    -1)
				return -1;
			continue;
		}
		if (!event_type_is_rollup(e->ev.type)) {
			*what = "inserting the event row";
			if (write_event(w->db, e, se->id, id) == -1)
				return -1;
		}
		*what = "applying the appointment event";
		if (write_side_effect(w, e, se->id, id) == -1)
			return -1;
	}
	*bad = -1;
	*what = "COMMIT";
	return db_commit(w->db);
}

static void
rollback(struct writer *w)
{
	if (db_rollback(w->db) == -1)
		log_warnx("%s: ROLLBACK: %s", db_path(w->db),
		    db_errmsg(w->db));
}

/*
 * A flush failed (what: the step, in the log): hold everything, back off,
 * and say so once per kind of failure.  Returns -1.
 */
static int
failed(struct writer *w, const char *what)
{
	enum db_err	 kind = db_errkind(w->db);
	size_t		 held = w->count + (w->claims != NULL ?
			    claims_parked(w->claims) : 0);

	if (!w->failing || kind != w->fail_kind)
		log_warnx("%s: cannot write events: %s: %s; holding "
		    "%zu event(s), will retry", db_path(w->db), what,
		    db_errmsg(w->db), held);
	else
		log_debug("%s: %s: %s: still holding %zu event(s)",
		    __func__, what, db_errmsg(w->db), held);
	rollback(w);
	w->failing = 1;
	w->fail_kind = kind;
	w->backoff_ms = w->backoff_ms == 0 ? WRITER_RETRY_MIN_MS :
	    w->backoff_ms * 2;
	if (w->backoff_ms > WRITER_RETRY_MAX_MS)
		w->backoff_ms = WRITER_RETRY_MAX_MS;
	w->retry_at = w->now + w->backoff_ms;
	return -1;
}

/* The database takes writes again: say so once, with n events flushed. */
static void
recovered(struct writer *w, size_t n)
{
	log_info("%s: database writable again: flushed %zu held event(s)",
	    db_path(w->db), n);
	if (w->dropped_failing > 0)
		log_warnx("%s: %llu event(s) were dropped while it was not",
		    db_path(w->db), (unsigned long long)w->dropped_failing);
	w->failing = 0;
	w->fail_kind = DB_ERR_NONE;
	w->backoff_ms = 0;
	w->dropped_failing = 0;
}

static void
claim_release(void *item, void *arg)
{
	queue_push(arg, item);
}

static void
claim_drop(void *item, void *arg)
{
	struct writer	*w = arg;

	w->foreign++;
	qev_unref(item);
}

/*
 * The last batch's COMMIT lost its answer (the server went away): if it
 * took effect, its events are in the database and must not be written
 * again.  The rows cache may be behind what was committed: forget it,
 * so the next batch writes every row it touches.  0, or -1 (cannot tell
 * yet: the server is still away).
 */
static int
resolve_doubt(struct writer *w)
{
	int	 rc;

	if (w->doubt_txid == 0)
		return 0;
	if ((rc = db_tx_committed(w->db, w->doubt_txid)) == -1)
		return -1;
	if (rc == 1) {
		log_info("%s: the batch whose COMMIT was cut off had been "
		    "committed: its %zu event(s) are not written again",
		    db_path(w->db), w->doubt_n);
		while (w->doubt_n > 0) {
			if (queue_at(w, 0)->ev.type == EVENT_SESSION_END)
				rows_forget(w, queue_at(w, 0)->s.uid);
			drop_committed(w);
		}
		tdestroy(w->rows, row_free);
		w->rows = NULL;
	}
	w->doubt_txid = 0;
	w->doubt_n = 0;
	return 0;
}

int
writer_flush(struct writer *w)
{
	const char	*what;
	struct qev	*e;
	char		 uid[128];
	long		 bad;
	size_t		 n;

	db_clear_error(w->db);
	if (resolve_doubt(w) == -1)
		return failed(w, "asking whether the last COMMIT took effect");
	if (w->claims != NULL && (claims_parked(w->claims) > 0 ||
	    claims_wanted(w->claims) > 0)) {
		w->last_settle = w->now;
		if (claims_settle(w->claims, w->db, claim_release, claim_drop,
		    w, w->now) == -1)
			return failed(w, "settling which shard records an "
			    "appointment");
	}
	if (w->count == 0) {
		if (w->failing)
			recovered(w, 0);
		return 0;
	}
	for (;;) {
		n = w->count;
		db_clear_error(w->db);
		if (flush_once(w, &what, &bad) == 0)
			break;
		/* Log before the rollback replaces the error. */
		if (bad >= 0 && db_errkind(w->db) == DB_ERR_CONTENT) {
			e = queue_at(w, (size_t)bad);
			log_warnx("%s: %s: %s; dropping the %s event of "
			    "session %s", db_path(w->db), what,
			    db_errmsg(w->db), event_type_name(e->ev.type),
			    log_escape(uid, sizeof(uid), e->s.uid));
			rollback(w);
			queue_remove(w, (size_t)bad);
			w->dropped++;
			if (w->count == 0)
				return 0;
			continue;
		}
		/*
		 * A COMMIT the server may have carried out before the
		 * connection went: find out before writing these again.
		 */
		if (strcmp(what, "COMMIT") == 0 && w->txid != 0 &&
		    db_errkind(w->db) == DB_ERR_CONNECTION) {
			w->doubt_txid = w->txid;
			w->doubt_n = n;
		}
		return failed(w, what);
	}

	if (w->failing)
		recovered(w, n);
	rows_commit(w);
	latency(w);
	w->last_commit = w->now;
	while (w->count > 0)
		drop_committed(w);
	return 0;
}

/*
 * The time each committed event waited, from writer_emit() to COMMIT.
 * Only events that become rows: a rollup is no stanza's event but the
 * periodic snapshot of running durations, emitted by the thousand on one
 * tick with many rooms; counting it would hide the stanzas' figure.
 */
static void
latency(struct writer *w)
{
	int64_t	 now = now_ms(), d;
	size_t	 i;

	for (i = 0; i < w->count; i++) {
		if (event_type_is_rollup(queue_at(w, i)->ev.type))
			continue;
		d = now - queue_at(w, i)->queued_ms;
		w->lat[d < 0 ? 0 : d > WRITER_LAT_MAX ? WRITER_LAT_MAX + 1 :
		    d]++;
	}
}

void
writer_latency(const struct writer *w, struct writer_latency *l)
{
	uint64_t	 n = 0, acc = 0;
	int		 i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i <= WRITER_LAT_MAX + 1; i++)
		n += w->lat[i];
	l->count = n;
	for (i = 0; n > 0 && i <= WRITER_LAT_MAX + 1; i++) {
		if (w->lat[i] == 0)
			continue;
		if (acc < (n + 1) / 2 && acc + w->lat[i] >= (n + 1) / 2)
			l->p50_ms = i;
		if (acc < n - n / 100 && acc + w->lat[i] >= n - n / 100)
			l->p99_ms = i;
		acc += w->lat[i];
		l->max_ms = i;
	}
}

/*
 * Public
 */

struct writer *
writer_new(struct db *db, int flush_ms, int flush_count)
{
	struct writer	*w;

	w = xcalloc(1, sizeof(*w));
	/*
	 * Every id the writer binds comes from an upsert in the same
	 * IMMEDIATE transaction, so the foreign keys always hold; checking
	 * them costs two index probes per event row.  The setting is per
	 * connection: readers and the CLI keep theirs on.
	 */
	if (db_backend(db) == DB_SQLITE &&
	    db_exec(db, "PRAGMA foreign_keys = OFF") == -1)
		log_warnx("%s: PRAGMA foreign_keys = OFF: %s", db_path(db),
		    db_errmsg(db));
	w->db = db;
	w->flush_ms = flush_ms < 1 ? 1 : flush_ms;
	w->flush_count = flush_count < 1 ? 1 : (size_t)flush_count;
	w->max = WRITER_MAX_QUEUE;
	return w;
}

void
writer_free(struct writer *w)
{
	int	 tries = 0;

	if (w == NULL)
		return;
	/*
	 * At shutdown there is no next flush: while another process holds
	 * the lock, keep trying for a few busy timeouts (2 s in all).
	 */
	while (writer_flush(w) == -1 && ++tries < WRITER_FREE_TRIES &&
	    db_errkind(w->db) == DB_ERR_BUSY)
		;
	if (w->count > 0)
		log_warnx("%s: %zu event(s) could not be written and are "
		    "lost", db_path(w->db), w->count);
	while (w->count > 0)
		queue_drop_oldest(w);
	if (w->claims != NULL && claims_parked(w->claims) > 0)
		log_info("%s: %zu event(s) of appointments no shard has taken "
		    "yet are not written by this one", db_path(w->db),
		    claims_parked(w->claims));
	claims_free(w->claims, claim_drop, w);
	free(w->q);
	free(w->cache.v);
	tdestroy(w->rows, row_free);
	free(w->shard);
	free(w);
}

/*
 * An event showing that this shard may take its appointment: one from
 * the room itself (only the shard that hosts it sees the room), or the
 * appointment's outcome (when nobody came anywhere, every shard decides
 * the same).  The tracker's other events (alerts, attendance, billable
 * time) come from every shard alike.
 */
static int
proves(const struct event *ev)
{
	switch (ev->type) {
	case EVENT_ALERT:
	case EVENT_ATTENDANCE:
	case EVENT_BILLABLE_START:
	case EVENT_BILLABLE_STOP:
	case EVENT_APPOINTMENT_ROLLUP:
		return 0;
	case EVENT_APPOINTMENT_STATUS:
		return ev->session->status != NULL &&
		    strcmp(ev->session->status, "scheduled") != 0 &&
		    strcmp(ev->session->status, "active") != 0;
	default:
		return 1;
	}
}

/* A parked event the queue bound pushes out. */
static void
claim_unref(void *item, void *arg)
{
	(void)arg;
	qev_unref(item);
}

void
writer_emit(const struct event *ev, void *arg)
{
	struct writer	*w = arg;
	struct qev	*e;

	if (ev->session == NULL || ev->session->uid == NULL) {
		log_warnx("%s: %s event without a session: not stored",
		    __func__, event_type_name(ev->type));
		w->dropped++;
		return;
	}
	if (ev->ts_ms > w->now)
		w->now = ev->ts_ms;
	e = qev_new(ev);
	e->queued_ms = now_ms();
	if (w->claims == NULL || e->s.appointment_id == NULL) {
		queue_push(w, e);
		return;
	}
	switch (claims_state(w->claims, e->s.appointment_id)) {
	case CLAIM_MINE:
		queue_push(w, e);
		break;
	case CLAIM_THEIRS:
		claim_drop(e, w);
		break;
	case CLAIM_PENDING:
		claims_park(w->claims, e->s.appointment_id, e, proves(ev));
		if (claims_parked(w->claims) > w->max &&
		    claims_drop_oldest(w->claims, claim_unref, NULL))
			w->dropped++;
		break;
	}
}

int
writer_due(struct writer *w, int64_t now_ms)
{
	if (now_ms > w->now)
		w->now = now_ms;
	if (w->failing && now_ms < w->retry_at)
		return 0;
	/* An appointment to claim, or parked ones to ask about again. */
	if (w->claims != NULL && (claims_wanted(w->claims) > 0 ||
	    (claims_parked(w->claims) > 0 &&
	    now_ms - w->last_settle >= CLAIM_CHECK_MS)))
		return 1;
	if (w->count == 0)
		return 0;
	if (w->count >= w->flush_count)
		return 1;
	return now_ms - queue_at(w, 0)->ev.ts_ms >= w->flush_ms -
	    WRITER_SLACK_MS;
}

size_t
writer_pending(const struct writer *w)
{
	return w->count;
}

uint64_t
writer_dropped(const struct writer *w)
{
	return w->dropped;
}

void
writer_counts(const struct writer *w, size_t *queued, size_t *held,
    uint64_t *dropped, int64_t *last_commit_ms)
{
	size_t	 parked = w->claims != NULL ? claims_parked(w->claims) : 0;

	*queued = w->count + parked;
	*held = w->failing ? w->count + parked : 0;
	*dropped = w->dropped;
	*last_commit_ms = w->last_commit;
}

const uint64_t *
writer_written(const struct writer *w)
{
	return w->written;
}

void
writer_set_shard(struct writer *w, const char *shard)
{
	claims_free(w->claims, claim_drop, w);
	w->claims = NULL;
	free(w->shard);
	w->shard = shard != NULL && *shard != '\0' ? xstrdup(shard) : NULL;
	if (w->shard != NULL)
		w->claims = claims_new(w->shard);
}

void
writer_set_max_queue(struct writer *w, size_t max)
{
	w->max = max < 1 ? 1 : max;
	while (w->count > w->max) {
		queue_drop_oldest(w);
		w->dropped++;
	}
}
