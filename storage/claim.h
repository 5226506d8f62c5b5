/*
 * Which shard records a booked appointment (writer.c's, with [xmpp]
 * shard set).  Every shard's daemon follows every booking, but only the
 * shard whose Prosody hosts the room sees anybody come; the others would
 * record a no-show.  So an appointment's events wait here until the
 * database says whose it is: the first shard to see its room (any event
 * from the room itself), or, when nobody ever came, the first to decide
 * its outcome, takes it (teleconferencesessions.shard); the rest drop
 * theirs.
 */
#ifndef TELETRACK_CLAIM_H
#define TELETRACK_CLAIM_H

#include <stddef.h>
#include <stdint.h>

#define CLAIM_CHECK_MS	1000	/* ask again about a waiting one */

struct claims;
struct db;

enum claim {
	CLAIM_PENDING,		/* nobody's yet: park the event */
	CLAIM_MINE,		/* write it */
	CLAIM_THEIRS		/* another shard records it: drop it */
};

/* Claims of shard (copied). */
struct claims	*claims_new(const char *shard);

/* Free c; drop(item, arg) each parked item.  NULL is fine. */
void		 claims_free(struct claims *c, void (*drop)(void *, void *),
		    void *arg);

/* Where an event of appointment appt goes now. */
enum claim	 claims_state(struct claims *c, const char *appt);

/*
 * Park item (an event of appt while CLAIM_PENDING).  proving: it shows
 * that this shard may take the appointment (it comes from the room, or
 * it is the outcome), so the next claims_settle() claims it.
 */
void		 claims_park(struct claims *c, const char *appt, void *item,
		    int proving);

/* Items parked; appointments to claim now. */
size_t		 claims_parked(const struct claims *c);
size_t		 claims_wanted(const struct claims *c);

/*
 * Drop the oldest parked item (the writer's queue is full): 1, or 0
 * when nothing is parked.
 */
int		 claims_drop_oldest(struct claims *c,
		    void (*drop)(void *, void *), void *arg);

/*
 * Ask db about every appointment with parked items (a waiting one at
 * most every CLAIM_CHECK_MS), claiming the wanted ones.  Settled as
 * mine: release(item, arg) each, in order; as another shard's: drop them
 * (logged once).  Returns 0, or -1 with db's error recorded (what was
 * not settled stays parked).
 */
int		 claims_settle(struct claims *c, struct db *db,
		    void (*release)(void *, void *),
		    void (*drop)(void *, void *), void *arg, int64_t now_ms);

#endif
