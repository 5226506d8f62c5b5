/*
 * The dashboard's views: Now, Sessions, one Session, Reports.  Each
 * reads its rows through report.c (the queries of `teletrack report`)
 * and renders them as HTML (page.c, timeline.c, chart.c) or JSON.  Used
 * by the server (serve.c) and by `teletrack report html` (one file).
 */
#ifndef TELETRACK_VIEWS_H
#define TELETRACK_VIEWS_H

#include <stdint.h>

#include "page.h"
#include "report.h"
#include "webutil.h"

struct db;
struct json_t;

#define VIEW_PAGE_LIMIT	200	/* rows per table without ?limit= */

/*
 * Page bodies (no page_begin()/page_end(): the caller frames them, and
 * the HTML file puts several in one page).  Return 0, or -1 when a query
 * failed (logged; the body says so).  view_session_body() returns 1 when
 * there is no session id.  now_ms: "today" and the end of what still
 * runs.
 */
int	 view_now_body(struct db *, const struct page_ctx *, int64_t now_ms,
	    struct wbuf *);
int	 view_sessions_body(struct db *, const struct page_ctx *,
	    const struct report_filter *, int limit, struct wbuf *);
int	 view_session_body(struct db *, const struct page_ctx *, int64_t id,
	    int64_t now_ms, struct wbuf *);
int	 view_reports_body(struct db *, const struct page_ctx *,
	    const struct report_filter *, int limit, struct wbuf *);

/*
 * The rows of list name ("sessions", "billing", "problems",
 * "caregivers", "attendance", "alerts", "daily", "quality", "noshow")
 * with filter f, or NULL (unknown name: *known = 0; query error: logged,
 * *known = 1).  report_rows_free() frees them.
 */
struct report_rows *view_list(struct db *, const char *name,
	    const struct report_filter *f, int limit, int *known);

/*
 * JSON documents (json_decref() frees them), or NULL on a query error
 * (logged); view_session_json() sets *found to 0 when there is no such
 * session.
 */
struct json_t	*view_now_json(struct db *, int64_t now_ms);
struct json_t	*view_session_json(struct db *, int64_t id, int64_t now_ms,
	    int *found);

/* rows as a JSON array of objects, typed as `teletrack report -f json`. */
struct json_t	*view_rows_json(const struct report_rows *);

/* "YYYY-MM-DD" of now_ms (UTC) into day (>= 11 bytes). */
void	 view_day(int64_t now_ms, char *day, size_t sz);

#endif
