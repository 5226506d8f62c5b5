/*
 * The appointment tracker: a booking against the events of its room
 * (appt.h).  This file holds its lifecycle, the participants it knows,
 * the session row it speaks for, attendance, and the calls the observer
 * makes; who was there when is appt_presence.c's, the alert rules are
 * appt_rules.c's (appt_int.h draws the cut).
 *
 * DESIGN
 *
 * The appointment's session row is the booking's row (its uid).  The
 * tracker keeps a copy of the latest snapshot room.c gave for that row
 * and emits its own events with that copy, its status overridden by the
 * lifecycle: the row says "scheduled" until somebody joins, "active"
 * until the tracker ends it, whatever room.c's own end rule says.
 *
 * Each room event updates the participant's presence, then the state
 * the rules need about "now" (together, a patient waiting since when),
 * kept as events come, then the rules run.  Each tick opens windows,
 * runs the rules and decides when the appointment is over and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appt_int.h"
#include "log.h"
#include "settings.h"
#include "xmalloc.h"

void
appt_policy_defaults(struct appt_policy *p)
{
	struct settings	 def;

	settings_defaults(&def);
	settings_policy(&def, p);
}

/* Replace *dst with a copy of src (NULL is fine), unless they are equal. */
void
str_set(char **dst, const char *src)
{
	if (*dst != NULL && src != NULL && strcmp(*dst, src) == 0)
		return;
	free(*dst);
	*dst = xstrdup_null(src);
}

/* --- participants ------------------------------------------------------ */

/* The participant under room.c's key, or NULL. */
static struct ap *
ap_find(struct appt *a, const char *key)
{
	size_t	 i;

	for (i = 0; i < a->naps; i++)
		if (strcmp(a->aps[i].key, key) == 0)
			return &a->aps[i];
	return NULL;
}

/* A new participant under key, not matched to the roster yet. */
static struct ap *
ap_add(struct appt *a, const char *key)
{
	struct ap	*p;

	a->aps = xreallocarray(a->aps, a->naps + 1, sizeof(*a->aps));
	p = &a->aps[a->naps++];
	memset(p, 0, sizeof(*p));
	p->key = xstrdup(key);
	p->member = -1;
	return p;
}

/* The participant of room.c's record r, added when new. */
static struct ap *
ap_get(struct appt *a, const struct participant_rec *r)
{
	struct ap	*p;

	if ((p = ap_find(a, r->key)) != NULL)
		return p;
	return ap_add(a, r->key);
}

static void
ap_clear(struct ap *p)
{
	free(p->key);
	free(p->pid);
	free(p->name);
	free(p->role);
	free(p->iv);
	free(p->left_reason);
	free(p->disc);
	free(p->att_role);
}

/* Forget participant key (merged into another). */
static void
ap_forget(struct appt *a, const char *key)
{
	size_t	 i;

	for (i = 0; i < a->naps; i++)
		if (strcmp(a->aps[i].key, key) == 0) {
			ap_clear(&a->aps[i]);
			memmove(&a->aps[i], &a->aps[i + 1],
			    (a->naps - i - 1) * sizeof(*a->aps));
			a->naps--;
			break;
		}
}

/* --- emitting ---------------------------------------------------------- */

static const char *
phase_status(const struct appt *a)
{
	switch (a->phase) {
	case APPT_PENDING:
	case APPT_OPEN:
		return a->resumed ? "active" : "scheduled";
	case APPT_ACTIVE:
		return "active";
	case APPT_DONE:
		break;
	}
	return a->final_status;
}

/*
 * The session row's snapshot with the tracker's status and figures as of
 * now; the tracker owns it (until the next call).
 */
const struct session_rec *
mirror(struct appt *a, int64_t now)
{
	struct session_rec	 s;
	struct sweep		 sw;

	if (a->mirror == NULL) {
		memset(&s, 0, sizeof(s));
		s.uid = a->uid;
		s.room = a->room;
		s.room_jid = a->room_jid;
		s.appointment_id = a->appt_id;
		s.recording_status = "not_recorded";
		a->mirror = event_session_dup(&s);
	}
	sweep(a, now, &sw);
	a->mirror->status = phase_status(a);
	a->mirror->status_reason = a->phase == APPT_DONE ? a->final_reason :
	    NULL;
	a->mirror->appt_figures = 1;
	a->mirror->billable_s = (a->base_billable + sw.billable) / 1000;
	a->mirror->patient_wait_s = (a->base_wait + sw.wait) / 1000;
	return a->mirror;
}

static void
emit(struct appt *a, enum event_type type, int64_t ts,
    const struct session_rec *s, const struct participant_rec *p,
    const struct event_fields *f, const struct event_sink *sink)
{
	struct event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ts_ms = ts;
	ev.session = s != NULL ? s : mirror(a, a->clock);
	ev.participant = p;
	if (f != NULL) {
		ev.fields = f->v;
		ev.nfields = f->n;
	}
	event_emit(sink, &ev);
}

/* --- attendance -------------------------------------------------------- */

/* Minutes with one decimal, as stored: changes below that are none. */
static int64_t
tenths(int64_t ms)
{
	return ms < 0 ? -1 : (ms + 3000) / 6000;
}

static void
attendance(struct appt *a, struct ap *p, const struct event *ev,
    const struct event_sink *sink)
{
	struct attendance_rec	 at;
	struct event		 out;
	int64_t			 late = p->first_join - a->start;
	int64_t			 end = end_ms(a);

	if (!ever_joined(p))
		return;
	memset(&at, 0, sizeof(at));
	at.expected = a->nroster == 0 ? -1 : p->member >= 0;
	at.role = p->role;
	at.attendance = late > a->pol.late_grace_ms ? "late" : "on_time";
	at.late_ms = late > 0 ? late : 0;
	at.left_early_ms = !p->present &&
	    p->last_leave < end - a->pol.left_early_grace_ms ?
	    end - p->last_leave : -1;
	at.overran_ms = !p->present &&
	    p->last_leave > end + a->pol.overrun_grace_ms ?
	    p->last_leave - end : -1;
	if (p->att_sent && p->att.expected == at.expected &&
	    strcmp(p->att.attendance, at.attendance) == 0 &&
	    tenths(p->att.late_ms) == tenths(at.late_ms) &&
	    tenths(p->att.left_early_ms) == tenths(at.left_early_ms) &&
	    tenths(p->att.overran_ms) == tenths(at.overran_ms) &&
	    (p->att_role == NULL ? at.role == NULL : at.role != NULL &&
	    strcmp(p->att_role, at.role) == 0))
		return;
	p->att = at;		/* attendance is a static string */
	p->att_sent = 1;
	str_set(&p->att_role, at.role);
	p->att.role = NULL;
	memset(&out, 0, sizeof(out));
	out.type = EVENT_ATTENDANCE;
	out.ts_ms = ev->ts_ms;
	out.session = ev->session;
	out.participant = ev->participant;
	out.attendance = &at;
	event_emit(sink, &out);
}

/* --- lifecycle --------------------------------------------------------- */

static void
status_event(struct appt *a, const char *from, int64_t ts,
    const struct event_sink *sink)
{
	const struct session_rec *s = mirror(a, ts);
	struct event_fields	 d = { .n = 0 };

	ef_str(&d, "from", from);
	ef_str(&d, "to", s->status);
	if (s->status_reason != NULL)
		ef_str(&d, "reason", s->status_reason);
	ef_int(&d, "billable_seconds", s->billable_s);
	ef_int(&d, "patient_wait_seconds", s->patient_wait_s);
	log_info("appointment %s: %s -> %s%s%s%s", a->appt_id, from,
	    s->status, s->status_reason != NULL ? " (" : "",
	    s->status_reason != NULL ? s->status_reason : "",
	    s->status_reason != NULL ? ")" : "");
	emit(a, EVENT_APPOINTMENT_STATUS, ts, s, NULL, &d, sink);
}

/* Why it ended as it did; sets final_status and final_reason. */
static void
decide(struct appt *a, int64_t now)
{
	struct sweep	 sw;
	size_t		 i;
	int		 anyone = 0, peak2;

	sweep(a, now, &sw);
	for (i = 0; i < a->naps; i++)
		anyone |= ever_joined(&a->aps[i]);
	a->final_status = "failed";
	if (!anyone) {
		a->final_reason = "nobody_came";
		return;
	}
	if (!cat_seen(a, CAT_CAREGIVER) && !cat_seen(a, CAT_PATIENT)) {
		/* Nobody we can tell apart: judge by the room alone. */
		peak2 = a->mirror != NULL && a->mirror->peak_participants >= 2;
		a->final_status = peak2 ? "completed" : "failed";
		a->final_reason = "roles_unknown";
		return;
	}
	if (!cat_seen(a, CAT_CAREGIVER)) {
		a->final_reason = "caregiver_no_show";
		return;
	}
	if (!cat_seen(a, CAT_PATIENT)) {
		a->final_reason = "patient_no_show";
		return;
	}
	if (sw.billable == 0 && a->base_billable == 0) {
		a->final_reason = "no_overlap";
		return;
	}
	a->final_status = "completed";
	a->final_reason = NULL;
	/*
	 * They parted for good before the end: early, or broken.  Together
	 * only before a restart (a base, no parting seen): no claim.
	 */
	if (a->together || sw.last_apart == 0 ||
	    sw.last_apart >= end_ms(a) - a->pol.left_early_grace_ms)
		return;
	if (a->overlap_end != NULL && strcmp(a->overlap_end, "disconnect") ==
	    0) {
		a->final_status = "failed";
		a->final_reason = "technical_failure";
	} else
		a->final_reason = "ended_early";
}

static void
finish(struct appt *a, int64_t now, const struct event_sink *sink)
{
	const char	*from = phase_status(a);

	alerts_clear(a, NULL, "appointment_ended", now, sink);
	a->phase = APPT_DONE;
	status_event(a, from, now, sink);
}

/* Nobody present, and the appointment is over by the rules. */
static int
should_end(const struct appt *a, int64_t now)
{
	int64_t	 idle = 0;
	size_t	 i;
	int	 anyone = 0;

	for (i = 0; i < a->naps; i++) {
		if (a->aps[i].present)
			return 0;
		if (ever_joined(&a->aps[i])) {
			anyone = 1;
			if (a->aps[i].last_leave > idle)
				idle = a->aps[i].last_leave;
		}
	}
	if (!anyone)
		return no_show_due(a, now);
	if (now >= end_ms(a) && now - idle >= a->pol.drop_ms)
		return 1;
	return now - idle >= a->pol.auto_end_ms;
}

/* --- public ------------------------------------------------------------ */

/*
 * Go on from what a previous run recorded: its figures become a base,
 * its participants are known to have come (at their first join) and are
 * taken to have left at the restart until they are seen again.
 */
static void
resume(struct appt *a, const struct appt_booking *b, int64_t now)
{
	const struct appt_seen	*sn;
	struct ap		*p;
	size_t			 i;

	a->resumed = 1;
	a->base_billable = b->base_billable_ms > 0 ? b->base_billable_ms : 0;
	a->base_wait = b->base_wait_ms > 0 ? b->base_wait_ms : 0;
	for (i = 0; i < b->nseen; i++) {
		sn = &b->seen[i];
		if (sn->key == NULL || ap_find(a, sn->key) != NULL)
			continue;
		p = ap_add(a, sn->key);
		p->pid = xstrdup_null(sn->id);
		p->name = xstrdup_null(sn->name);
		p->first_join = sn->first_join_ms > 0 ? sn->first_join_ms : now;
		p->last_leave = now;
		ap_classify(a, p, sn->role);
	}
}

struct appt *
appt_new(const struct appt_booking *b, const struct appt_policy *p,
    int64_t now)
{
	struct appt	*a;

	a = xcalloc(1, sizeof(*a));
	a->uid = xstrdup(b->uid);
	a->appt_id = xstrdup(b->appointment_id != NULL ? b->appointment_id :
	    b->uid);
	a->room = xstrdup(b->room);
	a->room_jid = xstrdup(b->room_jid);
	a->start = b->start_ms;
	a->dur = b->duration_ms > 0 ? b->duration_ms : 0;
	roster_copy(a, b);
	a->pol = *p;
	a->phase = APPT_PENDING;
	a->created = now;
	a->clock = now;
	snprintf(a->recording, sizeof(a->recording), "not_recorded");
	if (b->resumed)
		resume(a, b, now);
	return a;
}

void
appt_free(struct appt *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	for (i = 0; i < a->naps; i++)
		ap_clear(&a->aps[i]);
	free(a->aps);
	for (i = 0; i < a->nalerts; i++)
		free(a->alerts[i].subject);
	free(a->alerts);
	roster_free(a);
	for (i = 0; i < a->nlobby; i++)
		free(a->lobby[i].nick);
	free(a->lobby);
	free(a->mirror);
	free(a->overlap_end);
	free(a->cancel_reason);
	free(a->uid);
	free(a->appt_id);
	free(a->room);
	free(a->room_jid);
	free(a);
}

void
appt_update(struct appt *a, const struct appt_booking *b,
    const struct appt_policy *p)
{
	size_t	 i;

	a->pol = *p;
	if (a->phase != APPT_DONE) {
		a->start = b->start_ms;
		a->dur = b->duration_ms > 0 ? b->duration_ms : 0;
		roster_copy(a, b);
	}
	for (i = 0; i < a->naps; i++)
		ap_classify(a, &a->aps[i], NULL);
}

const char *
appt_uid(const struct appt *a)
{
	return a->uid;
}

const char *
appt_id(const struct appt *a)
{
	return a->appt_id;
}

const char *
appt_room(const struct appt *a)
{
	return a->room;
}

enum appt_phase
appt_phase(const struct appt *a)
{
	return a->phase;
}

const struct session_rec *
appt_session(const struct appt *a)
{
	return a->mirror;
}

int64_t
appt_billable_ms(const struct appt *a, int64_t now)
{
	struct sweep	 sw;

	sweep(a, now, &sw);
	return a->base_billable + sw.billable;
}

int64_t
appt_patient_wait_ms(const struct appt *a, int64_t now)
{
	struct sweep	 sw;

	sweep(a, now, &sw);
	return a->base_wait + sw.wait;
}

void
appt_event(struct appt *a, const struct event *ev,
    const struct event_sink *sink)
{
	const struct session_rec *s = ev->session;
	struct ap	*p = NULL;
	const char	*from;
	int		 together, c, np;

	if (a->phase == APPT_DONE)
		return;
	if (ev->ts_ms > a->clock)
		a->clock = ev->ts_ms;
	if (s->uid != NULL && strcmp(s->uid, a->uid) == 0) {
		free(a->mirror);
		a->mirror = event_session_dup(s);
	}
	/* Decided: only the room's closing snapshot is still of use. */
	if (a->ending)
		return;
	if (s->recording_status != NULL)
		snprintf(a->recording, sizeof(a->recording), "%s",
		    s->recording_status);
	if (ev->knock != NULL)
		lobby_event(a, ev);
	/*
	 * A provisional participant turned out to be another's reconnect
	 * (bot/derive/tabs.c): its alerts are cleared and it is forgotten;
	 * the participant it was folded into carries its figures from now on.
	 */
	if (ev->type == EVENT_PARTICIPANT_MERGE && ev->merge_from != NULL) {
		alerts_clear(a, ev->merge_from, "participant_merged",
		    ev->ts_ms, sink);
		ap_forget(a, ev->merge_from);
	}
	if (ev->participant != NULL && ev->participant->key != NULL) {
		p = ap_get(a, ev->participant);
		ap_track(a, p, ev);
		if (p->present && a->phase < APPT_ACTIVE) {
			from = phase_status(a);
			if (a->open_since == 0)
				a->open_since = ev->ts_ms;
			a->phase = APPT_ACTIVE;
			if (!a->resumed)
				status_event(a, from, ev->ts_ms, sink);
		}
		attendance(a, p, ev, sink);
	}
	/*
	 * The state now, kept as events come (a sweep per event would cost
	 * with every reconnect): together, a patient waiting since when.
	 */
	present_counts(a, &c, &np);
	together = c > 0 && np > 0;
	if ((np > 0 && c == 0) || lobby_waiting(a)) {
		if (a->wait_since == 0)
			a->wait_since = ev->ts_ms;
	} else
		a->wait_since = 0;
	if (together && a->first_together == 0)
		a->first_together = ev->ts_ms;
	if (together != a->together) {
		a->together = together;
		if (!together && p != NULL)
			str_set(&a->overlap_end, p->left_reason);
		emit(a, together ? EVENT_BILLABLE_START : EVENT_BILLABLE_STOP,
		    ev->ts_ms, NULL, NULL, NULL, sink);
	}
	rules_evaluate(a, a->clock, sink);
}

int
appt_tick(struct appt *a, int64_t now, const struct event_sink *sink)
{
	const struct session_rec *s;

	if (now > a->clock)
		a->clock = now;
	if (a->phase == APPT_DONE)
		return 0;
	if (a->ending)
		return APPT_ACT_END;
	if (a->phase == APPT_PENDING) {
		if (a->created > end_ms(a) && !a->resumed) {
			log_warnx("appointment %s ended before the observer "
			    "started: not observed", a->appt_id);
			a->final_status = "failed";
			a->final_reason = "not_observed";
			a->ending = 1;
			return APPT_ACT_END;
		}
		if (now < a->start - a->pol.early_join_ms)
			return 0;
		a->phase = APPT_OPEN;
		a->open_since = now;
		log_info("appointment %s: window open, observing room %s",
		    a->appt_id, a->room);
	}
	rules_evaluate(a, now, sink);
	if (should_end(a, now)) {
		decide(a, now);
		a->ending = 1;
		return APPT_ACT_END;
	}
	s = mirror(a, now);
	if (s->billable_s != a->emitted_billable_s ||
	    s->patient_wait_s != a->emitted_wait_s) {
		a->emitted_billable_s = s->billable_s;
		a->emitted_wait_s = s->patient_wait_s;
		emit(a, EVENT_APPOINTMENT_ROLLUP, now, s, NULL, NULL, sink);
	}
	return APPT_ACT_JOIN;
}

void
appt_end(struct appt *a, int64_t now, const struct event_sink *sink)
{
	if (a->phase == APPT_DONE || !a->ending)
		return;
	if (now > a->clock)
		a->clock = now;
	finish(a, now, sink);
}

void
appt_cancel(struct appt *a, int64_t now, const char *reason,
    const struct event_sink *sink)
{
	if (a->phase == APPT_DONE)
		return;
	if (now > a->clock)
		a->clock = now;
	str_set(&a->cancel_reason, reason != NULL ? reason : "cancelled");
	a->final_status = "cancelled";
	a->final_reason = a->cancel_reason;
	finish(a, now, sink);
}
