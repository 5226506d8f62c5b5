/*
 * HTML building blocks of the dashboard's pages: the layout (head, nav,
 * footer), tables of report rows with their links, filter forms.  Pure:
 * rows in, markup appended to a struct wbuf.
 */
#ifndef TELETRACK_PAGE_H
#define TELETRACK_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "webutil.h"

/* How pages are rendered: served, or one self-contained file. */
struct page_ctx {
	int		 standalone;	/* inline CSS, no script, no nav */
	const char	*generated;	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	/* standalone: the sessions whose pages the file holds (links) */
	const int64_t	*included;
	size_t		 nincluded;
};

/*
 * Open a page: doctype, head (title escaped; the stylesheet linked, or
 * inlined when standalone), the navigation with nav ("now", "sessions",
 * "reports" or NULL) marked current, and <main>.  live: the Now view,
 * refreshed by the script.
 */
void	 page_begin(struct wbuf *, const struct page_ctx *, const char *title,
	    const char *nav, int live);

/* Close <main> and the page. */
void	 page_end(struct wbuf *, const struct page_ctx *);

/*
 * Append the href of session id's page (with the quotes) and return 1,
 * or append nothing and return 0 when the page is not reachable (a
 * standalone file that does not hold it).
 */
int	 page_session_href(struct wbuf *, const struct page_ctx *, int64_t id);

/* Link columns a table may have. */
#define PAGE_ID_IS_SESSION	0x01	/* column "id" is a session id */
#define PAGE_NO_FILTER_LINKS	0x02	/* no room/caregiver links */
#define PAGE_PARTICIPANT_LINKS	0x04	/* "id" and "participant" (row
					   ids) link to #p-ID on the page */

struct page_table {
	const char	*id;		/* element id, or NULL */
	const char	*caption;	/* escaped; NULL: none */
	int		 flags;		/* PAGE_* */
	const char *const *hide;	/* columns not shown, NULL-ended */
	/* Sortable headers (the sessions view): sort keys by column. */
	const char *const *sortcols;	/* pairs: column, key; NULL-ended */
	const char	*sortbase;	/* path the sort links go to */
	const struct report_filter *filter;
	int		 limit;
};

/*
 * A table of rows: one <th> per column (a sort link where t->sortcols
 * names it), one <tr> per row with data-col on every cell; NULL shows as
 * "-", timestamps as <time>, numbers right-aligned, status and quality
 * as badges, session ids, rooms and caregivers as links.  No rows: a
 * "nothing" paragraph instead.
 */
void	 page_table(struct wbuf *, const struct page_ctx *,
	    const struct report_rows *, const struct page_table *t);

/* One cell's content (no <td>), formatted as page_table() does. */
void	 page_cell(struct wbuf *, const struct page_ctx *, const char *col,
	    const struct report_cell *, int flags);

/*
 * The filter form of the list views (GET to action): dates, status,
 * room, caregiver, quality, limit, keeping f's values.
 */
void	 page_filter_form(struct wbuf *, const char *action,
	    const struct report_filter *f, int limit);

/* " CSV · JSON" links to the API path with f's query; nothing standalone. */
void	 page_export_links(struct wbuf *, const struct page_ctx *,
	    const char *api, const struct report_filter *f, int limit);

/* Append an ISO time as "YYYY-MM-DD HH:MM:SS" in a <time> element. */
void	 page_time(struct wbuf *, const char *iso);

/* Seconds as "1 h 02 min", "3 min 20 s", "12 s". */
void	 page_duration(struct wbuf *, int64_t seconds);

#endif
