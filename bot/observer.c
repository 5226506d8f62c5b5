/*
 * The observer: which rooms to be in, which appointment each serves, and
 * the one fan-out of events.
 *
 * DESIGN
 *
 * The transport (bot/xmpp/transport.c) parses what arrives and calls in
 * here with the time; this file finds the room (a search tree by room
 * JID, never a walk over every room), lets the derivation work
 * (bot/derive/room.c) and acts on the ROOM_ACT_* flags it returns: join,
 * rejoin, retry with backoff, leave.  What must go on the wire goes back
 * out through struct observer_io.
 *
 * Rooms come from three places: [rooms] join (kept always), join = all
 * (every room the companion module announces, kept while it lives), and
 * booked appointments (kept while the appointment wants the room; read
 * and followed in observer_appt.c).  An appointment (bot/derive/appt.c) is
 * attached to its room's entry, so a room event reaches its tracker
 * without a lookup.
 *
 * Every event leaves through fan(): the storage sink, the room's
 * appointment, alert delivery (alert.c) and the counters of the status
 * file.  Nothing downstream calls back up.
 *
 * Just over 800 lines: the room table and its join/rejoin/leave cycle,
 * which every entry point here walks; the appointments' part is already
 * apart (observer_appt.c).
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert.h"
#include "appt.h"
#include "bookings.h"
#include "clock.h"
#include "jid.h"
#include "keytree.h"
#include "log.h"
#include "observer.h"
#include "observer_int.h"
#include "room.h"
#include "status.h"
#include "xmalloc.h"

#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS	"http://jabber.org/protocol/disco#items"
/*
 * disco#info for the meeting id: a room settling a gap (ROOM_INFO) waits
 * for it this long, then goes on without; the answer is still taken until
 * INFO_GIVE_UP_MS (a busy server answers behind its whole queue: 5-15 s
 * at a thousand rooms).
 */
#define INFO_TIMEOUT_MS	5000
#define INFO_GIVE_UP_MS	60000

/* Retry a missing scheduled room at least this often: people are due. */
#define APPT_RETRY_MAX_S	5
#define HEALTH_CHECK		"__jicofo-health-check"

static int64_t
cfg_rollup_ms(const struct observer *o)
{
	return (int64_t)o->cfg->rollup_interval_s * 1000;
}

/* Forget w's pending disco#info (answered, timed out, or moot). */
static void
info_drop(struct observer *o, struct watched *w)
{
	if (w->info == NULL)
		return;
	tdelete(w->info, &o->info_tree, keytree_cmp);
	free(w->info->id);
	free(w->info);
	w->info = NULL;
}

/* Ask the room for its disco#info; the answer is found by its id. */
static void
info_query(struct observer *o, struct watched *w, int64_t now)
{
	char	*id;

	info_drop(o, w);
	if ((id = o->io.query(o->io.arg, w->jid, NS_DISCO_INFO)) == NULL)
		return;
	w->info = xcalloc(1, sizeof(*w->info));
	w->info->id = id;
	w->info->w = w;
	keytree_add(&o->info_tree, w->info);
	w->info_deadline = now + INFO_TIMEOUT_MS;
	w->info_give_up = now + INFO_GIVE_UP_MS;
}

/* --- fan-out ----------------------------------------------------------- */

static void
fan(struct observer *o, const struct event *ev, int64_t now)
{
	event_emit(&o->store.sink, ev);
	if (ev->type >= 0 && ev->type < EVENT__COUNT)
		o->events[ev->type]++;
	if (ev->type == EVENT_ALERT && ev->alert != NULL) {
		if (ev->alert->raised)
			o->alerts_open++;
		else if (o->alerts_open > 0)
			o->alerts_open--;
		alerter_deliver(o->alerter, ev, o->online, now);
	}
}

/* Events of an appointment tracker. */
void
appt_sink(const struct event *ev, void *arg)
{
	struct tracked	*t = arg;

	fan(t->obs, ev, ev->ts_ms);
}

/* Events of a room: stored, and followed by the room's appointment. */
static void
room_sink(const struct event *ev, void *arg)
{
	struct watched	*w = arg;
	struct tracked	*t = w->main != NULL ? w->main->appt : w->appt;

	fan(w->obs, ev, ev->ts_ms);
	if (t != NULL && appt_phase(t->a) != APPT_DONE &&
	    ev->session->appointment_id != NULL &&
	    strcmp(ev->session->appointment_id, appt_id(t->a)) == 0)
		appt_event(t->a, ev, &t->sink);
}

/* --- rooms ------------------------------------------------------------- */

static struct watched *
find_room(struct observer *o, const char *jid)
{
	return keytree_find(&o->room_tree, jid);
}

/*
 * The entry for room jid (node name), made when new: a breakout room of
 * main's meeting (named bname) when main is set.
 */
static struct watched *
add_room_jid(struct observer *o, const char *jid, const char *name,
    enum origin origin, struct watched *main, const char *bname,
    int64_t now)
{
	struct room_opts	 ro;
	struct watched		*w;

	if ((w = find_room(o, jid)) != NULL) {
		if (origin < w->origin)
			w->origin = origin;
		return w;
	}
	memset(&ro, 0, sizeof(ro));
	ro.self_nick = o->cfg->nick;
	ro.hidden_domain = o->cfg->hidden_domain;
	ro.focus_nick = o->cfg->focus_nick;
	ro.quality_fair_per_hour = o->fair_per_hour;
	ro.quality_poor_per_hour = o->poor_per_hour;
	ro.leave_grace_s = o->cfg->leave_grace_s;
	ro.ip_mode = o->cfg->ip_mode;
	ro.ip_key = o->store.ip_key;
	ro.ip_key_len = o->store.ip_key_len;
	w = xcalloc(1, sizeof(*w));
	w->jid = xstrdup(jid);
	w->obs = o;
	w->room = main != NULL ? room_new_breakout(jid, &ro, main->room,
	    bname) : room_new(jid, &ro);
	w->main = main;
	w->name = xstrdup(name);
	w->origin = origin;
	w->next_try = o->online ? now : 0;
	w->next_rollup = now + random() % ((int64_t)cfg_rollup_ms(o) + 1);
	w->sink.emit = room_sink;
	w->sink.arg = w;
	o->rooms = xreallocarray(o->rooms, o->nrooms + 1, sizeof(*o->rooms));
	o->rooms[o->nrooms++] = w;
	keytree_add(&o->room_tree, w);
	return w;
}

struct watched *
add_room(struct observer *o, const char *name, enum origin origin,
    int64_t now)
{
	struct watched	*w;
	char		*jid;

	xasprintf(&jid, "%s@%s", name, o->cfg->muc_domain);
	w = add_room_jid(o, jid, name, origin, NULL, NULL, now);
	free(jid);
	return w;
}

static void
room_forget(struct observer *o, size_t i)
{
	struct watched	*w = o->rooms[i];

	tdelete(w, &o->room_tree, keytree_cmp);
	o->rooms[i] = o->rooms[--o->nrooms];
	if (w->forget)
		o->nforget--;
	if (w->appt != NULL)
		w->appt->w = NULL;
	info_drop(o, w);
	room_free(w->room);
	free(w->jid);
	free(w->name);
	free(w);
}

static void
mark_forget(struct observer *o, struct watched *w)
{
	if (!w->forget) {
		w->forget = 1;
		o->nforget++;
	}
}

static void
join_room(struct observer *o, struct watched *w, int64_t now)
{
	if (!o->online)
		return;
	log_debug("%s: joining %s", __func__, w->jid);
	room_join_sent(w->room, now);
	o->io.presence(o->io.arg, w->jid, 0);
	w->next_try = 0;
}

void
leave_room(struct observer *o, struct watched *w, const char *reason,
    int64_t now)
{
	size_t	 i;

	/* A meeting's breakout rooms go with it, first. */
	for (i = 0; i < o->nrooms; i++)
		if (o->rooms[i]->main == w && !o->rooms[i]->forget) {
			leave_room(o, o->rooms[i], reason, now);
			mark_forget(o, o->rooms[i]);
		}
	if (o->online && room_state(w->room) != ROOM_IDLE &&
	    room_state(w->room) != ROOM_LOST)
		o->io.presence(o->io.arg, w->jid, 1);
	room_left(w->room, now, reason, &w->sink);
	info_drop(o, w);
}

/* Drop the entries marked to forget (breakout rooms that closed). */
static void
forget_marked(struct observer *o)
{
	size_t	 i;

	/* Called after every stanza: with none marked, no walk of rooms[]. */
	for (i = 0; o->nforget > 0 && i < o->nrooms; )
		if (o->rooms[i]->forget)
			room_forget(o, i);
		else
			i++;
}

/* Act on what room.c asked for. */
static void
room_act(struct observer *o, struct watched *w, int act, int64_t now)
{
	int	 max;

	if (act & ROOM_ACT_QUERY_INFO) {
		info_query(o, w, now);
		w->self_ms = now;
		if (w->main != NULL)
			log_info("room %s: observing its breakout room %s",
			    w->main->jid, w->jid);
	}
	if (act & ROOM_ACT_GIVE_UP) {
		if (w->main != NULL) {
			/* A breakout room that closed (or refused us). */
			leave_room(o, w, "breakout_closed", now);
			mark_forget(o, w);
			return;
		}
		w->gave_up = 1;
		w->next_try = 0;
		log_warnx("room %s: not observed (the server says it never "
		    "will be: a health-check room, or not a meeting's room)",
		    w->jid);
		return;
	}
	if (act & ROOM_ACT_REJOIN) {
		/* A short pause: an immediate rejoin can race the removal. */
		w->next_try = now + 1000;
	}
	if (act & ROOM_ACT_RETRY) {
		/* People are due in a scheduled room: look often. */
		max = o->cfg->retry_max_s;
		if (w->appt != NULL && max > APPT_RETRY_MAX_S)
			max = APPT_RETRY_MAX_S;
		w->next_try = now + backoff_ms(w->attempts++,
		    o->cfg->retry_min_s, max);
		log_info("room %s: not available, retry in %lld ms", w->jid,
		    (long long)(w->next_try - now));
	}
	/* An appointment keeps us in its room until it ends. */
	if ((act & ROOM_ACT_LEAVE) && w->appt == NULL) {
		log_info("room %s: no participant left, leaving", w->jid);
		leave_room(o, w, "no_participants", now);
		/*
		 * Come back later: the room may get participants again or be
		 * re-created for a new meeting.  Each visit that finds nobody
		 * waits longer, so an idle room is not polled hard.
		 */
		w->next_try = w->origin == ROOM_SCHEDULED ? 0 : now +
		    backoff_ms(w->attempts++, o->cfg->retry_min_s,
		    o->cfg->retry_max_s);
	}
}

/* --- what the transport reports ---------------------------------------- */

void
observer_online(struct observer *o, const char *bound_jid, int64_t now)
{
	size_t	 i;

	log_info("connected as %s", bound_jid != NULL ? bound_jid : "?");
	o->online = 1;
	o->online_since = now;
	o->offline_since = 0;
	free(o->modinfo_id);
	o->modinfo_id = o->io.query(o->io.arg, o->cfg->muc_domain,
	    NS_DISCO_INFO);
	if (o->cfg->join_all) {
		free(o->items_id);
		o->items_id = o->io.query(o->io.arg, o->cfg->muc_domain,
		    NS_DISCO_ITEMS);
	}
	for (i = 0; i < o->nrooms; i++)
		o->rooms[i]->next_try = now;
	observer_status(o, now);
}

void
observer_offline(struct observer *o, int64_t now)
{
	size_t	 i;

	o->online = 0;
	o->ready = 0;
	o->offline_since = now;
	for (i = 0; i < o->nrooms; i++) {
		room_connection_lost(o->rooms[i]->room, now);
		info_drop(o, o->rooms[i]);
	}
	observer_status(o, now);
}

void
observer_presence(struct observer *o, const struct presence *p, int64_t now)
{
	struct watched	*w;
	char		 esc[128];
	int		 act;

	if ((w = find_room(o, p->room)) == NULL) {
		log_debug("%s: presence for a room not observed: %s",
		    __func__, log_escape(esc, sizeof(esc), p->room));
		return;
	}
	if (p->kind == PRESENCE_ERROR && room_state(w->room) == ROOM_JOINING)
		log_info("room %s: join refused: %s", p->room,
		    p->error_condition != NULL ? p->error_condition : "error");
	act = room_apply(w->room, p, now, &w->sink);
	if (room_session(w->room) != NULL)
		w->attempts = 0;
	room_act(o, w, act, now);
	forget_marked(o);
}

/* A speakerstats snapshot names no room: it belongs to our latest join. */
static struct watched *
latest_joined(struct observer *o, int64_t now)
{
	struct watched	*best = NULL, *w;
	size_t		 i;

	for (i = 0; i < o->nrooms; i++) {
		w = o->rooms[i];
		if (w->self_ms > 0 && now - w->self_ms < 10000 &&
		    (best == NULL || w->self_ms > best->self_ms))
			best = w;
	}
	return best;
}

static int
health_check_room(const char *jid)
{
	return strncmp(jid, HEALTH_CHECK, sizeof(HEALTH_CHECK) - 1) == 0;
}

/* A room of our MUC domain, by its JID: the node, or NULL. */
static char *
room_node(struct observer *o, const char *jid)
{
	char	*dom, *name;
	int	 ours;

	if (jid == NULL || health_check_room(jid) ||
	    (dom = jid_part(jid, JID_DOMAIN)) == NULL)
		return NULL;
	ours = strcasecmp(dom, o->cfg->muc_domain) == 0;
	free(dom);
	if (!ours || (name = jid_part(jid, JID_NODE)) == NULL)
		return NULL;
	if (*name == '\0') {
		free(name);
		return NULL;
	}
	return name;
}

/*
 * A breakout room of a meeting we observe opened: join it too, as part of
 * that meeting (its people's time, media and speaking count there).  When
 * it closes the destroy presence ends it (room.c), and a move between
 * rooms shows in the presences themselves.
 */
static void
breakout_note(struct observer *o, const struct message *m, int64_t now)
{
	struct watched	*main, *w;
	char		 esc[128];
	char		*node;

	if ((main = find_room(o, m->note_room)) == NULL || main->main != NULL)
		return;
	switch (m->note_event) {
	case BREAKOUT_OPENED:
		if ((node = jid_part(m->note_jid, JID_NODE)) == NULL)
			return;
		w = add_room_jid(o, m->note_jid, node, ROOM_BREAKOUT, main,
		    m->note_name, now);
		free(node);
		log_info("room %s: breakout room \"%s\" opened: joining %s",
		    main->jid, log_escape(esc, sizeof(esc), m->note_name),
		    w->jid);
		if (room_state(w->room) == ROOM_IDLE)
			w->next_try = now;
		break;
	case BREAKOUT_CLOSED:
		if ((w = find_room(o, m->note_jid)) != NULL)
			w->gave_up = 1;	/* the destroy presence follows */
		break;
	default:
		break;		/* moves: the presences say it */
	}
}

static void
module_note(struct observer *o, const struct message *m, int64_t now)
{
	struct watched	*w;
	char		*name;

	if (m->note == NOTE_ROOM_CREATED || m->note == NOTE_ROOM_DESTROYED) {
		log_debug("%s: room %s %s", __func__, m->note_room,
		    m->note == NOTE_ROOM_CREATED ? "created" : "destroyed");
		if (m->note != NOTE_ROOM_CREATED || !o->cfg->join_all ||
		    (name = room_node(o, m->note_room)) == NULL)
			return;
		w = add_room(o, name, ROOM_ALL, now);
		free(name);
		if (room_state(w->room) == ROOM_IDLE)
			w->next_try = now;
		return;
	}
	if (m->note == NOTE_BREAKOUT) {
		breakout_note(o, m, now);
		return;
	}
	if ((w = find_room(o, m->note_room)) != NULL)
		room_module_note(w->room, m, now, &w->sink);
}

void
observer_message(struct observer *o, const struct message *m, int64_t now)
{
	struct watched	*w;
	char		 esc[128];

	switch (m->kind) {
	case MESSAGE_CHAT:
	case MESSAGE_REACTION:
		if ((w = find_room(o, m->room)) != NULL)
			room_message(w->room, m, now, &w->sink);
		break;
	case MESSAGE_SPEAKERSTATS:
		/* Only a server component (a bare domain) sends these. */
		if (m->from == NULL || strchr(m->from, '@') != NULL)
			break;
		if ((w = latest_joined(o, now)) != NULL)
			room_speakerstats(w->room, m, now, &w->sink);
		break;
	case MESSAGE_MODULE:
		/*
		 * Trusted only from the MUC component's own address: an
		 * occupant's messages always carry room@domain/nick, a user's
		 * node@domain/resource, and Prosody stamps the from of
		 * everything a client sends.
		 */
		if (m->from == NULL || strcasecmp(m->from,
		    o->cfg->muc_domain) != 0) {
			log_warnx("ignoring teletrack notification from "
			    "untrusted sender %s",
			    log_escape(esc, sizeof(esc), m->from));
			break;
		}
		module_note(o, m, now);
		break;
	default:
		break;
	}
}

static void
module_found(struct observer *o, const struct disco_result *d)
{
	o->module = d->ok && d->teletrack;
	if (o->module)
		log_info("companion module found on %s: full mode "
		    "(speaker, interruptions, client info, room notices)",
		    o->cfg->muc_domain);
	else
		log_info("no companion module on %s: basic mode "
		    "(presence and messages only)", o->cfg->muc_domain);
	if (o->cfg->join_all && !o->module)
		log_warnx("join = all: without the companion module only rooms "
		    "listed by disco#items are found");
}

void
observer_disco(struct observer *o, const struct disco_result *d, int64_t now)
{
	struct watched	*w;
	struct inquiry	*q;
	char		*name;
	size_t		 i;

	if (o->modinfo_id != NULL && strcmp(d->id, o->modinfo_id) == 0) {
		free(o->modinfo_id);
		o->modinfo_id = NULL;
		module_found(o, d);
		return;
	}
	if (o->items_id != NULL && strcmp(d->id, o->items_id) == 0) {
		free(o->items_id);
		o->items_id = NULL;
		for (i = 0; d->ok && i < d->nitems; i++)
			if ((name = room_node(o, d->items[i])) != NULL) {
				add_room(o, name, ROOM_ALL, now);
				free(name);
			}
		return;
	}
	if ((q = keytree_find(&o->info_tree, d->id)) == NULL)
		return;
	w = q->w;
	info_drop(o, w);
	room_meeting_info(w->room, d->ok ? d->meeting_id : NULL, now,
	    &w->sink);
	if (room_session(w->room) != NULL)
		w->attempts = 0;
}

/* --- periodic ---------------------------------------------------------- */

void
observer_pulse(struct observer *o, int64_t now)
{
	if (o->store.flush_due != NULL && o->store.flush_due(o->store.arg,
	    now))
		o->store.flush(o->store.arg);
}

void
observer_tick(struct observer *o, int64_t now)
{
	struct watched	*w;
	size_t		 i;
	int		 pending = 0;

	/* Appointments first: a room wanted now is joined in this tick. */
	if (o->store.schedule != NULL && now >= o->next_poll) {
		o->next_poll = now + (int64_t)o->cfg->schedule_poll_s * 1000;
		schedule_poll(o, now);
	}
	for (i = 0; i < o->nappts; i++)
		appt_step(o, o->appts[i], now);
	alerter_poll(o->alerter, now);
	for (i = 0; i < o->nrooms; i++) {
		w = o->rooms[i];
		if (w->info != NULL && now >= w->info_deadline &&
		    room_state(w->room) == ROOM_INFO) {
			log_info("room %s: no disco#info answer yet, settling "
			    "the gap without the meeting id", w->jid);
			room_meeting_info(w->room, NULL, now, &w->sink);
		}
		if (w->info != NULL && now >= w->info_give_up) {
			log_warnx("room %s: no disco#info answer, meeting id "
			    "unknown", w->jid);
			info_drop(o, w);
		}
		/*
		 * Rollups persist durations (events carry everything else),
		 * each room at its own phase of the interval: a thousand
		 * rooms are a trickle of rows, not one batch every interval
		 * that events queue behind.
		 */
		if (now >= w->next_rollup) {
			w->next_rollup = now + cfg_rollup_ms(o);
			room_act(o, w, room_tick(w->room, now, &w->sink), now);
		} else
			room_act(o, w, room_check(w->room, now), now);
		if (o->online && w->next_try > 0 && now >= w->next_try &&
		    !w->gave_up && (room_state(w->room) == ROOM_IDLE ||
		    room_state(w->room) == ROOM_LOST))
			join_room(o, w, now);
		if (room_state(w->room) == ROOM_JOINING)
			pending++;
	}
	if (o->online && !o->ready && pending == 0 && o->modinfo_id == NULL) {
		o->ready = 1;
		log_info("observing %zu room(s)", o->nrooms);
		status_ready();
	}
	forget_marked(o);
	if (now >= o->next_status)
		observer_status(o, now);
	status_watchdog();
}

void
observer_stop(struct observer *o, int64_t now)
{
	size_t	 i;

	log_info("stopping: leaving rooms, flushing");
	status_stopping();
	for (i = 0; i < o->nrooms; i++)
		leave_room(o, o->rooms[i], "observer_stopped", now);
	if (o->store.flush != NULL)
		o->store.flush(o->store.arg);
}

int
observer_ready(const struct observer *o)
{
	return o->ready;
}

void
observer_reload(struct observer *o, const struct config *cfg, int64_t now)
{
	struct watched	*w;
	size_t		 i, k;
	int		 keep;

	if (strcmp(cfg->jid, o->cfg->jid) != 0 ||
	    strcmp(cfg->muc_domain, o->cfg->muc_domain) != 0 ||
	    strcmp(cfg->nick, o->cfg->nick) != 0)
		log_warnx("reload: the XMPP account, MUC domain and nick "
		    "change only with a restart");
	o->cfg = cfg;
	alerter_reload(o->alerter, cfg);
	/* Rooms no longer configured are left, unless still wanted. */
	for (i = 0; i < o->nrooms; ) {
		w = o->rooms[i];
		keep = w->origin != ROOM_CONFIG;
		for (k = 0; !keep && k < cfg->nrooms; k++)
			keep = strcmp(cfg->rooms[k], w->name) == 0;
		if (w->origin == ROOM_ALL && !cfg->join_all && w->appt == NULL)
			keep = 0;
		if (keep) {
			room_set_ip(w->room, cfg->ip_mode, o->store.ip_key,
			    o->store.ip_key_len);
			i++;
			continue;
		}
		if (w->appt != NULL) {
			w->origin = ROOM_SCHEDULED;	/* until it ends */
			i++;
			continue;
		}
		log_info("reload: leaving room %s", w->jid);
		leave_room(o, w, "observer_stopped", now);
		room_forget(o, i);
	}
	for (k = 0; k < cfg->nrooms; k++) {
		w = add_room(o, cfg->rooms[k], ROOM_CONFIG, now);
		if (room_state(w->room) == ROOM_IDLE && w->next_try == 0)
			w->next_try = now;
	}
	forget_marked(o);
	log_info("configuration reloaded: %zu room(s)", o->nrooms);
	observer_status(o, now);
}

/* --- status ------------------------------------------------------------ */

void
observer_status(struct observer *o, int64_t now)
{
	struct status	 st;
	size_t		 i;

	o->next_status = now + 1000;
	if (o->status_path == NULL)
		return;
	memset(&st, 0, sizeof(st));
	st.now = now;
	st.started = o->started;
	st.connected = o->online;
	st.connected_since = o->online_since;
	st.disconnected_since = o->offline_since;
	st.mode = o->module < 0 ? "unknown" : o->module ? "full" : "basic";
	st.rooms_watched = o->nrooms;
	for (i = 0; i < o->nrooms; i++) {
		enum room_state rs = room_state(o->rooms[i]->room);

		if (rs == ROOM_JOINED || rs == ROOM_INFO)
			st.rooms_joined++;
		if (room_session(o->rooms[i]->room) != NULL) {
			st.sessions_open++;
			st.participants_present += (size_t)
			    room_participants_present(o->rooms[i]->room);
		}
	}
	if (o->store.counts != NULL)
		o->store.counts(o->store.arg, &st.queued, &st.held,
		    &st.dropped, &st.last_commit);
	if (o->store.latency != NULL)
		o->store.latency(o->store.arg, &st.lat_count, &st.lat_p50_ms,
		    &st.lat_p99_ms, &st.lat_max_ms);
	st.events = o->events;
	if (o->store.written != NULL)
		st.written = o->store.written(o->store.arg);
	st.alerts_open = o->alerts_open;
	status_write(o->status_path, &st);
}

/* --- lifecycle --------------------------------------------------------- */

struct observer *
observer_new(const struct config *cfg, const struct observer_io *io,
    const struct observer_store *store, int64_t now)
{
	struct observer	*o = xcalloc(1, sizeof(*o));
	size_t		 i;

	o->cfg = cfg;
	o->io = *io;
	o->store = *store;
	o->module = -1;
	o->fair_per_hour = store->quality_fair_per_hour;
	o->poor_per_hour = store->quality_poor_per_hour;
	o->alerter = alerter_new(cfg, &o->io);
	o->started = now;
	o->status_path = status_path(cfg->database);
	for (i = 0; i < cfg->nrooms; i++)
		add_room(o, cfg->rooms[i], ROOM_CONFIG, now);
	log_info("observing %zu room(s)%s as %s/%s", cfg->nrooms,
	    cfg->join_all ? " and every room (join = all)" : "",
	    cfg->muc_domain, cfg->nick);
	return o;
}

static void
no_free(void *p)
{
	(void)p;
}

void
observer_free(struct observer *o)
{
	if (o == NULL)
		return;
	while (o->nappts > 0)
		appt_remove(o, o->nappts - 1);
	free(o->appts);
	tdestroy(o->appt_tree, no_free);
	while (o->nrooms > 0)
		room_forget(o, o->nrooms - 1);
	free(o->rooms);
	tdestroy(o->room_tree, no_free);
	alerter_free(o->alerter);
	free(o->modinfo_id);
	free(o->items_id);
	if (o->status_path != NULL)
		status_remove(o->status_path);
	free(o->status_path);
	free(o);
}
