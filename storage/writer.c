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
 *
 * Files (writer_int.h): this one runs the batches (flush_once, failures,
 * claims, latency) and holds the public calls; writer_queue.c the queue,
 * the batch cache and the rows as committed; writer_sql.c the statements
 * and the binding of a snapshot to them.
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "claim.h"
#include "clock.h"
#include "log.h"
#include "writer_int.h"
#include "xmalloc.h"

static void	latency(struct writer *);


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
