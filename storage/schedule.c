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
	" VALUES ('appt:' || ?1, ?1, ?2, ?2, 'scheduled', ?3, ?4, ?5, ?5)"
	" RETURNING id";

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
 * in order; PostgreSQL's string_agg() takes one).
 */
#define ROSTER_X \
	"e.participant_id || ':' || e.participant_role" \
	" || COALESCE(':' || e.participant_name, '')"
#define ROSTER_FROM \
	"FROM teleconference_expected_participants e" \
	" WHERE e.teleconference_session_id = s.id"
#define LIST_SQL(roster) \
	"SELECT s.appointmentId AS appointment, s.jitsi_room_name AS room," \
	" s.scheduled_start AS start," \
	" s.scheduled_duration_minutes AS minutes," \
	" s.session_status AS status, s.status_reason AS reason, " roster \
	" AS roster FROM teleconferencesessions s" \
	" WHERE s.appointmentId IS NOT NULL AND s.scheduled_start IS NOT NULL" \
	" AND (?1 OR s.session_status IN ('scheduled', 'active'))" \
	" ORDER BY s.scheduled_start, s.id LIMIT ?2"
static const char sql_list[] = LIST_SQL(
	"(SELECT group_concat(x, '; ') FROM (SELECT " ROSTER_X " AS x "
	ROSTER_FROM " ORDER BY e.id))");
static const char sql_list_pg[] = LIST_SQL(
	"(SELECT string_agg(" ROSTER_X ", '; ' ORDER BY e.id) "
	ROSTER_FROM ")");

static const char sql_settings_row[] =
	"INSERT INTO meeting_settings (id) VALUES (1)"
	" ON CONFLICT (id) DO NOTHING";

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
 * 't' text (NULL binds NULL; not copied, so it must outlive the step).
 * Returns 0, or -1 with the error recorded and st reset.
 */
static int
vbind(struct db_stmt *st, const char *fmt, va_list ap)
{
	int	 i, rc = 0;

	for (i = 1; *fmt != '\0' && rc == 0; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			rc = db_bind_int(st, i, va_arg(ap, int64_t));
			break;
		case 'r':
			rc = db_bind_real(st, i, va_arg(ap, double));
			break;
		default:
			rc = db_bind_text(st, i, va_arg(ap, const char *));
			break;
		}
	}
	if (rc != 0) {
		db_reset(st);
		return -1;
	}
	return 0;
}

/* The cached statement for sql with fmt's arguments bound, or NULL. */
static struct db_stmt *
stmt(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_stmt	*st;
	va_list		 ap;
	int		 rc;

	if ((st = db_prepare(db, sql)) == NULL)
		return NULL;
	va_start(ap, fmt);
	rc = vbind(st, fmt, ap);
	va_end(ap);
	return rc == 0 ? st : NULL;
}

/* Finish a statement stepped by hand: 0 at DB_DONE, else -1. */
static int
stmt_end(struct db *db, struct db_stmt *st, int rc)
{
	(void)db;
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * The recorded error as a message about what.  A busy database gets a
 * hint: the daemon commits in short batches, so trying again works.
 */
static void
dberr(struct db *db, const char *what, char *err, size_t errsz)
{
	seterr(err, errsz, "%s: %s: %s%s", db_path(db), what, db_errmsg(db),
	    db_errkind(db) == DB_ERR_BUSY ?
	    " (another process, e.g. the daemon, holds the lock: try again)" :
	    "");
}

static void
rollback(struct db *db)
{
	(void)db_rollback(db);
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
		if (db_commit(db) == 0)
			return 0;
		what = "COMMIT";
	}
	dberr(db, what, err, errsz);
	rollback(db);
	return -1;
}

/*
 * Open the transaction of a change made at now_ms, whose timestamp goes
 * into now (for updatedAt).  0, or -1 with the error recorded.
 */
static int
begin_tx(struct db *db, int64_t now_ms, char *now, size_t nowsz)
{
	event_iso8601(now_ms, now, nowsz);
	db_clear_error(db);
	return db_begin(db);
}

/*
 * Cancel appointment appt with reason if it is scheduled (or active too,
 * with active set).  Returns the rows changed, or -1 (recorded).
 */
static int
cancel(struct db *db, const char *appt, const char *reason,
    const char *now, int active)
{
	struct db_stmt	*st;

	if ((st = stmt(db, sql_cancel, "ttti", appt, reason, now,
	    (int64_t)active)) == NULL || db_step_done(db, st) == -1)
		return -1;
	return (int)db_changes(db);
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
	struct db_stmt	*st;
	int		 rc;

	settings_defaults(&def);
	*minutes = def.default_duration;
	*max = def.max_meeting_duration;
	if ((st = stmt(db, sql_limits, "")) == NULL)
		return -1;
	if ((rc = db_step(st)) == DB_ROW) {
		if (db_column_type(st, 0) != DB_NULL)
			*minutes = db_column_real(st, 0);
		if (db_column_type(st, 1) != DB_NULL)
			*max = db_column_real(st, 1);
		rc = db_step(st);
	}
	return stmt_end(db, st, rc);
}

/*
 * Write one appointment inside the open transaction.  Returns 0, 1 when
 * refused (error added to b), -1 on a database error (recorded).
 */
static int
put(struct db *db, struct schedule_batch *b, const struct schedule_appt *a,
    double minutes, double max, const char *now)
{
	struct db_stmt	*st;
	const char	*status;
	char		 start[32], ended[16] = "", q[QUOTE_MAX];
	int64_t		 id = 0;
	size_t		 j;
	int		 rc;

	if ((st = stmt(db, sql_find, "t", a->appt)) == NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		status = db_column_text(st, 1);
		if (status != NULL && strcmp(status, "scheduled") == 0) {
			if (id == 0)
				id = db_column_int(st, 0);
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
		    minutes, now)) == NULL)
			return -1;
		if ((rc = db_step(st)) == DB_ROW) {
			id = db_column_int(st, 0);
			rc = db_step(st);
		}
		if (stmt_end(db, st, rc) == -1)
			return -1;
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
	const char		*what = "BEGIN";
	char			 now[32], err[512];
	double			 minutes, max;
	size_t			 i;
	int			 n;

	b->added = b->updated = b->cancelled = 0;
	schedule_batch_validate(b);
	if (b->nerrs > 0)
		return -1;
	if (begin_tx(db, now_ms, now, sizeof(now)) == -1)
		goto fail;
	what = "reading default_duration";
	if (limits(db, &minutes, &max) == -1)
		goto fail;
	for (i = 0; i < b->nappts; i++) {
		a = &b->appts[i];
		if (a->cancel) {
			what = "cancelling";
			if ((n = cancel(db, a->appt, "cancelled", now, 0)) ==
			    -1)
				goto fail;
			b->cancelled += n;
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
	struct db_stmt	*st;
	const char	*what = "BEGIN", *status;
	char		 now[32], q[QUOTE_MAX];
	int		 rc, n;

	if (text_check("appointment id", appt, SCHEDULE_FIELD_MAX, 0, err,
	    errsz) == -1 || (reason != NULL && text_check("reason", reason,
	    SCHEDULE_FIELD_MAX, TEXT_SPACES, err, errsz) == -1))
		return -1;
	if (begin_tx(db, now_ms, now, sizeof(now)) == -1)
		goto fail;
	what = "cancelling";
	if ((n = cancel(db, appt, reason != NULL ? reason : "cancelled", now,
	    1)) == -1)
		goto fail;
	if (n == 0) {
		what = "looking it up";
		if ((st = stmt(db, sql_status, "t", appt)) == NULL)
			goto fail;
		if ((rc = db_step(st)) == DB_ROW) {
			status = db_column_text(st, 0);
			seterr(err, errsz, "appointment %s is %s: only a "
			    "scheduled or active one can be cancelled",
			    quote(q, appt), status != NULL ? status : "?");
			rc = db_step(st);
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
	struct db_stmt		*st;
	int			 rc, i;

	db_clear_error(db);
	if ((st = stmt(db, db_pick(db, sql_list, sql_list_pg), "ii",
	    (int64_t)(all != 0), (int64_t)(limit > 0 ? limit : INT64_MAX))) ==
	    NULL) {
		dberr(db, "listing appointments", err, errsz);
		return NULL;
	}
	r = rows_new(cols, sizeof(cols) / sizeof(cols[0]));
	while ((rc = db_step(st)) == DB_ROW) {
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
	struct db_stmt		*st;
	char			 num[32];
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
	rc = db_step(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		stmt_end(db, st, rc);
		dberr(db, "reading meeting_settings", err, errsz);
		return NULL;
	}
	r = rows_new(cols, 4);
	n = db_column_count(st);
	for (c = settings_table; c->name != NULL; c++) {
		row = rows_push(r);
		row[0].type = row[1].type = row[3].type = REPORT_TEXT;
		row[0].text = xstrdup(c->name);
		row[1].text = xstrdup(settings_type_name(c->type));
		row[3].text = xstrdup(c->help);
		for (i = 0; rc == DB_ROW && i < n; i++)
			if (strcmp(db_column_name(st, i), c->name) == 0) {
				report_cell_set(&row[2], st, i);
				break;
			}
		/*
		 * JSON follows the declared type, and the text is the same
		 * on both backends: SQLite's migration made some REAL
		 * settings INTEGER columns, which hold 60 where PostgreSQL's
		 * hold 60.0; both show 60.
		 */
		if ((row[2].type == REPORT_INT || row[2].type == REPORT_REAL) &&
		    c->type == SETTING_REAL) {
			snprintf(num, sizeof(num), "%.15g",
			    db_column_real(st, i));
			free(row[2].text);
			row[2].text = xstrdup(num);
			row[2].type = REPORT_REAL;
		}
	}
	if (rc == DB_ROW)
		rc = db_step(st);
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
	struct db_stmt	*st, *up = NULL;
	const char	*value, *what = "BEGIN";
	char		*sql, now[32];
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < n; i++)
		if (settings_check(kv[i], err, errsz) == -1)
			return -1;
	if (begin_tx(db, now_ms, now, sizeof(now)) == -1)
		goto fail;
	what = "meeting_settings row";
	if ((st = stmt(db, sql_settings_row, "")) == NULL ||
	    db_step_done(db, st) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		/* Checked above: the column and its value are good. */
		c = settings_split(kv[i], &value, NULL, 0);
		(void)settings_parse(c, value, &v, NULL, 0);
		what = c->name;
		/*
		 * Not db_prepare(): its cache is keyed by the SQL's address
		 * and holds fewer statements than there are columns.  The
		 * column name comes from settings_table, never from the
		 * user.
		 */
		xasprintf(&sql, "UPDATE meeting_settings SET %s = ?1,"
		    " updatedAt = ?2 WHERE id = 1", c->name);
		up = db_stmt_new(db, sql);
		free(sql);
		if (up == NULL)
			goto fail;
		switch (c->type) {
		case SETTING_INT:
			rc = db_bind_int(up, 1, *(int *)((char *)&v + c->off));
			break;
		case SETTING_REAL:
			rc = db_bind_real(up, 1,
			    *(double *)((char *)&v + c->off));
			break;
		case SETTING_TEXT:
			rc = db_bind_text(up, 1, value);
			break;
		}
		if (rc != 0 || db_bind_text(up, 2, now) == -1 ||
		    db_step_done(db, up) == -1)
			goto fail;
		db_stmt_free(up);
		up = NULL;
	}
	return end_tx(db, 0, NULL, err, errsz);
fail:
	db_stmt_free(up);
	return end_tx(db, -1, what, err, errsz);
}
