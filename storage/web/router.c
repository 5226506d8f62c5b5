/*
 * Request routing for the dashboard: a fixed set of paths, each answered
 * from the read-only database through views.c, or from the assets
 * compiled into the binary.  No path maps to a file, so nothing outside
 * the application can be served whatever the request says: paths are
 * compared byte for byte, never decoded or joined to a directory.
 *
 *   /                       Now (HTML, refreshes itself)
 *   /sessions               the session list (filters, sort)
 *   /sessions/ID            one session
 *   /reports                reports and charts (filters)
 *   /metrics                Prometheus
 *   /static/{style.css,app.js,icon.svg}
 *   /api                    the list of API paths
 *   /api/now, /api/sessions, /api/sessions/ID,
 *   /api/sessions/ID/{events,participants}, /api/reports/NAME
 *                           JSON; ?format=csv for the lists
 *
 * Every response carries a strict Content-Security-Policy (scripts,
 * styles, images and fetches from this origin only; no inline script,
 * no framing) and nosniff; see serve.c, which adds the headers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "assets.h"
#include "auth.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "readfile.h"
#include "report.h"
#include "report_cli.h"
#include "router.h"
#include "views.h"
#include "xmalloc.h"

#define STATUS_MAX	(64 * 1024)	/* a status file is < 1 KiB */

static const char CT_HTML[] = "text/html; charset=utf-8";
static const char CT_TEXT[] = "text/plain; charset=utf-8";
static const char CT_JSON[] = "application/json";
static const char CT_CSV[] = "text/csv; charset=utf-8";
static const char CT_PROM[] = "text/plain; version=0.0.4; charset=utf-8";

static void
set_body(struct web_response *r, unsigned status, const char *ctype,
    struct wbuf *b)
{
	r->status = status;
	r->ctype = ctype;
	r->body = wbuf_take(b, &r->len);
}

static void
text(struct web_response *r, unsigned status, const char *msg)
{
	struct wbuf	 b = { NULL, 0, 0 };

	wbuf_puts(&b, msg);
	wbuf_puts(&b, "\n");
	set_body(r, status, CT_TEXT, &b);
}

void
web_refuse(struct web_response *r, unsigned status, const char *msg)
{
	memset(r, 0, sizeof(*r));
	text(r, status, msg);
}

int
web_target_ok(const char *uri)
{
	const char	*p;
	size_t		 n = 0;

	if (strlen(uri) > WEB_MAX_URI)
		return 0;
	for (p = uri; (p = strchr(p, '&')) != NULL; p++)
		if (++n > WEB_MAX_SEPARATORS)
			return 0;
	return 1;
}

static void
json_reply(struct web_response *r, unsigned status, json_t *j)
{
	char	*s;

	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (s == NULL)
		fatalx("%s: out of memory", __func__);
	r->status = status;
	r->ctype = CT_JSON;
	r->len = strlen(s);
	r->body = s;
}

static void
json_error(struct web_response *r, unsigned status, const char *msg)
{
	json_t	*o = json_object();

	json_object_set_new(o, "error", json_string(msg));
	json_reply(r, status, o);
}

/* An HTML page around a view body; status 500 when the body failed. */
struct page {
	struct wbuf	 b;
	struct page_ctx	 ctx;
	char		 now[32];
};

static void
page_open(struct page *p, int64_t now_ms, const char *title,
    const char *nav, int live)
{
	memset(p, 0, sizeof(*p));
	p->ctx.generated = event_iso8601(now_ms, p->now, sizeof(p->now));
	page_begin(&p->b, &p->ctx, title, nav, live);
}

static void
page_close(struct page *p, struct web_response *r, unsigned status)
{
	page_end(&p->b, &p->ctx);
	set_body(r, status, CT_HTML, &p->b);
}

static void
html_error(struct web_response *r, int64_t now_ms, unsigned status,
    const char *title, const char *msg)
{
	struct page	 p;

	page_open(&p, now_ms, title, NULL, 0);
	wbuf_puts(&p.b, "<h1>");
	wbuf_html(&p.b, title);
	wbuf_puts(&p.b, "</h1>\n<p>");
	wbuf_html(&p.b, msg);
	wbuf_puts(&p.b, "</p>\n<p><a href=\"/\">Back to Now</a></p>\n");
	page_close(&p, r, status);
}

/* "ID" of a path segment: 1 to 18 digits; -1 otherwise. */
static int64_t
parse_id(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	return strtoll(s, NULL, 10);
}

/* The status file's text, or NULL when missing or unreadable. */
static char *
read_status(const char *path)
{
	char	*buf;

	if (path == NULL)
		return NULL;
	if ((buf = read_file(path, STATUS_MAX, READ_TRUNCATE, NULL)) == NULL &&
	    errno != ENOENT)
		log_debug("%s: %s: %s", __func__, path, strerror(errno));
	return buf;
}

static void
metrics(struct web_server *s, int64_t now_ms, struct web_response *r)
{
	struct report_rows	*live, *st, *ev, *al;
	struct metrics_db	 m;
	struct wbuf		 b = { NULL, 0, 0 };
	char			*status;

	live = report_counts(s->db, "live");
	st = report_counts(s->db, "status");
	ev = report_counts(s->db, "events");
	al = report_counts(s->db, "alerts");
	m.live = live;
	m.statuses = st;
	m.events = ev;
	m.alerts = al;
	status = read_status(s->status_path);
	metrics_write(&b, &m, status, now_ms);
	free(status);
	set_body(r, live != NULL && st != NULL && ev != NULL && al != NULL ?
	    200 : 500, CT_PROM, &b);
	report_rows_free(live);
	report_rows_free(st);
	report_rows_free(ev);
	report_rows_free(al);
}

static void
asset(struct web_response *r, const char *ctype, const unsigned char *p,
    unsigned int n)
{
	struct wbuf	 b = { NULL, 0, 0 };

	wbuf_add(&b, (const char *)p, n);
	set_body(r, 200, ctype, &b);
	r->immutable = 1;
}

/* rows as JSON or (?format=csv) CSV named name.csv. */
static void
rows_reply(struct web_response *r, struct report_rows *rows,
    const char *format, const char *name)
{
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;

	if (format != NULL && strcmp(format, "csv") == 0) {
		if ((fp = open_memstream(&buf, &len)) == NULL)
			fatal("open_memstream");
		if (report_cli_print(fp, rows, REPORT_FMT_CSV) == -1)
			fatal("%s: writing CSV", __func__);
		fclose(fp);
		r->status = 200;
		r->ctype = CT_CSV;
		r->body = buf;
		r->len = len;
		snprintf(r->filename, sizeof(r->filename), "%s.csv", name);
		return;
	}
	json_reply(r, 200, view_rows_json(rows));
}

/* format must be absent, json or csv. */
static int
format_ok(const char *format)
{
	return format == NULL || strcmp(format, "json") == 0 ||
	    strcmp(format, "csv") == 0;
}

static void
api(struct web_server *s, const char *path, const struct web_params *q,
    int64_t now_ms, struct web_response *r)
{
	struct report_filter	 f;
	struct report_rows	*rows = NULL;
	const char		*format = web_param(q, "format"), *rest;
	char			 err[160], name[64];
	json_t			*j;
	int64_t			 id;
	size_t			 n;
	int			 limit, known, found;

	if (!format_ok(format)) {
		json_error(r, 400, "format: json or csv");
		return;
	}
	if (strcmp(path, "/api") == 0) {
		j = json_pack("{s:[s,s,s,s,s,s,s]}", "paths", "/api/now",
		    "/api/sessions", "/api/sessions/ID",
		    "/api/sessions/ID/events", "/api/sessions/ID/participants",
		    "/api/reports/{billing,problems,caregivers,attendance,"
		    "alerts,daily,quality,noshow}", "/metrics");
		json_reply(r, 200, j);
		return;
	}
	if (strcmp(path, "/api/now") == 0) {
		if ((j = view_now_json(s->db, now_ms)) == NULL)
			json_error(r, 500, "query failed");
		else
			json_reply(r, 200, j);
		return;
	}
	if (web_filter_parse(q, &f, &limit, err, sizeof(err)) == -1) {
		json_error(r, 400, err);
		return;
	}
	if (strcmp(path, "/api/sessions") == 0 ||
	    strncmp(path, "/api/reports/", 13) == 0) {
		rest = path[5] == 's' ? "sessions" : path + 13;
		if (strlen(rest) >= sizeof(name) || strchr(rest, '/') != NULL ||
		    ((rows = view_list(s->db, rest, &f, limit, &known)) ==
		    NULL && !known)) {
			json_error(r, 404, "no such report");
			return;
		}
		if (rows == NULL) {
			json_error(r, 500, "query failed");
			return;
		}
		snprintf(name, sizeof(name), "%s", rest);
		rows_reply(r, rows, format, name);
		report_rows_free(rows);
		return;
	}
	if (strncmp(path, "/api/sessions/", 14) == 0) {
		rest = path + 14;
		n = strcspn(rest, "/");
		if ((id = parse_id(rest, n)) < 0) {
			json_error(r, 404, "no such path");
			return;
		}
		rest += n;
		if (*rest == '\0') {
			if ((j = view_session_json(s->db, id, now_ms,
			    &found)) != NULL)
				json_reply(r, 200, j);
			else if (!found)
				json_error(r, 404, "no such session");
			else
				json_error(r, 500, "query failed");
			return;
		}
		if (strcmp(rest, "/events") == 0)
			rows = report_events(s->db, id, 0);
		else if (strcmp(rest, "/participants") == 0)
			rows = report_participant_rows(s->db, id);
		else {
			json_error(r, 404, "no such path");
			return;
		}
		if (rows == NULL) {
			json_error(r, 500, "query failed");
			return;
		}
		snprintf(name, sizeof(name), "session-%lld-%s", (long long)id,
		    rest + 1);
		rows_reply(r, rows, format, name);
		report_rows_free(rows);
		return;
	}
	json_error(r, 404, "no such path");
}

static void
pages(struct web_server *s, const char *path, const struct web_params *q,
    int64_t now_ms, struct web_response *r)
{
	struct report_filter	 f;
	struct page		 p;
	char			 err[160], title[48];
	int64_t			 id;
	int			 limit, rc;

	if (strcmp(path, "/") == 0) {
		page_open(&p, now_ms, "Now", "now", 1);
		rc = view_now_body(s->db, &p.ctx, now_ms, &p.b);
		page_close(&p, r, rc == 0 ? 200 : 500);
		return;
	}
	if (strcmp(path, "/sessions") == 0 || strcmp(path, "/reports") == 0) {
		if (web_filter_parse(q, &f, &limit, err, sizeof(err)) == -1) {
			html_error(r, now_ms, 400, "Bad filter", err);
			return;
		}
		if (path[1] == 's') {
			page_open(&p, now_ms, "Sessions", "sessions", 0);
			rc = view_sessions_body(s->db, &p.ctx, &f, limit,
			    &p.b);
		} else {
			page_open(&p, now_ms, "Reports", "reports", 0);
			rc = view_reports_body(s->db, &p.ctx, &f, limit,
			    &p.b);
		}
		page_close(&p, r, rc == 0 ? 200 : 500);
		return;
	}
	if (strncmp(path, "/sessions/", 10) == 0 &&
	    (id = parse_id(path + 10, strlen(path + 10))) >= 0) {
		snprintf(title, sizeof(title), "Session %lld", (long long)id);
		page_open(&p, now_ms, title, "sessions", 0);
		rc = view_session_body(s->db, &p.ctx, id, now_ms, &p.b);
		if (rc == 1) {
			wbuf_free(&p.b);
			html_error(r, now_ms, 404, "No such session",
			    "There is no session with this id.");
			return;
		}
		page_close(&p, r, rc == 0 ? 200 : 500);
		return;
	}
	html_error(r, now_ms, 404, "Not found", "There is no such page.");
}

void
web_handle(struct web_server *s, const char *method, const char *uri,
    const char *authorization, int64_t now_ms, struct web_response *r)
{
	struct web_params	 q;
	char			*path, *qs = NULL;
	size_t			 n;

	memset(r, 0, sizeof(*r));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		text(r, 405, "Only GET and HEAD: this server changes nothing.");
		return;
	}
	if (s->auth != NULL && !auth_check(s->auth, authorization)) {
		text(r, 401, "Authentication required.");
		return;
	}
	if (uri == NULL || uri[0] != '/') {
		text(r, 400, "Bad request target.");
		return;
	}
	if (!web_target_ok(uri)) {
		text(r, 414, "Request target too long.");
		return;
	}
	n = strcspn(uri, "?#");
	path = xmalloc(n + 1);
	memcpy(path, uri, n);
	path[n] = '\0';
	if (uri[n] == '?' && (qs = strndup(uri + n + 1, strcspn(uri + n + 1,
	    "#"))) == NULL)
		fatal("strndup");

	/* Assets and metrics take no query; anything else parses it. */
	if (strcmp(path, "/static/style.css") == 0)
		asset(r, "text/css; charset=utf-8", asset_style_css,
		    asset_style_css_len);
	else if (strcmp(path, "/static/app.js") == 0)
		asset(r, "text/javascript; charset=utf-8", asset_app_js,
		    asset_app_js_len);
	else if (strcmp(path, "/static/icon.svg") == 0)
		asset(r, "image/svg+xml", asset_icon_svg, asset_icon_svg_len);
	else if (strcmp(path, "/metrics") == 0)
		metrics(s, now_ms, r);
	else if (web_params_parse(qs, &q) == -1) {
		if (strncmp(path, "/api", 4) == 0)
			json_error(r, 400, "malformed query string");
		else
			html_error(r, now_ms, 400, "Bad request",
			    "The query string is malformed.");
	} else {
		if (strcmp(path, "/api") == 0 || strncmp(path, "/api/", 5) == 0)
			api(s, path, &q, now_ms, r);
		else
			pages(s, path, &q, now_ms, r);
		web_params_free(&q);
	}
	free(qs);
	free(path);
}

void
web_response_free(struct web_response *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
