/*
 * Helpers the database tests share (test_storage.c, test_schedule.c): a
 * temporary directory per test group, opening a database or failing the
 * test, and one-value queries.  Included after <cmocka.h>, <sqlite3.h>,
 * "db.h" and "xmalloc.h".
 */
#ifndef TELETRACK_TESTDB_H
#define TELETRACK_TESTDB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static char	 tmpdir[64];

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/teletrack-test.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* name in the test directory; the result lives for 8 more calls. */
static const char *
tmpfile_path(const char *name)
{
	static char	 path[8][128];
	static int	 i;

	i = (i + 1) % 8;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tmpdir, name);
	return path[i];
}

static struct db *
open_ok(const char *path, int flags)
{
	struct db	*db;
	char		 err[256];

	db = db_open(path, flags, err, sizeof(err));
	if (db == NULL)
		fail_msg("db_open(%s): %s", path, err);
	return db;
}

/* The single integer a constant query returns (-999 for no row). */
static int64_t
q_int(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v = -999;

	assert_int_equal(sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st,
	    NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The single text a query returns, in a static buffer; NULL for none. */
static const char *
q_text(struct db *db, const char *sql)
{
	static char	*buf;
	sqlite3_stmt	*st;
	const char	*t = NULL;

	free(buf);
	buf = NULL;
	assert_int_equal(sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st,
	    NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(st, 0)) != NULL)
		buf = xstrdup(t);
	sqlite3_finalize(st);
	return t != NULL ? buf : NULL;
}

#endif
