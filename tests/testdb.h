/*
 * Helpers the database tests share (test_storage.c, test_schedule.c): a
 * temporary directory per test group, opening a database or failing the
 * test, one-value queries, and running a command as `teletrack` would.
 * Included after <cmocka.h>, <sqlite3.h>, "cmd.h", "db.h" and "xmalloc.h".
 */
#ifndef TELETRACK_TESTDB_H
#define TELETRACK_TESTDB_H

#include <stdarg.h>
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

/*
 * Run a command (argv[0] "schedule", "settings", "report"..., then the
 * rest, NULL ended) on dbpath, as cmd_main() does for `teletrack`; its
 * output is returned in *out (caller frees), or dropped when out is NULL.
 */
static int __attribute__((unused))	/* not every test runs commands */
cli(const char *dbpath, char **out, ...)
{
	va_list		 ap;
	char		*argv[32], *buf = NULL;
	const char	*a;
	size_t		 len = 0;
	FILE		*fp;
	int		 argc = 0, rc, i;

	va_start(ap, out);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
		argv[argc++] = xstrdup(a);
	va_end(ap);
	argv[argc] = NULL;
	assert_non_null(fp = open_memstream(&buf, &len));
	rc = cmd_main(fp, dbpath, argc, argv);
	fclose(fp);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return rc;
}

#endif
