/*
 * The SQLite side of teletrack: opening the file, the PRAGMAs, the schema
 * migrations, a small prepared-statement cache, and reading the
 * meeting_settings row.
 *
 * Flow: main() opens the database read-write once and hands it to the
 * writer (writer.c), which turns events into rows; the commands open it
 * read-only (reports) or for short transactions (schedule, settings).
 * All go through struct db, which owns the sqlite3 handle and every
 * statement, so db_close() is the one place that finalizes them (as in
 * mosquitto's persist-sqlite plugin).
 *
 * Schema: storage/schema/NNN_name.sql, embedded at build time (see
 * schema.h).  The tables of the application's design (a MySQL migration)
 * adapted to SQLite, plus what the observer needs (session_uid,
 * participant_key, ...).  Migrations are numbered by PRAGMA user_version:
 * migration i takes the schema from version i to i + 1 in one
 * transaction, so a crash mid-migration leaves the previous version.
 * Timestamps are UTC text "YYYY-MM-DDTHH:MM:SS.mmmZ", which sorts.
 * Repairing what a previous run left open is db_repair.c's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "schema.h"
#include "settings.h"
#include "text.h"
#include "xmalloc.h"

#define DB_MAX_STMTS	32

struct db_stmt {
	const char	*sql;		/* the key: its address */
	sqlite3_stmt	*st;
};

struct db {
	sqlite3		*sq;
	char		*path;
	int		 flags;
	struct db_stmt	 stmts[DB_MAX_STMTS];
	size_t		 nstmts;
	int		 errcode;
	char		 errmsg[256];
};

/*
 * "file:" URI for path with the characters URIs give a meaning escaped,
 * so any file name opens as itself.  An absolute path gets an empty
 * authority ("file:///..."), so a path starting with "//" is not read as
 * a host name.  The caller frees the result.
 */
static char *
path_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		 len = strlen(path), o = 0;
	char		*uri;
	const char	*p;

	uri = xmalloc(len * 3 + strlen(query) + 16);
	memcpy(uri, "file:", 5);
	o = 5;
	if (path[0] == '/') {
		memcpy(uri + o, "//", 2);
		o += 2;
	}
	for (p = path; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%' || c == '?' || c == '#' || c <= 0x20 ||
		    c >= 0x7f) {
			uri[o++] = '%';
			uri[o++] = hex[c >> 4];
			uri[o++] = hex[c & 0xf];
		} else
			uri[o++] = (char)c;
	}
	uri[o++] = '?';
	strcpy(uri + o, query);
	return uri;
}

/* PRAGMA user_version, or -1 with err filled. */
static int
user_version(sqlite3 *sq, char *err, size_t errsz)
{
	sqlite3_stmt	*st;
	int		 rc, v = -1;

	if (sqlite3_prepare_v2(sq, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		seterr(err, errsz, "reading the schema version: %s",
		    sqlite3_errmsg(sq));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		seterr(err, errsz, "reading the schema version: %s",
		    sqlite3_errmsg(sq));
	sqlite3_finalize(st);
	return v;
}

/*
 * Bring the schema from its current version to DB_SCHEMA_VERSION.  Each
 * step is one IMMEDIATE transaction that re-reads the version inside it,
 * so two daemons started together on a new file do not both migrate.
 */
static int
migrate(sqlite3 *sq, char *err, size_t errsz)
{
	char		*msg = NULL;
	char		 what[64];
	int		 v;

	for (;;) {
		if (sqlite3_exec(sq, "BEGIN IMMEDIATE", NULL, NULL, &msg) !=
		    SQLITE_OK) {
			seterr(err, errsz, "migration: BEGIN: %s",
			    msg != NULL ? msg : sqlite3_errmsg(sq));
			sqlite3_free(msg);
			return -1;
		}
		if ((v = user_version(sq, err, errsz)) == -1)
			goto fail;
		if (schema_version != DB_SCHEMA_VERSION) {
			/* A build mistake: the .sql files and db.h disagree. */
			seterr(err, errsz, "built with %d migrations, but the "
			    "code knows schema %d", schema_version,
			    DB_SCHEMA_VERSION);
			goto fail;
		}
		if (v > DB_SCHEMA_VERSION) {
			seterr(err, errsz, "schema is newer than this "
			    "program: version %d, it knows %d", v,
			    DB_SCHEMA_VERSION);
			goto fail;
		}
		if (v == DB_SCHEMA_VERSION)
			break;
		snprintf(what, sizeof(what), "PRAGMA user_version = %d",
		    v + 1);
		if (sqlite3_exec(sq, schema_migrations[v], NULL, NULL, &msg) !=
		    SQLITE_OK || sqlite3_exec(sq, what, NULL, NULL, &msg) !=
		    SQLITE_OK) {
			seterr(err, errsz, "migration %d -> %d: %s", v, v + 1,
			    msg != NULL ? msg : sqlite3_errmsg(sq));
			sqlite3_free(msg);
			goto fail;
		}
		if (sqlite3_exec(sq, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			seterr(err, errsz, "migration: COMMIT: %s",
			    msg != NULL ? msg : sqlite3_errmsg(sq));
			sqlite3_free(msg);
			goto fail;
		}
	}
	if (sqlite3_exec(sq, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errsz, "migration: COMMIT: %s",
		    msg != NULL ? msg : sqlite3_errmsg(sq));
		sqlite3_free(msg);
		goto fail;
	}
	return 0;
fail:
	if (!sqlite3_get_autocommit(sq))
		sqlite3_exec(sq, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Run one PRAGMA (or other row-less statement); -1 with err filled. */
static int
pragma(sqlite3 *sq, const char *sql, char *err, size_t errsz)
{
	char	*msg = NULL;

	if (sqlite3_exec(sq, sql, NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errsz, "%s: %s", sql,
		    msg != NULL ? msg : sqlite3_errmsg(sq));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

struct db *
db_open(const char *path, int flags, char *err, size_t errsz)
{
	struct db	*db;
	char		*uri = NULL;
	int		 rc, v;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	db->flags = flags;

	if (flags & DB_READONLY) {
		uri = path_uri(path, "mode=ro");
		rc = sqlite3_open_v2(uri, &db->sq,
		    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	} else
		rc = sqlite3_open_v2(path, &db->sq,
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		seterr(err, errsz, "cannot open: %s", db->sq != NULL ?
		    sqlite3_errmsg(db->sq) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db->sq, 1);

	if (flags & DB_READONLY) {
		if (sqlite3_busy_timeout(db->sq, DB_BUSY_MS_READONLY) !=
		    SQLITE_OK) {
			seterr(err, errsz, "busy_timeout: %s",
			    sqlite3_errmsg(db->sq));
			goto fail;
		}
		if (pragma(db->sq, "PRAGMA query_only = ON", err, errsz) == -1)
			goto fail;
		if ((v = user_version(db->sq, err, errsz)) == -1) {
			rc = sqlite3_errcode(db->sq);
			if (rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN)
				seterr(err, errsz, "cannot read: its WAL "
				    "index (-shm file) is missing and this "
				    "user cannot create it (start the daemon "
				    "once, or run as a user who may write the "
				    "directory)");
			goto fail;
		}
		if (v != DB_SCHEMA_VERSION) {
			seterr(err, errsz, "%s: version %d, expected %d",
			    v == 0 ? "not a teletrack database (no schema)" :
			    v > DB_SCHEMA_VERSION ?
			    "schema is newer than this program" :
			    "schema is older: start the daemon to migrate it",
			    v, DB_SCHEMA_VERSION);
			goto fail;
		}
		return db;
	}

	if (sqlite3_busy_timeout(db->sq, DB_BUSY_MS) != SQLITE_OK) {
		seterr(err, errsz, "busy_timeout: %s",
		    sqlite3_errmsg(db->sq));
		goto fail;
	}
	/*
	 * journal_mode answers with the mode in effect: "memory" for
	 * ":memory:", "wal" otherwise; anything else (e.g. "delete" on a
	 * file system without shared memory) is refused, because reports
	 * would then block the writer.
	 */
	if (pragma(db->sq, "PRAGMA foreign_keys = ON", err, errsz) == -1)
		goto fail;
	{
		sqlite3_stmt	*st;
		const char	*mode;

		if (sqlite3_prepare_v2(db->sq, "PRAGMA journal_mode = WAL", -1,
		    &st, NULL) != SQLITE_OK) {
			seterr(err, errsz, "journal_mode: %s",
			    sqlite3_errmsg(db->sq));
			goto fail;
		}
		rc = sqlite3_step(st);
		mode = rc == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(st, 0) : NULL;
		if (mode == NULL || (strcmp(mode, "wal") != 0 &&
		    strcmp(mode, "memory") != 0)) {
			seterr(err, errsz, "cannot enable WAL: %s",
			    mode != NULL ? mode : sqlite3_errmsg(db->sq));
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
	}
	if (pragma(db->sq, "PRAGMA synchronous = NORMAL", err, errsz) == -1 ||
	    pragma(db->sq, "PRAGMA journal_size_limit = 67108864", err,
	    errsz) == -1 ||
	    migrate(db->sq, err, errsz) == -1)
		goto fail;
	/*
	 * Keep the -wal and -shm files when the daemon closes: a read-only
	 * reader cannot create the -shm itself, so without them a report
	 * run by another user (directory not writable) fails whenever the
	 * daemon is stopped.  No-op for ":memory:".
	 */
	{
		int	 one = 1;

		rc = sqlite3_file_control(db->sq, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
		if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
			seterr(err, errsz, "persistent WAL: %s",
			    sqlite3_errstr(rc));
			goto fail;
		}
	}
	return db;
fail:
	/* Every message above lacks the path: the caller may not know it. */
	if (err != NULL && errsz > 0) {
		char	*msg = xstrdup(err);

		seterr(err, errsz, "%s: %s", path, msg);
		free(msg);
	}
	db_close(db);
	return NULL;
}

void
db_close(struct db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nstmts; i++)
		sqlite3_finalize(db->stmts[i].st);
	/* Every statement is finalized, so close cannot fail with BUSY. */
	if (db->sq != NULL && sqlite3_close(db->sq) != SQLITE_OK)
		log_warnx("closing %s: %s", db->path, sqlite3_errmsg(db->sq));
	free(db->path);
	free(db);
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

struct sqlite3 *
db_sqlite(struct db *db)
{
	return db->sq;
}

void
db_record_error(struct db *db)
{
	db->errcode = sqlite3_extended_errcode(db->sq);
	snprintf(db->errmsg, sizeof(db->errmsg), "%s",
	    sqlite3_errmsg(db->sq));
}

void
db_clear_error(struct db *db)
{
	db->errcode = 0;
	db->errmsg[0] = '\0';
}

int
db_errcode(const struct db *db)
{
	return db->errcode;
}

const char *
db_errmsg(const struct db *db)
{
	return db->errcode == 0 && db->errmsg[0] == '\0' ? "no error" :
	    db->errmsg;
}

struct sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql)
			return db->stmts[i].st;
	if (db->nstmts == DB_MAX_STMTS)
		fatalx("%s: more than %d statements", __func__, DB_MAX_STMTS);
	if (sqlite3_prepare_v3(db->sq, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK) {
		db_record_error(db);
		return NULL;
	}
	db->stmts[db->nstmts].sql = sql;
	db->stmts[db->nstmts].st = st;
	db->nstmts++;
	return st;
}

int
db_step_done(struct db *db, struct sqlite3_stmt *st)
{
	int	 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		db_record_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_exec(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	return db_step_done(db, st);
}

/* SELECT of every column in settings_table, built once (static). */
static const char *
settings_sql(void)
{
	static char	 sql[2048];
	const struct setting *c;
	size_t		 o;

	if (sql[0] != '\0')
		return sql;
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (c = settings_table; c->name != NULL; c++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s%s",
		    c == settings_table ? "" : ", ", c->name);
	snprintf(sql + o, sizeof(sql) - o, " FROM meeting_settings"
	    " WHERE id = 1");
	return sql;
}

int
db_settings(struct db *db, struct settings *s)
{
	const struct setting *c;
	sqlite3_stmt	*st;
	char		*base = (char *)s;
	int		 i, rc;

	settings_defaults(s);
	if ((st = db_prepare(db, settings_sql())) == NULL)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		for (i = 0, c = settings_table; c->name != NULL; c++, i++) {
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				continue;
			switch (c->type) {
			case SETTING_INT:
				*(int *)(base + c->off) =
				    sqlite3_column_int(st, i);
				break;
			case SETTING_REAL:
				*(double *)(base + c->off) =
				    sqlite3_column_double(st, i);
				break;
			default:
				snprintf(base + c->off, c->size, "%s",
				    (const char *)sqlite3_column_text(st, i));
				break;
			}
		}
	} else if (rc != SQLITE_DONE) {
		db_record_error(db);
		sqlite3_reset(st);
		settings_defaults(s);
		goto fail;
	}
	sqlite3_reset(st);
	return 0;
fail:
	log_warnx("%s: reading meeting_settings: %s", db->path,
	    db_errmsg(db));
	return -1;
}
