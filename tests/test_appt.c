/*
 * Unit tests for appt.c: the appointment lifecycle, attendance, billable
 * and waiting time, and every alert rule, on an injected clock.  Room
 * events are built by hand the way room.c emits them: a participant
 * snapshot whose present flag, left_reason and counters tell the story.
 *
 * Over 800 lines: one cmocka binary per module under test (appt.c and
 * its rule table).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "appt.h"
#include "event.h"
#include "log.h"

#define MIN		60000LL
#define T0		1767261600000LL	/* 2026-01-01T10:00:00Z: the start */

struct cap {
	enum event_type	 type;
	int64_t		 ts;
	char		*data;
	char		 status[16];
	char		 reason[32];
	char		 pkey[32];
	int64_t		 billable_s;
	int64_t		 wait_s;
};

static struct cap	 caps[4096];
static size_t		 ncaps;

static void
cap_emit(const struct event *ev, void *arg)
{
	const struct session_rec *s = ev->session;
	struct cap	 c = {
		.type = ev->type,
		.ts = ev->ts_ms,
		.data = event_json(ev),
		.billable_s = s->appt_figures ? s->billable_s : -1,
		.wait_s = s->appt_figures ? s->patient_wait_s : -1,
	};

	(void)arg;
	snprintf(c.status, sizeof(c.status), "%s",
	    s->status != NULL ? s->status : "");
	snprintf(c.reason, sizeof(c.reason), "%s",
	    s->status_reason != NULL ? s->status_reason : "");
	if (ev->participant != NULL)
		snprintf(c.pkey, sizeof(c.pkey), "%s", ev->participant->key);
	assert_true(ncaps < sizeof(caps) / sizeof(caps[0]));
	caps[ncaps++] = c;
}

static const struct event_sink sink = { cap_emit, NULL };

static void
caps_reset(void)
{
	size_t	 i;

	for (i = 0; i < ncaps; i++)
		free(caps[i].data);
	ncaps = 0;
}

/* --- the scripted room ------------------------------------------------- */

static struct session_rec	 room_sess;

static struct participant_rec
person(const char *key, const char *id, const char *role, const char *name)
{
	return (struct participant_rec){
		.key = key,
		.participant_id = id,
		.role = role,
		.name = name,
		.nick = name,
		.connection_quality = "good",
	};
}

static void
pev(struct appt *a, enum event_type t, int64_t ts,
    const struct participant_rec *p, const char *data)
{
	struct event	 ev = {
		.type = t, .ts_ms = ts, .session = &room_sess, .participant = p
	};

	assert_null(data);	/* room events the tracker reads carry none */
	appt_event(a, &ev, &sink);
}

static void
join(struct appt *a, struct participant_rec *p, int64_t ts)
{
	int	 again = p->join_count > 0;

	p->present = 1;
	p->join_count++;
	p->left_reason = NULL;
	pev(a, again ? EVENT_RECONNECT : EVENT_JOIN, ts, p, NULL);
}

static void
leave(struct appt *a, struct participant_rec *p, int64_t ts,
    const char *reason)
{
	p->present = 0;
	p->left_reason = reason;
	if (strcmp(reason, "disconnect") == 0) {
		p->disconnection_count++;
		pev(a, EVENT_DISCONNECT, ts, p, NULL);
	} else
		pev(a, EVENT_LEAVE, ts, p, NULL);
}

static const struct appt_member roster2[] = {
	{ "cg-1", "caregiver", "Dr Alice" },
	{ "pt-1", "patient", "Bob" }
};

/* The two people of roster2, as the room reports them. */
static struct participant_rec
caregiver(void)
{
	return person("id:cg-1", "cg-1", "caregiver", "Dr Alice");
}

static struct participant_rec
patient(void)
{
	return person("id:pt-1", "pt-1", "patient", "Bob");
}

/* Appointment A1 in room1: 30 min from start, the first nroster of roster2. */
static struct appt_booking
a1(int64_t start, size_t nroster)
{
	return (struct appt_booking){
		.uid = "appt:A1",
		.appointment_id = "A1",
		.room = "room1",
		.room_jid = "room1@conference.meet.jitsi",
		.start_ms = start,
		.duration_ms = 30 * MIN,
		.roster = roster2,
		.nroster = nroster,
	};
}

/* The room's session of A1, as the room would report it. */
static void
a1_session(void)
{
	memset(&room_sess, 0, sizeof(room_sess));
	room_sess.uid = "appt:A1";
	room_sess.room = "room1";
	room_sess.appointment_id = "A1";
	room_sess.recording_status = "not_recorded";
}

/* A 30-minute appointment at T0 with a caregiver and a patient. */
static struct appt *
booking(const struct appt_policy *pol, int64_t created, size_t nroster)
{
	struct appt_booking	 b = a1(T0, nroster);
	struct appt_policy	 def;

	a1_session();
	room_sess.room_jid = "room1@conference.meet.jitsi";
	room_sess.status = "active";
	if (pol == NULL) {
		appt_policy_defaults(&def);
		pol = &def;
	}
	return appt_new(&b, pol, created);
}

/* booking(), ticked once when it is made. */
static struct appt *
booked(const struct appt_policy *pol, int64_t created, size_t nroster)
{
	struct appt	*a = booking(pol, created, nroster);

	appt_tick(a, created, &sink);
	return a;
}

/* Tick every 10 s from *at to until; returns the OR of the actions. */
static int
run(struct appt *a, int64_t *at, int64_t until)
{
	int	 act = 0, r;

	for (; *at <= until; *at += 10000) {
		r = appt_tick(a, *at, &sink);
		if (r & APPT_ACT_END)
			appt_end(a, *at, &sink);
		act |= r;
	}
	*at = until;
	return act;
}

/*
 * What a test works on: its appointment (freed after it), the caregiver and
 * the patient of roster2, and the clock run() advances.
 */
static struct appt		*appt;
static struct participant_rec	 cg, pt;
static int64_t			 now;

static int
setup(void **state)
{
	(void)state;
	caps_reset();
	appt = NULL;
	cg = caregiver();
	pt = patient();
	now = T0;
	return 0;
}

/* setup(), and A1 booked(): the default appointment, made at T0. */
static int
setup_booked(void **state)
{
	setup(state);
	appt = booked(NULL, now, 2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	appt_free(appt);
	appt = NULL;
	caps_reset();
	return 0;
}

/* --- queries on what was emitted ---------------------------------------- */

static size_t
count(enum event_type t)
{
	size_t	 i, n = 0;

	for (i = 0; i < ncaps; i++)
		n += caps[i].type == t;
	return n;
}

static const struct cap *
last(enum event_type t)
{
	size_t	 i;

	for (i = ncaps; i > 0; i--)
		if (caps[i - 1].type == t)
			return &caps[i - 1];
	return NULL;
}

/* A string member of an event's JSON data; "" when absent, "null". */
static void
jget(const struct cap *c, const char *key, char *buf, size_t bufsz)
{
	json_t	*j, *v;

	buf[0] = '\0';
	if (c == NULL || c->data == NULL)
		return;
	j = json_loads(c->data, 0, NULL);
	assert_non_null(j);
	if ((v = json_object_get(j, key)) != NULL) {
		if (json_is_string(v))
			snprintf(buf, bufsz, "%s", json_string_value(v));
		else if (json_is_null(v))
			snprintf(buf, bufsz, "null");
		else if (json_is_true(v))
			snprintf(buf, bufsz, "true");
		else if (json_is_false(v))
			snprintf(buf, bufsz, "false");
		else if (json_is_number(v))
			snprintf(buf, bufsz, "%g", json_number_value(v));
	}
	json_decref(j);
}

/* Alert events for rule (and subject, unless NULL) in state. */
static size_t
alerts(const char *rule, const char *subject, const char *state)
{
	char	 r[64], s[128], st[16];
	size_t	 i, n = 0;

	for (i = 0; i < ncaps; i++) {
		if (caps[i].type != EVENT_ALERT)
			continue;
		jget(&caps[i], "rule", r, sizeof(r));
		jget(&caps[i], "subject", s, sizeof(s));
		jget(&caps[i], "state", st, sizeof(st));
		if (strcmp(r, rule) == 0 && strcmp(st, state) == 0 &&
		    (subject == NULL || strcmp(s, subject) == 0))
			n++;
	}
	return n;
}

/* The latest attendance data member for participant key. */
static void
att(const char *pkey, const char *member, char *buf, size_t bufsz)
{
	size_t	 i;

	buf[0] = '\0';
	for (i = ncaps; i > 0; i--)
		if (caps[i - 1].type == EVENT_ATTENDANCE &&
		    strcmp(caps[i - 1].pkey, pkey) == 0) {
			jget(&caps[i - 1], member, buf, bufsz);
			return;
		}
}

/* The latest attendance of pkey says want as its member. */
static void
assert_att(const char *pkey, const char *member, const char *want)
{
	char	 buf[32];

	att(pkey, member, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("%s %s: \"%s\", expected \"%s\"", pkey, member, buf,
		    want);
}

static void
assert_final(const char *status, const char *reason)
{
	const struct cap *c = last(EVENT_APPOINTMENT_STATUS);
	char		 to[32];

	assert_non_null(c);
	jget(c, "to", to, sizeof(to));
	assert_string_equal(to, status);
	assert_string_equal(c->status, status);
	assert_string_equal(c->reason, reason);
}

/*
 * A1 with nroster members of roster2, made at created and ticked until at,
 * when p is the first to join.
 */
static void
first_join(int64_t created, size_t nroster, struct participant_rec *p,
    int64_t at)
{
	now = created;
	appt = booking(NULL, now, nroster);
	run(appt, &now, at);
	join(appt, p, at);
}

/*
 * Only p comes, at T0, to A1 made 5 minutes before: at T0 + 30 the no-show
 * of subject absent was raised, that of present was not.
 */
static void
only_one_comes(struct participant_rec *p, size_t nroster, const char *absent,
    const char *present)
{
	first_join(T0 - 5 * MIN, nroster, p, T0);
	run(appt, &now, T0 + 30 * MIN);
	assert_int_equal(alerts("no_show", absent, "raised"), 1);
	assert_int_equal(alerts("no_show", present, "raised"), 0);
}

/* p and q leave together at t; the clock runs on to 3 minutes after. */
static void
both_leave(struct participant_rec *p, struct participant_rec *q, int64_t t)
{
	leave(appt, p, t, "leave");
	leave(appt, q, t, "leave");
	run(appt, &now, t + 3 * MIN);
}

/* --- lifecycle ----------------------------------------------------------- */

static void
test_window_opens(void **state)
{
	(void)state;
	now = T0 - 60 * MIN;
	appt = booking(NULL, now, 2);
	/* 15 min early join window. */
	assert_int_equal(run(appt, &now, T0 - 15 * MIN - 10000), 0);
	assert_int_equal(appt_phase(appt), APPT_PENDING);
	assert_int_equal(appt_tick(appt, T0 - 15 * MIN, &sink), APPT_ACT_JOIN);
	assert_int_equal(appt_phase(appt), APPT_OPEN);
	assert_int_equal(count(EVENT_APPOINTMENT_STATUS), 0);
}

static void
test_completed_billable(void **state)
{
	(void)state;
	first_join(T0 - 10 * MIN, 2, &cg, T0 - 1 * MIN);
	assert_int_equal(appt_phase(appt), APPT_ACTIVE);
	assert_final("active", "");
	join(appt, &pt, T0 + 2 * MIN);
	assert_int_equal(count(EVENT_BILLABLE_START), 1);
	/* The patient's link drops for 2 minutes and comes back. */
	leave(appt, &pt, T0 + 10 * MIN, "disconnect");
	assert_int_equal(count(EVENT_BILLABLE_STOP), 1);
	join(appt, &pt, T0 + 12 * MIN);
	assert_int_equal(count(EVENT_BILLABLE_START), 2);
	run(appt, &now, T0 + 20 * MIN);
	assert_int_equal(appt_billable_ms(appt, now), 16 * MIN);
	assert_true(count(EVENT_APPOINTMENT_ROLLUP) > 0);
	assert_int_equal(last(EVENT_APPOINTMENT_ROLLUP)->billable_s, 16 * 60);
	leave(appt, &pt, T0 + 29 * MIN, "leave");
	leave(appt, &cg, T0 + 30 * MIN, "leave");
	assert_int_equal(run(appt, &now, T0 + 31 * MIN) & APPT_ACT_END, 0);
	assert_int_equal(run(appt, &now, T0 + 33 * MIN) & APPT_ACT_END,
	    APPT_ACT_END);
	assert_int_equal(appt_phase(appt), APPT_DONE);
	assert_final("completed", "");
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->billable_s,
	    (8 + 17) * 60);
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->wait_s, 0);
	assert_int_equal(appt_open_alerts(appt), 0);
	/* Attendance: the caregiver on time, the patient 2 min late (within
	 * the 5 min grace), nobody left early or overran. */
	assert_att("id:cg-1", "attendance", "on_time");
	assert_att("id:pt-1", "late_minutes", "2");
	assert_att("id:pt-1", "expected", "true");
	assert_att("id:pt-1", "left_early_minutes", "null");
	/* Nothing after the end. */
	caps_reset();
	join(appt, &pt, T0 + 40 * MIN);
	assert_int_equal(appt_tick(appt, T0 + 41 * MIN, &sink), 0);
	assert_int_equal(ncaps, 0);
}

static void
test_patient_wait(void **state)
{
	(void)state;
	first_join(T0 - 20 * MIN, 2, &pt, T0 - 2 * MIN);
	run(appt, &now, T0 + 2 * MIN);
	assert_int_equal(alerts("patient_waiting", NULL, "raised"), 0);
	run(appt, &now, T0 + 3 * MIN);
	assert_int_equal(alerts("patient_waiting", NULL, "raised"), 1);
	run(appt, &now, T0 + 5 * MIN);
	assert_int_equal(alerts("caregiver_absent", NULL, "raised"), 1);
	run(appt, &now, T0 + 6 * MIN);
	/* Raised once, not repeated while it holds. */
	assert_int_equal(alerts("patient_waiting", NULL, "raised"), 1);
	assert_int_equal(alerts("caregiver_absent", NULL, "raised"), 1);
	join(appt, &cg, T0 + 6 * MIN);
	assert_int_equal(alerts("patient_waiting", NULL, "cleared"), 1);
	assert_int_equal(alerts("caregiver_absent", NULL, "cleared"), 1);
	assert_int_equal(appt_patient_wait_ms(appt, now), 8 * MIN);
	/* The caregiver drops: the patient waits again, absent again. */
	leave(appt, &cg, T0 + 10 * MIN, "disconnect");
	assert_int_equal(alerts("caregiver_absent", NULL, "raised"), 2);
	join(appt, &cg, T0 + 11 * MIN);
	assert_int_equal(appt_patient_wait_ms(appt, T0 + 11 * MIN), 9 * MIN);
	assert_int_equal(appt_billable_ms(appt, T0 + 11 * MIN), 4 * MIN);
}

static void
test_nobody_came(void **state)
{
	(void)state;
	now = T0 - 20 * MIN;
	appt = booking(NULL, now, 2);
	assert_int_equal(run(appt, &now, T0 + 29 * MIN) & APPT_ACT_END, 0);
	assert_int_equal(alerts("no_show", NULL, "raised"), 0);
	assert_int_equal(run(appt, &now, T0 + 31 * MIN) & APPT_ACT_END,
	    APPT_ACT_END);
	assert_final("failed", "nobody_came");
	/* Both roster members flagged, then cleared with the end. */
	assert_int_equal(alerts("no_show", "member:cg-1", "raised"), 1);
	assert_int_equal(alerts("no_show", "member:pt-1", "raised"), 1);
	assert_int_equal(alerts("no_show", NULL, "cleared"), 2);
	assert_int_equal(appt_open_alerts(appt), 0);
}

static void
test_caregiver_no_show(void **state)
{
	(void)state;
	only_one_comes(&pt, 2, "member:cg-1", "member:pt-1");
	leave(appt, &pt, T0 + 31 * MIN, "leave");
	assert_int_equal(run(appt, &now, T0 + 34 * MIN) & APPT_ACT_END,
	    APPT_ACT_END);
	assert_final("failed", "caregiver_no_show");
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->wait_s, 31 * 60);
}

static void
test_patient_no_show(void **state)
{
	(void)state;
	/* No roster: the roles are still expected. */
	only_one_comes(&cg, 0, "role:patient", "role:caregiver");
	assert_int_equal(alerts("unexpected_participant", NULL, "raised"), 0);
	leave(appt, &cg, T0 + 30 * MIN, "leave");
	run(appt, &now, T0 + 33 * MIN);
	assert_final("failed", "patient_no_show");
}

static void
test_ended_early_and_overrun(void **state)
{
	struct appt_policy pol;

	(void)state;
	appt_policy_defaults(&pol);
	pol.auto_end_ms = 10 * MIN;
	appt = booked(&pol, now, 2);
	join(appt, &cg, T0 + 7 * MIN);
	join(appt, &pt, T0 + 8 * MIN);
	leave(appt, &pt, T0 + 12 * MIN, "leave");
	leave(appt, &cg, T0 + 13 * MIN, "leave");
	assert_att("id:cg-1", "attendance", "late");
	assert_att("id:cg-1", "late_minutes", "7");
	assert_att("id:pt-1", "left_early_minutes", "18");
	/* Nobody back within auto_end_after_minutes (10): ended. */
	assert_int_equal(run(appt, &now, T0 + 22 * MIN) & APPT_ACT_END, 0);
	assert_int_equal(run(appt, &now, T0 + 23 * MIN) & APPT_ACT_END,
	    APPT_ACT_END);
	assert_final("completed", "ended_early");
	/* The caregiver left after the patient: an early end, not absence. */
	assert_int_equal(alerts("caregiver_absent", NULL, "raised"), 0);

	/* Overrun: a fresh appointment, as setup_booked() makes it. */
	teardown(state);
	setup_booked(state);
	join(appt, &cg, T0);
	join(appt, &pt, T0);
	run(appt, &now, T0 + 45 * MIN);
	/* Overrunning. */
	assert_int_equal(appt_phase(appt), APPT_ACTIVE);
	leave(appt, &pt, T0 + 45 * MIN, "leave");
	leave(appt, &cg, T0 + 46 * MIN, "leave");
	assert_att("id:cg-1", "overran_minutes", "16");
	run(appt, &now, T0 + 49 * MIN);
	assert_final("completed", "");
}

static void
test_technical_failure(void **state)
{
	(void)state;
	join(appt, &cg, T0);
	join(appt, &pt, T0 + MIN);
	leave(appt, &pt, T0 + 5 * MIN, "disconnect");
	run(appt, &now, T0 + 6 * MIN);
	assert_int_equal(alerts("participant_dropped", "id:pt-1", "raised"), 0);
	run(appt, &now, T0 + 7 * MIN);
	assert_int_equal(alerts("participant_dropped", "id:pt-1", "raised"), 1);
	leave(appt, &cg, T0 + 9 * MIN, "leave");
	run(appt, &now, T0 + 40 * MIN);
	assert_final("failed", "technical_failure");
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->billable_s, 4 * 60);
	assert_int_equal(alerts("participant_dropped", "id:pt-1", "cleared"),
	    1);
}

static void
test_no_overlap(void **state)
{
	(void)state;
	join(appt, &pt, T0);
	leave(appt, &pt, T0 + 4 * MIN, "leave");
	join(appt, &cg, T0 + 6 * MIN);
	leave(appt, &cg, T0 + 20 * MIN, "leave");
	run(appt, &now, T0 + 33 * MIN);
	assert_final("failed", "no_overlap");
	assert_int_equal(count(EVENT_BILLABLE_START), 0);
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->wait_s, 4 * 60);
}

static void
test_cancel_and_not_observed(void **state)
{
	(void)state;
	now = T0 - MIN;
	appt = booked(NULL, now, 2);
	join(appt, &cg, T0);
	run(appt, &now, T0 + 31 * MIN);
	assert_int_equal(alerts("no_show", "member:pt-1", "raised"), 1);
	appt_cancel(appt, now, "patient called in sick", &sink);
	assert_int_equal(appt_phase(appt), APPT_DONE);
	assert_final("cancelled", "patient called in sick");
	assert_int_equal(alerts("no_show", "member:pt-1", "cleared"), 1);
	appt_cancel(appt, now, NULL, &sink);	/* once */
	assert_int_equal(count(EVENT_APPOINTMENT_STATUS), 2);
	appt_free(appt);

	/* Loaded after its end (the daemon was down): not observed. */
	caps_reset();
	now = T0 + 31 * MIN;
	appt = booking(NULL, now, 2);
	assert_int_equal(appt_tick(appt, now, &sink), APPT_ACT_END);
	assert_int_equal(count(EVENT_APPOINTMENT_STATUS), 0);
	appt_end(appt, now, &sink);
	assert_final("failed", "not_observed");
	assert_int_equal(count(EVENT_ALERT), 0);
}

static void
test_roles_unknown(void **state)
{
	struct participant_rec x = person("nick:x", NULL, "unknown", "x");
	struct participant_rec y = person("nick:y", NULL, "unknown", "y");

	(void)state;
	appt = booked(NULL, now, 0);
	room_sess.peak_participants = 2;
	join(appt, &x, T0);
	join(appt, &y, T0);
	/* Not a caregiver: the caregiver is missing. */
	run(appt, &now, T0 + 6 * MIN);
	assert_int_equal(alerts("caregiver_absent", NULL, "raised"), 1);
	both_leave(&x, &y, T0 + 30 * MIN);
	assert_final("completed", "roles_unknown");
}

/* Matching by name when the identity has no id; the roster role wins. */
static void
test_roster_match_and_unexpected(void **state)
{
	struct participant_rec st = person("id:zz", "zz", "caregiver",
	    "Stranger");

	(void)state;
	cg = person("sid:1", NULL, "unknown",
	    "dr alice");
	pt = person("id:pt-1", "pt-1", "guest", "B");
	join(appt, &cg, T0);
	join(appt, &pt, T0);
	assert_int_equal(count(EVENT_BILLABLE_START), 1);
	join(appt, &st, T0 + MIN);
	assert_int_equal(alerts("unexpected_participant", "id:zz", "raised"),
	    1);
	assert_att("id:zz", "expected", "false");
	assert_att("sid:1", "expected", "true");
	/* A third person present: more than max_participants (2). */
	assert_int_equal(alerts("too_many_participants", NULL, "raised"), 1);
	leave(appt, &st, T0 + 2 * MIN, "leave");
	assert_int_equal(alerts("unexpected_participant", "id:zz", "cleared"),
	    1);
	assert_int_equal(alerts("too_many_participants", NULL, "cleared"), 1);
}

/*
 * The patient's reconnect looked like a second participant until the old
 * connection dropped (bot/derive/tabs.c): too many participants for a
 * minute, then one patient again, its alerts cleared.
 */
static void
test_merged_tab(void **state)
{
	struct participant_rec tab = person("id:pt-1#2", "pt-1", "patient",
	    "B");
	struct event	 ev;

	(void)state;
	cg = person("id:cg-1", "cg-1", "caregiver",
	    "Dr Alice");
	pt = person("id:pt-1", "pt-1", "patient", "B");
	appt = booking(NULL, now, 2);
	appt_tick(appt, now, &sink);
	join(appt, &cg, T0);
	join(appt, &pt, T0);
	join(appt, &tab, T0 + MIN);
	assert_int_equal(alerts("too_many_participants", NULL, "raised"), 1);
	pt.join_count = 2;
	ev = (struct event){
		.type = EVENT_PARTICIPANT_MERGE, .ts_ms = T0 + 2 * MIN,
		.session = &room_sess, .participant = &pt,
		.merge_from = "id:pt-1#2"
	};
	appt_event(appt, &ev, &sink);
	assert_int_equal(alerts("too_many_participants", NULL, "cleared"), 1);
	assert_int_equal(count(EVENT_BILLABLE_STOP), 0);
	/* The caregiver leaves: billing stops once, the patient waits. */
	leave(appt, &cg, T0 + 10 * MIN, "leave");
	assert_int_equal(count(EVENT_BILLABLE_STOP), 1);
	run(appt, &now, T0 + 11 * MIN);
	assert_true(appt_billable_ms(appt, now) == 10 * MIN);
}

/* --- rules ---------------------------------------------------------------- */

static void
test_connection_rules(void **state)
{
	struct appt_policy pol;
	int		 i;

	(void)state;
	appt_policy_defaults(&pol);
	pol.disconnects = 3;
	pol.disconnect_window_ms = 10 * MIN;
	pol.drop_ms = 10 * MIN;
	appt = booked(&pol, now, 2);
	join(appt, &cg, T0);
	for (i = 0; i < 3; i++) {
		leave(appt, &cg, T0 + (2 * i + 1) * MIN, "disconnect");
		join(appt, &cg, T0 + (2 * i + 1) * MIN + 20000);
	}
	assert_int_equal(alerts("repeated_disconnects", "id:cg-1", "raised"),
	    1);
	assert_int_equal(alerts("participant_dropped", NULL, "raised"), 0);
	/* The first disconnect leaves the 10 min window at T0 + 11. */
	run(appt, &now, T0 + 10 * MIN);
	assert_int_equal(alerts("repeated_disconnects", NULL, "cleared"), 0);
	run(appt, &now, T0 + 11 * MIN + 10000);
	assert_int_equal(alerts("repeated_disconnects", NULL, "cleared"), 1);

	cg.connection_quality = "poor";
	pev(appt, EVENT_ROLLUP, T0 + 12 * MIN, &cg, NULL);
	assert_int_equal(alerts("poor_connection", "id:cg-1", "raised"), 1);
	pev(appt, EVENT_ROLLUP, T0 + 12 * MIN + 1000, &cg, NULL);
	assert_int_equal(alerts("poor_connection", "id:cg-1", "raised"), 1);
	cg.connection_quality = "fair";
	pev(appt, EVENT_ROLLUP, T0 + 13 * MIN, &cg, NULL);
	assert_int_equal(alerts("poor_connection", "id:cg-1", "cleared"), 1);
}

static void
test_feature_rules(void **state)
{
	struct appt_policy pol;

	(void)state;
	appt_policy_defaults(&pol);
	pol.enable_chat = 0;
	pol.enable_screen_share = 0;
	pol.enable_recording = 1;
	pol.record_meetings = 1;
	pol.recording_missing_ms = 2 * MIN;
	appt = booked(&pol, now, 2);
	join(appt, &cg, T0);
	join(appt, &pt, T0);
	pev(appt, EVENT_SCREENSHARE_START, T0 + MIN, &cg, NULL);
	assert_int_equal(alerts("screenshare_disabled", "id:cg-1", "raised"),
	    1);
	pev(appt, EVENT_SCREENSHARE_STOP, T0 + MIN + 5000, &cg, NULL);
	assert_int_equal(alerts("screenshare_disabled", "id:cg-1", "cleared"),
	    1);
	pt.messages_sent = 1;
	pev(appt, EVENT_CHAT_MESSAGE, T0 + MIN, &pt, NULL);
	pt.messages_sent = 2;
	pev(appt, EVENT_CHAT_MESSAGE, T0 + MIN + 1, &pt, NULL);
	assert_int_equal(alerts("chat_disabled", "id:pt-1", "raised"), 1);
	run(appt, &now, T0 + 2 * MIN + 10000);
	assert_int_equal(alerts("recording_missing", NULL, "raised"), 1);
	room_sess.recording_status = "recording";
	pev(appt, EVENT_RECORDING_START, T0 + 3 * MIN, NULL, NULL);
	assert_int_equal(alerts("recording_missing", NULL, "cleared"), 1);
	assert_int_equal(alerts("recording_not_allowed", NULL, "raised"), 0);
	appt_free(appt);

	/* Recording while not allowed; the rules list filters. */
	caps_reset();
	now = T0;
	appt_policy_defaults(&pol);
	pol.enable_recording = 0;
	pol.enable_chat = 0;
	snprintf(pol.rules, sizeof(pol.rules), "no_show, recording_not_allowed");
	cg = caregiver();
	appt = booked(&pol, now, 2);
	join(appt, &cg, T0);
	cg.messages_sent = 3;
	pev(appt, EVENT_CHAT_MESSAGE, T0 + MIN, &cg, NULL);
	room_sess.recording_status = "recording";
	pev(appt, EVENT_RECORDING_START, T0 + MIN, NULL, NULL);
	assert_int_equal(alerts("recording_not_allowed", NULL, "raised"), 1);
	room_sess.recording_status = "recorded";
	pev(appt, EVENT_RECORDING_STOP, T0 + 2 * MIN, NULL, NULL);
	assert_int_equal(alerts("recording_not_allowed", NULL, "cleared"), 1);
	run(appt, &now, T0 + 10 * MIN);
	assert_int_equal(alerts("chat_disabled", NULL, "raised"), 0);
	assert_int_equal(alerts("caregiver_absent", NULL, "raised"), 0);
}

/*
 * The rule table is the one list of rules: each has a name and a known
 * severity, and the README's table of alerts shows exactly these rows.
 */
static void
test_rule_table(void **state)
{
	FILE		*fp;
	char		 line[1024], row[128];
	const char	*name, *sev;
	size_t		 i, j, nrules, nrows = 0;
	int		 found;

	(void)state;
	for (i = 0; (name = appt_rule_name(i)) != NULL; i++) {
		sev = appt_rule_severity(i);
		assert_non_null(sev);
		assert_true(strcmp(sev, "critical") == 0 ||
		    strcmp(sev, "warning") == 0 || strcmp(sev, "info") == 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(appt_rule_name(j), name);
	}
	nrules = i;
	assert_int_equal(nrules, 12);
	assert_null(appt_rule_severity(nrules));

	assert_non_null(fp = fopen("README.md", "r"));
	for (i = 0; i < nrules; i++) {
		snprintf(row, sizeof(row), "  | `%s` | %s |", appt_rule_name(i),
		    appt_rule_severity(i));
		rewind(fp);
		found = 0;
		while (fgets(line, sizeof(line), fp) != NULL)
			found |= strncmp(line, row, strlen(row)) == 0;
		if (!found)
			fail_msg("README.md: no alert row \"%s\"", row);
	}
	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "  | `", 5) == 0 &&
		    (strstr(line, "` | critical |") != NULL ||
		    strstr(line, "` | warning |") != NULL ||
		    strstr(line, "` | info |") != NULL))
			nrows++;
	fclose(fp);
	assert_int_equal(nrows, nrules);
}

/* A leave stamped before the previous join (observer gap repair). */
static void
test_out_of_order(void **state)
{
	(void)state;
	join(appt, &cg, T0 + 5 * MIN);
	join(appt, &pt, T0 + 5 * MIN);
	/* The observer learns at T0 + 9 that the patient left at T0 + 4. */
	leave(appt, &pt, T0 + 4 * MIN, "disconnect");
	assert_true(appt_billable_ms(appt, T0 + 9 * MIN) >= 0);
	assert_int_equal(appt_billable_ms(appt, T0 + 9 * MIN), 0);
	join(appt, &pt, T0 + 9 * MIN);
	assert_int_equal(appt_billable_ms(appt, T0 + 10 * MIN), MIN);
}

static void
test_update(void **state)
{
	struct appt_booking	 b;
	struct appt_policy	 pol;

	(void)state;
	now = T0 - 60 * MIN;
	appt_policy_defaults(&pol);
	appt = booking(&pol, now, 2);
	assert_int_equal(appt_tick(appt, T0 - 14 * MIN, &sink), APPT_ACT_JOIN);
	appt_free(appt);

	caps_reset();
	appt = booking(&pol, now, 2);
	b = a1(T0 + 60 * MIN, 1);		/* moved an hour later */
	pol.early_join_ms = 5 * MIN;
	appt_update(appt, &b, &pol);
	assert_int_equal(appt_tick(appt, T0 - 14 * MIN, &sink), 0);
	assert_int_equal(appt_tick(appt, T0 + 54 * MIN, &sink), 0);
	assert_int_equal(appt_tick(appt, T0 + 55 * MIN, &sink), APPT_ACT_JOIN);
	assert_string_equal(appt_uid(appt), "appt:A1");
	assert_string_equal(appt_id(appt), "A1");
	assert_string_equal(appt_room(appt), "room1");
	appt_free(NULL);
}

/* Hostile names travel as JSON, never break it. */
static void
test_hostile_names(void **state)
{
	char		 nick[2048];
	json_t		*j;
	size_t		 i;

	(void)state;
	memset(nick, 'x', sizeof(nick) - 1);
	nick[sizeof(nick) - 1] = '\0';
	memcpy(nick, "\"}\xff\xfe'); --", 11);
	cg = person("id:zz", "zz", "caregiver", nick);
	appt = booked(NULL, now, 2);
	join(appt, &cg, T0);
	assert_true(alerts("unexpected_participant", NULL, "raised") == 1);
	for (i = 0; i < ncaps; i++) {
		if (caps[i].data == NULL)
			continue;
		j = json_loads(caps[i].data, 0, NULL);
		assert_non_null(j);
		json_decref(j);
	}
}

/* A daemon restart mid-appointment: go on from what was recorded. */
static void
test_resume(void **state)
{
	static const struct appt_seen seen[] = {
		{ "id:cg-1", "cg-1", "Dr Alice", "caregiver", T0 - MIN },
		{ "id:pt-1", "pt-1", "Bob", "patient", T0 + 2 * MIN }
	};
	struct appt_booking	 b;
	struct appt_policy	 pol;

	(void)state;
	now = T0 + 10 * MIN;
	appt_policy_defaults(&pol);
	a1_session();
	b = a1(T0, 2);
	b.resumed = 1;
	b.base_billable_ms = 5 * MIN;
	b.base_wait_ms = MIN;
	b.seen = seen;
	b.nseen = 2;
	appt = appt_new(&b, &pol, now);
	assert_int_equal(appt_tick(appt, now, &sink), APPT_ACT_JOIN);
	assert_string_equal(appt_session(appt)->status, "active");
	join(appt, &cg, T0 + 11 * MIN);
	join(appt, &pt, T0 + 11 * MIN);
	/* Already active: no second scheduled -> active. */
	assert_int_equal(count(EVENT_APPOINTMENT_STATUS), 0);
	/* Punctuality from the first join the previous run saw. */
	assert_att("id:pt-1", "late_minutes", "2");
	run(appt, &now, T0 + 31 * MIN);
	assert_int_equal(alerts("no_show", NULL, "raised"), 0);
	both_leave(&pt, &cg, T0 + 30 * MIN);
	assert_final("completed", "");
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->billable_s,
	    (5 + 19) * 60);
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->wait_s, 60);
	appt_free(appt);

	/* Resumed after its end: not "not observed"; nobody back, it ends. */
	caps_reset();
	now = T0 + 40 * MIN;
	appt = appt_new(&b, &pol, now);
	assert_int_equal(appt_tick(appt, now, &sink), APPT_ACT_JOIN);
	run(appt, &now, T0 + 43 * MIN);
	assert_int_equal(appt_phase(appt), APPT_DONE);
	assert_final("completed", "");
	assert_int_equal(last(EVENT_APPOINTMENT_STATUS)->billable_s, 5 * 60);
}

/* The room re-created mid-appointment: room.c counts from zero again. */
static void
test_second_session(void **state)
{
	struct appt_policy pol;

	(void)state;
	appt_policy_defaults(&pol);
	pol.enable_chat = 0;
	appt = booked(&pol, now, 2);
	join(appt, &cg, T0);
	cg.messages_sent = 2;
	pev(appt, EVENT_CHAT_MESSAGE, T0 + 1000, &cg, NULL);
	leave(appt, &cg, T0 + MIN, "disconnect");
	join(appt, &cg, T0 + MIN + 1000);
	leave(appt, &cg, T0 + 2 * MIN, "disconnect");
	assert_int_equal(alerts("repeated_disconnects", NULL, "raised"), 0);
	/* A new session: a fresh record, counters from zero. */
	room_sess.uid = "appt:A1/2";
	cg = caregiver();
	join(appt, &cg, T0 + 3 * MIN);
	assert_int_equal(alerts("chat_disabled", NULL, "cleared"), 0);
	leave(appt, &cg, T0 + 4 * MIN, "disconnect");
	/* Two disconnects before, one now: three in the window. */
	assert_int_equal(alerts("repeated_disconnects", "id:cg-1", "raised"),
	    1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window_opens, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_completed_billable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_patient_wait, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nobody_came, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_caregiver_no_show, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_patient_no_show, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ended_early_and_overrun,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_technical_failure,
		    setup_booked, teardown),
		cmocka_unit_test_setup_teardown(test_no_overlap,
		    setup_booked, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_not_observed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles_unknown, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_roster_match_and_unexpected, setup_booked, teardown),
		cmocka_unit_test_setup_teardown(test_merged_tab, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connection_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_feature_rules, setup,
		    teardown),
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test_setup_teardown(test_out_of_order,
		    setup_booked, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_session, setup,
		    teardown),
	};

	log_init(0, "test_appt");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
