/*
 * What the storage writer's three files share (writer.h is its
 * interface): the queued event, the batch cache, the rows as committed
 * and struct writer.  writer.c runs the batches (flush, failures,
 * claims, latency) and holds the public calls and the design notes;
 * writer_queue.c the queue of snapshots, the batch cache and the rows
 * as last committed; writer_sql.c the statements and what binds a
 * snapshot to them.
 */
#ifndef WRITER_INT_H
#define WRITER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "event.h"
#include "writer.h"

struct claims;
struct handoff;

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
	int			 proves;	/* proves() of the event */
	struct ent		*se;		/* flush_once(): its batch's */
	struct ent		*pe;		/*  session and participant
						   entries (pe NULL: none) */
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
	uint64_t		 commits;	/* COMMITs that took, so
						   far: lat changed */
	struct handoff		*ho;		/* writer_start(), or NULL */
};

#define WRITER_FREE_TRIES	10	/* flushes tried by writer_free() */

/* writer_queue.c */
struct qev	*qev_new(const struct event *ev);
void		 qev_unref(struct qev *e);
struct qev	*queue_at(const struct writer *w, size_t i);
void		 queue_drop_oldest(struct writer *w);
void		 drop_committed(struct writer *w);
void		 queue_remove(struct writer *w, size_t i);
void		 queue_push(struct writer *w, struct qev *e);
void		 cache_clear(struct cache *c);
struct ent	*cache_get(struct cache *c, const char *uid, const char *key);
struct ent	*cache_add(struct cache *c, const char *uid, const char *key);
struct row	*row_find(struct writer *w, const char *uid, const char *key);
int		 same_session(const struct session_rec *a, const struct session_rec *b);
int		 same_participant(const struct participant_rec *a,
	    const struct participant_rec *b);
void		 rows_forget(struct writer *w, const char *uid);
void		 row_free(void *p);
void		 rows_commit(struct writer *w);

/* writer_sql.c */
int		 write_session(struct writer *w, const struct session_rec *s,
	    const struct row *r, int64_t *id);
int		 write_participant(struct writer *w, const struct qev *e,
	    const struct row *r, int64_t sid, int64_t *id);
int		 write_event(struct db *db, const struct qev *e, int64_t sid,
	    int64_t pid);
int		 write_side_effect(struct writer *w, const struct qev *e,
	    int64_t sid, int64_t pid);
int		 write_merge(struct writer *w, const struct qev *e,
	    const struct session_rec *latest, int64_t sid, int64_t pid);
int		 has_participant(const struct qev *e);

#endif /* WRITER_INT_H */
