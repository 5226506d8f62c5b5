/*
 * The appointment tracker's alert rules (see appt_int.h for how the
 * tracker is cut): the rules as one table, their evaluation, and the
 * alerts they raised.
 *
 * DESIGN
 *
 * An alert is a condition re-evaluated on every event and tick: raised
 * when it starts holding, cleared when it stops (or when its rule is
 * switched off in meeting_settings.alert_rules), all cleared when the
 * appointment ends.  One alert per (rule, subject): a rule's scope says
 * what its subjects are (each participant, each expected member, or the
 * appointment as a whole).  A rule is a row of rules[] below: its name
 * and severity, its scope, a condition, and a builder for the sentence
 * and the details the alert carries.  Nothing else lists the rules;
 * appt_rule_name() reads the table for whoever needs the names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appt_int.h"
#include "log.h"
#include "xmalloc.h"

enum scope {
	SCOPE_PARTICIPANT,	/* each participant; subject: its key */
	SCOPE_MEMBER,		/* each roster member ("member:ID") and each
				   of caregiver and patient the roster does
				   not name ("role:NAME") */
	SCOPE_APPOINTMENT	/* the appointment; subject: "" */
};

/*
 * What a rule looks at: the appointment at now, one subject of the
 * rule's scope, and what is counted once per evaluation.
 */
struct ctx {
	const struct appt *a;
	int64_t		 now;
	const struct ap	*p;		/* SCOPE_PARTICIPANT: who */
	int		 member;	/* SCOPE_MEMBER: roster index, or -1: */
	enum cat	 cat;		/*   a role the roster does not name */
	int		 caregivers;	/* present now */
	int		 patients;
	int		 present;	/* anybody */
};

/*
 * An alert rule.  holds() says whether the alert holds for the subject
 * now.  The alert's sentence (shown when raised) and details (sent with
 * the raise and with the clear) are text: after the participant's name,
 * with who they are as the details, or as it stands for the others; or,
 * where figures go in, what say() writes (d starts empty).
 */
struct rule {
	const char	*name;		/* as in meeting_settings.alert_rules */
	const char	*severity;	/* critical, warning, info */
	enum scope	 scope;
	int		(*holds)(const struct ctx *);
	const char	*text;		/* or NULL and say() */
	void		(*say)(const struct ctx *, char *msg, size_t msgsz,
			    struct event_fields *d);
};

/* --- what the rules share ---------------------------------------------- */

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

/* A participant's name for sentences. */
static const char *
nm(const struct ap *p)
{
	return p->name != NULL ? p->name : p->key;
}

/* Who a participant's alert is about, as its details. */
static void
who(struct event_fields *d, const struct ap *p)
{
	ef_str(d, "participant_id", p->pid);
	ef_str(d, "name", p->name);
	ef_str(d, "role", p->role);
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

/* The no-show deadline has passed and the observer has looked. */
int
no_show_due(const struct appt *a, int64_t now)
{
	return now >= a->start + a->pol.late_join_ms && a->open_since > 0 &&
	    now - a->open_since >= APPT_SETTLE_MS;
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

/* Has anybody matched to the subject's roster entry, or role, joined? */
static int
member_seen(const struct ctx *x)
{
	const struct appt *a = x->a;
	size_t		 k;

	for (k = 0; k < a->naps; k++)
		if ((x->member >= 0 ? a->aps[k].member == x->member :
		    a->aps[k].cat == x->cat) && ever_joined(&a->aps[k]))
			return 1;
	return 0;
}

/* The role name of a SCOPE_MEMBER subject that is not on the roster. */
static const char *
cat_role(const struct ctx *x)
{
	return x->cat == CAT_CAREGIVER ? x->a->pol.caregiver_role :
	    x->a->pol.patient_role;
}

/* --- the rules' conditions and sentences, in table order --------------- */

static int
poor_connection(const struct ctx *x)
{
	return x->p->present && strcmp(x->p->quality, "poor") == 0;
}

static int
repeated_disconnects(const struct ctx *x)
{
	const struct appt_policy *pol = &x->a->pol;

	return pol->disconnects > 0 && disconnects_within(x->p, x->now,
	    pol->disconnect_window_ms) >= pol->disconnects;
}

static void
repeated_disconnects_say(const struct ctx *x, char *msg, size_t sz,
    struct event_fields *d)
{
	int64_t	 window = x->a->pol.disconnect_window_ms;
	int	 n = disconnects_within(x->p, x->now, window);
	char	 t[32];

	who(d, x->p);
	ef_int(d, "disconnects", n);
	ef_minutes(d, "window_minutes", window);
	snprintf(msg, sz, "%s disconnected %d times in %s", nm(x->p), n,
	    dur_text(window, t, sizeof(t)));
}

static int
participant_dropped(const struct ctx *x)
{
	const struct ap	*p = x->p;

	return !p->present && ever_joined(p) && p->left_reason != NULL &&
	    strcmp(p->left_reason, "disconnect") == 0 &&
	    x->now - p->last_leave >= x->a->pol.drop_ms;
}

static void
participant_dropped_say(const struct ctx *x, char *msg, size_t sz,
    struct event_fields *d)
{
	char	 t[32];

	who(d, x->p);
	ef_int(d, "dropped_at_ms", x->p->last_leave);
	snprintf(msg, sz, "%s dropped and is not back after %s", nm(x->p),
	    dur_text(x->now - x->p->last_leave, t, sizeof(t)));
}

static int
screenshare_disabled(const struct ctx *x)
{
	return !x->a->pol.enable_screen_share && x->p->present &&
	    x->p->sharing;
}

/* "Used the chat" holds for the appointment, so this one until the end. */
static int
chat_disabled(const struct ctx *x)
{
	return !x->a->pol.enable_chat && x->p->messages > 0;
}

static int
unexpected_participant(const struct ctx *x)
{
	return x->a->nroster > 0 && x->p->member < 0 && x->p->present;
}

/*
 * No caregiver while one is needed: none has come yet, or a patient is
 * there without one.  A caregiver who left when the patient was gone
 * too is an early end, not an absence.
 */
static int
caregiver_absent(const struct ctx *x)
{
	const struct appt *a = x->a;

	return x->now >= a->start + a->pol.caregiver_absent_ms &&
	    x->now < end_ms(a) && x->caregivers == 0 &&
	    (x->patients > 0 || !cat_seen(a, CAT_CAREGIVER)) &&
	    a->open_since > 0 && x->now - a->open_since >= APPT_SETTLE_MS;
}

static void
caregiver_absent_say(const struct ctx *x, char *msg, size_t sz,
    struct event_fields *d)
{
	char	 t[32];

	(void)d;
	snprintf(msg, sz, "no %s present %s after the start",
	    x->a->pol.caregiver_role, dur_text(x->now - x->a->start, t,
	    sizeof(t)));
}

static int
patient_waiting(const struct ctx *x)
{
	return x->a->wait_since > 0 &&
	    x->now - x->a->wait_since >= x->a->pol.patient_wait_ms;
}

static void
patient_waiting_say(const struct ctx *x, char *msg, size_t sz,
    struct event_fields *d)
{
	char	 t[32];

	ef_int(d, "waiting_since_ms", x->a->wait_since);
	snprintf(msg, sz, "a %s has waited alone for %s",
	    x->a->pol.patient_role, dur_text(x->now - x->a->wait_since, t,
	    sizeof(t)));
}

static int
no_show(const struct ctx *x)
{
	return no_show_due(x->a, x->now) && !member_seen(x);
}

static void
no_show_say(const struct ctx *x, char *msg, size_t sz,
    struct event_fields *d)
{
	const struct member *m;
	char		 t[32];

	dur_text(x->now - x->a->start, t, sizeof(t));
	if (x->member < 0) {
		ef_str(d, "role", cat_role(x));
		snprintf(msg, sz, "no %s has joined %s after the start",
		    cat_role(x), t);
		return;
	}
	m = &x->a->roster[x->member];
	ef_str(d, "participant_id", m->id);
	ef_str(d, "name", m->name);
	ef_str(d, "role", m->role);
	snprintf(msg, sz, "%s %s has not joined %s after the start",
	    m->role != NULL ? m->role : "participant",
	    m->name != NULL ? m->name : m->id, t);
}

static int
too_many_participants(const struct ctx *x)
{
	return x->a->pol.max_participants > 0 &&
	    x->present > x->a->pol.max_participants;
}

static void
too_many_participants_say(const struct ctx *x, char *msg, size_t sz,
    struct event_fields *d)
{
	ef_int(d, "present", x->present);
	ef_int(d, "max_participants", x->a->pol.max_participants);
	snprintf(msg, sz, "%d participants present, more than the %d "
	    "allowed", x->present, x->a->pol.max_participants);
}

static int
recording_not_allowed(const struct ctx *x)
{
	return !x->a->pol.enable_recording &&
	    strcmp(x->a->recording, "recording") == 0;
}

static int
recording_missing(const struct ctx *x)
{
	const struct appt *a = x->a;

	return a->pol.record_meetings && x->present > 0 &&
	    a->first_together > 0 &&
	    x->now - a->first_together >= a->pol.recording_missing_ms &&
	    strcmp(a->recording, "recording") != 0;
}

/*
 * The rules.  Adding one is adding a row and its functions above, and
 * a row to the README's table of alerts (test_appt compares the two).
 * An evaluation runs the participant rules first, participant by
 * participant, then the others in this order (rules_evaluate()).
 */
static const struct rule rules[] = {
	{ "poor_connection", "warning", SCOPE_PARTICIPANT, poor_connection,
	    "has a poor connection", NULL },
	{ "repeated_disconnects", "warning", SCOPE_PARTICIPANT,
	    repeated_disconnects, NULL, repeated_disconnects_say },
	{ "participant_dropped", "warning", SCOPE_PARTICIPANT,
	    participant_dropped, NULL, participant_dropped_say },
	{ "screenshare_disabled", "warning", SCOPE_PARTICIPANT,
	    screenshare_disabled, "shares the screen, which is disabled",
	    NULL },
	{ "chat_disabled", "warning", SCOPE_PARTICIPANT, chat_disabled,
	    "used the chat, which is disabled", NULL },
	{ "unexpected_participant", "info", SCOPE_PARTICIPANT,
	    unexpected_participant, "joined and is not on the roster", NULL },
	{ "caregiver_absent", "critical", SCOPE_APPOINTMENT,
	    caregiver_absent, NULL, caregiver_absent_say },
	{ "patient_waiting", "warning", SCOPE_APPOINTMENT, patient_waiting,
	    NULL, patient_waiting_say },
	{ "no_show", "critical", SCOPE_MEMBER, no_show, NULL, no_show_say },
	{ "too_many_participants", "warning", SCOPE_APPOINTMENT,
	    too_many_participants, NULL, too_many_participants_say },
	{ "recording_not_allowed", "critical", SCOPE_APPOINTMENT,
	    recording_not_allowed,
	    "the meeting is being recorded, which is not allowed", NULL },
	{ "recording_missing", "warning", SCOPE_APPOINTMENT,
	    recording_missing, "the meeting should be recorded and is not",
	    NULL },
};

#define NRULES	(sizeof(rules) / sizeof(rules[0]))

const char *
appt_rule_name(size_t i)
{
	return i < NRULES ? rules[i].name : NULL;
}

const char *
appt_rule_severity(size_t i)
{
	return i < NRULES ? rules[i].severity : NULL;
}

/* --- evaluation: raising and clearing alerts --------------------------- */

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
alert_due(struct appt *a, const struct rule *r, const char *subject,
    int holds)
{
	struct alert	*al;
	size_t		 i;

	if (holds && !rule_enabled(a, r->name))
		holds = 0;
	for (i = 0; i < a->nalerts; i++)
		if (a->alerts[i].rule == r &&
		    strcmp(a->alerts[i].subject, subject) == 0)
			return a->alerts[i].open != holds ? &a->alerts[i] :
			    NULL;
	if (!holds)
		return NULL;
	a->alerts = xreallocarray(a->alerts, a->nalerts + 1,
	    sizeof(*a->alerts));
	al = &a->alerts[a->nalerts++];
	al->rule = r;
	al->subject = xstrdup(subject);
	al->open = 0;
	return al;
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
	rec.rule = al->rule->name;
	rec.severity = al->rule->severity;
	rec.raised = raised;
	rec.subject = al->subject;
	rec.participant_key = pkey;
	rec.appointment_id = a->appt_id;
	rec.room = a->room;
	rec.message = message;
	log_info("appointment %s: alert %s %s%s%s", a->appt_id, rec.rule,
	    raised ? "raised" : "cleared", message != NULL ? ": " : "",
	    message != NULL ? message : "");
	memset(&ev, 0, sizeof(ev));
	ev.type = EVENT_ALERT;
	ev.ts_ms = now;
	ev.session = mirror(a, a->clock);
	ev.alert = &rec;
	ev.fields = details->v;
	ev.nfields = details->n;
	event_emit(sink, &ev);
}

/*
 * Clear the open alerts about subject (NULL: all of them), saying why in
 * their details.
 */
void
alerts_clear(struct appt *a, const char *subject, const char *why,
    int64_t now, const struct event_sink *sink)
{
	struct event_fields	 d = { .n = 0 };
	size_t			 i;

	ef_str(&d, "cleared_by", why);
	for (i = 0; i < a->nalerts; i++)
		if (a->alerts[i].open && (subject == NULL ||
		    strcmp(a->alerts[i].subject, subject) == 0))
			alert_emit(a, &a->alerts[i], 0, subject, NULL, &d,
			    now, sink);
}

/* Rule r for the subject in x: raise or clear its alert if due. */
static void
rule_check(struct appt *a, const struct rule *r, const struct ctx *x,
    const struct event_sink *sink)
{
	struct event_fields	 d = { .n = 0 };
	struct alert		*al;
	char			 buf[300], msg[512];
	const char		*subject = buf;
	int			 raise;

	if (r->scope == SCOPE_PARTICIPANT)
		subject = x->p->key;
	else if (r->scope == SCOPE_APPOINTMENT)
		subject = "";
	else if (x->member >= 0)
		snprintf(buf, sizeof(buf), "member:%s",
		    a->roster[x->member].id);
	else
		snprintf(buf, sizeof(buf), "role:%s", cat_role(x));
	if ((al = alert_due(a, r, subject, r->holds(x))) == NULL)
		return;
	raise = !al->open;
	if (r->say != NULL)
		r->say(x, msg, sizeof(msg), &d);
	else if (x->p != NULL) {
		snprintf(msg, sizeof(msg), "%s %s", nm(x->p), r->text);
		who(&d, x->p);
	} else
		snprintf(msg, sizeof(msg), "%s", r->text);
	alert_emit(a, al, raise, x->p != NULL ? x->p->key : NULL,
	    raise ? msg : NULL, &d, x->now, sink);
}

/*
 * Every rule against every subject of its scope, while the appointment
 * is open or active: raise what starts holding, clear what stopped.
 */
void
rules_evaluate(struct appt *a, int64_t now, const struct event_sink *sink)
{
	static const enum cat roles[] = { CAT_CAREGIVER, CAT_PATIENT };
	const struct rule *r;
	struct ctx	 x;
	size_t		 i, k;

	if (a->phase != APPT_OPEN && a->phase != APPT_ACTIVE)
		return;
	memset(&x, 0, sizeof(x));
	x.a = a;
	x.now = now;
	present_counts(a, &x.caregivers, &x.patients);
	for (i = 0; i < a->naps; i++)
		x.present += a->aps[i].present;

	/*
	 * A participant's alerts together, then the appointment's: the
	 * order alerts have always been emitted (and stored) in.
	 */
	for (i = 0; i < a->naps; i++) {
		x.p = &a->aps[i];
		for (r = rules; r < rules + NRULES; r++)
			if (r->scope == SCOPE_PARTICIPANT)
				rule_check(a, r, &x, sink);
	}
	x.p = NULL;
	for (r = rules; r < rules + NRULES; r++) {
		if (r->scope == SCOPE_APPOINTMENT)
			rule_check(a, r, &x, sink);
		if (r->scope != SCOPE_MEMBER)
			continue;
		for (i = 0; i < a->nroster; i++) {
			x.member = (int)i;
			rule_check(a, r, &x, sink);
		}
		/* Roles the roster does not name are still expected. */
		x.member = -1;
		for (k = 0; k < 2; k++) {
			if (roster_has_cat(a, roles[k]))
				continue;
			x.cat = roles[k];
			rule_check(a, r, &x, sink);
		}
	}
}

size_t
appt_open_alerts(const struct appt *a)
{
	size_t	 i, n = 0;

	for (i = 0; i < a->nalerts; i++)
		n += a->alerts[i].open;
	return n;
}
