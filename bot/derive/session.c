/*
 * The meeting session: what gets recorded, and how it reaches the sinks.
 *
 * This file opens and closes the session, keeps its figures and the
 * participants' quality rating, turns a participant or session change
 * into an event with current snapshots (emit), persists what grows with
 * the clock (session_rollup) and follows focus's recording state.  The
 * participants themselves are part.c's.  Pure: no I/O, no clock (times
 * are passed in).
 *
 * Rollups are kept incrementally.  Every figure of the session row
 * (participants, peak, disconnections, worst quality, recording time) is
 * updated where the thing it counts happens, and an event refreshes only
 * the snapshot of the session and of its own participant: an event costs
 * the same in the first minute of a meeting and after ten thousand
 * stints.  Only the periodic rollup (session_rollup) visits the
 * participants, to persist the durations that grow with the clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "room_int.h"
#include "text.h"
#include "xmalloc.h"

/* A move between the meeting's rooms that does not arrive is a leave. */
#define MOVE_MAX_MS	60000

static const char *const quality_names[Q__COUNT] = {
	[Q_NONE] = NULL, [Q_GOOD] = "good", [Q_FAIR] = "fair",
	[Q_POOR] = "poor"
};

void
set_str(char **dst, const char *src)
{
	if (streq(*dst, src))
		return;
	free(*dst);
	*dst = xstrdup_null(src);
}

const char *
best_name(const struct occupant *o)
{
	if (o->identity_name != NULL && *o->identity_name != '\0')
		return o->identity_name;
	if (o->display_name != NULL && *o->display_name != '\0')
		return o->display_name;
	return o->nick;
}

/* --- figures ----------------------------------------------------------- */

static int64_t
part_duration_ms(const struct participant *p, int64_t now)
{
	int64_t	 d = p->accum_ms;

	if (PRESENT(p) && now > p->present_since)
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

static enum quality
quality_of(const struct room *r, const struct participant *p, int64_t dur_ms)
{
	double	 rate;
	int	 incidents;

	incidents = p->rec.disconnection_count + (p->rec.join_count - 1) +
	    p->interruptions;
	if (incidents <= 0)
		return Q_GOOD;
	/*
	 * Rate per hour of presence, with presence floored at 10 minutes: a
	 * single reconnect in a 30 s stint is not "120 per hour".
	 */
	if (dur_ms < 600000)
		dur_ms = 600000;
	rate = incidents / ((double)dur_ms / 3600000.0);
	if (rate >= r->poor_per_hour)
		return Q_POOR;
	if (rate >= r->fair_per_hour)
		return Q_FAIR;
	return Q_GOOD;
}

/* Re-rate p at now and keep the session's count per quality. */
void
requality(struct room *room, struct participant *p, int64_t now)
{
	struct room		*r = M(room);
	enum quality	 q = quality_of(r, p, part_duration_ms(p, now));

	if (q == p->quality)
		return;
	if (p->quality != Q_NONE)
		r->sess.nquality[p->quality]--;
	r->sess.nquality[q]++;
	p->quality = q;
}

/* Refresh p->rec from the owned fields and the clock. */
static void
part_sync(struct participant *p, int64_t now)
{
	p->rec.key = p->key;
	p->rec.nick = p->nick;
	p->rec.name = p->name != NULL ? p->name : p->nick;
	p->rec.participant_id = p->pid;
	p->rec.role = p->prole != NULL ? p->prole : "unknown";
	p->rec.jid = p->jid;
	p->rec.stats_id = p->stats_id;
	p->rec.duration_s = part_duration_ms(p, now) / 1000;
	p->rec.present = PRESENT(p);
	p->rec.issues = p->issues;
	p->rec.nissues = p->nissues;
	p->rec.left_reason = PRESENT(p) ? NULL : p->left_reason;
	p->rec.left_ms = PRESENT(p) ? 0 : p->rec.left_ms;
	p->rec.ip_address = p->ip;
	p->rec.user_agent = p->ua;
	p->rec.browser = p->browser;
	p->rec.operating_system = p->os;
	p->rec.device_type = p->device;
	if (p->rec.spoke_known)
		p->rec.spoke_time_s = (double)part_spoke_ms(p, now) / 1000.0;
	p->rec.connection_quality = quality_names[p->quality];
}

static void
sess_sync(struct room *room, int64_t now)
{
	struct room		*r = M(room);
	struct session	*s = &r->sess;
	int64_t		 rec_ms;
	int		 q;

	s->rec.uid = s->uid;
	s->rec.room = r->name;
	s->rec.room_jid = r->jid;
	s->rec.meeting_id = s->meeting_id;
	s->rec.appointment_id = s->appointment_id;
	s->rec.end_reason = s->end_reason;
	if (s->open)
		/* The wall clock may step back: never a negative time. */
		s->rec.duration_s = now > s->rec.start_ms ?
		    (now - s->rec.start_ms) / 1000 : 0;
	s->rec.connection_quality = NULL;
	for (q = Q_POOR; q > Q_NONE; q--)
		if (s->nquality[q] > 0) {
			s->rec.connection_quality = quality_names[q];
			break;
		}
	rec_ms = s->rec_accum_ms;
	if (s->rec_on_since > 0 && now > s->rec_on_since)
		rec_ms += now - s->rec_on_since;
	s->rec.recording_duration_s = rec_ms / 1000;
}

/* --- emitting ---------------------------------------------------------- */

static void
emit_full(struct room *room, enum event_type type, struct participant *p,
    int64_t ts, const struct event_field *f, size_t n, const char *merge_from,
    int peak_lowered, int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct event		 ev;
	struct event_field	*copy = NULL;

	if (!r->sess.open)
		return;
	if (p != NULL) {
		requality(r, p, now);
		part_sync(p, now);
	}
	sess_sync(r, now);
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ts_ms = ts;
	ev.session = &r->sess.rec;
	ev.participant = p != NULL ? &p->rec : NULL;
	ev.fields = f;
	ev.nfields = n;
	ev.merge_from = merge_from;
	ev.merge_peak_lowered = peak_lowered;
	/* What happens in a breakout room says which one. */
	if (room->main != NULL && type != EVENT_ROLLUP) {
		copy = xcalloc(n + 1, sizeof(*copy));
		if (n > 0)
			memcpy(copy, f, n * sizeof(*f));
		copy[n].key = "breakout";
		copy[n].type = EV_STR;
		copy[n].s = room->breakout_name;
		ev.fields = copy;
		ev.nfields = n + 1;
	}
	event_emit(sink, &ev);
	free(copy);
	/* Its snapshot went with the event: no rollup owes it anything. */
	if (p != NULL)
		p->dirty = 0;
}

void
emitv(struct room *room, enum event_type type, struct participant *p,
    int64_t ts, const struct event_field *f, size_t n, int64_t now,
    const struct event_sink *sink)
{
	emit_full(room, type, p, ts, f, n, NULL, 0, now, sink);
}

/*
 * The provisional participant keyed from is p (tabs.c); the session's
 * participant count went down by one, and its peak too when peak_lowered.
 */
void
emit_merge(struct room *room, struct participant *p, const char *from,
    int peak_lowered, int64_t now, const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };

	ef_str(&f, "from", from);
	emit_full(room, EVENT_PARTICIPANT_MERGE, p, now, f.v, f.n, from,
	    peak_lowered, now, sink);
}

/* A lobby event: about a knock, not (yet) a participant. */
void
emit_knock(struct room *room, enum event_type type, const struct knock *k,
    const struct event_fields *f, int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct knock_rec	 kr;
	struct event		 ev;

	if (!r->sess.open)
		return;
	sess_sync(r, now);
	memset(&kr, 0, sizeof(kr));
	kr.nick = k->nick;
	kr.name = k->name;
	kr.participant_id = k->pid;
	kr.role = k->role;
	kr.since_ms = k->since;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ts_ms = now;
	ev.session = &r->sess.rec;
	ev.fields = f->v;
	ev.nfields = f->n;
	ev.knock = &kr;
	event_emit(sink, &ev);
}

void
emit(struct room *room, enum event_type type, struct participant *p,
    int64_t ts, const struct event_fields *f, int64_t now,
    const struct event_sink *sink)
{
	emitv(room, type, p, ts, f != NULL ? f->v : NULL,
	    f != NULL ? f->n : 0, now, sink);
}

/* --- the session ------------------------------------------------------- */

void
session_stats(struct room *room, int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);

	/* The snapshot is the room's; its figures go to the meeting. */
	if (room->pending_stats == NULL || !r->sess.open)
		return;
	emitv(room, EVENT_SPEAKER_STATS, NULL, now, room->pending_stats,
	    room->npending_stats, now, sink);
	free(room->pending_stats);
	room->pending_stats = NULL;
	room->npending_stats = 0;
}

void
session_open(struct room *room, int64_t start, int64_t now,
    const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct session		*s = &r->sess;
	struct event_fields	 f = { .n = 0 };

	/*
	 * The uid is the room (or appointment) and the start, so two meetings
	 * of a room must not start at the same millisecond (one row), and a
	 * meeting never starts before the previous one ended: a caller may
	 * offer an arrival from before a gap in which the previous meeting
	 * ended (fuzz findings F1, F5).  Only a previous meeting that began
	 * and ended in this very millisecond moves the start on by one.
	 */
	if (start < r->prev_end_ms)
		start = r->prev_end_ms;
	if (r->prev_end_ms > 0 && start == r->prev_start_ms)
		start++;
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

	ef_str(&f, "room", r->jid);
	ef_str(&f, "meeting_id", r->meeting_id);
	emit(r, EVENT_SESSION_START, NULL, start, &f, now, sink);

	f.n = 0;
	ef_str(&f, "nick", r->self_nick);
	ef_time(&f, "joined_at", r->joined_ms);
	emit(r, EVENT_OBSERVER_JOIN, NULL, start, &f, now, sink);

	/* Recording that was already running when we arrived. */
	if (r->have_rec && streq(r->rec_status, "on")) {
		int stream = streq(r->rec_mode, "stream");

		f.n = 0;
		ef_str(&f, "mode", r->rec_mode);
		ef_str(&f, "session_id", r->rec_session);
		ef_bool(&f, "already_on", 1);
		if (stream)
			s->stream_on_since = start;
		else {
			s->rec_on_since = start;
			s->rec.recording_status = "recording";
		}
		emit(r, stream ? EVENT_LIVESTREAM_START : EVENT_RECORDING_START,
		    NULL, start, &f, now, sink);
	} else if (r->have_rec && streq(r->rec_status, "pending"))
		s->rec.recording_status = "pending";
	/* The speakerstats snapshot that came before the session. */
	session_stats(r, now, sink);
}

void
session_close(struct room *room, int64_t ts, const char *reason,
    const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct session		*s = &r->sess;
	struct participant	*p;
	struct occupant		*o;
	struct event_fields	 f = { .n = 0 };
	size_t			 i;

	if (!s->open)
		return;
	/* Everyone still in a room of the meeting leaves with the session. */
	TAILQ_FOREACH(o, &r->occupants, entry) {
		if ((p = o->part) == NULL)
			continue;
		part_gone(r, p, ts, "session_end");
		o->part = NULL;
	}
	for (i = 0; i < r->nbreakouts; i++)
		TAILQ_FOREACH(o, &r->breakouts[i]->occupants, entry) {
			if ((p = o->part) == NULL)
				continue;
			part_gone(r, p, ts, "session_end");
			o->part = NULL;
		}
	TAILQ_FOREACH(p, &r->parts, entry)
		if (p->moving > 0) {
			p->moving = 0;
			p->noccupants = 1;
			part_gone(r, p, ts, "session_end");
		}
	if (s->rec_on_since > 0) {
		if (ts > s->rec_on_since)
			s->rec_accum_ms += ts - s->rec_on_since;
		s->rec_on_since = 0;
		s->rec.recording_status = "recorded";
	}
	s->rec.end_ms = ts;
	/*
	 * The rule for "failed": the meeting never had two participants in
	 * the room at the same time, so the appointment did not take place
	 * (nobody came, or only one side did).
	 */
	if (s->rec.status != NULL)
		s->rec.status = s->rec.peak_participants >= 2 ? "completed" :
		    "failed";
	set_str(&s->end_reason, reason);

	/*
	 * Persist the final figures of each participant changed since its
	 * last event, then the end; one who left with nothing since is on
	 * record already (a long meeting has thousands).
	 */
	TAILQ_FOREACH(p, &r->parts, entry)
		if (p->dirty || PRESENT(p) || p->speak_since != 0)
			emit(r, EVENT_ROLLUP, p, ts, NULL, ts, sink);
	s->rec.duration_s = ts > s->rec.start_ms ?
	    (ts - s->rec.start_ms) / 1000 : 0;
	ef_str(&f, "reason", reason);
	ef_int(&f, "duration_s", s->rec.duration_s);
	ef_int(&f, "peak_participants", s->rec.peak_participants);
	ef_int(&f, "participant_count", s->rec.participant_count);
	if (r->ended_by != NULL) {
		ef_str(&f, "by", r->ended_by);
		ef_str(&f, "by_jid", r->ended_by_jid);
	}
	if (r->destroy_reason != NULL)
		ef_str(&f, "destroy_reason", r->destroy_reason);
	emit(r, EVENT_SESSION_END, NULL, ts, &f, ts, sink);
	r->prev_start_ms = s->rec.start_ms;
	r->prev_end_ms = ts > s->rec.start_ms ? ts : s->rec.start_ms;
	s->open = 0;
	parts_clear(r);
	free(s->uid);
	free(s->appointment_id);
	free(s->meeting_id);
	free(s->end_reason);
	memset(s, 0, sizeof(*s));
}

/*
 * Persist what grows with the clock: every participant that is present,
 * speaking or changed since its last event or rollup, then the session.  Thresholds
 * changed since: every participant is rated again.
 */
void
session_rollup(struct room *room, int64_t now, const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct participant	*p;
	int			 all = r->requality;

	r->requality = 0;
	if (!r->sess.open)
		return;
	TAILQ_FOREACH(p, &r->parts, entry) {
		if (p->moving > 0 && now - p->moving >= MOVE_MAX_MS)
			move_nowhere(r, p, now, sink);
		if (!p->dirty && !PRESENT(p) && p->speak_since == 0 &&
		    !all)
			continue;
		if (all)
			requality(r, p, now);
		p->dirty = 0;
		emit(r, EVENT_ROLLUP, p, now, NULL, now, sink);
	}
	emit(r, EVENT_ROLLUP, NULL, now, NULL, now, sink);
}

/* Focus presence: <jibri-recording-status> changes. */
void
session_recording(struct room *room, const struct presence *pr, int64_t now,
    const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct session		*s = &r->sess;
	struct event_fields	 f = { .n = 0 };
	enum event_type		 t;
	int			 stream, was_on, was_pending;

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

	ef_str(&f, "mode", pr->rec_mode);
	ef_str(&f, "session_id", pr->rec_session);
	if (pr->rec_initiator != NULL)
		ef_str(&f, "initiator", pr->rec_initiator);

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
			ef_str(&f, "failure_reason", pr->rec_failure);
		} else if (was_on || was_pending)
			t = stream ? EVENT_LIVESTREAM_STOP :
			    EVENT_RECORDING_STOP;
		else
			t = EVENT__COUNT;	/* off -> off: nothing happened */
		if (s->open && stream && s->stream_on_since > 0) {
			ef_int(&f, "duration_s",
			    (now - s->stream_on_since) / 1000);
			s->stream_on_since = 0;
		} else if (s->open && !stream) {
			if (s->rec_on_since > 0) {
				s->rec_accum_ms += now - s->rec_on_since;
				ef_int(&f, "duration_s",
				    (now - s->rec_on_since) / 1000);
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
	if (t != EVENT__COUNT)
		emit(r, t, NULL, now, &f, now, sink);
}
