/*
 * libstrophe glue.  Owns the xmpp_ctx_t and the current xmpp_conn_t,
 * registers the stanza handlers and two global timed handlers, and makes
 * no decisions about meetings: presences and messages are parsed
 * (presence.c, message.c) and handed to the room they belong to (room.c),
 * which says what to do next through ROOM_ACT_* flags.
 *
 * libstrophe owns the loop (xmpp_run/xmpp_stop).  Global timed handlers
 * live on the context, so they keep firing while no connection exists:
 *   - pulse (100 ms): stop flag, batch flush, (re)connect when due;
 *   - tick (1 s): room rollups and leave checks, join retries, disco
 *     timeouts.
 *
 * Connection loss: every room goes LOST (gap start), the connection is
 * released and a new one is made after an exponential backoff with jitter;
 * on login every room is rejoined and room.c reconciles the occupants.
 * Stream management is disabled on purpose: after a crash a hibernating
 * old session would make a rejoin under the same nick a two-session
 * occupant (test-environment.md); a fresh session per connection is
 * simpler and the gap is recorded either way.
 *
 * What the observer sends: join and leave presences, disco#info queries,
 * and IQ results/errors to IQs addressed to it.  Never a message, never an
 * error message or error presence (Prosody kicks senders of those, 333).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <strophe.h>

#include "appt.h"
#include "bookings.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "message.h"
#include "notify.h"
#include "presence.h"
#include "room.h"
#include "xmalloc.h"
#include "xmpp.h"

#define NS_MUC		"http://jabber.org/protocol/muc"
#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS	"http://jabber.org/protocol/disco#items"
#define NS_DATA		"jabber:x:data"
#define NS_JINGLE	"urn:xmpp:jingle:1"
#define NS_PING		"urn:xmpp:ping"
#define INFO_TIMEOUT_MS	5000
#define STOP_TIMEOUT_MS	3000

struct watched {
	struct room	*room;
	char		*name;		/* room node */
	int64_t		 next_try;	/* when to (re)join; 0 = not due */
	int		 attempts;	/* consecutive failed/empty joins */
	char		*info_id;	/* pending disco#info id */
	int64_t		 info_deadline;
	int64_t		 self_ms;	/* our self-presence arrived */
	int		 dynamic;	/* ROOM_CONFIG, ROOM_ALL, ROOM_SCHEDULED */
};

#define ROOM_CONFIG	0	/* [rooms] join: observed always */
#define ROOM_ALL	1	/* join = all: observed while it lives */
#define ROOM_SCHEDULED	2	/* only while an appointment wants it */

/* Retry a missing scheduled room at least this often: people are due. */
#define APPT_RETRY_MAX_S	5
#define APPT_KEEP_MS		3600000	/* forget an ended appointment */

struct tracked {
	struct appt	*a;
	int		 seen;		/* in the latest schedule read */
	int64_t		 done_at;	/* 0 while not done */
};

struct bot {
	const struct config	*cfg;
	const struct bot_hooks	*hooks;
	volatile sig_atomic_t	*stop;
	xmpp_ctx_t		*ctx;
	xmpp_conn_t		*conn;
	int			 online;	/* session established */
	int			 dead;		/* conn disconnected, release */
	int64_t			 next_connect;
	int			 conn_attempts;
	int64_t			 stopping;	/* stop started at; 0 = no */
	struct watched		*rooms;
	size_t			 nrooms;
	unsigned		 idseq;
	int			 module;	/* companion module found */
	char			*modinfo_id;
	char			*items_id;
	int64_t			 last_tick;

	struct event_sink	 room_sink;	/* rooms -> storage, appts */
	struct event_sink	 appt_sink;	/* appts -> storage, alerts */
	struct tracked		*appts;
	size_t			 nappts;
	int64_t			 next_poll;
	char			*admin_jids;	/* from meeting_settings */
	double			 fair_per_hour;	/* quality thresholds, too */
	double			 poor_per_hour;
	struct notify		*notify;
};

static void	join_room(struct bot *, struct watched *, int64_t);

int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Exponential backoff between min_s and max_s, with +-50% jitter. */
static int64_t
backoff_ms(int attempts, int min_s, int max_s)
{
	double	 d = min_s;
	int	 i;

	for (i = 0; i < attempts && d < max_s; i++)
		d *= 2;
	if (d > max_s)
		d = max_s;
	d *= 0.5 + (double)random() / RAND_MAX;
	return (int64_t)(d * 1000);
}

static char *
new_id(struct bot *b, const char *prefix)
{
	char	*id;

	xasprintf(&id, "tt-%s-%u", prefix, ++b->idseq);
	return id;
}

/*
 * libstrophe log lines go to log.c.  Debug lines carry whole stanzas, and
 * SASL PLAIN carries the password in base64: those lines are masked.
 */
static void
strophe_log(void *arg, xmpp_log_level_t level, const char *area,
    const char *msg)
{
	(void)arg;
	if (strstr(msg, "<auth") != NULL || strstr(msg, "<response") != NULL ||
	    strstr(msg, "password") != NULL)
		msg = "[authentication data not logged]";
	switch (level) {
	case XMPP_LEVEL_ERROR:
	case XMPP_LEVEL_WARN:
		log_warnx("libstrophe %s: %s", area, msg);
		break;
	default:
		log_debug("libstrophe %s: %s", area, msg);
		break;
	}
}

static struct watched *
find_room(struct bot *b, const char *jid)
{
	size_t	 i;

	if (jid == NULL)
		return NULL;
	for (i = 0; i < b->nrooms; i++)
		if (strcmp(room_jid(b->rooms[i].room), jid) == 0)
			return &b->rooms[i];
	return NULL;
}

static struct watched *
add_room(struct bot *b, const char *name, int dynamic)
{
	struct room_opts	 ro;
	struct watched		*w;
	char			*jid;

	xasprintf(&jid, "%s@%s", name, b->cfg->muc_domain);
	if ((w = find_room(b, jid)) != NULL) {
		free(jid);
		if (dynamic < w->dynamic)
			w->dynamic = dynamic;
		return w;
	}
	memset(&ro, 0, sizeof(ro));
	ro.self_nick = b->cfg->nick;
	ro.hidden_domain = b->cfg->hidden_domain;
	ro.focus_nick = b->cfg->focus_nick;
	ro.quality_fair_per_hour = b->fair_per_hour;
	ro.quality_poor_per_hour = b->poor_per_hour;
	ro.leave_grace_s = b->cfg->leave_grace_s;
	ro.ip_mode = b->cfg->ip_mode;
	ro.ip_key = b->hooks->ip_key;
	ro.ip_key_len = b->hooks->ip_key_len;
	b->rooms = xreallocarray(b->rooms, b->nrooms + 1, sizeof(*b->rooms));
	w = &b->rooms[b->nrooms++];
	memset(w, 0, sizeof(*w));
	w->room = room_new(jid, &ro);
	w->name = xstrdup(name);
	w->dynamic = dynamic;
	w->next_try = b->online ? now_ms() : 0;
	free(jid);
	return w;
}

/* --- sending ------------------------------------------------------------ */

static void
send_presence(struct bot *b, const char *room, int leave)
{
	xmpp_stanza_t	*pr, *x, *hist;
	char		*to;

	xasprintf(&to, "%s/%s", room, b->cfg->nick);
	pr = xmpp_presence_new(b->ctx);
	xmpp_stanza_set_to(pr, to);
	if (leave)
		xmpp_stanza_set_type(pr, "unavailable");
	else {
		x = xmpp_stanza_new(b->ctx);
		xmpp_stanza_set_name(x, "x");
		xmpp_stanza_set_ns(x, NS_MUC);
		/* No chat history: it is never counted anyway. */
		hist = xmpp_stanza_new(b->ctx);
		xmpp_stanza_set_name(hist, "history");
		xmpp_stanza_set_attribute(hist, "maxstanzas", "0");
		xmpp_stanza_add_child_ex(x, hist, 0);
		xmpp_stanza_add_child_ex(pr, x, 0);
	}
	xmpp_send(b->conn, pr);
	xmpp_stanza_release(pr);
	free(to);
}

static char *
send_disco(struct bot *b, const char *to, const char *ns)
{
	xmpp_stanza_t	*iq, *q;
	char		*id = new_id(b, "disco");

	iq = xmpp_iq_new(b->ctx, "get", id);
	xmpp_stanza_set_to(iq, to);
	q = xmpp_stanza_new(b->ctx);
	xmpp_stanza_set_name(q, "query");
	xmpp_stanza_set_ns(q, ns);
	xmpp_stanza_add_child_ex(iq, q, 0);
	xmpp_send(b->conn, iq);
	xmpp_stanza_release(iq);
	return id;
}

static void
join_room(struct bot *b, struct watched *w, int64_t now)
{
	if (!b->online)
		return;
	log_debug("%s: joining %s", __func__, room_jid(w->room));
	room_join_sent(w->room, now);
	send_presence(b, room_jid(w->room), 0);
	w->next_try = 0;
}

static void
leave_room(struct bot *b, struct watched *w, const char *reason,
    int64_t now)
{
	if (b->online && room_state(w->room) != ROOM_IDLE &&
	    room_state(w->room) != ROOM_LOST)
		send_presence(b, room_jid(w->room), 1);
	room_left(w->room, now, reason, &b->room_sink);
	free(w->info_id);
	w->info_id = NULL;
}

/* Act on what room.c asked for. */
static void
room_act(struct bot *b, struct watched *w, int act, int64_t now)
{
	if (act & ROOM_ACT_QUERY_INFO) {
		free(w->info_id);
		w->info_id = send_disco(b, room_jid(w->room), NS_DISCO_INFO);
		w->info_deadline = now + INFO_TIMEOUT_MS;
		w->self_ms = now;
	}
	if (act & ROOM_ACT_REJOIN) {
		/* A short pause: an immediate rejoin can race the removal. */
		w->next_try = now + 1000;
	}
	if (act & ROOM_ACT_RETRY) {
		/* People are due in a scheduled room: look often. */
		w->next_try = now + backoff_ms(w->attempts++,
		    b->cfg->retry_min_s, room_appointment(w->room) != NULL &&
		    b->cfg->retry_max_s > APPT_RETRY_MAX_S ? APPT_RETRY_MAX_S :
		    b->cfg->retry_max_s);
		log_info("room %s: not available, retry in %lld ms",
		    room_jid(w->room), (long long)(w->next_try - now));
	}
	/* An appointment keeps us in its room until it ends. */
	if ((act & ROOM_ACT_LEAVE) && room_appointment(w->room) == NULL) {
		log_info("room %s: no participant left, leaving",
		    room_jid(w->room));
		leave_room(b, w, "no_participants", now);
		/*
		 * Come back later: the room may get participants again or be
		 * re-created for a new meeting.  Each visit that finds nobody
		 * waits longer, so an idle room is not polled hard.
		 */
		w->next_try = w->dynamic == ROOM_SCHEDULED ? 0 : now +
		    backoff_ms(w->attempts++, b->cfg->retry_min_s,
		    b->cfg->retry_max_s);
	}
}

/* --- appointments ------------------------------------------------------ */

static struct tracked *
find_appt(struct bot *b, const char *uid)
{
	size_t	 i;

	for (i = 0; i < b->nappts; i++)
		if (strcmp(appt_uid(b->appts[i].a), uid) == 0)
			return &b->appts[i];
	return NULL;
}

/* The live appointment a room event belongs to, or NULL. */
static struct tracked *
appt_of(struct bot *b, const struct session_rec *s)
{
	struct tracked	*t;
	size_t		 i;

	if (s->appointment_id == NULL || s->room == NULL)
		return NULL;
	for (i = 0; i < b->nappts; i++) {
		t = &b->appts[i];
		if (appt_phase(t->a) != APPT_DONE &&
		    strcmp(appt_id(t->a), s->appointment_id) == 0 &&
		    strcmp(appt_room(t->a), s->room) == 0)
			return t;
	}
	return NULL;
}

static void
room_emit(const struct event *ev, void *arg)
{
	struct bot	*b = arg;
	struct tracked	*t;

	event_emit(&b->hooks->sink, ev);
	if ((t = appt_of(b, ev->session)) != NULL)
		appt_event(t->a, ev, &b->appt_sink);
}

/*
 * An admin address: never a room (the observer never speaks in one) and
 * nothing that is not plainly an address.
 */
static int
admin_jid_ok(struct bot *b, const char *jid)
{
	const char	*at = strchr(jid, '@'), *dom, *p;
	size_t		 n;

	if (*jid == '\0' || strlen(jid) > 1023)
		return 0;
	for (p = jid; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == '<' || *p == '>' ||
		    *p == '"' || *p == '\'' || *p == '&')
			return 0;
	dom = at != NULL ? at + 1 : jid;
	n = strcspn(dom, "/");
	return !(n == strlen(b->cfg->muc_domain) &&
	    strncasecmp(dom, b->cfg->muc_domain, n) == 0);
}

static void
send_alert_to(struct bot *b, const char *jid, const char *body,
    const char *json)
{
	xmpp_stanza_t	*msg, *j, *t;
	char		*id = new_id(b, "alert");

	msg = xmpp_message_new(b->ctx, "chat", jid, id);
	xmpp_message_set_body(msg, body);
	/* XEP-0335: the alert as data, for bots on the other side. */
	j = xmpp_stanza_new(b->ctx);
	xmpp_stanza_set_name(j, "json");
	xmpp_stanza_set_ns(j, "urn:xmpp:json:0");
	t = xmpp_stanza_new(b->ctx);
	xmpp_stanza_set_text(t, json);
	xmpp_stanza_add_child_ex(j, t, 0);
	xmpp_stanza_add_child_ex(msg, j, 0);
	xmpp_send(b->conn, msg);
	xmpp_stanza_release(msg);
	free(id);
}

/* A line for people: "[critical] no_show raised: ... (appointment A)". */
static char *
alert_text(const struct alert_rec *al)
{
	char	*text;

	xasprintf(&text, "teletrack alert [%s] %s %s%s%s (appointment %s, "
	    "room %s)", al->severity != NULL ? al->severity : "?",
	    al->rule != NULL ? al->rule : "?", al->raised ? "raised" :
	    "cleared", al->message != NULL ? ": " : "",
	    al->message != NULL ? al->message : "",
	    al->appointment_id != NULL ? al->appointment_id : "?",
	    al->room != NULL ? al->room : "?");
	return text;
}

static void
deliver_xmpp(struct bot *b, const struct alert_rec *al, const char *json)
{
	const char	*lists[2] = { b->cfg->alert_jids, b->admin_jids };
	char		*copy, *tok, *save, *jid, *body = NULL, *end;
	char		 esc[128];
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if (lists[i] == NULL || *lists[i] == '\0')
			continue;
		copy = xstrdup(lists[i]);
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ' || *tok == '\t')
				tok++;
			end = tok + strlen(tok);
			while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = '\0';
			jid = tok;
			if (*jid == '\0')
				continue;
			if (!admin_jid_ok(b, jid)) {
				log_warnx("alert not sent to \"%s\": not an "
				    "admin address (rooms never get alerts)",
				    log_escape(esc, sizeof(esc), jid));
				continue;
			}
			if (!b->online) {
				log_warnx("alert not sent to %s: offline (it "
				    "is in the alerts table)", jid);
				continue;
			}
			if (body == NULL)
				body = alert_text(al);
			send_alert_to(b, jid, body, json);
		}
		free(copy);
	}
	free(body);
}

static void
appt_emit(const struct event *ev, void *arg)
{
	struct bot	*b = arg;
	char		*json;

	event_emit(&b->hooks->sink, ev);
	if (ev->type != EVENT_ALERT || ev->alert == NULL)
		return;
	json = event_json(ev);
	deliver_xmpp(b, ev->alert, json);
	if (b->notify != NULL)
		notify_send(b->notify, json, now_ms());
	free(json);
}

/* The appointment wants its room: attach it and make sure we go. */
static void
want_room(struct bot *b, struct tracked *t, int64_t now)
{
	struct watched	*w = add_room(b, appt_room(t->a), ROOM_SCHEDULED);
	const char	*cur = room_appointment(w->room);

	if (cur == NULL) {
		room_set_appointment(w->room, appt_uid(t->a), appt_id(t->a));
		w->attempts = 0;
	} else if (strcmp(cur, appt_id(t->a)) != 0)
		return;		/* the previous appointment is not done */
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
release_room(struct bot *b, struct tracked *t, int64_t now)
{
	struct watched	*w;
	char		*jid;
	const char	*cur;

	xasprintf(&jid, "%s@%s", appt_room(t->a), b->cfg->muc_domain);
	w = find_room(b, jid);
	free(jid);
	if (w == NULL || (cur = room_appointment(w->room)) == NULL ||
	    strcmp(cur, appt_id(t->a)) != 0)
		return;
	if (room_state(w->room) != ROOM_IDLE)
		leave_room(b, w, "appointment_ended", now);
	room_set_appointment(w->room, NULL, NULL);
	w->next_try = w->dynamic == ROOM_SCHEDULED ? 0 : now + 1000;
}

static void
appt_step(struct bot *b, struct tracked *t, int64_t now)
{
	int	 act;

	if (appt_phase(t->a) == APPT_DONE)
		return;
	act = appt_tick(t->a, now, &b->appt_sink);
	if (act & APPT_ACT_JOIN)
		want_room(b, t, now);
	if (act & APPT_ACT_END) {
		release_room(b, t, now);
		appt_end(t->a, now, &b->appt_sink);
		t->done_at = now;
	}
}

static void
appt_remove(struct bot *b, size_t i)
{
	appt_free(b->appts[i].a);
	b->appts[i] = b->appts[--b->nappts];
}

/* Re-read the schedule and the policy; follow what changed. */
static void
schedule_poll(struct bot *b, int64_t now)
{
	struct bookings	 bk;
	struct booking	*r;
	struct tracked	*t;
	char		 iso[32];
	size_t		 i;

	if (b->hooks->schedule(b->hooks->arg, now,
	    (int64_t)b->cfg->schedule_horizon_h * 3600000, &bk) == -1)
		return;		/* logged; keep what we know */
	free(b->admin_jids);
	b->admin_jids = xstrdup(bk.admin_jids);
	/* The policy of every room follows meeting_settings too. */
	b->fair_per_hour = bk.quality_fair_per_hour;
	b->poor_per_hour = bk.quality_poor_per_hour;
	for (i = 0; i < b->nrooms; i++)
		room_set_quality(b->rooms[i].room, b->fair_per_hour,
		    b->poor_per_hour);
	for (i = 0; i < b->nappts; i++)
		b->appts[i].seen = 0;
	for (i = 0; i < bk.n; i++) {
		r = &bk.v[i];
		if ((t = find_appt(b, r->b.uid)) == NULL) {
			if (strcmp(r->status, "cancelled") == 0)
				continue;
			b->appts = xreallocarray(b->appts, b->nappts + 1,
			    sizeof(*b->appts));
			t = &b->appts[b->nappts++];
			memset(t, 0, sizeof(*t));
			t->a = appt_new(&r->b, &bk.pol, now);
			log_info("appointment %s: room %s at %s for %.1f min, "
			    "%zu expected%s", appt_id(t->a), r->b.room,
			    event_iso8601(r->b.start_ms, iso, sizeof(iso)),
			    (double)r->b.duration_ms / 60000, r->b.nroster,
			    r->b.resumed ? " (resumed)" : "");
		} else if (strcmp(r->status, "cancelled") == 0) {
			if (appt_phase(t->a) != APPT_DONE) {
				release_room(b, t, now);
				appt_cancel(t->a, now, r->status_reason,
				    &b->appt_sink);
				t->done_at = now;
			}
		} else if (strcmp(appt_room(t->a), r->b.room) != 0) {
			/* Moved to another room: fine until its window opens. */
			if (appt_phase(t->a) == APPT_PENDING) {
				log_info("appointment %s: moved to room %s",
				    appt_id(t->a), r->b.room);
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
	for (i = 0; i < b->nappts; ) {
		t = &b->appts[i];
		if ((!t->seen && appt_phase(t->a) == APPT_PENDING) ||
		    (t->done_at > 0 && now - t->done_at > APPT_KEEP_MS &&
		    !t->seen)) {
			log_debug("%s: forgetting appointment %s", __func__,
			    appt_id(t->a));
			appt_remove(b, i);
		} else
			i++;
	}
}

/* --- stanza handlers ------------------------------------------------- */

static int
presence_cb(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct bot	*b = arg;
	struct presence	 p;
	struct watched	*w;
	const char	*err = NULL;
	char		 esc[128];
	int64_t		 now = now_ms();
	int		 act;

	(void)conn;
	if (presence_parse(st, b->cfg->role_field, &p, &err) == -1) {
		log_debug("%s: dropped presence from %s: %s", __func__,
		    log_escape(esc, sizeof(esc), xmpp_stanza_get_from(st)),
		    err != NULL ? err : "not a MUC presence");
		return 1;
	}
	if ((w = find_room(b, p.room)) == NULL) {
		log_debug("%s: presence for a room not observed: %s",
		    __func__, log_escape(esc, sizeof(esc), p.room));
		presence_clear(&p);
		return 1;
	}
	if (p.kind == PRESENCE_ERROR && room_state(w->room) == ROOM_JOINING)
		log_info("room %s: join refused: %s", p.room,
		    p.error_condition != NULL ? p.error_condition : "error");
	act = room_apply(w->room, &p, now, &b->room_sink);
	if (room_session(w->room) != NULL)
		w->attempts = 0;
	room_act(b, w, act, now);
	presence_clear(&p);
	return 1;
}

/*
 * The meetingId field of a room's disco#info answer, or NULL.  The caller
 * frees the result with xmpp_free().
 */
static char *
meeting_id_of(xmpp_stanza_t *st)
{
	xmpp_stanza_t	*q, *x, *f, *v;
	const char	*var;

	if ((q = xmpp_stanza_get_child_by_name_and_ns(st, "query",
	    NS_DISCO_INFO)) == NULL)
		return NULL;
	if ((x = xmpp_stanza_get_child_by_name_and_ns(q, "x", NS_DATA)) == NULL)
		return NULL;
	for (f = xmpp_stanza_get_children(x); f != NULL;
	    f = xmpp_stanza_get_next(f)) {
		var = xmpp_stanza_get_attribute(f, "var");
		if (var == NULL || strcmp(var, "muc#roominfo_meetingId") != 0)
			continue;
		if ((v = xmpp_stanza_get_child_by_name(f, "value")) == NULL)
			return NULL;
		return xmpp_stanza_get_text(v);
	}
	return NULL;
}

static void
module_info(struct bot *b, xmpp_stanza_t *st)
{
	xmpp_stanza_t	*q, *f;
	const char	*var;

	b->module = 0;
	if (strcmp(xmpp_stanza_get_type(st), "result") == 0 &&
	    (q = xmpp_stanza_get_child_by_name_and_ns(st, "query",
	    NS_DISCO_INFO)) != NULL) {
		for (f = xmpp_stanza_get_children(q); f != NULL;
		    f = xmpp_stanza_get_next(f)) {
			var = xmpp_stanza_get_attribute(f, "var");
			if (var != NULL && strcmp(var, TELETRACK_NS) == 0)
				b->module = 1;
		}
	}
	if (b->module)
		log_info("companion module found on %s: full mode "
		    "(speaker, interruptions, client info, room notices)",
		    b->cfg->muc_domain);
	else
		log_info("no companion module on %s: basic mode "
		    "(presence and messages only)", b->cfg->muc_domain);
	if (b->cfg->join_all && !b->module)
		log_warnx("join = all: without the companion module only rooms "
		    "listed by disco#items are found");
}

static void
rooms_listed(struct bot *b, xmpp_stanza_t *st)
{
	xmpp_stanza_t	*q, *it;
	const char	*jid, *at;
	char		*name;

	if (strcmp(xmpp_stanza_get_type(st), "result") != 0)
		return;
	if ((q = xmpp_stanza_get_child_by_name_and_ns(st, "query",
	    NS_DISCO_ITEMS)) == NULL)
		return;
	for (it = xmpp_stanza_get_children(q); it != NULL;
	    it = xmpp_stanza_get_next(it)) {
		if ((jid = xmpp_stanza_get_attribute(it, "jid")) == NULL ||
		    (at = strchr(jid, '@')) == NULL || at == jid)
			continue;
		if (strcasecmp(at + 1, b->cfg->muc_domain) != 0)
			continue;
		name = strndup(jid, (size_t)(at - jid));
		if (name == NULL)
			fatal("strndup");
		if (strncmp(name, "__jicofo-health-check", 21) != 0)
			add_room(b, name, 1);
		free(name);
	}
}

static int
iq_result_cb(struct bot *b, xmpp_stanza_t *st, const char *id)
{
	size_t	 i;
	int64_t	 now = now_ms();
	char	*mid;

	if (b->modinfo_id != NULL && strcmp(id, b->modinfo_id) == 0) {
		free(b->modinfo_id);
		b->modinfo_id = NULL;
		module_info(b, st);
		return 1;
	}
	if (b->items_id != NULL && strcmp(id, b->items_id) == 0) {
		free(b->items_id);
		b->items_id = NULL;
		rooms_listed(b, st);
		return 1;
	}
	for (i = 0; i < b->nrooms; i++) {
		struct watched *w = &b->rooms[i];

		if (w->info_id == NULL || strcmp(w->info_id, id) != 0)
			continue;
		free(w->info_id);
		w->info_id = NULL;
		mid = strcmp(xmpp_stanza_get_type(st), "result") == 0 ?
		    meeting_id_of(st) : NULL;
		room_meeting_info(w->room, mid, now, &b->room_sink);
		if (mid != NULL)
			xmpp_free(b->ctx, mid);
		if (room_session(w->room) != NULL)
			w->attempts = 0;
		return 1;
	}
	return 1;
}

static void
reply(struct bot *b, xmpp_stanza_t *st, const char *err_type,
    const char *condition)
{
	xmpp_stanza_t	*r;

	if (condition != NULL)
		r = xmpp_stanza_reply_error(st, err_type, condition, NULL);
	else
		r = xmpp_stanza_reply(st);
	if (r == NULL)
		return;
	/* xmpp_stanza_reply() keeps the request's type: answer "result". */
	if (condition == NULL)
		xmpp_stanza_set_type(r, "result");
	xmpp_send(b->conn, r);
	xmpp_stanza_release(r);
}

/*
 * disco#info: a minimal client with no media features, answered at once
 * (jicofo blocks the room's presence processing until it gets an answer).
 */
static void
reply_disco(struct bot *b, xmpp_stanza_t *st)
{
	xmpp_stanza_t	*r, *q, *id, *f;

	if ((r = xmpp_stanza_reply(st)) == NULL)
		return;
	xmpp_stanza_set_type(r, "result");
	q = xmpp_stanza_new(b->ctx);
	xmpp_stanza_set_name(q, "query");
	xmpp_stanza_set_ns(q, NS_DISCO_INFO);
	id = xmpp_stanza_new(b->ctx);
	xmpp_stanza_set_name(id, "identity");
	xmpp_stanza_set_attribute(id, "category", "client");
	xmpp_stanza_set_attribute(id, "type", "bot");
	xmpp_stanza_set_attribute(id, "name", "teletrack");
	xmpp_stanza_add_child_ex(q, id, 0);
	f = xmpp_stanza_new(b->ctx);
	xmpp_stanza_set_name(f, "feature");
	xmpp_stanza_set_attribute(f, "var", NS_DISCO_INFO);
	xmpp_stanza_add_child_ex(q, f, 0);
	xmpp_stanza_add_child_ex(r, q, 0);
	xmpp_send(b->conn, r);
	xmpp_stanza_release(r);
}

static int
iq_cb(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct bot	*b = arg;
	const char	*type = xmpp_stanza_get_type(st);
	const char	*id = xmpp_stanza_get_id(st);
	xmpp_stanza_t	*jingle;
	const char	*action;

	(void)conn;
	if (type == NULL || id == NULL)
		return 1;
	if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0)
		return iq_result_cb(b, st, id);
	if (strcmp(type, "get") != 0 && strcmp(type, "set") != 0)
		return 1;
	if (strcmp(type, "get") == 0 &&
	    xmpp_stanza_get_child_by_name_and_ns(st, "query",
	    NS_DISCO_INFO) != NULL) {
		reply_disco(b, st);
		return 1;
	}
	if (xmpp_stanza_get_child_by_name_and_ns(st, "ping", NS_PING) != NULL) {
		reply(b, st, NULL, NULL);
		return 1;
	}
	if ((jingle = xmpp_stanza_get_child_by_name_and_ns(st, "jingle",
	    NS_JINGLE)) != NULL) {
		action = xmpp_stanza_get_attribute(jingle, "action");
		/*
		 * Refuse the media session: jicofo then expires the bridge
		 * channels and does not retry.  Acknowledge the terminate.
		 */
		if (action != NULL && strcmp(action, "session-terminate") == 0)
			reply(b, st, NULL, NULL);
		else
			reply(b, st, "cancel", "service-unavailable");
		log_debug("%s: jingle %s answered", __func__,
		    action != NULL ? action : "(none)");
		return 1;
	}
	/* RFC 6120 8.2.3: every get/set gets an answer. */
	reply(b, st, "cancel", "service-unavailable");
	return 1;
}

/* A speakerstats snapshot names no room: it belongs to our latest join. */
static struct watched *
latest_joined(struct bot *b, int64_t now)
{
	struct watched	*best = NULL;
	size_t		 i;

	for (i = 0; i < b->nrooms; i++) {
		struct watched *w = &b->rooms[i];

		if (w->self_ms > 0 && now - w->self_ms < 10000 &&
		    (best == NULL || w->self_ms > best->self_ms))
			best = w;
	}
	return best;
}

static void
module_note(struct bot *b, struct message *m, int64_t now)
{
	struct watched	*w;
	const char	*at;
	char		*name;

	if (m->note == NOTE_ROOM_CREATED || m->note == NOTE_ROOM_DESTROYED) {
		log_debug("%s: room %s %s", __func__, m->note_room,
		    m->note == NOTE_ROOM_CREATED ? "created" : "destroyed");
		if (m->note != NOTE_ROOM_CREATED || !b->cfg->join_all)
			return;
		if ((at = strchr(m->note_room, '@')) == NULL ||
		    strcasecmp(at + 1, b->cfg->muc_domain) != 0 ||
		    strncmp(m->note_room, "__jicofo-health-check", 21) == 0)
			return;
		name = strndup(m->note_room, (size_t)(at - m->note_room));
		if (name == NULL)
			fatal("strndup");
		w = add_room(b, name, ROOM_ALL);
		free(name);
		if (room_state(w->room) == ROOM_IDLE)
			w->next_try = now;
		return;
	}
	if ((w = find_room(b, m->note_room)) != NULL)
		room_module_note(w->room, m, now, &b->room_sink);
}

static int
message_cb(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct bot	*b = arg;
	struct message	 m;
	struct watched	*w;
	const char	*err = NULL;
	char		 esc[128];
	int64_t		 now = now_ms();

	(void)conn;
	if (message_parse(st, &m, &err) == -1) {
		log_debug("%s: dropped message from %s: %s", __func__,
		    log_escape(esc, sizeof(esc), xmpp_stanza_get_from(st)),
		    err != NULL ? err : "malformed");
		return 1;
	}
	switch (m.kind) {
	case MESSAGE_CHAT:
	case MESSAGE_REACTION:
		if ((w = find_room(b, m.room)) != NULL)
			room_message(w->room, &m, now, &b->room_sink);
		break;
	case MESSAGE_SPEAKERSTATS:
		/* Only a server component (a bare domain) sends these. */
		if (m.from == NULL || strchr(m.from, '@') != NULL)
			break;
		if ((w = latest_joined(b, now)) != NULL)
			room_speakerstats(w->room, &m, now, &b->room_sink);
		break;
	case MESSAGE_MODULE:
		/*
		 * Trusted only from the MUC component's own address: an
		 * occupant's messages always carry room@domain/nick, a user's
		 * node@domain/resource, and Prosody stamps the from of
		 * everything a client sends.
		 */
		if (m.from == NULL || strcasecmp(m.from, b->cfg->muc_domain)
		    != 0) {
			log_warnx("ignoring teletrack notification from "
			    "untrusted sender %s",
			    log_escape(esc, sizeof(esc), m.from));
			break;
		}
		module_note(b, &m, now);
		break;
	default:
		break;
	}
	message_clear(&m);
	return 1;
}

/* --- connection ---------------------------------------------------------- */

static void
conn_cb(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
    xmpp_stream_error_t *serr, void *arg)
{
	struct bot	*b = arg;
	int64_t		 now = now_ms();
	size_t		 i;

	(void)serr;
	if (ev == XMPP_CONN_CONNECT) {
		log_info("connected as %s", xmpp_conn_get_bound_jid(conn));
		b->online = 1;
		b->conn_attempts = 0;
		xmpp_handler_add(conn, presence_cb, NULL, "presence", NULL, b);
		xmpp_handler_add(conn, message_cb, NULL, "message", NULL, b);
		xmpp_handler_add(conn, iq_cb, NULL, "iq", NULL, b);
		free(b->modinfo_id);
		b->modinfo_id = send_disco(b, b->cfg->muc_domain,
		    NS_DISCO_INFO);
		if (b->cfg->join_all) {
			free(b->items_id);
			b->items_id = send_disco(b, b->cfg->muc_domain,
			    NS_DISCO_ITEMS);
		}
		for (i = 0; i < b->nrooms; i++)
			b->rooms[i].next_try = now;
		return;
	}
	/* XMPP_CONN_DISCONNECT or XMPP_CONN_FAIL */
	if (b->stopping)
		log_info("disconnected");
	else
		log_warnx("connection to %s lost%s%s", b->cfg->server,
		    error ? ": " : "", error ? strerror(error) : "");
	b->online = 0;
	b->dead = 1;
	for (i = 0; i < b->nrooms; i++) {
		room_connection_lost(b->rooms[i].room, now);
		free(b->rooms[i].info_id);
		b->rooms[i].info_id = NULL;
	}
	if (b->stopping)
		xmpp_stop(b->ctx);
}

static int
connect_now(struct bot *b)
{
	long	 flags = XMPP_CONN_FLAG_DISABLE_SM;
	char	*jid;

	b->conn = xmpp_conn_new(b->ctx);
	switch (b->cfg->tls) {
	case TLS_REQUIRED:
		flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
		break;
	case TLS_OFF:
		flags |= XMPP_CONN_FLAG_DISABLE_TLS;
		break;
	case TLS_OPTIONAL:
		break;
	}
	xmpp_conn_set_flags(b->conn, flags);
	if (b->cfg->ca_file != NULL)
		xmpp_conn_set_cafile(b->conn, b->cfg->ca_file);
	/* A fresh resource each time: never collide with an old session. */
	xasprintf(&jid, "%s/teletrack-%08lx", b->cfg->jid,
	    (unsigned long)random());
	xmpp_conn_set_jid(b->conn, jid);
	free(jid);
	xmpp_conn_set_pass(b->conn, b->cfg->password);
	xmpp_conn_set_sockopt_callback(b->conn, xmpp_sockopt_cb_keepalive);
	log_info("connecting to %s:%d", b->cfg->server, b->cfg->port);
	b->dead = 0;
	if (xmpp_connect_client(b->conn, b->cfg->server,
	    (unsigned short)b->cfg->port, conn_cb, b) != XMPP_EOK) {
		log_warnx("cannot start connecting to %s:%d", b->cfg->server,
		    b->cfg->port);
		b->dead = 1;
		return -1;
	}
	return 0;
}

static void
begin_stop(struct bot *b, int64_t now)
{
	size_t	 i;

	log_info("stopping: leaving rooms, flushing");
	b->stopping = now;
	for (i = 0; i < b->nrooms; i++)
		leave_room(b, &b->rooms[i], "observer_stopped", now);
	if (b->hooks->flush != NULL)
		b->hooks->flush(b->hooks->arg);
	if (b->conn != NULL && b->online)
		xmpp_disconnect(b->conn);
	else
		xmpp_stop(b->ctx);
}

static int
pulse_cb(xmpp_ctx_t *ctx, void *arg)
{
	struct bot	*b = arg;
	int64_t		 now = now_ms();

	(void)ctx;
	if (*b->stop && !b->stopping) {
		begin_stop(b, now);
		return 1;
	}
	if (b->stopping) {
		if (now - b->stopping > STOP_TIMEOUT_MS)
			xmpp_stop(b->ctx);
		return 1;
	}
	if (b->hooks->flush_due != NULL &&
	    b->hooks->flush_due(b->hooks->arg, now))
		b->hooks->flush(b->hooks->arg);
	if (b->dead && b->conn != NULL) {
		xmpp_conn_release(b->conn);
		b->conn = NULL;
		b->next_connect = now + backoff_ms(b->conn_attempts++,
		    b->cfg->reconnect_min_s, b->cfg->reconnect_max_s);
		log_info("reconnecting in %lld ms",
		    (long long)(b->next_connect - now));
	}
	if (b->conn == NULL && now >= b->next_connect)
		connect_now(b);
	return 1;
}

static int
tick_cb(xmpp_ctx_t *ctx, void *arg)
{
	struct bot	*b = arg;
	int64_t		 now = now_ms();
	int		 rollup;
	size_t		 i;

	(void)ctx;
	if (b->stopping)
		return 1;
	rollup = now - b->last_tick >= (int64_t)b->cfg->rollup_interval_s *
	    1000;
	if (rollup)
		b->last_tick = now;
	/* Appointments first: a room wanted now is joined in this tick. */
	if (b->hooks->schedule != NULL && now >= b->next_poll) {
		b->next_poll = now + (int64_t)b->cfg->schedule_poll_s * 1000;
		schedule_poll(b, now);
	}
	for (i = 0; i < b->nappts; i++)
		appt_step(b, &b->appts[i], now);
	if (b->notify != NULL)
		notify_poll(b->notify, now);
	for (i = 0; i < b->nrooms; i++) {
		struct watched *w = &b->rooms[i];

		if (w->info_id != NULL && now >= w->info_deadline) {
			log_warnx("room %s: no disco#info answer, meeting id "
			    "unknown", room_jid(w->room));
			free(w->info_id);
			w->info_id = NULL;
			room_meeting_info(w->room, NULL, now,
			    &b->room_sink);
		}
		/* Rollups persist durations; events carry everything else. */
		if (rollup)
			room_act(b, w, room_tick(w->room, now,
			    &b->room_sink), now);
		if (b->online && w->next_try > 0 && now >= w->next_try &&
		    (room_state(w->room) == ROOM_IDLE ||
		    room_state(w->room) == ROOM_LOST))
			join_room(b, w, now);
	}
	return 1;
}

int
bot_run(const struct config *cfg, const struct bot_hooks *hooks,
    volatile sig_atomic_t *stop)
{
	struct bot	 b;
	xmpp_log_t	 lg = { strophe_log, NULL };
	size_t		 i;

	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.hooks = hooks;
	b.stop = stop;
	srandom((unsigned)now_ms() ^ (unsigned)getpid());
	xmpp_initialize();
	if ((b.ctx = xmpp_ctx_new(NULL, &lg)) == NULL) {
		log_warnx("xmpp_ctx_new failed");
		xmpp_shutdown();
		return -1;
	}
	xmpp_ctx_set_timeout(b.ctx, 100);
	b.fair_per_hour = hooks->quality_fair_per_hour;
	b.poor_per_hour = hooks->quality_poor_per_hour;
	b.room_sink.emit = room_emit;
	b.room_sink.arg = &b;
	b.appt_sink.emit = appt_emit;
	b.appt_sink.arg = &b;
	if (cfg->alert_command != NULL)
		b.notify = notify_new(cfg->alert_command,
		    (int64_t)cfg->alert_timeout_s * 1000);
	for (i = 0; i < cfg->nrooms; i++)
		add_room(&b, cfg->rooms[i], ROOM_CONFIG);
	log_info("observing %zu room(s)%s as %s/%s", cfg->nrooms,
	    cfg->join_all ? " and every room (join = all)" : "",
	    cfg->muc_domain, cfg->nick);
	xmpp_global_timed_handler_add(b.ctx, pulse_cb, 100, &b);
	xmpp_global_timed_handler_add(b.ctx, tick_cb, 1000, &b);
	b.last_tick = now_ms();

	xmpp_run(b.ctx);

	if (b.conn != NULL)
		xmpp_conn_release(b.conn);
	for (i = 0; i < b.nrooms; i++) {
		room_free(b.rooms[i].room);
		free(b.rooms[i].name);
		free(b.rooms[i].info_id);
	}
	free(b.rooms);
	while (b.nappts > 0)
		appt_remove(&b, b.nappts - 1);
	free(b.appts);
	free(b.admin_jids);
	notify_free(b.notify, 2000);
	free(b.modinfo_id);
	free(b.items_id);
	xmpp_global_timed_handler_delete(b.ctx, pulse_cb);
	xmpp_global_timed_handler_delete(b.ctx, tick_cb);
	xmpp_ctx_free(b.ctx);
	xmpp_shutdown();
	return 0;
}
