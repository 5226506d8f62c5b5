/*
 * Internals shared by the appointment tracker's files; nothing outside
 * bot/derive/appt*.c includes this.  appt.h is the contract; the tracker
 * is cut in three:
 *
 *   appt.c		the lifecycle (phases, the outcome and its reason),
 *			the participants it knows, the session row it
 *			mirrors, attendance rows and the public calls:
 *			events in, events out
 *   appt_presence.c	who is who and who was there when: the roster and
 *			roles, each participant's presence intervals and
 *			disconnects, the lobby, and the sweep that turns
 *			intervals into billable and waiting time
 *   appt_rules.c	the alert rules as one table, evaluated on every
 *			event and tick, and the open alerts
 *
 * All of it is pure like room.c: no I/O, no clock; times are ms since
 * the epoch, passed in.
 */
#ifndef TELETRACK_APPT_INT_H
#define TELETRACK_APPT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "appt.h"
#include "event.h"

/* Before deciding nobody came, the observer must have looked this long. */
#define APPT_SETTLE_MS	10000

/* A role as the policy names them (caregiver_role, patient_role). */
enum cat { CAT_OTHER, CAT_CAREGIVER, CAT_PATIENT };

struct ival {
	int64_t		 start;
	int64_t		 end;		/* 0: still present */
};

/* A participant: room.c's key, so a reconnect is the same person. */
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

/* A roster entry, copied from the booking. */
struct member {
	char		*id;
	char		*role;
	char		*name;
};

struct rule;	/* a row of appt_rules.c's table */

/* One alert per (rule, subject), kept once it first held. */
struct alert {
	const struct rule *rule;
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

/* What the sweep over presence intervals found, up to a time. */
struct sweep {
	int64_t		 billable;	/* ms together */
	int64_t		 wait;		/* ms a patient without caregiver,
					   or in the lobby */
	int64_t		 last_apart;	/* together ended last; 0: never */
};

static inline int64_t
end_ms(const struct appt *a)
{
	return a->start + a->dur;
}

/* Seen here, or by the run before a restart. */
static inline int
ever_joined(const struct ap *p)
{
	return p->first_join > 0;
}

/* appt.c */
void	 str_set(char **dst, const char *src);
const struct session_rec *mirror(struct appt *, int64_t now);

/* appt_presence.c */
void	 roster_copy(struct appt *, const struct appt_booking *);
void	 roster_free(struct appt *);
enum cat role_cat(const struct appt *, const char *role);
void	 ap_classify(const struct appt *, struct ap *, const char *observed);
void	 ap_track(struct appt *, struct ap *, const struct event *);
void	 lobby_event(struct appt *, const struct event *);
int	 lobby_waiting(const struct appt *);
void	 present_counts(const struct appt *, int *caregivers,
	    int *patients);
int	 cat_seen(const struct appt *, enum cat);
void	 sweep(const struct appt *, int64_t now, struct sweep *);

/* appt_rules.c */
void	 rules_evaluate(struct appt *, int64_t now,
	    const struct event_sink *);
int	 no_show_due(const struct appt *, int64_t now);
void	 alerts_clear(struct appt *, const char *subject, const char *why,
	    int64_t now, const struct event_sink *);

#endif
