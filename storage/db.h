/*
 * The SQLite database: opening, PRAGMAs, schema migrations (the .sql
 * files in storage/schema/), the statement cache, reading
 * meeting_settings, and the lifecycle repair at daemon start
 * (db_repair.c).  Only storage/ includes this header; struct db is opaque and
 * owns the sqlite3 handle and every prepared statement.
 */
#ifndef TELETRACK_DB_H
#define TELETRACK_DB_H

#include <stddef.h>
#include <stdint.h>

#define DB_READONLY		0x01	/* reports: mode=ro, no migration */

/* PRAGMA user_version: the number of storage/schema/NNN_name.sql files */
#define DB_SCHEMA_VERSION	4
#define DB_BUSY_MS		200	/* daemon: never block the loop long */
#define DB_BUSY_MS_READONLY	5000	/* reports may wait for a checkpoint */

struct db;
struct settings;
struct sqlite3;
struct sqlite3_stmt;

/*
 * Open the database at path (":memory:" works for tests).
 *
 * flags 0 (the daemon): create the file if missing (not its directory),
 * set WAL (persistent: the -wal and -shm files stay after close),
 * synchronous=NORMAL, foreign_keys=ON, busy_timeout DB_BUSY_MS, and
 * migrate the schema to DB_SCHEMA_VERSION.  Fails when the file's schema
 * is newer than this program knows.
 *
 * DB_READONLY (reports): open through a "file:...?mode=ro" URI with
 * query_only set, so the connection can never write and, under WAL, never
 * blocks the daemon.  No migration: fails unless the schema version is
 * exactly DB_SCHEMA_VERSION.  A read-only WAL reader needs the -shm file
 * to exist or the directory to be writable so SQLite can create it; the
 * daemon keeps the -shm (persistent WAL) so reports work for any user who
 * may read the three files, running daemon or not.  Otherwise the open
 * fails with a message saying so.
 *
 * Returns a handle that db_close() frees, or NULL with a message in err
 * (errsz bytes, may be 0).  Does not log: the caller knows the context.
 */
struct db	*db_open(const char *path, int flags, char *err, size_t errsz);

/* Finalize every statement and close.  NULL is fine. */
void		 db_close(struct db *);

/* The path given to db_open(); borrowed. */
const char	*db_path(const struct db *);

/*
 * Read the meeting_settings row into s, column by column as
 * settings_table declares them.  Columns that are NULL, and all of them
 * when the row is missing, keep their defaults.  Returns 0, or -1
 * (logged) on an SQLite error, with s holding the defaults.
 */
int		 db_settings(struct db *, struct settings *s);

/*
 * Lifecycle repair at daemon start (db_repair.c).
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
int		 db_close_stale_sessions(struct db *, int64_t now_ms);

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
int		 db_resume_appointments(struct db *, int64_t now_ms);

/*
 * For storage/ only (writer.c, report.c).
 */

/* The connection, for sqlite3_* calls on a statement from db_prepare(). */
struct sqlite3	*db_sqlite(struct db *);

/*
 * A cached prepared statement for sql, which must have static storage:
 * the cache is keyed by its address.  The statement belongs to the db
 * (db_close() finalizes it); callers sqlite3_reset() it after use and
 * bind every parameter each time.  NULL on error (recorded, see
 * db_errmsg()).
 */
struct sqlite3_stmt *db_prepare(struct db *, const char *sql);

/*
 * Run a cached statement with no result rows (BEGIN, COMMIT, ...) to
 * completion and reset it.  Returns 0, or -1 with the error recorded.
 */
int		 db_exec(struct db *, const char *sql);

/*
 * Step st until SQLITE_DONE, discarding rows, then reset it and clear its
 * bindings.  Returns 0, or -1 with the error recorded.
 */
int		 db_step_done(struct db *, struct sqlite3_stmt *st);

/* Record the connection's current error (call before resetting). */
void		 db_record_error(struct db *);

/* Forget the recorded error, before an operation that checks for one. */
void		 db_clear_error(struct db *);

/*
 * The last recorded error: the extended result code (0 when none) and
 * its message (borrowed, valid until the next recorded error).
 */
int		 db_errcode(const struct db *);
const char	*db_errmsg(const struct db *);

#endif
