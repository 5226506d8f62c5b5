/*
 * The dashboard's HTML building blocks: layout, tables of report rows,
 * filter forms, links.  Every value from the database goes through
 * wbuf_html() (text and attribute values alike, always in double
 * quotes) or wbuf_url() (inside a link's query); class names are only
 * ever picked from fixed lists, never built from data.
 *
 * The same code renders the served pages and the self-contained file of
 * `teletrack report html`; the difference is in struct page_ctx: a file
 * inlines the stylesheet, carries no script, and links only to the
 * sessions it holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "page.h"
#include "text.h"

#define APP_NAME	"teletrack"

static int
in_list(const char *s, const char *const *list)
{
	if (list == NULL || s == NULL)
		return 0;
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

void
page_begin(struct wbuf *b, const struct page_ctx *ctx, const char *title,
    const char *nav, int live)
{
	static const char *const navs[][2] = {
		{ "now", "Now" }, { "sessions", "Sessions" },
		{ "reports", "Reports" }
	};
	static const char *const hrefs[] = { "/", "/sessions", "/reports" };
	size_t	 i;

	wbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n");
	if (ctx->standalone)
		/* A mailed file must not fetch anything either. */
		wbuf_puts(b, "<meta http-equiv=\"Content-Security-Policy\" "
		    "content=\"default-src 'none'; style-src 'unsafe-inline'"
		    "\">\n");
	wbuf_puts(b, "<title>");
	wbuf_html(b, title);
	wbuf_puts(b, " - " APP_NAME "</title>\n");
	if (ctx->standalone) {
		wbuf_puts(b, "<style>\n");
		wbuf_add(b, (const char *)asset_style_css,
		    asset_style_css_len);
		wbuf_puts(b, "</style>\n");
	} else
		wbuf_puts(b, "<link rel=\"icon\" href=\"/static/icon.svg\" "
		    "type=\"image/svg+xml\">\n"
		    "<link rel=\"stylesheet\" "
		    "href=\"/static/style.css\">\n"
		    "<script src=\"/static/app.js\" defer></script>\n");
	wbuf_puts(b, "</head>\n<body>\n<header class=\"top\">\n");
	if (ctx->standalone)
		wbuf_puts(b, "<span class=\"brand\">" APP_NAME "</span>\n");
	else {
		wbuf_puts(b, "<a class=\"brand\" href=\"/\">" APP_NAME
		    "</a>\n<nav>");
		for (i = 0; i < sizeof(navs) / sizeof(navs[0]); i++)
			wbuf_printf(b, "<a href=\"%s\"%s>%s</a>", hrefs[i],
			    streq(nav, navs[i][0]) ?
			    " aria-current=\"page\"" : "", navs[i][1]);
		wbuf_puts(b, "<a href=\"/metrics\">Metrics</a></nav>\n");
	}
	wbuf_puts(b, "<span class=\"stamp\">");
	if (live && !ctx->standalone)
		wbuf_puts(b, "<span id=\"live\" class=\"live\"></span> ");
	if (ctx->generated != NULL) {
		wbuf_puts(b, "as of ");
		page_time(b, ctx->generated);
		wbuf_puts(b, " UTC");
	}
	wbuf_puts(b, "</span>\n</header>\n");
	if (live && !ctx->standalone)
		wbuf_puts(b, "<main data-live=\"5\">\n"
		    "<noscript><p class=\"muted\">Reload the page to update "
		    "it (with JavaScript on, it updates itself).</p>"
		    "</noscript>\n");
	else
		wbuf_puts(b, "<main>\n");
}

void
page_end(struct wbuf *b, const struct page_ctx *ctx)
{
	wbuf_puts(b, "</main>\n<footer>");
	if (ctx->standalone)
		wbuf_puts(b, "Written by <code>teletrack report html</code>. "
		    "Times are UTC.");
	else
		wbuf_puts(b, "teletrack dashboard (read-only). Times are UTC. "
		    "Every view is also JSON under <a href=\"/api/now\">"
		    "/api/</a>.");
	wbuf_puts(b, "</footer>\n</body>\n</html>\n");
}

int
page_session_href(struct wbuf *b, const struct page_ctx *ctx, int64_t id)
{
	size_t	 i;

	if (!ctx->standalone) {
		wbuf_printf(b, "\"/sessions/%lld\"", (long long)id);
		return 1;
	}
	for (i = 0; i < ctx->nincluded; i++)
		if (ctx->included[i] == id) {
			wbuf_printf(b, "\"#session-%lld\"", (long long)id);
			return 1;
		}
	return 0;
}

void
page_time(struct wbuf *b, const char *iso)
{
	char	 shown[20];
	size_t	 n = strlen(iso);

	wbuf_puts(b, "<time datetime=\"");
	wbuf_html(b, iso);
	wbuf_puts(b, "\">");
	if (n >= 19 && iso[10] == 'T') {
		memcpy(shown, iso, 19);
		shown[10] = ' ';
		shown[19] = '\0';
		wbuf_html(b, shown);
	} else
		wbuf_html(b, iso);
	wbuf_puts(b, "</time>");
}

void
page_duration(struct wbuf *b, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		wbuf_printf(b, "%lld h %02lld min", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		wbuf_printf(b, "%lld min %lld s", (long long)(s / 60),
		    (long long)(s % 60));
	else
		wbuf_printf(b, "%lld s", (long long)s);
}

/* "YYYY-MM-DDTHH:MM:SS..." */
static int
looks_iso(const char *s)
{
	return strlen(s) >= 19 && s[4] == '-' && s[7] == '-' &&
	    s[10] == 'T' && s[13] == ':' && s[16] == ':';
}

static const char *const statuses[] = {
	"scheduled", "active", "completed", "failed", "cancelled", NULL
};
static const char *const qualities[] = { "good", "fair", "poor", NULL };
static const char *const severities[] = {
	"info", "warning", "critical", NULL
};

/* Value v as a badge with a class from the fixed list, else plain. */
static void
badge(struct wbuf *b, const char *prefix, const char *v,
    const char *const *known)
{
	if (in_list(v, known))
		wbuf_printf(b, "<span class=\"badge %s%s\">", prefix, v);
	else
		wbuf_puts(b, "<span class=\"badge\">");
	wbuf_html(b, v);
	wbuf_puts(b, "</span>");
}

/* A link to the session list filtered by key=v. */
static void
filter_link(struct wbuf *b, const char *key, const char *v)
{
	wbuf_printf(b, "<a href=\"/sessions?%s=", key);
	wbuf_url(b, v);
	wbuf_puts(b, "\">");
	wbuf_html(b, v);
	wbuf_puts(b, "</a>");
}

void
page_cell(struct wbuf *b, const struct page_ctx *ctx, const char *col,
    const struct report_cell *c, int flags)
{
	int	 links = !ctx->standalone && !(flags & PAGE_NO_FILTER_LINKS);

	if (c->type == REPORT_NULL) {
		wbuf_puts(b, "-");
		return;
	}
	if ((streq(col, "session_id") || ((flags & PAGE_ID_IS_SESSION) &&
	    streq(col, "id"))) && c->type == REPORT_INT) {
		wbuf_puts(b, "<a href=");
		if (page_session_href(b, ctx, strtoll(c->text, NULL, 10))) {
			wbuf_puts(b, ">");
			wbuf_html(b, c->text);
			wbuf_puts(b, "</a>");
		} else {
			/* Not reachable: undo "<a href=". */
			b->len -= strlen("<a href=");
			b->s[b->len] = '\0';
			wbuf_html(b, c->text);
		}
		return;
	}
	if ((flags & PAGE_PARTICIPANT_LINKS) && c->type == REPORT_INT &&
	    (streq(col, "id") || streq(col, "participant"))) {
		wbuf_printf(b, "<a href=\"#p-%lld\">%lld</a>",
		    strtoll(c->text, NULL, 10), strtoll(c->text, NULL, 10));
		return;
	}
	if (c->type != REPORT_TEXT) {
		wbuf_html(b, c->text);
		return;
	}
	if (streq(col, "status") || streq(col, "session_status"))
		badge(b, "st-", c->text, statuses);
	else if (streq(col, "quality") || streq(col, "connection_quality"))
		badge(b, "q-", c->text, qualities);
	else if (streq(col, "severity"))
		badge(b, "sev-", c->text, severities);
	else if (links && streq(col, "room") && *c->text != '\0')
		filter_link(b, "room", c->text);
	else if (links && streq(col, "participant_id") && *c->text != '\0')
		filter_link(b, "caregiver", c->text);
	else if (looks_iso(c->text))
		page_time(b, c->text);
	else if (c->text[0] == '{' || c->text[0] == '[') {
		wbuf_puts(b, "<code>");
		wbuf_html(b, c->text);
		wbuf_puts(b, "</code>");
	} else
		wbuf_html(b, c->text);
}

/* The sort key of column col, or NULL. */
static const char *
sort_key(const struct page_table *t, const char *col)
{
	const char *const	*p;

	if (t->sortcols == NULL)
		return NULL;
	for (p = t->sortcols; p[0] != NULL && p[1] != NULL; p += 2)
		if (strcmp(p[0], col) == 0)
			return p[1];
	return NULL;
}

static void
header(struct wbuf *b, const struct page_table *t, const char *col)
{
	struct wbuf	 q = { NULL, 0, 0 };
	const char	*key = sort_key(t, col), *cur;
	int		 asc, on;

	if (key == NULL || t->filter == NULL) {
		wbuf_puts(b, "<th>");
		wbuf_html(b, col);
		wbuf_puts(b, "</th>");
		return;
	}
	cur = t->filter->sort != NULL ? t->filter->sort : "start";
	on = strcmp(cur, key) == 0;
	/* The current column flips; a new one starts descending. */
	asc = on ? !t->filter->asc : 0;
	wbuf_printf(b, "<th%s><a href=\"", on ? (t->filter->asc ?
	    " aria-sort=\"ascending\"" : " aria-sort=\"descending\"") : "");
	wbuf_puts(b, t->sortbase);
	wbuf_filter_query(&q, t->filter, t->limit, key, asc);
	wbuf_html(b, q.s);
	wbuf_free(&q);
	wbuf_puts(b, "\">");
	wbuf_html(b, col);
	if (on)
		wbuf_puts(b, t->filter->asc ? " \xe2\x96\xb2" : " \xe2\x96\xbc");
	wbuf_puts(b, "</a></th>");
}

void
page_table(struct wbuf *b, const struct page_ctx *ctx,
    const struct report_rows *r, const struct page_table *t)
{
	const struct report_cell	*c;
	size_t				 i, j;

	if (r == NULL) {
		wbuf_puts(b, "<p class=\"error\">This report failed; the "
		    "server log says why.</p>\n");
		return;
	}
	if (r->nrows == 0) {
		if (t->caption != NULL) {
			wbuf_puts(b, "<p class=\"nothing\">");
			wbuf_html(b, t->caption);
			wbuf_puts(b, ": none.</p>\n");
		} else
			wbuf_puts(b, "<p class=\"nothing\">None.</p>\n");
		return;
	}
	wbuf_puts(b, "<div class=\"tablewrap\"><table");
	if (t->id != NULL) {
		wbuf_puts(b, " id=\"");
		wbuf_html(b, t->id);
		wbuf_puts(b, "\"");
	}
	wbuf_puts(b, ">\n");
	if (t->caption != NULL) {
		wbuf_puts(b, "<caption>");
		wbuf_html(b, t->caption);
		wbuf_printf(b, " <span class=\"muted\">(%zu)</span>"
		    "</caption>\n", r->nrows);
	}
	wbuf_puts(b, "<thead><tr>");
	for (j = 0; j < r->ncols; j++)
		if (!in_list(r->cols[j], t->hide))
			header(b, t, r->cols[j]);
	wbuf_puts(b, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < r->nrows; i++) {
		wbuf_puts(b, "<tr>");
		for (j = 0; j < r->ncols; j++) {
			if (in_list(r->cols[j], t->hide))
				continue;
			c = report_cell(r, i, j);
			wbuf_puts(b, "<td data-col=\"");
			wbuf_html(b, r->cols[j]);
			wbuf_puts(b, "\"");
			if (c->type == REPORT_NULL)
				wbuf_puts(b, " class=\"null\"");
			else if (c->type == REPORT_INT ||
			    c->type == REPORT_REAL)
				wbuf_puts(b, " class=\"num\"");
			else if (c->text[0] == '{' || c->text[0] == '[')
				wbuf_puts(b, " class=\"data\"");
			wbuf_puts(b, ">");
			page_cell(b, ctx, r->cols[j], c, t->flags);
			wbuf_puts(b, "</td>");
		}
		wbuf_puts(b, "</tr>\n");
	}
	wbuf_puts(b, "</tbody>\n</table></div>\n");
}

static void
input(struct wbuf *b, const char *label, const char *name, const char *type,
    const char *value)
{
	wbuf_printf(b, "<label>%s <input type=\"%s\" name=\"%s\" "
	    "value=\"", label, type, name);
	wbuf_html(b, value != NULL ? value : "");
	wbuf_puts(b, "\"></label>\n");
}

static void
select_(struct wbuf *b, const char *label, const char *name,
    const char *const *options, const char *value)
{
	wbuf_printf(b, "<label>%s <select name=\"%s\"><option value=\"\">"
	    "any</option>", label, name);
	for (; *options != NULL; options++)
		wbuf_printf(b, "<option%s>%s</option>", streq(value,
		    *options) ? " selected" : "", *options);
	wbuf_puts(b, "</select></label>\n");
}

void
page_filter_form(struct wbuf *b, const char *action,
    const struct report_filter *f, int limit)
{
	char	 n[16];

	wbuf_printf(b, "<form class=\"filters\" method=\"get\" "
	    "action=\"%s\">\n", action);
	input(b, "from", "from", "date", f->from);
	input(b, "to", "to", "date", f->to);
	select_(b, "status", "status", statuses, f->status);
	input(b, "room", "room", "text", f->room);
	input(b, "caregiver (id or name)", "caregiver", "text",
	    f->caregiver);
	select_(b, "quality", "quality", qualities, f->quality);
	snprintf(n, sizeof(n), "%d", limit);
	input(b, "at most", "limit", "number", limit > 0 ? n : NULL);
	if (f->sort != NULL) {
		wbuf_puts(b, "<input type=\"hidden\" name=\"sort\" value=\"");
		wbuf_html(b, f->sort);
		wbuf_printf(b, "\"><input type=\"hidden\" name=\"dir\" "
		    "value=\"%s\">", f->asc ? "asc" : "desc");
	}
	wbuf_printf(b, "<button type=\"submit\">Show</button> "
	    "<a href=\"%s\">clear</a>\n</form>\n", action);
}

void
page_export_links(struct wbuf *b, const struct page_ctx *ctx,
    const char *api, const struct report_filter *f, int limit)
{
	struct wbuf	 q = { NULL, 0, 0 };
	static const char *const formats[][2] = {
		{ "csv", "CSV" }, { "json", "JSON" }
	};
	size_t		 i;

	if (ctx->standalone)
		return;
	wbuf_filter_query(&q, f, limit, NULL, 0);
	wbuf_puts(b, "<p class=\"exports\">Download:");
	for (i = 0; i < 2; i++) {
		wbuf_printf(b, " <a href=\"%s", api);
		if (q.len > 0)
			wbuf_html(b, q.s);
		wbuf_printf(b, "%sformat=%s\">%s</a>", q.len > 0 ? "&amp;" :
		    "?", formats[i][0], formats[i][1]);
	}
	wbuf_puts(b, "</p>\n");
	wbuf_free(&q);
}
