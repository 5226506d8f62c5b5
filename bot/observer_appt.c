/*
 * The appointments the observer serves: read from the bookings (every
 * poll_s), a tracker (bot/derive/appt.c) for each, its room wanted while
 * the appointment wants it (joined before the start, kept until the
 * tracker is done), and forgotten an hour after the end.  A tracker's
 * events leave through observer.c's fan-out like a room's.
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "appt.h"
#include "bookings.h"
#include "keytree.h"
#include "log.h"
#include "observer_int.h"
#include "room.h"
#include "xmalloc.h"

static struct tracked *
find_appt(struct observer *o, const char *uid)
{
	return keytree_find(&o->appt_tree, uid);
}

static struct tracked *
appt_add(struct observer *o, const struct booking *r,
    const struct appt_policy *pol, int64_t now)
{
	struct tracked	*t = xcalloc(1, sizeof(*t));

	t->uid = xstrdup(r->b.uid);
	t->obs = o;
	t->a = appt_new(&r->b, pol, now);
	t->sink.emit = appt_sink;
	t->sink.arg = t;
	o->appts = xreallocarray(o->appts, o->nappts + 1, sizeof(*o->appts));
	o->appts[o->nappts++] = t;
	keytree_add(&o->appt_tree, t);
	return t;
}

void
appt_remove(struct observer *o, size_t i)
{
	struct tracked	*t = o->appts[i];

	tdelete(t, &o->appt_tree, keytree_cmp);
	o->appts[i] = o->appts[--o->nappts];
	if (t->w != NULL && t->w->appt == t)
		t->w->appt = NULL;
	appt_free(t->a);
	free(t->uid);
	free(t);
}

/* The appointment wants its room: attach it and make sure we go. */
static void
want_room(struct observer *o, struct tracked *t, int64_t now)
{
	struct watched	*w;

	if (t->w == NULL) {
		w = add_room(o, appt_room(t->a), ROOM_SCHEDULED, now);
		if (w->appt != NULL && w->appt != t)
			return;		/* the previous one is not done */
		w->appt = t;
		t->w = w;
		room_set_appointment(w->room, appt_uid(t->a), appt_id(t->a));
		w->attempts = 0;
	}
	w = t->w;
	if ((room_state(w->room) == ROOM_IDLE ||
	    room_state(w->room) == ROOM_LOST) && w->next_try == 0)
		w->next_try = now;
}

/*
 * The appointment is over: leave its room (room.c's closing snapshot
 * reaches the appointment before its outcome), detach, and come back
 * only if the room is observed for its own sake.
 */
static void
release_room(struct observer *o, struct tracked *t, int64_t now)
{
	struct watched	*w = t->w;

	if (w == NULL || w->appt != t)
		return;
	if (room_state(w->room) != ROOM_IDLE)
		leave_room(o, w, "appointment_ended", now);
	room_set_appointment(w->room, NULL, NULL);
	w->appt = NULL;
	t->w = NULL;
	w->next_try = w->origin == ROOM_SCHEDULED ? 0 : now + 1000;
}

void
appt_step(struct observer *o, struct tracked *t, int64_t now)
{
	int	 act;

	if (appt_phase(t->a) == APPT_DONE)
		return;
	act = appt_tick(t->a, now, &t->sink);
	if (act & APPT_ACT_JOIN)
		want_room(o, t, now);
	if (act & APPT_ACT_END) {
		release_room(o, t, now);
		appt_end(t->a, now, &t->sink);
		t->done_at = now;
	}
}

/* Re-read the schedule and the policy; follow what changed. */
void
schedule_poll(struct observer *o, int64_t now)
{
	struct bookings	 bk;
	struct booking	*r;
	struct tracked	*t;
	char		 iso[32];
	size_t		 i;

	if (o->store.schedule(o->store.arg, now,
	    (int64_t)o->cfg->schedule_horizon_h * 3600000, &bk) == -1)
		return;		/* logged; keep what we know */
	alerter_set_admins(o->alerter, bk.admin_jids);
	/* The policy of every room follows meeting_settings too. */
	o->fair_per_hour = bk.quality_fair_per_hour;
	o->poor_per_hour = bk.quality_poor_per_hour;
	for (i = 0; i < o->nrooms; i++)
		room_set_quality(o->rooms[i]->room, o->fair_per_hour,
		    o->poor_per_hour);
	for (i = 0; i < o->nappts; i++)
		o->appts[i]->seen = 0;
	for (i = 0; i < bk.n; i++) {
		r = &bk.v[i];
		if ((t = find_appt(o, r->b.uid)) == NULL) {
			if (strcmp(r->status, "cancelled") == 0)
				continue;
			t = appt_add(o, r, &bk.pol, now);
			log_info("appointment %s: room %s at %s for %.1f min, "
			    "%zu expected%s", appt_id(t->a), r->b.room,
			    event_iso8601(r->b.start_ms, iso, sizeof(iso)),
			    (double)r->b.duration_ms / 60000, r->b.nroster,
			    r->b.resumed ? " (resumed)" : "");
		} else if (strcmp(r->status, "cancelled") == 0) {
			if (appt_phase(t->a) != APPT_DONE) {
				release_room(o, t, now);
				appt_cancel(t->a, now, r->status_reason,
				    &t->sink);
				t->done_at = now;
			}
		} else if (strcmp(appt_room(t->a), r->b.room) != 0) {
			/* Moved to another room: fine until its window opens. */
			if (appt_phase(t->a) == APPT_PENDING) {
				log_info("appointment %s: moved to room %s",
				    appt_id(t->a), r->b.room);
				release_room(o, t, now);
				appt_free(t->a);
				t->a = appt_new(&r->b, &bk.pol, now);
			} else if (t->done_at == 0)
				log_debug("%s: appointment %s already in room "
				    "%s: its move to %s is ignored", __func__,
				    appt_id(t->a), appt_room(t->a), r->b.room);
		} else
			appt_update(t->a, &r->b, &bk.pol);
		t->seen = 1;
	}
	bookings_clear(&bk);
	/* Gone from the schedule before it began, or long done: forget. */
	for (i = 0; i < o->nappts; ) {
		t = o->appts[i];
		if ((!t->seen && appt_phase(t->a) == APPT_PENDING) ||
		    (t->done_at > 0 && now - t->done_at > APPT_KEEP_MS &&
		    !t->seen)) {
			log_debug("%s: forgetting appointment %s", __func__,
			    appt_id(t->a));
			appt_remove(o, i);
		} else
			i++;
	}
}
