/*
 * Unit tests for storage/: the schema, its migrations and the one step
 * that stands for them on a new file, the writer (round trip, hostile
 * strings, a locked or read-only database, the queue bound, a rejected
 * event), stale-session repair, the views, the reports and their output
 * formats.  Runs on ":memory:" where one connection is
 * enough and on files in a temporary directory where a second connection
 * (another process holding the lock, a read-only reader) is the point.
 *
 * report_cli.c is included rather than linked: the Makefile's
 * test_storage target links $(STORE), which does not list it, and this
 * way its static helpers (run() writing to a FILE *) are reachable.
 *
 * Over 800 lines: one cmocka binary per module under test (storage/);
 * the shared helpers are in testdb.h and testevents.h, the writer tests'
 * fixture (setup_writer, setup_row) and row_is() below.
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
#include <jansson.h>
#include <sqlite3.h>

#include "bookings.h"
#include "cmd.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "report.h"
#include "schema.h"
#include "settings.h"
#include "writer.h"
#include "xmalloc.h"

#include "testdb.h"
#include "testevents.h"

#include "report_cli.h"

#define T0	1700000000000LL		/* 2023-11-14T22:13:20.000Z */

/*
 * Helpers: testdb.h (databases, queries), testevents.h (events); the
 * writer's fixture and row_is() open the Writer section.
 */

/*
 * Schema
 */

static void
test_migration(void **state)
{
	static const char *const names[] = {
		"meeting_settings", "teleconferencesessions",
		"teleconference_participant_sessions",
		"teleconference_events", "billing_report", "problem_sessions",
		"caregiver_performance"
	};
	struct settings	 set;
	struct db		*db;
	char			 sql[256];
	size_t			 i;

	(void)state;
	db = open_ok(":memory:", 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM sqlite_master"
		    " WHERE name = '%s'", names[i]);
		assert_int_equal(q_int(db, sql), 1);
	}
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM meeting_settings"),
	    1);
	/* roomId must not be unique: room names are reused. */
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM pragma_index_list("
	    "'teleconferencesessions') i, pragma_index_info(i.name) c"
	    " WHERE i.\"unique\" AND c.name = 'roomId'"), 0);
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM pragma_index_list("
	    "'teleconferencesessions') i, pragma_index_info(i.name) c"
	    " WHERE i.\"unique\" AND c.name = 'session_uid'"), 1);
	assert_int_equal(db_settings(db, &set), 0);
	assert_int_equal(set.default_duration, 60);
	assert_int_equal(set.max_participants, 2);
	assert_true(set.quality_fair_per_hour == 2.0);
	assert_true(set.quality_poor_per_hour == 6.0);
	assert_true(set.max_meeting_duration == 180);
	db_close(db);
	db_close(NULL);
}

/*
 * settings_table and the schema agree: every declared setting is a
 * column of meeting_settings with a matching type and default, and every
 * column but id, createdAt and updatedAt is declared.  The table is the
 * one declaration; this keeps the migrations honest to it.
 */
static void
test_settings_match_schema(void **state)
{
	const struct setting *c;
	struct db	*db;
	sqlite3_stmt	*st;
	const char	*name, *type, *dflt;
	char		 want[128];
	int		 found = 0;

	(void)state;
	db = open_ok(":memory:", 0);
	assert_int_equal(sqlite3_prepare_v2(db_sqlite(db), "SELECT name, type,"
	    " dflt_value FROM pragma_table_info('meeting_settings')", -1, &st,
	    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		type = (const char *)sqlite3_column_text(st, 1);
		dflt = (const char *)sqlite3_column_text(st, 2);
		if (strcmp(name, "id") == 0 || strcmp(name, "createdAt") == 0 ||
		    strcmp(name, "updatedAt") == 0)
			continue;
		if ((c = settings_find(name)) == NULL)
			fail_msg("column %s is not in settings_table", name);
		found++;
		switch (c->type) {
		case SETTING_INT:
			assert_string_equal(type, "INTEGER");
			assert_string_equal(dflt, c->def);
			break;
		case SETTING_REAL:
			/* migration 1 made some minute columns INTEGER */
			if (strcmp(type, "REAL") != 0)
				assert_string_equal(type, "INTEGER");
			assert_true(strtod(dflt, NULL) == strtod(c->def, NULL));
			break;
		case SETTING_TEXT:
			assert_string_equal(type, "TEXT");
			snprintf(want, sizeof(want), "'%s'", c->def);
			assert_string_equal(dflt, want);
			break;
		}
	}
	sqlite3_finalize(st);
	for (c = settings_table; c->name != NULL; c++)
		found--;
	assert_int_equal(found, 0);
	db_close(db);
}

/*
 * A version 2 database (as the last release left it) migrates to 3: the
 * five unused settings are dropped, the others keep their values.
 */
static void
test_migrate_from_2(void **state)
{
	struct settings	 set;
	struct db	*db;
	sqlite3		*sq;
	const char	*path = tmpfile_path("v2.db");
	int		 i;

	(void)state;
	assert_int_equal(sqlite3_open(path, &sq), SQLITE_OK);
	for (i = 0; i < 2; i++)
		assert_int_equal(sqlite3_exec(sq, schema_migrations[i], NULL,
		    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "PRAGMA user_version = 2;"
	    "UPDATE meeting_settings SET video_quality = 'low',"
	    " alert_drop_minutes = 7, caregiver_role = 'doctor'", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(sq);
	db = open_ok(path, 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM"
	    " pragma_table_info('teleconference_participant_sessions')"
	    " WHERE name = 'lobby_wait_seconds'"), 1);
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM"
	    " pragma_table_info('meeting_settings') WHERE name IN"
	    " ('require_moderator', 'enable_file_sharing',"
	    " 'enable_virtual_background', 'video_quality',"
	    " 'leave_grace_seconds')"), 0);
	assert_int_equal(db_settings(db, &set), 0);
	assert_true(set.alert_drop_minutes == 7);
	assert_string_equal(set.caregiver_role, "doctor");
	db_close(db);
}

static void
test_reopen_idempotent(void **state)
{
	struct settings	 set;
	struct db		*db;
	const char		*path = tmpfile_path("reopen.db");
	int			 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		db = open_ok(path, 0);
		assert_int_equal(q_int(db, "PRAGMA user_version"),
		    DB_SCHEMA_VERSION);
		assert_string_equal(q_text(db, "PRAGMA journal_mode"), "wal");
		assert_int_equal(q_int(db,
		    "SELECT COUNT(*) FROM meeting_settings"), 1);
		if (i == 0)
			assert_int_equal(sqlite3_exec(db_sqlite(db),
			    "UPDATE meeting_settings SET max_participants = 4,"
			    " quality_poor_per_hour = 9.5", NULL, NULL, NULL),
			    SQLITE_OK);
		assert_int_equal(db_settings(db, &set), 0);
		assert_int_equal(set.max_participants, 4);
		assert_true(set.quality_poor_per_hour == 9.5);
		db_close(db);
	}
	db = open_ok(path, DB_READONLY);
	assert_int_equal(db_settings(db, &set), 0);
	assert_int_equal(set.max_participants, 4);
	db_close(db);
}

static void
test_open_errors(void **state)
{
	struct db	*db;
	sqlite3		*raw;
	char		 err[256];

	(void)state;
	/* Missing file, read-only: no file is created. */
	db = db_open(tmpfile_path("missing.db"), DB_READONLY, err,
	    sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(access(tmpfile_path("missing.db"), F_OK), -1);

	/* A database that is not ours, read-only. */
	assert_int_equal(sqlite3_open(tmpfile_path("other.db"), &raw),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE t (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(raw);
	db = db_open(tmpfile_path("other.db"), DB_READONLY, err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "not a teletrack database"));

	/* A schema newer than this program: both modes refuse. */
	db = open_ok(tmpfile_path("new.db"), 0);
	assert_int_equal(sqlite3_exec(db_sqlite(db), "PRAGMA user_version = 99",
	    NULL, NULL, NULL), SQLITE_OK);
	db_close(db);
	db = db_open(tmpfile_path("new.db"), 0, err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "newer"));
	db = db_open(tmpfile_path("new.db"), DB_READONLY, err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "newer"));

	/* Not a database at all. */
	{
		FILE	*fp = fopen(tmpfile_path("junk.db"), "w");

		assert_non_null(fp);
		fputs("this is not an SQLite file, it is long enough to "
		    "have a header of sorts..........................\n", fp);
		fclose(fp);
	}
	assert_null(db_open(tmpfile_path("junk.db"), 0, err, sizeof(err)));
	assert_true(err[0] != '\0');
	assert_null(db_open(tmpfile_path("junk.db"), DB_READONLY, err,
	    sizeof(err)));
	assert_true(err[0] != '\0');

	/* A name URIs would misread opens as itself. */
	db = open_ok(tmpfile_path("we?ird#na%20me.db"), 0);
	db_close(db);
	db = open_ok(tmpfile_path("we?ird#na%20me.db"), DB_READONLY);
	db_close(db);
}

/*
 * A new database takes the final schema in one step (schema_fresh, which
 * storage/schema/squash.c derives from the migrations at build time); one
 * at an older version takes the migrations.  Both must end as the same
 * database: dump() writes down all that could differ, and the tests
 * compare dumps.
 *
 * A default that reads the clock (createdAt) would tell the two apart by
 * milliseconds, so these tests run under a clock that stands still at
 * T0: SQLite's default VFS with only its clock replaced, made the
 * default, so db_open() uses it too.
 */
static sqlite3_vfs	 still_vfs;
static sqlite3_vfs	*real_vfs;

static int
still_now(sqlite3_vfs *vfs, sqlite3_int64 *now)
{
	(void)vfs;
	*now = 210866760000000LL + T0;	/* Julian day 2440587.5 is 1970 */
	return SQLITE_OK;
}

static int
setup_still_clock(void **state)
{
	(void)state;
	real_vfs = sqlite3_vfs_find(NULL);
	still_vfs = *real_vfs;
	still_vfs.zName = "still";
	still_vfs.xCurrentTimeInt64 = still_now;
	return sqlite3_vfs_register(&still_vfs, 1) == SQLITE_OK ? 0 : -1;
}

static int
teardown_still_clock(void **state)
{
	(void)state;
	if (sqlite3_vfs_register(real_vfs, 1) != SQLITE_OK)
		return -1;
	return sqlite3_vfs_unregister(&still_vfs) == SQLITE_OK ? 0 : -1;
}

/*
 * Everything a schema consists of, one line a row: the version, the
 * sqlite_master entries, every table's (and view's) columns, indexes and
 * foreign keys, and every row of every table.  The caller frees it.
 */
static char *
dump(sqlite3 *sq)
{
	static const char *const queries[] = {
		"SELECT user_version FROM pragma_user_version",
		"SELECT type, name, tbl_name, sql FROM sqlite_master"
		" ORDER BY type, name",
		"SELECT m.name, p.* FROM sqlite_master m,"
		" pragma_table_info(m.name) p WHERE m.type IN ('table', 'view')"
		" ORDER BY m.name, p.cid",
		"SELECT m.name, p.* FROM sqlite_master m,"
		" pragma_index_list(m.name) p WHERE m.type = 'table'"
		" ORDER BY m.name, p.name",
		"SELECT m.name, p.* FROM sqlite_master m,"
		" pragma_foreign_key_list(m.name) p WHERE m.type = 'table'"
		" ORDER BY m.name, p.id, p.seq",
	};
	sqlite3_stmt	*tables, *st;
	FILE		*fp;
	char		*buf = NULL, *sql;
	size_t		 len = 0, q;
	int		 i;

	assert_non_null(fp = open_memstream(&buf, &len));
	assert_int_equal(sqlite3_prepare_v2(sq, "SELECT printf('SELECT * FROM"
	    " \"%w\" ORDER BY rowid', name) FROM sqlite_master"
	    " WHERE type = 'table' ORDER BY name", -1, &tables, NULL),
	    SQLITE_OK);
	for (q = 0;; q++) {
		if (q < sizeof(queries) / sizeof(queries[0]))
			sql = xstrdup(queries[q]);
		else if (sqlite3_step(tables) == SQLITE_ROW)
			sql = xstrdup((const char *)
			    sqlite3_column_text(tables, 0));
		else
			break;
		fprintf(fp, "%s\n", sql);
		assert_int_equal(sqlite3_prepare_v2(sq, sql, -1, &st, NULL),
		    SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (i = 0; i < sqlite3_column_count(st); i++)
				fprintf(fp, "%s%d:%s", i > 0 ? "|" : "\t",
				    sqlite3_column_type(st, i),
				    sqlite3_column_text(st, i) != NULL ?
				    (const char *)sqlite3_column_text(st, i) :
				    "");
			fputc('\n', fp);
		}
		assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
		free(sql);
	}
	sqlite3_finalize(tables);
	fclose(fp);
	return buf;
}

/*
 * The first line in which dumps a and b differ, in a static buffer;
 * NULL when they are the same.
 */
static const char *
dump_difference(const char *a, const char *b)
{
	static char	 what[512];
	size_t		 la, lb;
	int		 line = 1;

	for (;;) {
		la = strcspn(a, "\n");
		lb = strcspn(b, "\n");
		if (la != lb || memcmp(a, b, la) != 0) {
			snprintf(what, sizeof(what), "line %d: [%.*s] vs [%.*s]",
			    line, (int)(la < 200 ? la : 200), a,
			    (int)(lb < 200 ? lb : 200), b);
			return what;
		}
		if (a[la] == '\0' || b[lb] == '\0')
			return a[la] == b[lb] ? NULL : "one is longer";
		a += la + 1;
		b += lb + 1;
		line++;
	}
}

/* A new ":memory:" database, opened by db_open(): the one-step path. */
static char *
dump_fresh(void)
{
	struct db	*db = open_ok(":memory:", 0);
	char		*d = dump(db_sqlite(db));

	db_close(db);
	return d;
}

/* Apply the first k migrations to sq by hand, at version k. */
static void
migrate_by_hand(sqlite3 *sq, int k)
{
	char	 sql[64];
	int	 i;

	for (i = 0; i < k; i++)
		if (sqlite3_exec(sq, schema_migrations[i], NULL, NULL, NULL) !=
		    SQLITE_OK)
			fail_msg("migration %d: %s", i + 1, sqlite3_errmsg(sq));
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", k);
	assert_int_equal(sqlite3_exec(sq, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* PRAGMA schema_version: SQLite counts every change to the schema. */
static int
schema_changes(sqlite3 *sq)
{
	sqlite3_stmt	*st;
	int		 n;

	assert_int_equal(sqlite3_prepare_v2(sq, "PRAGMA schema_version", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * (a) A new database is the one every migration, replayed, builds: the
 * same version, sqlite_master, columns, indexes, foreign keys and rows
 * (meeting_settings' one row, its createdAt dated by its default when
 * the database was made, not when teletrack was built).  And it was made
 * in one step: SQLite counted fewer schema changes.
 */
static void
test_fresh_schema(void **state)
{
	struct db	*fresh;
	sqlite3		*sq;
	char		*a, *b;
	const char	*diff;

	(void)state;
	fresh = open_ok(":memory:", 0);
	a = dump(db_sqlite(fresh));
	assert_int_equal(sqlite3_open(":memory:", &sq), SQLITE_OK);
	migrate_by_hand(sq, DB_SCHEMA_VERSION);
	b = dump(sq);
	if ((diff = dump_difference(a, b)) != NULL)
		fail_msg("fresh and migrated differ: %s", diff);
	assert_true(schema_changes(db_sqlite(fresh)) < schema_changes(sq));
	assert_int_equal(q_int(fresh, "SELECT COUNT(*) FROM meeting_settings"
	    " WHERE createdAt = '2023-11-14T22:13:20.000Z'"), 1);
	sqlite3_close(sq);
	db_close(fresh);
	free(a);
	free(b);
}

/*
 * (b) A database left at any version 1 .. N - 1 is migrated step by step
 * and ends as a new one does.
 */
static void
test_migrate_from_every_version(void **state)
{
	struct db	*db;
	sqlite3		*sq;
	char		*a, *b, name[32];
	const char	*path, *diff;
	int		 k;

	(void)state;
	a = dump_fresh();
	for (k = 1; k < DB_SCHEMA_VERSION; k++) {
		snprintf(name, sizeof(name), "from-%d.db", k);
		path = tmpfile_path(name);
		assert_int_equal(sqlite3_open(path, &sq), SQLITE_OK);
		migrate_by_hand(sq, k);
		sqlite3_close(sq);
		db = open_ok(path, 0);
		b = dump(db_sqlite(db));
		if ((diff = dump_difference(a, b)) != NULL)
			fail_msg("from version %d: %s", k, diff);
		db_close(db);
		free(b);
	}
	free(a);
}

/*
 * (c) The comparison sees each thing it compares: a database changed in
 * any one of them no longer passes for a new one.
 */
static void
test_dump_tells_apart(void **state)
{
	static const char *const changes[] = {
		"PRAGMA user_version = 99",
		"CREATE INDEX idx_extra ON alerts (rule)",
		"ALTER TABLE alerts ADD COLUMN extra TEXT",
		"CREATE TABLE extra (id INTEGER PRIMARY KEY,"
		" s INTEGER REFERENCES teleconferencesessions (id))",
		"UPDATE meeting_settings SET max_participants = 3",
		"UPDATE meeting_settings SET createdAt = '2000-01-01'",
		"INSERT INTO teleconferencesessions (session_uid) VALUES ('x')",
	};
	struct db	*db;
	char		*a, *b;
	size_t		 i;

	(void)state;
	a = dump_fresh();
	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		db = open_ok(":memory:", 0);
		assert_int_equal(sqlite3_exec(db_sqlite(db), changes[i], NULL,
		    NULL, NULL), SQLITE_OK);
		b = dump(db_sqlite(db));
		if (dump_difference(a, b) == NULL)
			fail_msg("not told apart: %s", changes[i]);
		db_close(db);
		free(b);
	}
	b = dump_fresh();
	assert_null(dump_difference(a, b));
	free(a);
	free(b);
}

/*
 * A file at version 0 with tables in it is not new: it gets the
 * migrations, one by one, as before there was a one-step path.  Its own
 * table stays; a clash with ours fails the first migration.
 */
static void
test_open_version_0_not_empty(void **state)
{
	struct db	*db;
	sqlite3		*sq;
	char		 err[256];

	(void)state;
	assert_int_equal(sqlite3_open(tmpfile_path("theirs.db"), &sq),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "CREATE TABLE t (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(sq);
	db = open_ok(tmpfile_path("theirs.db"), 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM sqlite_master"
	    " WHERE name = 't'"), 1);
	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM meeting_settings"),
	    1);
	assert_true(schema_changes(db_sqlite(db)) > 1 + q_int(db,
	    "SELECT COUNT(*) FROM sqlite_master WHERE sql IS NOT NULL"));
	db_close(db);

	assert_int_equal(sqlite3_open(tmpfile_path("clash.db"), &sq),
	    SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "CREATE TABLE meeting_settings (x)", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
	assert_null(db_open(tmpfile_path("clash.db"), 0, err, sizeof(err)));
	assert_non_null(strstr(err, "migration 0 -> 1"));
}

/*
 * Writer
 *
 * Most writer tests run on one fixture (setup_writer): a fresh
 * ":memory:" database, a writer on it (flush at 200 ms or 500 events),
 * the session "r@m/1" started at T0 and the participant "nick:p" ("p")
 * joined then; a test re-initializes what it needs otherwise.  A test
 * run for several cases finds its case in arg.
 */
struct wfix {
	struct db		*db;
	struct writer		*w;
	struct session_rec	 s;
	struct participant_rec	 p;
	int64_t			 pid;	/* p's row, after setup_row */
	const void		*arg;
};

static int
setup_writer(void **state)
{
	struct wfix	*f = xcalloc(1, sizeof(*f));

	f->arg = *state;
	f->db = open_ok(":memory:", 0);
	f->w = writer_new(f->db, 200, 500);
	session_init(&f->s, "r@m/1", T0);
	participant_init(&f->p, "nick:p", "p", T0);
	*state = f;
	return 0;
}

static int
teardown_writer(void **state)
{
	struct wfix	*f = *state;

	writer_free(f->w);
	db_close(f->db);
	free(f);
	return 0;
}

/* Emit an event of p (NULL: of the session) at ts, no data; commit it. */
static void
commit(struct wfix *f, enum event_type type, int64_t ts,
    const struct participant_rec *p)
{
	emit(f->w, type, ts, &f->s, p, NULL);
	assert_int_equal(writer_flush(f->w), 0);
}

/*
 * setup_writer, then a participant's row committed in a batch of its
 * own, for the tests of what later batches write: alice ("sid:A") in
 * "room@muc/9", joined for the second time (join_count 2), on firefox,
 * present 1 s; f->pid is the id of her row.
 */
static int
setup_row(void **state)
{
	struct wfix	*f;

	setup_writer(state);
	f = *state;
	session_init(&f->s, "room@muc/9", T0);
	participant_init(&f->p, "sid:A", "alice", T0);
	f->p.duration_s = 1;
	f->p.join_count = 2;
	f->p.browser = "firefox";
	commit(f, EVENT_JOIN, T0, &f->p);
	f->pid = q_int(f->db, "SELECT id FROM"
	    " teleconference_participant_sessions");
	return 0;
}

/* p joins at ts and makes n present (and the peak): the EVENT_JOIN. */
static void
joins(struct wfix *f, const struct participant_rec *p, int64_t ts, int n,
    const char *data)
{
	f->s.participant_count = f->s.peak_participants = n;
	emit(f->w, EVENT_JOIN, ts, &f->s, p, data);
}

/* p leaves at ts for reason: the snapshot of its EVENT_LEAVE or _KICKED. */
static void
leaves(struct participant_rec *p, int64_t ts, const char *reason)
{
	p->present = 0;
	p->left_ms = ts;
	p->left_reason = reason;
}

/*
 * p's second tab "sid:B#2", joined at T0 + 30 s, is folded into p at
 * T0 + 90 s, leaving n present: the merge, then the reconnect and the
 * disconnect of p the derivation emits with it.
 */
static void
tab_folded(struct wfix *f, struct participant_rec *p, int n)
{
	f->s.participant_count = f->s.peak_participants = n;
	emit_merge(f->w, T0 + 90000, &f->s, p, "sid:B#2", 1);
	emit(f->w, EVENT_RECONNECT, T0 + 30000, &f->s, p, NULL);
	p->disconnection_count = 1;
	emit(f->w, EVENT_DISCONNECT, T0 + 90000, &f->s, p, NULL);
}

/*
 * The first row sql returns, its columns as text joined by '|' ("NULL"
 * for SQL NULL, "(no row)" for none), is want; a failure names the query
 * and, like cmocka's asserts, the caller's line.
 */
#define row_is(db, sql, want)	row_is_at(db, sql, want, __FILE__, __LINE__)

static void
row_is_at(struct db *db, const char *sql, const char *want,
    const char *file, int line)
{
	sqlite3_stmt		*st;
	const unsigned char	*t;
	char			*got = NULL;
	size_t			 len = 0;
	FILE			*fp;
	int			 i, same;

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st,
	    NULL), SQLITE_OK);
	assert_non_null(fp = open_memstream(&got, &len));
	if (sqlite3_step(st) != SQLITE_ROW)
		fputs("(no row)", fp);
	else
		for (i = 0; i < sqlite3_column_count(st); i++) {
			t = sqlite3_column_text(st, i);
			fprintf(fp, "%s%s", i > 0 ? "|" : "",
			    t != NULL ? (const char *)t : "NULL");
		}
	fclose(fp);
	sqlite3_finalize(st);
	same = strcmp(got, want) == 0;
	if (!same)
		print_error("%s\n  got:  %s\n  want: %s\n", sql, got, want);
	free(got);
	if (!same)
		_fail(file, line);
}

static void
test_writer_roundtrip(void **state)
{
	struct wfix		*f = *state;
	struct session_rec	*s = &f->s;
	struct participant_rec	*p = &f->p;

	assert_int_equal(writer_flush(f->w), 0);	/* empty: nothing to do */

	session_init(s, "consult42@conference.example.org/1700000000000",
	    T0);
	emit(f->w, EVENT_SESSION_START, T0, s, NULL,
	    "{\"meeting_id\":\"3f9a\"}");

	caregiver_joins(s, p, "id:u-17", "u-17", "Alice-xyz", T0 + 1000);
	emit(f->w, EVENT_JOIN, T0 + 1000, s, p, "{\"nick\":\"Dr Who\"}");
	assert_int_equal(writer_pending(f->w), 2);
	flush_all(f->w);

	row_is(f->db, "SELECT COUNT(*) FROM teleconference_participant_sessions"
	    " WHERE session_status = 'present' AND left_at IS NULL AND"
	    " joined_at = '2023-11-14T22:13:21.000Z'", "1");
	row_is(f->db, "SELECT endTime FROM teleconferencesessions", "NULL");

	p->microphone_enabled = 1;
	emit(f->w, EVENT_AUDIO_MUTE, T0 + 5000, s, p, "{}");
	p->duration_s = 30;
	p->spoke_time_s = 12.5;
	p->spoke_known = 1;
	s->duration_s = 31;
	emit(f->w, EVENT_ROLLUP, T0 + 31000, s, p, NULL);
	leaves(p, T0 + 60000, "leave");
	p->duration_s = 59;
	emit(f->w, EVENT_LEAVE, T0 + 60000, s, p, "{\"reason\":\"leave\"}");
	s->end_ms = T0 + 61000;
	s->duration_s = 61;
	s->status = "failed";
	s->end_reason = "focus_left";
	emit(f->w, EVENT_SESSION_END, T0 + 61000, s, NULL, NULL);
	assert_int_equal(writer_pending(f->w), 4);
	assert_int_equal(writer_flush(f->w), 0);

	row_is(f->db, "SELECT COUNT(*), session_uid, roomId, jitsi_room_name,"
	    " jitsi_meeting_id, startTime, endTime, session_status, end_reason,"
	    " total_duration_seconds, participant_count, peak_participants,"
	    " connection_quality, recording_status, appointmentId, chatHistory"
	    " FROM teleconferencesessions",
	    "1|consult42@conference.example.org/1700000000000|"
	    "consult42@conference.example.org|consult42|3f9a-meeting|"
	    "2023-11-14T22:13:20.000Z|2023-11-14T22:14:21.000Z|failed|"
	    "focus_left|61|1|1|good|not_recorded|NULL|NULL");
	row_is(f->db, "SELECT COUNT(*), participant_key, participant_id,"
	    " participant_role, participant_name, nick, stats_id, joined_at,"
	    " left_at, left_reason, session_duration_seconds, join_count,"
	    " microphone_enabled, camera_enabled, spoke_time_seconds,"
	    " issues_encountered, session_status, avg_bandwidth_kbps, user_id"
	    " FROM teleconference_participant_sessions",
	    "1|id:u-17|u-17|caregiver|Dr Who|Dr Who|Alice-xyz|"
	    "2023-11-14T22:13:21.000Z|2023-11-14T22:14:20.000Z|leave|59|1|"
	    "1|0|12.5|[]|left|NULL|NULL");

	/* Five event rows, the rollup none; participant events linked. */
	row_is(f->db, "SELECT COUNT(*), group_concat(event_type, ','),"
	    " COUNT(participant_session_id) FROM (SELECT * FROM"
	    " teleconference_events ORDER BY id)",
	    "5|session_start,join,audio_mute,leave,session_end|3");
	row_is(f->db, "SELECT event_data FROM teleconference_events WHERE"
	    " event_type = 'leave'", "{\"reason\":\"leave\"}");
	row_is(f->db, "SELECT event_data FROM teleconference_events WHERE"
	    " event_type = 'session_end'", "NULL");
	row_is(f->db, "SELECT timestamp FROM teleconference_events WHERE"
	    " event_type = 'audio_mute'", "2023-11-14T22:13:25.000Z");

	writer_free(NULL);
}

/*
 * Across batches a row is written only when it would change: a mute
 * leaves the participant's row (setup_row) alone (its time present is a
 * rollup's job), a rollup writes it, and the event rows still point at it.
 */
static void
test_writer_skips_unchanged_rows(void **state)
{
	struct wfix		*f = *state;
	struct participant_rec	*p = &f->p;

	p->duration_s = 30;
	f->s.duration_s = 30;
	commit(f, EVENT_AUDIO_MUTE, T0 + 30000, p);
	row_is(f->db, "SELECT session_duration_seconds FROM"
	    " teleconference_participant_sessions", "1");
	assert_int_equal(q_int(f->db, "SELECT participant_session_id FROM "
	    "teleconference_events WHERE event_type = 'audio_mute'"), f->pid);

	/* A change the row holds is written at once. */
	p->microphone_enabled = 1;
	commit(f, EVENT_AUDIO_UNMUTE, T0 + 31000, p);
	row_is(f->db, "SELECT microphone_enabled FROM"
	    " teleconference_participant_sessions", "1");

	/* The rollup writes the durations. */
	p->duration_s = 40;
	commit(f, EVENT_ROLLUP, T0 + 40000, p);
	row_is(f->db, "SELECT session_duration_seconds, (SELECT COUNT(*) FROM"
	    " teleconference_participant_sessions) FROM"
	    " teleconference_participant_sessions", "40|1");

	/* The end forgets the rows; nothing else changes. */
	f->s.end_ms = T0 + 50000;
	f->s.end_reason = "focus_left";
	commit(f, EVENT_SESSION_END, T0 + 50000, NULL);
	row_is(f->db, "SELECT end_reason FROM teleconferencesessions",
	    "focus_left");
}

/*
 * A row written again with its indexed columns as they were takes the
 * narrow UPDATE (writer.c): the same rules as the UPSERT (counts never
 * go down, client details kept when a snapshot lacks them), and a row
 * deleted meanwhile is written anew.  A departure changes left_at (an
 * index): the whole UPSERT.  The row is setup_row's (join_count 2,
 * firefox).
 */
static void
test_writer_same_row_again(void **state)
{
	struct wfix		*f = *state;
	struct participant_rec	*p = &f->p;

	p->join_count = 1;	/* a resumed count starts lower */
	p->browser = NULL;
	p->messages_sent = 3;
	p->nick = "alice2";
	commit(f, EVENT_CHAT_MESSAGE, T0 + 1000, p);
	row_is(f->db, "SELECT join_count, browser, messages_sent, nick FROM"
	    " teleconference_participant_sessions", "2|firefox|3|alice2");
	assert_int_equal(q_int(f->db, "SELECT id FROM "
	    "teleconference_participant_sessions"), f->pid);

	/* Deleted by hand between two batches: written anew. */
	assert_int_equal(db_exec(f->db, "DELETE FROM "
	    "teleconference_participant_sessions"), 0);
	p->messages_sent = 4;
	commit(f, EVENT_CHAT_MESSAGE, T0 + 2000, p);
	row_is(f->db, "SELECT messages_sent FROM"
	    " teleconference_participant_sessions", "4");
	row_is(f->db, "SELECT participant_session_id = (SELECT id FROM"
	    " teleconference_participant_sessions) FROM teleconference_events"
	    " WHERE event_type = 'chat_message' ORDER BY id DESC LIMIT 1", "1");

	/*
	 * Leaving: left_at and the status, by the upsert, which updates the
	 * row; its id is read back, not the last one inserted (an event's).
	 */
	leaves(p, T0 + 3000, "leave");
	commit(f, EVENT_LEAVE, T0 + 3000, p);
	row_is(f->db, "SELECT session_status, left_reason, left_at IS NOT NULL"
	    " FROM teleconference_participant_sessions", "left|leave|1");
	row_is(f->db, "SELECT participant_session_id = (SELECT id FROM"
	    " teleconference_participant_sessions) FROM teleconference_events"
	    " WHERE event_type = 'leave'", "1");
}

/*
 * The session row written again with its indexed columns as they were
 * takes the narrow UPDATE too (writer.c): counts never go down, fields
 * a snapshot lacks are kept, a row deleted meanwhile is written anew,
 * and a row another shard holds is still refused; the end (endTime, an
 * index) and a status the snapshot leaves to the row take the UPSERT.
 */
static void
test_writer_session_again(void **state)
{
	struct wfix	*f = *state;
	int64_t		 sid;

	sid = q_int(f->db, "SELECT id FROM teleconferencesessions");
	f->s.participant_count = 3;
	f->s.peak_participants = 3;
	f->s.total_disconnections = 2;
	f->s.connection_quality = "fair";
	commit(f, EVENT_CHAT_MESSAGE, T0 + 1000, NULL);
	row_is(f->db, "SELECT participant_count, peak_participants,"
	    " total_disconnections, connection_quality, jitsi_meeting_id"
	    " FROM teleconferencesessions", "3|3|2|fair|3f9a-meeting");

	/* A resumed count starts lower; the status left to the row. */
	f->s.participant_count = 1;
	f->s.total_disconnections = 0;
	f->s.recording_status = NULL;
	f->s.status = NULL;
	f->s.connection_quality = "poor";
	commit(f, EVENT_CHAT_MESSAGE, T0 + 2000, NULL);
	row_is(f->db, "SELECT participant_count, total_disconnections,"
	    " recording_status, session_status, connection_quality, id = "
	    "(SELECT MIN(id) FROM teleconferencesessions) FROM"
	    " teleconferencesessions", "3|2|not_recorded|active|poor|1");
	assert_int_equal(q_int(f->db, "SELECT id FROM "
	    "teleconferencesessions"), sid);

	/* Another shard's row: left alone, the event dropped (logged). */
	assert_int_equal(db_exec(f->db, "UPDATE teleconferencesessions"
	    " SET shard = 'elsewhere'"), 0);
	writer_set_shard(f->w, "here");
	f->s.participant_count = 4;
	commit(f, EVENT_CHAT_MESSAGE, T0 + 3000, NULL);
	row_is(f->db, "SELECT participant_count, shard, (SELECT COUNT(*) FROM"
	    " teleconference_events WHERE event_type = 'chat_message') FROM"
	    " teleconferencesessions", "3|elsewhere|2");
	writer_set_shard(f->w, NULL);

	/* Deleted by hand between two batches: written anew. */
	assert_int_equal(db_exec(f->db, "DELETE FROM "
	    "teleconferencesessions"), 0);
	f->s.participant_count = 5;
	commit(f, EVENT_CHAT_MESSAGE, T0 + 4000, NULL);
	row_is(f->db, "SELECT participant_count, COUNT(*) FROM"
	    " teleconferencesessions", "5|1");

	/* The end: endTime and the status. */
	f->s.status = "completed";
	f->s.end_ms = T0 + 5000;
	f->s.end_reason = "focus_left";
	commit(f, EVENT_SESSION_END, T0 + 5000, NULL);
	row_is(f->db, "SELECT session_status, end_reason, endTime IS NOT NULL"
	    " FROM teleconferencesessions", "completed|focus_left|1");
}

/* The cases of the merge tests: the tab written in an earlier batch. */
static int	 one_batch = 0, split_batches = 1;

/*
 * A provisional participant (a tab) folded into the one it reconnected:
 * its rows move over, its join goes, its own row goes; with the tab
 * written in an earlier batch (split) or in the same one.
 */
static void
test_writer_merge(void **state)
{
	struct wfix		*f = *state;
	struct participant_rec	*a = &f->p, t;
	int64_t			 pid;

	session_init(&f->s, "room@muc/9", T0);
	participant_init(a, "sid:B", "bob", T0);
	participant_init(&t, "sid:B#2", "bob2", T0 + 30000);
	joins(f, a, T0, 1, NULL);
	joins(f, &t, T0 + 30000, 2, "{\"nick\":\"bob2\"}");
	t.microphone_enabled = 1;
	emit(f->w, EVENT_AUDIO_MUTE, T0 + 31000, &f->s, &t, NULL);
	emit(f->w, EVENT_ALERT, T0 + 31000, &f->s, NULL,
	    "{\"rule\":\"unexpected_participant\","
	    "\"severity\":\"info\",\"state\":\"raised\","
	    "\"subject\":\"sid:B#2\","
	    "\"participant_key\":\"sid:B#2\"}");
	if (*(const int *)f->arg == split_batches) {
		assert_int_equal(writer_flush(f->w), 0);
		row_is(f->db, "SELECT COUNT(*) FROM"
		    " teleconference_participant_sessions", "2");
	}
	a->join_count = 2;
	a->microphone_enabled = 1;
	a->nick = "bob2";
	tab_folded(f, a, 1);
	assert_int_equal(writer_flush(f->w), 0);
	pid = q_int(f->db, "SELECT id FROM teleconference_participant_sessions"
	    " WHERE participant_key = 'sid:B'");
	assert_true(pid > 0);
	row_is(f->db, "SELECT COUNT(*), join_count, microphone_enabled FROM"
	    " teleconference_participant_sessions", "1|2|1");
	/* join (bob), audio_mute, reconnect, disconnect: all bob's; and the
	   alert's own row; no join of the tab, no merge row */
	row_is(f->db, "SELECT COUNT(*), SUM(participant_session_id = (SELECT"
	    " id FROM teleconference_participant_sessions WHERE"
	    " participant_key = 'sid:B')), SUM(event_type = 'join'),"
	    " SUM(event_type = 'participant_merge') FROM"
	    " teleconference_events", "5|4|1|0");
	assert_int_equal(q_int(f->db, "SELECT participant_session_id FROM"
	    " alerts"), pid);
	/* The counts the tab raised are taken back. */
	row_is(f->db, "SELECT participant_count, peak_participants FROM"
	    " teleconferencesessions", "1|1");
	/* The tab is not a kept row: a later batch writes fine. */
	commit(f, EVENT_ROLLUP, T0 + 100000, a);
	row_is(f->db, "SELECT COUNT(*) FROM"
	    " teleconference_participant_sessions", "1");
}

/*
 * A tab folded in, then someone new joins in the same batch: the count
 * is back to what it was with the tab, and that count is the newcomer's
 * (fuzz finding F6: the merge took it back, one short of the rows).
 * With the tab written in an earlier batch (split) or in the same one.
 */
static void
test_writer_merge_then_join(void **state)
{
	struct wfix		*f = *state;
	struct participant_rec	*a = &f->p, b, t, c;

	session_init(&f->s, "room@muc/9", T0);
	participant_init(a, "sid:A", "alice", T0);
	participant_init(&b, "sid:B", "bob", T0 + 1000);
	participant_init(&t, "sid:B#2", "bob2", T0 + 30000);
	participant_init(&c, "sid:C", "carol", T0 + 90001);
	joins(f, a, T0, 1, NULL);
	joins(f, &b, T0 + 1000, 2, NULL);
	joins(f, &t, T0 + 30000, 3, NULL);
	if (*(const int *)f->arg == split_batches)
		assert_int_equal(writer_flush(f->w), 0);
	b.join_count = 2;
	f->s.total_disconnections = 1;
	tab_folded(f, &b, 2);
	joins(f, &c, T0 + 90001, 3, NULL);
	assert_int_equal(writer_flush(f->w), 0);
	row_is(f->db, "SELECT (SELECT COUNT(*) FROM"
	    " teleconference_participant_sessions), participant_count,"
	    " peak_participants FROM teleconferencesessions", "3|3|3");
}

/* The writer copies: the caller's strings may change after emit(). */
static void
test_writer_deep_copy(void **state)
{
	struct wfix	*f = *state;
	char		 uid[64], nick[32], data[32];

	snprintf(uid, sizeof(uid), "room@muc/1");
	snprintf(nick, sizeof(nick), "alice");
	snprintf(data, sizeof(data), "{\"n\":1}");
	session_init(&f->s, uid, T0);
	participant_init(&f->p, "nick:alice", nick, T0);
	emit(f->w, EVENT_JOIN, T0, &f->s, &f->p, data);
	memset(uid, 'X', sizeof(uid) - 1);
	memset(nick, 'Y', sizeof(nick) - 1);
	memset(data, 'Z', sizeof(data) - 1);
	memset(&f->s, 0xa5, sizeof(f->s));
	memset(&f->p, 0x5a, sizeof(f->p));
	assert_int_equal(writer_flush(f->w), 0);
	row_is(f->db, "SELECT session_uid FROM teleconferencesessions",
	    "room@muc/1");
	row_is(f->db, "SELECT nick FROM teleconference_participant_sessions",
	    "alice");
	row_is(f->db, "SELECT event_data FROM teleconference_events",
	    "{\"n\":1}");
}

static void
test_hostile_strings(void **state)
{
	static const char sqlish[] = "Robert'); DROP TABLE "
	    "teleconference_events;-- \"x\" %s %n ? :a ?1";
	static const char ctrl[] = "\x1b[31mred\x1b[0m\r\n\t\x7f\xc2\x9b"
	    "\xe2\x80\xae" "evil";
	struct wfix		*f = *state;
	struct participant_rec	 a, b, c;
	sqlite3_stmt		*st;
	char			*huge;
	size_t			 hugelen = 200000;

	huge = xmalloc(hugelen + 1);
	memset(huge, 'n', hugelen);
	huge[hugelen] = '\0';
	session_init(&f->s, "r@m/'; DELETE FROM teleconferencesessions; --",
	    T0);
	participant_init(&a, "nick:sql", sqlish, T0);
	participant_init(&b, "nick:ctrl", ctrl, T0);
	participant_init(&c, "nick:huge", huge, T0);
	emit(f->w, EVENT_JOIN, T0, &f->s, &a, "{\"nick\":\"Robert'); DROP"
	    " TABLE teleconference_events;-- \\\"x\\\" %s %n ? :a ?1\"}");
	emit(f->w, EVENT_JOIN, T0, &f->s, &b, "{\"nick\":\"\\u001b\"}");
	emit(f->w, EVENT_JOIN, T0, &f->s, &c, NULL);
	assert_int_equal(writer_flush(f->w), 0);

	row_is(f->db, "SELECT COUNT(*) FROM teleconference_events", "3");
	row_is(f->db, "SELECT session_uid FROM teleconferencesessions",
	    "r@m/'; DELETE FROM teleconferencesessions; --");
	assert_int_equal(sqlite3_prepare_v2(db_sqlite(f->db), "SELECT nick,"
	    " length(CAST(nick AS BLOB)) FROM"
	    " teleconference_participant_sessions WHERE participant_key = ?1",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, "nick:sql", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), sqlish);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "nick:ctrl", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), ctrl);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "nick:huge", -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 1), (int64_t)hugelen);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), huge);
	sqlite3_finalize(st);
	row_is(f->db, "SELECT json_extract(event_data, '$.nick') FROM"
	    " teleconference_events ORDER BY id LIMIT 1", sqlish);
	free(huge);
}

/* Rollups within a batch: the latest snapshot wins, no event rows. */
static void
test_rollup_collapse(void **state)
{
	struct wfix		*f = *state;
	struct participant_rec	*p = &f->p, q;
	int			 i;

	participant_init(&q, "nick:q", "q", T0);
	emit(f->w, EVENT_JOIN, T0, &f->s, p, NULL);
	emit(f->w, EVENT_JOIN, T0, &f->s, &q, NULL);
	for (i = 1; i <= 200; i++) {
		p->duration_s = i;
		q.duration_s = 2 * i;
		f->s.duration_s = i;
		f->s.peak_participants = 2;
		emit(f->w, EVENT_ROLLUP, T0 + i * 1000, &f->s, p, NULL);
		emit(f->w, EVENT_ROLLUP, T0 + i * 1000, &f->s, &q, NULL);
	}
	p->spoke_time_s = 3;
	p->spoke_known = 1;
	commit(f, EVENT_ROLLUP, T0 + 201000, p);
	row_is(f->db, "SELECT (SELECT COUNT(*) FROM teleconference_events),"
	    " total_duration_seconds, peak_participants FROM"
	    " teleconferencesessions", "2|200|2");
	row_is(f->db, "SELECT group_concat(nick || ' ' ||"
	    " session_duration_seconds, ', ') FROM (SELECT nick,"
	    " session_duration_seconds FROM teleconference_participant_sessions"
	    " ORDER BY nick)", "p 200, q 400");

	/* A later batch: spoke time unknown keeps the known value. */
	p->spoke_known = 0;
	p->duration_s = 300;
	commit(f, EVENT_ROLLUP, T0 + 300000, p);
	row_is(f->db, "SELECT group_concat(nick || ' ' ||"
	    " session_duration_seconds || ' ' || IFNULL(spoke_time_seconds,"
	    " 'NULL'), ', ') FROM (SELECT * FROM"
	    " teleconference_participant_sessions ORDER BY nick)",
	    "p 300 3.0, q 400 NULL");
}

/* Two sessions interleaved, many participants: the cache grows. */
static void
test_writer_many(void **state)
{
	struct wfix		*f = *state;
	struct session_rec	 s2;
	struct participant_rec	 p;
	char			 key[32];
	int			 i;

	session_init(&s2, "r2@m/1", T0);
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "nick:%d", i);
		participant_init(&p, key, key + 5, T0 + i);
		emit(f->w, EVENT_JOIN, T0 + i, i % 2 ? &f->s : &s2, &p, NULL);
		p.duration_s = 7;
		emit(f->w, EVENT_ROLLUP, T0 + i, i % 2 ? &f->s : &s2, &p, NULL);
	}
	assert_int_equal(writer_flush(f->w), 0);
	row_is(f->db, "SELECT COUNT(*), SUM(session_duration_seconds) FROM"
	    " teleconference_participant_sessions", "300|2100");
	row_is(f->db, "SELECT COUNT(*) FROM teleconference_events e JOIN"
	    " teleconference_participant_sessions p ON p.id ="
	    " e.participant_session_id WHERE p.teleconference_session_id ="
	    " e.teleconference_session_id", "300");
}

static void
test_writer_due(void **state)
{
	struct wfix	*f = *state;

	writer_free(f->w);
	f->w = writer_new(f->db, 200, 3);	/* commits at 3 events */
	assert_int_equal(writer_due(f->w, T0 + 10000), 0);	/* empty */
	emit(f->w, EVENT_SESSION_START, T0, &f->s, NULL, NULL);
	assert_int_equal(writer_due(f->w, T0 + 100), 0);
	/* Committed by flush_ms: started that much before. */
	assert_int_equal(writer_due(f->w, T0 + 200 - WRITER_SLACK_MS - 1), 0);
	assert_int_equal(writer_due(f->w, T0 + 200 - WRITER_SLACK_MS), 1);
	emit(f->w, EVENT_MEETING_INFO, T0 + 100, &f->s, NULL, NULL);
	emit(f->w, EVENT_OBSERVER_JOIN, T0 + 100, &f->s, NULL, NULL);
	assert_int_equal(writer_due(f->w, T0 + 100), 1);	/* flush_count */
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(writer_due(f->w, T0 + 100000), 0);
}

/* The commit latency counts events that become rows, not rollups. */
static void
test_writer_latency(void **state)
{
	struct wfix		*f = *state;
	struct writer_latency	 l;

	writer_latency(f->w, &l);
	assert_int_equal(l.count, 0);
	emit(f->w, EVENT_JOIN, T0, &f->s, &f->p, NULL);
	emit(f->w, EVENT_ROLLUP, T0, &f->s, &f->p, NULL);
	emit(f->w, EVENT_ROLLUP, T0, &f->s, NULL, NULL);
	assert_int_equal(writer_flush(f->w), 0);
	writer_latency(f->w, &l);
	assert_int_equal(l.count, 1);
	assert_true(l.p50_ms >= 0 && l.p50_ms <= l.p99_ms &&
	    l.p99_ms <= l.max_ms);
}

/*
 * Another process holds the write lock: the flush fails, nothing is
 * lost, the next flush after the lock is gone writes everything.
 */
static void
test_locked_database(void **state)
{
	struct session_rec	 s;
	struct participant_rec	 p;
	struct writer		*w;
	struct db		*db;
	sqlite3			*other;
	sqlite3_stmt		*st;
	const char		*path = tmpfile_path("locked.db");
	int			 i;

	(void)state;
	db = open_ok(path, 0);
	w = writer_new(db, 200, 500);
	session_init(&s, "r@m/1", T0);
	participant_init(&p, "nick:a", "a", T0);
	emit(w, EVENT_SESSION_START, T0, &s, NULL, NULL);
	assert_int_equal(writer_flush(w), 0);

	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	emit(w, EVENT_JOIN, T0 + 1000, &s, &p, NULL);
	emit(w, EVENT_AUDIO_MUTE, T0 + 2000, &s, &p, NULL);
	assert_int_equal(writer_flush(w), -1);
	assert_int_equal(writer_pending(w), 2);
	/* Backing off: not due right away even with old events. */
	assert_int_equal(writer_due(w, T0 + 2500), 0);
	assert_int_equal(writer_due(w, T0 + 2000 + WRITER_RETRY_MAX_MS + 1),
	    1);
	for (i = 0; i < 3; i++) {
		emit(w, EVENT_VIDEO_MUTE, T0 + 3000 + i, &s, &p, NULL);
		assert_int_equal(writer_flush(w), -1);	/* logged once */
	}
	assert_int_equal(writer_pending(w), 5);
	row_is(db, "SELECT COUNT(*) FROM teleconference_events", "1");

	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	flush_all(w);
	assert_int_equal(writer_dropped(w), 0);
	row_is(db, "SELECT COUNT(*), SUM(event_type = 'video_mute') FROM"
	    " teleconference_events", "6|3");
	/* The other connection sees the rows too. */
	assert_int_equal(sqlite3_prepare_v2(other, "SELECT COUNT(*) FROM"
	    " teleconference_events", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 6);
	sqlite3_finalize(st);
	sqlite3_close(other);
	writer_free(w);
	db_close(db);
}

/* A read-only handle: flushes fail cleanly and keep the events. */
static void
test_readonly_writer(void **state)
{
	struct session_rec	 s;
	struct writer		*w;
	struct db		*db;
	const char		*path = tmpfile_path("ro.db");

	(void)state;
	db_close(open_ok(path, 0));
	db = open_ok(path, DB_READONLY);
	w = writer_new(db, 200, 500);
	session_init(&s, "r@m/1", T0);
	emit(w, EVENT_SESSION_START, T0, &s, NULL, NULL);
	assert_int_equal(writer_flush(w), -1);
	assert_int_equal(writer_pending(w), 1);
	assert_int_equal(db_errcode(db) & 0xff, SQLITE_READONLY);
	assert_int_equal(writer_flush(w), -1);
	assert_int_equal(db_close_stale_sessions(db, NULL, T0), -1);
	writer_free(w);		/* logs that 1 event is lost */
	db_close(db);

	db = open_ok(path, 0);
	row_is(db, "SELECT COUNT(*) FROM teleconferencesessions", "0");
	db_close(db);
}

static void
test_queue_bound(void **state)
{
	struct wfix	*f = *state;
	int		 i;

	writer_set_max_queue(f->w, 3);
	for (i = 0; i < 5; i++) {
		f->s.duration_s = i;
		emit(f->w, EVENT_HAND_RAISE, T0 + i, &f->s, NULL, NULL);
	}
	assert_int_equal(writer_pending(f->w), 3);
	assert_int_equal(writer_dropped(f->w), 2);
	assert_int_equal(writer_flush(f->w), 0);
	row_is(f->db, "SELECT group_concat(timestamp, ',') FROM (SELECT"
	    " timestamp FROM teleconference_events ORDER BY id)",
	    "2023-11-14T22:13:20.002Z,2023-11-14T22:13:20.003Z,"
	    "2023-11-14T22:13:20.004Z");
	row_is(f->db, "SELECT total_duration_seconds FROM"
	    " teleconferencesessions", "4");
}

/* An event SQLite refuses (bad status) cannot block the others. */
static void
test_rejected_event(void **state)
{
	struct wfix		*f = *state;
	struct session_rec	 bad;

	session_init(&bad, "r@m/2", T0);
	bad.status = "exploded";
	emit(f->w, EVENT_SESSION_START, T0, &f->s, NULL, NULL);
	emit(f->w, EVENT_SESSION_START, T0, &bad, NULL, NULL);
	emit(f->w, EVENT_HAND_RAISE, T0 + 1, &f->s, NULL, NULL);
	flush_all(f->w);
	assert_int_equal(writer_dropped(f->w), 1);
	row_is(f->db, "SELECT (SELECT COUNT(*) FROM teleconferencesessions),"
	    " (SELECT COUNT(*) FROM teleconference_events)", "1|2");

	/* A later snapshot of a good session turning bad, mid-batch. */
	emit(f->w, EVENT_HAND_LOWER, T0 + 2, &f->s, NULL, NULL);
	f->s.status = "weird";
	emit(f->w, EVENT_ROLLUP, T0 + 3, &f->s, NULL, NULL);
	assert_int_equal(writer_flush(f->w), 0);
	assert_int_equal(writer_dropped(f->w), 2);
	row_is(f->db, "SELECT (SELECT COUNT(*) FROM teleconference_events),"
	    " session_status FROM teleconferencesessions", "3|active");
}

/* A scheduler-set appointment id survives our snapshots. */
static void
test_appointment_kept(void **state)
{
	struct wfix	*f = *state;

	commit(f, EVENT_SESSION_START, T0, NULL);
	assert_int_equal(db_exec(f->db, "UPDATE teleconferencesessions SET"
	    " appointmentId = 'appt-9'"), 0);
	participant_init(&f->p, "nick:a", "a", T0);
	commit(f, EVENT_JOIN, T0 + 5, &f->p);
	row_is(f->db, "SELECT appointmentId FROM teleconferencesessions",
	    "appt-9");
	f->s.appointment_id = "appt-10";
	commit(f, EVENT_ROLLUP, T0 + 6, &f->p);
	row_is(f->db, "SELECT s.appointmentId, p.appointment_id FROM"
	    " teleconferencesessions s, teleconference_participant_sessions p",
	    "appt-10|appt-10");
}

/*
 * Stale sessions
 */

static void
test_close_stale(void **state)
{
	struct wfix		*f = *state;
	struct session_rec	*s1 = &f->s, s2, s3;
	struct participant_rec	*a = &f->p, b;

	/* s1: two people, last event at +90 s, rollup says 120 s. */
	s1->peak_participants = 2;
	s1->duration_s = 120;
	participant_init(a, "nick:a", "a", T0);
	participant_init(&b, "nick:b", "b", T0);
	leaves(&b, T0 + 90000, "leave");
	emit(f->w, EVENT_JOIN, T0, s1, a, NULL);
	emit(f->w, EVENT_LEAVE, T0 + 90000, s1, &b, NULL);
	/* s2: one person, rollup 0 s, last event at +5 s. */
	session_init(&s2, "r2@m/1", T0 + 1000);
	s2.peak_participants = 1;
	emit(f->w, EVENT_JOIN, T0 + 5000, &s2, a, NULL);
	/* s3: already completed, untouched. */
	session_init(&s3, "r3@m/1", T0);
	s3.status = "completed";
	s3.end_ms = T0 + 10;
	emit(f->w, EVENT_SESSION_END, T0 + 10, &s3, NULL, NULL);
	assert_int_equal(writer_flush(f->w), 0);
	writer_free(f->w);	/* the daemon stops; the next start repairs */
	f->w = NULL;

	assert_int_equal(db_close_stale_sessions(f->db, NULL, T0 + 3600000), 2);
	row_is(f->db, "SELECT group_concat(x, '; ') FROM (SELECT session_uid"
	    " || ' ' || endTime || ' ' || session_status || ' ' ||"
	    " IFNULL(end_reason, 'none') || ' ' || total_duration_seconds AS x"
	    " FROM teleconferencesessions ORDER BY session_uid)",
	    "r2@m/1 2023-11-14T22:13:25.000Z failed observer_restarted 4; "
	    "r3@m/1 2023-11-14T22:13:20.010Z completed none 0; "
	    "r@m/1 2023-11-14T22:15:20.000Z completed observer_restarted 120");
	row_is(f->db, "SELECT COUNT(*) FROM teleconference_participant_sessions"
	    " WHERE session_status = 'present'", "0");
	row_is(f->db, "SELECT group_concat(x, '; ') FROM (SELECT p.nick || ' '"
	    " || left_at || ' ' || left_reason AS x FROM"
	    " teleconference_participant_sessions p JOIN"
	    " teleconferencesessions s ON s.id = p.teleconference_session_id"
	    " WHERE s.session_uid = 'r@m/1' ORDER BY p.nick)",
	    "a 2023-11-14T22:15:20.000Z observer_restarted; "
	    "b 2023-11-14T22:14:50.000Z leave");
	row_is(f->db, "SELECT COUNT(*) FROM teleconference_events WHERE"
	    " event_type = 'session_end' AND event_data LIKE"
	    " '%observer_restarted%'", "2");
	assert_int_equal(db_close_stale_sessions(f->db, NULL, T0 + 3600000), 0);

	/* The end is never after now. */
	session_init(s1, "r@m/9", T0);
	s1->duration_s = 7200;
	f->w = writer_new(f->db, 200, 500);
	commit(f, EVENT_SESSION_START, T0, NULL);
	writer_free(f->w);
	f->w = NULL;
	assert_int_equal(db_close_stale_sessions(f->db, NULL, T0 + 60000), 1);
	row_is(f->db, "SELECT endTime FROM teleconferencesessions WHERE"
	    " session_uid = 'r@m/9'", "2023-11-14T22:14:20.000Z");
}

/*
 * Views and reports: a tiny dataset
 *   A completed: caregiver c1 (good, spoke 60), patient (fair)
 *   B failed:    caregiver c1 (poor), alone
 *   C completed: caregiver c2 (good), 5 disconnections
 *   D completed: patient kicked
 */

/*
 * Session uid of the dataset, started day days after T0: ended with
 * status after duration_s, n present at most, of that quality.
 */
static void
ended(struct session_rec *s, const char *uid, int day, const char *status,
    int duration_s, int n, const char *quality)
{
	session_init(s, uid, T0 + day * 86400000LL);
	s->status = status;
	s->end_ms = s->start_ms + duration_s * 1000LL;
	s->duration_s = duration_s;
	s->participant_count = s->peak_participants = n;
	s->connection_quality = quality;
}

/* p: the member with key "id:<id>", named, in role, present duration_s. */
static void
member(struct participant_rec *p, const struct session_rec *s,
    const char *key, const char *name, const char *role, int duration_s)
{
	participant_init(p, key, name, s->start_ms);
	p->participant_id = key + strlen("id:");
	p->role = role;
	p->duration_s = duration_s;
}

static void
dataset(struct db *db)
{
	struct session_rec	 s;
	struct participant_rec	 p;
	struct writer		*w;

	w = writer_new(db, 200, 500);

	ended(&s, "A", 0, "completed", 600, 2, "fair");
	emit(w, EVENT_SESSION_START, T0, &s, NULL, NULL);
	member(&p, &s, "id:c1", "Carol", "caregiver", 600);
	p.spoke_time_s = 60;
	p.spoke_known = 1;
	p.messages_sent = 3;
	leaves(&p, T0 + 600000, "leave");
	emit(w, EVENT_JOIN, T0, &s, &p, NULL);
	member(&p, &s, "id:p1", "Pat", "patient", 500);
	p.connection_quality = "fair";
	emit(w, EVENT_JOIN, T0 + 1, &s, &p, NULL);

	ended(&s, "B", 1, "failed", 60, 1, "poor");
	member(&p, &s, "id:c1", "Carol B", "caregiver", 60);
	p.connection_quality = "poor";
	p.messages_sent = 100;
	emit(w, EVENT_JOIN, s.start_ms, &s, &p, NULL);

	ended(&s, "C", 2, "completed", 1200, 2, "good");
	s.total_disconnections = 5;
	s.meeting_id = "meeting-C";
	member(&p, &s, "id:c2", "Cora", "caregiver", 1200);
	p.disconnection_count = 5;
	emit(w, EVENT_JOIN, s.start_ms, &s, &p, NULL);
	emit(w, EVENT_DISCONNECT, s.start_ms + 10, &s, &p, NULL);
	emit(w, EVENT_DISCONNECT, s.start_ms + 20, &s, &p, NULL);

	ended(&s, "D", 3, "completed", 60, 2, "good");
	participant_init(&p, "nick:mallory", "mallory\x1b[2J", s.start_ms);
	emit(w, EVENT_JOIN, s.start_ms, &s, &p, NULL);
	leaves(&p, s.start_ms + 5000, "kicked");
	emit(w, EVENT_KICKED, s.start_ms + 5000, &s, &p,
	    "{\"actor\":\"mod\"}");

	assert_int_equal(writer_flush(w), 0);
	writer_free(w);
}

static void
test_views(void **state)
{
	struct db	*db;

	(void)state;
	db = open_ok(":memory:", 0);
	dataset(db);

	assert_int_equal(q_int(db, "SELECT COUNT(*) FROM billing_report"), 4);
	assert_string_equal(q_text(db, "SELECT avg_quality_score FROM"
	    " billing_report WHERE session_id = (SELECT id FROM"
	    " teleconferencesessions WHERE session_uid = 'A')"), "2.5");
	assert_string_equal(q_text(db, "SELECT typeof(avg_quality_score) ||"
	    " '|' || duration_minutes FROM billing_report WHERE session_id ="
	    " (SELECT id FROM teleconferencesessions WHERE session_uid ="
	    " 'A')"), "real|10.0");
	assert_string_equal(q_text(db, "SELECT avg_quality_score FROM"
	    " billing_report WHERE session_id = (SELECT id FROM"
	    " teleconferencesessions WHERE session_uid = 'B')"), "1.0");

	assert_string_equal(q_text(db, "SELECT group_concat(x, ';') FROM"
	    " (SELECT s.session_uid || ':' || p.reasons || ':' ||"
	    " p.disconnect_events || ':' || p.kicked_count AS x FROM"
	    " problem_sessions p JOIN teleconferencesessions s ON s.id ="
	    " p.session_id ORDER BY s.session_uid)"),
	    "B:failed,poor_quality:0:0;C:disconnections:2:0;D:kicked:0:1");

	/* Only completed sessions count; the name of the latest row. */
	assert_string_equal(q_text(db, "SELECT group_concat(x, ';') FROM"
	    " (SELECT participant_id || ':' || name || ':' || total_sessions"
	    " || ':' || avg_duration_minutes || ':' ||"
	    " IFNULL(avg_spoke_time_seconds, 'null') || ':' ||"
	    " total_messages || ':' || avg_disconnections AS x FROM"
	    " caregiver_performance ORDER BY participant_id)"),
	    "c1:Carol:1:10.0:60.0:3:0.0;c2:Cora:1:20.0:null:0:5.0");
	db_close(db);
}

static void
test_reports(void **state)
{
	struct report_rows	*r;
	struct db		*db;
	const char		*path = tmpfile_path("reports.db");
	int64_t			 a, c;
	int			 col;

	(void)state;
	db = open_ok(path, 0);
	dataset(db);
	db_close(db);
	db = open_ok(path, DB_READONLY);

	a = report_find_session(db, "A");
	c = report_find_session(db, "meeting-C");
	assert_true(a > 0);
	assert_true(c > 0 && c != a);
	{
		char	 id[32];

		snprintf(id, sizeof(id), "%lld", (long long)a);
		assert_int_equal(report_find_session(db, id), a);
	}
	assert_int_equal(report_find_session(db, "999999"), 0);
	assert_int_equal(report_find_session(db, "nope"), 0);
	assert_int_equal(report_find_session(db, ""), 0);

	r = report_list(db, "sessions", NULL, 0);
	assert_non_null(r);
	assert_int_equal(r->nrows, 4);
	col = report_col(r, "status");
	assert_true(col >= 0);
	/* Latest first: D, C, B, A. */
	assert_string_equal(report_cell(r, 0, (size_t)col)->text, "completed");
	assert_string_equal(report_cell(r, 2, (size_t)col)->text, "failed");
	col = report_col(r, "duration_s");
	assert_int_equal(report_cell(r, 3, (size_t)col)->type, REPORT_INT);
	assert_string_equal(report_cell(r, 3, (size_t)col)->text, "600");
	assert_int_equal(report_cell(r, 3, (size_t)report_col(r,
	    "meeting_id"))->type, REPORT_TEXT);
	report_rows_free(r);
	r = report_list(db, "sessions", NULL, 2);
	assert_int_equal(r->nrows, 2);
	report_rows_free(r);

	r = report_participants(db, a);
	assert_int_equal(r->nrows, 2);
	assert_string_equal(report_cell(r, 0, (size_t)report_col(r,
	    "name"))->text, "Carol");
	assert_int_equal(report_cell(r, 1, (size_t)report_col(r,
	    "spoke_s"))->type, REPORT_NULL);
	assert_int_equal(report_cell(r, 0, (size_t)report_col(r,
	    "spoke_s"))->type, REPORT_REAL);
	report_rows_free(r);

	r = report_events(db, c, 0);
	assert_int_equal(r->nrows, 3);
	assert_string_equal(report_cell(r, 1, 1)->text, "disconnect");
	assert_string_equal(report_cell(r, 1, 2)->text, "Cora");
	report_rows_free(r);
	r = report_events(db, c, 1);
	assert_int_equal(r->nrows, 1);
	report_rows_free(r);

	r = report_summary(db, a);
	assert_int_equal(r->ncols, 2);
	assert_true(r->nrows > 10);
	{
		size_t	 i;
		int	 found = 0;

		for (i = 0; i < r->nrows; i++)
			if (strcmp(report_cell(r, i, 0)->text,
			    "avg_quality_score") == 0) {
				assert_string_equal(report_cell(r, i,
				    1)->text, "2.5");
				found = 1;
			}
		assert_true(found);
	}
	report_rows_free(r);
	r = report_summary(db, 999999);
	assert_int_equal(r->nrows, 0);
	report_rows_free(r);

	r = report_list(db, "billing", NULL, 0);
	assert_int_equal(r->nrows, 4);
	report_rows_free(r);
	r = report_list(db, "problems", NULL, 0);
	assert_int_equal(r->nrows, 3);
	report_rows_free(r);
	r = report_list(db, "caregivers", NULL, 0);
	assert_int_equal(r->nrows, 2);
	assert_string_equal(report_cell(r, 0, 0)->text, "c1");
	report_rows_free(r);
	report_rows_free(NULL);
	db_close(db);
}

/* A report while the daemon's connection is open and writing. */
static void
test_readonly_while_writing(void **state)
{
	struct session_rec	 s;
	struct report_rows	*r;
	struct writer		*w;
	struct db		*db, *ro;
	char			 path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s", tmpfile_path("live.db"));
	db = open_ok(path, 0);
	w = writer_new(db, 200, 500);
	session_init(&s, "r@m/1", T0);
	emit(w, EVENT_SESSION_START, T0, &s, NULL, NULL);
	assert_int_equal(writer_flush(w), 0);
	ro = open_ok(path, DB_READONLY);
	/* The reader holds a snapshot open while the writer commits. */
	assert_int_equal(sqlite3_exec(db_sqlite(ro), "BEGIN", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(q_int(ro, "SELECT COUNT(*) FROM "
	    "teleconference_events"), 1);
	emit(w, EVENT_HAND_RAISE, T0 + 1, &s, NULL, NULL);
	assert_int_equal(writer_flush(w), 0);
	assert_int_equal(sqlite3_exec(db_sqlite(ro), "COMMIT", NULL, NULL,
	    NULL), SQLITE_OK);
	r = report_events(ro, report_find_session(ro, "r@m/1"), 0);
	assert_int_equal(r->nrows, 2);
	report_rows_free(r);
	/* It cannot write. */
	assert_int_not_equal(sqlite3_exec(db_sqlite(ro), "DELETE FROM "
	    "teleconference_events", NULL, NULL, NULL), SQLITE_OK);
	db_close(ro);
	writer_free(w);
	db_close(db);
	/* After the daemon closed: the WAL index was kept for readers. */
	assert_int_equal(access(tmpfile_path("live.db-shm"), F_OK), 0);
	ro = open_ok(path, DB_READONLY);
	assert_int_equal(q_int(ro, "SELECT COUNT(*) FROM "
	    "teleconference_events"), 2);
	db_close(ro);
	/* Without them (a copied file), a writable directory suffices. */
	assert_int_equal(unlink(tmpfile_path("live.db-shm")), 0);
	assert_int_equal(unlink(tmpfile_path("live.db-wal")), 0);
	ro = open_ok(path, DB_READONLY);
	assert_int_equal(q_int(ro, "SELECT COUNT(*) FROM "
	    "teleconference_events"), 2);
	db_close(ro);
}

/*
 * Output formats
 */

/* Rows built by hand: columns and text cells (NULL: SQL NULL). */
static struct report_rows *
make_rows(size_t ncols, size_t nrows, const char *const *cols,
    const struct report_cell *cells)
{
	struct report_rows	*r;
	size_t			 i;

	r = xcalloc(1, sizeof(*r));
	r->ncols = ncols;
	r->nrows = nrows;
	r->cols = xcalloc(ncols + 1, sizeof(*r->cols));
	for (i = 0; i < ncols; i++)
		r->cols[i] = xstrdup(cols[i]);
	r->cells = xcalloc(ncols * nrows + 1, sizeof(*r->cells));
	for (i = 0; i < ncols * nrows; i++) {
		r->cells[i].type = cells[i].type;
		r->cells[i].text = xstrdup_null(cells[i].text);
	}
	return r;
}

/*
 * Rows built by hand (make_rows) printed in fmt: a string the caller
 * frees.
 */
static char *
render(size_t ncols, size_t nrows, const char *const *cols,
    const struct report_cell *cells, enum report_format fmt)
{
	struct report_rows	*r = make_rows(ncols, nrows, cols, cells);
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(report_cli_print(fp, r, fmt), 0);
	fclose(fp);
	report_rows_free(r);
	return buf;
}

static const char *const fmt_cols[] = { "id", "name", "score" };
static const struct report_cell fmt_cells[] = {
	{ REPORT_INT, (char *)(uintptr_t)"1" },
	{ REPORT_TEXT, (char *)(uintptr_t)"plain" },
	{ REPORT_REAL, (char *)(uintptr_t)"2.5" },
	{ REPORT_INT, (char *)(uintptr_t)"22" },
	{ REPORT_TEXT, (char *)(uintptr_t)"a,b \"quoted\"\r\nline2" },
	{ REPORT_NULL, NULL },
	{ REPORT_INT, (char *)(uintptr_t)"3" },
	{ REPORT_TEXT, (char *)(uintptr_t)"" },
	{ REPORT_REAL, (char *)(uintptr_t)"-0.5" },
};

static void
test_csv(void **state)
{
	char	*out;

	(void)state;
	out = render(3, 3, fmt_cols, fmt_cells, REPORT_FMT_CSV);
	assert_string_equal(out,
	    "id,name,score\r\n"
	    "1,plain,2.5\r\n"
	    "22,\"a,b \"\"quoted\"\"\r\nline2\",\r\n"
	    "3,\"\",-0.5\r\n");
	free(out);
}

static void
test_text(void **state)
{
	static const char *const cols[] = { "n", "nick" };
	const struct report_cell cells[] = {
		{ REPORT_INT, (char *)(uintptr_t)"7" },
		{ REPORT_TEXT, (char *)(uintptr_t)"\x1b[2J\\evil\xe2\x80\xae"
		    "\xc2\x9b\xff" },
		{ REPORT_INT, (char *)(uintptr_t)"1234" },
		{ REPORT_TEXT, (char *)(uintptr_t)"caf\xc3\xa9" },
		{ REPORT_NULL, NULL },
		{ REPORT_TEXT, (char *)(uintptr_t)"x" },
	};
	char	*out, *longs;

	(void)state;
	out = render(2, 3, cols, cells, REPORT_FMT_TEXT);
	assert_string_equal(out,
	    "   n  nick\n"
	    "   7  \\x1b[2J\\\\evil\\u202e\\x9b\\xff\n"
	    "1234  caf\xc3\xa9\n"
	    "   -  x\n");
	assert_null(strchr(out, '\x1b'));
	free(out);

	/* Long cells are cut at TEXT_MAX_WIDTH code points. */
	longs = xmalloc(200 * 2 + 1);
	for (size_t i = 0; i < 200; i++)
		memcpy(longs + i * 2, "\xc3\xa9", 2);
	longs[400] = '\0';
	{
		const struct report_cell lc[] = {
			{ REPORT_INT, (char *)(uintptr_t)"1" },
			{ REPORT_TEXT, longs },
		};

		out = render(2, 1, cols, lc, REPORT_FMT_TEXT);
	}
	/* "n  nick\n1  " then 57 two-byte characters and "...\n" */
	assert_int_equal(strlen(out), strlen("n  nick\n1  ") + 57 * 2 + 4);
	assert_string_equal(out + strlen(out) - 4, "...\n");
	free(out);
	free(longs);
}

static void
test_json(void **state)
{
	static const char *const cols[] = { "id", "name", "score", "none" };
	const struct report_cell cells[] = {
		{ REPORT_INT, (char *)(uintptr_t)"42" },
		{ REPORT_TEXT, (char *)(uintptr_t)"bad\xff\x1b utf8" },
		{ REPORT_REAL, (char *)(uintptr_t)"2.5" },
		{ REPORT_NULL, NULL },
	};
	json_error_t	 jerr;
	json_t		*root, *o;
	char		*out;

	(void)state;
	out = render(4, 1, cols, cells, REPORT_FMT_JSON);
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	assert_true(json_is_array(root));
	assert_int_equal(json_array_size(root), 1);
	o = json_array_get(root, 0);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 42);
	assert_true(json_real_value(json_object_get(o, "score")) == 2.5);
	assert_true(json_is_null(json_object_get(o, "none")));
	assert_string_equal(json_string_value(json_object_get(o, "name")),
	    "bad\xef\xbf\xbd\x1b utf8");
	json_decref(root);
	free(out);

	/* No rows: an empty array. */
	out = render(4, 0, cols, cells, REPORT_FMT_JSON);
	assert_string_equal(out, "[]\n");
	free(out);
}

/*
 * The command line
 */

static void
test_cli(void **state)
{
	struct db	*db;
	char		*out, path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s", tmpfile_path("cli.db"));
	db = open_ok(path, 0);
	dataset(db);
	db_close(db);

	assert_int_equal(cli(path, &out, "report", "sessions", NULL), 0);
	assert_non_null(strstr(out, "completed"));
	assert_non_null(strstr(out, "meeting-C"));
	free(out);

	assert_int_equal(cli(NULL, &out, "report", "-d", path, "-f", "csv",
	    "billing", NULL), 0);
	assert_true(strncmp(out, "session_id,appointmentId,room,", 30) == 0);
	free(out);

	assert_int_equal(cli(NULL, &out, "report", "-f", "json", "problems",
	    "-d", path, "-n", "1", NULL), 0);
	{
		json_error_t	 jerr;
		json_t		*root = json_loads(out, 0, &jerr);

		assert_non_null(root);
		assert_int_equal(json_array_size(root), 1);
		assert_string_equal(json_string_value(json_object_get(
		    json_array_get(root, 0), "reasons")), "kicked");
		json_decref(root);
	}
	free(out);

	assert_int_equal(cli(path, &out, "report", "events", "--session",
	    "D", NULL), 0);
	assert_non_null(strstr(out, "kicked"));
	assert_non_null(strstr(out, "mallory\\x1b[2J"));
	assert_null(strchr(out, '\x1b'));
	free(out);

	assert_int_equal(cli(path, &out, "report", "participants", "-s", "A",
	    NULL), 0);
	assert_non_null(strstr(out, "Carol"));
	free(out);
	assert_int_equal(cli(path, NULL, "report", "summary", "-s", "A",
	    NULL), 0);
	assert_int_equal(cli(path, NULL, "report", "caregivers", NULL), 0);

	assert_int_equal(cli(NULL, &out, "report", "help", NULL), 0);
	assert_non_null(strstr(out, "caregivers"));
	free(out);
	assert_int_equal(cli(NULL, NULL, "report", "-h", NULL), 0);

	/* Usage errors: 2. */
	assert_int_equal(cli(path, NULL, "report", NULL), 2);
	assert_int_equal(cli(path, NULL, "report", "nosuch", NULL), 2);
	assert_int_equal(cli(path, NULL, "report", "events", NULL), 2);
	assert_int_equal(cli(path, NULL, "report", "-f", "xml", "sessions",
	    NULL), 2);
	assert_int_equal(cli(path, NULL, "report", "-n", "0", "sessions",
	    NULL), 2);
	assert_int_equal(cli(path, NULL, "report", "-n", "5x", "sessions",
	    NULL), 2);
	assert_int_equal(cli(path, NULL, "report", "sessions", "extra",
	    NULL), 2);
	assert_int_equal(cli(NULL, NULL, "report", "sessions", NULL), 2);
	/* Errors: 1. */
	assert_int_equal(cli(tmpfile_path("absent.db"), NULL, "report",
	    "sessions", NULL), 1);
	assert_int_equal(cli(path, NULL, "report", "events", "-s", "zzz",
	    NULL), 1);
	/* The file was not created or changed by any of that. */
	assert_int_equal(access(tmpfile_path("absent.db"), F_OK), -1);
}

/*
 * Scheduling: the tracker's events and their side effects, and the
 * schedule as the daemon reads it.
 */

/*
 * A fresh ":memory:" database after sql (the bookings and settings the
 * scheduler wrote) and, when w is not NULL, in *w the tracker's writer
 * on it (committing at 1 s or 1000 events).
 */
static struct db *
booked_db(struct writer **w, const char *sql)
{
	struct db	*db = open_ok(":memory:", 0);

	assert_int_equal(sqlite3_exec(db_sqlite(db), sql, NULL, NULL, NULL),
	    SQLITE_OK);
	if (w != NULL)
		*w = writer_new(db, 1000, 1000);
	return db;
}

/*
 * room.c's snapshot of the row booked as uid (appointment appt, NULL when
 * room.c does not know it) at start: status NULL, the row keeps its own.
 */
static void
booked_session(struct session_rec *s, const char *uid, const char *appt,
    int64_t start)
{
	session_init(s, uid, start);
	s->status = NULL;
	s->appointment_id = appt;
}

/* A critical alert of rule about subject for s at ts, in state. */
static void
critical(struct writer *w, const struct session_rec *s, int64_t ts,
    const char *rule, const char *state, const char *subject)
{
	char	 data[192];

	snprintf(data, sizeof(data), "{\"rule\":\"%s\",\"severity\":"
	    "\"critical\",\"state\":\"%s\",\"subject\":\"%s\"}", rule, state,
	    subject);
	emit(w, EVENT_ALERT, ts, s, NULL, data);
}

static void
test_appointment_rows(void **state)
{
	struct report_rows	*r;
	struct session_rec	 s, m;
	struct participant_rec	 p;
	struct writer		*w;
	struct db		*db;

	(void)state;
	db = booked_db(&w,
	    "INSERT INTO teleconferencesessions (session_uid, appointmentId,"
	    " jitsi_room_name, session_status, scheduled_start,"
	    " scheduled_duration_minutes) VALUES ('appt:A', 'A', 'consult42',"
	    " 'scheduled', '2023-11-14T22:15:00Z', 30)");

	/* room.c's snapshot of the booked row: status NULL, kept. */
	booked_session(&s, "appt:A", "A", T0);
	participant_init(&p, "id:pt-1", "bob", T0);
	p.participant_id = "pt-1";
	emit(w, EVENT_JOIN, T0, &s, &p, NULL);
	emit(w, EVENT_ATTENDANCE, T0, &s, &p, "{\"expected\":true,"
	    "\"attendance\":\"late\",\"late_minutes\":7.5,"
	    "\"left_early_minutes\":null,\"overran_minutes\":null}");
	assert_int_equal(writer_flush(w), 0);
	assert_string_equal(q_text(db, "SELECT session_status FROM"
	    " teleconferencesessions WHERE session_uid = 'appt:A'"),
	    "scheduled");
	assert_string_equal(q_text(db, "SELECT expected || attendance ||"
	    " late_minutes || COALESCE(left_early_minutes, '-') FROM"
	    " teleconference_participant_sessions"), "1late7.5-");

	/* The tracker's copy: status, reason and figures. */
	m = s;
	m.status = "active";
	m.appt_figures = 1;
	m.billable_s = 42;
	m.patient_wait_s = 7;
	emit(w, EVENT_ALERT, T0 + 1000, &m, NULL, "{\"rule\":\"no_show\","
	    "\"severity\":\"critical\",\"state\":\"raised\",\"subject\":"
	    "\"member:cg-1\",\"appointment_id\":\"A\",\"details\":{\"role\":"
	    "\"caregiver\"}}");
	/* Raised again while open: still one alert. */
	critical(w, &m, T0 + 2000, "no_show", "raised", "member:cg-1");
	emit(w, EVENT_ALERT, T0 + 2000, &m, NULL, "{\"rule\":"
	    "\"poor_connection\",\"severity\":\"warning\",\"state\":\"raised\","
	    "\"subject\":\"id:pt-1\",\"participant_key\":\"id:pt-1\"}");
	assert_int_equal(writer_flush(w), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM alerts"), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM alerts WHERE rule ="
	    " 'poor_connection' AND participant_session_id IS NOT NULL"), 1);
	assert_string_equal(q_text(db, "SELECT severity || '|' || raised_at ||"
	    " '|' || json_extract(details, '$.role') || '|' || appointment_id"
	    " FROM alerts WHERE rule = 'no_show'"),
	    "critical|2023-11-14T22:13:21.000Z|caregiver|A");
	assert_string_equal(q_text(db, "SELECT session_status || billable_seconds"
	    " || patient_wait_seconds FROM teleconferencesessions"), "active427");
	assert_int_equal(writer_dropped(w), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM teleconference_events"
	    " WHERE event_type = 'alert'"), 3);

	/* Cleared, then raised anew: a second row. */
	critical(w, &m, T0 + 3000, "no_show", "cleared", "member:cg-1");
	critical(w, &m, T0 + 4000, "no_show", "raised", "member:cg-1");
	/* A room snapshot without figures keeps them; the outcome last. */
	emit(w, EVENT_ROLLUP, T0 + 5000, &s, NULL, NULL);
	m.status = "failed";
	m.status_reason = "caregiver_no_show";
	emit(w, EVENT_APPOINTMENT_STATUS, T0 + 6000, &m, NULL,
	    "{\"from\":\"active\",\"to\":\"failed\"}");
	emit(w, EVENT_ROLLUP, T0 + 7000, &s, NULL, NULL);
	assert_int_equal(writer_flush(w), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM alerts WHERE rule ="
	    " 'no_show'"), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM alerts WHERE rule ="
	    " 'no_show' AND cleared_at IS NULL"), 1);
	assert_string_equal(q_text(db, "SELECT session_status || '|' ||"
	    " status_reason || '|' || billable_seconds FROM"
	    " teleconferencesessions"), "failed|caregiver_no_show|42");
	assert_int_equal(q_int(db, "SELECT count(*) FROM teleconference_events"
	    " WHERE event_type = 'appointment_status'"), 1);

	/* The two reports over it. */
	r = report_list(db, "alerts", NULL, 0);
	assert_non_null(r);
	assert_int_equal(r->nrows, 3);
	assert_string_equal(report_cell(r, 0, (size_t)report_col(r, "rule"))->text,
	    "no_show");
	report_rows_free(r);
	r = report_list(db, "attendance", NULL, 0);
	assert_non_null(r);
	assert_int_equal(r->nrows, 1);
	assert_string_equal(report_cell(r, 0,
	    (size_t)report_col(r, "status_reason"))->text, "caregiver_no_show");
	assert_string_equal(report_cell(r, 0,
	    (size_t)report_col(r, "billable_minutes"))->text, "0.7");
	assert_string_equal(report_cell(r, 0,
	    (size_t)report_col(r, "attended"))->text, "bob (unknown, late 7.5 min)");
	assert_string_equal(report_cell(r, 0, (size_t)report_col(r, "alerts"))->text,
	    "3");
	report_rows_free(r);
	writer_free(w);
	db_close(db);
}

static void
test_bookings(void **state)
{
	struct bookings	 bk;
	struct db	*db;
	int64_t		 now = 1764496800000LL;	/* 2025-11-30T10:00:00Z */

	(void)state;
	db = booked_db(NULL,
	    "UPDATE meeting_settings SET alert_drop_minutes = 0.5,"
	    " quality_poor_per_hour = 9,"
	    " default_duration = 45, alert_rules = 'no_show',"
	    " alert_admin_jids = 'a@x.org';"
	    "INSERT INTO teleconferencesessions (session_uid, appointmentId,"
	    " jitsi_room_name, roomId, session_status, scheduled_start,"
	    " scheduled_duration_minutes) VALUES"
	    " ('u1', 'A1', 'Consult1', NULL, 'scheduled',"
	    "  '2025-11-30T10:30:00Z', 20),"
	    " ('u2', 'A2', NULL, 'Room2@conference.x', 'scheduled',"
	    "  '2025-11-30 11:00', NULL),"
	    " ('u3', 'A3', 'bad room', NULL, 'scheduled',"
	    "  '2025-11-30T10:40:00Z', 10),"
	    " ('u4', 'A4', 'far', NULL, 'scheduled', '2025-12-09T10:00:00Z', 10),"
	    " ('u5', 'A5', 'done', NULL, 'completed',"
	    "  '2025-11-30T09:00:00Z', 10),"
	    " ('u6', 'A6', 'gone', NULL, 'cancelled',"
	    "  '2025-11-30T10:05:00+01:00', 10);"
	    "INSERT INTO teleconference_expected_participants"
	    " (teleconference_session_id, participant_id, participant_role,"
	    " participant_name) SELECT id, 'cg-1', 'caregiver', 'Dr A'"
	    " FROM teleconferencesessions WHERE session_uid = 'u1';"
	    "INSERT INTO teleconference_expected_participants"
	    " (teleconference_session_id, participant_id, participant_role)"
	    " SELECT id, 'pt-1', 'patient' FROM teleconferencesessions"
	    " WHERE session_uid = 'u1';");
	assert_int_equal(bookings_load(db, now, 48 * 3600000LL,
	    "conference.x", NULL, &bk), 0);
	/* u6 (09:05Z), u1, u2; not the bad room, the far one, the done one. */
	assert_int_equal(bk.n, 3);
	assert_string_equal(bk.v[0].b.uid, "u6");
	assert_string_equal(bk.v[0].status, "cancelled");
	assert_int_equal(bk.v[0].b.start_ms, now - 55 * 60000LL);
	assert_string_equal(bk.v[1].b.room, "consult1");
	assert_string_equal(bk.v[1].b.room_jid, "consult1@conference.x");
	assert_int_equal(bk.v[1].b.start_ms, now + 30 * 60000LL);
	assert_int_equal(bk.v[1].b.duration_ms, 20 * 60000LL);
	assert_int_equal(bk.v[1].b.nroster, 2);
	assert_string_equal(bk.v[1].b.roster[0].id, "cg-1");
	assert_string_equal(bk.v[1].b.roster[0].name, "Dr A");
	assert_null(bk.v[1].b.roster[1].name);
	assert_string_equal(bk.v[2].b.room, "room2");
	assert_int_equal(bk.v[2].b.start_ms, now + 60 * 60000LL);
	assert_int_equal(bk.v[2].b.duration_ms, 45 * 60000LL);
	assert_int_equal(bk.pol.drop_ms, 30000);
	assert_string_equal(bk.pol.rules, "no_show");
	assert_string_equal(bk.admin_jids, "a@x.org");
	assert_true(bk.quality_poor_per_hour == 9.0);
	assert_true(bk.quality_fair_per_hour == 2.0);
	bookings_clear(&bk);
	assert_int_equal(bk.n, 0);
	bookings_clear(&bk);
	db_close(db);
}

/* A restart mid-appointment: the booked row is resumed, not closed. */
static void
test_resume_appointment(void **state)
{
	struct session_rec	 s;
	struct participant_rec	 p;
	struct bookings		 bk;
	struct writer		*w;
	struct db		*db;
	int64_t			 now = T0 + 20 * 60000LL;

	(void)state;
	/* Booked at T0 for 30 min (in time), and one long over. */
	db = booked_db(&w,
	    "INSERT INTO teleconferencesessions (session_uid, appointmentId,"
	    " jitsi_room_name, session_status, scheduled_start,"
	    " scheduled_duration_minutes, billable_seconds,"
	    " patient_wait_seconds, peak_participants) VALUES"
	    " ('appt:R', 'R', 'consult42', 'active', '2023-11-14T22:13:20Z',"
	    "  30, 300, 60, 2),"
	    " ('appt:O', 'O', 'consult9', 'active', '2023-11-14T19:00:00Z',"
	    "  30, 0, 0, 1)");
	booked_session(&s, "appt:R", "R", T0);
	s.duration_s = 600;
	s.participant_count = 2;
	participant_init(&p, "id:pt-1", "bob", T0 + 60000);
	p.participant_id = "pt-1";
	p.role = "patient";
	p.duration_s = 500;
	p.join_count = 2;
	p.messages_sent = 4;
	emit(w, EVENT_JOIN, T0 + 60000, &s, &p, NULL);
	assert_int_equal(writer_flush(w), 0);
	writer_free(w);

	assert_int_equal(db_close_stale_sessions(db, NULL, now), 1);
	assert_string_equal(q_text(db, "SELECT session_status || end_reason"
	    " FROM teleconferencesessions WHERE session_uid = 'appt:O'"),
	    "failedobserver_restarted");
	assert_int_equal(db_resume_appointments(db, NULL, now), 1);
	assert_string_equal(q_text(db, "SELECT session_status FROM"
	    " teleconferencesessions WHERE session_uid = 'appt:R'"), "active");
	assert_string_equal(q_text(db, "SELECT session_status || left_reason"
	    " FROM teleconference_participant_sessions"),
	    "leftobserver_restarted");
	assert_int_equal(q_int(db, "SELECT count(*) FROM teleconference_events"
	    " WHERE event_type = 'observer_gap' AND"
	    " json_extract(event_data, '$.reason') = 'observer_restarted'"), 1);

	/* The schedule read hands the tracker what was recorded. */
	assert_int_equal(bookings_load(db, now, 3600000, "conference.x", NULL,
	    &bk), 0);
	assert_int_equal(bk.n, 1);
	assert_int_equal(bk.v[0].b.resumed, 1);
	assert_int_equal(bk.v[0].b.base_billable_ms, 300000);
	assert_int_equal(bk.v[0].b.base_wait_ms, 60000);
	assert_int_equal(bk.v[0].b.nseen, 1);
	assert_string_equal(bk.v[0].b.seen[0].key, "id:pt-1");
	assert_string_equal(bk.v[0].b.seen[0].role, "patient");
	assert_int_equal(bk.v[0].b.seen[0].first_join_ms, T0 + 60000);
	bookings_clear(&bk);

	/* Observed again from zero: nothing recorded goes backwards. */
	w = writer_new(db, 1000, 1000);
	booked_session(&s, "appt:R", NULL, now);
	s.duration_s = 5;
	s.participant_count = 1;
	participant_init(&p, "id:pt-1", "bob", now);
	p.duration_s = 3;
	emit(w, EVENT_JOIN, now, &s, &p, NULL);
	assert_int_equal(writer_flush(w), 0);
	writer_free(w);
	assert_string_equal(q_text(db, "SELECT startTime || '|' ||"
	    " total_duration_seconds || '|' || participant_count FROM"
	    " teleconferencesessions WHERE session_uid = 'appt:R'"),
	    "2023-11-14T22:13:20.000Z|600|2");
	assert_string_equal(q_text(db, "SELECT session_status || '|' ||"
	    " joined_at || '|' || session_duration_seconds || '|' ||"
	    " join_count || '|' || messages_sent FROM"
	    " teleconference_participant_sessions"),
	    "present|2023-11-14T22:14:20.000Z|500|2|4");
	db_close(db);
}

/*
 * Shards
 */

/* Booked appointments A (room shard-a hosts) and N (nobody comes). */
static const char shard_bookings[] =
	"INSERT INTO teleconferencesessions (session_uid, appointmentId,"
	" jitsi_room_name, session_status, scheduled_start,"
	" scheduled_duration_minutes) VALUES"
	" ('appt:A', 'A', 'roomA', 'scheduled', '2023-11-14T22:13:20Z', 30),"
	" ('appt:N', 'N', 'roomN', 'scheduled', '2023-11-14T22:13:20Z', 30)";

/*
 * Two shards' writers on one database: the shard that sees the room
 * takes the appointment, the other's events of it are dropped; an
 * appointment nobody came to is recorded once, by the first shard to
 * decide it; the start-up repair touches its own shard's sessions only.
 */
static void
test_shards(void **state)
{
	struct session_rec	 a1, a2, n1, n2, x;
	struct participant_rec	 p;
	struct writer		*wa, *wb;
	struct db		*db;
	size_t			 queued, held;
	uint64_t		 dropped;
	int64_t			 last;

	(void)state;
	db = booked_db(NULL, shard_bookings);
	wa = writer_new(db, 200, 500);
	wb = writer_new(db, 200, 500);
	writer_set_shard(wa, "shard-a");
	writer_set_shard(wb, "shard-b");

	/* Both trackers raise an alert before anybody comes: held. */
	booked_session(&a1, "appt:A", "A", T0);
	a2 = a1;
	critical(wa, &a1, T0 + 1000, "caregiver_absent", "raised", "");
	critical(wb, &a2, T0 + 1000, "caregiver_absent", "raised", "");
	assert_int_equal(writer_flush(wa), 0);
	assert_int_equal(writer_flush(wb), 0);
	writer_counts(wb, &queued, &held, &dropped, &last);
	assert_int_equal(queued, 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM alerts"), 0);

	/* Shard a's observer is in the room: it takes A. */
	a1.status = "active";
	emit(wa, EVENT_OBSERVER_JOIN, T0 + 2000, &a1, NULL, NULL);
	participant_init(&p, "id:pt-1", "pat", T0 + 3000);
	emit(wa, EVENT_JOIN, T0 + 3000, &a1, &p, NULL);
	assert_int_equal(writer_due(wa, T0 + 3000), 1);
	assert_int_equal(writer_flush(wa), 0);
	assert_string_equal(q_text(db, "SELECT shard || ' ' || session_status"
	    " FROM teleconferencesessions WHERE session_uid = 'appt:A'"),
	    "shard-a active");
	assert_int_equal(q_int(db, "SELECT count(*) FROM alerts"), 1);

	/* Shard b learns it (asking again after CLAIM_CHECK_MS): dropped. */
	assert_int_equal(writer_due(wb, T0 + 1500), 0);
	assert_int_equal(writer_due(wb, T0 + 2500), 1);
	assert_int_equal(writer_flush(wb), 0);
	writer_counts(wb, &queued, &held, &dropped, &last);
	assert_int_equal(queued, 0);
	assert_int_equal(dropped, 0);
	a2.status = "failed";
	a2.status_reason = "caregiver_no_show";
	emit(wb, EVENT_APPOINTMENT_STATUS, T0 + 9000, &a2, NULL,
	    "{\"status\":\"failed\"}");
	assert_int_equal(writer_pending(wb), 0);
	assert_string_equal(q_text(db, "SELECT session_status FROM"
	    " teleconferencesessions WHERE session_uid = 'appt:A'"), "active");
	assert_int_equal(q_int(db, "SELECT count(*) FROM teleconference_events"
	    " e JOIN teleconferencesessions s ON s.id ="
	    " e.teleconference_session_id WHERE s.session_uid = 'appt:A'"), 3);

	/* N: nobody anywhere; both decide, the first to flush records. */
	booked_session(&n1, "appt:N", "N", T0);
	n1.room = "roomn";
	n2 = n1;
	critical(wa, &n1, T0 + 1000, "caregiver_absent", "raised", "");
	critical(wb, &n2, T0 + 1000, "caregiver_absent", "raised", "");
	n1.status = n2.status = "failed";
	n1.status_reason = n2.status_reason = "caregiver_no_show";
	n1.appt_figures = n2.appt_figures = 1;
	emit(wb, EVENT_APPOINTMENT_STATUS, T0 + 60000, &n2, NULL,
	    "{\"status\":\"failed\"}");
	emit(wa, EVENT_APPOINTMENT_STATUS, T0 + 60000, &n1, NULL,
	    "{\"status\":\"failed\"}");
	assert_int_equal(writer_flush(wb), 0);
	assert_int_equal(writer_flush(wa), 0);
	assert_string_equal(q_text(db, "SELECT shard || ' ' || session_status"
	    " || ' ' || status_reason FROM teleconferencesessions WHERE"
	    " session_uid = 'appt:N'"), "shard-b failed caregiver_no_show");
	assert_int_equal(q_int(db, "SELECT count(*) FROM teleconference_events"
	    " e JOIN teleconferencesessions s ON s.id ="
	    " e.teleconference_session_id WHERE s.session_uid = 'appt:N'"), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM alerts a JOIN"
	    " teleconferencesessions s ON s.id = a.teleconference_session_id"
	    " WHERE s.session_uid = 'appt:N'"), 1);

	/* The same session uid from the other shard: never overwritten. */
	session_init(&x, "adhoc@m/1", T0);
	emit(wa, EVENT_SESSION_START, T0, &x, NULL, NULL);
	assert_int_equal(writer_flush(wa), 0);
	x.status = "failed";
	emit(wb, EVENT_SESSION_END, T0 + 5, &x, NULL, NULL);
	assert_int_equal(writer_flush(wb), 0);
	assert_string_equal(q_text(db, "SELECT shard || ' ' || session_status"
	    " FROM teleconferencesessions WHERE session_uid = 'adhoc@m/1'"),
	    "shard-a active");
	writer_free(wa);
	writer_free(wb);

	/* A restart of shard b leaves shard a's open meetings alone. */
	assert_int_equal(db_close_stale_sessions(db, "shard-b", T0 + 3600000),
	    0);
	assert_int_equal(db_close_stale_sessions(db, NULL, T0 + 3600000), 0);
	assert_int_equal(db_close_stale_sessions(db, "shard-a", T0 + 3600000),
	    2);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_settings_match_schema),
		cmocka_unit_test(test_migrate_from_2),
		cmocka_unit_test(test_reopen_idempotent),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_fresh_schema,
		    setup_still_clock, teardown_still_clock),
		cmocka_unit_test_setup_teardown(test_migrate_from_every_version,
		    setup_still_clock, teardown_still_clock),
		cmocka_unit_test_setup_teardown(test_dump_tells_apart,
		    setup_still_clock, teardown_still_clock),
		cmocka_unit_test(test_open_version_0_not_empty),
		cmocka_unit_test_setup_teardown(test_writer_roundtrip,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_writer_deep_copy,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_writer_skips_unchanged_rows,
		    setup_row, teardown_writer),
		cmocka_unit_test_setup_teardown(test_writer_same_row_again,
		    setup_row, teardown_writer),
		cmocka_unit_test_setup_teardown(test_writer_session_again,
		    setup_row, teardown_writer),
		{ "test_writer_merge(one batch)", test_writer_merge,
		    setup_writer, teardown_writer, &one_batch },
		{ "test_writer_merge(split batches)", test_writer_merge,
		    setup_writer, teardown_writer, &split_batches },
		{ "test_writer_merge_then_join(one batch)",
		    test_writer_merge_then_join, setup_writer, teardown_writer,
		    &one_batch },
		{ "test_writer_merge_then_join(split batches)",
		    test_writer_merge_then_join, setup_writer, teardown_writer,
		    &split_batches },
		cmocka_unit_test_setup_teardown(test_hostile_strings,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_rollup_collapse,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_writer_many,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_writer_due,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_writer_latency,
		    setup_writer, teardown_writer),
		cmocka_unit_test(test_locked_database),
		cmocka_unit_test(test_readonly_writer),
		cmocka_unit_test_setup_teardown(test_queue_bound,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_rejected_event,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_appointment_kept,
		    setup_writer, teardown_writer),
		cmocka_unit_test_setup_teardown(test_close_stale,
		    setup_writer, teardown_writer),
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_readonly_while_writing),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_appointment_rows),
		cmocka_unit_test(test_bookings),
		cmocka_unit_test(test_resume_appointment),
		cmocka_unit_test(test_shards),
	};

	log_init(0, "test_storage");
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
