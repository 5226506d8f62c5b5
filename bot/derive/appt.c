/*
 * The appointment tracker: a booking against the events of its room.
 *
 * DESIGN
 *
 * Presence is kept per participant (room.c's key, so a reconnect under a
 * new nick is the same person) as a list of intervals [join, leave).
 * Billable time and the time a patient waited without a caregiver are
 * computed by a sweep over those intervals (on ticks and when the row is
 * written), so an event stamped in the past (room.c reconciling an
 * observer gap) cannot corrupt a running sum.  What the rules need about
 * "now" (together, waiting since) is kept as events come.
 *
 * Participants are matched to the roster by participant id, else by
 * name; their role is the roster's, else the one room.c found in their
 * identity.  Roles are compared with the policy's caregiver and patient
 * role names.
 *
 * The appointment's session row is the booking's row (its uid).  The
 * tracker keeps a copy of the latest snapshot room.c gave for that row
 * and emits its own events with that copy, its status overridden by the
 * lifecycle: the row says "scheduled" until somebody joins, "active"
 * until the tracker ends it, whatever room.c's own end rule says.
 *
 * Alerts are conditions re-evaluated on every event and tick: raised
 * when a condition starts holding, cleared when it stops, all cleared
 * when the appointment ends.  One alert per (rule, subject).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appt.h"
#include "log.h"
#include "settings.h"
#include "xmalloc.h"

/* Before deciding nobody came, the observer must have looked this long. */
#define APPT_SETTLE_MS	10000

enum cat { CAT_OTHER, CAT_CAREGIVER, CAT_PATIENT };

struct ival {
	int64_t		 start;
	int64_t		 end;		/* 0: still present */
};

struct ap {
	char		*key;
	char		*pid;		/* participant id or NULL */
	char		*name;
	char		*role;		/* roster role, else observed */
	int		 member;	/* roster index or -1 */
	enum cat	 cat;
	struct ival	*iv;
	size_t		 niv;
	int		 present;
	int64_t		 first_join;
	int64_t		 last_leave;
	char		*left_reason;
	int64_t		*disc;		/* disconnect times */
	size_t		 ndisc;
	int		 disc_seen;	/* room.c's count at the last event */
	char		 quality[8];
	int		 sharing;
	int		 messages;
	struct attendance_rec att;	/* last attendance emitted */
	char		*att_role;	/* its role */
	int		 att_sent;	/* att is set */
};

/* A patient in the lobby: waiting, not yet in the meeting. */
struct knocked {
	char		*nick;		/* in the lobby room */
	struct ival	 iv;		/* knocked, let in (or gone) */
};

struct member {
	char		*id;
	char		*role;
	char		*name;
};

struct alert {
	char		*rule;
	char		*subject;
	int		 open;
};

struct appt {
	char			*uid;
	char			*appt_id;
	char			*room;
	char			*room_jid;
	int64_t			 start;
	int64_t			 dur;
	struct member		*roster;
	size_t			 nroster;
	struct appt_policy	 pol;

	enum appt_phase		 phase;
	int64_t			 created;
	int64_t			 open_since;	/* phase OPEN reached */
	int64_t			 clock;		/* latest time seen */
	struct ap		*aps;
	size_t			 naps;
	struct alert		*alerts;
	size_t			 nalerts;
	struct session_rec	*mirror;
	char			 recording[16];
	int			 together;
	char			*overlap_end;	/* left_reason ending it */
	int64_t			 emitted_billable_s;
	int64_t			 emitted_wait_s;
	const char		*final_status;
	const char		*final_reason;
	char			*cancel_reason;
	int			 ending;	/* decided; appt_end() next */
	int			 resumed;	/* after a daemon restart */
	int64_t			 wait_since;	/* a patient alone since; 0 */
	struct knocked		*lobby;		/* patients who knocked */
	size_t			 nlobby;
	int64_t			 first_together;	/* 0: not yet */
	int64_t			 base_billable;	/* ms, from before it */
	int64_t			 base_wait;
};

const char *const appt_rules[] = {
	"poor_connection", "repeated_disconnects", "participant_dropped",
	"caregiver_absent", "patient_waiting", "no_show",
	"recording_not_allowed", "recording_missing", "screenshare_disabled",
	"chat_disabled", "unexpected_participant", "too_many_participants",
	NULL
};

#define MIN_MS(m)	((int64_t)((m) * 60000.0))

void
appt_policy_defaults(struct appt_policy *p)
{
	struct settings	 def;

	settings_defaults(&def);
	settings_policy(&def, p);
}

static void
set_str(char **dst, const char *src)
{
	if (*dst != NULL && src != NULL && strcmp(*dst, src) == 0)
		return;
	free(*dst);
	*dst = xstrdup_null(src);
}

static int64_t
end_ms(const struct appt *a)
{
	return a->start + a->dur;
}

/* --- roster and roles ---------------------------------------------- */

static void
roster_free(struct appt *a)
{
	size_t	 i;

	for (i = 0; i < a->nroster; i++) {
		free(a->roster[i].id);
		free(a->roster[i].role);
		free(a->roster[i].name);
	}
	free(a->roster);
	a->roster = NULL;
	a->nroster = 0;
}

static void
roster_copy(struct appt *a, const struct appt_booking *b)
{
	size_t	 i;

	roster_free(a);
	if (b->nroster == 0)
		return;
	a->roster = xcalloc(b->nroster, sizeof(*a->roster));
	for (i = 0; i < b->nroster; i++) {
		a->roster[i].id = xstrdup_null(b->roster[i].id);
		a->roster[i].role = xstrdup_null(b->roster[i].role);
		a->roster[i].name = xstrdup_null(b->roster[i].name);
	}
	a->nroster = b->nroster;
}

static enum cat
role_cat(const struct appt *a, const char *role)
{
	if (role == NULL)
		return CAT_OTHER;
	if (strcasecmp(role, a->pol.caregiver_role) == 0)
		return CAT_CAREGIVER;
	if (strcasecmp(role, a->pol.patient_role) == 0)
		return CAT_PATIENT;
	return CAT_OTHER;
}

/* The roster entry for a participant: by id, else by name; or -1. */
static int
roster_match(const struct appt *a, const char *pid, const char *name)
{
	size_t	 i;

	if (pid != NULL)
		for (i = 0; i < a->nroster; i++)
			if (a->roster[i].id != NULL &&
			    strcmp(a->roster[i].id, pid) == 0)
				return (int)i;
	if (name != NULL)
		for (i = 0; i < a->nroster; i++)
			if (a->roster[i].name != NULL &&
			    strcasecmp(a->roster[i].name, name) == 0)
				return (int)i;
	return -1;
}

/* Match ap to the roster and settle its role (observed is room.c's). */
static void
ap_classify(const struct appt *a, struct ap *p, const char *observed)
{
	p->member = roster_match(a, p->pid, p->name);
	if (p->member >= 0 && a->roster[p->member].role != NULL)
		set_str(&p->role, a->roster[p->member].role);
	else if (observed != NULL)
		set_str(&p->role, observed);
	p->cat = role_cat(a, p->role);
}

/* --- participants ---------------------------------------------------- */

static struct ap *
ap_find(struct appt *a, const char *key)
{
	size_t	 i;

	for (i = 0; i < a->naps; i++)
		if (strcmp(a->aps[i].key, key) == 0)
			return &a->aps[i];
	return NULL;
}

static struct ap *
ap_get(struct appt *a, const struct participant_rec *r)
{
	struct ap	*p;

	if ((p = ap_find(a, r->key)) != NULL)
		return p;
	a->aps = xreallocarray(a->aps, a->naps + 1, sizeof(*a->aps));
	p = &a->aps[a->naps++];
	memset(p, 0, sizeof(*p));
	p->key = xstrdup(r->key);
	p->member = -1;
	return p;
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

/* Seen here, or by the run before a restart. */
static int
ever_joined(const struct ap *p)
{
	return p->first_join > 0;
}

/* --- the sweep --------------------------------------------------------- */

struct pt {
	int64_t		 t;
	int		 dc;	/* caregivers present: +1 / -1 */
	int		 dp;	/* patients */
	int		 dl;	/* patients in the lobby */
};

static int
pt_cmp(const void *x, const void *y)
{
	const struct pt	*a = x, *b = y;

	return a->t < b->t ? -1 : a->t > b->t;
}

struct sweep {
	int64_t		 billable;	/* ms together */
	int64_t		 wait;		/* ms a patient without caregiver,
					   or in the lobby */
	int64_t		 last_apart;	/* together ended last; 0: never */
};

static void
sweep(const struct appt *a, int64_t now, struct sweep *sw)
{
	struct pt	*v;
	size_t		 n = 0, cap = a->nlobby * 2, i, j;
	int64_t		 prev = 0;
	int		 c = 0, p = 0, l = 0, was;

	memset(sw, 0, sizeof(*sw));
	for (i = 0; i < a->naps; i++)
		if (a->aps[i].cat != CAT_OTHER)
			cap += a->aps[i].niv * 2;
	if (cap == 0)
		return;
	v = xreallocarray(NULL, cap, sizeof(*v));
	for (i = 0; i < a->naps; i++) {
		const struct ap *ap = &a->aps[i];

		if (ap->cat == CAT_OTHER)
			continue;
		for (j = 0; j < ap->niv; j++) {
			if (ap->iv[j].start > now)
				continue;
			memset(&v[n], 0, sizeof(v[n]));
			v[n].t = ap->iv[j].start;
			v[n].dc = ap->cat == CAT_CAREGIVER;
			v[n].dp = ap->cat == CAT_PATIENT;
			n++;
			/* Still present at now: no end point. */
			if (ap->iv[j].end == 0 || ap->iv[j].end > now)
				continue;
			memset(&v[n], 0, sizeof(v[n]));
			v[n].t = ap->iv[j].end;
			v[n].dc = -(ap->cat == CAT_CAREGIVER);
			v[n].dp = -(ap->cat == CAT_PATIENT);
			n++;
		}
	}
	/* A patient in the lobby waits, whoever is in the room. */
	for (i = 0; i < a->nlobby; i++) {
		const struct ival *iv = &a->lobby[i].iv;

		if (iv->start > now)
			continue;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].t = iv->start;
		v[n++].dl = 1;
		if (iv->end == 0 || iv->end > now)
			continue;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].t = iv->end;
		v[n++].dl = -1;
	}
	qsort(v, n, sizeof(*v), pt_cmp);
	for (i = 0; i < n; ) {
		/* The state between prev and this point counts. */
		if (i > 0) {
			if (c > 0 && p > 0)
				sw->billable += v[i].t - prev;
			if ((p > 0 && c == 0) || l > 0)
				sw->wait += v[i].t - prev;
		}
		prev = v[i].t;
		was = c > 0 && p > 0;
		for (; i < n && v[i].t == prev; i++) {
			c += v[i].dc;
			p += v[i].dp;
			l += v[i].dl;
		}
		if (was && !(c > 0 && p > 0))
			sw->last_apart = prev;
	}
	if (n > 0 && now > prev) {
		if (c > 0 && p > 0)
			sw->billable += now - prev;
		if ((p > 0 && c == 0) || l > 0)
			sw->wait += now - prev;
	}
	free(v);
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

/* The session row's snapshot with the tracker's status and figures. */
static const struct session_rec *
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

/* "12 min" or, under a minute, "40 s": for the sentences in alerts. */
static const char *
dur_text(int64_t ms, char *buf, size_t bufsz)
{
	if (ms < 0)
		ms = 0;
	if (ms < 60000)
		snprintf(buf, bufsz, "%lld s", (long long)(ms / 1000));
	else
		snprintf(buf, bufsz, "%lld min", (long long)(ms / 60000));
	return buf;
}

/* --- alerts ------------------------------------------------------------ */

/* The policy's rules: "all", or a list of names ("all" may be one). */
static int
rule_enabled(const struct appt *a, const char *rule)
{
	const char	*p = a->pol.rules;
	size_t		 len = strlen(rule), n;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		if ((n == len && strncasecmp(p, rule, len) == 0) ||
		    (n == 3 && strncasecmp(p, "all", 3) == 0))
			return 1;
		p += n;
	}
}

/*
 * The alert (rule, subject) when its state must change because the
 * condition now holds (or no longer does, or the rule was switched off),
 * else NULL.  Alerts that never held take no memory.
 */
static struct alert *
alert_due(struct appt *a, const char *rule, const char *subject, int holds)
{
	struct alert	*al;
	size_t		 i;

	if (holds && !rule_enabled(a, rule))
		holds = 0;
	for (i = 0; i < a->nalerts; i++)
		if (strcmp(a->alerts[i].rule, rule) == 0 &&
		    strcmp(a->alerts[i].subject, subject) == 0)
			return a->alerts[i].open != holds ? &a->alerts[i] :
			    NULL;
	if (!holds)
		return NULL;
	a->alerts = xreallocarray(a->alerts, a->nalerts + 1,
	    sizeof(*a->alerts));
	al = &a->alerts[a->nalerts++];
	al->rule = xstrdup(rule);
	al->subject = xstrdup(subject);
	al->open = 0;
	return al;
}

static const char *
severity_of(const char *rule)
{
	static const char *const critical[] = {
		"caregiver_absent", "no_show", "recording_not_allowed", NULL
	};
	size_t	 i;

	for (i = 0; critical[i] != NULL; i++)
		if (strcmp(rule, critical[i]) == 0)
			return "critical";
	if (strcmp(rule, "unexpected_participant") == 0)
		return "info";
	return "warning";
}

static void
alert_emit(struct appt *a, struct alert *al, int raised, const char *pkey,
    const char *message, const struct event_fields *details, int64_t now,
    const struct event_sink *sink)
{
	struct alert_rec	 rec;
	struct event		 ev;

	al->open = raised;
	memset(&rec, 0, sizeof(rec));
	rec.rule = al->rule;
	rec.severity = severity_of(al->rule);
	rec.raised = raised;
	rec.subject = al->subject;
	rec.participant_key = pkey;
	rec.appointment_id = a->appt_id;
	rec.room = a->room;
	rec.message = message;
	log_info("appointment %s: alert %s %s%s%s", a->appt_id, al->rule,
	    raised ? "raised" : "cleared", message != NULL ? ": " : "",
	    message != NULL ? message : "");
	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_ALERT;
	ev.ts_ms = now;
	ev.session = mirror(a, a->clock);
	ev.alert = &rec;
	if (details != NULL) {
		ev.fields = details->v;
		ev.nfields = details->n;
	}
	event_emit(sink, &ev);
}

/* Raise (message, details) or clear the alert alert_due() returned. */
static void
alert_flip(struct appt *a, struct alert *al, const char *pkey,
    const char *message, const struct event_fields *details, int64_t now,
    const struct event_sink *sink)
{
	int	 raise = !al->open;

	alert_emit(a, al, raise, pkey, raise ? message : NULL, details, now,
	    sink);
}

static void
alerts_clear_all(struct appt *a, int64_t now, const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	size_t			 i;

	ef_str(&f, "cleared_by", "appointment_ended");
	for (i = 0; i < a->nalerts; i++)
		if (a->alerts[i].open)
			alert_emit(a, &a->alerts[i], 0, NULL, NULL, &f, now,
			    sink);
}

/*
 * A provisional participant turned out to be another's reconnect
 * (bot/derive/tabs.c): its alerts are cleared and it is forgotten; the
 * participant it was folded into carries its figures from now on.
 */
static void
ap_merge(struct appt *a, const char *from, int64_t now,
    const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	size_t			 i;

	ef_str(&f, "cleared_by", "participant_merged");
	for (i = 0; i < a->nalerts; i++)
		if (a->alerts[i].open && strcmp(a->alerts[i].subject, from) ==
		    0)
			alert_emit(a, &a->alerts[i], 0, from, NULL, &f, now,
			    sink);
	for (i = 0; i < a->naps; i++)
		if (strcmp(a->aps[i].key, from) == 0) {
			ap_clear(&a->aps[i]);
			memmove(&a->aps[i], &a->aps[i + 1],
			    (a->naps - i - 1) * sizeof(*a->aps));
			a->naps--;
			break;
		}
}

/* Who an alert is about, as its details. */
static void
who(struct event_fields *f, const struct ap *p)
{
	f->n = 0;
	ef_str(f, "participant_id", p->pid);
	ef_str(f, "name", p->name);
	ef_str(f, "role", p->role);
}

static int
disconnects_within(const struct ap *p, int64_t now, int64_t window)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < p->ndisc; i++)
		if (p->disc[i] > now - window)
			n++;
	return n;
}

static void
eval_participant(struct appt *a, struct ap *p, int64_t now,
    const struct event_sink *sink)
{
	const char	*nm = p->name != NULL ? p->name : p->key;
	struct alert	*al;
	char		 msg[512], t[32];
	struct event_fields d;
	int		 n;

	if ((al = alert_due(a, "poor_connection", p->key, p->present &&
	    strcmp(p->quality, "poor") == 0)) != NULL) {
		snprintf(msg, sizeof(msg), "%s has a poor connection", nm);
		who(&d, p);
		alert_flip(a, al, p->key, msg, &d, now, sink);
	}

	n = disconnects_within(p, now, a->pol.disconnect_window_ms);
	if ((al = alert_due(a, "repeated_disconnects", p->key,
	    a->pol.disconnects > 0 && n >= a->pol.disconnects)) != NULL) {
		who(&d, p);
		ef_int(&d, "disconnects", n);
		ef_minutes(&d, "window_minutes", a->pol.disconnect_window_ms);
		snprintf(msg, sizeof(msg), "%s disconnected %d times in %s",
		    nm, n, dur_text(a->pol.disconnect_window_ms, t,
		    sizeof(t)));
		alert_flip(a, al, p->key, msg, &d, now, sink);
	}

	if ((al = alert_due(a, "participant_dropped", p->key, !p->present &&
	    ever_joined(p) && p->left_reason != NULL &&
	    strcmp(p->left_reason, "disconnect") == 0 &&
	    now - p->last_leave >= a->pol.drop_ms)) != NULL) {
		who(&d, p);
		ef_int(&d, "dropped_at_ms", p->last_leave);
		snprintf(msg, sizeof(msg), "%s dropped and is not back after "
		    "%s", nm, dur_text(now - p->last_leave, t, sizeof(t)));
		alert_flip(a, al, p->key, msg, &d, now, sink);
	}

	if ((al = alert_due(a, "screenshare_disabled", p->key,
	    !a->pol.enable_screen_share && p->present && p->sharing)) !=
	    NULL) {
		snprintf(msg, sizeof(msg), "%s shares the screen, which is "
		    "disabled", nm);
		who(&d, p);
		alert_flip(a, al, p->key, msg, &d, now, sink);
	}

	if ((al = alert_due(a, "chat_disabled", p->key, !a->pol.enable_chat &&
	    p->messages > 0)) != NULL) {
		snprintf(msg, sizeof(msg), "%s used the chat, which is "
		    "disabled", nm);
		who(&d, p);
		alert_flip(a, al, p->key, msg, &d, now, sink);
	}

	if ((al = alert_due(a, "unexpected_participant", p->key,
	    a->nroster > 0 && p->member < 0 && p->present)) != NULL) {
		snprintf(msg, sizeof(msg), "%s joined and is not on the "
		    "roster", nm);
		who(&d, p);
		alert_flip(a, al, p->key, msg, &d, now, sink);
	}
}

/* Caregivers and patients present now. */
static void
present_counts(const struct appt *a, int *c, int *p)
{
	size_t	 i;

	*c = *p = 0;
	for (i = 0; i < a->naps; i++) {
		if (!a->aps[i].present)
			continue;
		*c += a->aps[i].cat == CAT_CAREGIVER;
		*p += a->aps[i].cat == CAT_PATIENT;
	}
}

/* Has anybody matched to roster entry i, or of category c, joined? */
static int
member_seen(const struct appt *a, int i)
{
	size_t	 k;

	for (k = 0; k < a->naps; k++)
		if (a->aps[k].member == i && ever_joined(&a->aps[k]))
			return 1;
	return 0;
}

static int
cat_seen(const struct appt *a, enum cat c)
{
	size_t	 k;

	for (k = 0; k < a->naps; k++)
		if (a->aps[k].cat == c && ever_joined(&a->aps[k]))
			return 1;
	return 0;
}

static int
roster_has_cat(const struct appt *a, enum cat c)
{
	size_t	 i;

	for (i = 0; i < a->nroster; i++)
		if (role_cat(a, a->roster[i].role) == c)
			return 1;
	return 0;
}

/* The no-show deadline has passed and the observer has looked. */
static int
no_show_due(const struct appt *a, int64_t now)
{
	return now >= a->start + a->pol.late_join_ms && a->open_since > 0 &&
	    now - a->open_since >= APPT_SETTLE_MS;
}

static void
eval_no_show(struct appt *a, int64_t now, const struct event_sink *sink)
{
	static const enum cat cats[] = { CAT_CAREGIVER, CAT_PATIENT };
	const struct member *m;
	const char	*role;
	struct alert	*al;
	char		 subj[300], msg[512], t[32];
	struct event_fields d;
	size_t		 i;
	int		 due = no_show_due(a, now);

	for (i = 0; i < a->nroster; i++) {
		m = &a->roster[i];
		snprintf(subj, sizeof(subj), "member:%s", m->id);
		if ((al = alert_due(a, "no_show", subj, due &&
		    !member_seen(a, (int)i))) == NULL)
			continue;
		d.n = 0;
		ef_str(&d, "participant_id", m->id);
		ef_str(&d, "name", m->name);
		ef_str(&d, "role", m->role);
		snprintf(msg, sizeof(msg), "%s %s has not joined %s after "
		    "the start", m->role != NULL ? m->role : "participant",
		    m->name != NULL ? m->name : m->id,
		    dur_text(now - a->start, t, sizeof(t)));
		alert_flip(a, al, NULL, msg, &d, now, sink);
	}
	/* Roles the roster does not name are still expected. */
	for (i = 0; i < 2; i++) {
		if (roster_has_cat(a, cats[i]))
			continue;
		role = cats[i] == CAT_CAREGIVER ? a->pol.caregiver_role :
		    a->pol.patient_role;
		snprintf(subj, sizeof(subj), "role:%s", role);
		if ((al = alert_due(a, "no_show", subj, due &&
		    !cat_seen(a, cats[i]))) == NULL)
			continue;
		d.n = 0;
		ef_str(&d, "role", role);
		snprintf(msg, sizeof(msg), "no %s has joined %s after the "
		    "start", role, dur_text(now - a->start, t, sizeof(t)));
		alert_flip(a, al, NULL, msg, &d, now, sink);
	}
}

static void
evaluate(struct appt *a, int64_t now, const struct event_sink *sink)
{
	struct alert	*al;
	char		 msg[256], t[32];
	struct event_fields d = { .n = 0 };
	size_t		 i;
	int		 anyone = 0, c = 0, p = 0, n;

	if (a->phase != APPT_OPEN && a->phase != APPT_ACTIVE)
		return;
	present_counts(a, &c, &p);
	for (i = 0; i < a->naps; i++) {
		anyone |= a->aps[i].present;
		eval_participant(a, &a->aps[i], now, sink);
	}

	/*
	 * No caregiver while one is needed: none has come yet, or a patient
	 * is there without one.  A caregiver who left when the patient was
	 * gone too is an early end, not an absence.
	 */
	if ((al = alert_due(a, "caregiver_absent", "",
	    now >= a->start + a->pol.caregiver_absent_ms && now < end_ms(a) &&
	    c == 0 && (p > 0 || !cat_seen(a, CAT_CAREGIVER)) &&
	    a->open_since > 0 && now - a->open_since >= APPT_SETTLE_MS)) !=
	    NULL) {
		snprintf(msg, sizeof(msg), "no %s present %s after the start",
		    a->pol.caregiver_role, dur_text(now - a->start, t,
		    sizeof(t)));
		alert_flip(a, al, NULL, msg, NULL, now, sink);
	}

	if ((al = alert_due(a, "patient_waiting", "", a->wait_since > 0 &&
	    now - a->wait_since >= a->pol.patient_wait_ms)) != NULL) {
		ef_int(&d, "waiting_since_ms", a->wait_since);
		snprintf(msg, sizeof(msg), "a %s has waited alone for %s",
		    a->pol.patient_role, dur_text(now - a->wait_since, t,
		    sizeof(t)));
		alert_flip(a, al, NULL, msg, &d, now, sink);
	}

	eval_no_show(a, now, sink);

	for (i = 0, n = 0; i < a->naps; i++)
		n += a->aps[i].present;
	if ((al = alert_due(a, "too_many_participants", "",
	    a->pol.max_participants > 0 && n > a->pol.max_participants)) !=
	    NULL) {
		d.n = 0;
		ef_int(&d, "present", n);
		ef_int(&d, "max_participants", a->pol.max_participants);
		snprintf(msg, sizeof(msg), "%d participants present, more "
		    "than the %d allowed", n, a->pol.max_participants);
		alert_flip(a, al, NULL, msg, &d, now, sink);
	}

	if ((al = alert_due(a, "recording_not_allowed", "",
	    !a->pol.enable_recording &&
	    strcmp(a->recording, "recording") == 0)) != NULL)
		alert_flip(a, al, NULL, "the meeting is being recorded, which "
		    "is not allowed", NULL, now, sink);

	if ((al = alert_due(a, "recording_missing", "",
	    a->pol.record_meetings && anyone && a->first_together > 0 &&
	    now - a->first_together >= a->pol.recording_missing_ms &&
	    strcmp(a->recording, "recording") != 0)) != NULL)
		alert_flip(a, al, NULL, "the meeting should be recorded and is "
		    "not", NULL, now, sink);
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
	set_str(&p->att_role, at.role);
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

	alerts_clear_all(a, now, sink);
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
		a->aps = xreallocarray(a->aps, a->naps + 1, sizeof(*a->aps));
		p = &a->aps[a->naps++];
		memset(p, 0, sizeof(*p));
		p->key = xstrdup(sn->key);
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
	for (i = 0; i < a->nalerts; i++) {
		free(a->alerts[i].rule);
		free(a->alerts[i].subject);
	}
	free(a->alerts);
	roster_free(a);
	free(a->mirror);
	free(a->overlap_end);
	free(a->cancel_reason);
	for (i = 0; i < a->nlobby; i++)
		free(a->lobby[i].nick);
	free(a->lobby);
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

size_t
appt_open_alerts(const struct appt *a)
{
	size_t	 i, n = 0;

	for (i = 0; i < a->nalerts; i++)
		n += a->alerts[i].open;
	return n;
}

/* Record a disconnect, forgetting those older than the rule's window. */
static void
disc_add(const struct appt *a, struct ap *p, int64_t ts)
{
	size_t	 i, n = 0;

	for (i = 0; i < p->ndisc; i++)
		if (p->disc[i] > ts - a->pol.disconnect_window_ms)
			p->disc[n++] = p->disc[i];
	p->ndisc = n;
	p->disc = xreallocarray(p->disc, p->ndisc + 1, sizeof(*p->disc));
	p->disc[p->ndisc++] = ts;
}

/* Follow a participant's presence from room.c's snapshot. */
static void
track(struct appt *a, struct ap *p, const struct event *ev)
{
	const struct participant_rec *r = ev->participant;
	int64_t		 ts = ev->ts_ms;
	struct ival	*last;

	set_str(&p->pid, r->participant_id);
	set_str(&p->name, r->name);
	ap_classify(a, p, r->role);
	if (r->connection_quality != NULL)
		snprintf(p->quality, sizeof(p->quality), "%s",
		    r->connection_quality);
	/* "Used the chat" holds for the appointment, across its sessions. */
	if (r->messages_sent > p->messages)
		p->messages = r->messages_sent;
	if (ev->type == EVENT_SCREENSHARE_START)
		p->sharing = 1;
	else if (ev->type == EVENT_SCREENSHARE_STOP)
		p->sharing = 0;
	/* room.c counts per session: a new session counts from zero. */
	if (r->disconnection_count < p->disc_seen)
		p->disc_seen = 0;
	while (p->disc_seen < r->disconnection_count) {
		disc_add(a, p, ts);
		p->disc_seen++;
	}
	if (r->present && !p->present) {
		p->iv = xreallocarray(p->iv, p->niv + 1, sizeof(*p->iv));
		last = p->niv > 0 ? &p->iv[p->niv - 1] : NULL;
		/* A leave stamped after this join (gap repair): no overlap. */
		if (last != NULL && last->end > ts)
			ts = last->end;
		p->iv[p->niv].start = ts;
		p->iv[p->niv].end = 0;
		p->niv++;
		if (p->first_join == 0)
			p->first_join = ts;
		p->present = 1;
	} else if (!r->present && p->present) {
		last = &p->iv[p->niv - 1];
		last->end = ts > last->start ? ts : last->start;
		p->last_leave = last->end;
		p->present = 0;
		p->sharing = 0;
		set_str(&p->left_reason, r->left_reason);
	}
}

/* A patient is in the lobby now. */
static int
lobby_waiting(const struct appt *a)
{
	size_t	 i;

	for (i = 0; i < a->nlobby; i++)
		if (a->lobby[i].iv.end == 0)
			return 1;
	return 0;
}

/*
 * The lobby: a knock by a patient (on the roster by id or name, else by
 * the identity's role) opens a waiting interval; being let in, turned
 * away or leaving closes it.
 */
static void
lobby(struct appt *a, const struct event *ev)
{
	const struct knock_rec	*k = ev->knock;
	struct knocked		*kn;
	int			 m;
	size_t			 i;

	if (k->nick == NULL)
		return;
	for (i = 0; i < a->nlobby; i++)
		if (a->lobby[i].iv.end == 0 &&
		    strcmp(a->lobby[i].nick, k->nick) == 0)
			break;
	if (ev->type != EVENT_LOBBY_JOIN) {
		if (i < a->nlobby)
			a->lobby[i].iv.end = ev->ts_ms;
		return;
	}
	if (i < a->nlobby)
		return;		/* knocked again while knocking */
	m = roster_match(a, k->participant_id, k->name);
	if ((m >= 0 ? role_cat(a, a->roster[m].role) : role_cat(a, k->role))
	    != CAT_PATIENT)
		return;
	a->lobby = xreallocarray(a->lobby, a->nlobby + 1, sizeof(*a->lobby));
	kn = &a->lobby[a->nlobby++];
	kn->nick = xstrdup(k->nick);
	kn->iv.start = k->since_ms > 0 ? k->since_ms : ev->ts_ms;
	kn->iv.end = 0;
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
		lobby(a, ev);
	if (ev->type == EVENT_PARTICIPANT_MERGE && ev->merge_from != NULL)
		ap_merge(a, ev->merge_from, ev->ts_ms, sink);
	if (ev->participant != NULL && ev->participant->key != NULL) {
		p = ap_get(a, ev->participant);
		track(a, p, ev);
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
			set_str(&a->overlap_end, p->left_reason);
		emit(a, together ? EVENT_BILLABLE_START : EVENT_BILLABLE_STOP,
		    ev->ts_ms, NULL, NULL, NULL, sink);
	}
	evaluate(a, a->clock, sink);
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
	evaluate(a, now, sink);
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
	set_str(&a->cancel_reason, reason != NULL ? reason : "cancelled");
	a->final_status = "cancelled";
	a->final_reason = a->cancel_reason;
	finish(a, now, sink);
}
