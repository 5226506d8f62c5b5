/*
 * The meeting_settings table (settings.h): one row per column, in the
 * schema's order, with its default, its help as `teletrack settings
 * show` prints it, and what reads it.  A setting nothing reads does not
 * belong here: storage/schema/003_unused_settings.sql dropped the five
 * that had no effect (issue 11).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "log.h"
#include "settings.h"
#include "text.h"

#define REAL_MAX	1e9	/* beyond: a typo */
#define QUOTE_MAX	48	/* of a value in messages */

#define SI(f)	SETTING_INT, offsetof(struct settings, f), 0
#define SR(f)	SETTING_REAL, offsetof(struct settings, f), 0
#define ST(f)	SETTING_TEXT, offsetof(struct settings, f), \
		    sizeof(((struct settings *)0)->f)

#define APPT	"the appointment tracker (appt.c)"
#define ALERT	"the appointment tracker's alert rules (appt_rules.c)"

const struct setting settings_table[] = {
	{ "default_duration", SR(default_duration), "60",
	    "minutes booked when a schedule entry gives none",
	    "schedule add/import; the daemon's schedule read (bookings.c)" },
	{ "allow_early_join_minutes", SR(allow_early_join_minutes), "15",
	    "the observer joins this long before the start", APPT },
	{ "max_late_join_minutes", SR(max_late_join_minutes), "30",
	    "after start + this, a missing participant is a no-show", APPT },
	{ "max_meeting_duration", SR(max_meeting_duration), "180",
	    "the longest appointment, in minutes, that schedule add and "
	    "import accept (0: no limit)", "schedule add/import (schedule.c)" },
	{ "auto_end_after_minutes", SR(auto_end_after_minutes), "30",
	    "an empty appointment ends after this long",
	    APPT "; the restart repair (db_repair.c)" },
	{ "record_meetings", SI(record_meetings), "0",
	    "1: a recording is expected", ALERT },
	{ "enable_chat", SI(enable_chat), "1",
	    "0: chat use raises an alert", ALERT },
	{ "enable_screen_share", SI(enable_screen_share), "1",
	    "0: screen sharing raises an alert", ALERT },
	{ "enable_recording", SI(enable_recording), "1",
	    "0: a recording raises an alert", ALERT },
	{ "max_participants", SI(max_participants), "2",
	    "alert: more participants than this present at once (0: no "
	    "limit)", "the alert rule too_many_participants (appt_rules.c)" },
	{ "quality_fair_per_hour", SR(quality_fair_per_hour), "2.0",
	    "connection incidents per hour for 'fair'",
	    "the room tracker (room.c)" },
	{ "quality_poor_per_hour", SR(quality_poor_per_hour), "6.0",
	    "connection incidents per hour for 'poor'",
	    "the room tracker (room.c)" },
	{ "late_grace_minutes", SR(late_grace_minutes), "5",
	    "joining later than start + this is late", APPT },
	{ "left_early_grace_minutes", SR(left_early_grace_minutes), "5",
	    "leaving before end - this is leaving early", APPT },
	{ "overrun_grace_minutes", SR(overrun_grace_minutes), "5",
	    "staying past end + this is overrunning", APPT },
	{ "alert_caregiver_absent_minutes",
	    SR(alert_caregiver_absent_minutes), "5",
	    "alert: no caregiver this long after the start", ALERT },
	{ "alert_patient_waiting_minutes", SR(alert_patient_waiting_minutes),
	    "5", "alert: a patient alone this long", ALERT },
	{ "alert_drop_minutes", SR(alert_drop_minutes), "2",
	    "alert: dropped and not back within this", ALERT },
	{ "alert_disconnects", SI(alert_disconnects), "3",
	    "alert: this many disconnects within the window", ALERT },
	{ "alert_disconnect_window_minutes",
	    SR(alert_disconnect_window_minutes), "15",
	    "the window for alert_disconnects", ALERT },
	{ "alert_recording_missing_minutes",
	    SR(alert_recording_missing_minutes), "5",
	    "alert: expected recording not started this long into the "
	    "meeting", ALERT },
	{ "alert_rules", ST(alert_rules), "all",
	    "'all', or the rules to raise, comma-separated", ALERT },
	{ "alert_admin_jids", ST(alert_admin_jids), "",
	    "XMPP addresses alerts are sent to, comma-separated",
	    "alert delivery (notify.c)" },
	{ "caregiver_role", ST(caregiver_role), "caregiver",
	    "the participant role of caregivers",
	    APPT "; schedule import (CHAIR, caregiver_id)" },
	{ "patient_role", ST(patient_role), "patient",
	    "the participant role of patients",
	    APPT "; schedule import (REQ-PARTICIPANT, patient_id)" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

const struct setting *
settings_find(const char *name)
{
	const struct setting *c;

	for (c = settings_table; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *
settings_type_name(enum setting_type t)
{
	return t == SETTING_INT ? "int" : t == SETTING_REAL ? "real" : "text";
}

/* A plain decimal number (no sign, blanks, hex, inf or nan), or -1. */
static int
number(const char *s, int integer, double *v)
{
	char	*end;

	if ((*s < '0' || *s > '9') && (integer || *s != '.'))
		return -1;
	if (strpbrk(s, "xX") != NULL || (integer && strpbrk(s, ".eE") != NULL))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

int
settings_parse(const struct setting *c, const char *value,
    struct settings *s, char *err, size_t errsz)
{
	char	*base = (char *)s, q[QUOTE_MAX];
	double	 v, max;
	int	 integer;

	switch (c->type) {
	case SETTING_INT:
	case SETTING_REAL:
		integer = c->type == SETTING_INT;
		max = integer ? INT32_MAX : REAL_MAX;
		if (number(value, integer, &v) == -1 || v > max) {
			seterr(err, errsz, integer ? "%s: %s: not a whole "
			    "number from 0 to %.0f" : "%s: %s: not a number "
			    "from 0 to %g", c->name, log_escape(q, sizeof(q),
			    value), max);
			return -1;
		}
		if (s != NULL && integer)
			*(int *)(base + c->off) = (int)v;
		else if (s != NULL)
			*(double *)(base + c->off) = v;
		break;
	case SETTING_TEXT:
		if (text_check(c->name, value, c->size - 1,
		    TEXT_SPACES | TEXT_EMPTY, err, errsz) == -1)
			return -1;
		if (s != NULL)
			snprintf(base + c->off, c->size, "%s", value);
		break;
	}
	return 0;
}

void
settings_defaults(struct settings *s)
{
	const struct setting *c;

	memset(s, 0, sizeof(*s));
	for (c = settings_table; c->name != NULL; c++)
		if (settings_parse(c, c->def, s, NULL, 0) == -1)
			fatalx("%s: bad default for %s", __func__, c->name);
}

void
settings_policy(const struct settings *s, struct appt_policy *p)
{
#define MS(m)	((int64_t)((m) * 60000.0))
	memset(p, 0, sizeof(*p));
	p->early_join_ms = MS(s->allow_early_join_minutes);
	p->late_join_ms = MS(s->max_late_join_minutes);
	p->auto_end_ms = MS(s->auto_end_after_minutes);
	p->late_grace_ms = MS(s->late_grace_minutes);
	p->left_early_grace_ms = MS(s->left_early_grace_minutes);
	p->overrun_grace_ms = MS(s->overrun_grace_minutes);
	p->caregiver_absent_ms = MS(s->alert_caregiver_absent_minutes);
	p->patient_wait_ms = MS(s->alert_patient_waiting_minutes);
	p->drop_ms = MS(s->alert_drop_minutes);
	p->disconnect_window_ms = MS(s->alert_disconnect_window_minutes);
	p->recording_missing_ms = MS(s->alert_recording_missing_minutes);
#undef MS
	p->disconnects = s->alert_disconnects;
	p->enable_chat = s->enable_chat;
	p->enable_screen_share = s->enable_screen_share;
	p->enable_recording = s->enable_recording;
	p->record_meetings = s->record_meetings;
	p->max_participants = s->max_participants;
	snprintf(p->caregiver_role, sizeof(p->caregiver_role), "%s",
	    s->caregiver_role);
	snprintf(p->patient_role, sizeof(p->patient_role), "%s",
	    s->patient_role);
	snprintf(p->rules, sizeof(p->rules), "%s", s->alert_rules);
}

const struct setting *
settings_split(const char *kv, const char **value, char *err, size_t errsz)
{
	const struct setting *c;
	const char	*eq;
	char		*key, q[QUOTE_MAX];

	if ((eq = strchr(kv, '=')) == NULL) {
		seterr(err, errsz, "%s: expected KEY=VALUE",
		    log_escape(q, sizeof(q), kv));
		return NULL;
	}
	key = text_dupn(kv, (size_t)(eq - kv));
	if ((c = settings_find(key)) == NULL)
		seterr(err, errsz, "%s: no such setting (see teletrack "
		    "settings show)", log_escape(q, sizeof(q), key));
	free(key);
	*value = eq + 1;
	return c;
}

int
settings_check(const char *kv, char *err, size_t errsz)
{
	const struct setting *c;
	const char	*value;

	if ((c = settings_split(kv, &value, err, errsz)) == NULL)
		return -1;
	return settings_parse(c, value, NULL, err, errsz);
}
