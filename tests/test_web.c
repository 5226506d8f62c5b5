/*
 * Unit tests for the dashboard (storage/web/): escaping, query strings
 * and filters, the timeline replay, the pages and the API through the
 * router (no HTTP library: web_handle() is called directly), /metrics
 * with fresh, stale and missing status files, authentication, and the
 * `report html` argument sniffing.  The database is ":memory:" filled
 * with SQL, including participants with hostile display names.
 *
 * Over 800 lines: one cmocka binary per module under test (the
 * dashboard); the database fixtures are in testdb.h, the substring
 * checks in testtext.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <crypt.h>
#include <jansson.h>
#include <sqlite3.h>

#include "web/auth.h"
#include "db.h"
#include "cmd.h"
#include "log.h"
#include "web/metrics.h"
#include "report.h"
#include "web/router.h"
#include "web/timeline.h"
#include "web/views.h"
#include "web/webutil.h"
#include "xmalloc.h"

#include "testdb.h"
#include "testtext.h"

#include "webfixture.h"

/* 2026-03-12T11:05:00.000Z: "today" holds session 3 and 4. */
#define NOW	1773313500000LL

/*
 * Escaping and query strings
 */

static char *
esc(const char *s)
{
	struct wbuf	 b = { NULL, 0, 0 };

	wbuf_html(&b, s);
	return wbuf_take(&b, NULL);
}

static void
test_html_escape(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "plain text", "plain text" },
		{ HOSTILE_IMG, "&lt;img src=x onerror=alert(1)&gt;" },
		{ HOSTILE_SCRIPT,
		    "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" },
		{ "a & b's", "a &amp; b&#39;s" },
		{ "bell\x07", "bell\\x07" },
		{ "tab\tand\nnewline", "tab\tand\nnewline" },
		{ "rtl\xe2\x80\xaeoverride", "rtl\\u202eoverride" },
		{ "bad \xff byte", "bad \xef\xbf\xbd byte" },
		{ "Zo\xc3\xab \xf0\x9f\x91\x8d", "Zo\xc3\xab \xf0\x9f\x91\x8d" },
		{ "c1\xc2\x85", "c1\\x85" },
		{ "", "" },
	};
	size_t	 i;
	char	*s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = esc(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	s = esc(NULL);
	assert_string_equal(s, "");
	free(s);
}

static void
test_url_encode(void **state)
{
	struct wbuf	 b = { NULL, 0, 0 };
	char		*s;

	(void)state;
	wbuf_url(&b, "a b&c=d/\xc3\xa9~_.-");
	s = wbuf_take(&b, NULL);
	assert_string_equal(s, "a%20b%26c%3Dd%2F%C3%A9~_.-");
	free(s);
}

static void
test_params(void **state)
{
	static const struct {
		const char	*qs;
		int		 rc;
		size_t		 n;
		const char	*key, *val;	/* the first pair */
	} cases[] = {
		{ NULL, 0, 0, NULL, NULL },
		{ "", 0, 0, NULL, NULL },
		{ "a=1&b=2", 0, 2, "a", "1" },
		{ "room=%41b+c", 0, 1, "room", "Ab c" },
		{ "flag", 0, 1, "flag", "" },
		{ "&&a=1&", 0, 1, "a", "1" },
		{ "a=b=c", 0, 1, "a", "b=c" },
		{ "a=%4", -1, 0, NULL, NULL },
		{ "a=%", -1, 0, NULL, NULL },
		{ "a=%zz", -1, 0, NULL, NULL },
		{ "a=%00x", -1, 0, NULL, NULL },
		{ "a=%ff", -1, 0, NULL, NULL },		/* not UTF-8 */
		{ "%e2%82%ac=1", 0, 1, "\xe2\x82\xac", "1" },
	};
	struct web_params	 p;
	char			 many[400];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(web_params_parse(cases[i].qs, &p),
		    cases[i].rc);
		assert_int_equal(p.n, cases[i].n);
		if (cases[i].key != NULL) {
			assert_string_equal(p.key[0], cases[i].key);
			assert_string_equal(p.val[0], cases[i].val);
			assert_string_equal(web_param(&p, cases[i].key),
			    cases[i].val);
		}
		assert_null(web_param(&p, "nope"));
		web_params_free(&p);
	}
	/* One pair too many. */
	many[0] = '\0';
	for (i = 0; i <= WEB_MAX_PARAMS; i++)
		strcat(many, "k=v&");
	assert_int_equal(web_params_parse(many, &p), -1);
	assert_int_equal(p.n, 0);
	web_params_free(&p);
}

static int
filter_of(const char *qs, struct web_params *p, struct report_filter *f,
    int *limit)
{
	char	 err[160];

	assert_int_equal(web_params_parse(qs, p), 0);
	return web_filter_parse(p, f, limit, err, sizeof(err));
}

/* f is want, field by field (a field not given is NULL in both). */
static void
assert_filter(const struct report_filter *f, const struct report_filter *want)
{
	static const char *const names[] = { "from", "to", "status", "room",
	    "caregiver", "quality", "sort" };
	const char	*got[] = { f->from, f->to, f->status, f->room,
	    f->caregiver, f->quality, f->sort };
	const char	*exp[] = { want->from, want->to, want->status,
	    want->room, want->caregiver, want->quality, want->sort };
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (got[i] == NULL ? exp[i] != NULL :
		    exp[i] == NULL || strcmp(got[i], exp[i]) != 0)
			fail_msg("filter %s: %s, expected %s", names[i],
			    got[i] != NULL ? got[i] : "NULL",
			    exp[i] != NULL ? exp[i] : "NULL");
	assert_int_equal(f->asc, want->asc);
}

static void
test_filter(void **state)
{
	static const char *const bad[] = {
		"from=2026-02-30", "to=26-01-01", "from=2026-13-01",
		"status=done", "quality=bad", "sort=password", "dir=up",
		"limit=0", "limit=10001", "limit=5x", "room=a%0Ab",
	};
	struct web_params	 p;
	struct report_filter	 f;
	struct wbuf		 b = { NULL, 0, 0 };
	char			 big[300], *q;
	size_t			 i;
	int			 limit;

	(void)state;
	assert_int_equal(filter_of("from=2026-03-01&to=2026-03-31&"
	    "status=failed&room=Clinic+7&caregiver=Dr+%3CWho%3E&quality=poor"
	    "&sort=duration&dir=asc&limit=50&other=1", &p, &f, &limit), 0);
	assert_filter(&f, &(struct report_filter){ .from = "2026-03-01",
	    .to = "2026-03-31", .status = "failed", .room = "Clinic 7",
	    .caregiver = "Dr <Who>", .quality = "poor", .sort = "duration",
	    .asc = 1 });
	assert_int_equal(limit, 50);

	/* The links a page builds read back as the same filter. */
	wbuf_filter_query(&b, &f, limit, NULL, 0);
	q = wbuf_take(&b, NULL);
	assert_string_equal(q, "?from=2026-03-01&to=2026-03-31&status=failed"
	    "&room=Clinic%207&caregiver=Dr%20%3CWho%3E&quality=poor"
	    "&sort=duration&dir=asc&limit=50");
	web_params_free(&p);
	assert_int_equal(filter_of(q + 1, &p, &f, &limit), 0);
	assert_string_equal(f.caregiver, "Dr <Who>");
	assert_int_equal(limit, 50);
	free(q);
	web_params_free(&p);

	/* Empty form fields filter nothing. */
	assert_int_equal(filter_of("from=&status=&room=", &p, &f, &limit),
	    0);
	assert_filter(&f, &(struct report_filter){ .from = NULL });
	web_params_free(&p);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(filter_of(bad[i], &p, &f, &limit), -1);
		web_params_free(&p);
	}
	memset(big, 'x', sizeof(big));
	memcpy(big, "room=", 5);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(filter_of(big, &p, &f, &limit), -1);
	web_params_free(&p);

	assert_true(web_date_valid("2024-02-29"));
	assert_false(web_date_valid("2023-02-29"));
	assert_false(web_date_valid("2024-2-29"));
}

static void
test_parse_time(void **state)
{
	(void)state;
	assert_int_equal(web_parse_time("2026-03-12T11:05:00.000Z"), NOW);
	assert_int_equal(web_parse_time("2026-03-12T11:05:00Z"), NOW);
	assert_int_equal(web_parse_time("2026-03-12 11:05:00"), NOW);
	assert_int_equal(web_parse_time("2026-03-12T11:05:00.5Z"), NOW + 500);
	assert_int_equal(web_parse_time("2026-03-12"), NOW - 11 * 3600000LL -
	    5 * 60000);
	assert_int_equal(web_parse_time("yesterday"), -1);
	assert_int_equal(web_parse_time("2026-03-12T11:05:00+02:00"), -1);
	assert_int_equal(web_parse_time(NULL), -1);
}

static struct db *
fixture_db(void)
{
	struct db	*db = open_ok(":memory:", 0);
	char		*err = NULL;

	if (sqlite3_exec(db_sqlite(db), fixture, NULL, NULL, &err) !=
	    SQLITE_OK)
		fail_msg("fixture: %s", err);
	return db;
}

/* cmocka fixture: *state is a server on the fixture database. */
static int
srv_setup(void **state)
{
	struct web_server	*srv = xcalloc(1, sizeof(*srv));

	srv->db = fixture_db();
	*state = srv;
	return 0;
}

static int
srv_teardown(void **state)
{
	struct web_server	*srv = *state;

	db_close(srv->db);
	free(srv);
	return 0;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * Timeline
 */

static void
test_timeline(void **state)
{
	struct db		*db = fixture_db();
	struct report_rows	*s, *p, *ev, *al;
	struct timeline		*tl;
	struct tl_lane		*a, *b, *c;
	struct wbuf		 w = { NULL, 0, 0 };
	size_t			 i, billable = 0, rec = 0, alerts = 0;

	(void)state;
	s = report_session_row(db, 1);
	p = report_participant_rows(db, 1);
	ev = report_timeline(db, 1);
	al = report_session_alerts(db, 1);
	assert_non_null(tl = timeline_build(s, p, ev, al, NOW));
	assert_int_equal(tl->nlanes, 3);
	a = &tl->lanes[0];
	b = &tl->lanes[1];
	c = &tl->lanes[2];
	assert_string_equal(b->name, HOSTILE_IMG);
	/* The range starts with the lobby wait, before the session. */
	assert_int_equal(tl->start, web_parse_time("2026-03-10T08:59:00Z"));
	assert_int_equal(tl->end, web_parse_time("2026-03-10T09:10:00Z"));

	assert_int_equal(a->tracks[TL_PRESENT].n, 1);
	/* Muted at 09:03 without an unmute first: on since the join. */
	assert_int_equal(a->tracks[TL_MIC].n, 2);
	assert_int_equal(a->tracks[TL_MIC].v[0].from,
	    web_parse_time("2026-03-10T09:00:00Z"));
	assert_int_equal(a->tracks[TL_MIC].v[0].to,
	    web_parse_time("2026-03-10T09:03:00Z"));
	/* camera_enabled and no toggles: on while present. */
	assert_int_equal(a->tracks[TL_CAMERA].n, 1);
	assert_int_equal(a->tracks[TL_SPEAKING].n, 1);
	assert_int_equal(a->tracks[TL_SPEAKING].v[0].to,
	    web_parse_time("2026-03-10T09:04:40Z"));

	/* The patient: dropped, back, a resumed interruption. */
	assert_int_equal(b->tracks[TL_PRESENT].n, 2);
	assert_int_equal(b->tracks[TL_SPEAKING].n, 1);
	assert_int_equal(b->tracks[TL_SPEAKING].v[0].to,
	    web_parse_time("2026-03-10T09:05:00Z"));
	assert_int_equal(b->tracks[TL_INTERRUPTED].n, 1);
	assert_int_equal(b->tracks[TL_INTERRUPTED].v[0].to -
	    b->tracks[TL_INTERRUPTED].v[0].from, 20000);
	assert_int_equal(b->tracks[TL_CAMERA].n, 0);
	assert_int_equal(b->tracks[TL_MIC].n, 2);	/* across the drop */
	/* join, drop, reconnect, interrupted, leave */
	assert_int_equal(b->nmarks, 5);
	assert_int_equal(b->marks[1].kind, TLM_DROP);
	assert_string_equal(b->marks[1].detail, "Disconnected: <b>eof</b>");
	assert_int_equal(b->marks[3].kind, TLM_INTERRUPTED);
	assert_int_equal(b->marks[4].kind, TLM_LEAVE);

	/* The lobby wait and the breakout move. */
	assert_int_equal(c->tracks[TL_LOBBY].n, 1);
	assert_int_equal(c->tracks[TL_LOBBY].v[0].to,
	    web_parse_time("2026-03-10T09:02:00Z"));
	for (i = 0; i < c->nmarks; i++)
		if (c->marks[i].kind == TLM_BREAKOUT)
			assert_non_null(strstr(c->marks[i].detail, "<room>"));

	for (i = 0; i < tl->nrows; i++) {
		billable += tl->rows[i].kind == TLR_BILLABLE ?
		    tl->rows[i].spans.n : 0;
		rec += tl->rows[i].kind == TLR_RECORDING ?
		    tl->rows[i].spans.n : 0;
		alerts += tl->rows[i].kind == TLR_ALERT;
	}
	assert_int_equal(billable, 2);
	assert_int_equal(rec, 1);
	assert_int_equal(alerts, 1);

	timeline_svg(&w, tl);
	assert_int_equal(count(w.s, "<g class=\"lane\""), 3);
	assert_has(w.s, "&lt;img src=x onerror=alert(1)&gt;",
	    "data-drops=\"1\"");
	assert_lacks(w.s, "<img", "<script", "<b>", "<room>");
	wbuf_free(&w);
	timeline_free(tl);
	report_rows_free(s);
	report_rows_free(p);
	report_rows_free(ev);
	report_rows_free(al);

	/* A session still running ends at now, open. */
	s = report_session_row(db, 4);
	p = report_participant_rows(db, 4);
	ev = report_timeline(db, 4);
	assert_non_null(tl = timeline_build(s, p, ev, NULL, NOW));
	assert_int_equal(tl->end, NOW);
	assert_int_equal(tl->lanes[0].tracks[TL_PRESENT].n, 1);
	assert_true(tl->lanes[0].tracks[TL_PRESENT].v[0].open);
	timeline_free(tl);
	report_rows_free(s);
	report_rows_free(p);
	report_rows_free(ev);

	/* Never started: the booked window. */
	s = report_session_row(db, 3);
	assert_non_null(tl = timeline_build(s, NULL, NULL, NULL, NOW));
	assert_int_equal(tl->end - tl->start, 30 * 60000);
	timeline_free(tl);
	report_rows_free(s);

	s = report_session_row(db, 99);
	assert_null(timeline_build(s, NULL, NULL, NULL, NOW));
	report_rows_free(s);
	db_close(db);
}

/*
 * Pages and the API through the router
 */

static struct web_response
get(struct web_server *srv, const char *uri)
{
	struct web_response	 r;

	web_handle(srv, "GET", uri, NULL, NOW, &r);
	return r;
}

/* No hostile markup survives; its escaped form is there when named. */
static void
assert_escaped(const char *body)
{
	assert_lacks(body, "<img", "<script>", "<b>");
	assert_int_equal(count(body, "<script"), 1);	/* app.js */
	assert_has(body, "<script src=\"/static/app.js\"");
}

static void
test_pages(void **state)
{
	struct web_server	*srv = *state;
	struct web_response	 r;


	r = get(srv, "/sessions/1");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	assert_escaped(r.body);
	assert_has(r.body, "&lt;img src=x onerror=alert(1)&gt;",
	    "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
	/* One lane per participant row; figures as stored. */
	assert_int_equal(count(r.body, "<g class=\"lane\""),
	    (size_t)q_int(srv->db, "SELECT count(*) FROM"
	    " teleconference_participant_sessions"
	    " WHERE teleconference_session_id = 1"));
	{
		char	 want[128];

		snprintf(want, sizeof(want), "data-field=\"billable_seconds\">"
		    "%s</dd>", q_text(srv->db, "SELECT billable_seconds FROM"
		    " teleconferencesessions WHERE id = 1"));
		assert_has(r.body, want);
	}
	/* Every column of the participant rows, device included. */
	assert_has(r.body, "data-field=\"operating_system\">Linux</dd>",
	    "data-field=\"participant_key\"", "id=\"session-fields\"");
	/* Rows link to the participant they name. */
	assert_has(r.body, "<a href=\"#p-2\">2</a>",
	    "<details class=\"participant\" id=\"p-2\">");
	web_response_free(&r);

	r = get(srv, "/");
	assert_int_equal(r.status, 200);
	assert_escaped(r.body);
	assert_has(r.body, "<main data-live=", "data-session=\"4\"",
	    "Live Person", "href=\"/sessions/4\"", "href=\"/sessions/3\"",
	    "href=\"/sessions/4#p-4\"");
	/* The no-show booked today and the open alerts. */
	assert_has(r.body, "caregiver_no_show", "caregiver_absent",
	    "&lt;script&gt;");
	web_response_free(&r);

	r = get(srv, "/sessions?status=failed&sort=start&dir=asc");
	assert_int_equal(r.status, 200);
	assert_escaped(r.body);
	assert_has(r.body, "href=\"/sessions/2\"", "href=\"/sessions/3\"");
	assert_lacks(r.body, "href=\"/sessions/1\"");
	assert_true(strstr(r.body, "href=\"/sessions/3\"") >
	    strstr(r.body, "href=\"/sessions/2\""));
	assert_has(r.body, "aria-sort=\"ascending\"",
	    "/api/sessions?status=failed&amp;"
	    "sort=start&amp;dir=asc&amp;format=csv");
	web_response_free(&r);

	r = get(srv, "/sessions?caregiver=cg-1");
	/* 3: cg-1 is on its roster. */
	assert_has(r.body, "href=\"/sessions/1\"", "href=\"/sessions/3\"");
	assert_lacks(r.body, "href=\"/sessions/2\"");
	web_response_free(&r);

	r = get(srv, "/reports?from=2026-03-10&to=2026-03-12");
	assert_int_equal(r.status, 200);
	assert_escaped(r.body);
	assert_has(r.body, "id=\"chart-daily\"", "data-day=\"2026-03-10\"",
	    "id=\"billing-table\"");
	/* cg-1 missed one of two ended bookings. */
	assert_has(r.body, ">50 %</text>");
	/* Every report row names its session, linked. */
	assert_non_null(strstr(strstr(r.body, "id=\"alerts-table\""),
	    "<td data-col=\"session_id\" class=\"num\"><a href=\"/sessions/4\">"));
	web_response_free(&r);

	r = get(srv, "/reports?from=2026-03-11&to=2026-03-11");
	assert_lacks(r.body, "data-day=\"2026-03-10\"");
	web_response_free(&r);

	r = get(srv, "/sessions/99");
	assert_int_equal(r.status, 404);
	web_response_free(&r);
}

static void
test_api(void **state)
{
	struct web_server	*srv = *state;
	struct web_response	 r;
	json_t			*j;


	r = get(srv, "/api/sessions?room=CLINIC-7");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_non_null(j = json_loadb(r.body, r.len, 0, NULL));
	assert_int_equal(json_array_size(j), 2);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(j, 0), "id")), 3);
	json_decref(j);
	web_response_free(&r);

	r = get(srv, "/api/sessions/1");
	assert_int_equal(r.status, 200);
	assert_non_null(j = json_loadb(r.body, r.len, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(j, "participants")),
	    3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "participants"), 1), "participant_name")),
	    HOSTILE_IMG);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j,
	    "timeline"), "lanes")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
	    "session"), "total_duration_seconds")), 600);
	json_decref(j);
	web_response_free(&r);

	r = get(srv, "/api/sessions/1/events?format=csv");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/csv; charset=utf-8");
	assert_string_equal(r.filename, "session-1-events.csv");
	assert_true(strncmp(r.body, "timestamp,type,participant", 26) == 0);
	web_response_free(&r);

	r = get(srv, "/api/reports/billing?format=csv&from=2026-03-11");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.filename, "billing.csv");
	assert_int_equal(count(r.body, "\r\n"), 4);	/* header + 2, 3, 4 */
	web_response_free(&r);

	r = get(srv, "/api/now");
	assert_non_null(j = json_loadb(r.body, r.len, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "day")),
	    "2026-03-12");
	assert_int_equal(json_array_size(json_object_get(j, "sessions")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "open_alerts")),
	    2);
	json_decref(j);
	web_response_free(&r);

	r = get(srv, "/api/reports/noshow");
	assert_non_null(j = json_loadb(r.body, r.len, 0, NULL));
	assert_int_equal(json_real_value(json_object_get(json_array_get(j, 0),
	    "no_show_percent")), 50.0);
	json_decref(j);
	web_response_free(&r);

	/* More refusals of the API are in test_router_refuses(). */
	r = get(srv, "/api/sessions?from=yesterday");
	assert_int_equal(r.status, 400);
	assert_has(r.body, "YYYY-MM-DD");
	web_response_free(&r);
}

static void
test_router_refuses(void **state)
{
	static const struct {
		const char	*method;
		const char	*uri;
		unsigned	 status;
	} cases[] = {
		{ "POST", "/", 405 },
		{ "DELETE", "/sessions/1", 405 },
		{ "PUT", "/static/app.js", 405 },
		{ "OPTIONS", "*", 405 },
		{ "HEAD", "/", 200 },
		{ "GET", "/../../etc/passwd", 404 },
		{ "GET", "/static/../../etc/passwd", 404 },
		{ "GET", "/static/%2e%2e/style.css", 404 },
		{ "GET", "/static/", 404 },
		{ "GET", "/static/style.css/", 404 },
		{ "GET", "//etc/passwd", 404 },
		{ "GET", "/sessions/1/", 404 },
		{ "GET", "/sessions/-1", 404 },
		{ "GET", "/sessions/1x", 404 },
		{ "GET", "/sessions/99999999999999999999", 404 },
		{ "GET", "/etc/passwd", 404 },
		{ "GET", "/api/reports/secrets", 404 },
		{ "GET", "/api/sessions/1/nope", 404 },
		{ "GET", "/api/sessions/99", 404 },
		{ "GET", "/api/sessions?format=xml", 400 },
		{ "GET", "http://evil/", 400 },
		{ "GET", "", 400 },
		{ "GET", "/sessions?from=%zz", 400 },
		{ "GET", "/sessions?status=%3Cscript%3E", 400 },
		{ "GET", "/static/style.css?x=%zz", 200 },
		{ "GET", "/metrics", 200 },
		{ "GET", "/sessions#frag", 200 },
	};
	struct web_server	*srv = *state;
	struct web_response	 r;
	char			*huge;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		web_handle(srv, cases[i].method, cases[i].uri, NULL, NOW, &r);
		if (r.status != cases[i].status)
			fail_msg("%s %s: expected %u, got %u", cases[i].method,
			    cases[i].uri, cases[i].status, r.status);
		/* An error page never echoes the request's markup. */
		assert_lacks(r.body, "<script>");
		web_response_free(&r);
	}
	huge = xmalloc(WEB_MAX_URI + 64);
	memset(huge, 'a', WEB_MAX_URI + 63);
	memcpy(huge, "/sessions?room=", 15);
	huge[WEB_MAX_URI + 63] = '\0';
	web_handle(srv, "GET", huge, NULL, NOW, &r);
	assert_int_equal(r.status, 414);
	web_response_free(&r);
	free(huge);
	/* Too many parameters to be ours: refused before any parsing. */
	huge = xmalloc(4 * (WEB_MAX_SEPARATORS + 2) + 16);
	strcpy(huge, "/sessions?a=1");
	for (i = 0; i < WEB_MAX_SEPARATORS; i++)
		strcat(huge, "&a=1");
	assert_true(web_target_ok(huge));
	strcat(huge, "&b");
	assert_false(web_target_ok(huge));
	web_handle(srv, "GET", huge, NULL, NOW, &r);
	assert_int_equal(r.status, 414);
	web_response_free(&r);
	free(huge);

	r = get(srv, "/static/app.js");
	assert_int_equal(r.status, 200);
	assert_true(r.immutable);
	assert_string_equal(r.ctype, "text/javascript; charset=utf-8");
	web_response_free(&r);
}

/*
 * Metrics
 */

static char *
metrics_text(struct db *db, const char *status)
{
	struct report_rows	*live, *st, *ev, *al;
	struct metrics_db	 m;
	struct wbuf		 b = { NULL, 0, 0 };

	m.live = live = report_counts(db, "live");
	m.statuses = st = report_counts(db, "status");
	m.events = ev = report_counts(db, "events");
	m.alerts = al = report_counts(db, "alerts");
	metrics_write(&b, &m, status, NOW);
	report_rows_free(live);
	report_rows_free(st);
	report_rows_free(ev);
	report_rows_free(al);
	return wbuf_take(&b, NULL);
}

static void
test_metrics(void **state)
{
	struct db	*db = fixture_db();
	char		*t;

	(void)state;
	t = metrics_text(db, "{\"version\":1,\"pid\":7,"
	    "\"started\":\"2026-03-12T10:00:00.000Z\","
	    "\"updated\":\"2026-03-12T11:04:59.000Z\",\"connected\":true,"
	    "\"mode\":\"full\",\"rooms_watched\":3,\"rooms_joined\":2,"
	    "\"writer_queue\":5,\"events_held\":0,\"events_dropped\":1,"
	    "\"events_written\":1234,\"events_by_type\":{\"join\":10},"
	    "\"last_commit\":\"2026-03-12T11:04:58.500Z\","
	    "\"future_key\":[1]}");
	assert_has(t, "\nteletrack_up 1\n", "\nteletrack_xmpp_connected 1\n",
	    "\nteletrack_writer_queue_depth 5\n",
	    "\nteletrack_writer_events_dropped_total 1\n",
	    "# TYPE teletrack_writer_events_dropped_total counter\n",
	    "\nteletrack_last_commit_age_seconds 1.5\n",
	    "teletrack_mode_info{mode=\"full\"} 1\n",
	    "teletrack_writer_events_written_by_type_total"
	    "{type=\"join\"} 10\n");
	/* The database's figures. */
	assert_has(t, "\nteletrack_sessions_active 1\n",
	    "\nteletrack_participants_present 1\n",
	    "teletrack_sessions{status=\"failed\"} 2\n",
	    "teletrack_alerts_open{rule=\"caregiver_absent"
	    "\",severity=\"critical\"} 1\n",
	    "teletrack_alerts_open{rule=\"we\\\"ird\\\\rule"
	    "\",severity=\"info\"} 1\n",
	    "teletrack_events_recorded_total{type=\"join\"} 4\n");
	free(t);

	/* Stale (11 s), missing, garbage: down, and no daemon figures. */
	t = metrics_text(db, "{\"updated\":\"2026-03-12T11:04:49.000Z\","
	    "\"connected\":true,\"writer_queue\":5}");
	assert_has(t, "\nteletrack_up 0\n",
	    "\nteletrack_status_age_seconds 11\n",
	    "teletrack_sessions_active 1");
	assert_lacks(t, "teletrack_xmpp_connected",
	    "teletrack_writer_queue_depth");
	free(t);
	t = metrics_text(db, NULL);
	assert_has(t, "teletrack_up 0\n");
	assert_lacks(t, "teletrack_status_age_seconds");
	free(t);
	t = metrics_text(db, "{not json");
	assert_has(t, "teletrack_up 0\n");
	free(t);
	/* Disconnected: how long. */
	t = metrics_text(db, "{\"updated\":\"2026-03-12T11:05:00.000Z\","
	    "\"connected\":false,\"disconnected_since\":"
	    "\"2026-03-12T11:04:30.000Z\"}");
	assert_has(t, "\nteletrack_xmpp_connected 0\n",
	    "\nteletrack_xmpp_disconnected_seconds 30\n");
	free(t);
	db_close(db);
}

/* /metrics reads the status file named by the server. */
static void
test_metrics_file(void **state)
{
	struct web_server	*srv = *state;
	struct web_response	 r;
	FILE			*fp;

	srv->status_path = tmpfile_path("teletrack.status");
	unlink(srv->status_path);
	r = get(srv, "/metrics");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/plain; version=0.0.4; "
	    "charset=utf-8");
	assert_has(r.body, "teletrack_up 0\n");
	web_response_free(&r);
	assert_non_null(fp = fopen(srv->status_path, "w"));
	fputs("{\"updated\":\"2026-03-12T11:04:59.900Z\",\"connected\":true}",
	    fp);
	fclose(fp);
	r = get(srv, "/metrics");
	assert_has(r.body, "teletrack_up 1\n");
	web_response_free(&r);
}

/*
 * Authentication
 */

static void
test_auth(void **state)
{
	struct crypt_data	 cd;
	struct web_server	 srv = { NULL, NULL, NULL };
	struct web_response	 r;
	struct auth		*a;
	char			 users[512], err[256];
	const char		*h;
	static const char	 token[] =
	    "0123456789abcdef0123456789abcdef";

	(void)state;
	memset(&cd, 0, sizeof(cd));
	h = crypt_r("s3cret", "$6$testsalt$", &cd);
	snprintf(users, sizeof(users), "# admins\n\nadmin:%s\nother:%s\n",
	    h, h);
	assert_non_null(a = auth_load_text(users, token, err, sizeof(err)));
	/* admin:s3cret, admin:wrong, nobody:s3cret */
	assert_true(auth_check(a, "Basic YWRtaW46czNjcmV0"));
	assert_true(auth_check(a, "basic   YWRtaW46czNjcmV0"));
	assert_true(auth_check(a, "Basic YWRtaW46czNjcmV0"));	/* cached */
	assert_false(auth_check(a, "Basic YWRtaW46d3Jvbmc="));
	assert_false(auth_check(a, "Basic bm9ib2R5OnMzY3JldA=="));
	assert_false(auth_check(a, "Basic !!!!"));
	assert_false(auth_check(a, "Basic YWRtaW4="));	/* no colon */
	assert_false(auth_check(a, "Basic "));
	assert_true(auth_check(a, "Bearer 0123456789abcdef0123456789abcdef"));
	assert_false(auth_check(a, "Bearer 0123456789abcdef0123456789abcde"));
	assert_false(auth_check(a, "Bearer"));
	assert_false(auth_check(a, "Digest x"));
	assert_false(auth_check(a, NULL));

	srv.db = fixture_db();
	srv.auth = a;
	web_handle(&srv, "GET", "/", NULL, NOW, &r);
	assert_int_equal(r.status, 401);
	web_response_free(&r);
	web_handle(&srv, "GET", "/metrics", "Basic YWRtaW46d3Jvbmc=", NOW, &r);
	assert_int_equal(r.status, 401);
	web_response_free(&r);
	web_handle(&srv, "GET", "/metrics", "Bearer " "0123456789abcdef"
	    "0123456789abcdef", NOW, &r);
	assert_int_equal(r.status, 200);
	web_response_free(&r);
	auth_free(a);
	db_close(srv.db);

	/* Bad files say where. */
	assert_null(auth_load_text("admin\n", NULL, err, sizeof(err)));
	assert_has(err, ":1: not user:hash");
	assert_null(auth_load_text("# x\nadmin:plaintext\n", NULL, err,
	    sizeof(err)));
	assert_has(err, ":2: not a crypt(3) hash");
	assert_null(auth_load_text("# nobody\n", NULL, err, sizeof(err)));
	assert_null(auth_load_text(NULL, "short\n", err, sizeof(err)));
	assert_null(auth_load_text(NULL, NULL, err, sizeof(err)));
	assert_non_null(a = auth_load_text(NULL, "  " "0123456789abcdef"
	    "0123456789abcdef\n", err, sizeof(err)));
	assert_false(auth_check(a, "Basic YWRtaW46czNjcmV0"));
	auth_free(a);
	auth_free(NULL);
}

/*
 * report html
 */

/* The HTML file: standalone, the session's page, nothing fetched. */
static void
test_html_file(void **state)
{
	struct db	*db;
	const char	*path = tmpfile_path("file.db");
	const char	*out = tmpfile_path("out.html");
	char		*argv[8], buf[1 << 16];
	FILE		*fp;
	size_t		 n;
	char		*err = NULL;

	(void)state;
	unlink(path);
	db = open_ok(path, 0);
	assert_int_equal(sqlite3_exec(db_sqlite(db), fixture, NULL, NULL,
	    &err), SQLITE_OK);
	db_close(db);
	argv[0] = (char *)(uintptr_t)"report";
	argv[1] = (char *)(uintptr_t)"html";
	argv[2] = (char *)(uintptr_t)"-o";
	argv[3] = (char *)(uintptr_t)out;
	argv[4] = (char *)(uintptr_t)"-s";
	argv[5] = (char *)(uintptr_t)"u1";
	argv[6] = NULL;
	assert_int_equal(cmd_main(stdout, path, 6, argv), 0);
	assert_non_null(fp = fopen(out, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_true(n > 1000 && n < sizeof(buf) - 1);
	assert_has(buf, "<style>", "default-src 'none'", "id=\"session-1\"");
	assert_lacks(buf, "<script", "<img", "href=\"/", " src=\"");
	assert_int_equal(count(buf, "<g class=\"lane\""), 3);

	/* Filters are checked like the dashboard's. */
	argv[4] = (char *)(uintptr_t)"--from";
	argv[5] = (char *)(uintptr_t)"March";
	assert_int_equal(cmd_main(stdout, path, 6, argv), 2);
	argv[2] = (char *)(uintptr_t)"-s";
	argv[3] = (char *)(uintptr_t)"nope";
	assert_int_equal(cmd_main(stdout, path, 4, argv), 2);
	/* -o - writes to the command's output. */
	argv[2] = (char *)(uintptr_t)"-o";
	argv[3] = (char *)(uintptr_t)"-";
	argv[4] = (char *)(uintptr_t)"--status";
	argv[5] = (char *)(uintptr_t)"failed";
	assert_non_null(fp = tmpfile());
	assert_int_equal(cmd_main(fp, path, 6, argv), 0);
	assert_true(ftell(fp) > 1000);
	fclose(fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_url_encode),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test_setup_teardown(test_pages, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_api, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_router_refuses, srv_setup,
		    srv_teardown),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test_setup_teardown(test_metrics_file, srv_setup,
		    srv_teardown),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_html_file),
	};

	log_init(0, "test_web");
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
