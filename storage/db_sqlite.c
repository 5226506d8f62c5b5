/*
 * The SQLite backend of the storage interface (db_int.h): opening the
 * file, the PRAGMAs, the schema migrations, and statements, which are
 * SQLite's own (sqlite3_stmt) behind struct db_ops.
 *
 * Schema: storage/schema/NNN_name.sql, embedded at build time (see
 * schema.h).  The tables of the application's design (a MySQL migration)
 * adapted to SQLite, plus what the observer needs (session_uid,
 * participant_key, ...).  Migrations are numbered by PRAGMA user_version:
 * migration i takes the schema from version i to i + 1 in one
 * transaction, so a crash mid-migration leaves the previous version.  A
 * new file takes one step instead: schema_fresh, what the migrations
 * build, derived from them at build time (storage/schema/squash.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "log.h"
#include "schema.h"
#include "text.h"
#include "xmalloc.h"

static const char sql_begin[] = "BEGIN IMMEDIATE";

/* An SQLite result code as what it means to the caller. */
static enum db_err
kind(int code)
{
	switch (code & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DB_ERR_NONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_ERR_BUSY;
	case SQLITE_READONLY:
		return DB_ERR_READONLY;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		return DB_ERR_CONTENT;
	}
	return DB_ERR_OTHER;
}

/* Record the connection's current error. */
static void
record(struct db *db)
{
	sqlite3	*sq = db->be;
	int	 code = sqlite3_extended_errcode(sq);

	db_set_error(db, kind(code), code, "%s", sqlite3_errmsg(sq));
}

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

/*
 * The non-negative integer a one-row query answers, or -1 with err
 * filled ("what: why").
 */
static int
query_int(sqlite3 *sq, const char *sql, const char *what, char *err,
    size_t errsz)
{
	sqlite3_stmt	*st;
	int		 rc, v = -1;

	if (sqlite3_prepare_v2(sq, sql, -1, &st, NULL) != SQLITE_OK) {
		seterr(err, errsz, "%s: %s", what, sqlite3_errmsg(sq));
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		seterr(err, errsz, "%s: %s", what, sqlite3_errmsg(sq));
	sqlite3_finalize(st);
	return v;
}

/* PRAGMA user_version, or -1 with err filled. */
static int
user_version(sqlite3 *sq, char *err, size_t errsz)
{
	return query_int(sq, "PRAGMA user_version",
	    "reading the schema version", err, errsz);
}

/*
 * Bring the schema from its current version to DB_SCHEMA_VERSION.  Each
 * step is one IMMEDIATE transaction that re-reads the version inside it,
 * so two daemons started together on a new file do not both migrate.
 * A new file (version 0, nothing in it) takes one step, schema_fresh, to
 * the last version: each ALTER TABLE of the migrations makes SQLite
 * re-read the whole schema, and replaying them all made a first start
 * cost four times the CPU of any other.  A file at version 0 with
 * something in it (not ours) gets the migrations, as it always did: they
 * fail where its tables clash with ours.
 */
static int
migrate(sqlite3 *sq, char *err, size_t errsz)
{
	const char	*sql;
	char		*msg = NULL;
	char		 what[64];
	int		 v, next, empty;

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
		empty = 0;
		if (v == 0 && (empty = query_int(sq, "SELECT NOT EXISTS"
		    " (SELECT 1 FROM sqlite_master)", "reading the schema",
		    err, errsz)) == -1)
			goto fail;
		sql = empty ? schema_fresh : schema_migrations[v];
		next = empty ? DB_SCHEMA_VERSION : v + 1;
		snprintf(what, sizeof(what), "PRAGMA user_version = %d", next);
		if (sqlite3_exec(sq, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(sq, what, NULL, NULL, &msg) != SQLITE_OK) {
			seterr(err, errsz, "migration %d -> %d: %s", v, next,
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

static int
lite_open(struct db *db, const struct db_conf *conf, int flags, char *err,
    size_t errsz)
{
	const char	*path = conf->target;
	sqlite3		*sq = NULL;
	char		*uri = NULL;
	int		 rc, v;

	if (flags & DB_READONLY) {
		uri = path_uri(path, "mode=ro");
		rc = sqlite3_open_v2(uri, &sq,
		    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	} else
		rc = sqlite3_open_v2(path, &sq,
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	free(uri);
	db->be = sq;
	if (rc != SQLITE_OK) {
		seterr(err, errsz, "cannot open: %s", sq != NULL ?
		    sqlite3_errmsg(sq) : sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_extended_result_codes(sq, 1);

	if (flags & DB_READONLY) {
		if (sqlite3_busy_timeout(sq, DB_BUSY_MS_READONLY) !=
		    SQLITE_OK) {
			seterr(err, errsz, "busy_timeout: %s",
			    sqlite3_errmsg(sq));
			return -1;
		}
		if (pragma(sq, "PRAGMA query_only = ON", err, errsz) == -1)
			return -1;
		if ((v = user_version(sq, err, errsz)) == -1) {
			rc = sqlite3_errcode(sq);
			if (rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN)
				seterr(err, errsz, "cannot read: its WAL "
				    "index (-shm file) is missing and this "
				    "user cannot create it (start the daemon "
				    "once, or run as a user who may write the "
				    "directory)");
			return -1;
		}
		return db_version_check(v, err, errsz);
	}

	if (sqlite3_busy_timeout(sq, DB_BUSY_MS) != SQLITE_OK) {
		seterr(err, errsz, "busy_timeout: %s", sqlite3_errmsg(sq));
		return -1;
	}
	/*
	 * journal_mode answers with the mode in effect: "memory" for
	 * ":memory:", "wal" otherwise; anything else (e.g. "delete" on a
	 * file system without shared memory) is refused, because reports
	 * would then block the writer.
	 */
	if (pragma(sq, "PRAGMA foreign_keys = ON", err, errsz) == -1)
		return -1;
	{
		sqlite3_stmt	*st;
		const char	*mode;

		if (sqlite3_prepare_v2(sq, "PRAGMA journal_mode = WAL", -1,
		    &st, NULL) != SQLITE_OK) {
			seterr(err, errsz, "journal_mode: %s",
			    sqlite3_errmsg(sq));
			return -1;
		}
		rc = sqlite3_step(st);
		mode = rc == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(st, 0) : NULL;
		if (mode == NULL || (strcmp(mode, "wal") != 0 &&
		    strcmp(mode, "memory") != 0)) {
			seterr(err, errsz, "cannot enable WAL: %s",
			    mode != NULL ? mode : sqlite3_errmsg(sq));
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
	}
	/*
	 * A 1 MB page cache (SQLite's default is 2): the writer's hot pages
	 * are the ends of its indexes, and the rest is in the kernel's page
	 * cache anyway; the replay benchmark writes as fast with either and
	 * the daemon's RSS is 1 MB smaller.  A checkpoint every 4,000 WAL
	 * pages (16 MB; SQLite's default is 1,000): every batch rewrites
	 * the same hot index pages, and a checkpoint copies each page once
	 * however many batches changed it since the last one.
	 */
	if (pragma(sq, "PRAGMA synchronous = NORMAL", err, errsz) == -1 ||
	    pragma(sq, "PRAGMA cache_size = -1000", err, errsz) == -1 ||
	    pragma(sq, "PRAGMA wal_autocheckpoint = 4000", err, errsz) == -1 ||
	    pragma(sq, "PRAGMA journal_size_limit = 67108864", err,
	    errsz) == -1 ||
	    migrate(sq, err, errsz) == -1)
		return -1;
	/*
	 * Keep the -wal and -shm files when the daemon closes: a read-only
	 * reader cannot create the -shm itself, so without them a report
	 * run by another user (directory not writable) fails whenever the
	 * daemon is stopped.  No-op for ":memory:".
	 */
	{
		int	 one = 1;

		rc = sqlite3_file_control(sq, "main",
		    SQLITE_FCNTL_PERSIST_WAL, &one);
		if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND) {
			seterr(err, errsz, "persistent WAL: %s",
			    sqlite3_errstr(rc));
			return -1;
		}
	}
	return 0;
}

static void
lite_close(struct db *db)
{
	/* Every statement is finalized, so close cannot fail with BUSY. */
	if (sqlite3_close(db->be) != SQLITE_OK)
		log_warnx("closing %s: %s", db->path, sqlite3_errmsg(db->be));
}

static void *
lite_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v3(db->be, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK) {
		record(db);
		return NULL;
	}
	return st;
}

static void
lite_finalize(void *st, int cached)
{
	(void)cached;
	sqlite3_finalize(st);
}

/* A bind's result: 0, or -1 with the error recorded. */
static int
bound(struct db *db, int rc)
{
	if (rc == SQLITE_OK)
		return 0;
	record(db);
	return -1;
}

static int
lite_bind_int(struct db *db, void *st, int i, int64_t v)
{
	return bound(db, sqlite3_bind_int64(st, i, v));
}

static int
lite_bind_real(struct db *db, void *st, int i, double v)
{
	return bound(db, sqlite3_bind_double(st, i, v));
}

static int
lite_bind_text(struct db *db, void *st, int i, const char *s, int copy)
{
	return bound(db, sqlite3_bind_text(st, i, s, -1, copy ?
	    SQLITE_TRANSIENT : SQLITE_STATIC));
}

static int
lite_bind_null(struct db *db, void *st, int i)
{
	return bound(db, sqlite3_bind_null(st, i));
}

static int
lite_param_count(void *st)
{
	return sqlite3_bind_parameter_count(st);
}

static const char *
lite_param_name(void *st, int i)
{
	return sqlite3_bind_parameter_name(st, i);
}

static int
lite_step(struct db *db, void *st)
{
	int	 rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	record(db);
	return -1;
}

static int
lite_column_count(void *st)
{
	return sqlite3_column_count(st);
}

static const char *
lite_column_name(void *st, int i)
{
	return sqlite3_column_name(st, i);
}

static enum db_type
lite_column_type(void *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return DB_NULL;
	case SQLITE_INTEGER:
		return DB_INT;
	case SQLITE_FLOAT:
		return DB_REAL;
	}
	return DB_TEXT;		/* TEXT; a BLOB reads as text */
}

static int64_t
lite_column_int(void *st, int i)
{
	return sqlite3_column_int64(st, i);
}

static double
lite_column_real(void *st, int i)
{
	return sqlite3_column_double(st, i);
}

static const char *
lite_column_text(void *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static void
lite_reset(void *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int64_t
lite_changes(struct db *db)
{
	return sqlite3_changes64(db->be);
}

static int64_t
lite_last_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db->be);
}

static int
lite_begin(struct db *db)
{
	return db_exec(db, sql_begin);
}

static int
lite_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(db->be);
}

static int64_t
lite_tx_id(struct db *db)
{
	(void)db;
	return 0;
}

static int
lite_tx_committed(struct db *db, int64_t id)
{
	(void)db;
	(void)id;
	return 0;	/* never asked: a local COMMIT is never in doubt */
}

static int
lite_script(struct db *db, const char *sql)
{
	char	*msg = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(db->be, sql, NULL, NULL, &msg)) == SQLITE_OK)
		return 0;
	db_set_error(db, kind(sqlite3_extended_errcode(db->be)),
	    sqlite3_extended_errcode(db->be), "%s",
	    msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return -1;
}

static void
lite_busy_timeout(struct db *db, int ms)
{
	sqlite3_busy_timeout(db->be, ms);
}

const struct db_ops db_sqlite_ops = {
	.backend = DB_SQLITE,
	.open = lite_open,
	.close = lite_close,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.bind_int = lite_bind_int,
	.bind_real = lite_bind_real,
	.bind_text = lite_bind_text,
	.bind_null = lite_bind_null,
	.param_count = lite_param_count,
	.param_name = lite_param_name,
	.step = lite_step,
	.column_count = lite_column_count,
	.column_name = lite_column_name,
	.column_type = lite_column_type,
	.column_int = lite_column_int,
	.column_real = lite_column_real,
	.column_text = lite_column_text,
	.reset = lite_reset,
	.changes = lite_changes,
	.last_insert_id = lite_last_insert_id,
	.begin = lite_begin,
	.in_transaction = lite_in_transaction,
	.tx_id = lite_tx_id,
	.tx_committed = lite_tx_committed,
	.script = lite_script,
	.busy_timeout = lite_busy_timeout,
};
