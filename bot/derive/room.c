/*
 * Room state and event derivation: what arrives in an observed room.
 *
 * The observer hands every presence and message of a room to this module
 * together with the time it arrived.  The room keeps the occupants (by
 * MUC nick, with their last parsed state), compares each presence with
 * the stored state and tells session.c what happened: a participant
 * arrived, changed or left.  Nothing here does I/O or reads the clock.
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
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "jid.h"
#include "log.h"
#include "room_int.h"
#include "settings.h"
#include "xmalloc.h"

static void	end_notes_clear(struct room *);

/* --- occupants --------------------------------------------------------- */

/* Tree order: the nick, the first member of struct occupant. */
static int
occ_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct occupant *
occ_find(struct room *r, const char *nick)
{
	void	*n;

	if (nick == NULL)
		return NULL;
	n = tfind(&nick, &r->occ_tree, occ_cmp);
	return n != NULL ? *(struct occupant **)n : NULL;
}

static void
occ_free(struct occupant *o)
{
	free(o->nick);
	free(o->jid);
	free(o->role);
	free(o->affiliation);
	free(o->display_name);
	free(o->key);
	free(o->identity_id);
	free(o->identity_name);
	free(o->identity_role);
	free(o->stats_id);
	free(o->pending_ip);
	free(o->pending_ua);
	free(o);
}

static void
occ_remove(struct room *r, struct occupant *o)
{
	tdelete(o, &r->occ_tree, occ_cmp);
	TAILQ_REMOVE(&r->occupants, o, entry);
	occ_free(o);
}

static void
occ_clear(struct room *r)
{
	struct occupant	*o;

	while ((o = TAILQ_FIRST(&r->occupants)) != NULL)
		occ_remove(r, o);
}

static char *
identity_key(const struct presence *p)
{
	char	*k;

	if (p->identity_id != NULL && *p->identity_id != '\0')
		xasprintf(&k, "id:%s", p->identity_id);
	else if (p->stats_id != NULL && *p->stats_id != '\0')
		xasprintf(&k, "sid:%s", p->stats_id);
	else
		xasprintf(&k, "nick:%s", p->nick);
	return k;
}

/* 1 when the real JID jid is on domain. */
static int
jid_on_domain(const char *jid, const char *domain)
{
	char	*d;
	int	 on;

	if (jid == NULL || domain == NULL ||
	    (d = jid_part(jid, JID_DOMAIN)) == NULL)
		return 0;
	on = strcasecmp(d, domain) == 0;
	free(d);
	return on;
}

static void
occ_fill(struct occupant *o, const struct presence *p)
{
	set_str(&o->jid, p->jid != NULL ? p->jid : o->jid);
	set_str(&o->role, p->role);
	set_str(&o->affiliation, p->affiliation);
	set_str(&o->display_name, p->display_name);
	if (p->identity_id != NULL)
		set_str(&o->identity_id, p->identity_id);
	if (p->identity_name != NULL)
		set_str(&o->identity_name, p->identity_name);
	if (p->identity_role != NULL)
		set_str(&o->identity_role, p->identity_role);
	if (p->stats_id != NULL)
		set_str(&o->stats_id, p->stats_id);
	/* A kind the presence does not name keeps its last state. */
	if (p->media.audio != MEDIA_UNKNOWN)
		o->media.audio = p->media.audio;
	if (p->media.camera != MEDIA_UNKNOWN)
		o->media.camera = p->media.camera;
	if (p->media.share != MEDIA_UNKNOWN)
		o->media.share = p->media.share;
	if (p->hand_raised >= 0)
		o->hand = p->hand_raised;
	o->feature_jibri |= p->feature_jibri;
	o->feature_transcriber |= p->feature_transcriber;
}

static struct occupant *
occ_new(struct room *r, const struct presence *p, int64_t now)
{
	struct occupant	*o = xcalloc(1, sizeof(*o));
	size_t		 fl = strlen(r->focus_nick);

	o->nick = xstrdup(p->nick);
	o->media.audio = o->media.camera = o->media.share = MEDIA_UNKNOWN;
	o->hand = -1;
	o->transcription = -1;
	o->snapshot_ms = -1;
	o->arrived_ms = now;
	o->flip_device = p->flip_device;
	occ_fill(o, p);
	/* lib-jitsi-meet adds raisedHand only once a hand went up. */
	if (o->hand < 0)
		o->hand = 0;
	o->key = identity_key(p);
	/* Jicofo: nick "focus", real JID focus@auth.<domain>/... */
	if (strcmp(p->nick, r->focus_nick) == 0 || (p->jid != NULL &&
	    strncmp(p->jid, r->focus_nick, fl) == 0 && p->jid[fl] == '@'))
		o->kind = OCC_FOCUS;
	else if (jid_on_domain(p->jid, r->hidden_domain))
		o->kind = OCC_HIDDEN;
	else
		o->kind = OCC_PARTICIPANT;
	TAILQ_INSERT_TAIL(&r->occupants, o, entry);
	if (tsearch(o, &r->occ_tree, occ_cmp) == NULL)
		fatal("tsearch");
	return o;
}

/* --- focus, hidden members --------------------------------------------- */

static const char *
hidden_kind(const struct occupant *o)
{
	if (o->feature_transcriber)
		return "transcriber";
	if (o->feature_jibri)
		return "recorder";
	return "hidden";
}

static void
hidden_transcription(struct room *r, struct occupant *o, int state,
    int64_t now, const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };

	if (state < 0 || state == o->transcription)
		return;
	ef_str(&f, "nick", o->nick);
	if (state == 1 || o->transcription == 1)
		emit(r, state == 1 ? EVENT_TRANSCRIPTION_START :
		    EVENT_TRANSCRIPTION_STOP, NULL, now, &f, now, sink);
	o->transcription = state;
}

static void
hidden_leave(struct room *r, struct occupant *o, int during_gap,
    int64_t now, const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };

	hidden_transcription(r, o, 0, now, sink);
	ef_str(&f, "nick", o->nick);
	ef_str(&f, "kind", hidden_kind(o));
	if (during_gap)
		ef_bool(&f, "during_gap", 1);
	emit(r, EVENT_HIDDEN_LEAVE, NULL, now, &f, now, sink);
}

/* --- presence ---------------------------------------------------------- */

/*
 * A client announces a source in SourceInfo the first time its media
 * session starts (the "follow-up" presence, jitsi-xmpp.md) or the first
 * time the source changes, whichever comes first.  Media sessions start
 * at moments the room shows: the occupant's own join, or another
 * participant's join or leave (jicofo starts the conference at two,
 * peer-to-peer restarts 5 s after a leave).  A first announcement within
 * this window of such a moment is state; any other is the user's change.
 */
#define FOLLOWUP_WINDOW_MS	10000

static int
followup_time(const struct room *r, const struct occupant *o, int64_t now)
{
	return now - o->arrived_ms <= FOLLOWUP_WINDOW_MS ||
	    (r->roster_ms > 0 && now - r->roster_ms <= FOLLOWUP_WINDOW_MS);
}

static const struct {
	enum event_type	 on, off;
} media_events[] = {
	{ EVENT_AUDIO_UNMUTE, EVENT_AUDIO_MUTE },
	{ EVENT_VIDEO_UNMUTE, EVENT_VIDEO_MUTE },
	{ EVENT_SCREENSHARE_START, EVENT_SCREENSHARE_STOP },
};

/*
 * Media transitions of o's participant: old and cur are o's states before
 * and after a presence.
 */
static void
media_update(struct room *r, struct occupant *o, const struct media_state
    *old, const struct event_fields *f, int64_t now,
    const struct event_sink *sink)
{
	struct participant	*pt = o->part;
	const int		 was[3] = { old->audio, old->camera, old->share };
	const int		 is[3] = { o->media.audio, o->media.camera,
				    o->media.share };
	int			*enabled[3] = { &pt->rec.microphone_enabled,
				    &pt->rec.camera_enabled,
				    &pt->rec.screen_shared };
	size_t			 k;

	part_media(pt, o);
	for (k = 0; k < 3; k++) {
		if (is[k] == MEDIA_UNKNOWN || is[k] == was[k])
			continue;
		if (was[k] == MEDIA_UNKNOWN) {
			/* A share is started by the user, never a state. */
			if (k == 2 ? !is[k] : followup_time(r, o, now))
				continue;
			/* Announced off: it was on since the join. */
			if (!is[k])
				*enabled[k] = 1;
		}
		emit(r, is[k] ? media_events[k].on : media_events[k].off, pt,
		    now, f, now, sink);
	}
}

/* Compare old occupant state with a new presence; emit transitions. */
static void
occ_update(struct room *r, struct occupant *o, const struct presence *p,
    int64_t now, const struct event_sink *sink)
{
	struct participant	*pt = o->part;
	struct media_state	 old = o->media;
	struct event_fields	 f = { .n = 0 };
	int			 oldhand = o->hand;
	char			*oldname = xstrdup(best_name(o));
	char			*oldrole = xstrdup_null(o->role);
	char			*oldaff = xstrdup_null(o->affiliation);

	occ_fill(o, p);
	if (pt == NULL)
		goto done;
	/*
	 * The occupant spoke: its connection is alive, so a newcomer with its
	 * identity is a second tab.  A role change alone is the server's
	 * doing, and the listing at our own (re)join is no sign either.
	 */
	o->interrupted = 0;
	if (pt->ntabs > 0 && r->state == ROOM_JOINED &&
	    streq(oldrole, o->role) && streq(oldaff, o->affiliation))
		tab_settle(r, pt);
	ef_str(&f, "nick", o->nick);
	media_update(r, o, &old, &f, now, sink);
	if (oldhand >= 0 && o->hand >= 0 && oldhand != o->hand)
		emit(r, o->hand ? EVENT_HAND_RAISE : EVENT_HAND_LOWER, pt,
		    now, &f, now, sink);
	/* The first name given after a nameless join is not a rename. */
	if (strcmp(oldname, best_name(o)) != 0 && strcmp(oldname, o->nick) == 0)
		set_str(&pt->name, best_name(o));
	else if (strcmp(oldname, best_name(o)) != 0) {
		set_str(&pt->name, best_name(o));
		f.n = 1;
		ef_str(&f, "old", oldname);
		ef_str(&f, "new", best_name(o));
		emit(r, EVENT_NICK_CHANGE, pt, now, &f, now, sink);
	}
	if (!streq(oldrole, o->role) || !streq(oldaff, o->affiliation)) {
		if (streq(o->role, "moderator"))
			pt->rec.is_moderator = 1;
		f.n = 1;
		ef_str(&f, "old_role", oldrole);
		ef_str(&f, "new_role", o->role);
		ef_str(&f, "old_affiliation", oldaff);
		ef_str(&f, "new_affiliation", o->affiliation);
		emit(r, EVENT_ROLE_CHANGE, pt, now, &f, now, sink);
	}
	pt->dirty = 1;
done:
	free(oldname);
	free(oldrole);
	free(oldaff);
}

static int
is_disconnect(const struct presence *p)
{
	if (presence_has_code(p, 333))
		return 1;
	return p->status_text != NULL &&
	    strncmp(p->status_text, "Disconnected:", 13) == 0;
}

static void
occ_unavailable(struct room *r, struct occupant *o, const struct presence *p,
    int64_t now, const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	enum event_type		 t;
	const char		*reason;

	/* 303: the occupant changed its MUC nick; the same person stays. */
	if (presence_has_code(p, 303) && p->new_nick != NULL &&
	    occ_find(r, p->new_nick) == NULL) {
		if (o->part != NULL) {
			ef_str(&f, "nick", p->new_nick);
			ef_str(&f, "old_nick", o->nick);
			ef_str(&f, "new_nick", p->new_nick);
			set_str(&o->part->nick, p->new_nick);
			emit(r, EVENT_NICK_CHANGE, o->part, now, &f, now,
			    sink);
		}
		tdelete(o, &r->occ_tree, occ_cmp);
		set_str(&o->nick, p->new_nick);
		if (tsearch(o, &r->occ_tree, occ_cmp) == NULL)
			fatal("tsearch");
		return;
	}

	if (o->kind == OCC_FOCUS) {
		occ_remove(r, o);
		/* Jicofo leaves a breakout room, not the meeting. */
		if (r->main == NULL)
			session_close(r, now, "focus_left", sink);
		return;
	}
	/*
	 * Going to another room of the meeting (a breakout room, or back):
	 * not a leave.  The arrival says where (part_attach()).
	 */
	if (o->kind == OCC_PARTICIPANT && o->part != NULL &&
	    p->status_text != NULL && strcmp(p->status_text, "switch_room") ==
	    0 && (r->main != NULL || r->nbreakouts > 0)) {
		part_move_out(r, o, "switch_room", now);
		occ_remove(r, o);
		return;
	}
	if (o->kind == OCC_HIDDEN) {
		hidden_leave(r, o, 0, now, sink);
		occ_remove(r, o);
		return;
	}

	ef_str(&f, "nick", o->nick);
	if (p->status_text != NULL)
		ef_str(&f, "status", p->status_text);
	if (p->ncodes > 0)
		ef_ints(&f, "codes", p->codes, (size_t)p->ncodes);
	if (p->flip_device && presence_has_code(p, 307)) {
		t = EVENT_DEVICE_SWITCH;
		reason = "device_switch";
	} else if (presence_has_code(p, 307) || presence_has_code(p, 301)) {
		t = EVENT_KICKED;
		reason = presence_has_code(p, 301) ? "banned" : "kicked";
		if (p->actor_nick != NULL)
			ef_str(&f, "actor", p->actor_nick);
		if (p->reason != NULL)
			ef_str(&f, "reason", p->reason);
	} else if (is_disconnect(p)) {
		t = EVENT_DISCONNECT;
		reason = "disconnect";
	} else {
		t = EVENT_LEAVE;
		reason = "leave";
	}
	part_detach(r, o, t, reason, &f, now, now, sink);
	occ_remove(r, o);
}

/*
 * Attach the occupants not attached yet, in the order they arrived.  A
 * room with nobody in it is empty from now on (room_tick leaves it).
 */
static int
attach_newcomers(struct room *r, int already, int64_t now,
    const struct event_sink *sink)
{
	struct occupant	*o;
	int		 n = 0;

	TAILQ_FOREACH(o, &r->occupants, entry) {
		if (o->kind != OCC_PARTICIPANT || o->part != NULL)
			continue;
		part_attach(r, o, o->arrived_ms, already, now, sink);
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
	int			 left = 0, joined;
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
			if (r->main == NULL)
				session_close(r, gap, "focus_left", sink);
			continue;
		}
		occ_remove(r, o);
	}
	joined = attach_newcomers(r, 0, now, sink);
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

static int
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
			attach_newcomers(r, 1, now, sink);
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
	/* Our own unavailable presence. */
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

int
room_apply(struct room *r, const struct presence *p, int64_t now,
    const struct event_sink *sink)
{
	struct occupant		*o;
	struct event_fields	 f = { .n = 0 };

	if (p->kind == PRESENCE_ERROR) {
		if (r->state != ROOM_JOINING)
			return 0;
		/*
		 * The room is gone or refuses us ("Room creation is
		 * restricted" before focus created it).  After a gap this
		 * means the meeting ended while we could not see it.  A
		 * breakout room's refusal ends nothing.
		 */
		if (r->main == NULL && r->sess.open)
			session_close(r, r->gap_start > 0 ? r->gap_start : now,
			    "ended_during_gap", sink);
		occ_clear(r);
		r->gap_start = 0;
		r->state = ROOM_IDLE;
		/* The companion module says when trying again is pointless. */
		if (p->retry != NULL && (strcmp(p->retry, "health-check") ==
		    0 || strcmp(p->retry, "not-in-meeting") == 0))
			return ROOM_ACT_GIVE_UP;
		return r->main != NULL ? ROOM_ACT_GIVE_UP : ROOM_ACT_RETRY;
	}
	if (r->state == ROOM_IDLE || r->state == ROOM_LOST)
		return 0;	/* stray presence while not in the room */

	if (strcmp(p->nick, r->self_nick) == 0 || presence_has_code(p, 110))
		return self_presence(r, p, now, sink);

	o = occ_find(r, p->nick);
	if (p->kind == PRESENCE_UNAVAILABLE) {
		if (o == NULL)
			return 0;
		/* Jicofo left: the conference is over; clients leave too. */
		if (o->kind == OCC_FOCUS && !presence_has_code(p, 303)) {
			occ_unavailable(r, o, p, now, sink);
			return ROOM_ACT_LEAVE;
		}
		if (o->kind == OCC_PARTICIPANT && !presence_has_code(p, 303))
			r->roster_ms = now;
		occ_unavailable(r, o, p, now, sink);
		return 0;
	}

	if (o != NULL) {
		o->seen = 1;
		if (o->kind == OCC_FOCUS)
			session_recording(r, p, now, sink);
		else if (o->kind == OCC_HIDDEN)
			hidden_transcription(r, o, p->transcription, now, sink);
		else
			occ_update(r, o, p, now, sink);
		return 0;
	}

	o = occ_new(r, p, now);
	o->seen = 1;
	switch (o->kind) {
	case OCC_FOCUS:
		session_recording(r, p, now, sink);
		break;
	case OCC_HIDDEN:
		ef_str(&f, "nick", o->nick);
		ef_str(&f, "kind", hidden_kind(o));
		ef_str(&f, "jid", o->jid);
		emit(r, EVENT_HIDDEN_JOIN, NULL, now, &f, now, sink);
		hidden_transcription(r, o, p->transcription, now, sink);
		break;
	case OCC_PARTICIPANT:
		r->roster_ms = now;
		/* While joining (or settling a gap), attach later. */
		if (r->state == ROOM_JOINED)
			part_attach(r, o, now, 0, now, sink);
		break;
	}
	return 0;
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
			r->state = ROOM_JOINED;
			attach_newcomers(r, 1, now, sink);
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

/* --- messages ---------------------------------------------------------- */

void
room_message(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	struct occupant		*o;

	if (m->nick == NULL || m->delayed)
		return;		/* room-level message, or history replay */
	if ((o = occ_find(r, m->nick)) == NULL || o->part == NULL)
		return;		/* focus, observer, hidden, or unknown */
	ef_str(&f, "nick", o->nick);
	if (m->kind == MESSAGE_CHAT) {
		o->part->rec.messages_sent++;
		ef_bool(&f, "reply", m->is_reply);
		emit(r, EVENT_CHAT_MESSAGE, o->part, now, &f, now, sink);
	} else if (m->kind == MESSAGE_REACTION && m->nreactions > 0) {
		o->part->rec.reactions_sent += m->nreactions;
		ef_int(&f, "count", m->nreactions);
		emit(r, EVENT_REACTION, o->part, now, &f, now, sink);
	} else
		return;
	o->part->dirty = 1;
}

void
room_speakerstats(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct event_field	*f;
	struct occupant		*o;
	size_t			 n = 0, len = sizeof("users");
	char			*text;
	int			 i;

	/* One block: the fields, then the keys they point to. */
	for (i = 0; i < m->nstats; i++)
		len += strlen(m->stats[i].nick) + 1;
	f = xcalloc(1, ((size_t)m->nstats + 2) * sizeof(*f) + len);
	text = (char *)(f + m->nstats + 2);
	memcpy(text, "users", sizeof("users"));
	f[n].key = text;
	f[n++].type = EV_OBJECT;
	text += sizeof("users");
	for (i = 0; i < m->nstats; i++) {
		const struct speaker_stat *st = &m->stats[i];

		len = strlen(st->nick) + 1;
		memcpy(text, st->nick, len);
		f[n].key = text;
		f[n].type = EV_INT;
		f[n++].i = st->total_ms;
		text += len;
		if ((o = occ_find(r, st->nick)) == NULL)
			continue;
		o->snapshot_ms = st->total_ms;
		if (o->part != NULL) {
			o->part->spoke_base_ms = st->total_ms;
			o->part->rec.spoke_known = 1;
			o->part->dirty = 1;
		}
	}
	f[n++].type = EV_END;
	/* Kept until the session opens, when it has not yet. */
	free(r->pending_stats);
	r->pending_stats = f;
	r->npending_stats = n;
	session_stats(r, now, sink);
}

/*
 * The server admitted o at at_ms (the companion module saw it; rate
 * limits and jicofo's lock can hold a join for seconds): people already
 * here when we came joined then, not when we did.
 */
static void
joined_at(struct room *r, struct occupant *o, int64_t at_ms)
{
	struct participant	*p = o->part;

	if (at_ms <= 0 || at_ms >= o->arrived_ms)
		return;
	o->true_join_ms = at_ms;
	o->arrived_ms = at_ms;
	if (p == NULL)
		return;
	if (at_ms < p->rec.joined_ms)
		p->rec.joined_ms = at_ms;
	if (p->noccupants == 1 && at_ms < p->present_since)
		p->present_since = at_ms;
	p->dirty = 1;
	(void)r;
}

/* The ended note and the destroy reason are only good for one end. */
static void
end_notes_clear(struct room *r)
{
	free(r->ended_by);
	free(r->ended_by_jid);
	free(r->destroy_reason);
	r->ended_by = r->ended_by_jid = r->destroy_reason = NULL;
}

/* The bare part of a real JID, copied, or NULL. */
static char *
bare_dup(const char *jid)
{
	return jid != NULL ? strndup(jid, strcspn(jid, "/")) : NULL;
}

static struct knock *
knock_find(struct room *r, const char *nick, const char *jid)
{
	struct knock	*k;
	char		*b = bare_dup(jid);

	TAILQ_FOREACH(k, &r->knocks, entry)
		if ((b != NULL && streq(k->jid, b)) || streq(k->nick, nick))
			break;
	free(b);
	return k;
}

/*
 * The lobby, from the companion module's notes (knockers' presence in the
 * lobby room reaches only the meeting's owners).  A knock is kept until
 * its person is let in and joins (part_attach() turns the time between
 * into lobby_wait_seconds) or leaves the lobby without that.
 */
static void
lobby_note(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	static const enum event_type types[] = {
		[LOBBY_JOIN] = EVENT_LOBBY_JOIN,
		[LOBBY_ADMITTED] = EVENT_LOBBY_ADMITTED,
		[LOBBY_DENIED] = EVENT_LOBBY_DENIED,
		[LOBBY_LEAVE] = EVENT_LOBBY_LEAVE
	};
	struct event_fields	 f = { .n = 0 };
	struct knock		*k;
	struct occupant		*o;
	char			*b;

	k = knock_find(r, m->note_nick, m->note_jid);
	if (m->note_event == LOBBY_JOIN) {
		if (k == NULL) {
			k = xcalloc(1, sizeof(*k));
			TAILQ_INSERT_TAIL(&r->knocks, k, entry);
		}
		set_str(&k->nick, m->note_nick);
		free(k->jid);
		k->jid = bare_dup(m->note_jid);
		set_str(&k->name, m->note_identity_name != NULL ?
		    m->note_identity_name : m->note_name);
		set_str(&k->pid, m->note_identity_id);
		set_str(&k->role, m->note_identity_role);
		k->since = now;
		k->admitted = k->left = 0;
		/* A knock is the meeting's business: it opens the session. */
		if (!r->sess.open)
			session_open(r, now, now, sink);
	}
	if (k == NULL)
		return;		/* a knock from before we came */
	ef_str(&f, "nick", k->nick);
	if (m->note_event == LOBBY_JOIN) {
		ef_str(&f, "name", k->name);
		if (k->pid != NULL)
			ef_str(&f, "participant_id", k->pid);
		if (k->role != NULL)
			ef_str(&f, "role", k->role);
	} else
		ef_int(&f, "wait_s", ((k->admitted > 0 ? k->admitted : now) -
		    k->since) / 1000);
	if (m->note_by != NULL)
		ef_str(&f, "by", m->note_by);
	if (m->note_event == LOBBY_LEAVE && m->note_reason != NULL)
		ef_str(&f, "reason", m->note_reason);
	emit_knock(r, types[m->note_event], k, &f, now, sink);
	switch (m->note_event) {
	case LOBBY_ADMITTED:
		k->admitted = now;
		/* Already in (the join can come first): link it now. */
		b = bare_dup(m->note_jid);
		TAILQ_FOREACH(o, &r->occupants, entry) {
			char *ob = bare_dup(o->jid);
			int match = o->part != NULL && ((b != NULL &&
			    streq(ob, b)) || streq(o->nick, k->nick));

			free(ob);
			if (!match)
				continue;
			o->part->rec.lobby_wait_s = (k->admitted - k->since) /
			    1000;
			o->part->rec.lobby_known = 1;
			o->part->dirty = 1;
			k->linked = 1;
			break;
		}
		free(b);
		break;
	case LOBBY_LEAVE:
		/* Let in: kept (a minute at most) until the person joins. */
		if (k->admitted == 0 || k->linked) {
			TAILQ_REMOVE(&r->knocks, k, entry);
			knock_free(k);
		} else
			k->left = now;
		break;
	default:
		break;
	}
}

void
room_module_note(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	struct occupant		*o;
	struct participant	*p;
	const char		*ip = NULL;
	char			 hash[CLIENT_PSEUDONYM_LEN];

	switch (m->note) {
	case NOTE_LOBBY:
		lobby_note(M(r), m, now, sink);
		return;
	case NOTE_ENDED:
		/* The destroy presences follow: they end the session. */
		set_str(&M(r)->ended_by, m->note_nick);
		set_str(&M(r)->ended_by_jid, m->note_jid);
		log_info("room %s: ended for all by %s", M(r)->jid,
		    m->note_nick != NULL ? m->note_nick : "?");
		return;
	default:
		break;
	}
	if (m->note_nick == NULL || (o = occ_find(r, m->note_nick)) == NULL)
		return;
	if (m->note == NOTE_JOINED) {
		joined_at(r, o, m->note_at_ms);
		return;
	}
	if (m->note == NOTE_CLIENT) {
		if (m->note_ip != NULL && streq(r->ip_mode, "store"))
			ip = m->note_ip;
		else if (m->note_ip != NULL && !streq(r->ip_mode, "none"))
			ip = client_ip_pseudonym(r->ip_key, r->ip_key_len,
			    m->note_ip, hash, sizeof(hash));
		if (o->part != NULL)
			part_client(r, o->part, ip, m->note_ua, now, sink);
		else if (o->kind == OCC_PARTICIPANT) {
			/* Not attached yet (we are still joining). */
			set_str(&o->pending_ip, ip);
			set_str(&o->pending_ua, m->note_ua);
		}
		return;
	}
	if ((p = o->part) == NULL)
		return;
	ef_str(&f, "nick", o->nick);
	switch (m->note) {
	case NOTE_SPEAKER:
		part_speaker(r, m->note_silence ? NULL : p, now);
		ef_bool(&f, "silence", m->note_silence);
		emit(r, EVENT_DOMINANT_SPEAKER, p, now, &f, now, sink);
		return;
	case NOTE_INTERRUPTED:
		o->interrupted = 1;
		p->interruptions++;
		part_issue(r, p, "interrupted", now, now);
		emit(r, EVENT_CONNECTION_INTERRUPTED, p, now, &f, now, sink);
		return;
	case NOTE_RESTORED:
		o->interrupted = 0;
		ef_int(&f, "duration_ms", m->note_ms);
		p->dirty = 1;
		emit(r, EVENT_CONNECTION_RESTORED, p, now, &f, now, sink);
		return;
	default:
		return;
	}
}

/* --- lifecycle --------------------------------------------------------- */

struct room *
room_new(const char *jid, const struct room_opts *opts)
{
	struct room	*r = xcalloc(1, sizeof(*r));
	struct settings	 def;
	const char	*at;

	settings_defaults(&def);
	r->jid = xstrdup(jid);
	at = strchr(jid, '@');
	r->name = at != NULL ? strndup(jid, (size_t)(at - jid)) : xstrdup(jid);
	if (r->name == NULL)
		fatal("strndup");
	r->self_nick = xstrdup(opts->self_nick);
	r->hidden_domain = xstrdup_null(opts->hidden_domain);
	r->focus_nick = xstrdup(opts->focus_nick != NULL ? opts->focus_nick :
	    "focus");
	r->fair_per_hour = opts->quality_fair_per_hour > 0 ?
	    opts->quality_fair_per_hour : def.quality_fair_per_hour;
	r->poor_per_hour = opts->quality_poor_per_hour > 0 ?
	    opts->quality_poor_per_hour : def.quality_poor_per_hour;
	r->leave_grace_s = opts->leave_grace_s;
	room_set_ip(r, opts->ip_mode, opts->ip_key, opts->ip_key_len);
	TAILQ_INIT(&r->occupants);
	TAILQ_INIT(&r->parts);
	TAILQ_INIT(&r->knocks);
	r->state = ROOM_IDLE;
	return r;
}

struct room *
room_new_breakout(const char *jid, const struct room_opts *opts,
    struct room *main, const char *name)
{
	struct room	*r = room_new(jid, opts);

	r->main = main;
	r->breakout_name = xstrdup(name != NULL ? name : r->name);
	main->breakouts = xreallocarray(main->breakouts, main->nbreakouts + 1,
	    sizeof(*main->breakouts));
	main->breakouts[main->nbreakouts++] = r;
	return r;
}

/* Unlink breakout room b from its main room. */
static void
unlink_breakout(struct room *b)
{
	struct room	*m = b->main;
	struct occupant	*o;
	size_t		 i;

	for (i = 0; i < m->nbreakouts; i++)
		if (m->breakouts[i] == b) {
			m->breakouts[i] = m->breakouts[--m->nbreakouts];
			break;
		}
	/* Whoever is still attached here is no longer in this room. */
	TAILQ_FOREACH(o, &b->occupants, entry)
		if (o->part != NULL && o->part->noccupants > 0) {
			o->part->noccupants--;
			o->part = NULL;
		}
	b->main = NULL;
}

void
room_free(struct room *r)
{
	struct knock	*k;

	if (r == NULL)
		return;
	if (r->main != NULL)
		unlink_breakout(r);
	while (r->nbreakouts > 0)
		unlink_breakout(r->breakouts[r->nbreakouts - 1]);
	free(r->breakouts);
	free(r->breakout_name);
	while ((k = TAILQ_FIRST(&r->knocks)) != NULL) {
		TAILQ_REMOVE(&r->knocks, k, entry);
		knock_free(k);
	}
	end_notes_clear(r);
	occ_clear(r);
	parts_clear(r);
	free(r->sess.uid);
	free(r->sess.appointment_id);
	free(r->sess.meeting_id);
	free(r->sess.end_reason);
	free(r->appt_uid);
	free(r->appt_id);
	free(r->jid);
	free(r->name);
	free(r->self_nick);
	free(r->hidden_domain);
	free(r->focus_nick);
	free(r->ip_mode);
	free(r->meeting_id);
	free(r->pending_stats);
	free(r->rec_status);
	free(r->rec_mode);
	free(r->rec_session);
	free(r);
}

const char *
room_jid(const struct room *r)
{
	return r->jid;
}

enum room_state
room_state(const struct room *r)
{
	return r->state;
}

const struct session_rec *
room_session(const struct room *r)
{
	return r->sess.open ? &r->sess.rec : NULL;
}

int
room_participants_present(const struct room *r)
{
	return r->sess.open ? r->sess.present : 0;
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

int
room_tick(struct room *r, int64_t now, const struct event_sink *sink)
{
	struct knock	*k, *next;

	if (r->main != NULL)
		return 0;	/* the main room rolls the meeting up */
	/* Let in from the lobby a minute ago and never joined: forget. */
	for (k = TAILQ_FIRST(&r->knocks); k != NULL; k = next) {
		next = TAILQ_NEXT(k, entry);
		if (k->left > 0 && now - k->left > 60000) {
			TAILQ_REMOVE(&r->knocks, k, entry);
			knock_free(k);
		}
	}
	session_rollup(r, now, sink);
	if (r->state == ROOM_JOINED && r->empty_since > 0 &&
	    now - r->empty_since >= (int64_t)r->leave_grace_s * 1000)
		return ROOM_ACT_LEAVE;
	return 0;
}

void
room_left(struct room *r, int64_t now, const char *reason,
    const struct event_sink *sink)
{
	struct occupant	*o;

	if (r->main != NULL) {
		/* Leaving a breakout room is not the end of its people. */
		TAILQ_FOREACH(o, &r->occupants, entry)
			if (o->kind == OCC_PARTICIPANT)
				part_move_out(r, o, "observer_left", now);
	} else
		session_close(r, now, reason, sink);
	end_notes_clear(r);
	occ_clear(r);
	r->gap_start = 0;
	r->empty_since = 0;
	r->state = ROOM_IDLE;
}

void
room_set_appointment(struct room *r, const char *uid,
    const char *appointment_id)
{
	if (uid != NULL && r->appt_uid != NULL && strcmp(uid, r->appt_uid) ==
	    0)
		return;
	free(r->appt_uid);
	free(r->appt_id);
	r->appt_uid = xstrdup_null(uid);
	r->appt_id = xstrdup_null(uid != NULL ? appointment_id : NULL);
	r->appt_sessions = 0;
	/* A meeting already under way belongs to it from now on. */
	if (r->sess.open) {
		free(r->sess.appointment_id);
		r->sess.appointment_id = xstrdup_null(r->appt_id);
		r->sess.rec.appointment_id = r->sess.appointment_id;
	}
}

const char *
room_appointment(const struct room *r)
{
	return r->appt_id;
}

void
room_set_ip(struct room *r, const char *ip_mode, const unsigned char *key,
    size_t keylen)
{
	set_str(&r->ip_mode, ip_mode != NULL ? ip_mode : "hash");
	if (keylen > sizeof(r->ip_key))
		keylen = sizeof(r->ip_key);
	if (key != NULL)
		memcpy(r->ip_key, key, keylen);
	r->ip_key_len = key != NULL ? keylen : 0;
}

void
room_set_quality(struct room *r, double fair_per_hour, double poor_per_hour)
{
	if (fair_per_hour > 0 && fair_per_hour != r->fair_per_hour) {
		r->fair_per_hour = fair_per_hour;
		r->requality = 1;
	}
	if (poor_per_hour > 0 && poor_per_hour != r->poor_per_hour) {
		r->poor_per_hour = poor_per_hour;
		r->requality = 1;
	}
}
