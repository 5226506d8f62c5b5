/*
 * The dashboard's four views, between report.c (rows) and the two
 * front ends (serve.c over HTTP, html_report.c into one file):
 *
 *   Now       active sessions and today's appointments with who is
 *             present, open alerts (the page refreshes itself)
 *   Sessions  the filtered, sortable session list
 *   Session   one session: figures, the timeline, every column of its
 *             participant rows and of its row, roster, alerts, events
 *   Reports   billing, problems, caregivers, attendance, alerts, and the
 *             charts (sessions per day by outcome, quality, no-shows)
 *
 * Every figure comes from a report.c function, the same ones `teletrack
 * report` prints, and JSON is `teletrack report -f json`'s rendering of
 * the same rows, so the CLI, the pages and the API cannot disagree.
 * About 800 lines: four views, each its HTML and its JSON side by side
 * (the timeline and the charts are apart: timeline.c, chart.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "chart.h"
#include "event.h"
#include "log.h"
#include "report_cli.h"
#include "timeline.h"
#include "views.h"
#include "xmalloc.h"

void
view_day(int64_t now_ms, char *day, size_t sz)
{
	struct tm	 tm;
	time_t		 t = (time_t)(now_ms / 1000);

	gmtime_r(&t, &tm);
	strftime(day, sz, "%Y-%m-%d", &tm);
}

/* A big number with a caption. */
static void
figure(struct wbuf *b, const char *id, const char *caption, const char *n)
{
	wbuf_printf(b, "<div class=\"figure\" id=\"%s\"><span class=\"n\">",
	    id);
	if (n != NULL && strlen(n) >= 19 && n[10] == 'T')
		page_time(b, n);
	else
		wbuf_html(b, n != NULL ? n : "-");
	wbuf_printf(b, "</span>%s</div>\n", caption);
}

static void
figure_int(struct wbuf *b, const char *id, const char *caption, long long n)
{
	char	 t[32];

	snprintf(t, sizeof(t), "%lld", n);
	figure(b, id, caption, t);
}

/*
 * r as table id (NULL: none) with flags PAGE_* and without the columns
 * in hide (NULL-ended; NULL: none), the other options unset.
 */
static void
table(struct wbuf *b, const struct page_ctx *ctx, const struct report_rows *r,
    const char *id, int flags, const char *const *hide)
{
	struct page_table	 t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	t.flags = flags;
	t.hide = hide;
	page_table(b, ctx, r, &t);
}

static void
failed(struct wbuf *b)
{
	wbuf_puts(b, "<p class=\"error\">A query failed; the server log "
	    "says why.</p>\n");
}

/*
 * Now
 */

/* One active session as a card: who is present, who is awaited. */
static void
now_card(struct wbuf *b, const struct page_ctx *ctx,
    const struct report_rows *now, size_t i, const struct report_rows *pres)
{
	int64_t		 id = report_get_int(now, i, "id");
	const char	*t;
	size_t		 k, n = 0;
	int		 link;

	wbuf_printf(b, "<article class=\"card\" data-session=\"%lld\">"
	    "<h3>", (long long)id);
	wbuf_puts(b, "<a href=");
	if ((link = page_session_href(b, ctx, id)) != 0)
		wbuf_puts(b, ">");
	else {
		b->len -= strlen("<a href=");
		b->s[b->len] = '\0';
	}
	wbuf_html(b, (t = report_get(now, i, "room")) != NULL ? t : "?");
	if (link)
		wbuf_puts(b, "</a>");
	wbuf_puts(b, "</h3>\n<p class=\"muted\">");
	if ((t = report_get(now, i, "appointment")) != NULL) {
		wbuf_puts(b, "appointment ");
		wbuf_html(b, t);
		wbuf_puts(b, " \xc2\xb7 ");
	}
	if ((t = report_get(now, i, "start")) != NULL) {
		wbuf_puts(b, "started ");
		page_time(b, t);
	}
	if ((t = report_get(now, i, "quality")) != NULL) {
		wbuf_puts(b, " \xc2\xb7 quality ");
		wbuf_html(b, t);
	}
	if ((t = report_get(now, i, "recording")) != NULL &&
	    strcmp(t, "not_recorded") != 0) {
		wbuf_puts(b, " \xc2\xb7 recording: ");
		wbuf_html(b, t);
	}
	wbuf_puts(b, "</p>\n<ul class=\"present\">\n");
	for (k = 0; pres != NULL && k < pres->nrows; k++) {
		if (report_get_int(pres, k, "session_id") != id)
			continue;
		n++;
		wbuf_printf(b, "<li data-participant=\"%lld\">",
		    (long long)report_get_int(pres, k, "id"));
		if (!ctx->standalone)
			wbuf_printf(b, "<a href=\"/sessions/%lld#p-%lld\">",
			    (long long)id,
			    (long long)report_get_int(pres, k, "id"));
		wbuf_html(b, report_get(pres, k, "name"));
		if (!ctx->standalone)
			wbuf_puts(b, "</a>");
		wbuf_puts(b, " <span class=\"muted\">(");
		wbuf_html(b, report_get(pres, k, "role"));
		wbuf_puts(b, ")");
		if (report_get_int(pres, k, "mic"))
			wbuf_puts(b, " \xc2\xb7 mic");
		if (report_get_int(pres, k, "camera"))
			wbuf_puts(b, " \xc2\xb7 camera");
		if (report_get_int(pres, k, "screen"))
			wbuf_puts(b, " \xc2\xb7 shared screen");
		if (report_get_int(pres, k, "disconnections") > 0)
			wbuf_printf(b, " \xc2\xb7 %lld drop(s)",
			    (long long)report_get_int(pres, k,
			    "disconnections"));
		if ((t = report_get(pres, k, "quality")) != NULL) {
			wbuf_puts(b, " \xc2\xb7 ");
			wbuf_html(b, t);
		}
		wbuf_puts(b, "</span></li>\n");
	}
	if (n == 0)
		wbuf_puts(b, "<li class=\"muted\">nobody present</li>\n");
	wbuf_puts(b, "</ul>\n");
	if ((t = report_get(now, i, "awaited")) != NULL) {
		wbuf_puts(b, "<p>Awaited: ");
		wbuf_html(b, t);
		wbuf_puts(b, "</p>\n");
	}
	if (report_get_int(now, i, "open_alerts") > 0)
		wbuf_printf(b, "<p class=\"error\">%lld open alert(s)</p>\n",
		    (long long)report_get_int(now, i, "open_alerts"));
	wbuf_puts(b, "</article>\n");
}

int
view_now_body(struct db *db, const struct page_ctx *ctx, int64_t now_ms,
    struct wbuf *b)
{
	static const char *const hide_today[] = { "present", NULL };
	struct report_rows	*now, *pres, *alerts, *today = NULL;
	char			 day[16];
	size_t			 i, j, nactive = 0, npresent = 0;
	int			 rc = 0;

	view_day(now_ms, day, sizeof(day));
	now = report_now(db, day);
	pres = report_present(db, day);
	alerts = report_open_alerts(db);
	if (now == NULL || pres == NULL || alerts == NULL) {
		failed(b);
		rc = -1;
		goto out;
	}
	for (i = 0; i < now->nrows; i++)
		if (strcmp(report_get(now, i, "status"), "active") == 0)
			nactive++;
	for (i = 0; i < pres->nrows; i++)
		for (j = 0; j < now->nrows; j++)
			if (report_get_int(now, j, "id") ==
			    report_get_int(pres, i, "session_id") &&
			    strcmp(report_get(now, j, "status"), "active") == 0)
				npresent++;

	wbuf_puts(b, "<h1>Now</h1>\n<div class=\"figures\">\n");
	figure_int(b, "active-sessions", "active meetings",
	    (long long)nactive);
	figure_int(b, "participants-present", "participants present",
	    (long long)npresent);
	figure_int(b, "open-alerts", "open alerts",
	    (long long)alerts->nrows);
	figure_int(b, "appointments-today", "appointments today",
	    (long long)(now->nrows - nactive));
	wbuf_puts(b, "</div>\n");

	wbuf_puts(b, "<section id=\"active\"><h2>Active meetings</h2>\n");
	if (nactive == 0)
		wbuf_puts(b, "<p class=\"nothing\">No meeting is running."
		    "</p>\n");
	else {
		wbuf_puts(b, "<div class=\"cards\">\n");
		for (i = 0; i < now->nrows; i++)
			if (strcmp(report_get(now, i, "status"), "active") == 0)
				now_card(b, ctx, now, i, pres);
		wbuf_puts(b, "</div>\n");
	}
	wbuf_puts(b, "</section>\n");

	/* Today's appointments not running now: a table of the same rows. */
	today = xcalloc(1, sizeof(*today));
	today->ncols = now->ncols;
	today->cols = now->cols;
	today->cells = xcalloc(now->nrows * now->ncols + 1,
	    sizeof(*today->cells));
	for (i = 0; i < now->nrows; i++)
		if (strcmp(report_get(now, i, "status"), "active") != 0)
			memcpy(&today->cells[today->nrows++ * now->ncols],
			    report_cell(now, i, 0),
			    now->ncols * sizeof(*today->cells));
	wbuf_printf(b, "<section id=\"today\"><h2>Appointments booked for "
	    "today (%s) not running</h2>\n", day);
	table(b, ctx, today, "today-table", PAGE_ID_IS_SESSION, hide_today);
	wbuf_puts(b, "</section>\n");

	wbuf_puts(b, "<section id=\"alerts\"><h2>Open alerts</h2>\n");
	table(b, ctx, alerts, "alerts-table", 0, NULL);
	wbuf_puts(b, "</section>\n");
out:
	if (today != NULL) {
		/* Borrowed cells and columns. */
		free(today->cells);
		free(today);
	}
	report_rows_free(now);
	report_rows_free(pres);
	report_rows_free(alerts);
	return rc;
}

/*
 * Sessions
 */

static const char *const sortcols[] = {
	"start", "start", "room", "room", "status", "status",
	"duration_s", "duration", "participants", "participants",
	"disconnections", "disconnections", "quality", "quality",
	"billable_s", "billable", NULL, NULL
};

int
view_sessions_body(struct db *db, const struct page_ctx *ctx,
    const struct report_filter *f, int limit, struct wbuf *b)
{
	static const char *const hide[] = { "meeting_id", NULL };
	struct report_rows	*r;
	struct page_table	 t;
	size_t			 all;
	int			 n = limit > 0 ? limit : VIEW_PAGE_LIMIT;

	wbuf_puts(b, "<section id=\"sessions\"><h1>Sessions</h1>\n");
	if (!ctx->standalone)
		page_filter_form(b, "/sessions", f, limit);
	page_export_links(b, ctx, "/api/sessions", f, limit);
	if ((r = report_list(db, "sessions", f, n + 1)) == NULL) {
		failed(b);
		wbuf_puts(b, "</section>\n");
		return -1;
	}
	all = r->nrows;
	if (all > (size_t)n) {
		r->nrows = (size_t)n;	/* the extra row only told us */
		wbuf_printf(b, "<p class=\"muted\">The first %d sessions; "
		    "narrow the filter or raise the limit.</p>\n", n);
	}
	memset(&t, 0, sizeof(t));
	t.id = "sessions-table";
	t.flags = PAGE_ID_IS_SESSION;
	t.hide = hide;
	if (!ctx->standalone) {
		t.sortcols = sortcols;
		t.sortbase = "/sessions";
		t.filter = f;
		t.limit = limit;
	}
	page_table(b, ctx, r, &t);
	wbuf_puts(b, "</section>\n");
	r->nrows = all;		/* report_rows_free() frees every row */
	report_rows_free(r);
	return 0;
}

/*
 * One session
 */

/* Every column of row i as a definition list. */
static void
fields(struct wbuf *b, const struct page_ctx *ctx,
    const struct report_rows *r, size_t i, const char *id)
{
	size_t	 j;

	wbuf_printf(b, "<dl class=\"fields\" id=\"%s\">\n", id);
	for (j = 0; j < r->ncols; j++) {
		wbuf_puts(b, "<dt>");
		wbuf_html(b, r->cols[j]);
		wbuf_puts(b, "</dt><dd data-field=\"");
		wbuf_html(b, r->cols[j]);
		wbuf_puts(b, "\">");
		page_cell(b, ctx, r->cols[j], report_cell(r, i, j),
		    PAGE_NO_FILTER_LINKS);
		wbuf_puts(b, "</dd>\n");
	}
	wbuf_puts(b, "</dl>\n");
}

/* What a session's page and its JSON show, read together. */
struct session_data {
	struct report_rows	*s;	/* the session row */
	struct report_rows	*p;	/* participants */
	struct report_rows	*ev;	/* the timeline's events */
	struct report_rows	*al;	/* alerts */
	struct report_rows	*ro;	/* the roster */
	struct report_rows	*evt;	/* every event */
	struct timeline		*tl;	/* NULL: nothing to draw */
};

static void
session_data_free(struct session_data *d)
{
	timeline_free(d->tl);
	report_rows_free(d->s);
	report_rows_free(d->p);
	report_rows_free(d->ev);
	report_rows_free(d->al);
	report_rows_free(d->ro);
	report_rows_free(d->evt);
}

/*
 * Session id's rows into d: 1, 0 when there is no such session, -1 on a
 * database error.  session_data_free() d in every case.
 */
static int
session_data_load(struct db *db, int64_t id, int64_t now_ms,
    struct session_data *d)
{
	memset(d, 0, sizeof(*d));
	if ((d->s = report_session_row(db, id)) == NULL)
		return -1;
	if (d->s->nrows == 0)
		return 0;
	if ((d->p = report_participant_rows(db, id)) == NULL ||
	    (d->ev = report_timeline(db, id)) == NULL ||
	    (d->al = report_session_alerts(db, id)) == NULL ||
	    (d->ro = report_roster(db, id)) == NULL ||
	    (d->evt = report_events(db, id, 0)) == NULL)
		return -1;
	d->tl = timeline_build(d->s, d->p, d->ev, d->al, now_ms);
	return 1;
}

int
view_session_body(struct db *db, const struct page_ctx *ctx, int64_t id,
    int64_t now_ms, struct wbuf *b)
{
	static const char *const part_cols[] = {
		"id", "participant_name", "participant_role", "joined_at", "left_at",
		"left_reason", "session_duration_seconds", "join_count",
		"disconnection_count", "connection_quality",
		"microphone_enabled", "camera_enabled", "screen_shared",
		"spoke_time_seconds", "messages_sent", "device_type",
		"browser", "operating_system", NULL
	};
	struct session_data	 d;
	struct report_rows	*s, *p, *compact = NULL;
	const char		*v;
	size_t			 i, j, k;
	int			 rc = -1, col;
	char			 idbuf[32];

	if ((rc = session_data_load(db, id, now_ms, &d)) != 1) {
		rc = rc == 0 ? 1 : -1;
		goto out;
	}
	s = d.s;	/* read on every line below */
	p = d.p;

	wbuf_printf(b, "<section class=\"session\" id=\"session-%lld\" "
	    "data-session=\"%lld\">\n<h1>Session %lld: ", (long long)id,
	    (long long)id, (long long)id);
	v = report_get(s, 0, "jitsi_room_name");
	wbuf_html(b, v != NULL ? v : "?");
	wbuf_puts(b, " ");
	page_cell(b, ctx, "status", report_cell(s, 0, (size_t)report_col(s,
	    "session_status")), 0);
	wbuf_puts(b, "</h1>\n");
	if (!ctx->standalone) {
		wbuf_printf(b, "<p class=\"exports\">");
		if ((v = report_get(s, 0, "jitsi_room_name")) != NULL) {
			wbuf_puts(b, "<a href=\"/sessions?room=");
			wbuf_url(b, v);
			wbuf_puts(b, "\">Every session in this room</a> "
			    "\xc2\xb7 ");
		}
		wbuf_printf(b, "<a href=\"/api/sessions/%lld\">JSON</a> "
		    "\xc2\xb7 <a href=\"/api/sessions/%lld/events?format=csv\">"
		    "events CSV</a></p>\n", (long long)id, (long long)id);
	}
	wbuf_puts(b, "<div class=\"figures\">\n");
	figure(b, "f-start", "started", report_get(s, 0, "startTime"));
	figure(b, "f-duration", "seconds long",
	    report_get(s, 0, "total_duration_seconds"));
	figure(b, "f-participants", "participants",
	    report_get(s, 0, "participant_count"));
	figure(b, "f-disconnections", "disconnections",
	    report_get(s, 0, "total_disconnections"));
	figure(b, "f-quality", "connection quality",
	    report_get(s, 0, "connection_quality"));
	figure(b, "f-recording", "recording",
	    report_get(s, 0, "recording_status"));
	if (report_get(s, 0, "scheduled_start") != NULL) {
		figure(b, "f-billable", "billable seconds",
		    report_get(s, 0, "billable_seconds"));
		figure(b, "f-reason", "outcome",
		    report_get(s, 0, "status_reason"));
	}
	wbuf_puts(b, "</div>\n");

	wbuf_puts(b, "<h2>Timeline</h2>\n");
	if (d.tl != NULL)
		timeline_svg(b, d.tl);

	/* Participants: the columns people read first, then each row whole. */
	compact = xcalloc(1, sizeof(*compact));
	compact->cols = xcalloc(sizeof(part_cols) / sizeof(part_cols[0]),
	    sizeof(*compact->cols));
	for (k = 0; part_cols[k] != NULL; k++)
		if (report_col(p, part_cols[k]) >= 0)
			compact->cols[compact->ncols++] = (char *)(uintptr_t)
			    part_cols[k];
	compact->cells = xcalloc(p->nrows * compact->ncols + 1,
	    sizeof(*compact->cells));
	for (i = 0; i < p->nrows; i++)
		for (j = 0; j < compact->ncols; j++) {
			col = report_col(p, compact->cols[j]);
			compact->cells[i * compact->ncols + j] =
			    *report_cell(p, i, (size_t)col);
		}
	compact->nrows = p->nrows;
	wbuf_puts(b, "<h2>Participants</h2>\n");
	table(b, ctx, compact, "participants-table",
	    PAGE_NO_FILTER_LINKS | PAGE_PARTICIPANT_LINKS, NULL);
	for (i = 0; i < p->nrows; i++) {
		wbuf_printf(b, "<details class=\"participant\" "
		    "id=\"p-%lld\"><summary>",
		    (long long)report_get_int(p, i, "id"));
		v = report_get(p, i, "participant_name");
		wbuf_html(b, v != NULL ? v : report_get(p, i, "nick"));
		wbuf_puts(b, ": every column</summary>\n");
		snprintf(idbuf, sizeof(idbuf), "pf-%lld",
		    (long long)report_get_int(p, i, "id"));
		fields(b, ctx, p, i, idbuf);
		wbuf_puts(b, "</details>\n");
	}

	if (d.ro->nrows > 0) {
		wbuf_puts(b, "<h2>Roster</h2>\n");
		table(b, ctx, d.ro, "roster-table",
		    PAGE_NO_FILTER_LINKS | PAGE_PARTICIPANT_LINKS, NULL);
	}
	wbuf_puts(b, "<h2>Alerts</h2>\n");
	table(b, ctx, d.al, "session-alerts-table", PAGE_PARTICIPANT_LINKS,
	    NULL);

	wbuf_puts(b, "<h2>Session row</h2>\n");
	fields(b, ctx, s, 0, "session-fields");

	wbuf_puts(b, "<h2>Events</h2>\n");
	table(b, ctx, d.evt, "events-table", PAGE_NO_FILTER_LINKS, NULL);
	wbuf_puts(b, "</section>\n");
	rc = 0;
out:
	if (rc == -1)
		failed(b);
	if (compact != NULL) {
		free(compact->cols);	/* borrowed names and cells */
		free(compact->cells);
		free(compact);
	}
	session_data_free(&d);
	return rc;
}

/*
 * Reports
 */

static const struct {
	const char	*name;
	const char	*title;
} lists[] = {
	{ "sessions", "Sessions" },
	{ "billing", "Billing" },
	{ "problems", "Problem sessions" },
	{ "caregivers", "Caregiver performance" },
	{ "attendance", "Attendance" },
	{ "alerts", "Alerts" },
};
#define NLISTS	(sizeof(lists) / sizeof(lists[0]))

struct report_rows *
view_list(struct db *db, const char *name, const struct report_filter *f,
    int limit, int *known)
{
	const char	*n;
	size_t		 i;

	for (i = 0; (n = report_list_name(i)) != NULL; i++)
		if (strcmp(name, n) == 0)
			break;
	if ((*known = n != NULL) == 0)
		return NULL;
	return report_list(db, name, f, limit);
}

static void
chart_figure(struct wbuf *b, const char *id, const char *title,
    const struct report_rows *r, void (*draw)(struct wbuf *,
    const struct report_rows *), const struct page_ctx *ctx)
{

	wbuf_printf(b, "<figure class=\"chart\" id=\"%s\"><figcaption>%s"
	    "</figcaption>\n", id, title);
	if (r == NULL)
		failed(b);
	else {
		draw(b, r);
		if (r->nrows > 0) {
			wbuf_puts(b, "<details><summary>the numbers</summary>"
			    "\n");
			table(b, ctx, r, NULL, 0, NULL);
			wbuf_puts(b, "</details>\n");
		}
	}
	wbuf_puts(b, "</figure>\n");
}

int
view_reports_body(struct db *db, const struct page_ctx *ctx,
    const struct report_filter *f, int limit, struct wbuf *b)
{
	struct report_rows	*r;
	char			 api[64], tid[64];
	size_t			 i, all;
	int			 n = limit > 0 ? limit : VIEW_PAGE_LIMIT;
	int			 rc = 0;

	wbuf_puts(b, "<section id=\"reports\"><h1>Reports</h1>\n");
	if (!ctx->standalone)
		page_filter_form(b, "/reports", f, limit);
	if (f->from != NULL || f->to != NULL) {
		wbuf_puts(b, "<p class=\"muted\">Sessions from ");
		wbuf_html(b, f->from != NULL ? f->from : "the start");
		wbuf_puts(b, " to ");
		wbuf_html(b, f->to != NULL ? f->to : "today");
		wbuf_puts(b, " (UTC days).</p>\n");
	}

	wbuf_puts(b, "<div class=\"charts\">\n");
	r = report_list(db, "daily", f, 0);
	rc |= r == NULL ? -1 : 0;
	chart_figure(b, "chart-daily", "Sessions per day by outcome", r,
	    chart_daily, ctx);
	report_rows_free(r);
	r = report_list(db, "quality", f, 0);
	rc |= r == NULL ? -1 : 0;
	chart_figure(b, "chart-quality", "Connection quality of sessions", r,
	    chart_quality, ctx);
	report_rows_free(r);
	r = report_list(db, "noshow", f, 0);
	rc |= r == NULL ? -1 : 0;
	chart_figure(b, "chart-noshow", "No-show rate per caregiver "
	    "(booked appointments)", r, chart_noshow, ctx);
	report_rows_free(r);
	wbuf_puts(b, "</div>\n");

	for (i = 1; i < NLISTS; i++) {	/* sessions has its own view */
		wbuf_printf(b, "<section id=\"report-%s\"><h2>%s</h2>\n",
		    lists[i].name, lists[i].title);
		snprintf(api, sizeof(api), "/api/reports/%s", lists[i].name);
		page_export_links(b, ctx, api, f, limit);
		if ((r = report_list(db, lists[i].name, f, n + 1)) == NULL) {
			failed(b);
			rc = -1;
		} else {
			all = r->nrows;
			if (all > (size_t)n) {
				r->nrows = (size_t)n;
				wbuf_printf(b, "<p class=\"muted\">The first "
				    "%d rows; download the rest.</p>\n", n);
			}
			snprintf(tid, sizeof(tid), "%s-table", lists[i].name);
			table(b, ctx, r, tid, 0, NULL);
			r->nrows = all;
		}
		report_rows_free(r);
		wbuf_puts(b, "</section>\n");
	}
	wbuf_puts(b, "</section>\n");
	return rc;
}

/*
 * JSON
 */

json_t *
view_rows_json(const struct report_rows *r)
{
	json_t		*j = NULL;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;

	/* The CLI's own JSON writer: one typing of cells for both. */
	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	if (report_cli_print(fp, r, REPORT_FMT_JSON) == 0 &&
	    fclose(fp) == 0)
		j = json_loadb(buf, len, 0, NULL);
	else
		fclose(fp);
	free(buf);
	if (j == NULL)
		fatalx("%s: cannot re-read the report's JSON", __func__);
	return j;
}

json_t *
view_now_json(struct db *db, int64_t now_ms)
{
	struct report_rows	*now, *pres, *alerts;
	json_t			*o = NULL;
	char			 day[16], iso[32];

	view_day(now_ms, day, sizeof(day));
	now = report_now(db, day);
	pres = report_present(db, day);
	alerts = report_open_alerts(db);
	if (now != NULL && pres != NULL && alerts != NULL) {
		o = json_object();
		json_object_set_new(o, "generated", json_string(
		    event_iso8601(now_ms, iso, sizeof(iso))));
		json_object_set_new(o, "day", json_string(day));
		json_object_set_new(o, "sessions", view_rows_json(now));
		json_object_set_new(o, "present", view_rows_json(pres));
		json_object_set_new(o, "open_alerts", view_rows_json(alerts));
	}
	report_rows_free(now);
	report_rows_free(pres);
	report_rows_free(alerts);
	return o;
}

/* A JSON string of stored text (invalid UTF-8 bytes become '?'). */
static json_t *
jtext(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j != NULL ? j : json_null();
}

static json_t *
spans_json(const struct tl_spans *s)
{
	json_t	*a = json_array(), *o;
	char	 iso[32];
	size_t	 i;

	for (i = 0; i < s->n; i++) {
		o = json_object();
		json_object_set_new(o, "from", json_string(event_iso8601(
		    s->v[i].from, iso, sizeof(iso))));
		json_object_set_new(o, "to", json_string(event_iso8601(
		    s->v[i].to, iso, sizeof(iso))));
		if (s->v[i].open)
			json_object_set_new(o, "open", json_true());
		json_array_append_new(a, o);
	}
	return a;
}

/* The timeline's intervals, for clients that draw their own. */
static json_t *
timeline_json(const struct timeline *tl)
{
	json_t	*o = json_object(), *lanes = json_array(), *rows;
	json_t	*l, *marks, *m;
	char	 iso[32];
	size_t	 i, k;
	int	 t;

	json_object_set_new(o, "start", json_string(event_iso8601(tl->start,
	    iso, sizeof(iso))));
	json_object_set_new(o, "end", json_string(event_iso8601(tl->end,
	    iso, sizeof(iso))));
	for (i = 0; i < tl->nlanes; i++) {
		l = json_object();
		json_object_set_new(l, "participant",
		    json_integer(tl->lanes[i].id));
		json_object_set_new(l, "name", jtext(tl->lanes[i].name));
		for (t = 0; t < TL__TRACKS; t++)
			json_object_set_new(l, timeline_track_name(
			    (enum tl_track)t),
			    spans_json(&tl->lanes[i].tracks[t]));
		marks = json_array();
		for (k = 0; k < tl->lanes[i].nmarks; k++) {
			m = json_object();
			json_object_set_new(m, "at", json_string(
			    event_iso8601(tl->lanes[i].marks[k].at, iso,
			    sizeof(iso))));
			json_object_set_new(m, "kind", json_string(
			    timeline_mark_name(tl->lanes[i].marks[k].kind)));
			json_array_append_new(marks, m);
		}
		json_object_set_new(l, "marks", marks);
		json_array_append_new(lanes, l);
	}
	json_object_set_new(o, "lanes", lanes);
	rows = json_array();
	for (i = 0; i < tl->nrows; i++) {
		l = json_object();
		json_object_set_new(l, "track", jtext(tl->rows[i].label));
		if (tl->rows[i].severity != NULL)
			json_object_set_new(l, "severity",
			    jtext(tl->rows[i].severity));
		json_object_set_new(l, "spans", spans_json(&tl->rows[i].spans));
		json_array_append_new(rows, l);
	}
	json_object_set_new(o, "tracks", rows);
	return o;
}

json_t *
view_session_json(struct db *db, int64_t id, int64_t now_ms, int *found)
{
	struct session_data	 d;
	json_t			*o = NULL, *arr;
	int			 rc;

	rc = session_data_load(db, id, now_ms, &d);
	*found = rc != 0;
	if (rc == 1) {
		o = json_object();
		arr = view_rows_json(d.s);
		json_object_set(o, "session", json_array_get(arr, 0));
		json_decref(arr);
		json_object_set_new(o, "participants", view_rows_json(d.p));
		json_object_set_new(o, "roster", view_rows_json(d.ro));
		json_object_set_new(o, "alerts", view_rows_json(d.al));
		json_object_set_new(o, "events", view_rows_json(d.evt));
		if (d.tl != NULL)
			json_object_set_new(o, "timeline",
			    timeline_json(d.tl));
	}
	session_data_free(&d);
	return o;
}
