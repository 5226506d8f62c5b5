/*
 * /metrics: the Prometheus text exposition format (version 0.0.4) of the
 * database's figures and the daemon's live ones from its status file
 * (see the status file contract in the README).  Pure: counts and the
 * status file's text in, exposition out; the clock is an argument.
 */
#ifndef TELETRACK_METRICS_H
#define TELETRACK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "webutil.h"

#define METRICS_STALE_MS	10000	/* status older than this: down */

/* The database's figures (report.c rows; any may be NULL: left out). */
struct metrics_db {
	const struct report_rows	*live;		/* report_live_counts */
	const struct report_rows	*statuses;	/* report_status_counts */
	const struct report_rows	*events;	/* report_event_counts */
	const struct report_rows	*alerts;	/* report_alert_counts */
};

/*
 * Append the exposition.  status is the status file's text (NULL: no
 * file); when it is missing, unparsable or older than
 * METRICS_STALE_MS at now_ms, teletrack_up is 0 and the daemon's
 * figures are left out.
 */
void	 metrics_write(struct wbuf *, const struct metrics_db *,
	    const char *status, int64_t now_ms);

/* Append v as a label value: backslash, quote and newline escaped. */
void	 metrics_label(struct wbuf *, const char *v);

#endif
