/*
 * The observer's own presence in a room: joining, gaps, reconciliation.
 *
 * Lifecycle.  A join goes IDLE -> JOINING; the occupant list arrives, then
 * our self-presence, and from there on everything is live: the occupants
 * listed are attached to participants (the session opens with the first)
 * and every later presence is an event.  The meeting id (disco#info) is
 * added to the session when it comes; nothing waits for it, because a
 * busy Prosody answers behind everything already queued to us.
 *
 * Gaps.  When our connection drops (or we are removed from the room while
 * the meeting goes on) the room goes LOST and keeps its occupants.  At the
 * self-presence of the rejoin, occupants not listed again left during the
 * gap (at the gap's start, the conservative time for billing), new ones
 * joined, and an observer_gap event records the blind interval.  Only one
 * case waits for the meeting id: nobody known was listed again, so the
 * room may have been destroyed and re-created meanwhile (ROOM_INFO); the
 * newcomers are attached to the old or a new session once the id says
 * which.  Nobody is duplicated because occupants and participants keep
 * their identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "room_int.h"
#include "xmalloc.h"

/*
 * Attach the occupants not attached yet, in the order they arrived, but
 * not before not_before.  A room with nobody in it is empty from now on
 * (room_tick leaves it).
 */
static int
attach_newcomers(struct room *r, int already, int64_t not_before,
    int64_t now, const struct event_sink *sink)
{
	struct occupant	*o;
	int		 n = 0;

	TAILQ_FOREACH(o, &r->occupants, entry) {
		if (o->kind != OCC_PARTICIPANT || o->part != NULL)
			continue;
		part_attach(r, o, o->arrived_ms > not_before ? o->arrived_ms :
		    not_before, already, now, sink);
		n++;
	}
	if (r->sess.present == 0 && r->empty_since == 0)
		r->empty_since = now;
	return n;
}

/*
 * Settle a gap: occupants the rejoin did not list again left while we
 * could not see them, the newcomers joined, and an observer_gap event
 * records the blind interval.  Ends in JOINED.
 */
static void
reconcile(struct room *r, int64_t now, const struct event_sink *sink)
{
	struct occupant		*o, *next;
	struct event_fields	 f;
	int			 left = 0, joined, ended = 0;
	int64_t			 gap = r->gap_start;

	for (o = TAILQ_FIRST(&r->occupants); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o->seen)
			continue;
		f.n = 0;
		if (o->kind == OCC_PARTICIPANT && o->part != NULL) {
			ef_str(&f, "nick", o->nick);
			ef_bool(&f, "during_gap", 1);
			part_detach(r, o, EVENT_LEAVE, "left_during_gap", &f,
			    gap, now, sink);
			left++;
		} else if (o->kind == OCC_HIDDEN)
			hidden_leave(r, o, 1, now, sink);
		else if (o->kind == OCC_FOCUS) {
			occ_remove(r, o);
			if (r->main == NULL && r->sess.open) {
				session_close(r, gap, "focus_left", sink);
				ended = 1;
			}
			continue;
		}
		occ_remove(r, o);
	}
	/*
	 * The meeting ended during the gap but people stayed: they are in
	 * the next meeting from the moment we see them again, never before
	 * the old one's end (a session of theirs would overlap it, even
	 * share its uid).
	 */
	joined = ended ? attach_newcomers(r, 1, now, now, sink) :
	    attach_newcomers(r, 0, 0, now, sink);
	/* The main room speaks for the meeting's gap. */
	if (r->main == NULL && r->sess.open) {
		f.n = 0;
		ef_time(&f, "from", gap);
		ef_time(&f, "to", now);
		ef_int(&f, "seconds", (now - gap) / 1000);
		ef_int(&f, "left_during_gap", left);
		ef_int(&f, "joined_during_gap", joined);
		emit(r, EVENT_OBSERVER_GAP, NULL, now, &f, now, sink);
	}
	r->gap_start = 0;
	r->state = ROOM_JOINED;
}

int
self_presence(struct room *r, const struct presence *p, int64_t now,
    const struct event_sink *sink)
{
	struct occupant	*o;
	int		 survivor = 0;

	if (p->kind == PRESENCE_AVAILABLE) {
		if (r->state != ROOM_JOINING)
			return 0;
		if (r->gap_start == 0) {
			/* A fresh join: everyone listed was already here. */
			r->state = ROOM_JOINED;
			attach_newcomers(r, 1, 0, now, sink);
			return ROOM_ACT_QUERY_INFO;
		}
		TAILQ_FOREACH(o, &r->occupants, entry)
			if (o->seen && o->part != NULL)
				survivor = 1;
		/*
		 * Somebody we knew is still here, so the room (and its
		 * meeting) survived the gap; or there is no meeting id to
		 * tell meetings apart by.  Otherwise wait for the id.
		 */
		if (survivor || !r->sess.open || r->sess.meeting_id == NULL)
			reconcile(r, now, sink);
		else
			r->state = ROOM_INFO;
		return ROOM_ACT_QUERY_INFO;
	}
	/*
	 * Our own unavailable presence.  While we are joining it can only be
	 * the late echo of our previous leave (a busy server answers behind
	 * its queue): nobody removes an occupant that is not in yet.
	 */
	if (r->state == ROOM_JOINING) {
		log_debug("room %s: our earlier leave, echoed late", r->jid);
		return 0;
	}
	if (p->destroyed && r->main != NULL) {
		/* A breakout room closed: its people go back to the main. */
		log_info("room %s: breakout room %s closed", r->main->jid,
		    r->breakout_name != NULL ? r->breakout_name : r->jid);
		TAILQ_FOREACH(o, &r->occupants, entry)
			if (o->kind == OCC_PARTICIPANT)
				part_move_out(r, o, "closed", now);
		occ_clear(r);
		r->state = ROOM_IDLE;
		return ROOM_ACT_GIVE_UP;
	}
	if (p->destroyed) {
		log_info("room %s: destroyed%s%s", r->jid,
		    r->ended_by != NULL ? ", ended for all by " : "",
		    r->ended_by != NULL ? r->ended_by : "");
		set_str(&r->destroy_reason, p->destroy_reason);
		session_close(r, now, r->ended_by != NULL ? "ended_for_all" :
		    "room_destroyed", sink);
		end_notes_clear(r);
		occ_clear(r);
		r->state = ROOM_IDLE;
		return ROOM_ACT_RETRY;
	}
	/*
	 * 322: removed because the room became members-only (the lobby was
	 * turned on) and nobody made us a member: without the companion
	 * module the observer cannot come back in while the lobby is on.
	 */
	if (presence_has_code(p, 322) && r->main == NULL) {
		log_warnx("room %s: observer removed by the lobby (322); the "
		    "companion module keeps it in", r->jid);
		session_close(r, now, "observer_removed", sink);
		occ_clear(r);
		r->gap_start = 0;
		r->state = ROOM_IDLE;
		return ROOM_ACT_RETRY;
	}
	/*
	 * Removed while the meeting goes on: 333 after our connection
	 * hibernated with stanzas queued, a kick, a ban.  Keep the state and
	 * rejoin; the gap is reconciled like a reconnect.
	 */
	log_warnx("room %s: observer removed (code %d), rejoining", r->jid,
	    p->ncodes > 0 ? p->codes[0] : 0);
	if (r->state != ROOM_LOST) {
		r->state = ROOM_LOST;
		if (r->gap_start == 0)
			r->gap_start = now;
	}
	return ROOM_ACT_REJOIN;
}

void
room_meeting_info(struct room *r, const char *meeting_id, int64_t now,
    const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	struct occupant		*o, *next;
	int			 changed;

	if (r->main != NULL) {
		/* A breakout room's id is not the meeting's. */
		if (r->state == ROOM_INFO)
			reconcile(r, now, sink);
		return;
	}

	if (r->state == ROOM_INFO) {
		changed = meeting_id != NULL && r->meeting_id != NULL &&
		    strcmp(meeting_id, r->meeting_id) != 0;
		if (changed) {
			/* The room was re-created while we were away. */
			session_close(r, r->gap_start, "ended_during_gap",
			    sink);
			r->gap_start = 0;
		}
		if (meeting_id != NULL)
			set_str(&r->meeting_id, meeting_id);
		if (changed) {
			/* Who was not listed again left with the old one. */
			for (o = TAILQ_FIRST(&r->occupants); o != NULL;
			    o = next) {
				next = TAILQ_NEXT(o, entry);
				if (!o->seen)
					occ_remove(r, o);
			}
			/*
			 * Who was here before the gap and is listed again
			 * came to the new meeting during the gap: by our
			 * rejoin, not at the old arrival (fuzz finding F5).
			 */
			r->state = ROOM_JOINED;
			attach_newcomers(r, 1, r->joined_ms, now, sink);
		} else
			reconcile(r, now, sink);
	} else if (r->state == ROOM_JOINED && meeting_id != NULL)
		set_str(&r->meeting_id, meeting_id);
	else
		return;
	if (r->sess.open && r->sess.meeting_id == NULL &&
	    r->meeting_id != NULL) {
		r->sess.meeting_id = xstrdup(r->meeting_id);
		ef_str(&f, "meeting_id", r->meeting_id);
		emit(r, EVENT_MEETING_INFO, NULL, now, &f, now, sink);
	}
}

void
room_join_sent(struct room *r, int64_t now)
{
	struct occupant	*o;

	if (r->state == ROOM_LOST) {
		TAILQ_FOREACH(o, &r->occupants, entry)
			o->seen = 0;
	} else if (r->state == ROOM_IDLE) {
		occ_clear(r);
		r->gap_start = 0;
		r->empty_since = 0;
		/* A new visit may find a new meeting in the same room. */
		free(r->meeting_id);
		r->meeting_id = NULL;
	} else
		return;
	r->joined_ms = now;
	r->state = ROOM_JOINING;
}

void
room_connection_lost(struct room *r, int64_t now)
{
	switch (r->state) {
	case ROOM_JOINING:
	case ROOM_INFO:
		/* A gap that started earlier still counts from its start. */
		if (r->gap_start == 0) {
			if (!r->sess.open) {
				occ_clear(r);
				r->state = ROOM_IDLE;
				return;
			}
			r->gap_start = now;
		}
		r->state = ROOM_LOST;
		break;
	case ROOM_JOINED:
		r->gap_start = now;
		r->state = ROOM_LOST;
		break;
	default:
		break;
	}
}
