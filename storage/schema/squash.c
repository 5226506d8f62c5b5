/*
 * squash: a build-time tool that writes $(BUILD)/storage/schema_fresh_sql.c,
 * the SQLite schema every migration together builds, as one SQL text
 * (schema_fresh, schema.h), with which db_sqlite.c creates a new database
 * in one step.
 *
 * Why: each ALTER TABLE makes SQLite re-read and re-check the whole
 * schema, so replaying the migrations' thirty of them cost a daemon's
 * first start on a new file ~38 ms of CPU, four times a start on an
 * existing one.  The migrations (storage/schema/NNN_name.sql, embedded by
 * embed.awk) stay the one declaration: this text is derived from them at
 * every build, and test_storage checks that both ways give the same
 * database.  An existing database still takes the migrations step by step.
 *
 * How: apply schema_migrations[] to an in-memory database as migrate()
 * does, then print every sqlite_master entry that has SQL, in rowid order
 * (the order they were created in, so one they can be created in again),
 * each followed by ";", then one INSERT for each row the migrations left
 * in a table.  A value that the clock decided (a createdAt whose default
 * is strftime('now')) is not the migrations' data: copied, it would date
 * every new database to the build.  So the migrations are applied twice,
 * under two clocks (a VFS whose only change is its clock), and a column
 * whose values differ is left out of the INSERT, for its default to fill
 * when the database is created, as it did when the migration ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "schema.h"

/* Julian day in milliseconds, what xCurrentTimeInt64 answers. */
static sqlite3_int64	 clock_ms;

static int
clock_now(sqlite3_vfs *vfs, sqlite3_int64 *now)
{
	(void)vfs;
	*now = clock_ms;
	return SQLITE_OK;
}

static void __attribute__((noreturn))
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "squash: %s: %s\n", what, db != NULL ?
	    sqlite3_errmsg(db) : "failed");
	exit(1);
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(db, sql);
	return st;
}

/* A new in-memory database with every migration applied, at clock ms. */
static sqlite3 *
migrated(sqlite3_int64 ms)
{
	sqlite3	*db;
	int	 v;

	clock_ms = ms;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, "squash") != SQLITE_OK)
		die(db, "opening :memory:");
	if (sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) !=
	    SQLITE_OK)
		die(db, "foreign_keys");
	for (v = 0; v < schema_version; v++)
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK || sqlite3_exec(db, schema_migrations[v], NULL,
		    NULL, NULL) != SQLITE_OK || sqlite3_exec(db, "COMMIT", NULL,
		    NULL, NULL) != SQLITE_OK)
			die(db, "applying the migrations");
	return db;
}

/*
 * s as the inside of a C string literal: printable ASCII as itself but
 * for \, " and ? (no trigraphs), every other byte in octal.
 */
static void
put_c(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '\\' || *p == '"' || *p == '?')
			printf("\\%c", *p);
		else if (*p >= 0x20 && *p < 0x7f)
			putchar(*p);
		else
			printf("\\%03o", *p);
}

/* One line of the generated source: "sql;\n". */
static void
put_statement(const char *sql)
{
	printf("\t\"");
	put_c(sql);
	printf(";\\n\"\n");
}

/*
 * The rows of table t (a and b: the database built under either clock),
 * one INSERT each, naming the columns it sets.
 */
static void
put_rows(sqlite3 *a, sqlite3 *b, const char *t)
{
	sqlite3_stmt	*cols, *ra, *rb;
	sqlite3_str	*q, *ins, *vals;
	const char	*va, *vb;
	char		*sql;
	int		 n, i, more;

	cols = prepare(a, "SELECT name, dflt_value IS NOT NULL"
	    " FROM pragma_table_info(?) ORDER BY cid");
	if (sqlite3_bind_text(cols, 1, t, -1, SQLITE_STATIC) != SQLITE_OK)
		die(a, "pragma_table_info");
	q = sqlite3_str_new(a);
	sqlite3_str_appendall(q, "SELECT ");
	for (n = 0; sqlite3_step(cols) == SQLITE_ROW; n++)
		sqlite3_str_appendf(q, "%squote(\"%w\")", n > 0 ? ", " : "",
		    (const char *)sqlite3_column_text(cols, 0));
	sqlite3_str_appendf(q, " FROM \"%w\"", t);
	if ((sql = sqlite3_str_finish(q)) == NULL)
		die(a, "out of memory");
	ra = prepare(a, sql);
	rb = prepare(b, sql);
	sqlite3_free(sql);
	while ((more = sqlite3_step(ra)) == SQLITE_ROW) {
		if (sqlite3_step(rb) != SQLITE_ROW)
			die(b, "a row less under the second clock");
		ins = sqlite3_str_new(a);
		vals = sqlite3_str_new(a);
		sqlite3_reset(cols);
		for (i = 0; i < n && sqlite3_step(cols) == SQLITE_ROW; i++) {
			va = (const char *)sqlite3_column_text(ra, i);
			vb = (const char *)sqlite3_column_text(rb, i);
			if (strcmp(va, vb) != 0) {
				if (!sqlite3_column_int(cols, 1)) {
					fprintf(stderr, "squash: %s.%s: the "
					    "clock decides it, and no default "
					    "does\n", t, (const char *)
					    sqlite3_column_text(cols, 0));
					exit(1);
				}
				continue;
			}
			sqlite3_str_appendf(ins, "%s\"%w\"",
			    sqlite3_str_length(ins) > 0 ? ", " : "",
			    (const char *)sqlite3_column_text(cols, 0));
			sqlite3_str_appendf(vals, "%s%s",
			    sqlite3_str_length(vals) > 0 ? ", " : "", va);
		}
		if (sqlite3_str_length(ins) > 0)
			sql = sqlite3_mprintf("INSERT INTO \"%w\" (%s) VALUES "
			    "(%s)", t, sqlite3_str_value(ins),
			    sqlite3_str_value(vals));
		else
			sql = sqlite3_mprintf("INSERT INTO \"%w\" DEFAULT "
			    "VALUES", t);
		if (sql == NULL || sqlite3_str_errcode(ins) != SQLITE_OK ||
		    sqlite3_str_errcode(vals) != SQLITE_OK)
			die(a, "out of memory");
		put_statement(sql);
		sqlite3_free(sql);
		sqlite3_free(sqlite3_str_finish(ins));
		sqlite3_free(sqlite3_str_finish(vals));
	}
	if (more != SQLITE_DONE)
		die(a, t);
	if (sqlite3_step(rb) != SQLITE_DONE)
		die(b, "a row more under the second clock");
	sqlite3_finalize(cols);
	sqlite3_finalize(ra);
	sqlite3_finalize(rb);
}

int
main(void)
{
	static sqlite3_vfs	 vfs;
	sqlite3			*a, *b;
	sqlite3_stmt		*st;
	int			 rc;

	/* The default VFS (unix), but for its clock. */
	vfs = *sqlite3_vfs_find(NULL);
	vfs.zName = "squash";
	vfs.xCurrentTimeInt64 = clock_now;
	if (vfs.iVersion < 2 || sqlite3_vfs_register(&vfs, 0) != SQLITE_OK)
		die(NULL, "registering the VFS");
	/* 2000-01-01 and 2001-01-01, any two distinct days would do. */
	a = migrated((sqlite3_int64)(2451544.5 * 86400000));
	b = migrated((sqlite3_int64)(2451910.5 * 86400000));

	printf("/* Generated by storage/schema/squash.c from the migrations:"
	    " do not edit. */\n#include \"schema.h\"\n\n"
	    "const char schema_fresh[] =\n");
	st = prepare(a, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"
	    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		put_statement((const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		die(a, "reading sqlite_master");
	sqlite3_finalize(st);
	st = prepare(a, "SELECT name FROM sqlite_master WHERE type = 'table'"
	    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		put_rows(a, b, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		die(a, "reading sqlite_master");
	sqlite3_finalize(st);
	printf("\t\"\";\n");
	sqlite3_close(a);
	sqlite3_close(b);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("squash: writing");
		return 1;
	}
	return 0;
}
