/*
 * The appointment tracker's view of presence: who is who and who was
 * there when (see appt_int.h for how the tracker is cut).
 *
 * DESIGN
 *
 * Participants are matched to the roster by participant id, else by
 * name; their role is the roster's, else the one room.c found in their
 * identity.  Roles are compared with the policy's caregiver and patient
 * role names.
 *
 * Presence is kept per participant (room.c's key, so a reconnect under a
 * new nick is the same person) as a list of intervals [join, leave), and
 * a patient's knock in the lobby as one more interval.  Billable time
 * and the time a patient waited without a caregiver are computed by a
 * sweep over those intervals (on ticks and when the row is written), so
 * an event stamped in the past (room.c reconciling an observer gap)
 * cannot corrupt a running sum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appt_int.h"
#include "xmalloc.h"

/* --- roster and roles -------------------------------------------------- */

/* Forget the roster (a booking without one is fine). */
void
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

/* The roster becomes a copy of b's. */
void
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

enum cat
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
void
ap_classify(const struct appt *a, struct ap *p, const char *observed)
{
	p->member = roster_match(a, p->pid, p->name);
	if (p->member >= 0 && a->roster[p->member].role != NULL)
		str_set(&p->role, a->roster[p->member].role);
	else if (observed != NULL)
		str_set(&p->role, observed);
	p->cat = role_cat(a, p->role);
}

/* --- presence ---------------------------------------------------------- */

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

/* Follow a participant's presence from room.c's snapshot in ev. */
void
ap_track(struct appt *a, struct ap *p, const struct event *ev)
{
	const struct participant_rec *r = ev->participant;
	int64_t		 ts = ev->ts_ms;
	struct ival	*last;

	str_set(&p->pid, r->participant_id);
	str_set(&p->name, r->name);
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
		str_set(&p->left_reason, r->left_reason);
	}
}

/* --- the lobby --------------------------------------------------------- */

/* A patient is in the lobby now. */
int
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
void
lobby_event(struct appt *a, const struct event *ev)
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

/* --- what presence adds up to ------------------------------------------ */

/* Caregivers and patients present now (those of other roles: neither). */
void
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

/* Has anybody of category c joined? */
int
cat_seen(const struct appt *a, enum cat c)
{
	size_t	 k;

	for (k = 0; k < a->naps; k++)
		if (a->aps[k].cat == c && ever_joined(&a->aps[k]))
			return 1;
	return 0;
}

/* A point of the sweep: who arrives (+1) or leaves (-1) at t. */
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

/*
 * Billable and waiting time from the intervals that started by now, and
 * when caregiver and patient last parted.  It sorts every interval, so
 * appt_event() keeps what the rules need about now as events come.
 */
void
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
