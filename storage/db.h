/*
 * The storage interface: one set of db_* functions over two backends,
 * SQLite (a file: the default, embedded) and PostgreSQL (a
 * postgresql:// URL, through libpq).  struct db is opaque; it owns the
 * connection and every cached statement.  Only storage/ includes this
 * header (and the commands that open a database).
 *
 * SQL is written once where the dialects agree, with parameters as ?NNN
 * or :name (the PostgreSQL backend numbers them $N); where they differ,
 * a statement has a PostgreSQL text beside its SQLite one and
 * db_pick() chooses.  Every value is bound, never pasted into the text.
 * Timestamps are UTC text "YYYY-MM-DDTHH:MM:SS.mmmZ" on both, which
 * sorts.
 */
#ifndef TELETRACK_DB_H
#define TELETRACK_DB_H

#include <stddef.h>
#include <stdint.h>

#define DB_READONLY		0x01	/* reports: read-only, no migration */

/*
 * The schema version: the number of storage/schema/NNN_name.sql files
 * (SQLite: PRAGMA user_version; PostgreSQL, which gets the same steps
 * through storage/schema/pg.awk: the teletrack_schema table).
 */
#define DB_SCHEMA_VERSION	6
#define DB_BUSY_MS		200	/* daemon: never block the loop long */
#define DB_BUSY_MS_READONLY	5000	/* reports may wait for a checkpoint */

enum db_backend {
	DB_SQLITE,
	DB_PG
};

/* A result column's type, as SQLite would give it. */
enum db_type {
	DB_NULL,
	DB_INT,
	DB_REAL,
	DB_TEXT
};

#define DB_DONE		0	/* db_step(): no (more) rows */
#define DB_ROW		1	/* db_step(): a row is ready */

/* What the last recorded error means for the caller. */
enum db_err {
	DB_ERR_NONE,
	DB_ERR_BUSY,		/* another writer holds a lock: try again */
	DB_ERR_READONLY,	/* the file, the server or the role may not
				   write */
	DB_ERR_CONNECTION,	/* the server cannot be reached or went away */
	DB_ERR_CONTENT,		/* these values can never be stored (a
				   constraint, a type): retrying cannot help */
	DB_ERR_OTHER
};

/* Where the database is and how to get in. */
struct db_conf {
	const char	*target;	/* a file, ":memory:", or a
					   postgresql:// (postgres://) URL */
	const char	*password;	/* PostgreSQL: NULL means
					   $TELETRACK_DB_PASSWORD, else
					   libpq's own (PGPASSWORD,
					   ~/.pgpass) */
	const char	*schema;	/* PostgreSQL: the schema teletrack's
					   tables live in; NULL: the role's
					   search_path */
};

struct db;
struct db_stmt;
struct settings;
struct sqlite3;

/* 1 when target names a PostgreSQL server (postgresql:// or postgres://). */
int		 db_is_url(const char *target);

/*
 * Open the database conf names.
 *
 * flags 0 (the daemon, the schedule and settings commands): SQLite
 * creates the file if missing (not its directory), sets WAL (persistent:
 * the -wal and -shm files stay after close), synchronous=NORMAL,
 * foreign_keys=ON, busy_timeout DB_BUSY_MS; PostgreSQL connects (libpq:
 * sslmode and the rest from the URL), sets TimeZone UTC and, with a
 * schema, creates it when missing and puts it first in search_path.
 * Both migrate the schema to DB_SCHEMA_VERSION (one transaction a step;
 * concurrent starts on a new database migrate once).  Fails when the
 * database's schema is newer than this program knows.
 *
 * DB_READONLY (reports, the dashboard): SQLite opens through a
 * "file:...?mode=ro" URI with query_only set, so the connection never
 * writes and, under WAL, never blocks the daemon (it needs the -shm file
 * to exist or the directory to be writable; the daemon keeps the -shm);
 * PostgreSQL makes every transaction read-only.  No migration: fails
 * unless the schema version is exactly DB_SCHEMA_VERSION.
 *
 * Returns a handle that db_close() frees, or NULL with a message in err
 * (errsz bytes, may be 0) naming the database (never a password).  Does
 * not log: the caller knows the context.
 */
struct db	*db_connect(const struct db_conf *conf, int flags, char *err,
		    size_t errsz);

/* db_connect() with only a target. */
struct db	*db_open(const char *target, int flags, char *err,
		    size_t errsz);

/* Finalize every statement and close.  NULL is fine. */
void		 db_close(struct db *);

/*
 * The database as messages name it: the path, or for PostgreSQL
 * "postgresql://user@host:port/dbname" without the password; borrowed.
 */
const char	*db_path(const struct db *);

enum db_backend	 db_backend(const struct db *);

/* sqlite_sql on SQLite, pg_sql on PostgreSQL: a statement's two texts. */
const char	*db_pick(const struct db *, const char *sqlite_sql,
		    const char *pg_sql);

/*
 * Read the meeting_settings row into s, column by column as
 * settings_table declares them.  Columns that are NULL, and all of them
 * when the row is missing, keep their defaults.  Returns 0, or -1 on a
 * database error (recorded, not logged: the daemon's schedule read says
 * so once per outage), with s holding the defaults.
 */
int		 db_settings(struct db *, struct settings *s);

/*
 * Lifecycle repair at daemon start (db_repair.c).  shard is the
 * observer's [xmpp] shard (NULL: none); only the sessions it recorded
 * are repaired, so a shard starting never closes another's meetings.
 *
 * Close the sessions a previous run left 'active' (the daemon crashed or
 * was stopped mid-meeting: nobody will ever write their end), except
 * booked appointments still within their time (see
 * db_resume_appointments()).  For each:
 * endTime = the latest of its last event's timestamp, its startTime, and
 * startTime + total_duration_seconds (the last persisted rollup), capped
 * at now_ms; end_reason 'observer_restarted'; session_status 'completed'
 * when peak_participants >= 2, else 'failed'; total_duration_seconds
 * grows to endTime - startTime if larger.  Its participants still
 * 'present' become 'left' at the same endTime with left_reason
 * 'observer_restarted', and a session_end event row records the repair.
 * One transaction.  Call it once at daemon start, before the writer.
 * Returns the number of sessions closed, or -1 (logged).
 */
int		 db_close_stale_sessions(struct db *, const char *shard,
		    int64_t now_ms);

/*
 * The exception to the above: a booked appointment left 'active' whose
 * time is not over (start + duration + auto_end_after_minutes > now) is
 * not closed, so the daemon's schedule read resumes it (bookings.c seeds
 * its tracker with what was recorded).  Here its participants still
 * 'present' become 'left' (observer_restarted) at its last event, and an
 * observer_gap event marks the restart.  Call after
 * db_close_stale_sessions(), before the writer.  Returns the number of
 * appointments resumed, or -1 (logged).
 */
int		 db_resume_appointments(struct db *, const char *shard,
		    int64_t now_ms);

/*
 * Statements, for storage/ (and the tests).
 *
 * A statement from db_prepare() is cached by the address of its SQL,
 * which must therefore have static storage; it belongs to the db
 * (db_close() finalizes it).  Bind every parameter each time (index from
 * 1; a :name's index from db_param_name()), step, and end with
 * db_reset(), which also clears the bindings.  db_stmt_new() makes one
 * that is not cached, for SQL built at run time (a settings column):
 * db_stmt_free() it.  Both return NULL with the error recorded.
 */
struct db_stmt	*db_prepare(struct db *, const char *sql);
struct db_stmt	*db_stmt_new(struct db *, const char *sql);
void		 db_stmt_free(struct db_stmt *);

/*
 * Bind parameter i.  db_bind_text() keeps the pointer: s must stay
 * valid until the statement is reset; db_bind_copy() copies it.  A NULL
 * s binds NULL.  Each returns 0, or -1 with the error recorded.
 */
int		 db_bind_int(struct db_stmt *, int i, int64_t v);
int		 db_bind_real(struct db_stmt *, int i, double v);
int		 db_bind_text(struct db_stmt *, int i, const char *s);
int		 db_bind_copy(struct db_stmt *, int i, const char *s);
int		 db_bind_null(struct db_stmt *, int i);

/* The number of parameters; the name of parameter i (":from"), or NULL. */
int		 db_param_count(struct db_stmt *);
const char	*db_param_name(struct db_stmt *, int i);

/* DB_ROW, DB_DONE, or -1 with the error recorded. */
int		 db_step(struct db_stmt *);

/*
 * The current row.  Names come as SQLite spells them (PostgreSQL folds
 * unquoted camel-case names to lower case; the schema's are given back
 * their case).  db_column_text() is NULL for NULL and valid until the
 * next step or reset; a REAL reads as SQLite writes it ("2.0").
 */
int		 db_column_count(struct db_stmt *);
const char	*db_column_name(struct db_stmt *, int i);
enum db_type	 db_column_type(struct db_stmt *, int i);
int64_t		 db_column_int(struct db_stmt *, int i);
double		 db_column_real(struct db_stmt *, int i);
const char	*db_column_text(struct db_stmt *, int i);

/* Forget the current result and the bindings. */
void		 db_reset(struct db_stmt *);

/*
 * Step st until DB_DONE, discarding rows, then reset it.  Returns 0, or
 * -1 with the error recorded.
 */
int		 db_step_done(struct db *, struct db_stmt *st);

/*
 * Run a cached statement with no parameters and no rows to completion
 * (sql static, as for db_prepare()).  Returns 0, or -1 with the error
 * recorded.
 */
int		 db_exec(struct db *, const char *sql);

/*
 * Run sql, one or more statements without parameters (a test's
 * fixture, an administrator's script), not cached.  0 or -1 recorded.
 */
int		 db_script(struct db *, const char *sql);

/* Rows changed by the last INSERT, UPDATE or DELETE stepped. */
int64_t		 db_changes(struct db *);

/*
 * SQLite: the id of the last row an INSERT added on this connection (an
 * upsert that updated a row leaves it as it was).  0 on a backend with
 * no such thing (PostgreSQL: ask with RETURNING).
 */
int64_t		 db_last_insert_id(struct db *);

/*
 * Transactions.  db_begin() takes the write lock at once on SQLite
 * (BEGIN IMMEDIATE), so a writer waits at the start and never fails
 * half way for another's lock.  db_rollback() does nothing outside a
 * transaction (SQLite may have rolled back by itself; a PostgreSQL
 * connection may be gone).  0 or -1 with the error recorded.
 */
int		 db_begin(struct db *);
int		 db_commit(struct db *);
int		 db_rollback(struct db *);
int		 db_in_transaction(struct db *);

/*
 * Whether a COMMIT whose answer was lost took effect.  Inside a
 * transaction, db_tx_id() gives its id (PostgreSQL: txid_current(); 0
 * on SQLite, whose COMMIT is never in doubt); later, on a working
 * connection, db_tx_committed() says 1 (committed), 0 (not: rolled back
 * or never reached the server), or -1 (cannot tell now; recorded).
 */
int64_t		 db_tx_id(struct db *);
int		 db_tx_committed(struct db *, int64_t id);

/* How long SQLite waits for another writer's lock (PostgreSQL: no-op). */
void		 db_busy_timeout(struct db *, int ms);

/*
 * Record an error (fmt as printf) of kind with the backend's code: the
 * backends' failures, and a refusal storage code decides itself.
 */
void		 db_set_error(struct db *, enum db_err kind, int code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Forget the recorded error, before an operation that checks for one. */
void		 db_clear_error(struct db *);

/*
 * The last recorded error: its kind, the backend's code (SQLite's
 * extended result code, or PostgreSQL's SQLSTATE packed as an int: 0
 * when none) and its message (borrowed, valid until the next error).
 */
enum db_err	 db_errkind(const struct db *);
int		 db_errcode(const struct db *);
const char	*db_errmsg(const struct db *);

/* The SQLite connection (NULL on PostgreSQL), for SQLite-only tests. */
struct sqlite3	*db_sqlite(struct db *);

#endif
