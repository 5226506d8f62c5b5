/*
 * Unit tests for scheduling: value parsing, booking (add, update,
 * refusal), cancelling, listing, meeting_settings, CSV and iCalendar
 * imports on the fixtures in tests/fixtures/schedule/, hostile input,
 * and the `schedule`/`settings` commands end to end.  The API runs on
 * ":memory:"; the commands need a file (they refuse a missing one), so
 * those tests use a temporary directory, as test_storage.c does.
 *
 * Over 800 lines: one cmocka binary per module under test (scheduling,
 * its imports and commands); the helpers are in testdb.h.
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
#include <sqlite3.h>

#include "cmd.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "report.h"
#include "schedule.h"
#include "schedule_batch.h"
#include "schedule_import.h"
#include "settings.h"
#include "xmalloc.h"

#include "testdb.h"

#define FIXTURES	"tests/fixtures/schedule/"
#define NOW		1750000000000LL		/* 2025-06-15T15:06:40Z */

static const struct schedule_roles roles = { "caregiver", "patient" };

/* Parse a string literal as an import into b. */
#define CSV(b, lit)	schedule_import_csv(b, lit, sizeof(lit) - 1, &roles)
#define ICS(b, lit)	schedule_import_ics(b, lit, sizeof(lit) - 1, &roles)
#define WRITE(path, lit)	write_file(path, lit, sizeof(lit) - 1)

/*
 * Helpers (the shared ones are in testdb.h)
 */

static void
exec_ok(struct db *db, const char *sql)
{
	assert_int_equal(sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL),
	    SQLITE_OK);
}

static int64_t
nsessions(struct db *db)
{
	return q_int(db, "SELECT COUNT(*) FROM teleconferencesessions");
}

static int64_t
nexpected(struct db *db)
{
	return q_int(db, "SELECT COUNT(*) FROM"
	    " teleconference_expected_participants");
}

/* Every booking as "appointment|room|start|minutes", a line each. */
static const char *
bookings(struct db *db)
{
	return q_text(db, "SELECT group_concat(appointmentId || '|' ||"
	    " roomId || '|' || scheduled_start || '|' ||"
	    " scheduled_duration_minutes, '\n') FROM (SELECT * FROM"
	    " teleconferencesessions ORDER BY id)");
}

/* Every expected participant as "id:role:name" ('-': none), by "; ". */
static const char *
roster(struct db *db)
{
	return q_text(db, "SELECT group_concat(participant_id || ':' ||"
	    " participant_role || ':' || IFNULL(participant_name, '-'), '; ')"
	    " FROM (SELECT * FROM teleconference_expected_participants"
	    " ORDER BY id)");
}

/* The batch's errors, one per line, for messages and strstr(). */
static char *
errs_text(const struct schedule_batch *b)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < b->nerrs; i++) {
		xasprintf(&t, "%s%s\n", s, b->errs[i].msg);
		free(s);
		s = t;
	}
	return s;
}

/* Fail unless some error of b contains want. */
static void
assert_err(const struct schedule_batch *b, const char *want)
{
	char	*all = errs_text(b);

	if (strstr(all, want) == NULL)
		fail_msg("expected an error with \"%s\", got:\n%s", want, all);
	free(all);
}

static void
assert_no_errs(const struct schedule_batch *b)
{
	char	*all;

	if (b->nerrs == 0)
		return;
	all = errs_text(b);
	fail_msg("unexpected errors:\n%s", all);
	free(all);
}

/* A one-appointment batch from the command line's point of view. */
static struct schedule_appt *
one(struct schedule_batch *b, const char *appt, const char *room,
    const char *start)
{
	struct schedule_appt	*a;
	char			 err[256];

	schedule_batch_init(b, NULL);
	a = schedule_batch_add(b, 0);
	a->appt = xstrdup_null(appt);
	a->room = xstrdup_null(room);
	if (schedule_parse_time(start, &a->start_ms, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return a;
}

/* Import a fixture (or any path) into b and apply it to db. */
static int
import(struct db *db, struct schedule_batch *b, const char *path)
{
	schedule_batch_init(b, path);
	schedule_import_file(b, path, &roles);
	return schedule_apply(db, b, NOW);
}

/*
 * import() of path, which must succeed without an error, adding, updating
 * and cancelling as many appointments as given.
 */
static void
import_ok(struct db *db, const char *path, int added, int updated,
    int cancelled)
{
	struct schedule_batch	 b;

	if (import(db, &b, path) != 0)
		fail_msg("%s: not imported", path);
	assert_no_errs(&b);
	if (b.added != added || b.updated != updated ||
	    b.cancelled != cancelled)
		fail_msg("%s: added %d, updated %d, cancelled %d; expected "
		    "%d, %d, %d", path, b.added, b.updated, b.cancelled, added,
		    updated, cancelled);
	schedule_batch_free(&b);
}

/*
 * import(), which must fail with, among its errors, each of the strings
 * up to NULL; the number of errors.
 */
static size_t __attribute__((sentinel))
import_fails(struct db *db, const char *path, ...)
{
	struct schedule_batch	 b;
	const char		*want;
	size_t			 n;
	va_list			 ap;

	assert_int_equal(import(db, &b, path), -1);
	va_start(ap, path);
	while ((want = va_arg(ap, const char *)) != NULL)
		assert_err(&b, want);
	va_end(ap);
	n = b.nerrs;
	schedule_batch_free(&b);
	return n;
}

/*
 * text as an import named name (iCalendar when it ends in ".ics", else
 * CSV), which must fail with err among its errors.
 */
static void
text_fails(const char *name, const char *text, const char *err)
{
	struct schedule_batch	 b;
	size_t			 n = strlen(name), len = strlen(text);

	schedule_batch_init(&b, name);
	if (n > 4 && strcmp(name + n - 4, ".ics") == 0)
		schedule_import_ics(&b, text, len, &roles);
	else
		schedule_import_csv(&b, text, len, &roles);
	assert_err(&b, err);
	schedule_batch_free(&b);
}

/* Apply b to db, which must fail with err among its errors; frees b. */
static void
apply_fails(struct db *db, struct schedule_batch *b, const char *err)
{
	if (schedule_apply(db, b, NOW) != -1)
		fail_msg("applied, expected an error with \"%s\"", err);
	assert_err(b, err);
	schedule_batch_free(b);
}

/* Book appointment appt in room at start, as `schedule add` does. */
static void
book(struct db *db, const char *appt, const char *room, const char *start)
{
	struct schedule_batch	 b;

	one(&b, appt, room, start);
	assert_int_equal(schedule_apply(db, &b, NOW), 0);
	schedule_batch_free(&b);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* The tests of the API run on a fresh database in memory each. */
static int
setup_db(void **state)
{
	*state = open_ok(":memory:", 0);
	return 0;
}

static int
teardown_db(void **state)
{
	db_close(*state);
	return 0;
}

/*
 * Parsing values
 */

static void
test_parse_time(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;		/* NULL: refused */
	} cases[] = {
		{ "2025-07-04T10:00:00Z", "2025-07-04T10:00:00.000Z" },
		{ "2025-07-04t10:00:00z", "2025-07-04T10:00:00.000Z" },
		{ "2025-07-04T10:00Z", "2025-07-04T10:00:00.000Z" },
		{ "2025-07-04T10:00:00.123456Z", "2025-07-04T10:00:00.123Z" },
		{ "2025-07-04T10:00:00+02:00", "2025-07-04T08:00:00.000Z" },
		{ "2025-07-04T10:00:00+0200", "2025-07-04T08:00:00.000Z" },
		{ "2025-07-04T10:00:00+02", "2025-07-04T08:00:00.000Z" },
		{ "2025-07-04T01:00:00-05:30", "2025-07-04T06:30:00.000Z" },
		{ "2025-01-01T00:30:00+01:00", "2024-12-31T23:30:00.000Z" },
		{ "2025-07-04 10:00", "2025-07-04T10:00:00.000Z" },
		{ "2025-07-04 10:00:59", "2025-07-04T10:00:59.000Z" },
		{ "2024-02-29 12:00", "2024-02-29T12:00:00.000Z" },
		{ "2025-07-04T10:00:00", NULL },	/* whose local time? */
		{ "2025-02-29 12:00", NULL },
		{ "2025-13-01 12:00", NULL },
		{ "2025-07-04 24:00", NULL },
		{ "2025-07-04 10:60", NULL },
		{ "2025-07-04T10:00:00+25:00", NULL },
		{ "2025-07-04T10:00:00Zjunk", NULL },
		{ "2025-07-04", NULL },
		{ "1969-12-31 23:59", NULL },
		{ "tomorrow", NULL },
		{ "", NULL },
		{ "2025-07-04T10:00:00.Z", NULL },
		{ "2025-7-04 10:00", NULL },		/* shapes strptime takes */
		{ "2025-07-04 1:00", NULL },
		{ " 2025-07-04 10:00", NULL },
		{ "2025-07-04 10:00 Z", NULL },
		{ "2025-07-04T10:00:00 +02:00", NULL },
		{ "2025-07-04T10:00:00+02:60", NULL },
		{ "2025-07-04 10:00:60", NULL },
		{ "2025-07-04 10:00Z", "2025-07-04T10:00:00.000Z" },
		{ "2025-07-04 10:00+01:00", "2025-07-04T09:00:00.000Z" },
	};
	char	 err[256], buf[32];
	int64_t	 ms;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].want == NULL) {
			if (schedule_parse_time(cases[i].in, &ms, err,
			    sizeof(err)) != -1)
				fail_msg("%s: accepted", cases[i].in);
			assert_true(strlen(err) > 0);
			continue;
		}
		if (schedule_parse_time(cases[i].in, &ms, err,
		    sizeof(err)) == -1)
			fail_msg("%s: %s", cases[i].in, err);
		assert_string_equal(event_iso8601(ms, buf, sizeof(buf)),
		    cases[i].want);
	}
}

/*
 * event_iso8601() keeps the second it formatted last: the milliseconds
 * of the same second, the next second, a short buffer (cut as snprintf()
 * cuts) and the second it had before must all come out right.
 */
static void
test_iso8601(void **state)
{
	static const struct {
		int64_t		 ms;
		size_t		 size;
		const char	*want;
	} cases[] = {
		{ 0, 32, "1970-01-01T00:00:00.000Z" },
		{ -5, 32, "1970-01-01T00:00:00.000Z" },
		{ 1796211609556LL, 32, "2026-12-02T11:40:09.556Z" },
		{ 1796211609005LL, 32, "2026-12-02T11:40:09.005Z" },
		{ 1796211609005LL, 10, "2026-12-0" },
		{ 1796211609090LL, 32, "2026-12-02T11:40:09.090Z" },
		{ 1796211610000LL, 32, "2026-12-02T11:40:10.000Z" },
		{ 1796211609999LL, 25, "2026-12-02T11:40:09.999Z" },
		{ 1796211609999LL, 24, "2026-12-02T11:40:09.999" },
		{ 253402300799999LL, 32, "9999-12-31T23:59:59.999Z" },
	};
	char	 buf[32];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(event_iso8601(cases[i].ms, buf,
		    cases[i].size), cases[i].want);
}

static void
test_parse_minutes_member(void **state)
{
	struct schedule_batch	 b;
	struct schedule_appt	*a;
	char			 err[256];
	double			 m;

	(void)state;
	assert_int_equal(schedule_parse_minutes("30", &m, err, sizeof(err)),
	    0);
	assert_true(m == 30);
	assert_int_equal(schedule_parse_minutes("7.5", &m, err, sizeof(err)),
	    0);
	assert_true(m == 7.5);
	assert_int_equal(schedule_parse_minutes("0", &m, err, sizeof(err)),
	    -1);
	assert_int_equal(schedule_parse_minutes("-5", &m, err, sizeof(err)),
	    -1);
	assert_int_equal(schedule_parse_minutes("1441", &m, err,
	    sizeof(err)), -1);
	assert_int_equal(schedule_parse_minutes("nan", &m, err, sizeof(err)),
	    -1);
	assert_int_equal(schedule_parse_minutes("0x10", &m, err,
	    sizeof(err)), -1);
	assert_int_equal(schedule_parse_minutes(" 5", &m, err, sizeof(err)),
	    -1);
	assert_int_equal(schedule_parse_minutes("5m", &m, err, sizeof(err)),
	    -1);

	schedule_batch_init(&b, NULL);
	a = schedule_batch_add(&b, 0);
	assert_int_equal(schedule_parse_member(a, "cg-1:caregiver", err,
	    sizeof(err)), 0);
	assert_int_equal(schedule_parse_member(a,
	    "pt-1:patient:Bob: the Builder", err, sizeof(err)), 0);
	assert_int_equal(schedule_parse_member(a, "x:y:", err, sizeof(err)),
	    0);
	assert_int_equal(schedule_parse_member(a, "nocolon", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "ID:ROLE"));
	assert_int_equal(a->nmembers, 3);
	assert_string_equal(a->members[0].id, "cg-1");
	assert_string_equal(a->members[0].role, "caregiver");
	assert_null(a->members[0].name);
	assert_string_equal(a->members[1].name, "Bob: the Builder");
	assert_null(a->members[2].name);
	schedule_batch_free(&b);
}

/*
 * Booking
 */

static void
test_add_update_refuse(void **state)
{
	struct schedule_batch	 b;
	struct schedule_appt	*a;
	struct db		*db = *state;


	/* Added: uid, lowercased room, UTC start, default duration. */
	a = one(&b, "A1", "Clinic42", "2025-07-04T10:00:00+02:00");
	schedule_appt_member(a, "cg-1", "caregiver", "Dr A");
	schedule_appt_member(a, "pt-1", "patient", NULL);
	assert_int_equal(schedule_apply(db, &b, NOW), 0);
	assert_no_errs(&b);
	assert_int_equal(b.added, 1);
	assert_int_equal(b.updated, 0);
	schedule_batch_free(&b);
	assert_string_equal(q_text(db, "SELECT session_uid || '|' ||"
	    " appointmentId || '|' || roomId || '|' || jitsi_room_name || '|'"
	    " || session_status || '|' || scheduled_start || '|' ||"
	    " scheduled_duration_minutes || '|' || updatedAt"
	    " FROM teleconferencesessions"),
	    "appt:A1|A1|clinic42|clinic42|scheduled|2025-07-04T08:00:00.000Z|"
	    "60.0|2025-06-15T15:06:40.000Z");
	assert_int_equal(nexpected(db), 2);
	assert_string_equal(q_text(db, "SELECT group_concat(participant_id ||"
	    " ':' || participant_role || ':' || IFNULL(participant_name, '-'),"
	    " ',') FROM teleconference_expected_participants"),
	    "cg-1:caregiver:Dr A,pt-1:patient:-");

	/* The default comes from meeting_settings. */
	exec_ok(db, "UPDATE meeting_settings SET default_duration = 25");
	book(db, "A2", "r2", "2025-07-05 09:00");
	assert_int_equal(q_int(db, "SELECT scheduled_duration_minutes FROM"
	    " teleconferencesessions WHERE appointmentId = 'A2'"), 25);

	/* max_meeting_duration (180) caps a booking; 0 lifts the cap. */
	a = one(&b, "A9", "r9", "2025-07-05 09:00");
	a->minutes = 181;
	a->has_minutes = 1;
	apply_fails(db, &b, "appointment A9: 181 minutes is longer than "
	    "max_meeting_duration (180)");
	exec_ok(db, "UPDATE meeting_settings SET max_meeting_duration = 0");
	a = one(&b, "A9", "r9", "2025-07-05 09:00");
	a->minutes = 181;
	a->has_minutes = 1;
	assert_int_equal(schedule_apply(db, &b, NOW), 0);
	schedule_batch_free(&b);
	exec_ok(db, "DELETE FROM teleconferencesessions"
	    " WHERE appointmentId = 'A9'");

	/* Updated while scheduled: everything replaced, one row still. */
	a = one(&b, "A1", "other-room", "2025-07-04 12:00");
	a->minutes = 30;
	a->has_minutes = 1;
	schedule_appt_member(a, "pt-2", "patient", "Carol");
	assert_int_equal(schedule_apply(db, &b, NOW + 1000), 0);
	assert_int_equal(b.added, 0);
	assert_int_equal(b.updated, 1);
	schedule_batch_free(&b);
	assert_int_equal(nsessions(db), 2);
	assert_string_equal(q_text(db, "SELECT roomId || '|' ||"
	    " scheduled_start || '|' || scheduled_duration_minutes || '|' ||"
	    " updatedAt FROM teleconferencesessions WHERE appointmentId ="
	    " 'A1'"), "other-room|2025-07-04T12:00:00.000Z|30.0|"
	    "2025-06-15T15:06:41.000Z");
	assert_string_equal(q_text(db, "SELECT group_concat(participant_id)"
	    " FROM teleconference_expected_participants e"
	    " JOIN teleconferencesessions s ON s.id ="
	    " e.teleconference_session_id WHERE s.appointmentId = 'A1'"),
	    "pt-2");

	/* Refused once the meeting started or ended: nothing changes. */
	static const char *const ended[] = { "active", "completed", "failed",
	    "cancelled" };
	size_t	 i;
	char	 sql[128], want[64];

	for (i = 0; i < sizeof(ended) / sizeof(ended[0]); i++) {
		snprintf(sql, sizeof(sql), "UPDATE teleconferencesessions SET"
		    " session_status = '%s' WHERE appointmentId = 'A1'",
		    ended[i]);
		exec_ok(db, sql);
		a = one(&b, "A1", "third", "2025-07-04 13:00");
		snprintf(want, sizeof(want), "appointment A1 is %s", ended[i]);
		apply_fails(db, &b, want);
		assert_string_equal(q_text(db, "SELECT roomId FROM"
		    " teleconferencesessions WHERE appointmentId = 'A1'"),
		    "other-room");
	}

	/* A session the daemon recorded for the appointment counts too. */
	exec_ok(db, "INSERT INTO teleconferencesessions (session_uid,"
	    " appointmentId, session_status) VALUES ('r@m/1', 'A3',"
	    " 'completed')");
	one(&b, "A3", "r3", "2025-07-04 13:00");
	apply_fails(db, &b, "appointment A3 is completed");
	assert_int_equal(nsessions(db), 3);
}

static void
test_validation(void **state)
{
	static const struct {
		const char	*appt;
		const char	*room;
		const char	*err;
	} cases[] = {
		{ "A1", "user@host", "'@' cannot appear" },
		{ "A1", "a/b", "'/' cannot appear" },
		{ "A1", "two words", "white space" },
		{ "A1", "tab\there", "control character" },
		{ "A1", "nbsp\xc2\xa0room", "white space" },
		{ "A1", "bad\xff" "utf8", "not valid UTF-8" },
		{ "A1", "", "room: missing" },
		{ "A1", NULL, "room: missing" },
		{ NULL, "r", "appointment id: missing" },
		{ "has space", "r", "appointment id: contains white space" },
		{ "ctl\x1b[2J", "r", "control character" },
	};
	struct schedule_batch	 b;
	struct schedule_appt	*a;
	struct db		*db = *state;
	char			*big;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		one(&b, cases[i].appt, cases[i].room, "2025-07-04 10:00");
		apply_fails(db, &b, cases[i].err);
	}

	/* Every problem is reported, not only the first. */
	a = one(&b, "A1", "r 1", "2025-07-04 10:00");
	a->minutes = 0;
	a->has_minutes = 1;
	schedule_appt_member(a, "p1", "patient", NULL);
	schedule_appt_member(a, "p1", "caregiver", NULL);
	schedule_appt_member(a, "p 2", "patient", NULL);
	schedule_appt_member(a, "p3", "", NULL);
	schedule_appt_member(a, "p4", "patient", "ok name, with: all\x7f");
	assert_int_equal(schedule_apply(db, &b, NOW), -1);
	assert_err(&b, "room: contains white space");
	assert_err(&b, "minutes: must be more than 0");
	assert_err(&b, "participant p1 listed twice");
	assert_err(&b, "participant id: contains white space");
	assert_err(&b, "participant role: missing");
	assert_err(&b, "participant name: contains a control character");
	assert_int_equal(b.nerrs, 6);
	schedule_batch_free(&b);

	/* Long text: refused with its size, not stored. */
	big = xmalloc(SCHEDULE_ROOM_MAX + 2);
	memset(big, 'r', SCHEDULE_ROOM_MAX + 1);
	big[SCHEDULE_ROOM_MAX + 1] = '\0';
	one(&b, "A1", big, "2025-07-04 10:00");
	apply_fails(db, &b, "room: too long (1024 bytes, at most 1023)");
	big[SCHEDULE_ROOM_MAX] = '\0';
	book(db, "A1", big, "2025-07-04 10:00");
	free(big);

	/* The same appointment twice in one batch. */
	schedule_batch_init(&b, "f.csv");
	a = schedule_batch_add(&b, 2);
	a->appt = xstrdup("D");
	a->room = xstrdup("r");
	a = schedule_batch_add(&b, 7);
	a->appt = xstrdup("D");
	a->room = xstrdup("r");
	apply_fails(db, &b, "f.csv:7: appointment D: also at line 2");
	assert_int_equal(nsessions(db), 1);
}

static void
test_cancel(void **state)
{
	char		 err[256];
	struct db		*db = *state;

	book(db, "C1", "r1", "2025-07-04 10:00");
	book(db, "C2", "r2", "2025-07-04 11:00");

	assert_int_equal(schedule_cancel(db, "C1", "patient ill", NOW + 5000,
	    err, sizeof(err)), 0);
	assert_string_equal(q_text(db, "SELECT session_status || '|' ||"
	    " status_reason || '|' || updatedAt FROM teleconferencesessions"
	    " WHERE appointmentId = 'C1'"),
	    "cancelled|patient ill|2025-06-15T15:06:45.000Z");
	/* Twice: refused, with the status. */
	assert_int_equal(schedule_cancel(db, "C1", NULL, NOW, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "appointment C1 is cancelled"));
	/* Unknown. */
	assert_int_equal(schedule_cancel(db, "nope", NULL, NOW, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no appointment nope"));
	/* Active is allowed; the reason defaults. */
	exec_ok(db, "UPDATE teleconferencesessions SET session_status ="
	    " 'active' WHERE appointmentId = 'C2'");
	assert_int_equal(schedule_cancel(db, "C2", NULL, NOW, err,
	    sizeof(err)), 0);
	assert_string_equal(q_text(db, "SELECT session_status || '|' ||"
	    " status_reason FROM teleconferencesessions WHERE appointmentId ="
	    " 'C2'"), "cancelled|cancelled");
	/* Completed is not. */
	exec_ok(db, "UPDATE teleconferencesessions SET session_status ="
	    " 'completed' WHERE appointmentId = 'C2'");
	assert_int_equal(schedule_cancel(db, "C2", NULL, NOW, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "is completed"));
	/* A hostile reason never reaches the row. */
	book(db, "C3", "r3", "2025-07-04 12:00");
	assert_int_equal(schedule_cancel(db, "C3", "bye\n\x1b[1m", NOW, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "reason: contains a control character"));
	assert_string_equal(q_text(db, "SELECT session_status FROM"
	    " teleconferencesessions WHERE appointmentId = 'C3'"),
	    "scheduled");
}

/* Cell (row, column name) of r as text; "NULL" for NULL. */
static const char *
cell(const struct report_rows *r, size_t row, const char *col)
{
	int	 c = report_col(r, col);

	assert_true(c >= 0);
	assert_true(row < r->nrows);
	return report_cell(r, row, (size_t)c)->text != NULL ?
	    report_cell(r, row, (size_t)c)->text : "NULL";
}

/* A cell schedule_list() must give: row, column, text ("NULL": none). */
struct cell_want {
	size_t		 row;
	const char	*col, *text;
};

/*
 * schedule_list(db, all, limit), which must give nrows rows and the n
 * cells of want; the rows, for the caller to free.
 */
static struct report_rows *
list_ok(struct db *db, int all, int limit, size_t nrows,
    const struct cell_want *want, size_t n)
{
	struct report_rows	*r;
	const char		*got;
	char			 err[256];
	size_t			 i;

	if ((r = schedule_list(db, all, limit, err, sizeof(err))) == NULL)
		fail_msg("list %d %d: %s", all, limit, err);
	if (r->nrows != nrows)
		fail_msg("list %d %d: %zu rows, expected %zu", all, limit,
		    r->nrows, nrows);
	for (i = 0; i < n; i++) {
		got = cell(r, want[i].row, want[i].col);
		if (strcmp(got, want[i].text) != 0)
			fail_msg("list %d %d: row %zu %s \"%s\", expected "
			    "\"%s\"", all, limit, want[i].row, want[i].col,
			    got, want[i].text);
	}
	return r;
}

static void
test_list(void **state)
{
	static const struct cell_want upcoming[] = {
		{ 0, "appointment", "L1" },
		{ 0, "status", "active" },
		{ 1, "appointment", "L2" },
		{ 1, "room", "r2" },
		{ 1, "start", "2025-07-04T11:00:00.000Z" },
		{ 1, "minutes", "60.0" },
		{ 1, "reason", "NULL" },
		{ 1, "roster",
		    "cg-1:caregiver:Dr A; pt-1:patient:Bob; x:observer" },
	}, all[] = {
		{ 0, "appointment", "L0" },
		{ 0, "reason", "ok" },
		{ 3, "appointment", "L3" },
		{ 3, "status", "cancelled" },
		{ 3, "roster", "NULL" },
	}, many[] = {
		{ 41, "appointment", "M39" },
	};
	struct schedule_batch	 b;
	struct schedule_appt	*a;
	struct report_rows	*r;
	struct db		*db = *state;
	char			 err[256], id[16];
	int			 i;

	a = one(&b, "L2", "r2", "2025-07-04 11:00");
	schedule_appt_member(a, "cg-1", "caregiver", "Dr A");
	schedule_appt_member(a, "pt-1", "patient", "Bob");
	schedule_appt_member(a, "x", "observer", NULL);
	assert_int_equal(schedule_apply(db, &b, NOW), 0);
	schedule_batch_free(&b);
	book(db, "L1", "r1", "2025-07-04 09:00");
	book(db, "L3", "r3", "2025-07-04 13:00");
	book(db, "L0", "r0", "2025-07-04 08:00");
	assert_int_equal(schedule_cancel(db, "L3", NULL, NOW, err,
	    sizeof(err)), 0);
	exec_ok(db, "UPDATE teleconferencesessions SET session_status ="
	    " 'active' WHERE appointmentId = 'L1'");
	exec_ok(db, "UPDATE teleconferencesessions SET session_status ="
	    " 'completed', status_reason = 'ok' WHERE appointmentId = 'L0'");
	/* A daemon session without a booking is not an appointment. */
	exec_ok(db, "INSERT INTO teleconferencesessions (session_uid,"
	    " roomId, session_status) VALUES ('r@m/1', 'adhoc', 'active')");

	r = list_ok(db, 0, 0, 2, upcoming,
	    sizeof(upcoming) / sizeof(upcoming[0]));
	assert_int_equal(r->ncols, 7);
	report_rows_free(r);
	report_rows_free(list_ok(db, 1, 0, 4, all,
	    sizeof(all) / sizeof(all[0])));
	report_rows_free(list_ok(db, 1, 3, 3, NULL, 0));

	/* Many rows: the row array grows past its first capacities. */
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "M%02d", i);
		book(db, id, "m", "2026-01-01 10:00");
	}
	report_rows_free(list_ok(db, 0, 0, 42, many, 1));
}

/*
 * Settings
 */

static void
test_settings(void **state)
{
	static const struct {
		const char	*kv;
		int		 rc;
		const char	*err;	/* in the message; NULL: not checked */
	} checks[] = {
		{ "default_duration=15", 0, NULL },
		{ "default_duration=-1", -1, NULL },
		{ "default_duration=abc", -1, NULL },
		{ "default_duration=inf", -1, NULL },
		{ "default_duration=", -1, NULL },
		{ "enable_chat=1.5", -1, NULL },
		{ "enable_chat=-1", -1, NULL },
		{ "enable_chat=99999999999", -1, NULL },
		{ "caregiver_role=a\nb", -1, NULL },
		{ "id=2", -1, NULL },
		{ "updatedAt=x", -1, NULL },
		{ "default_duration", -1, "KEY=VALUE" },
		{ "x'; DROP TABLE meeting_settings; --=1", -1,
		    "no such setting" },
	};
	const struct setting	*c;
	struct report_rows	*r;
	struct settings		 s;
	struct db		*db = *state;
	char			 err[256];
	size_t			 i, n = 0;
	char *ok[] = { "default_duration=42.5", "enable_chat=0",
	    "patient_role=client", "alert_admin_jids=",
	    "caregiver_role=doctor" };
	char	 long_role[80];
	char *bad[] = { "late_grace_minutes=3", "nope=1" };

	for (c = settings_table; c->name != NULL; c++)
		n++;
	assert_non_null(r = schedule_settings(db, err, sizeof(err)));
	assert_int_equal(r->nrows, n);
	assert_string_equal(cell(r, 0, "setting"), "default_duration");
	assert_string_equal(cell(r, 0, "type"), "real");
	assert_string_equal(cell(r, 0, "value"), "60");
	assert_int_equal(report_cell(r, 0, 2)->type, REPORT_REAL);
	assert_string_equal(cell(r, 0, "help"), settings_table[0].help);
	report_rows_free(r);

	/* Checks: the result, and a part of the message where given. */
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (settings_check(checks[i].kv, err, sizeof(err)) !=
		    checks[i].rc)
			fail_msg("%s: expected %d", checks[i].kv, checks[i].rc);
		if (checks[i].err != NULL && strstr(err, checks[i].err) == NULL)
			fail_msg("%s: \"%s\", expected \"%s\"", checks[i].kv,
			    err, checks[i].err);
	}
	snprintf(long_role, sizeof(long_role), "caregiver_role=%064d", 0);
	assert_int_equal(settings_check(long_role, err, sizeof(err)),
	    -1);					/* 64 > 63 */
	assert_non_null(strstr(err, "too long"));

	/* Set: all or nothing. */
	assert_int_equal(schedule_settings_set(db, bad, 2, NOW, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "nope: no such setting"));
	assert_int_equal(q_int(db, "SELECT late_grace_minutes FROM"
	    " meeting_settings"), 5);
	assert_int_equal(schedule_settings_set(db, ok, 5, NOW, err,
	    sizeof(err)), 0);
	assert_int_equal(db_settings(db, &s), 0);
	assert_true(s.default_duration == 42.5);
	assert_int_equal(s.enable_chat, 0);
	assert_string_equal(s.patient_role, "client");
	assert_string_equal(s.alert_admin_jids, "");
	assert_string_equal(s.caregiver_role, "doctor");
	assert_string_equal(q_text(db, "SELECT updatedAt FROM"
	    " meeting_settings"), "2025-06-15T15:06:40.000Z");
	assert_int_equal(q_int(db, "SELECT typeof(enable_chat) = 'integer'"
	    " FROM meeting_settings"), 1);

	/* A missing row is created rather than the update lost. */
	exec_ok(db, "DELETE FROM meeting_settings");
	assert_int_equal(schedule_settings_set(db, ok + 1, 1, NOW, err,
	    sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT enable_chat FROM"
	    " meeting_settings WHERE id = 1"), 0);
}

/*
 * CSV
 */

/*
 * What each good fixture books in an empty database: "appointment|room|
 * start|minutes", in file order.
 */
static void
test_import_bookings(void **state)
{
	static const struct {
		const char	*path;
		int		 added;
		const char	*bookings;
	} cases[] = {
		{ FIXTURES "good.csv", 4,
		    "apt-100|clinic-7|2025-03-10T09:00:00.000Z|30.0\n"
		    "apt-101|clinic-8|2025-03-10T10:30:00.000Z|60.0\n"
		    "apt-102|clinic-9|2025-03-10T11:00:00.000Z|45.5\n"
		    "apt-103|clinic-10|2025-03-10T18:30:00.000Z|20.0" },
		/*
		 * 10:00 in Berlin is 08:00Z in July (CEST, +2) and 09:00Z in
		 * January (CET, +1): the VTIMEZONE's rules, not a fixed
		 * offset.  DURATION gives 45 minutes, DTEND - DTSTART 30.
		 */
		{ FIXTURES "berlin.ics", 2,
		    "ics-1|clinic-berlin|2025-07-04T08:00:00.000Z|45.0\n"
		    "ics-2|winterroom|2025-01-15T09:00:00.000Z|30.0" },
		/*
		 * UTC with DTEND; a URL property when LOCATION is no URL; a
		 * floating time as UTC with the default duration; a TZID
		 * without VTIMEZONE from libical's built-in zones (09:00 EST
		 * = 14:00Z).
		 */
		{ FIXTURES "utc.ics", 3,
		    "ics-3|urlroom|2025-03-01T12:00:00.000Z|45.0\n"
		    "ics-4|plainroom|2025-03-01T15:00:00.000Z|60.0\n"
		    "ics-5|nyc|2025-03-01T14:00:00.000Z|90.0" },
	};
	struct db	*db;
	const char	*got;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		db = open_ok(":memory:", 0);
		import_ok(db, cases[i].path, cases[i].added, 0, 0);
		got = bookings(db);
		if (strcmp(got, cases[i].bookings) != 0)
			fail_msg("%s booked:\n%s\nexpected:\n%s", cases[i].path,
			    got, cases[i].bookings);
		db_close(db);
	}
}

static void
test_csv_good(void **state)
{
	struct db		*db = *state;

	import_ok(db, FIXTURES "good.csv", 4, 0, 0);
	/* Quoted fields keep their commas. */
	assert_string_equal(roster(db),
	    "cg-1:caregiver:Dr. Who, MD; pt-1:patient:Amy Pond; "
	    "pt-2:patient:Rory; cg-2:caregiver:-");
	assert_int_equal(nexpected(db), 4);

	/* Importing again updates in place. */
	import_ok(db, FIXTURES "good.csv", 0, 4, 0);
	assert_int_equal(nsessions(db), 4);
	assert_int_equal(nexpected(db), 4);
}

static void
test_csv_shorthand(void **state)
{
	struct schedule_batch	 b;
	struct schedule_roles	 doc = { "doctor", "client" };
	struct db		*db = *state;

	schedule_batch_init(&b, FIXTURES "shorthand.csv");
	schedule_import_file(&b, FIXTURES "shorthand.csv", &doc);
	assert_int_equal(schedule_apply(db, &b, NOW), 0);
	schedule_batch_free(&b);
	assert_string_equal(roster(db),
	    "cg-9:doctor:Nurse Joy, RN; pt-9:client:Ann; "
	    "obs-1:observer:Interpreter; cg-9:doctor:-");

	/* A name without its id. */
	text_fails("x.csv", "appointment_id,room,start,patient_name\n"
	    "z,r,2025-01-01 10:00,Zed\n",
	    "x.csv:2: patient_name without patient_id");
}

static void
test_csv_bad(void **state)
{
	struct schedule_batch	 b;
	struct db		*db = *state;


	/* Every bad row, with its line; nothing written. */
	assert_int_equal(import_fails(db, FIXTURES "bad-row.csv",
	    FIXTURES "bad-row.csv:3: start 2025-04-01T25:00:00Z: not a time",
	    FIXTURES "bad-row.csv:4: appointment b-3: room: contains white"
	    " space",
	    FIXTURES "bad-row.csv:5: minutes -5",
	    FIXTURES "bad-row.csv:6: appointment b-1: also at line 2",
	    NULL), 4);
	assert_int_equal(nsessions(db), 0);

	import_fails(db, FIXTURES "malformed.csv",
	    FIXTURES "malformed.csv:3: malformed CSV", NULL);
	import_fails(db, FIXTURES "unterminated.csv",
	    FIXTURES "unterminated.csv:2: malformed CSV: a quoted field never"
	    " ends", NULL);
	assert_int_equal(import_fails(db, FIXTURES "no-header.csv",
	    FIXTURES "no-header.csv:1: header: missing column(s)"
	    " appointment_id, room, start", NULL), 1);
	assert_int_equal(nsessions(db), 0);

	/* A row the database refuses fails the whole file. */
	exec_ok(db, "INSERT INTO teleconferencesessions (session_uid,"
	    " appointmentId, session_status) VALUES ('appt:apt-102',"
	    " 'apt-102', 'completed')");
	assert_int_equal(import(db, &b, FIXTURES "good.csv"), -1);
	assert_err(&b, FIXTURES "good.csv:4: appointment apt-102 is"
	    " completed");
	assert_int_equal(b.added, 0);
	schedule_batch_free(&b);
	assert_int_equal(nsessions(db), 1);
	assert_int_equal(nexpected(db), 0);

	/* Other shapes: empty, header only, blank and empty rows. */
	text_fails("e.csv", "", "e.csv: empty");
	schedule_batch_init(&b, "h.csv");
	CSV(&b, "start,ROOM,Appointment_ID\n\n,,\n");
	assert_int_equal(schedule_apply(db, &b, NOW), 0);
	assert_int_equal(b.nappts, 0);
	schedule_batch_free(&b);
	text_fails("d.csv", "room,room,appointment_id,start\n",
	    "d.csv:1: header: column room given twice");
	text_fails("x.csv", "appointment_id,room,start\n"
	    "a,r,2025-01-01 10:00,extra\n",
	    "x.csv:2: more fields than the header's 3 columns");
}

/*
 * iCalendar
 */

static void
test_ics_berlin(void **state)
{
	struct schedule_batch	 b;
	struct db		*db = *state;

	assert_int_equal(import(db, &b, FIXTURES "berlin.ics"), 0);
	assert_no_errs(&b);
	assert_int_equal(b.added, 2);
	/* CRLF lines are counted once: the events begin on 21 and 37. */
	assert_int_equal(b.nappts, 2);
	assert_int_equal(b.appts[0].line, 21);
	assert_int_equal(b.appts[1].line, 37);
	schedule_batch_free(&b);
	/*
	 * Attendees: X-TELETRACK-ID wins over the address, CHAIR is the
	 * caregiver, X-TELETRACK-ROLE wins over ROLE, NON-PARTICIPANT is
	 * left out; folded lines are whole again.
	 */
	assert_string_equal(roster(db),
	    "cg-1:caregiver:Dr. Anna Schmidt, MD; "
	    "bob@example.com:patient:Bob Patient; "
	    "ivan@example.com:interpreter:Ivan");
}

static void
test_ics_utc_cancel(void **state)
{
	struct db		*db = *state;

	import_ok(db, FIXTURES "utc.ics", 3, 0, 0);
	assert_string_equal(q_text(db, "SELECT participant_id || ':' ||"
	    " participant_role FROM teleconference_expected_participants"),
	    "carl@example.com:patient");

	/* STATUS:CANCELLED cancels a scheduled booking, ignores others. */
	import_ok(db, FIXTURES "berlin.ics", 2, 0, 0);
	import_ok(db, FIXTURES "cancel.ics", 0, 0, 1);
	assert_string_equal(q_text(db, "SELECT session_status || '|' ||"
	    " status_reason FROM teleconferencesessions WHERE appointmentId ="
	    " 'ics-1'"), "cancelled|cancelled");
	assert_int_equal(nsessions(db), 5);
	/* Once more: nothing left to cancel, and no error. */
	import_ok(db, FIXTURES "cancel.ics", 0, 0, 0);
}

static void
test_ics_bad(void **state)
{
	struct schedule_batch	 b;
	struct db		*db = *state;

	assert_int_equal(import_fails(db, FIXTURES "bad.ics",
	    FIXTURES "bad.ics:4: VEVENT 1: DTSTART: unknown TZID"
	    " Mars/Olympus_Mons",
	    FIXTURES "bad.ics:9: VEVENT 2: no DTSTART",
	    FIXTURES "bad.ics:13: VEVENT 3: recurring events are not"
	    " supported",
	    FIXTURES "bad.ics:24: VEVENT 5: Can't parse as DURATION",
	    NULL), 4);
	assert_int_equal(nsessions(db), 0);

	/* No calendar at all; a calendar without events; all-day. */
	schedule_batch_init(&b, "n.ics");
	ICS(&b, "hello\n");
	assert_int_equal(b.nerrs, 1);
	schedule_batch_free(&b);
	text_fails("n.ics", "BEGIN:VCALENDAR\nEND:VCALENDAR\n",
	    "n.ics: no VEVENT");
	text_fails("d.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:d\r\n"
	    "DTSTART;VALUE=DATE:20250301\r\nX-JITSI-ROOM:r\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n",
	    "d.ics:2: VEVENT 1: DTSTART: a date without a time");
}

/*
 * Hostile input: errors, never a crash (ASan and UBSan watch).
 */

static void
test_hostile(void **state)
{
	static const char *const names[] = { "junk.csv", "junk.ics",
	    "junk.dat" };
	unsigned char		*junk;
	char			*s;
	uint32_t		 x = 12345;
	size_t			 i, n = 256 * 1024, o;
	struct db		*db = *state;


	/* Binary junk without NUL bytes, under every extension. */
	junk = xmalloc(n);
	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (unsigned char)(1 + (x >> 16) % 255);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		write_file(tmpfile_path(names[i]), junk, n);
		assert_true(import_fails(db, tmpfile_path(names[i]), NULL) > 0);
	}
	/* Junk after a good header: rows of junk, still no crash. */
	memcpy(junk, "appointment_id,room,start\n", 26);
	write_file(tmpfile_path("junk2.csv"), junk, n);
	import_fails(db, tmpfile_path("junk2.csv"), NULL);
	/* Junk inside a calendar. */
	memcpy(junk, "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:", 33);
	write_file(tmpfile_path("junk2.ics"), junk, n);
	import_fails(db, tmpfile_path("junk2.ics"), NULL);
	free(junk);
	assert_int_equal(nsessions(db), 0);

	/* A huge field. */
	s = xmalloc(300 * 1024);
	o = (size_t)sprintf(s, "appointment_id,room,start\nh1,");
	memset(s + o, 'a', 200 * 1024);
	o += 200 * 1024;
	o += (size_t)sprintf(s + o, ",2025-01-01 10:00\n");
	write_file(tmpfile_path("huge.csv"), s, o);
	import_fails(db, tmpfile_path("huge.csv"),
	    "huge.csv:2: field 2: longer than 65536 bytes", NULL);
	/* A huge UID. */
	o = (size_t)sprintf(s, "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:");
	memset(s + o, 'u', 100 * 1024);
	o += 100 * 1024;
	o += (size_t)sprintf(s + o, "\nDTSTART:20250101T100000Z\n"
	    "X-JITSI-ROOM:r\nEND:VEVENT\nEND:VCALENDAR\n");
	write_file(tmpfile_path("huge.ics"), s, o);
	import_fails(db, tmpfile_path("huge.ics"),
	    "appointment id: too long", NULL);
	/* Too many fields in a record. */
	o = (size_t)sprintf(s, "appointment_id,room,start\n");
	for (i = 0; i < 1000; i++)
		s[o++] = ',';
	s[o++] = '\n';
	write_file(tmpfile_path("wide.csv"), s, o);
	import_fails(db, tmpfile_path("wide.csv"),
	    "wide.csv:2: more than 256 fields", NULL);
	/* Thousands of unterminated events. */
	o = (size_t)sprintf(s, "BEGIN:VCALENDAR\n");
	for (i = 0; i < 5000; i++)
		o += (size_t)sprintf(s + o, "BEGIN:VEVENT\n");
	write_file(tmpfile_path("deep.ics"), s, o);
	import_fails(db, tmpfile_path("deep.ics"), NULL);
	free(s);

	/* NUL bytes, invalid UTF-8, a too large file, no file. */
	WRITE(tmpfile_path("nul.csv"), "appointment_id,room,start\nx\0y,r,"
	    "2025-01-01 10:00\n");
	import_fails(db, tmpfile_path("nul.csv"), "contains NUL bytes", NULL);
	WRITE(tmpfile_path("utf.ics"), "BEGIN:VCALENDAR\nBEGIN:VEVENT\n"
	    "UID:u\nDTSTART:20250101T100000Z\nX-JITSI-ROOM:r\n"
	    "ATTENDEE;CN=\xc3\x28:mailto:a@b\nEND:VEVENT\nEND:VCALENDAR\n");
	import_fails(db, tmpfile_path("utf.ics"),
	    "participant name: not valid UTF-8", NULL);
	assert_int_equal(truncate(tmpfile_path("nul.csv"),
	    SCHEDULE_IMPORT_MAX + 1), 0);
	import_fails(db, tmpfile_path("nul.csv"), "larger than 16 MiB", NULL);
	import_fails(db, tmpfile_path("missing.csv"),
	    "missing.csv: No such file or directory", NULL);
	assert_int_equal(nsessions(db), 0);
}

/*
 * The commands
 */

static void
test_cli(void **state)
{
	const char	*path = tmpfile_path("cli.db");
	struct db	*db;
	sqlite3		*other;
	char		*out;

	(void)state;
	/* The database must exist: a typo would book into a new file. */
	assert_int_equal(cli(path, NULL, "schedule", "list", NULL), 1);
	db_close(open_ok(path, 0));

	assert_int_equal(cli(path, &out, "schedule", "add", "-a", "X1", "-r",
	    "Room1", "-s", "2025-07-04T10:00:00+02:00", "-m", "30", "-p",
	    "cg-1:caregiver:Dr A: Smith", "-p", "pt-1:patient", NULL), 0);
	assert_string_equal(out, "added appointment X1\n");
	free(out);
	assert_int_equal(cli(NULL, &out, "schedule", "-d", path, "add",
	    "--appointment=X2", "--room=r2", "--start=2025-07-04 12:00",
	    NULL), 0);
	free(out);
	assert_int_equal(cli(path, &out, "schedule", "list", "-f", "csv",
	    NULL), 0);
	assert_string_equal(out,
	    "appointment,room,start,minutes,status,reason,roster\r\n"
	    "X1,room1,2025-07-04T08:00:00.000Z,30.0,scheduled,,"
	    "cg-1:caregiver:Dr A: Smith; pt-1:patient\r\n"
	    "X2,r2,2025-07-04T12:00:00.000Z,60.0,scheduled,,\r\n");
	free(out);
	assert_int_equal(cli(path, &out, "schedule", "list", "-n", "1", "-f",
	    "json", "-d", path, NULL), 0);
	assert_non_null(strstr(out, "\"minutes\": 30.0"));
	assert_null(strstr(out, "X2"));
	free(out);

	assert_int_equal(cli(path, &out, "schedule", "cancel", "X2",
	    "--reason", "clinic closed", NULL), 0);
	assert_string_equal(out, "cancelled appointment X2\n");
	free(out);
	assert_int_equal(cli(path, NULL, "schedule", "cancel", "X2", NULL), 1);
	assert_int_equal(cli(path, NULL, "schedule", "cancel", "none", NULL),
	    1);
	assert_int_equal(cli(path, &out, "schedule", "list", "--all", NULL),
	    0);
	assert_non_null(strstr(out, "clinic closed"));
	free(out);

	assert_int_equal(cli(path, &out, "schedule", "import",
	    FIXTURES "good.csv", NULL), 0);
	assert_string_equal(out, "imported 4 appointment(s)\n");
	free(out);
	assert_int_equal(cli(path, &out, "schedule", "import",
	    FIXTURES "good.csv", NULL), 0);
	assert_string_equal(out, "imported 4 appointment(s), 4 of them "
	    "updated\n");
	free(out);
	assert_int_equal(cli(path, NULL, "schedule", "import",
	    FIXTURES "bad-row.csv", NULL), 1);

	/* Bad values: 1; bad usage: 2. */
	assert_int_equal(cli(path, NULL, "schedule", "add", "-a", "X3", "-r",
	    "r@x", "-s", "2025-07-04 10:00", NULL), 1);
	assert_int_equal(cli(path, NULL, "schedule", "add", "-a", "X3", "-r",
	    "r", "-s", "soon", NULL), 1);
	assert_int_equal(cli(path, NULL, "schedule", "add", "-a", "X3", "-r",
	    "r", "-s", "2025-07-04 10:00", "-p", "nocolon", NULL), 1);
	assert_int_equal(cli(path, NULL, "schedule", "add", "-a", "X3", "-r",
	    "r", NULL), 2);
	assert_int_equal(cli(path, NULL, "schedule", "add", "-a", "X3", "-r",
	    "r", "-s", "2025-07-04 10:00", "extra", NULL), 2);
	assert_int_equal(cli(NULL, NULL, "schedule", "add", "-a", "X3", "-r",
	    "r", "-s", "2025-07-04 10:00", NULL), 2);
	assert_int_equal(cli(path, NULL, "schedule", NULL), 2);
	assert_int_equal(cli(path, NULL, "schedule", "frob", NULL), 2);
	assert_int_equal(cli(path, NULL, "schedule", "list", "-f", "xml",
	    NULL), 2);
	assert_int_equal(cli(path, NULL, "schedule", "list", "-n", "0",
	    NULL), 2);
	assert_int_equal(cli(path, NULL, "schedule", "cancel", NULL), 2);
	assert_int_equal(cli(path, NULL, "schedule", "import", NULL), 2);
	assert_int_equal(cli(path, &out, "schedule", "-h", NULL), 0);
	assert_non_null(strstr(out, "usage: teletrack schedule"));
	free(out);

	/* The one command table: help, shared options anywhere. */
	assert_int_equal(cli(NULL, &out, "help", "schedule", "add", NULL), 0);
	assert_non_null(strstr(out, "usage: teletrack schedule add "
	    "[-c FILE | -d DBFILE] -a APPT -r ROOM -s START"));
	free(out);
	assert_int_equal(cli(NULL, &out, "help", NULL), 0);
	assert_non_null(strstr(out, "teletrack run -c FILE [-v]"));
	assert_non_null(strstr(out, "teletrack report sessions"));
	assert_non_null(strstr(out, "teletrack settings show"));
	free(out);
	assert_int_equal(cli(NULL, NULL, "help", "frob", NULL), 2);
	assert_int_equal(cli(NULL, NULL, "frob", NULL), 2);
	assert_int_equal(cli(NULL, &out, "schedule", "list", "-d", path,
	    "-f", "csv", NULL), 0);
	assert_true(strncmp(out, "appointment,room,start,", 23) == 0);
	free(out);
	assert_int_equal(cli(NULL, &out, "schedule", "-f", "csv", "add", NULL),
	    2);				/* add takes no -f */
	free(out);
	assert_int_equal(cli(NULL, NULL, "schedule", "add", "-a", "X3", "-r",
	    "r", "-s", "2025-07-04 10:00", "-f", "csv", "-d", path, NULL), 2);

	/* settings */
	assert_int_equal(cli(path, &out, "settings", NULL), 0);
	assert_non_null(strstr(out, "default_duration"));
	assert_non_null(strstr(out, "minutes booked when"));
	free(out);
	assert_int_equal(cli(path, &out, "settings", "-f", "json", NULL), 0);
	assert_non_null(strstr(out, "\"setting\": \"patient_role\""));
	free(out);
	assert_int_equal(cli(path, &out, "settings", "set",
	    "default_duration=20", "patient_role=client", NULL), 0);
	assert_string_equal(out, "set 2 setting(s)\n");
	free(out);
	assert_int_equal(cli(path, NULL, "settings", "set",
	    "default_duration=30", "bogus=1", NULL), 1);
	/* alert_rules names the tracker's rules: a misspelt one is refused */
	assert_int_equal(cli(path, NULL, "settings", "set",
	    "alert_rules=no_show,poor_conection", NULL), 1);
	assert_int_equal(cli(path, NULL, "settings", "set",
	    "alert_rules=No_Show, poor_connection", NULL), 0);
	assert_int_equal(cli(path, NULL, "settings", "set", "alert_rules=all",
	    NULL), 0);
	assert_int_equal(cli(path, &out, "settings", "-d", path, "show", "-f",
	    "csv", NULL), 0);
	assert_non_null(strstr(out, "default_duration,real,20,"));
	assert_non_null(strstr(out, "patient_role,text,client,"));
	free(out);
	assert_int_equal(cli(path, NULL, "settings", "set", NULL), 2);
	assert_int_equal(cli(path, NULL, "settings", "frob", NULL), 2);
	/* The new default and role reach the next booking and import. */
	assert_int_equal(cli(path, NULL, "schedule", "add", "-a", "X4", "-r",
	    "r4", "-s", "2025-08-01 10:00", NULL), 0);
	db = open_ok(path, 0);
	assert_int_equal(q_int(db, "SELECT scheduled_duration_minutes FROM"
	    " teleconferencesessions WHERE appointmentId = 'X4'"), 20);
	db_close(db);

	/* A database another process holds: a clear error, exit 1. */
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(cli(path, NULL, "schedule", "add", "-a", "X5", "-r",
	    "r5", "-s", "2025-08-01 10:00", NULL), 1);
	assert_int_equal(cli(path, NULL, "settings", "set", "enable_chat=0",
	    NULL), 1);
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	db = open_ok(path, 0);
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM"
	    " teleconferencesessions WHERE appointmentId = 'X5'"), 0);
	assert_int_equal(q_int(db, "SELECT enable_chat FROM"
	    " meeting_settings"), 1);
	db_close(db);
}

/* Locked between open and write: the message says what to do. */
static void
test_locked(void **state)
{
	struct schedule_batch	 b;
	struct db		*db;
	sqlite3			*other;
	const char		*path = tmpfile_path("locked.db");

	(void)state;
	db = open_ok(path, 0);
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	one(&b, "K1", "r", "2025-07-04 10:00");
	apply_fails(db, &b, "database is locked (another process");
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	book(db, "K1", "r", "2025-07-04 10:00");
	sqlite3_close(other);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_parse_minutes_member),
		cmocka_unit_test_setup_teardown(test_add_update_refuse, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_validation, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_cancel, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_list, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_settings, setup_db,
		    teardown_db),
		cmocka_unit_test(test_import_bookings),
		cmocka_unit_test_setup_teardown(test_csv_good, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_csv_shorthand, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_csv_bad, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_ics_berlin, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_ics_utc_cancel, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_ics_bad, setup_db,
		    teardown_db),
		cmocka_unit_test_setup_teardown(test_hostile, setup_db,
		    teardown_db),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_locked),
	};

	log_init(0, "test_schedule");
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
