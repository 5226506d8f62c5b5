/*
 * Room state and event derivation: the heart of teletrack.
 *
 * xmpp.c hands every presence and message of an observed room to this
 * module together with the time it arrived.  The room keeps the occupants
 * (keyed by MUC nick, with their last parsed state) and the participants of
 * the open meeting session (keyed by identity: JWT user id, else stats-id,
 * else nick), compares each presence with the stored state and emits
 * events to the sink.  Nothing here does I/O or reads the clock.
 *
 * Lifecycle.  A join goes IDLE -> JOINING; the occupant list arrives, then
 * our self-presence (-> INFO, the caller queries disco#info), then the
 * meeting id (-> JOINED).  Occupants that arrive before the meeting id is
 * known are kept "unattached" and attached to participants afterwards, so
 * a session row is only written once we know which meeting it is.  A
 * session opens with its first participant and ends when focus leaves, the
 * room is destroyed, or the observer leaves an empty room.
 *
 * Gaps.  When our connection drops (or we are removed from the room while
 * the meeting goes on) the room goes LOST and keeps its occupants.  After
 * the rejoin, the occupant list marks who is still there; at the meeting
 * id the room reconciles: occupants not seen again left during the gap (at
 * the gap's start, the conservative time for billing), new ones joined,
 * and an observer_gap event records the blind interval.  No participant is
 * duplicated because occupants and participants keep their identity.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "event.h"
#include "log.h"
#include "settings.h"
#include "room.h"
#include "xmalloc.h"

enum occ_kind {
	OCC_PARTICIPANT,
	OCC_FOCUS,
	OCC_HIDDEN	/* Jibri, transcriber: hidden-domain members */
};

struct participant;

struct occupant {
	struct occupant		*next;
	char			*nick;
	char			*jid;
	char			*role;
	char			*affiliation;
	char			*display_name;
	enum occ_kind		 kind;
	struct media_state	 media;
	int			 hand;		/* -1 unknown */
	int			 seen;		/* seen since the last (re)join */
	int64_t			 arrived_ms;
	struct participant	*part;		/* NULL: not attached */
	char			*key;		/* identity key for attaching */
	char			*identity_id;
	char			*identity_name;
	char			*identity_role;
	char			*stats_id;
	int			 transcription;	/* hidden: -1, 0, 1 */
	int			 feature_jibri;
	int			 feature_transcriber;
	int64_t			 snapshot_ms;	/* speakerstats; -1 none */
	char			*pending_ip;	/* client note before attach */
	char			*pending_ua;
};

struct participant {
	struct participant	*next;
	struct participant_rec	 rec;	/* strings below back rec */
	char			*key;
	char			*nick;
	char			*name;
	char			*pid;
	char			*prole;
	char			*jid;
	char			*stats_id;
	char			*issues;
	char			*left_reason;
	char			*ip;
	char			*ua;
	char			*browser;
	char			*os;
	char			*device;
	json_t			*issue_list;
	int			 noccupants;
	int64_t			 present_since;
	int64_t			 accum_ms;
	int			 interruptions;
	int64_t			 speak_since;	/* dominant now; 0 when not */
	int64_t			 spoke_ms;	/* closed intervals */
	int64_t			 spoke_base_ms;	/* snapshot at join */
	int			 dirty;
};

struct session {
	struct session_rec	 rec;
	char			*uid;
	char			*meeting_id;
	char			*appointment_id;
	char			*end_reason;
	int			 open;
	int			 present;	/* participants present now */
	int64_t			 rec_on_since;	/* file recording running */
	int64_t			 rec_accum_ms;
	int64_t			 stream_on_since;
	int			 dirty;
};

struct room {
	char			*jid;
	char			*name;
	char			*self_nick;
	char			*hidden_domain;
	char			*focus_nick;
	double			 fair_per_hour;
	double			 poor_per_hour;
	int			 leave_grace_s;

	enum room_state		 state;
	struct occupant		*occupants;
	struct participant	*parts;
	struct session		 sess;

	int64_t			 joined_ms;	/* our last join */
	int64_t			 gap_start;	/* 0: no gap pending */
	int64_t			 empty_since;	/* 0: participants present */
	char			*meeting_id;	/* last known meeting id */
	char			*pending_stats;	/* speakerstats before open */
	char			*appt_uid;	/* attached appointment */
	char			*appt_id;
	int			 appt_sessions;	/* sessions opened for it */

	/* focus state, kept across sessions of the same room */
	int			 have_rec;
	char			*rec_status;
	char			*rec_mode;
	char			*rec_session;
};

static void	session_close(struct room *, int64_t, const char *,
		    const struct event_sink *);
static void	client_info(struct room *, struct participant *,
		    const char *, const char *, int64_t,
		    const struct event_sink *);

/* --- small helpers ----------------------------------------------------- */

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
set_str(char **dst, const char *src)
{
	if (streq(*dst, src))
		return;
	free(*dst);
	*dst = xstrdup_null(src);
}

static const char *
jid_domain(const char *jid)
{
	const char	*at, *slash;
	static char	 buf[1024];
	size_t		 n;

	if (jid == NULL)
		return NULL;
	at = strchr(jid, '@');
	at = at != NULL ? at + 1 : jid;
	slash = strchr(at, '/');
	n = slash != NULL ? (size_t)(slash - at) : strlen(at);
	if (n >= sizeof(buf))
		return NULL;
	memcpy(buf, at, n);
	buf[n] = '\0';
	return buf;
}

/* --- rec mirrors ------------------------------------------------------- */

static const char *
quality_name(const struct room *r, const struct participant *p,
    int64_t dur_ms)
{
	double	 hours, rate;
	int	 incidents;

	incidents = p->rec.disconnection_count + (p->rec.join_count - 1) +
	    p->interruptions;
	if (incidents <= 0)
		return "good";
	/*
	 * Rate per hour of presence, with presence floored at 10 minutes: a
	 * single reconnect in a 30 s stint is not "120 per hour".
	 */
	if (dur_ms < 600000)
		dur_ms = 600000;
	hours = (double)dur_ms / 3600000.0;
	rate = incidents / hours;
	if (rate >= r->poor_per_hour)
		return "poor";
	if (rate >= r->fair_per_hour)
		return "fair";
	return "good";
}

static int
quality_rank(const char *q)
{
	if (q == NULL)
		return 0;
	if (strcmp(q, "poor") == 0)
		return 3;
	if (strcmp(q, "fair") == 0)
		return 2;
	return 1;
}

static int64_t
part_duration_ms(const struct participant *p, int64_t now)
{
	int64_t	 d = p->accum_ms;

	if (p->noccupants > 0 && now > p->present_since)
		d += now - p->present_since;
	return d;
}

static int64_t
part_spoke_ms(const struct participant *p, int64_t now)
{
	int64_t	 d = p->spoke_base_ms + p->spoke_ms;

	if (p->speak_since > 0 && now > p->speak_since)
		d += now - p->speak_since;
	return d;
}

/* Refresh p->rec from the owned fields and the clock. */
static void
part_sync(struct room *r, struct participant *p, int64_t now)
{
	int64_t	 dur = part_duration_ms(p, now);

	p->rec.key = p->key;
	p->rec.nick = p->nick;
	p->rec.name = p->name != NULL ? p->name : p->nick;
	p->rec.participant_id = p->pid;
	p->rec.role = p->prole != NULL ? p->prole : "unknown";
	p->rec.jid = p->jid;
	p->rec.stats_id = p->stats_id;
	p->rec.duration_s = dur / 1000;
	p->rec.present = p->noccupants > 0;
	p->rec.issues_json = p->issues != NULL ? p->issues : "[]";
	p->rec.left_reason = p->noccupants > 0 ? NULL : p->left_reason;
	p->rec.left_ms = p->noccupants > 0 ? 0 : p->rec.left_ms;
	p->rec.ip_address = p->ip;
	p->rec.user_agent = p->ua;
	p->rec.browser = p->browser;
	p->rec.operating_system = p->os;
	p->rec.device_type = p->device;
	if (p->rec.spoke_known)
		p->rec.spoke_time_s = (double)part_spoke_ms(p, now) / 1000.0;
	p->rec.connection_quality = quality_name(r, p, dur);
}

static void
sess_sync(struct room *r, int64_t now)
{
	struct session		*s = &r->sess;
	struct participant	*p;
	int			 worst = 0, disc = 0, n = 0;
	const char		*q = NULL;
	int64_t			 rec_ms;

	s->rec.uid = s->uid;
	s->rec.room = r->name;
	s->rec.room_jid = r->jid;
	s->rec.meeting_id = s->meeting_id;
	s->rec.appointment_id = s->appointment_id;
	s->rec.end_reason = s->end_reason;
	if (s->open)
		s->rec.duration_s = (now - s->rec.start_ms) / 1000;
	for (p = r->parts; p != NULL; p = p->next) {
		part_sync(r, p, now);
		n++;
		disc += p->rec.disconnection_count;
		if (quality_rank(p->rec.connection_quality) > worst) {
			worst = quality_rank(p->rec.connection_quality);
			q = p->rec.connection_quality;
		}
	}
	s->rec.participant_count = n;
	s->rec.total_disconnections = disc;
	s->rec.connection_quality = q;
	rec_ms = s->rec_accum_ms;
	if (s->rec_on_since > 0 && now > s->rec_on_since)
		rec_ms += now - s->rec_on_since;
	s->rec.recording_duration_s = rec_ms / 1000;
}

/* --- emitting ---------------------------------------------------------- */

static void
emit(struct room *r, enum event_type type, struct participant *p,
    int64_t ts, json_t *data, int64_t now, const struct event_sink *sink)
{
	struct event	 ev;
	char		*text = NULL;

	if (!r->sess.open) {
		json_decref(data);
		return;
	}
	sess_sync(r, now);
	if (data != NULL)
		text = event_jdump(data);
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ts_ms = ts;
	ev.session = &r->sess.rec;
	ev.participant = p != NULL ? &p->rec : NULL;
	ev.data = text;
	event_emit(sink, &ev);
	free(text);
}

static json_t *
nick_obj(const char *nick)
{
	json_t	*o = json_object();

	json_object_set_new(o, "nick", event_jstr(nick));
	return o;
}

static void
add_issue(struct participant *p, const char *what, int64_t ts)
{
	char	 buf[64];
	int64_t	 at = (ts - p->rec.joined_ms) / 1000;

	if (at < 0)
		at = 0;
	snprintf(buf, sizeof(buf), "%s-at-%llds", what, (long long)at);
	if (p->issue_list == NULL)
		p->issue_list = json_array();
	json_array_append_new(p->issue_list, json_string(buf));
	free(p->issues);
	p->issues = json_dumps(p->issue_list, JSON_COMPACT);
	if (p->issues == NULL)
		fatalx("json_dumps: out of memory");
}

/* --- occupants and participants --------------------------------------- */

static struct occupant *
occ_find(struct room *r, const char *nick)
{
	struct occupant	*o;

	for (o = r->occupants; o != NULL; o = o->next)
		if (strcmp(o->nick, nick) == 0)
			return o;
	return NULL;
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
	struct occupant	**pp;

	for (pp = &r->occupants; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			occ_free(o);
			return;
		}
}

static void
occ_clear(struct room *r)
{
	struct occupant	*o, *next;

	for (o = r->occupants; o != NULL; o = next) {
		next = o->next;
		occ_free(o);
	}
	r->occupants = NULL;
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
	free(p->issues);
	free(p->left_reason);
	free(p->ip);
	free(p->ua);
	free(p->browser);
	free(p->os);
	free(p->device);
	json_decref(p->issue_list);
	free(p);
}

static void
parts_clear(struct room *r)
{
	struct participant	*p, *next;
	struct occupant		*o;

	for (p = r->parts; p != NULL; p = next) {
		next = p->next;
		part_free(p);
	}
	r->parts = NULL;
	for (o = r->occupants; o != NULL; o = o->next)
		o->part = NULL;
}

static struct participant *
part_find(struct room *r, const char *key)
{
	struct participant	*p;

	for (p = r->parts; p != NULL; p = p->next)
		if (strcmp(p->key, key) == 0)
			return p;
	return NULL;
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

static const char *
best_name(const struct occupant *o)
{
	if (o->identity_name != NULL && *o->identity_name != '\0')
		return o->identity_name;
	if (o->display_name != NULL && *o->display_name != '\0')
		return o->display_name;
	return o->nick;
}

static void
update_media_flags(struct participant *p, const struct occupant *o)
{
	if (!o->media.known)
		return;
	if (!o->media.audio_muted)
		p->rec.microphone_enabled = 1;
	if (o->media.camera_on)
		p->rec.camera_enabled = 1;
	if (o->media.sharing)
		p->rec.screen_shared = 1;
}

static void
set_present(struct room *r, int64_t now)
{
	int	 n = 0;
	struct participant *p;

	for (p = r->parts; p != NULL; p = p->next)
		if (p->noccupants > 0)
			n++;
	r->sess.present = n;
	if (n > r->sess.rec.peak_participants)
		r->sess.rec.peak_participants = n;
	if (n == 0) {
		if (r->empty_since == 0)
			r->empty_since = now;
	} else
		r->empty_since = 0;
}

/* Close p's running speaking interval, if any, at ts. */
static void
speak_stop(struct participant *p, int64_t ts)
{
	if (p->speak_since == 0)
		return;
	if (ts > p->speak_since)
		p->spoke_ms += ts - p->speak_since;
	p->speak_since = 0;
	p->dirty = 1;
}

/*
 * One of p's occupants is gone at ts.  When it was the last one, p stops
 * being present: its time present is banked and its leave stamped.
 */
static void
part_occupant_gone(struct participant *p, int64_t ts, const char *reason)
{
	if (--p->noccupants > 0)
		return;
	if (ts > p->present_since)
		p->accum_ms += ts - p->present_since;
	p->rec.left_ms = ts;
	set_str(&p->left_reason, reason);
	speak_stop(p, ts);
}

static void
session_open(struct room *r, int64_t start, int64_t now,
    const struct event_sink *sink)
{
	struct session	*s = &r->sess;
	json_t		*d;
	char		 iso[32];

	memset(s, 0, sizeof(*s));
	s->open = 1;
	/*
	 * The appointment's first meeting is its booked row; a later one
	 * (the room was destroyed and re-created) gets a row of its own
	 * with the same appointment id.
	 */
	if (r->appt_uid != NULL && r->appt_sessions++ == 0)
		s->uid = xstrdup(r->appt_uid);
	else if (r->appt_uid != NULL)
		xasprintf(&s->uid, "%s/%lld", r->appt_uid, (long long)start);
	else
		xasprintf(&s->uid, "%s/%lld", r->jid, (long long)start);
	s->appointment_id = xstrdup_null(r->appt_id);
	s->meeting_id = xstrdup_null(r->meeting_id);
	s->rec.start_ms = start;
	/*
	 * An appointment's booked row has its status from the appointment
	 * (appt.c): NULL here means "keep what is stored".
	 */
	s->rec.status = s->uid != NULL && r->appt_uid != NULL &&
	    strcmp(s->uid, r->appt_uid) == 0 ? NULL : "active";
	s->rec.recording_status = "not_recorded";

	d = json_object();
	json_object_set_new(d, "room", event_jstr(r->jid));
	json_object_set_new(d, "meeting_id", event_jstr(r->meeting_id));
	emit(r, EVENT_SESSION_START, NULL, start, d, now, sink);

	d = json_object();
	json_object_set_new(d, "nick", event_jstr(r->self_nick));
	json_object_set_new(d, "joined_at",
	    json_string(event_iso8601(r->joined_ms, iso, sizeof(iso))));
	emit(r, EVENT_OBSERVER_JOIN, NULL, start, d, now, sink);

	/* Recording that was already running when we arrived. */
	if (r->have_rec && streq(r->rec_status, "on")) {
		int stream = streq(r->rec_mode, "stream");

		d = json_object();
		json_object_set_new(d, "mode", event_jstr(r->rec_mode));
		json_object_set_new(d, "session_id", event_jstr(r->rec_session));
		json_object_set_new(d, "already_on", json_true());
		if (stream)
			s->stream_on_since = start;
		else {
			s->rec_on_since = start;
			s->rec.recording_status = "recording";
		}
		emit(r, stream ? EVENT_LIVESTREAM_START : EVENT_RECORDING_START,
		    NULL, start, d, now, sink);
	} else if (r->have_rec && streq(r->rec_status, "pending"))
		s->rec.recording_status = "pending";
}

/*
 * Attach occupant o to the participant with its identity: a new one
 * (join) or an existing one (reconnect, also when the old nick is still
 * here because its delayed leave has not arrived).  Opens the session when
 * this is its first participant.
 */
static void
occ_attach(struct room *r, struct occupant *o, int64_t ts, int already,
    int64_t now, const struct event_sink *sink)
{
	struct participant	*p;
	json_t			*d;
	int			 reconnect;
	char			*prev_nick = NULL;

	if (!r->sess.open)
		session_open(r, ts, now, sink);
	if ((p = part_find(r, o->key)) == NULL) {
		p = xcalloc(1, sizeof(*p));
		p->key = xstrdup(o->key);
		p->rec.joined_ms = ts;
		p->next = r->parts;
		r->parts = p;
		reconnect = 0;
	} else {
		reconnect = 1;
		prev_nick = xstrdup_null(p->nick);
	}
	o->part = p;
	p->rec.join_count++;
	if (p->noccupants++ == 0)
		p->present_since = ts;
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
	update_media_flags(p, o);
	if (o->snapshot_ms >= 0) {
		p->spoke_base_ms = o->snapshot_ms;
		p->rec.spoke_known = 1;
	}
	p->dirty = 1;
	set_present(r, ts);

	d = nick_obj(o->nick);
	json_object_set_new(d, "name", event_jstr(best_name(o)));
	json_object_set_new(d, "role", event_jstr(p->prole != NULL ? p->prole :
	    "unknown"));
	if (reconnect) {
		json_object_set_new(d, "previous_nick", event_jstr(prev_nick));
		json_object_set_new(d, "join_count",
		    json_integer(p->rec.join_count));
		add_issue(p, "reconnect", ts);
	}
	if (already)
		json_object_set_new(d, "already_present", json_true());
	emit(r, reconnect ? EVENT_RECONNECT : EVENT_JOIN, p, ts, d, now,
	    sink);
	free(prev_nick);
	/* Client facts the module sent before we knew the meeting. */
	if (o->pending_ip != NULL || o->pending_ua != NULL) {
		client_info(r, p, o->pending_ip, o->pending_ua, now, sink);
		free(o->pending_ip);
		free(o->pending_ua);
		o->pending_ip = o->pending_ua = NULL;
	}
}

/*
 * Occupant o leaves at ts with event type t.  The participant stays
 * present when another of its occupants is still here.
 */
static void
occ_detach(struct room *r, struct occupant *o, enum event_type t,
    const char *reason, json_t *d, int64_t ts, int64_t now,
    const struct event_sink *sink)
{
	struct participant	*p = o->part;

	if (p == NULL) {
		json_decref(d);
		return;
	}
	part_occupant_gone(p, ts, reason);
	if (t == EVENT_DISCONNECT) {
		p->rec.disconnection_count++;
		add_issue(p, "disconnect", ts);
	} else if (t == EVENT_KICKED)
		add_issue(p, "kicked", ts);
	o->part = NULL;
	p->dirty = 1;
	set_present(r, ts);
	emit(r, t, p, ts, d, now, sink);
}

/* --- focus, hidden members --------------------------------------------- */

static void
focus_recording(struct room *r, const struct presence *pr, int64_t now,
    const struct event_sink *sink)
{
	struct session	*s = &r->sess;
	enum event_type	 t;
	json_t		*d;
	int		 stream, was_on, was_pending;

	if (!pr->has_recording || pr->rec_status == NULL)
		return;
	if (r->have_rec && streq(r->rec_status, pr->rec_status) &&
	    streq(r->rec_mode, pr->rec_mode) &&
	    streq(r->rec_session, pr->rec_session))
		return;
	was_on = r->have_rec && streq(r->rec_status, "on");
	was_pending = r->have_rec && streq(r->rec_status, "pending");
	/* "off" names the mode that stopped; fall back to the running one. */
	stream = streq(pr->rec_mode != NULL ? pr->rec_mode : r->rec_mode,
	    "stream");

	d = json_object();
	json_object_set_new(d, "mode", event_jstr(pr->rec_mode));
	json_object_set_new(d, "session_id", event_jstr(pr->rec_session));
	if (pr->rec_initiator != NULL)
		json_object_set_new(d, "initiator", event_jstr(pr->rec_initiator));

	if (streq(pr->rec_status, "pending")) {
		t = EVENT_RECORDING_PENDING;
		if (s->open && !stream)
			s->rec.recording_status = "pending";
	} else if (streq(pr->rec_status, "on")) {
		t = stream ? EVENT_LIVESTREAM_START : EVENT_RECORDING_START;
		if (s->open && stream)
			s->stream_on_since = now;
		else if (s->open) {
			s->rec_on_since = now;
			s->rec.recording_status = "recording";
		}
	} else if (streq(pr->rec_status, "off")) {
		if (pr->rec_failure != NULL && *pr->rec_failure != '\0') {
			t = EVENT_RECORDING_FAILED;
			json_object_set_new(d, "failure_reason",
			    event_jstr(pr->rec_failure));
		} else if (was_on || was_pending)
			t = stream ? EVENT_LIVESTREAM_STOP :
			    EVENT_RECORDING_STOP;
		else
			t = EVENT__COUNT;	/* off -> off: nothing happened */
		if (s->open && stream && s->stream_on_since > 0) {
			json_object_set_new(d, "duration_s", json_integer(
			    (now - s->stream_on_since) / 1000));
			s->stream_on_since = 0;
		} else if (s->open && !stream) {
			if (s->rec_on_since > 0) {
				s->rec_accum_ms += now - s->rec_on_since;
				json_object_set_new(d, "duration_s",
				    json_integer((now - s->rec_on_since) /
				    1000));
				s->rec_on_since = 0;
			}
			if (t == EVENT_RECORDING_FAILED)
				s->rec.recording_status = "failed";
			else if (s->rec_accum_ms > 0 || was_on)
				s->rec.recording_status = "recorded";
			else
				s->rec.recording_status = "not_recorded";
		}
	} else
		t = EVENT__COUNT;

	r->have_rec = 1;
	set_str(&r->rec_status, pr->rec_status);
	set_str(&r->rec_mode, pr->rec_mode);
	set_str(&r->rec_session, pr->rec_session);
	s->dirty = 1;
	if (t == EVENT__COUNT)
		json_decref(d);
	else
		emit(r, t, NULL, now, d, now, sink);
}

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
	if (state < 0 || state == o->transcription)
		return;
	if (state == 1 || o->transcription == 1)
		emit(r, state == 1 ? EVENT_TRANSCRIPTION_START :
		    EVENT_TRANSCRIPTION_STOP, NULL, now, nick_obj(o->nick),
		    now, sink);
	o->transcription = state;
}

/* --- presence ---------------------------------------------------------- */

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
	if (p->media.known)
		o->media = p->media;
	if (p->hand_raised >= 0)
		o->hand = p->hand_raised;
	o->feature_jibri |= p->feature_jibri;
	o->feature_transcriber |= p->feature_transcriber;
}

static struct occupant *
occ_new(struct room *r, const struct presence *p, int64_t now)
{
	struct occupant	*o = xcalloc(1, sizeof(*o));
	const char	*dom;

	o->nick = xstrdup(p->nick);
	o->hand = -1;
	o->transcription = -1;
	o->snapshot_ms = -1;
	o->arrived_ms = now;
	occ_fill(o, p);
	/* lib-jitsi-meet adds raisedHand only once a hand went up. */
	if (o->hand < 0)
		o->hand = 0;
	o->key = identity_key(p);
	dom = jid_domain(p->jid);
	/* Jicofo: nick "focus", real JID focus@auth.<domain>/... */
	if (strcmp(p->nick, r->focus_nick) == 0 || (p->jid != NULL &&
	    strncmp(p->jid, r->focus_nick, strlen(r->focus_nick)) == 0 &&
	    p->jid[strlen(r->focus_nick)] == '@'))
		o->kind = OCC_FOCUS;
	else if (dom != NULL && r->hidden_domain != NULL &&
	    strcasecmp(dom, r->hidden_domain) == 0)
		o->kind = OCC_HIDDEN;
	else
		o->kind = OCC_PARTICIPANT;
	o->next = r->occupants;
	r->occupants = o;
	return o;
}

/* Compare old occupant state with a new presence; emit transitions. */
static void
occ_update(struct room *r, struct occupant *o, const struct presence *p,
    int64_t now, const struct event_sink *sink)
{
	struct participant	*pt = o->part;
	struct media_state	 old = o->media;
	int			 oldhand = o->hand;
	char			*oldname = xstrdup(best_name(o));
	char			*oldrole = xstrdup_null(o->role);
	char			*oldaff = xstrdup_null(o->affiliation);
	json_t			*d;

	occ_fill(o, p);
	if (pt == NULL)
		goto done;
	if (old.known && o->media.known) {
		if (old.audio_muted != o->media.audio_muted)
			emit(r, o->media.audio_muted ? EVENT_AUDIO_MUTE :
			    EVENT_AUDIO_UNMUTE, pt, now, nick_obj(o->nick),
			    now, sink);
		if (old.camera_on != o->media.camera_on)
			emit(r, o->media.camera_on ? EVENT_VIDEO_UNMUTE :
			    EVENT_VIDEO_MUTE, pt, now, nick_obj(o->nick),
			    now, sink);
		if (old.sharing != o->media.sharing)
			emit(r, o->media.sharing ? EVENT_SCREENSHARE_START :
			    EVENT_SCREENSHARE_STOP, pt, now,
			    nick_obj(o->nick), now, sink);
	}
	update_media_flags(pt, o);
	if (oldhand >= 0 && o->hand >= 0 && oldhand != o->hand)
		emit(r, o->hand ? EVENT_HAND_RAISE : EVENT_HAND_LOWER, pt,
		    now, nick_obj(o->nick), now, sink);
	if (strcmp(oldname, best_name(o)) != 0) {
		set_str(&pt->name, best_name(o));
		d = nick_obj(o->nick);
		json_object_set_new(d, "old", event_jstr(oldname));
		json_object_set_new(d, "new", event_jstr(best_name(o)));
		emit(r, EVENT_NICK_CHANGE, pt, now, d, now, sink);
	}
	if (!streq(oldrole, o->role) || !streq(oldaff, o->affiliation)) {
		if (streq(o->role, "moderator"))
			pt->rec.is_moderator = 1;
		d = nick_obj(o->nick);
		json_object_set_new(d, "old_role", event_jstr(oldrole));
		json_object_set_new(d, "new_role", event_jstr(o->role));
		json_object_set_new(d, "old_affiliation", event_jstr(oldaff));
		json_object_set_new(d, "new_affiliation", event_jstr(o->affiliation));
		emit(r, EVENT_ROLE_CHANGE, pt, now, d, now, sink);
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
	enum event_type	 t;
	const char	*reason;
	json_t		*d;

	/* 303: the occupant changed its MUC nick; the same person stays. */
	if (presence_has_code(p, 303) && p->new_nick != NULL &&
	    occ_find(r, p->new_nick) == NULL) {
		if (o->part != NULL) {
			d = nick_obj(p->new_nick);
			json_object_set_new(d, "old_nick", event_jstr(o->nick));
			json_object_set_new(d, "new_nick", event_jstr(p->new_nick));
			set_str(&o->part->nick, p->new_nick);
			emit(r, EVENT_NICK_CHANGE, o->part, now, d, now, sink);
		}
		set_str(&o->nick, p->new_nick);
		return;
	}

	if (o->kind == OCC_FOCUS) {
		occ_remove(r, o);
		session_close(r, now, "focus_left", sink);
		return;
	}
	if (o->kind == OCC_HIDDEN) {
		hidden_transcription(r, o, 0, now, sink);
		d = nick_obj(o->nick);
		json_object_set_new(d, "kind", json_string(hidden_kind(o)));
		emit(r, EVENT_HIDDEN_LEAVE, NULL, now, d, now, sink);
		occ_remove(r, o);
		return;
	}

	d = nick_obj(o->nick);
	if (p->status_text != NULL)
		json_object_set_new(d, "status", event_jstr(p->status_text));
	if (p->ncodes > 0) {
		json_t	*codes = json_array();
		int	 i;

		for (i = 0; i < p->ncodes; i++)
			json_array_append_new(codes, json_integer(p->codes[i]));
		json_object_set_new(d, "codes", codes);
	}
	if (p->flip_device && presence_has_code(p, 307)) {
		t = EVENT_DEVICE_SWITCH;
		reason = "device_switch";
	} else if (presence_has_code(p, 307) || presence_has_code(p, 301)) {
		t = EVENT_KICKED;
		reason = presence_has_code(p, 301) ? "banned" : "kicked";
		if (p->actor_nick != NULL)
			json_object_set_new(d, "actor", event_jstr(p->actor_nick));
		if (p->reason != NULL)
			json_object_set_new(d, "reason", event_jstr(p->reason));
	} else if (is_disconnect(p)) {
		t = EVENT_DISCONNECT;
		reason = "disconnect";
	} else {
		t = EVENT_LEAVE;
		reason = "leave";
	}
	occ_detach(r, o, t, reason, d, now, now, sink);
	occ_remove(r, o);
}

static int
self_presence(struct room *r, const struct presence *p, int64_t now,
    const struct event_sink *sink)
{
	if (p->kind == PRESENCE_AVAILABLE) {
		if (r->state == ROOM_JOINING) {
			r->state = ROOM_INFO;
			return ROOM_ACT_QUERY_INFO;
		}
		return 0;
	}
	/* Our own unavailable presence. */
	if (p->destroyed) {
		log_info("room %s: destroyed", r->jid);
		session_close(r, now, "room_destroyed", sink);
		occ_clear(r);
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
		r->gap_start = now;
	}
	return ROOM_ACT_REJOIN;
}

int
room_apply(struct room *r, const struct presence *p, int64_t now,
    const struct event_sink *sink)
{
	struct occupant	*o;
	json_t		*d;

	if (p->kind == PRESENCE_ERROR) {
		if (r->state != ROOM_JOINING)
			return 0;
		/*
		 * The room is gone or refuses us ("Room creation is
		 * restricted" before focus created it).  After a gap this
		 * means the meeting ended while we could not see it.
		 */
		if (r->sess.open)
			session_close(r, r->gap_start > 0 ? r->gap_start : now,
			    "ended_during_gap", sink);
		occ_clear(r);
		r->gap_start = 0;
		r->state = ROOM_IDLE;
		return ROOM_ACT_RETRY;
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
		occ_unavailable(r, o, p, now, sink);
		return 0;
	}

	if (o != NULL) {
		o->seen = 1;
		if (o->kind == OCC_FOCUS)
			focus_recording(r, p, now, sink);
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
		focus_recording(r, p, now, sink);
		break;
	case OCC_HIDDEN:
		d = nick_obj(o->nick);
		json_object_set_new(d, "kind", json_string(hidden_kind(o)));
		json_object_set_new(d, "jid", event_jstr(o->jid));
		emit(r, EVENT_HIDDEN_JOIN, NULL, now, d, now, sink);
		hidden_transcription(r, o, p->transcription, now, sink);
		break;
	case OCC_PARTICIPANT:
		/* Before the meeting id is known, attach later. */
		if (r->state == ROOM_JOINED)
			occ_attach(r, o, now, 0, now, sink);
		break;
	}
	return 0;
}

/* --- session end, gaps ------------------------------------------------- */

static void
session_close(struct room *r, int64_t ts, const char *reason,
    const struct event_sink *sink)
{
	struct session		*s = &r->sess;
	struct participant	*p;
	struct occupant		*o;
	json_t			*d;

	if (!s->open)
		return;
	/* Everyone still attached leaves with the session. */
	for (o = r->occupants; o != NULL; o = o->next) {
		if ((p = o->part) == NULL)
			continue;
		part_occupant_gone(p, ts, "session_end");
		o->part = NULL;
	}
	if (s->rec_on_since > 0) {
		if (ts > s->rec_on_since)
			s->rec_accum_ms += ts - s->rec_on_since;
		s->rec_on_since = 0;
		s->rec.recording_status = "recorded";
	}
	s->present = 0;
	s->rec.end_ms = ts;
	s->rec.duration_s = (ts - s->rec.start_ms) / 1000;
	/*
	 * The rule for "failed": the meeting never had two participants in
	 * the room at the same time, so the appointment did not take place
	 * (nobody came, or only one side did).
	 */
	if (s->rec.status != NULL)
		s->rec.status = s->rec.peak_participants >= 2 ? "completed" :
		    "failed";
	set_str(&s->end_reason, reason);

	/* Persist each participant's final figures, then the end. */
	sess_sync(r, ts);
	s->rec.duration_s = (ts - s->rec.start_ms) / 1000;
	for (p = r->parts; p != NULL; p = p->next)
		emit(r, EVENT_ROLLUP, p, ts, NULL, ts, sink);
	d = json_object();
	json_object_set_new(d, "reason", event_jstr(reason));
	json_object_set_new(d, "duration_s",
	    json_integer(s->rec.duration_s));
	json_object_set_new(d, "peak_participants",
	    json_integer(s->rec.peak_participants));
	json_object_set_new(d, "participant_count",
	    json_integer(s->rec.participant_count));
	emit(r, EVENT_SESSION_END, NULL, ts, d, ts, sink);

	s->open = 0;
	parts_clear(r);
	free(s->uid);
	free(s->appointment_id);
	free(s->meeting_id);
	free(s->end_reason);
	memset(s, 0, sizeof(*s));
	free(r->pending_stats);
	r->pending_stats = NULL;
}

static void
emit_pending_stats(struct room *r, int64_t now, const struct event_sink *sink)
{
	json_t		*d;
	json_error_t	 err;

	if (r->pending_stats == NULL || !r->sess.open)
		return;
	d = json_loads(r->pending_stats, 0, &err);
	free(r->pending_stats);
	r->pending_stats = NULL;
	if (d != NULL)
		emit(r, EVENT_SPEAKER_STATS, NULL, now, d, now, sink);
}

void
room_meeting_info(struct room *r, const char *meeting_id, int64_t now,
    const struct event_sink *sink)
{
	struct occupant	*o, *next;
	int		 changed, left = 0, joined = 0;
	int64_t		 gap = r->gap_start;
	json_t		*d;
	char		 iso[32];

	if (r->state != ROOM_INFO)
		return;
	changed = meeting_id != NULL && r->meeting_id != NULL &&
	    strcmp(meeting_id, r->meeting_id) != 0;
	if (meeting_id != NULL)
		set_str(&r->meeting_id, meeting_id);
	r->state = ROOM_JOINED;

	if (r->sess.open && changed) {
		/* The room was re-created while we were away. */
		session_close(r, gap > 0 ? gap : now, "ended_during_gap", sink);
		set_str(&r->meeting_id, meeting_id);
	}
	if (r->sess.open && r->sess.meeting_id == NULL &&
	    r->meeting_id != NULL) {
		r->sess.meeting_id = xstrdup(r->meeting_id);
		d = json_object();
		json_object_set_new(d, "meeting_id", event_jstr(r->meeting_id));
		emit(r, EVENT_MEETING_INFO, NULL, now, d, now, sink);
	}
	/*
	 * Reconcile after a gap: occupants the rejoin did not list again
	 * left while we could not see them.  (After a plain join every
	 * occupant is new and seen.)
	 */
	for (o = r->occupants; o != NULL; o = next) {
		next = o->next;
		if (o->seen)
			continue;
		if (o->kind == OCC_PARTICIPANT && o->part != NULL) {
			d = nick_obj(o->nick);
			json_object_set_new(d, "during_gap", json_true());
			occ_detach(r, o, EVENT_LEAVE, "left_during_gap", d,
			    gap > 0 ? gap : now, now, sink);
			left++;
		} else if (o->kind == OCC_HIDDEN) {
			d = nick_obj(o->nick);
			json_object_set_new(d, "kind",
			    json_string(hidden_kind(o)));
			json_object_set_new(d, "during_gap", json_true());
			emit(r, EVENT_HIDDEN_LEAVE, NULL, now, d, now, sink);
		} else if (o->kind == OCC_FOCUS) {
			occ_remove(r, o);
			session_close(r, gap > 0 ? gap : now, "focus_left",
			    sink);
			continue;
		}
		occ_remove(r, o);
	}
	/* Attach the newcomers in the order they arrived. */
	for (;;) {
		struct occupant *first = NULL;

		for (o = r->occupants; o != NULL; o = o->next)
			if (o->kind == OCC_PARTICIPANT && o->part == NULL &&
			    (first == NULL || o->arrived_ms < first->arrived_ms))
				first = o;
		if (first == NULL)
			break;
		occ_attach(r, first, first->arrived_ms, gap == 0, now, sink);
		joined++;
	}
	if (gap > 0 && r->sess.open) {
		d = json_object();
		json_object_set_new(d, "from",
		    json_string(event_iso8601(gap, iso, sizeof(iso))));
		json_object_set_new(d, "to",
		    json_string(event_iso8601(now, iso, sizeof(iso))));
		json_object_set_new(d, "seconds",
		    json_integer((now - gap) / 1000));
		json_object_set_new(d, "left_during_gap", json_integer(left));
		json_object_set_new(d, "joined_during_gap",
		    json_integer(joined));
		emit(r, EVENT_OBSERVER_GAP, NULL, now, d, now, sink);
	}
	r->gap_start = 0;
	emit_pending_stats(r, now, sink);
	set_present(r, now);
}

/* --- messages ---------------------------------------------------------- */

void
room_message(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct occupant	*o;
	json_t		*d;

	if (m->nick == NULL || m->delayed)
		return;		/* room-level message, or history replay */
	if ((o = occ_find(r, m->nick)) == NULL || o->part == NULL)
		return;		/* focus, observer, hidden, or unknown */
	if (m->kind == MESSAGE_CHAT) {
		o->part->rec.messages_sent++;
		d = nick_obj(o->nick);
		json_object_set_new(d, "reply", json_boolean(m->is_reply));
		emit(r, EVENT_CHAT_MESSAGE, o->part, now, d, now, sink);
	} else if (m->kind == MESSAGE_REACTION && m->nreactions > 0) {
		o->part->rec.reactions_sent += m->nreactions;
		d = nick_obj(o->nick);
		json_object_set_new(d, "count", json_integer(m->nreactions));
		emit(r, EVENT_REACTION, o->part, now, d, now, sink);
	} else
		return;
	o->part->dirty = 1;
}

void
room_speakerstats(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct occupant	*o;
	json_t		*d, *users;
	int		 i;

	users = json_object();
	for (i = 0; i < m->nstats; i++) {
		const struct speaker_stat *st = &m->stats[i];

		json_object_set_new(users, st->nick, json_integer(
		    st->total_ms));
		if ((o = occ_find(r, st->nick)) == NULL)
			continue;
		o->snapshot_ms = st->total_ms;
		if (o->part != NULL) {
			o->part->spoke_base_ms = st->total_ms;
			o->part->rec.spoke_known = 1;
			o->part->dirty = 1;
		}
	}
	d = json_object();
	json_object_set_new(d, "users", users);
	if (r->sess.open)
		emit(r, EVENT_SPEAKER_STATS, NULL, now, d, now, sink);
	else {
		free(r->pending_stats);
		r->pending_stats = event_jdump(d);
	}
}

/*
 * Classify a User-Agent into coarse browser, OS and device names.  Only
 * the well-known tokens; anything else stays NULL (the raw UA is kept).
 */
static void
ua_classify(const char *ua, const char **browser, const char **os,
    const char **device)
{
	*browser = *os = *device = NULL;
	if (ua == NULL)
		return;
	if (strstr(ua, "Edg/") != NULL)
		*browser = "Edge";
	else if (strstr(ua, "OPR/") != NULL)
		*browser = "Opera";
	else if (strstr(ua, "Electron/") != NULL)
		*browser = "Electron";
	else if (strstr(ua, "Firefox/") != NULL)
		*browser = "Firefox";
	else if (strstr(ua, "Chrome/") != NULL ||
	    strstr(ua, "CriOS/") != NULL)
		*browser = "Chrome";
	else if (strstr(ua, "Safari/") != NULL)
		*browser = "Safari";
	if (strstr(ua, "Android") != NULL)
		*os = "Android";
	else if (strstr(ua, "iPhone") != NULL || strstr(ua, "iPad") != NULL)
		*os = "iOS";
	else if (strstr(ua, "Windows") != NULL)
		*os = "Windows";
	else if (strstr(ua, "Mac OS X") != NULL ||
	    strstr(ua, "Macintosh") != NULL)
		*os = "macOS";
	else if (strstr(ua, "CrOS") != NULL)
		*os = "ChromeOS";
	else if (strstr(ua, "Linux") != NULL)
		*os = "Linux";
	if (strstr(ua, "iPad") != NULL || strstr(ua, "Tablet") != NULL)
		*device = "tablet";
	else if (strstr(ua, "Mobi") != NULL || strstr(ua, "iPhone") != NULL ||
	    strstr(ua, "Android") != NULL)
		*device = "mobile";
	else if (*os != NULL)
		*device = "desktop";
}

/* FNV-1a 64 of the IP: a stable pseudonym, not a secret. */
static void
ip_hash(const char *ip, char *buf, size_t bufsz)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *ip != '\0'; ip++) {
		h ^= (unsigned char)*ip;
		h *= 1099511628211ULL;
	}
	snprintf(buf, bufsz, "h:%016llx", (unsigned long long)h);
}

static void
speaker_switch(struct room *r, struct participant *to, int64_t now)
{
	struct participant	*p;

	for (p = r->parts; p != NULL; p = p->next)
		if (p != to)
			speak_stop(p, now);
	if (to != NULL && to->speak_since == 0 && to->noccupants > 0) {
		to->speak_since = now;
		to->rec.spoke_known = 1;
		to->dirty = 1;
	}
}

/* Record client facts (ip already stored, hashed or NULL per ip_mode). */
static void
client_info(struct room *r, struct participant *p, const char *ip,
    const char *ua, int64_t now, const struct event_sink *sink)
{
	json_t		*d = nick_obj(p->nick);
	const char	*b, *os, *dev;

	if (ip != NULL) {
		set_str(&p->ip, ip);
		json_object_set_new(d, "ip", event_jstr(ip));
	}
	if (ua != NULL) {
		set_str(&p->ua, ua);
		ua_classify(ua, &b, &os, &dev);
		set_str(&p->browser, b);
		set_str(&p->os, os);
		set_str(&p->device, dev);
		json_object_set_new(d, "user_agent", event_jstr(ua));
	}
	p->dirty = 1;
	emit(r, EVENT_CLIENT_INFO, p, now, d, now, sink);
}

void
room_module_note(struct room *r, const struct message *m,
    const char *ip_mode, int64_t now, const struct event_sink *sink)
{
	struct occupant		*o;
	struct participant	*p;
	json_t			*d;
	const char		*ip = NULL;
	char			 hash[32];

	if (m->note_nick == NULL || (o = occ_find(r, m->note_nick)) == NULL)
		return;
	if (m->note == NOTE_CLIENT) {
		if (m->note_ip != NULL && streq(ip_mode, "store"))
			ip = m->note_ip;
		else if (m->note_ip != NULL && !streq(ip_mode, "none")) {
			ip_hash(m->note_ip, hash, sizeof(hash));
			ip = hash;
		}
		if (o->part != NULL)
			client_info(r, o->part, ip, m->note_ua, now, sink);
		else if (o->kind == OCC_PARTICIPANT) {
			/* Not attached yet (we are still joining). */
			set_str(&o->pending_ip, ip);
			set_str(&o->pending_ua, m->note_ua);
		}
		return;
	}
	if ((p = o->part) == NULL)
		return;
	d = nick_obj(o->nick);
	switch (m->note) {
	case NOTE_SPEAKER:
		speaker_switch(r, m->note_silence ? NULL : p, now);
		json_object_set_new(d, "silence",
		    json_boolean(m->note_silence));
		emit(r, EVENT_DOMINANT_SPEAKER, p, now, d, now, sink);
		return;
	case NOTE_INTERRUPTED:
		p->interruptions++;
		add_issue(p, "interrupted", now);
		p->dirty = 1;
		emit(r, EVENT_CONNECTION_INTERRUPTED, p, now, d, now, sink);
		return;
	case NOTE_RESTORED:
		json_object_set_new(d, "duration_ms",
		    json_integer(m->note_ms));
		p->dirty = 1;
		emit(r, EVENT_CONNECTION_RESTORED, p, now, d, now, sink);
		return;
	default:
		json_decref(d);
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
	r->state = ROOM_IDLE;
	return r;
}

void
room_free(struct room *r)
{
	if (r == NULL)
		return;
	occ_clear(r);
	parts_clear(r);
	free(r->sess.uid);
	free(r->sess.appointment_id);
	free(r->appt_uid);
	free(r->appt_id);
	free(r->sess.meeting_id);
	free(r->sess.end_reason);
	free(r->jid);
	free(r->name);
	free(r->self_nick);
	free(r->hidden_domain);
	free(r->focus_nick);
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
		for (o = r->occupants; o != NULL; o = o->next)
			o->seen = 0;
	} else if (r->state == ROOM_IDLE) {
		occ_clear(r);
		r->gap_start = 0;
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
	struct participant	*p;

	if (r->sess.open) {
		sess_sync(r, now);
		for (p = r->parts; p != NULL; p = p->next) {
			if (!p->dirty && p->noccupants == 0 &&
			    p->speak_since == 0)
				continue;
			p->dirty = 0;
			emit(r, EVENT_ROLLUP, p, now, NULL, now, sink);
		}
		emit(r, EVENT_ROLLUP, NULL, now, NULL, now, sink);
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
	session_close(r, now, reason, sink);
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
room_set_quality(struct room *r, double fair_per_hour, double poor_per_hour)
{
	if (fair_per_hour > 0)
		r->fair_per_hour = fair_per_hour;
	if (poor_per_hour > 0)
		r->poor_per_hour = poor_per_hour;
}
