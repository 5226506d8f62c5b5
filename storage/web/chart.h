/*
 * Charts drawn on the server as inline SVG (no script, printable, fine
 * in a mailed file): sessions per day stacked by outcome, and horizontal
 * bars (quality distribution, no-show rate per caregiver).  Pure.
 */
#ifndef TELETRACK_CHART_H
#define TELETRACK_CHART_H

#include "report.h"
#include "webutil.h"

/* report_daily_outcomes() rows (day, status, sessions) as stacked bars. */
void	 chart_daily(struct wbuf *, const struct report_rows *);

/* report_quality_counts() rows (quality, sessions) as bars. */
void	 chart_quality(struct wbuf *, const struct report_rows *);

/*
 * report_noshow_rates() rows (participant_id, name, booked, no_shows,
 * no_show_percent) as bars of the percentage.
 */
void	 chart_noshow(struct wbuf *, const struct report_rows *);

#endif
