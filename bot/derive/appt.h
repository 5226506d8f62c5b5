/*
 * One scheduled appointment against what happened in its room: the
 * lifecycle (scheduled -> active -> completed | failed | cancelled, with
 * a reason), attendance per participant against the booking, billable
 * time (a caregiver and a patient present together), the time a patient
 * waited alone, and the alert rules.
 *
 * Pure, like room.c: no I/O and no clock.  The caller feeds it the
 * events room.c emits for the appointment's room sessions (appt_event)
 * and the time (appt_tick); what it derives goes out as events to the
 * sink given to each call.
 */
#ifndef TELETRACK_APPT_H
#define TELETRACK_APPT_H

#include <stddef.h>
#include <stdint.h>

#include "booking.h"
#include "event.h"

struct appt;

enum appt_phase {
	APPT_PENDING,	/* before the early-join window */
	APPT_OPEN,	/* window open: the room is wanted, nobody yet */
	APPT_ACTIVE,	/* somebody joined */
	APPT_DONE	/* completed, failed or cancelled */
};

/* What the caller should do after appt_tick(); bit flags. */
#define APPT_ACT_JOIN		0x01	/* be in the room */
#define APPT_ACT_END		0x02	/* over: leave the room, then call
					   appt_end() */

/*
 * The alert rules, from the tracker's rule table in the order they are
 * evaluated: the i-th rule's name (as meeting_settings.alert_rules names
 * it) and severity ("critical", "warning", "info"); NULL past the last.
 */
const char	*appt_rule_name(size_t i);
const char	*appt_rule_severity(size_t i);

/* Fill p with the defaults of meeting_settings. */
void		 appt_policy_defaults(struct appt_policy *p);

/*
 * A tracker for booking b under policy p, created at now.  A booking
 * whose end passed before the tracker existed was never observed: it is
 * failed with reason "not_observed" at the first appt_tick().
 */
struct appt	*appt_new(const struct appt_booking *b,
		    const struct appt_policy *p, int64_t now);
void		 appt_free(struct appt *);	/* NULL is fine */

/*
 * The booking or policy changed (rescheduled, roster edited, settings
 * changed).  Start, duration and roster apply until the appointment is
 * done; the policy applies at once.
 */
void		 appt_update(struct appt *, const struct appt_booking *b,
		    const struct appt_policy *p);

const char	*appt_uid(const struct appt *);
const char	*appt_id(const struct appt *);
const char	*appt_room(const struct appt *);
enum appt_phase	 appt_phase(const struct appt *);
/* The appointment's session row as last emitted (status, figures). */
const struct session_rec *appt_session(const struct appt *);

/*
 * An event room.c emitted for a session of this appointment's room while
 * the appointment was attached (ev->session->appointment_id matches).
 */
void		 appt_event(struct appt *, const struct event *ev,
		    const struct event_sink *);

/*
 * Time passes: windows open, rules fire.  Returns APPT_ACT_JOIN while the
 * room is wanted, APPT_ACT_END once the appointment is over by the rules
 * (its outcome decided).  The caller then leaves the room, so room.c's
 * closing snapshot of the session comes first, and calls appt_end(),
 * which emits the outcome: the last word on the session row.
 */
int		 appt_tick(struct appt *, int64_t now,
		    const struct event_sink *);

/* After APPT_ACT_END: clear the alerts, emit the outcome; DONE. */
void		 appt_end(struct appt *, int64_t now,
		    const struct event_sink *);

/*
 * Cancelled from outside (the schedule says so): DONE with status
 * "cancelled", open alerts cleared.  Nothing when already done.  Leave
 * the room first, as for appt_end().
 */
void		 appt_cancel(struct appt *, int64_t now, const char *reason,
		    const struct event_sink *);

/* Billable and patient-waiting time up to now, in ms. */
int64_t		 appt_billable_ms(const struct appt *, int64_t now);
int64_t		 appt_patient_wait_ms(const struct appt *, int64_t now);

/* Number of alerts open now. */
size_t		 appt_open_alerts(const struct appt *);

#endif
