/*
 * The participants of a meeting session: one per person, across
 * reconnects, moves between the meeting's rooms and several occupants at
 * once.  room.c says which occupant arrived, changed or left; this file
 * finds or makes its participant (part_attach, part_detach), keeps what
 * is counted per person (time present, speaking, media "ever on", issues,
 * client facts) and emits the events that carry them.  Two occupants
 * with one identity at once are tabs.c's.  Pure: no I/O, no clock.
 */
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "keytree.h"
#include "log.h"
#include "room_int.h"
#include "text.h"
#include "xmalloc.h"

/* --- participants ------------------------------------------------------ */

struct participant *
part_find(struct room *room, const char *key)
{
	return keytree_find(&M(room)->part_tree, key);
}

static void
part_free(struct participant *p)
{
	free(p->key);
	free(p->nick);
	free(p->name);
	free(p->pid);
	free(p->prole);
	free(p->jid);
	free(p->stats_id);
	free(p->left_reason);
	free(p->ip);
	free(p->ua);
	free(p->issues);
	free(p->move_from);
	free(p);
}

/* Forget p: it was folded into another participant (tabs.c). */
void
part_remove(struct room *room, struct participant *p)
{
	struct room		*r = M(room);

	TAILQ_REMOVE(&r->parts, p, entry);
	tdelete(p, &r->part_tree, keytree_cmp);
	part_free(p);
}

static void
no_free(void *p)
{
	(void)p;
}

void
parts_clear(struct room *room)
{
	struct room		*r = M(room);
	struct participant	*p;
	struct occupant		*o;

	tdestroy(r->part_tree, no_free);
	r->part_tree = NULL;
	size_t			 i;

	while ((p = TAILQ_FIRST(&r->parts)) != NULL) {
		TAILQ_REMOVE(&r->parts, p, entry);
		part_free(p);
	}
	TAILQ_FOREACH(o, &r->occupants, entry)
		o->part = NULL;
	for (i = 0; i < r->nbreakouts; i++)
		TAILQ_FOREACH(o, &r->breakouts[i]->occupants, entry)
			o->part = NULL;
	r->speaker = NULL;
}

/* The number of participants present changed at ts. */
void
present_changed(struct room *room, int delta, int64_t ts)
{
	struct room		*r = M(room);
	struct session	*s = &r->sess;

	s->present += delta;
	if (s->present > s->rec.peak_participants)
		s->rec.peak_participants = s->present;
	if (s->present == 0) {
		if (r->empty_since == 0)
			r->empty_since = ts;
	} else
		r->empty_since = 0;
}

/* What o says of its media: "ever on" flags, the last known state. */
void
part_media(struct participant *p, const struct occupant *o)
{
	if (o->media.audio > 0)
		p->rec.microphone_enabled = 1;
	if (o->media.camera > 0)
		p->rec.camera_enabled = 1;
	if (o->media.share > 0)
		p->rec.screen_shared = 1;
	if (o->media.audio != MEDIA_UNKNOWN)
		p->media.audio = o->media.audio;
	if (o->media.camera != MEDIA_UNKNOWN)
		p->media.camera = o->media.camera;
	if (o->media.share != MEDIA_UNKNOWN)
		p->media.share = o->media.share;
	p->dirty = 1;
}

void
part_issue(struct room *room, struct participant *p, const char *what,
    int64_t ts, int64_t now)
{
	struct room		*r = M(room);
	int64_t	 at = (ts - p->rec.joined_ms) / 1000;

	p->issues = xreallocarray(p->issues, p->nissues + 1,
	    sizeof(*p->issues));
	p->issues[p->nissues].what = what;
	p->issues[p->nissues].at_s = at < 0 ? 0 : at;
	p->nissues++;
	p->dirty = 1;
	requality(r, p, now);
}

/* Close p's running speaking interval, if any, at ts. */
void
speak_stop(struct room *room, struct participant *p, int64_t ts)
{
	struct room		*r = M(room);
	if (p->speak_since == 0)
		return;
	if (ts > p->speak_since)
		p->spoke_ms += ts - p->speak_since;
	p->speak_since = 0;
	p->dirty = 1;
	if (r->speaker == p)
		r->speaker = NULL;
}

void
part_speaker(struct room *room, struct participant *to, int64_t now)
{
	struct room		*r = M(room);
	if (r->speaker != NULL && r->speaker != to)
		speak_stop(r, r->speaker, now);
	if (to != NULL && to->speak_since == 0 && PRESENT(to)) {
		to->speak_since = now;
		to->rec.spoke_known = 1;
		to->dirty = 1;
		r->speaker = to;
	}
}

/*
 * One of p's occupants is gone at ts.  When it was the last one, p stops
 * being present: its time present is banked and its leave stamped.
 */
void
part_gone(struct room *room, struct participant *p, int64_t ts,
    const char *reason)
{
	struct room		*r = M(room);
	if (--p->noccupants > 0)
		return;
	if (ts > p->present_since)
		p->accum_ms += ts - p->present_since;
	p->rec.left_ms = ts;
	set_str(&p->left_reason, reason);
	speak_stop(r, p, ts);
	present_changed(r, -1, ts);
	p->dirty = 1;
}

/* The bare part of a real JID, into buf. */
static const char *
bare(const char *jid, char *buf, size_t bufsz)
{
	size_t	 n;

	if (jid == NULL)
		return NULL;
	n = strcspn(jid, "/");
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, jid, n);
	buf[n] = '\0';
	return buf;
}

/*
 * A participant let in from the lobby: its wait is the time from the
 * knock to the admission.  The knock is found by real JID, else by nick.
 */
static void
lobby_link(struct room *r, struct participant *p, const struct occupant *o)
{
	struct knock	*k;
	char		 b[1024];
	const char	*j = bare(o->jid, b, sizeof(b));

	TAILQ_FOREACH(k, &r->knocks, entry) {
		if (k->admitted == 0 || k->linked ||
		    !((j != NULL && streq(k->jid, j)) ||
		    streq(k->nick, o->nick)))
			continue;
		p->rec.lobby_wait_s = (k->admitted - k->since) / 1000;
		p->rec.lobby_known = 1;
		p->dirty = 1;
		k->linked = 1;
		return;
	}
}

/*
 * One of a moving participant's occupants arrived in room: the move is
 * over, and a breakout_move event says from where to where.
 */
static void
part_arrive(struct room *room, struct occupant *o, struct participant *p,
    int64_t ts, int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct event_fields	 f = { .n = 0 };

	o->part = p;
	p->noccupants++;
	set_str(&p->nick, o->nick);
	part_media(p, o);
	ef_str(&f, "nick", o->nick);
	ef_str(&f, "from", p->move_from != NULL ? p->move_from : "main");
	ef_str(&f, "to", room->breakout_name != NULL ? room->breakout_name :
	    "main");
	ef_str(&f, "reason", p->move_reason);
	ef_int(&f, "seconds", (ts - p->moving) / 1000);
	p->moving = 0;
	p->dirty = 1;
	emit(r, EVENT_BREAKOUT_MOVE, p, ts, &f, now, sink);
	free(p->move_from);	/* the event borrowed it */
	p->move_from = NULL;
}

/* A new participant of the session, keyed key, joined at ts. */
struct participant *
part_new(struct room *room, const char *key, int64_t ts)
{
	struct room		*r = M(room);
	struct participant	*p = xcalloc(1, sizeof(*p));

	p->key = xstrdup(key);
	p->rec.joined_ms = ts;
	p->media.audio = p->media.camera = p->media.share = MEDIA_UNKNOWN;
	TAILQ_INSERT_TAIL(&r->parts, p, entry);
	keytree_add(&r->part_tree, p);
	r->sess.rec.participant_count++;
	return p;
}

/*
 * Every occupant of p is known to have lost its connection (the
 * companion module's notice): a newcomer with p's identity is p coming
 * back.
 */
int
part_interrupted(struct room *room, const struct participant *p)
{
	struct room	*r = M(room);
	struct occupant	*o;
	size_t		 i;
	int		 n = 0;

	TAILQ_FOREACH(o, &r->occupants, entry)
		if (o->part == p && !o->interrupted)
			return 0;
		else if (o->part == p)
			n++;
	for (i = 0; i < r->nbreakouts; i++)
		TAILQ_FOREACH(o, &r->breakouts[i]->occupants, entry)
			if (o->part == p && !o->interrupted)
				return 0;
			else if (o->part == p)
				n++;
	return n > 0;
}

/*
 * Attach occupant o to the participant with its identity: a new one
 * (join), one that left (reconnect), one moving between the rooms of the
 * meeting (the end of the move), or, when that identity is still here, a
 * provisional one (tabs.c).  Opens the session when this is its first
 * participant.
 */
void
part_attach(struct room *room, struct occupant *o, int64_t ts, int already,
    int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct participant	*p;
	struct event_fields	 f = { .n = 0 };
	int			 reconnect;
	char			*prev_nick = NULL;

	if (!r->sess.open)
		session_open(r, ts, now, sink);
	/* Nobody joins a meeting before it started (session_open). */
	if (ts < r->sess.rec.start_ms)
		ts = r->sess.rec.start_ms;
	if ((p = part_find(r, o->key)) != NULL && p->moving > 0) {
		part_arrive(room, o, p, ts, now, sink);
		return;
	}
	/* The same identity still here: a second tab, or a reconnect. */
	if (p != NULL && PRESENT(p) && !o->flip_device &&
	    !part_interrupted(r, p))
		p = tab_get(r, p, ts);
	if (p == NULL)
		p = part_new(r, o->key, ts);
	reconnect = p->rec.join_count > 0;
	if (reconnect)
		prev_nick = xstrdup_null(p->nick);
	o->part = p;
	p->rec.join_count++;
	if (p->noccupants++ == 0) {
		p->present_since = ts;
		present_changed(r, 1, ts);
	}
	set_str(&p->nick, o->nick);
	set_str(&p->name, best_name(o));
	if (o->identity_id != NULL)
		set_str(&p->pid, o->identity_id);
	if (o->identity_role != NULL && *o->identity_role != '\0')
		set_str(&p->prole, o->identity_role);
	if (o->jid != NULL)
		set_str(&p->jid, o->jid);
	if (o->stats_id != NULL)
		set_str(&p->stats_id, o->stats_id);
	if (streq(o->role, "moderator"))
		p->rec.is_moderator = 1;
	part_media(p, o);
	if (o->snapshot_ms >= 0) {
		p->spoke_base_ms = o->snapshot_ms;
		p->rec.spoke_known = 1;
	}
	lobby_link(r, p, o);
	p->dirty = 1;
	if (reconnect)
		part_issue(r, p, "reconnect", ts, now);

	ef_str(&f, "nick", o->nick);
	ef_str(&f, "name", best_name(o));
	ef_str(&f, "role", p->prole != NULL ? p->prole : "unknown");
	if (reconnect) {
		ef_str(&f, "previous_nick", prev_nick);
		ef_int(&f, "join_count", p->rec.join_count);
	}
	if (already)
		ef_bool(&f, "already_present", 1);
	emit(room, reconnect ? EVENT_RECONNECT : EVENT_JOIN, p, ts, &f, now,
	    sink);
	free(prev_nick);
	/* Client facts the module sent before the occupant was attached. */
	if (o->pending_ip != NULL || o->pending_ua != NULL) {
		part_client(r, p, o->pending_ip, o->pending_ua, now, sink);
		free(o->pending_ip);
		free(o->pending_ua);
		o->pending_ip = o->pending_ua = NULL;
	}
}

/*
 * Occupant o left room for another room of the meeting (switch_room, or
 * its breakout room closed) at ts.  Its participant stays present while
 * it moves; part_attach() ends the move where it arrives, and
 * session_rollup() makes it a leave when it never does.
 */
void
part_move_out(struct room *room, struct occupant *o, const char *reason,
    int64_t ts)
{
	struct participant	*p = o->part;

	if (p == NULL)
		return;
	o->part = NULL;
	if (--p->noccupants > 0)
		return;
	p->noccupants = 0;
	p->moving = ts;
	p->move_reason = reason;
	set_str(&p->move_from, room->breakout_name);
	speak_stop(room, p, ts);
}

/*
 * Occupant o leaves at ts with event type t.  The participant stays
 * present when another of its occupants is still here.
 */
void
part_detach(struct room *room, struct occupant *o, enum event_type t,
    const char *reason, const struct event_fields *f, int64_t ts,
    int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct participant	*p = o->part;

	if (p == NULL)
		return;
	/* A lost connection may be the one a newcomer replaced. */
	if (p->ntabs > 0 && t == EVENT_DISCONNECT)
		tab_merge_into(r, p, now, sink);
	else if (p->ntabs > 0)
		tab_settle(r, p);
	part_gone(r, p, ts, reason);
	if (t == EVENT_DISCONNECT) {
		p->rec.disconnection_count++;
		r->sess.rec.total_disconnections++;
		part_issue(r, p, "disconnect", ts, now);
	} else if (t == EVENT_KICKED)
		part_issue(r, p, "kicked", ts, now);
	o->part = NULL;
	p->dirty = 1;
	emit(room, t, p, ts, f, now, sink);
}

/* Record client facts (ip already stored, hashed or NULL per ip_mode). */
void
part_client(struct room *room, struct participant *p, const char *ip,
    const char *ua, int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct event_fields	 f = { .n = 0 };

	ef_str(&f, "nick", p->nick);
	if (ip != NULL) {
		set_str(&p->ip, ip);
		ef_str(&f, "ip", ip);
	}
	if (ua != NULL) {
		set_str(&p->ua, ua);
		client_classify(ua, &p->browser, &p->os, &p->device);
		ef_str(&f, "user_agent", ua);
	}
	p->dirty = 1;
	emit(r, EVENT_CLIENT_INFO, p, now, &f, now, sink);
}

void
knock_free(struct knock *k)
{
	if (k == NULL)
		return;
	free(k->nick);
	free(k->jid);
	free(k->name);
	free(k->pid);
	free(k->role);
	free(k);
}

/*
 * A participant left a room for another one of the meeting and never
 * arrived: a leave after all, when the move began.
 */
void
move_nowhere(struct room *r, struct participant *p, int64_t now,
    const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	int64_t			 ts = p->moving;

	p->moving = 0;
	p->noccupants = 1;	/* part_gone() counts it down */
	part_gone(r, p, ts, "leave");
	ef_str(&f, "nick", p->nick);
	ef_str(&f, "status", p->move_reason);
	ef_bool(&f, "never_arrived", 1);
	p->dirty = 1;
	emit(r, EVENT_LEAVE, p, ts, &f, now, sink);
}
