/*
 * Claims: which shard records a booked appointment (claim.h).
 *
 * DESIGN
 *
 * With several shards, every daemon reads the same schedule and follows
 * every booking, but a room lives on one shard: there the observer
 * joins it and room.c's events flow; elsewhere the room never exists and
 * the tracker, seeing nobody, would declare a no-show.  Both would write
 * to the booking's row.  So the writer hands every event of an
 * appointment nobody has taken yet to claims_park(), and claims_settle()
 * (before each flush, outside its transaction) asks the database:
 *
 *   - already taken (teleconferencesessions.shard of one of its rows):
 *     ours, release the events to the writer; another's, drop them;
 *   - not taken, and we have seen its room (an event from room.c) or
 *     decided its outcome (nobody came anywhere: every shard decides the
 *     same): take it with one UPDATE ... WHERE shard IS NULL.  Two shards
 *     racing: the row lock makes the second UPDATE find the row taken
 *     and change nothing; it then reads who has it;
 *   - not taken, and nothing shows we should: keep waiting (asking again
 *     every CLAIM_CHECK_MS, so a shard that lost the race frees its
 *     memory soon).
 *
 * Known appointments are found in a tree; those with parked events are
 * also in a list, which is all claims_settle() walks.
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim.h"
#include "db.h"
#include "log.h"
#include "text.h"
#include "xmalloc.h"

struct centry {
	char		*appt;		/* first: the tree's key */
	enum claim	 state;
	int		 wanted;	/* claim it at the next settle */
	int		 listed;	/* in c->pending */
	int64_t		 checked;	/* last asked, ms */
	void		**items;
	uint64_t	*seq;		/* each item's arrival */
	size_t		 n;
	size_t		 cap;
};

struct claims {
	char		*shard;
	void		*tree;		/* struct centry, by appt */
	struct centry	**pending;	/* entries with items or wanted */
	size_t		 npending;
	size_t		 parked;
	size_t		 nwanted;
	uint64_t	 seq;
};

/* Who has the appointment: a shard's name, or NULL (nobody yet). */
static const char sql_owner[] =
	"SELECT shard FROM teleconferencesessions"
	" WHERE appointmentId = ?1 AND shard IS NOT NULL ORDER BY id LIMIT 1";

static const char sql_take[] =
	"UPDATE teleconferencesessions SET shard = ?2"
	" WHERE appointmentId = ?1 AND shard IS NULL"
	" AND NOT EXISTS (SELECT 1 FROM teleconferencesessions o"
	"  WHERE o.appointmentId = ?1 AND o.shard IS NOT NULL)";

static int
centry_cmp(const void *a, const void *b)
{
	const struct centry	*x = a, *y = b;

	return strcmp(x->appt, y->appt);
}

static struct centry *
find(struct claims *c, const char *appt)
{
	struct centry	 k;
	void		*n;

	k.appt = (char *)(uintptr_t)appt;
	n = tfind(&k, &c->tree, centry_cmp);
	return n != NULL ? *(struct centry **)n : NULL;
}

struct claims *
claims_new(const char *shard)
{
	struct claims	*c = xcalloc(1, sizeof(*c));

	c->shard = xstrdup(shard);
	return c;
}

static void
centry_free(void *p)
{
	struct centry	*e = p;

	free(e->appt);
	free(e->items);
	free(e->seq);
	free(e);
}

void
claims_free(struct claims *c, void (*drop)(void *, void *), void *arg)
{
	size_t	 i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->npending; i++)
		for (j = 0; j < c->pending[i]->n; j++)
			drop(c->pending[i]->items[j], arg);
	tdestroy(c->tree, centry_free);
	free(c->pending);
	free(c->shard);
	free(c);
}

enum claim
claims_state(struct claims *c, const char *appt)
{
	struct centry	*e = find(c, appt);

	return e != NULL ? e->state : CLAIM_PENDING;
}

static void
list(struct claims *c, struct centry *e)
{
	if (e->listed)
		return;
	c->pending = xreallocarray(c->pending, c->npending + 1,
	    sizeof(*c->pending));
	c->pending[c->npending++] = e;
	e->listed = 1;
}

void
claims_park(struct claims *c, const char *appt, void *item, int proving)
{
	struct centry	*e;

	if ((e = find(c, appt)) == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->appt = xstrdup(appt);
		if (tsearch(e, &c->tree, centry_cmp) == NULL)
			fatal("tsearch");
	}
	if (e->n == e->cap) {
		e->cap = e->cap == 0 ? 16 : e->cap * 2;
		e->items = xreallocarray(e->items, e->cap, sizeof(*e->items));
		e->seq = xreallocarray(e->seq, e->cap, sizeof(*e->seq));
	}
	e->items[e->n] = item;
	e->seq[e->n++] = ++c->seq;
	c->parked++;
	if (proving && !e->wanted) {
		e->wanted = 1;
		c->nwanted++;
	}
	list(c, e);
}

size_t
claims_parked(const struct claims *c)
{
	return c->parked;
}

size_t
claims_wanted(const struct claims *c)
{
	return c->nwanted;
}

int
claims_drop_oldest(struct claims *c, void (*drop)(void *, void *),
    void *arg)
{
	struct centry	*e, *old = NULL;
	size_t		 i;

	for (i = 0; i < c->npending; i++) {
		e = c->pending[i];
		if (e->n > 0 && (old == NULL || e->seq[0] < old->seq[0]))
			old = e;
	}
	if (old == NULL)
		return 0;
	drop(old->items[0], arg);
	memmove(old->items, old->items + 1, (old->n - 1) *
	    sizeof(*old->items));
	memmove(old->seq, old->seq + 1, (old->n - 1) * sizeof(*old->seq));
	old->n--;
	c->parked--;
	return 1;
}

/*
 * Who has appt: 0 with owner filled ("" for nobody), or -1 (recorded).
 */
static int
owner_of(struct db *db, const char *appt, char *owner, size_t ownersz)
{
	struct db_stmt	*st;
	const char	*t;
	int		 rc;

	owner[0] = '\0';
	if ((st = db_prepare(db, sql_owner)) == NULL)
		return -1;
	if (db_bind_text(st, 1, appt) == -1) {
		db_reset(st);
		return -1;
	}
	if ((rc = db_step(st)) == DB_ROW && (t = db_column_text(st, 0)) !=
	    NULL)
		snprintf(owner, ownersz, "%s", t);
	db_reset(st);
	return rc == -1 ? -1 : 0;
}

static int
take(struct db *db, const char *appt, const char *shard)
{
	struct db_stmt	*st;

	if ((st = db_prepare(db, sql_take)) == NULL)
		return -1;
	if (db_bind_text(st, 1, appt) == -1 ||
	    db_bind_text(st, 2, shard) == -1) {
		db_reset(st);
		return -1;
	}
	return db_step_done(db, st);
}

/* e is settled: hand its items on, and forget them. */
static void
settled(struct claims *c, struct centry *e, enum claim state,
    const char *owner, void (*release)(void *, void *),
    void (*drop)(void *, void *), void *arg)
{
	char	 esc[128], oesc[128];
	size_t	 i;

	e->state = state;
	if (state == CLAIM_THEIRS && e->n > 0)
		log_info("appointment %s is recorded by shard %s: %zu event(s) "
		    "of this shard's dropped", log_escape(esc, sizeof(esc),
		    e->appt), log_escape(oesc, sizeof(oesc), owner), e->n);
	else if (state == CLAIM_MINE)
		log_info("appointment %s: recorded by this shard (%s)",
		    log_escape(esc, sizeof(esc), e->appt), c->shard);
	for (i = 0; i < e->n; i++)
		(state == CLAIM_MINE ? release : drop)(e->items[i], arg);
	c->parked -= e->n;
	e->n = 0;
	if (e->wanted) {
		e->wanted = 0;
		c->nwanted--;
	}
}

int
claims_settle(struct claims *c, struct db *db,
    void (*release)(void *, void *), void (*drop)(void *, void *),
    void *arg, int64_t now_ms)
{
	struct centry	*e;
	char		 owner[128];
	size_t		 i, keep;
	int		 rc = 0;

	for (i = 0; i < c->npending && rc == 0; i++) {
		e = c->pending[i];
		if (e->state != CLAIM_PENDING || (!e->wanted &&
		    now_ms - e->checked < CLAIM_CHECK_MS))
			continue;
		e->checked = now_ms;
		if (owner_of(db, e->appt, owner, sizeof(owner)) == -1) {
			rc = -1;
			break;
		}
		if (owner[0] == '\0' && e->wanted) {
			if (take(db, e->appt, c->shard) == -1 ||
			    owner_of(db, e->appt, owner, sizeof(owner)) == -1) {
				rc = -1;
				break;
			}
			/* No row to take (the booking is gone): ours. */
			if (owner[0] == '\0')
				snprintf(owner, sizeof(owner), "%s", c->shard);
		}
		if (owner[0] != '\0')
			settled(c, e, strcmp(owner, c->shard) == 0 ?
			    CLAIM_MINE : CLAIM_THEIRS, owner, release, drop,
			    arg);
	}
	/* The settled leave the list. */
	for (i = keep = 0; i < c->npending; i++) {
		e = c->pending[i];
		if (e->state == CLAIM_PENDING && (e->n > 0 || e->wanted))
			c->pending[keep++] = e;
		else
			e->listed = 0;
	}
	c->npending = keep;
	return rc;
}
