/*
 * Scheduling in the database: booking appointments (a 'scheduled' row of
 * teleconferencesessions plus its roster in
 * teleconference_expected_participants), cancelling them, listing them,
 * and reading or changing meeting_settings.  The `schedule` and
 * `settings` commands (schedule_cli.c) parse arguments and files into a
 * struct schedule_batch and call here; the daemon polls the same rows
 * and joins each room when its start comes near.
 *
 * Everything a user typed or a file held is checked before a
 * transaction starts, and every problem is collected rather than the
 * first one only, so an import reports each bad row at once.  Writes
 * happen in one BEGIN IMMEDIATE transaction: the daemon never sees half
 * an import.  Values are always bound; the only SQL text built at run
 * time is a settings column name, and that comes from settings_table,
 * never from the user.
 *
 * Nothing here prints or logs: messages go back to the caller, which
 * knows whether they came from the command line or line 12 of a file.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "report.h"
#include "schedule.h"
#include "schedule_batch.h"
#include "settings.h"
#include "text.h"
#include "xmalloc.h"

#define QUOTE_MAX	48			/* of user text in messages */

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

/*
 * Every row that holds this appointment: its booking ("appt:" uid) and
 * any session the daemon recorded for it.
 */
static const char sql_find[] =
	"SELECT id, session_status FROM teleconferencesessions"
	" WHERE appointmentId = ?1 OR session_uid = 'appt:' || ?1"
	" ORDER BY id";

static const char sql_insert[] =
	"INSERT INTO teleconferencesessions (session_uid, appointmentId,"
	" roomId, jitsi_room_name, session_status, scheduled_start,"
	" scheduled_duration_minutes, createdAt, updatedAt)"
	" VALUES ('appt:' || ?1, ?1, ?2, ?2, 'scheduled', ?3, ?4, ?5, ?5)";

static const char sql_update[] =
	"UPDATE teleconferencesessions SET roomId = ?2, jitsi_room_name = ?2,"
	" scheduled_start = ?3, scheduled_duration_minutes = ?4,"
	" status_reason = NULL, updatedAt = ?5"
	" WHERE id = ?1";

static const char sql_roster_clear[] =
	"DELETE FROM teleconference_expected_participants"
	" WHERE teleconference_session_id = ?1";

static const char sql_roster_add[] =
	"INSERT INTO teleconference_expected_participants"
	" (teleconference_session_id, participant_id, participant_role,"
	" participant_name, createdAt) VALUES (?1, ?2, ?3, ?4, ?5)";

/* ?4: 1 when an 'active' appointment may be cancelled too. */
static const char sql_cancel[] =
	"UPDATE teleconferencesessions SET session_status = 'cancelled',"
	" status_reason = ?2, updatedAt = ?3"
	" WHERE (appointmentId = ?1 OR session_uid = 'appt:' || ?1)"
	" AND (session_status = 'scheduled'"
	"  OR (?4 AND session_status = 'active'))";

static const char sql_status[] =
	"SELECT session_status FROM teleconferencesessions"
	" WHERE appointmentId = ?1 OR session_uid = 'appt:' || ?1"
	" ORDER BY id DESC LIMIT 1";

/*
 * The roster as "id:role:name; ..." in the order it was given (SQLite
 * 3.40 has no ORDER BY inside group_concat; an ordered subquery feeds it
 * in order).
 */
static const char sql_list[] =
	"SELECT s.appointmentId AS appointment, s.jitsi_room_name AS room,"
	" s.scheduled_start AS start, s.scheduled_duration_minutes AS minutes,"
	" s.session_status AS status, s.status_reason AS reason,"
	" (SELECT group_concat(x, '; ') FROM (SELECT e.participant_id || ':'"
	"  || e.participant_role || COALESCE(':' || e.participant_name, '')"
	"  AS x FROM teleconference_expected_participants e"
	"  WHERE e.teleconference_session_id = s.id ORDER BY e.id)) AS roster"
	" FROM teleconferencesessions s"
	" WHERE s.appointmentId IS NOT NULL AND s.scheduled_start IS NOT NULL"
	" AND (?1 OR s.session_status IN ('scheduled', 'active'))"
	" ORDER BY s.scheduled_start, s.id LIMIT ?2";

static const char sql_settings_row[] =
	"INSERT OR IGNORE INTO meeting_settings (id) VALUES (1)";

static const char sql_settings_all[] =
	"SELECT * FROM meeting_settings WHERE id = 1";

/* User text quoted for a message: escaped and cut; buf has QUOTE_MAX. */
static const char *
quote(char *buf, const char *s)
{
	return log_escape(buf, QUOTE_MAX, s);
}

/*
 * SQLite helpers
 */

/*
 * Bind ?1, ?2, ... from fmt, one argument each: 'i' int64_t, 'r' double,
 * 't' text (NULL binds NULL; bound SQLITE_STATIC, so it must outlive the
 * step).  Returns 0, or -1 with the error recorded and st reset.
 */
static int
vbind(struct db *db, sqlite3_stmt *st, const char *fmt, va_list ap)
{
	const char	*t;
	int		 i, rc = SQLITE_OK;

	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'r':
			rc = sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		default:
			t = va_arg(ap, const char *);
			rc = t != NULL ? sqlite3_bind_text(st, i, t, -1,
			    SQLITE_STATIC) : sqlite3_bind_null(st, i);
			break;
		}
	}
	if (rc != SQLITE_OK) {
		db_record_error(db);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	return 0;
}

/* The cached statement for sql with fmt's arguments bound, or NULL. */
static sqlite3_stmt *
stmt(struct db *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 rc;

	if ((st = db_prepare(db, sql)) == NULL)
		return NULL;
	va_start(ap, fmt);
	rc = vbind(db, st, fmt, ap);
	va_end(ap);
	return rc == 0 ? st : NULL;
}

/* Finish a statement stepped by hand: 0 at SQLITE_DONE, else -1. */
static int
stmt_end(struct db *db, sqlite3_stmt *st, int rc)
{
	if (rc != SQLITE_DONE)
		db_record_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The recorded error as a message about what.  A busy database gets a
 * hint: the daemon commits in short batches, so trying again works.
 */
static void
dberr(struct db *db, const char *what, char *err, size_t errsz)
{
	int	 code = db_errcode(db) & 0xff;

	seterr(err, errsz, "%s: %s: %s%s", db_path(db), what, db_errmsg(db),
	    code == SQLITE_BUSY || code == SQLITE_LOCKED ?
	    " (another process, e.g. the daemon, holds the lock: try again)" :
	    "");
}

static void
rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db_sqlite(db)))
		(void)db_exec(db, sql_rollback);
}

/*
 * End the open transaction: COMMIT after ok == 0, else (or when COMMIT
 * fails) ROLLBACK with the recorded error described in err as being in
 * what.  Returns 0 when committed, -1 otherwise.
 */
static int
end_tx(struct db *db, int ok, const char *what, char *err, size_t errsz)
{
	if (ok == 0) {
		if (db_exec(db, sql_commit) == 0)
			return 0;
		what = "COMMIT";
	}
	dberr(db, what, err, errsz);
	rollback(db);
	return -1;
}

static const char sql_limits[] =
	"SELECT default_duration, max_meeting_duration FROM meeting_settings"
	" WHERE id = 1";

/*
 * meeting_settings' default_duration and max_meeting_duration (their
 * defaults when NULL or without a row); -1 on an SQLite error.
 */
static int
limits(struct db *db, double *minutes, double *max)
{
	struct settings	 def;
	sqlite3_stmt	*st;
	int		 rc;

	settings_defaults(&def);
	*minutes = def.default_duration;
	*max = def.max_meeting_duration;
	if ((st = stmt(db, sql_limits, "")) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*minutes = sqlite3_column_double(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*max = sqlite3_column_double(st, 1);
		rc = sqlite3_step(st);
	}
	return stmt_end(db, st, rc);
}

/*
 * Write one appointment inside the open transaction.  Returns 0, 1 when
 * refused (error added to b), -1 on an SQLite error (recorded).
 */
static int
put(struct db *db, struct schedule_batch *b, const struct schedule_appt *a,
    double minutes, double max, const char *now)
{
	sqlite3_stmt	*st;
	const char	*status;
	char		 start[32], ended[16] = "", q[QUOTE_MAX];
	int64_t		 id = 0;
	size_t		 j;
	int		 rc;

	if ((st = stmt(db, sql_find, "t", a->appt)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		status = (const char *)sqlite3_column_text(st, 1);
		if (status != NULL && strcmp(status, "scheduled") == 0) {
			if (id == 0)
				id = sqlite3_column_int64(st, 0);
		} else if (ended[0] == '\0')
			snprintf(ended, sizeof(ended), "%s",
			    status != NULL ? status : "?");
	}
	if (stmt_end(db, st, rc) == -1)
		return -1;
	if (ended[0] != '\0') {
		/*
		 * Its meeting started (or it was called off): changing the
		 * booking now would rewrite what attendance was measured
		 * against.
		 */
		schedule_batch_error(b, a->line, "appointment %s is %s: not "
		    "changed (book it under a new appointment id)",
		    quote(q, a->appt), ended);
		return 1;
	}

	event_iso8601(a->start_ms, start, sizeof(start));
	if (a->has_minutes)
		minutes = a->minutes;
	if (max > 0 && minutes > max) {
		schedule_batch_error(b, a->line, "appointment %s: %g minutes "
		    "is longer than max_meeting_duration (%g)",
		    quote(q, a->appt), minutes, max);
		return 1;
	}
	if (id != 0) {
		if ((st = stmt(db, sql_update, "ittrt", id, a->room, start,
		    minutes, now)) == NULL || db_step_done(db, st) == -1 ||
		    (st = stmt(db, sql_roster_clear, "i", id)) == NULL ||
		    db_step_done(db, st) == -1)
			return -1;
		b->updated++;
	} else {
		if ((st = stmt(db, sql_insert, "tttrt", a->appt, a->room, start,
		    minutes, now)) == NULL || db_step_done(db, st) == -1)
			return -1;
		id = sqlite3_last_insert_rowid(db_sqlite(db));
		b->added++;
	}
	for (j = 0; j < a->nmembers; j++)
		if ((st = stmt(db, sql_roster_add, "itttt", id,
		    a->members[j].id, a->members[j].role, a->members[j].name,
		    now)) == NULL || db_step_done(db, st) == -1)
			return -1;
	return 0;
}

int
schedule_apply(struct db *db, struct schedule_batch *b, int64_t now_ms)
{
	struct schedule_appt	*a;
	sqlite3_stmt		*st;
	const char		*what = "BEGIN";
	char			 now[32], err[512];
	double			 minutes, max;
	size_t			 i;

	b->added = b->updated = b->cancelled = 0;
	schedule_batch_validate(b);
	if (b->nerrs > 0)
		return -1;
	event_iso8601(now_ms, now, sizeof(now));
	db_clear_error(db);
	if (db_exec(db, sql_begin) == -1)
		goto fail;
	what = "reading default_duration";
	if (limits(db, &minutes, &max) == -1)
		goto fail;
	for (i = 0; i < b->nappts; i++) {
		a = &b->appts[i];
		if (a->cancel) {
			what = "cancelling";
			if ((st = stmt(db, sql_cancel, "ttti", a->appt,
			    "cancelled", now, (int64_t)0)) == NULL ||
			    db_step_done(db, st) == -1)
				goto fail;
			b->cancelled += sqlite3_changes(db_sqlite(db));
			continue;
		}
		what = "booking";
		if (put(db, b, a, minutes, max, now) == -1)
			goto fail;
	}
	if (b->nerrs > 0) {
		rollback(db);
		b->added = b->updated = b->cancelled = 0;
		return -1;
	}
	if (end_tx(db, 0, NULL, err, sizeof(err)) == 0)
		return 0;
	goto failed;
fail:
	end_tx(db, -1, what, err, sizeof(err));
failed:
	schedule_batch_error(b, 0, "%s", err);
	b->added = b->updated = b->cancelled = 0;
	return -1;
}

int
schedule_cancel(struct db *db, const char *appt, const char *reason,
    int64_t now_ms, char *err, size_t errsz)
{
	sqlite3_stmt	*st;
	const char	*what = "BEGIN", *status;
	char		 now[32], q[QUOTE_MAX];
	int		 rc, n;

	if (text_check("appointment id", appt, SCHEDULE_FIELD_MAX, 0, err,
	    errsz) == -1 || (reason != NULL && text_check("reason", reason,
	    SCHEDULE_FIELD_MAX, TEXT_SPACES, err, errsz) == -1))
		return -1;
	event_iso8601(now_ms, now, sizeof(now));
	db_clear_error(db);
	if (db_exec(db, sql_begin) == -1)
		goto fail;
	what = "cancelling";
	if ((st = stmt(db, sql_cancel, "ttti", appt, reason != NULL ? reason :
	    "cancelled", now, (int64_t)1)) == NULL ||
	    db_step_done(db, st) == -1)
		goto fail;
	if ((n = sqlite3_changes(db_sqlite(db))) == 0) {
		what = "looking it up";
		if ((st = stmt(db, sql_status, "t", appt)) == NULL)
			goto fail;
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			status = (const char *)sqlite3_column_text(st, 0);
			seterr(err, errsz, "appointment %s is %s: only a "
			    "scheduled or active one can be cancelled",
			    quote(q, appt), status != NULL ? status : "?");
			rc = sqlite3_step(st);
		} else
			seterr(err, errsz, "%s: no appointment %s",
			    db_path(db), quote(q, appt));
		if (stmt_end(db, st, rc) == -1)
			goto fail;
		rollback(db);
		return -1;
	}
	return end_tx(db, 0, NULL, err, errsz);
fail:
	return end_tx(db, -1, what, err, errsz);
}

/*
 * Rows for report_cli_print()
 */

/* Empty rows with ncols columns named cols. */
static struct report_rows *
rows_new(const char *const *cols, size_t ncols)
{
	struct report_rows	*r;
	size_t			 i;

	r = xcalloc(1, sizeof(*r));
	r->ncols = ncols;
	r->cols = xreallocarray(NULL, ncols + 1, sizeof(*r->cols));
	for (i = 0; i < ncols; i++)
		r->cols[i] = xstrdup(cols[i]);
	return r;
}

/* A new last row, its cells zeroed (REPORT_NULL); borrowed. */
static struct report_cell *
rows_push(struct report_rows *r)
{
	struct report_cell	*c;

	/* Capacity in rows as in grow(): 4, 8, 16, ... */
	if (r->nrows == 0)
		r->cells = xreallocarray(NULL, 4 * r->ncols + 1,
		    sizeof(*r->cells));
	else if (r->nrows >= 4 && (r->nrows & (r->nrows - 1)) == 0)
		r->cells = xreallocarray(r->cells, r->nrows * 2 * r->ncols + 1,
		    sizeof(*r->cells));
	c = &r->cells[r->nrows * r->ncols];
	memset(c, 0, r->ncols * sizeof(*c));
	r->nrows++;
	return c;
}

struct report_rows *
schedule_list(struct db *db, int all, int limit, char *err, size_t errsz)
{
	static const char *const cols[] = { "appointment", "room", "start",
	    "minutes", "status", "reason", "roster" };
	struct report_rows	*r;
	struct report_cell	*c;
	sqlite3_stmt		*st;
	int			 rc, i;

	db_clear_error(db);
	if ((st = stmt(db, sql_list, "ii", (int64_t)(all != 0),
	    (int64_t)(limit > 0 ? limit : -1))) == NULL) {
		dberr(db, "listing appointments", err, errsz);
		return NULL;
	}
	r = rows_new(cols, sizeof(cols) / sizeof(cols[0]));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = rows_push(r);
		for (i = 0; i < (int)r->ncols; i++)
			report_cell_set(&c[i], st, i);
	}
	if (stmt_end(db, st, rc) == -1) {
		report_rows_free(r);
		dberr(db, "listing appointments", err, errsz);
		return NULL;
	}
	return r;
}

/*
 * Settings
 */

struct report_rows *
schedule_settings(struct db *db, char *err, size_t errsz)
{
	static const char *const cols[] = { "setting", "type", "value",
	    "help" };
	const struct setting *c;
	struct report_rows	*r;
	struct report_cell	*row;
	sqlite3_stmt		*st;
	int			 rc, i, n;

	db_clear_error(db);
	if ((st = stmt(db, sql_settings_all, "")) == NULL) {
		dberr(db, "reading meeting_settings", err, errsz);
		return NULL;
	}
	/*
	 * SELECT * and match names, so the list of columns stays in
	 * settings_table alone; a column the row lacks shows as NULL.
	 */
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		stmt_end(db, st, rc);
		dberr(db, "reading meeting_settings", err, errsz);
		return NULL;
	}
	r = rows_new(cols, 4);
	n = sqlite3_column_count(st);
	for (c = settings_table; c->name != NULL; c++) {
		row = rows_push(r);
		row[0].type = row[1].type = row[3].type = REPORT_TEXT;
		row[0].text = xstrdup(c->name);
		row[1].text = xstrdup(settings_type_name(c->type));
		row[3].text = xstrdup(c->help);
		for (i = 0; rc == SQLITE_ROW && i < n; i++)
			if (strcmp(sqlite3_column_name(st, i), c->name) == 0) {
				report_cell_set(&row[2], st, i);
				break;
			}
		/*
		 * JSON follows the declared type: the migration made some
		 * REAL settings INTEGER columns, which hold 60, not 60.0.
		 */
		if (row[2].type == REPORT_INT && c->type == SETTING_REAL)
			row[2].type = REPORT_REAL;
	}
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	if (stmt_end(db, st, rc) == -1) {
		report_rows_free(r);
		dberr(db, "reading meeting_settings", err, errsz);
		return NULL;
	}
	return r;
}

int
schedule_settings_set(struct db *db, char *const *kv, size_t n,
    int64_t now_ms, char *err, size_t errsz)
{
	const struct setting *c;
	struct settings	 v;
	sqlite3_stmt	*st = NULL;
	const char	*value, *what = "BEGIN";
	char		*sql, now[32];
	size_t		 i;
	int		 rc;

	for (i = 0; i < n; i++)
		if (settings_check(kv[i], err, errsz) == -1)
			return -1;
	event_iso8601(now_ms, now, sizeof(now));
	db_clear_error(db);
	if (db_exec(db, sql_begin) == -1)
		goto fail;
	what = "meeting_settings row";
	if ((st = stmt(db, sql_settings_row, "")) == NULL ||
	    db_step_done(db, st) == -1)
		goto fail;
	st = NULL;
	for (i = 0; i < n; i++) {
		/* Checked above: the column and its value are good. */
		c = settings_split(kv[i], &value, NULL, 0);
		(void)settings_parse(c, value, &v, NULL, 0);
		what = c->name;
		/*
		 * Not db_prepare(): its cache is keyed by the SQL's address
		 * and holds 32 statements, fewer than the columns.  The
		 * column name comes from settings_table, never from the
		 * user.
		 */
		xasprintf(&sql, "UPDATE meeting_settings SET %s = ?1,"
		    " updatedAt = ?2 WHERE id = 1", c->name);
		rc = sqlite3_prepare_v2(db_sqlite(db), sql, -1, &st, NULL);
		free(sql);
		if (rc != SQLITE_OK) {
			db_record_error(db);
			goto fail;
		}
		switch (c->type) {
		case SETTING_INT:
			rc = sqlite3_bind_int64(st, 1,
			    *(int *)((char *)&v + c->off));
			break;
		case SETTING_REAL:
			rc = sqlite3_bind_double(st, 1,
			    *(double *)((char *)&v + c->off));
			break;
		case SETTING_TEXT:
			rc = sqlite3_bind_text(st, 1, value, -1,
			    SQLITE_STATIC);
			break;
		}
		if (rc != SQLITE_OK || sqlite3_bind_text(st, 2, now, -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE) {
			db_record_error(db);
			goto fail;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	return end_tx(db, 0, NULL, err, errsz);
fail:
	sqlite3_finalize(st);
	return end_tx(db, -1, what, err, errsz);
}
