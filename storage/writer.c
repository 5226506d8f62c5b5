/*
 * The storage writer: the event sink at the end of the flow
 * (room.c -> event sink -> here -> the database, SQLite or PostgreSQL,
 * through the storage interface db.h).
 *
 * DESIGN
 *
 * writer_emit() runs inside libstrophe's handlers and must never fail,
 * so it only deep-copies the event: one allocation per event holding the
 * event, both rollup snapshots and all their strings.  In the daemon
 * (writer_start(), at the end of this file) the copy is handed to the
 * writer's own thread, which owns the queue, the claims and the database
 * connection, so deriving and writing run on two cores; the main thread
 * waits only when a whole batch is already waiting to be taken.  Tests
 * and the fuzzer call writer_due() and writer_flush() themselves.  A
 * flush writes the whole queue in one transaction (SQLite: IMMEDIATE,
 * one fsync-free WAL commit per batch, as mosquitto's persist-sqlite
 * commits on its tick).
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
 * and the binding of a snapshot to them.  Over 800 lines on purpose: a
 * batch's failure handling and the thread's hand-over share the queue's
 * invariants (who may touch it, when a batch is retried), and read best
 * next to each other.
 */
#include <pthread.h>
#include <search.h>
#include <signal.h>
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
static void	accept_event(struct writer *, struct qev *);
static void	handoff_dropped(struct writer *);
static void	handoff_push(struct writer *, struct qev *);
static void	handoff_stop(struct writer *);
static int	writer_due_own(struct writer *, int64_t);
static int	writer_flush_own(struct writer *);
static void	writer_counts_own(const struct writer *, size_t *, size_t *,
		    uint64_t *, int64_t *);
static void	writer_latency_own(const struct writer *,
		    struct writer_latency *);

/* Threaded mode: see writer_start() at the end. */
#define HANDOFF_WAKE_MS		10	/* the thread looks this often */
#define HANDOFF_IDLE_MS		1000	/* ... with nothing to write */

struct handoff {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* work for the thread */
	pthread_cond_t		 room;		/* the list was taken */
	pthread_t		 th;
	struct qev		**v;		/* handed over, in order */
	size_t			 n, cap;
	int			 stop;
	int			 idle;		/* the thread sleeps long */
	uint64_t		 dropped;	/* past the bound, unqueued */
	/* published by the thread */
	size_t			 queued, held;
	uint64_t		 wdropped;
	int64_t			 last_commit;
	uint64_t		 written[EVENT__COUNT];
	struct writer_latency	 lat;
	uint64_t		 lat_commits;	/* w->commits lat is of
						   (the thread's alone) */
	/* the main thread's copy for writer_written() */
	uint64_t		 read_written[EVENT__COUNT];
};


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
	size_t		 i, cap;
	int64_t		 id;

	*bad = -1;
	*what = "BEGIN";
	cache_clear(c);
	cap = c->cap;
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
		e->se = se;
		e->pe = NULL;
		if (has_participant(e)) {
			if ((pe = cache_get(c, e->s.uid, e->p.key)) == NULL)
				pe = cache_add(c, e->s.uid, e->p.key);
			pe->latest = e;
			pe->pos = i;
			pe->rollup |= event_type_is_rollup(e->ev.type) ||
			    e->ev.type == EVENT_PARTICIPANT_MERGE;
			e->pe = pe;
		}
	}
	/* The table grew: the entries moved. */
	for (i = 0; c->cap != cap && i < w->count; i++) {
		e = queue_at(w, i);
		e->se = cache_get(c, e->s.uid, NULL);
		if (e->pe != NULL)
			e->pe = cache_get(c, e->s.uid, e->p.key);
	}
	*what = "writing the session row";
	for (i = 0; i < w->count; i++) {
		e = queue_at(w, i);
		se = e->se;
		if (se->latest != e && !e->s.appt_figures)
			continue;
		r = row_find(w, e->s.uid, NULL);
		/* Nothing but durations changed, and no rollup asks for them. */
		if (!e->s.appt_figures && !se->rollup && r != NULL &&
		    same_session(&r->q->s, &e->s)) {
			se->id = r->id;
			continue;
		}
		*bad = (long)i;
		/* Written already in this batch: r is older than the row. */
		if (write_session(w, &e->s, se->written ? NULL : r, &id) == -1)
			return -1;
		se->id = id;
		se->written = 1;
	}
	/* In the order they first appear: new rows get ids in that order. */
	*what = "writing the participant row";
	for (i = 0; i < w->count; i++) {
		e = queue_at(w, i);
		if ((pe = e->pe) == NULL || pe->id != 0)
			continue;
		pe->sid = e->se->id;
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
		se = e->se;
		id = e->pe != NULL ? e->pe->id : 0;
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

static int
writer_flush_own(struct writer *w)
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
	w->commits++;
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

static void
writer_latency_own(const struct writer *w, struct writer_latency *l)
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
	if (w->ho != NULL)
		handoff_stop(w);
	/*
	 * At shutdown there is no next flush: while another process holds
	 * the lock, keep trying for a few busy timeouts (2 s in all).
	 */
	while (writer_flush_own(w) == -1 && ++tries < WRITER_FREE_TRIES &&
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
		if (w->ho != NULL)
			handoff_dropped(w);
		else
			w->dropped++;
		return;
	}
	e = qev_new(ev);
	e->queued_ms = now_ms();
	e->proves = proves(ev);
	if (w->ho != NULL)
		handoff_push(w, e);
	else
		accept_event(w, e);
}

/* A copied event into the queue, or to the claims (the writer's side). */
static void
accept_event(struct writer *w, struct qev *e)
{
	if (e->ev.ts_ms > w->now)
		w->now = e->ev.ts_ms;
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
		claims_park(w->claims, e->s.appointment_id, e, e->proves);
		if (claims_parked(w->claims) > w->max &&
		    claims_drop_oldest(w->claims, claim_unref, NULL))
			w->dropped++;
		break;
	}
}

static int
writer_due_own(struct writer *w, int64_t now_ms)
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
	size_t	 n;

	if (w->ho == NULL)
		return w->count;
	pthread_mutex_lock(&w->ho->mu);
	n = w->ho->n + w->ho->queued;
	pthread_mutex_unlock(&w->ho->mu);
	return n;
}

/* The dropped count of writer_counts(). */
uint64_t
writer_dropped(const struct writer *w)
{
	size_t		 queued, held;
	uint64_t	 dropped;
	int64_t		 last;

	writer_counts(w, &queued, &held, &dropped, &last);
	return dropped;
}

static void
writer_counts_own(const struct writer *w, size_t *queued, size_t *held,
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
	struct handoff	*h = w->ho;

	if (h == NULL)
		return w->written;
	pthread_mutex_lock(&h->mu);
	memcpy(h->read_written, h->written, sizeof(h->read_written));
	pthread_mutex_unlock(&h->mu);
	return h->read_written;
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

/*
 * Threaded mode (writer_start(), the daemon).  Parsing and deriving stay
 * on the main thread, which only copies each event (qev_new) and hands
 * it over; a thread of the writer's own takes the hand-overs and does
 * everything else -- claims, the queue, due, flushes, retries, the rows
 * as committed -- so the two halves run on two cores.  Nothing but the
 * hand-over list and the figures the status file reads is shared, under
 * one mutex; the thread publishes the figures after each round.  The
 * database connection is the thread's alone (the caller keeps another
 * for its own reads).  Signals are blocked in the thread: they stay the
 * main thread's.
 */

static void
handoff_dropped(struct writer *w)
{
	pthread_mutex_lock(&w->ho->mu);
	w->ho->dropped++;
	pthread_mutex_unlock(&w->ho->mu);
}

/*
 * The main thread's side.  A batch's worth waiting already: wait for the
 * thread to take it (a burst then waits in the socket and in Prosody, not
 * in our memory; the thread takes the list within HANDOFF_WAKE_MS unless
 * it is committing).  Bounded like the queue (max events) besides.
 */
static void
handoff_push(struct writer *w, struct qev *e)
{
	struct handoff	*h = w->ho;

	pthread_mutex_lock(&h->mu);
	while (h->n >= w->flush_count && !h->stop)
		pthread_cond_wait(&h->room, &h->mu);
	if (h->n >= w->max) {
		h->dropped++;
		pthread_mutex_unlock(&h->mu);
		qev_unref(e);
		return;
	}
	if (h->n == h->cap) {
		h->cap = h->cap == 0 ? 1024 : h->cap * 2;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	h->v[h->n++] = e;
	/*
	 * The first wakes an idle thread; a batch's worth, a busy one.  A
	 * thread with events to write looks every HANDOFF_WAKE_MS anyway:
	 * waking it for each event would cost both threads a futex call
	 * and a switch per event.
	 */
	if ((h->n == 1 && h->idle) || h->n == w->flush_count)
		pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/*
 * The latency summary walks the whole histogram (WRITER_LAT_MAX + 2
 * buckets), which only a COMMIT changes: rounds that only took events
 * in, or failed, leave the published one as it is.
 */
static void
publish(struct writer *w)
{
	struct handoff		*h = w->ho;
	struct writer_latency	 lat;
	size_t			 queued, held;
	uint64_t		 dropped;
	int64_t			 last;
	int			 committed = w->commits != h->lat_commits;

	writer_counts_own(w, &queued, &held, &dropped, &last);
	if (committed)
		writer_latency_own(w, &lat);
	pthread_mutex_lock(&h->mu);
	h->queued = queued;
	h->held = held;
	h->wdropped = dropped;
	h->last_commit = last;
	memcpy(h->written, w->written, sizeof(h->written));
	if (committed) {
		h->lat = lat;
		h->lat_commits = w->commits;
	}
	pthread_mutex_unlock(&h->mu);
}

static void *
writer_thread(void *arg)
{
	struct writer	*w = arg;
	struct handoff	*h = w->ho;
	struct qev	**v = NULL;
	struct timespec	 ts;
	size_t		 n, cap = 0, i;
	int		 stop, due;
	long		 wait_ms;

	publish(w);
	for (;;) {
		pthread_mutex_lock(&h->mu);
		if (h->n == 0 && !h->stop) {
			/*
			 * With events queued (or a retry, claims to settle),
			 * look again soon; with nothing at all, sleep until
			 * the main thread hands something over.
			 */
			wait_ms = w->count > 0 || w->failing ||
			    (w->claims != NULL && (claims_wanted(w->claims) > 0 ||
			    claims_parked(w->claims) > 0)) ?
			    HANDOFF_WAKE_MS : HANDOFF_IDLE_MS;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (wait_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			h->idle = wait_ms == HANDOFF_IDLE_MS;
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
			h->idle = 0;
		}
		/* Take the list whole: the main thread gets an empty one. */
		n = h->n;
		if (n > 0) {
			struct qev **t = h->v;
			size_t tc = h->cap;

			h->v = v;
			h->cap = cap;
			v = t;
			cap = tc;
			h->n = 0;
			pthread_cond_signal(&h->room);
		}
		stop = h->stop;
		pthread_mutex_unlock(&h->mu);
		for (i = 0; i < n; i++)
			accept_event(w, v[i]);
		if ((due = writer_due_own(w, now_ms())))
			writer_flush_own(w);
		/* Idle rounds change nothing the status file shows. */
		if (n > 0 || due || stop)
			publish(w);
		if (stop && n == 0)
			break;
	}
	free(v);
	return NULL;
}

int
writer_start(struct writer *w)
{
	struct handoff	*h;
	sigset_t	 all, old;
	int		 rc;

	h = xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_cond_init(&h->room, NULL);
	w->ho = h;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->th, NULL, writer_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("cannot start the writer's thread: %s",
		    strerror(rc));
		pthread_cond_destroy(&h->room);
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
		w->ho = NULL;
		return -1;
	}
	return 0;
}

/* The thread drains what was handed over, flushes, and ends. */
static void
handoff_stop(struct writer *w)
{
	struct handoff	*h = w->ho;

	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->th, NULL);
	w->dropped += h->dropped;
	pthread_cond_destroy(&h->room);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h->v);
	free(h);
	w->ho = NULL;
}

/*
 * The public calls: in threaded mode the thread flushes on its own and
 * the figures are what it published.
 */
int
writer_due(struct writer *w, int64_t now_ms)
{
	return w->ho != NULL ? 0 : writer_due_own(w, now_ms);
}

int
writer_flush(struct writer *w)
{
	return w->ho != NULL ? 0 : writer_flush_own(w);
}

void
writer_counts(const struct writer *w, size_t *queued, size_t *held,
    uint64_t *dropped, int64_t *last_commit_ms)
{
	struct handoff	*h = w->ho;

	if (h == NULL) {
		writer_counts_own(w, queued, held, dropped, last_commit_ms);
		return;
	}
	pthread_mutex_lock(&h->mu);
	*queued = h->queued + h->n;
	*held = h->held;
	*dropped = h->wdropped + h->dropped;
	*last_commit_ms = h->last_commit;
	pthread_mutex_unlock(&h->mu);
}

void
writer_latency(const struct writer *w, struct writer_latency *l)
{
	struct handoff	*h = w->ho;

	if (h == NULL) {
		writer_latency_own(w, l);
		return;
	}
	pthread_mutex_lock(&h->mu);
	*l = h->lat;
	pthread_mutex_unlock(&h->mu);
}
