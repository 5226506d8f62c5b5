/*
 * The storage interface on PostgreSQL, against SQLite: run by the
 * integration scenario sc_postgres.sh, which starts a real server and
 * sets TELETRACK_TEST_PG to its URL (and $TELETRACK_DB_PASSWORD); without
 * it there is nothing to test and the binary says so and exits 0.
 *
 * Most tests are differential: the same rows (the dashboard's fixture,
 * or a meeting and a booking through the writer and the schedule
 * commands) go into a SQLite :memory: database and into a fresh
 * PostgreSQL schema, and every report, every dashboard page and API
 * answer, the schedule list and the settings must come out the same,
 * cell for cell and byte for byte.  The rest is PostgreSQL's own: the
 * two schemas' columns agree (so the two dialects' migrations cannot
 * drift apart unnoticed), shards share one database (claims, repair),
 * and a writer whose connection is killed holds its events and writes
 * them once, after it reconnected.
 *
 * Over 800 lines: differential tests of every report, page and command
 * on both backends, sharing one set of fixtures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>
#include <jansson.h>

#include "bookings.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "report.h"
#include "web/router.h"
#include "schedule.h"
#include "schedule_batch.h"
#include "settings.h"
#include "writer.h"
#include "xmalloc.h"

#include "testevents.h"
#include "webfixture.h"

#define T0	1773133200000LL		/* 2026-03-10T09:00:00.000Z */
#define NOW	1773313500000LL		/* 2026-03-12T11:05:00.000Z */

static const char	*pg_url;
static int		 nschemas;

/*
 * Databases
 */

/* A fresh schema on the test server, migrated; the tag names it. */
static struct db *
open_pg_as(const char *tag, const char *schema_suffix)
{
	struct db_conf	 conf;
	struct db	*db;
	char		 schema[64], err[512];

	snprintf(schema, sizeof(schema), "t_%s_%d_%d%s", tag, (int)getpid(),
	    nschemas++, schema_suffix != NULL ? schema_suffix : "");
	memset(&conf, 0, sizeof(conf));
	conf.target = pg_url;
	conf.schema = schema;
	if ((db = db_connect(&conf, 0, err, sizeof(err))) == NULL)
		fail_msg("db_connect(%s): %s", schema, err);
	return db;
}

static struct db *
open_pg(const char *tag)
{
	return open_pg_as(tag, NULL);
}

/* Another connection to the schema db uses. */
static struct db *
reopen(struct db *db, int flags)
{
	struct db_conf	 conf;
	struct db_stmt	*st;
	struct db	*o;
	char		*schema, err[512];

	st = db_stmt_new(db, "SELECT current_schema()");
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_ROW);
	schema = xstrdup(db_column_text(st, 0));
	db_stmt_free(st);
	memset(&conf, 0, sizeof(conf));
	conf.target = pg_url;
	conf.schema = schema;
	if ((o = db_connect(&conf, flags, err, sizeof(err))) == NULL)
		fail_msg("db_connect: %s", err);
	free(schema);
	return o;
}

static struct db *
open_lite(void)
{
	struct db	*db;
	char		 err[256];

	if ((db = db_open(":memory:", 0, err, sizeof(err))) == NULL)
		fail_msg("db_open: %s", err);
	return db;
}

static void
script_ok(struct db *db, const char *sql)
{
	if (db_script(db, sql) == -1)
		fail_msg("%s: %s", db_path(db), db_errmsg(db));
}

/* The single integer a query returns (-999 for no row or NULL). */
static int64_t
q_int(struct db *db, const char *sql)
{
	struct db_stmt	*st;
	int64_t		 v = -999;

	if ((st = db_stmt_new(db, sql)) == NULL)
		fail_msg("%s: %s", sql, db_errmsg(db));
	if (db_step(st) == DB_ROW && db_column_type(st, 0) != DB_NULL)
		v = db_column_int(st, 0);
	db_stmt_free(st);
	return v;
}

/*
 * Comparing
 */

static int	 differences;

static void
differ(const char *what, const char *fmt, ...)
{
	va_list	 ap;

	printf("DIFFERENT %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	differences++;
}

/* Columns whose values come from each database's clock. */
static int
clock_column(const char *name)
{
	return strcmp(name, "createdAt") == 0 || strcmp(name, "updatedAt") == 0;
}

/* a (SQLite) and b (PostgreSQL) hold the same rows; frees both. */
static void
same_rows(struct report_rows *a, struct report_rows *b, const char *what)
{
	const struct report_cell	*x, *y;
	size_t				 i, j;

	if (a == NULL || b == NULL) {
		differ(what, "%s failed", a == NULL ? "SQLite" : "PostgreSQL");
		goto out;
	}
	if (a->ncols != b->ncols) {
		differ(what, "%zu columns, PostgreSQL %zu", a->ncols, b->ncols);
		goto out;
	}
	for (j = 0; j < a->ncols; j++)
		if (strcmp(a->cols[j], b->cols[j]) != 0)
			differ(what, "column %zu: %s, PostgreSQL %s", j,
			    a->cols[j], b->cols[j]);
	if (a->nrows != b->nrows) {
		differ(what, "%zu rows, PostgreSQL %zu", a->nrows, b->nrows);
		goto out;
	}
	for (i = 0; i < a->nrows; i++)
		for (j = 0; j < a->ncols; j++) {
			if (clock_column(a->cols[j]))
				continue;
			x = report_cell(a, i, j);
			y = report_cell(b, i, j);
			if (x->type != y->type || (x->text == NULL) !=
			    (y->text == NULL) || (x->text != NULL &&
			    strcmp(x->text, y->text) != 0))
				differ(what, "row %zu %s: [%s] (%d), "
				    "PostgreSQL [%s] (%d)", i, a->cols[j],
				    x->text != NULL ? x->text : "NULL",
				    x->type, y->text != NULL ? y->text :
				    "NULL", y->type);
		}
out:
	report_rows_free(a);
	report_rows_free(b);
}

/* The filters every list report is compared under. */
static const struct report_filter filters[] = {
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ "2026-03-10", "2026-03-11", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "2026-03-12", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	{ NULL, "2026-02-30", NULL, NULL, NULL, NULL, NULL, 0 },
	{ NULL, NULL, "completed", NULL, NULL, NULL, NULL, 0 },
	{ NULL, NULL, NULL, "CLINIC-7", NULL, NULL, NULL, 0 },
	{ NULL, NULL, NULL, NULL, "cg-1", NULL, NULL, 0 },
	{ NULL, NULL, NULL, NULL, "Dr Who", NULL, NULL, 0 },
	{ NULL, NULL, NULL, NULL, NULL, "poor", NULL, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "start", 1 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "room", 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "status", 1 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "duration", 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "participants", 1 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "disconnections", 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "quality", 1 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "billable", 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, "billable", 1 },
};

typedef struct report_rows *(*id_fn)(struct db *, int64_t);

/* Every report, on both, for the sessions in ids[]. */
static void
same_reports(struct db *lite, struct db *pg, const char *day,
    const char *const *refs)
{
	static const struct { const char *name; id_fn fn; } ones[] = {
		{ "participants", report_participants },
		{ "summary", report_summary },
		{ "session_row", report_session_row },
		{ "participant_rows", report_participant_rows },
		{ "timeline", report_timeline },
		{ "session_alerts", report_session_alerts },
		{ "roster", report_roster },
	};
	const char	*name;
	char		 what[128];
	size_t		 i, k;
	int64_t		 a, b;

	for (k = 0; k < sizeof(filters) / sizeof(filters[0]); k++) {
		const struct report_filter *f = &filters[k];

		for (i = 0; (name = report_list_name(i)) != NULL; i++) {
			snprintf(what, sizeof(what), "%s, filter %zu", name, k);
			same_rows(report_list(lite, name, f, 0),
			    report_list(pg, name, f, 0), what);
		}
	}
	same_rows(report_list(lite, "sessions", NULL, 2),
	    report_list(pg, "sessions", NULL, 2),
	    "sessions -n 2");
	same_rows(report_now(lite, day), report_now(pg, day), "now");
	same_rows(report_present(lite, day), report_present(pg, day),
	    "present");
	same_rows(report_open_alerts(lite), report_open_alerts(pg),
	    "open alerts");
	same_rows(report_counts(lite, "live"), report_counts(pg, "live"),
	    "live");
	same_rows(report_counts(lite, "status"), report_counts(pg, "status"),
	    "status counts");
	same_rows(report_counts(lite, "events"), report_counts(pg, "events"),
	    "event counts");
	same_rows(report_counts(lite, "alerts"), report_counts(pg, "alerts"),
	    "alert counts");
	for (k = 0; refs[k] != NULL; k++) {
		a = report_find_session(lite, refs[k]);
		b = report_find_session(pg, refs[k]);
		if (a != b)
			differ("find", "%s: %lld, PostgreSQL %lld", refs[k],
			    (long long)a, (long long)b);
		if (a <= 0)
			continue;
		for (i = 0; i < sizeof(ones) / sizeof(ones[0]); i++) {
			snprintf(what, sizeof(what), "%s %s", ones[i].name,
			    refs[k]);
			same_rows(ones[i].fn(lite, a), ones[i].fn(pg, a), what);
		}
		snprintf(what, sizeof(what), "events %s", refs[k]);
		same_rows(report_events(lite, a, 0), report_events(pg, a, 0),
		    what);
	}
}

/* The dashboard's answers to uris, on both, byte for byte. */
static void
same_pages(struct db *lite, struct db *pg, const char *const *uris,
    int64_t now)
{
	struct web_server	 sa, sb;
	struct web_response	 ra, rb;
	size_t			 i;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	sa.db = lite;
	sb.db = pg;
	for (i = 0; uris[i] != NULL; i++) {
		memset(&ra, 0, sizeof(ra));
		memset(&rb, 0, sizeof(rb));
		web_handle(&sa, "GET", uris[i], NULL, now, &ra);
		web_handle(&sb, "GET", uris[i], NULL, now, &rb);
		if (ra.status != rb.status)
			differ(uris[i], "status %u, PostgreSQL %u", ra.status,
			    rb.status);
		else if (ra.len != rb.len || memcmp(ra.body, rb.body,
		    ra.len) != 0) {
			size_t	 k = 0;

			while (k < ra.len && k < rb.len &&
			    ra.body[k] == rb.body[k])
				k++;
			differ(uris[i], "bodies differ at byte %zu: [%.60s] "
			    "PostgreSQL [%.60s]", k, ra.body + k, rb.body + k);
		}
		web_response_free(&ra);
		web_response_free(&rb);
	}
}

/*
 * The two schemas agree
 */

/* "int", "real" or "text" for a column type of either dialect. */
static const char *
type_class(const char *t)
{
	if (t == NULL || *t == '\0')
		return "";
	if (strcasestr(t, "int") != NULL)
		return "int";
	if (strcasestr(t, "real") != NULL || strcasestr(t, "double") != NULL ||
	    strcasestr(t, "numeric") != NULL)
		return "real";
	return "text";
}

static const char sql_lite_columns[] =
	"SELECT m.type || ' ' || m.name || '.' || lower(p.name) || ' ' ||"
	" p.type || ' ' || p.\"notnull\" || ' ' || (p.pk > 0)"
	" FROM sqlite_master m, pragma_table_info(m.name) p"
	" WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite%'"
	" ORDER BY m.name, lower(p.name)";

static const char sql_pg_columns[] =
	"SELECT CASE t.table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END"
	" || ' ' || c.table_name || '.' || c.column_name || ' ' || c.data_type"
	" || ' ' || CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END || ' ' ||"
	" CASE WHEN EXISTS (SELECT 1 FROM"
	"  information_schema.key_column_usage k JOIN"
	"  information_schema.table_constraints tc ON tc.constraint_name ="
	"  k.constraint_name AND tc.table_schema = k.table_schema"
	"  WHERE tc.constraint_type = 'PRIMARY KEY'"
	"  AND k.table_schema = c.table_schema AND k.table_name ="
	"  c.table_name AND k.column_name = c.column_name) THEN 1 ELSE 0 END"
	" FROM information_schema.columns c JOIN information_schema.tables t"
	" ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
	" WHERE c.table_schema = current_schema()"
	" AND c.table_name <> 'teletrack_schema'"
	" ORDER BY c.table_name, c.column_name";

static const char sql_lite_indexes[] =
	"SELECT name FROM sqlite_master WHERE type = 'index'"
	" AND name LIKE 'idx_%' ORDER BY name";

static const char sql_pg_indexes[] =
	"SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
	" AND indexname LIKE 'idx_%' ORDER BY indexname";

/* Every row of sql's first column, "\n"-joined; the caller frees it. */
static char *
lines(struct db *db, const char *sql)
{
	struct db_stmt	*st;
	char		*out = xstrdup(""), *t;
	int		 rc;

	if ((st = db_stmt_new(db, sql)) == NULL)
		fail_msg("%s", db_errmsg(db));
	while ((rc = db_step(st)) == DB_ROW) {
		xasprintf(&t, "%s%s\n", out, db_column_text(st, 0));
		free(out);
		out = t;
	}
	assert_int_equal(rc, DB_DONE);
	db_stmt_free(st);
	return out;
}

/*
 * A column "kind table.name type notnull pk" with its type reduced to a
 * class; views' types are what each dialect infers, so only their names
 * count.  meeting_settings' minutes are INTEGER columns on SQLite that
 * hold fractions (settings_table says REAL), DOUBLE PRECISION on
 * PostgreSQL: compared by settings_table.
 */
static char *
canonical(const char *line)
{
	char		*copy, *p, *kind, *col, *type, *nn, *pk, *out;
	const struct setting *s;
	const char	*cls, *dot;

	/* "kind col type... notnull pk": the type may be empty or two words. */
	copy = xstrdup(line);
	p = copy;
	kind = strsep(&p, " ");
	col = strsep(&p, " ");
	if (p == NULL || (pk = strrchr(p, ' ')) == NULL)
		fail_msg("cannot read column line: %s", line);
	*pk++ = '\0';
	if ((nn = strrchr(p, ' ')) != NULL) {
		*nn++ = '\0';
		type = p;
	} else {
		nn = p;
		type = "";
	}
	cls = type_class(type);
	if (strcmp(kind, "view") == 0) {
		xasprintf(&out, "view %s", col);
		free(copy);
		return out;
	}
	dot = strchr(col, '.');
	if (strncmp(col, "meeting_settings.", 17) == 0 && dot != NULL &&
	    (s = settings_find(dot + 1)) != NULL)
		cls = s->type == SETTING_REAL ? "real" :
		    s->type == SETTING_INT ? "int" : "text";
	/* SQLite's INTEGER PRIMARY KEY is NOT NULL without saying so. */
	xasprintf(&out, "%s %s %s %s %s", kind, col, cls,
	    strcmp(pk, "1") == 0 ? "1" : nn, pk);
	free(copy);
	return out;
}

static void
test_schema_parity(void **state)
{
	struct db	*lite, *pg;
	char		*a, *b, *la, *lb, *p, *q, *sa, *sb;

	(void)state;
	lite = open_lite();
	pg = open_pg("parity");
	a = lines(lite, sql_lite_columns);
	b = lines(pg, sql_pg_columns);
	for (p = a, q = b; *p != '\0' || *q != '\0'; ) {
		la = strsep(&p, "\n");
		lb = strsep(&q, "\n");
		if (la == NULL || lb == NULL || *la == '\0' || *lb == '\0') {
			if ((la != NULL && *la != '\0') ||
			    (lb != NULL && *lb != '\0'))
				differ("schema", "SQLite [%s], PostgreSQL [%s]",
				    la != NULL ? la : "", lb != NULL ? lb : "");
			if (p == NULL || q == NULL)
				break;
			continue;
		}
		sa = canonical(la);
		sb = canonical(lb);
		if (strcmp(sa, sb) != 0)
			differ("schema", "SQLite [%s], PostgreSQL [%s]", sa,
			    sb);
		free(sa);
		free(sb);
		if (p == NULL || q == NULL)
			break;
	}
	free(a);
	free(b);
	a = lines(lite, sql_lite_indexes);
	b = lines(pg, sql_pg_indexes);
	if (strcmp(a, b) != 0)
		differ("indexes", "SQLite\n%sPostgreSQL\n%s", a, b);
	free(a);
	free(b);
	/* The migrations are numbered alike. */
	assert_int_equal(q_int(pg, "SELECT version FROM teletrack_schema"),
	    DB_SCHEMA_VERSION);
	db_close(lite);
	db_close(pg);
	assert_int_equal(differences, 0);
}

/*
 * The dashboard's fixture: every report and page alike
 */

static const char clocks[] =
	"UPDATE teleconferencesessions SET createdAt = '2026-03-01T00:00:00Z',"
	" updatedAt = '2026-03-02T00:00:00Z';"
	"UPDATE teleconference_participant_sessions SET"
	" createdAt = '2026-03-01T00:00:00Z',"
	" updatedAt = '2026-03-02T00:00:00Z';"
	"UPDATE alerts SET createdAt = '2026-03-01T00:00:00Z',"
	" updatedAt = '2026-03-02T00:00:00Z';"
	"UPDATE teleconference_expected_participants"
	" SET createdAt = '2026-03-01T00:00:00Z';"
	"UPDATE meeting_settings SET createdAt = '2026-03-01T00:00:00Z',"
	" updatedAt = '2026-03-02T00:00:00Z'";

static void
test_fixture_alike(void **state)
{
	static const char *const refs[] = { "1", "2", "3", "4", "u1",
	    "apt-3", "clinic-7", "CLINIC-7", "live-room", "nosuch", "99",
	    NULL };
	static const char *const uris[] = { "/", "/sessions",
	    "/sessions?sort=duration&dir=asc", "/sessions?sort=room",
	    "/sessions?from=2026-03-10&to=2026-03-11",
	    "/sessions?status=failed&caregiver=cg-1",
	    "/sessions?quality=poor&limit=1", "/sessions/1", "/sessions/3",
	    "/sessions/4", "/reports", "/reports?from=2026-03-11",
	    "/api/now", "/api/sessions", "/api/sessions?format=csv",
	    "/api/sessions/1", "/api/sessions/1/events",
	    "/api/sessions/1/participants", "/api/reports/billing",
	    "/api/reports/problems", "/api/reports/caregivers",
	    "/api/reports/attendance", "/api/reports/alerts",
	    "/api/reports/daily", "/api/reports/quality",
	    "/api/reports/noshow", "/metrics", NULL };
	struct db	*lite, *pg;

	(void)state;
	lite = open_lite();
	pg = open_pg("fixture");
	script_ok(lite, fixture);
	script_ok(pg, fixture);
	/* The defaults are each database's clock: make them one. */
	script_ok(lite, clocks);
	script_ok(pg, clocks);
	same_reports(lite, pg, "2026-03-12", refs);
	same_pages(lite, pg, uris, NOW);
	db_close(lite);
	db_close(pg);
	assert_int_equal(differences, 0);
}

/*
 * A meeting through the writer, a booking through the schedule
 */

/* Book appt in room, with a caregiver and a patient. */
static void
book(struct db *db, const char *appt, const char *room, const char *start,
    double minutes)
{
	struct schedule_batch	 b;
	struct schedule_appt	*a;
	char			 err[256];

	schedule_batch_init(&b, NULL);
	a = schedule_batch_add(&b, 0);
	a->appt = xstrdup(appt);
	a->room = xstrdup(room);
	a->minutes = minutes;
	a->has_minutes = 1;
	if (schedule_parse_time(start, &a->start_ms, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	schedule_appt_member(a, "cg-1", "caregiver", "Dr Who");
	schedule_appt_member(a, "pt-1", "patient", "Pat");
	if (schedule_apply(db, &b, T0) == -1)
		fail_msg("%s: schedule_apply: %s", db_path(db),
		    b.nerrs > 0 ? b.errs[0].msg : "?");
	schedule_batch_free(&b);
}

/*
 * The same story on db: settings, two bookings (one cancelled), the
 * booked meeting with a caregiver and a patient who drops and comes
 * back, alerts, attendance, the outcome; an ad hoc meeting with a
 * hostile name and a kicked guest; a session left active.
 */
static void
story(struct db *db)
{
	static char *const kv[] = { "default_duration=0.5",
	    "allow_early_join_minutes=2.5", "alert_rules=all",
	    "caregiver_role=caregiver", "max_participants=3" };
	struct session_rec	 s, h, z;
	struct participant_rec	 cg, pt, g, tab;
	struct writer		*w;
	char			 err[256];

	if (schedule_settings_set(db, kv, sizeof(kv) / sizeof(kv[0]), T0,
	    err, sizeof(err)) == -1)
		fail_msg("settings: %s", err);
	book(db, "appt-1", "Consult42", "2026-03-10T09:00:00Z", 30);
	book(db, "appt-2", "consult43", "2026-03-11T09:00:00Z", 20.5);
	if (schedule_cancel(db, "appt-2", "patient called", T0, err,
	    sizeof(err)) == -1)
		fail_msg("cancel: %s", err);
	book(db, "appt-3", "consult44", "2030-01-01T09:00:00Z", 45);

	w = writer_new(db, 200, 500);
	session_init(&s, "appt:appt-1", T0);
	s.appointment_id = "appt-1";
	emit(w, EVENT_SESSION_START, T0, &s, NULL, "{\"meeting_id\":\"m-1\"}");
	caregiver_joins(&s, &cg, "id:cg-1", "cg-1", "S-cg", T0 + 1000);
	cg.browser = "Firefox";
	emit(w, EVENT_JOIN, T0 + 1000, &s, &cg, "{\"nick\":\"Dr Who\"}");
	emit(w, EVENT_ALERT, T0 + 2000, &s, NULL, "{\"rule\":"
	    "\"patient_absent\",\"severity\":\"warning\",\"state\":\"raised\","
	    "\"subject\":\"pt-1\",\"appointment_id\":\"appt-1\","
	    "\"details\":{\"minutes\":5,\"who\":\"Pat\"}}");
	participant_init(&pt, "id:pt-1", "Pat", T0 + 65000);
	pt.participant_id = "pt-1";
	pt.role = "patient";
	s.participant_count = 2;
	s.peak_participants = 2;
	emit(w, EVENT_JOIN, T0 + 65000, &s, &pt, "{\"nick\":\"Pat\"}");
	emit(w, EVENT_ALERT, T0 + 65000, &s, NULL, "{\"rule\":"
	    "\"patient_absent\",\"severity\":\"warning\",\"state\":"
	    "\"cleared\",\"subject\":\"pt-1\"}");
	emit(w, EVENT_ATTENDANCE, T0 + 65000, &s, &pt, "{\"expected\":true,"
	    "\"role\":\"patient\",\"attendance\":\"late\",\"late_minutes\":"
	    "1.1}");
	emit(w, EVENT_ATTENDANCE, T0 + 65000, &s, &cg, "{\"expected\":true,"
	    "\"role\":\"caregiver\",\"attendance\":\"on_time\","
	    "\"late_minutes\":0}");
	cg.microphone_enabled = 1;
	cg.camera_enabled = 1;
	emit(w, EVENT_AUDIO_UNMUTE, T0 + 70000, &s, &cg, "{}");
	pt.present = 0;
	pt.left_ms = T0 + 120000;
	pt.left_reason = "disconnect";
	pt.disconnection_count = 1;
	pt.connection_quality = "fair";
	s.total_disconnections = 1;
	s.connection_quality = "fair";
	emit(w, EVENT_DISCONNECT, T0 + 120000, &s, &pt,
	    "{\"status\":\"Disconnected: eof\"}");
	assert_int_equal(writer_flush(w), 0);
	pt.present = 1;
	pt.join_count = 2;
	pt.left_reason = NULL;
	emit(w, EVENT_RECONNECT, T0 + 130000, &s, &pt, NULL);
	cg.duration_s = 600;
	cg.spoke_time_s = 250.25;
	cg.spoke_known = 1;
	cg.messages_sent = 3;
	pt.duration_s = 500;
	s.duration_s = 601;
	s.billable_s = 480;
	s.patient_wait_s = 12;
	s.appt_figures = 1;
	emit(w, EVENT_APPOINTMENT_ROLLUP, T0 + 601000, &s, NULL, NULL);
	s.appt_figures = 0;
	emit(w, EVENT_ROLLUP, T0 + 601000, &s, &cg, NULL);
	emit(w, EVENT_ROLLUP, T0 + 601000, &s, &pt, NULL);
	cg.present = pt.present = 0;
	cg.left_ms = pt.left_ms = T0 + 610000;
	cg.left_reason = pt.left_reason = "leave";
	emit(w, EVENT_LEAVE, T0 + 610000, &s, &cg, NULL);
	emit(w, EVENT_LEAVE, T0 + 610000, &s, &pt, NULL);
	s.end_ms = T0 + 611000;
	s.duration_s = 611;
	s.status = "completed";
	s.status_reason = "ended_early";
	s.end_reason = "focus_left";
	s.appt_figures = 1;
	emit(w, EVENT_APPOINTMENT_STATUS, T0 + 611000, &s, NULL,
	    "{\"status\":\"completed\",\"reason\":\"ended_early\"}");
	emit(w, EVENT_SESSION_END, T0 + 611000, &s, NULL, NULL);
	assert_int_equal(writer_flush(w), 0);

	/* An ad hoc meeting the next day: a hostile name, a kick. */
	session_init(&h, "adhoc@conference.example.org/1", T0 + 86400000);
	h.room = "adhoc";
	h.room_jid = "adhoc@conference.example.org";
	h.meeting_id = "m-2";
	emit(w, EVENT_SESSION_START, T0 + 86400000, &h, NULL, NULL);
	participant_init(&g, "nick:x", "<b>x</b>'; --", T0 + 86401000);
	h.participant_count = 1;
	h.peak_participants = 1;
	emit(w, EVENT_JOIN, T0 + 86401000, &h, &g, NULL);
	/* A second tab, written, then found to be a reconnect: folded. */
	participant_init(&tab, "nick:x#2", "x2", T0 + 86401200);
	h.participant_count = h.peak_participants = 2;
	emit(w, EVENT_JOIN, T0 + 86401200, &h, &tab, NULL);
	tab.microphone_enabled = 1;
	emit(w, EVENT_AUDIO_UNMUTE, T0 + 86401300, &h, &tab, NULL);
	assert_int_equal(writer_flush(w), 0);
	h.participant_count = h.peak_participants = 1;
	g.join_count = 2;
	g.microphone_enabled = 1;
	emit_merge(w, T0 + 86401400, &h, &g, "nick:x#2", 1);
	emit(w, EVENT_RECONNECT, T0 + 86401200, &h, &g, NULL);
	g.present = 0;
	g.left_ms = T0 + 86402000;
	g.left_reason = "kicked";
	h.connection_quality = "poor";
	emit(w, EVENT_KICKED, T0 + 86402000, &h, &g, NULL);
	h.end_ms = T0 + 86403000;
	h.duration_s = 3;
	h.status = "failed";
	h.end_reason = "focus_left";
	emit(w, EVENT_SESSION_END, T0 + 86403000, &h, NULL, NULL);

	/* A meeting left active by a crash. */
	session_init(&z, "zombie@conference.example.org/1", T0 + 2 * 86400000);
	z.room = "zombie";
	z.room_jid = "zombie@conference.example.org";
	z.meeting_id = "m-3";
	z.duration_s = 40;
	emit(w, EVENT_SESSION_START, T0 + 2 * 86400000, &z, NULL, NULL);
	participant_init(&g, "nick:y", "y", T0 + 2 * 86400000 + 1000);
	z.participant_count = 1;
	z.peak_participants = 2;
	emit(w, EVENT_JOIN, T0 + 2 * 86400000 + 1000, &z, &g, NULL);
	assert_int_equal(writer_flush(w), 0);
	writer_free(w);
}

/* The schedule as the daemon reads it, as one line. */
static char *
schedule_text(struct db *db, int64_t now)
{
	struct bookings	 bk;
	char		*out = xstrdup(""), *t;
	size_t		 i;

	if (bookings_load(db, now, 3 * 86400000LL, "conference.example.org",
	    NULL, &bk) == -1)
		return out;
	for (i = 0; i < bk.n; i++) {
		xasprintf(&t, "%s%s %s %s %lld %lld %s %zu %d %zu|", out,
		    bk.v[i].b.uid, bk.v[i].b.room_jid, bk.v[i].b.appointment_id,
		    (long long)bk.v[i].b.start_ms,
		    (long long)bk.v[i].b.duration_ms, bk.v[i].status,
		    bk.v[i].b.nroster, bk.v[i].b.resumed, bk.v[i].b.nseen);
		free(out);
		out = t;
	}
	xasprintf(&t, "%s%g %g", out, bk.pol.early_join_ms / 60000.0,
	    bk.quality_fair_per_hour);
	free(out);
	bookings_clear(&bk);
	return t;
}

static void
test_story_alike(void **state)
{
	static const char *const refs[] = { "1", "appt:appt-1", "appt-1",
	    "m-1", "m-2", "adhoc", "Consult42", "zombie", NULL };
	static const char *const uris[] = { "/", "/sessions", "/sessions/1",
	    "/sessions/4", "/reports", "/api/sessions/1",
	    "/api/reports/attendance", "/api/reports/caregivers", "/metrics",
	    NULL };
	struct db	*lite, *pg;
	char		*a, *b, err[256];
	struct report_rows *ra, *rb;

	(void)state;
	lite = open_lite();
	pg = open_pg("story");
	story(lite);
	story(pg);
	script_ok(lite, clocks);
	script_ok(pg, clocks);
	same_reports(lite, pg, "2026-03-10", refs);
	same_pages(lite, pg, uris, T0 + 300000);
	ra = schedule_list(lite, 1, 0, err, sizeof(err));
	rb = schedule_list(pg, 1, 0, err, sizeof(err));
	same_rows(ra, rb, "schedule list");
	ra = schedule_settings(lite, err, sizeof(err));
	rb = schedule_settings(pg, err, sizeof(err));
	same_rows(ra, rb, "settings");
	a = schedule_text(lite, T0 - 3600000);
	b = schedule_text(pg, T0 - 3600000);
	if (strcmp(a, b) != 0)
		differ("bookings", "[%s] PostgreSQL [%s]", a, b);
	free(a);
	free(b);

	/* The repair at start: the zombie is closed alike. */
	assert_int_equal(db_close_stale_sessions(lite, NULL, T0 + 3 *
	    86400000LL), 1);
	assert_int_equal(db_close_stale_sessions(pg, NULL, T0 + 3 *
	    86400000LL), 1);
	same_rows(report_session_row(lite, 5), report_session_row(pg, 5),
	    "repaired session");
	same_rows(report_participant_rows(lite, 5),
	    report_participant_rows(pg, 5), "repaired participants");
	same_rows(report_timeline(lite, 5), report_timeline(pg, 5),
	    "repaired timeline");
	db_close(lite);
	db_close(pg);
	assert_int_equal(differences, 0);
}

/*
 * PostgreSQL's own
 */

/* Camel-case names as SQLite spells them, REALs as SQLite writes them. */
static void
test_names_and_numbers(void **state)
{
	struct db_stmt	*st;
	struct db	*pg;

	(void)state;
	pg = open_pg("names");
	st = db_stmt_new(pg, "SELECT s.appointmentId, s.startTime, 2.0,"
	    " CAST(2.5 AS DOUBLE PRECISION), CAST(1e20 AS DOUBLE PRECISION),"
	    " ROUND(10.0 / 3, 2),"
	    " (SELECT SUM(CAST(5 AS BIGINT))), true, 7"
	    " FROM (SELECT 1) AS one LEFT JOIN teleconferencesessions s"
	    " ON false");
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_column_name(st, 0), "appointmentId");
	assert_string_equal(db_column_name(st, 1), "startTime");
	assert_int_equal(db_column_type(st, 0), DB_NULL);
	assert_int_equal(db_column_type(st, 2), DB_REAL);
	assert_string_equal(db_column_text(st, 2), "2.0");
	assert_string_equal(db_column_text(st, 3), "2.5");
	assert_string_equal(db_column_text(st, 4), "1e+20");
	assert_string_equal(db_column_text(st, 5), "3.33");
	assert_int_equal(db_column_type(st, 6), DB_INT);
	assert_string_equal(db_column_text(st, 6), "5");
	assert_int_equal(db_column_type(st, 7), DB_INT);
	assert_string_equal(db_column_text(st, 7), "1");
	assert_int_equal(db_column_int(st, 8), 7);
	assert_int_equal(db_step(st), DB_DONE);
	db_stmt_free(st);

	/* Parameters: ?N, :name, repeated, and literals that look alike. */
	st = db_stmt_new(pg, "SELECT ?2 || ':' || ?1 || ' ?3 :x ' || :a"
	    " || :b || :a");
	assert_non_null(st);
	assert_int_equal(db_param_count(st), 4);
	db_bind_text(st, 1, "one");
	db_bind_text(st, 2, "two");
	assert_string_equal(db_param_name(st, 3), ":a");
	db_bind_text(st, 3, "A");
	db_bind_int(st, 4, 42);
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_column_text(st, 0), "two:one ?3 :x A42A");
	db_stmt_free(st);
	db_close(pg);
}

/*
 * The writer's connection is killed mid-meeting: the batch is held
 * (DB_ERR_CONNECTION, one warning), the retry reconnects, and every
 * event is there once.
 */
static void
test_connection_lost(void **state)
{
	struct session_rec	 s;
	struct participant_rec	 p;
	struct writer		*w;
	struct db		*pg, *killer;
	char			 sql[128];
	int64_t			 pid;
	int			 i;

	(void)state;
	pg = open_pg("lost");
	killer = reopen(pg, 0);
	w = writer_new(pg, 200, 500);
	session_init(&s, "r@m/lost", T0);
	emit(w, EVENT_SESSION_START, T0, &s, NULL, NULL);
	participant_init(&p, "nick:a", "a", T0);
	emit(w, EVENT_JOIN, T0, &s, &p, NULL);
	assert_int_equal(writer_flush(w), 0);

	pid = q_int(pg, "SELECT pg_backend_pid()");
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)",
	    (long long)pid);
	assert_int_equal(q_int(killer, sql), 1);
	for (i = 0; i < 5; i++)
		emit(w, EVENT_HAND_RAISE, T0 + 1 + i, &s, &p, NULL);
	assert_int_equal(writer_flush(w), -1);
	assert_int_equal(db_errkind(pg), DB_ERR_CONNECTION);
	assert_int_equal(writer_pending(w), 5);
	/* The retry (after writer_due()'s backoff) reconnects. */
	flush_all(w);
	assert_int_equal(q_int(killer, "SELECT count(*) FROM"
	    " teleconference_events"), 7);
	assert_int_equal(q_int(killer, "SELECT count(*) FROM"
	    " teleconference_events WHERE event_type = 'hand_raise'"), 5);
	assert_int_equal(q_int(killer, "SELECT count(*) FROM"
	    " teleconference_participant_sessions"), 1);
	writer_free(w);
	db_close(killer);
	db_close(pg);
}

/*
 * Two shards race for the same appointments: each writer, on its own
 * connection and thread, has a room event for each of them and flushes
 * at the same moment.  Every appointment ends up with one shard, and
 * only that shard's events.
 */
#define RACE_APPTS	20

struct racer {
	struct writer	*w;
	int		 rc;
};

static void *
race(void *arg)
{
	struct racer	*r = arg;

	r->rc = writer_flush(r->w);
	return NULL;
}

static void
test_claim_race(void **state)
{
	struct session_rec	 s;
	struct db		*db[2];
	struct writer		*w[2];
	struct racer		 r[2];
	pthread_t		 t[2];
	char			 uid[32], appt[32], sql[256];
	int			 i, k;

	(void)state;
	db[0] = open_pg("race");
	db[1] = reopen(db[0], 0);
	for (i = 0; i < RACE_APPTS; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO teleconferencesessions"
		    " (session_uid, appointmentId, jitsi_room_name,"
		    " session_status, scheduled_start) VALUES ('appt:r%d',"
		    " 'r%d', 'room%d', 'scheduled', '2026-03-10T09:00:00Z')",
		    i, i, i);
		script_ok(db[0], sql);
	}
	for (k = 0; k < 2; k++) {
		w[k] = writer_new(db[k], 200, 500);
		writer_set_shard(w[k], k == 0 ? "east" : "west");
		for (i = 0; i < RACE_APPTS; i++) {
			snprintf(uid, sizeof(uid), "appt:r%d", i);
			snprintf(appt, sizeof(appt), "r%d", i);
			session_init(&s, uid, T0);
			s.appointment_id = appt;
			s.room = "room";
			/* east writes one event, west two: who won shows. */
			emit(w[k], EVENT_OBSERVER_JOIN, T0, &s, NULL, NULL);
			if (k == 1)
				emit(w[k], EVENT_HAND_RAISE, T0 + 1, &s, NULL,
				    NULL);
		}
		r[k].w = w[k];
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, race, &r[k]), 0);
	for (k = 0; k < 2; k++) {
		pthread_join(t[k], NULL);
		assert_int_equal(r[k].rc, 0);
	}
	/* Every appointment has one shard and that shard's events only. */
	assert_int_equal(q_int(db[0], "SELECT count(*) FROM"
	    " teleconferencesessions WHERE shard IS NULL"), 0);
	assert_int_equal(q_int(db[0], "SELECT count(*) FROM"
	    " teleconferencesessions s WHERE (SELECT count(*) FROM"
	    " teleconference_events e WHERE e.teleconference_session_id = s.id)"
	    " <> CASE s.shard WHEN 'east' THEN 1 ELSE 2 END"), 0);
	printf("race: east took %lld, west %lld of %d appointments\n",
	    (long long)q_int(db[0], "SELECT count(*) FROM"
	    " teleconferencesessions WHERE shard = 'east'"),
	    (long long)q_int(db[0], "SELECT count(*) FROM"
	    " teleconferencesessions WHERE shard = 'west'"), RACE_APPTS);
	for (k = 0; k < 2; k++) {
		writer_free(w[k]);
		db_close(db[k]);
	}
}

/* A second daemon's migration waits for the first, then finds it done. */
static void
test_migrate_twice(void **state)
{
	struct db	*a, *b;

	(void)state;
	a = open_pg("twice");
	b = reopen(a, 0);
	assert_int_equal(q_int(b, "SELECT count(*) FROM teletrack_schema"), 1);
	assert_int_equal(q_int(b, "SELECT count(*) FROM meeting_settings"), 1);
	db_close(b);
	/* A reader refuses a schema that is not there. */
	{
		struct db_conf	 conf;
		char		 err[512];

		memset(&conf, 0, sizeof(conf));
		conf.target = pg_url;
		conf.schema = "t_never_made";
		assert_null(db_connect(&conf, DB_READONLY, err, sizeof(err)));
		assert_non_null(strstr(err, "no schema t_never_made"));
	}
	db_close(a);
}

/*
 * Shards started together on a new database: both find no schema and
 * create it.  The second CREATE SCHEMA IF NOT EXISTS waits on the first's
 * uncommitted row in pg_namespace and then fails on its unique index
 * (it does not re-check); the daemon must start all the same.  Played
 * here in order: this test's own transaction creates the schema, the
 * daemon's open looks, finds nothing, creates and waits; the test
 * commits once the server shows it waiting.
 */
struct opener {
	const char	*schema;
	char		 err[512];
	int		 ok;
};

static void *
open_schema(void *arg)
{
	struct opener	*o = arg;
	struct db_conf	 conf;
	struct db	*db;

	memset(&conf, 0, sizeof(conf));
	conf.target = pg_url;
	conf.schema = o->schema;
	if ((db = db_connect(&conf, 0, o->err, sizeof(o->err))) != NULL) {
		o->ok = 1;
		db_close(db);
	}
	return NULL;
}

static void
test_schema_created_meanwhile(void **state)
{
	struct opener	 o;
	struct db	*db, *look;
	pthread_t	 t;
	char		 schema[64], sql[256];
	int		 tries;

	(void)state;
	db = open_pg("meanwhile");
	/* pg_stat_activity stays as first read within a transaction. */
	look = reopen(db, 0);
	snprintf(schema, sizeof(schema), "t_meanwhile_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "BEGIN; CREATE SCHEMA %s", schema);
	script_ok(db, sql);
	memset(&o, 0, sizeof(o));
	o.schema = schema;
	assert_int_equal(pthread_create(&t, NULL, open_schema, &o), 0);
	/* Bounded: the open's CREATE waits on this transaction's lock. */
	for (tries = 0; tries < 300; tries++) {
		if (q_int(look, "SELECT count(*) FROM pg_stat_activity WHERE"
		    " wait_event_type = 'Lock' AND query LIKE"
		    " 'CREATE SCHEMA%'") > 0)
			break;
		usleep(20000);
	}
	assert_true(tries < 300);
	script_ok(db, "COMMIT");
	pthread_join(t, NULL);
	if (!o.ok)
		fail_msg("open while another created the schema: %s", o.err);
	snprintf(sql, sizeof(sql), "SELECT version FROM %s.teletrack_schema",
	    schema);
	assert_int_equal(q_int(db, sql), DB_SCHEMA_VERSION);
	db_close(look);
	db_close(db);
}

/* A password in the URL is refused, and never echoed. */
static void
test_url_password(void **state)
{
	char	 err[512];

	(void)state;
	assert_null(db_open("postgresql://u:s3cret@127.0.0.1:1/db", 0, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "holds a password"));
	assert_null(strstr(err, "s3cret"));
	assert_null(db_open("postgresql://u@127.0.0.1:1/db?password=s3cret",
	    0, err, sizeof(err)));
	assert_null(strstr(err, "s3cret"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_password),
		cmocka_unit_test(test_schema_parity),
		cmocka_unit_test(test_names_and_numbers),
		cmocka_unit_test(test_fixture_alike),
		cmocka_unit_test(test_story_alike),
		cmocka_unit_test(test_connection_lost),
		cmocka_unit_test(test_claim_race),
		cmocka_unit_test(test_migrate_twice),
		cmocka_unit_test(test_schema_created_meanwhile),
	};

	log_init(0, "test_pg");
	if ((pg_url = getenv("TELETRACK_TEST_PG")) == NULL) {
		printf("test_pg: TELETRACK_TEST_PG is not set: nothing to "
		    "test (sc_postgres.sh sets it)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
