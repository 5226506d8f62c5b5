/*
 * Room state and event derivation: what arrives in an observed room.
 *
 * The observer hands every presence and message of a room to this module
 * together with the time it arrived.  The room keeps the occupants (by
 * MUC nick, with their last parsed state), compares each presence with
 * the stored state and tells session.c what happened: a participant
 * arrived, changed or left.  Nothing here does I/O or reads the clock.
 *
 * The observer's own joins, and the gaps when it could not see the room,
 * are in gap.c; what arrives besides presence in notes.c.
 */
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "jid.h"
#include "keytree.h"
#include "log.h"
#include "room_int.h"
#include "settings.h"
#include "text.h"
#include "xmalloc.h"

/* --- occupants --------------------------------------------------------- */

struct occupant *
occ_find(struct room *r, const char *nick)
{
	return keytree_find(&r->occ_tree, nick);
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

void
occ_remove(struct room *r, struct occupant *o)
{
	tdelete(o, &r->occ_tree, keytree_cmp);
	TAILQ_REMOVE(&r->occupants, o, entry);
	occ_free(o);
}

void
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
	keytree_add(&r->occ_tree, o);
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

void
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
 * time the source changes, whichever comes first.  A follow-up names
 * every track the client has at once (microphone and camera together);
 * a change names the one source changed.  So a presence that names audio
 * and camera for the first time together is state.  One kind named alone
 * is state when it comes within this window of a moment a media session
 * starts: the occupant's own join, or another participant's join or leave
 * (jicofo starts the conference at two; measured 0.4-1.1 s after the join
 * with lib-jitsi-meet on a loaded machine).  Someone alone in the room has
 * no media session (jicofo waits for a second participant, and there is
 * no peer), so what they name is their change whenever it comes.
 * Otherwise it is the user's change.
 */
#define FOLLOWUP_WINDOW_MS	3000

/* Another participant's occupant is in the room with o. */
static int
has_company(const struct room *r, const struct occupant *o)
{
	const struct occupant	*x;

	TAILQ_FOREACH(x, &r->occupants, entry)
		if (x != o && x->kind == OCC_PARTICIPANT)
			return 1;
	return 0;
}

static int
followup_time(const struct room *r, const struct occupant *o, int64_t now)
{
	return (now - o->arrived_ms <= FOLLOWUP_WINDOW_MS ||
	    (r->roster_ms > 0 && now - r->roster_ms <= FOLLOWUP_WINDOW_MS)) &&
	    has_company(r, o);
}

static const struct {
	enum event_type	 on, off;
} media_events[] = {
	{ EVENT_AUDIO_UNMUTE, EVENT_AUDIO_MUTE },
	{ EVENT_VIDEO_UNMUTE, EVENT_VIDEO_MUTE },
	{ EVENT_SCREENSHARE_START, EVENT_SCREENSHARE_STOP },
};

/*
 * Media transitions of o's participant: old is o's state before the
 * presence.  A kind o names for the first time is compared with what the
 * participant's other connections said (a move between rooms, a
 * reconnect): a change if it differs.  For someone never heard of, the
 * follow-up window decides.
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
	const int		 knew[3] = { pt->media.audio, pt->media.camera,
				    pt->media.share };
	int			*enabled[3] = { &pt->rec.microphone_enabled,
				    &pt->rec.camera_enabled,
				    &pt->rec.screen_shared };
	size_t			 k;
	int			 together;

	/* Microphone and camera named for the first time at once. */
	together = was[0] == MEDIA_UNKNOWN && is[0] != MEDIA_UNKNOWN &&
	    was[1] == MEDIA_UNKNOWN && is[1] != MEDIA_UNKNOWN;
	part_media(pt, o);
	for (k = 0; k < 3; k++) {
		if (is[k] == MEDIA_UNKNOWN || is[k] == was[k])
			continue;
		if (was[k] == MEDIA_UNKNOWN && knew[k] != MEDIA_UNKNOWN) {
			if (is[k] == knew[k])
				continue;
		} else if (was[k] == MEDIA_UNKNOWN) {
			/* A share is started by the user, never a state. */
			if (k == 2 ? !is[k] : together ||
			    followup_time(r, o, now))
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
		tdelete(o, &r->occ_tree, keytree_cmp);
		set_str(&o->nick, p->new_nick);
		keytree_add(&r->occ_tree, o);
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

int
room_tick(struct room *r, int64_t now, const struct event_sink *sink)
{
	if (r->main != NULL)
		return 0;	/* the main room rolls the meeting up */
	session_rollup(r, now, sink);
	return room_check(r, now);
}

int
room_check(struct room *r, int64_t now)
{
	struct knock	*k, *next;

	if (r->main != NULL)
		return 0;
	/* Let in from the lobby a minute ago and never joined: forget. */
	for (k = TAILQ_FIRST(&r->knocks); k != NULL; k = next) {
		next = TAILQ_NEXT(k, entry);
		if (k->left > 0 && now - k->left > 60000) {
			TAILQ_REMOVE(&r->knocks, k, entry);
			knock_free(k);
		}
	}
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
