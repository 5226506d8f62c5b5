/*
 * The schedule as the daemon sees it: the appointments near now, read
 * from teleconferencesessions and their rosters, and the policy from
 * meeting_settings.  The daemon re-reads both every few seconds, so a
 * booking written by `teletrack schedule` or straight by the scheduling
 * app is picked up without a restart.
 */
#ifndef TELETRACK_BOOKINGS_H
#define TELETRACK_BOOKINGS_H

#include <stddef.h>
#include <stdint.h>

#include "booking.h"

struct db;

struct booking {
	struct appt_booking	 b;	/* strings point into strs */
	const char		*status;	/* scheduled, active,
						   cancelled */
	const char		*status_reason;
	char			**own;		/* the strings, owned */
	size_t			 nown;
	struct appt_member	*roster;	/* owned */
	struct appt_seen	*seen;		/* owned; resumed only */
};

struct bookings {
	struct booking		*v;
	size_t			 n;
	struct appt_policy	 pol;
	char			 admin_jids[1024];
	double			 quality_fair_per_hour;
	double			 quality_poor_per_hour;
};

/*
 * Read the appointments whose scheduled start lies within [now - 1 day,
 * now + horizon_ms] and whose status is scheduled, active or cancelled,
 * ordered by start, and the policy (meeting_settings).  With a shard,
 * only the bookings no shard has taken yet and those this one took
 * (claim.c).  Room JIDs are room@muc_domain.  A row without a duration
 * gets meeting_settings.default_duration; a row whose start is not a
 * time is skipped with a warning.  Returns 0, or -1 with out empty and
 * the database's error recorded (not logged: the daemon polls every few
 * seconds and logs an outage once).  An 'active' row is one a previous
 * run was observing: it comes with b.resumed, its billable and waiting
 * time so far and the participants it saw.  bookings_clear() frees out.
 */
int	bookings_load(struct db *db, int64_t now_ms, int64_t horizon_ms,
	    const char *muc_domain, const char *shard, struct bookings *out);
void	bookings_clear(struct bookings *);

#endif
