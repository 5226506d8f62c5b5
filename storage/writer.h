/*
 * The event sink that writes: events are copied into a queue by
 * writer_emit() and committed in one transaction by writer_flush() when
 * writer_due() says so: by the caller (tests, the fuzzer), or, after
 * writer_start() (the daemon), by a thread of the writer's own.  A
 * failed flush (database locked by another process, read-only, disk
 * full) keeps the queue and is retried; nothing is lost unless the queue
 * passes its bound, and then the oldest events go first, counted in the
 * log.
 */
#ifndef TELETRACK_WRITER_H
#define TELETRACK_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define WRITER_MAX_QUEUE	100000	/* events held while flushes fail */
#define WRITER_RETRY_MIN_MS	1000	/* backoff after a failed flush */
/*
 * flush_ms is when an event must be committed, not when to start: the
 * writer's thread looks every 10 ms (a caller of writer_due() as often as
 * it asks) and a batch takes a few ms to commit, more on a busy machine.
 */
#define WRITER_SLACK_MS		50
#define WRITER_RETRY_MAX_MS	30000

struct db;
struct writer;

/*
 * A writer on db (opened read-write; the writer does not own it and must
 * be freed before it).  A flush is due when the oldest queued event is
 * flush_ms old or flush_count events are queued (values < 1 mean 1).
 * writer_free() frees it.
 */
struct writer	*writer_new(struct db *db, int flush_ms, int flush_count);

/*
 * Flush what is queued, retrying for up to about 2 s while another
 * process holds the lock, then free; events still unwritten are lost and
 * counted in the log.  NULL is fine.
 */
void		 writer_free(struct writer *);

/*
 * The sink function: { writer_emit, writer } is a struct event_sink.
 * Deep-copies ev (its strings and both rollup snapshots), so the caller
 * may change or free them on return.  Never fails; an event without a
 * session (or a session without a uid) cannot be stored and is dropped
 * with a warning.  When the queue is full the oldest event is dropped.
 */
void		 writer_emit(const struct event *ev, void *arg);

/*
 * 1 when writer_flush() should be called at now_ms (ms since the epoch,
 * the clock events are stamped with): events are queued and either
 * flush_count are queued or the oldest is flush_ms - WRITER_SLACK_MS old,
 * so that its COMMIT, at the caller's next turn, is done by flush_ms.
 * After a failed flush, 0 until a backoff (WRITER_RETRY_MIN_MS doubling
 * up to WRITER_RETRY_MAX_MS) has passed, so a locked database does not
 * stall the event loop on every tick.
 */
int		 writer_due(struct writer *, int64_t now_ms);

/*
 * Write every queued event in one IMMEDIATE transaction: for each, upsert
 * its session row (by session_uid), its participant row (by session and
 * participant_key) and, unless it is EVENT_ROLLUP, insert its event row.
 * Returns 0 with the queue empty (also when it was empty), or -1 after a
 * rollback with every event still queued; the failure is logged once per
 * change of error, and the recovery with the count flushed.  An event
 * SQLite rejects for its content (a constraint) is dropped with a
 * warning so it cannot block the others.
 */
int		 writer_flush(struct writer *);

/* Number of events queued and not yet committed. */
size_t		 writer_pending(const struct writer *);

/* Number of events dropped since writer_new() (queue full, rejected). */
uint64_t	 writer_dropped(const struct writer *);

/*
 * For the status file: events queued, held (queued while the database
 * refuses them), dropped since writer_new(), and the time of the last
 * commit (ms; 0 before the first).
 */
void		 writer_counts(const struct writer *, size_t *queued,
		    size_t *held, uint64_t *dropped, int64_t *last_commit_ms);
/* Event rows committed since writer_new(), by type ([EVENT__COUNT]). */
const uint64_t	*writer_written(const struct writer *);

/*
 * How long committed events waited, from writer_emit() (the stanza's
 * arrival: the derivation is synchronous) to their COMMIT, since
 * writer_new(): ms, at 1 ms resolution up to WRITER_LAT_MAX (a longer
 * wait counts as WRITER_LAT_MAX + 1).  Rollup snapshots are not counted:
 * they are no stanza's and no row of teleconference_events.
 */
#define WRITER_LAT_MAX	5000
struct writer_latency {
	uint64_t	 count;
	int		 p50_ms;
	int		 p99_ms;
	int		 max_ms;
};
void		 writer_latency(const struct writer *, struct writer_latency *);

/*
 * The observer's shard ([xmpp] shard; NULL or "": none), stored on every
 * session row it writes.  A row another shard recorded is never changed.
 */
void		 writer_set_shard(struct writer *, const char *shard);

/* Change the queue bound (default WRITER_MAX_QUEUE; values < 1 mean 1). */
void		 writer_set_max_queue(struct writer *, size_t max);
/*
 * From now on a thread of the writer's own writes (writer.c, threaded
 * mode): writer_emit() only copies and hands over, writer_due() and
 * writer_flush() do nothing, the counts are the thread's last published
 * ones, writer_free() lets it finish.  The database handle is the
 * thread's from then on.  Call after writer_set_shard() and
 * writer_set_max_queue().  0, or -1 (logged; the writer stays as it was).
 */
int		 writer_start(struct writer *);

#endif
