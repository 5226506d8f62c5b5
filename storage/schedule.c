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
 * time is a settings column name, and that comes from db_setting_cols,
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
#include "textutil.h"
#include "xmalloc.h"

#define MS_MAX		253402300800000LL	/* 10000-01-01T00:00:00Z */
#define SETTING_REAL_MAX 1e9			/* beyond: a typo */
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
 * The batch
 */

void
schedule_batch_init(struct schedule_batch *b, const char *file)
{
	memset(b, 0, sizeof(*b));
	b->file = xstrdup_null(file);
}

void
schedule_batch_free(struct schedule_batch *b)
{
	size_t	 i, j;

	for (i = 0; i < b->nappts; i++) {
		for (j = 0; j < b->appts[i].nmembers; j++) {
			free(b->appts[i].members[j].id);
			free(b->appts[i].members[j].role);
			free(b->appts[i].members[j].name);
		}
		free(b->appts[i].members);
		free(b->appts[i].appt);
		free(b->appts[i].room);
	}
	for (i = 0; i < b->nerrs; i++)
		free(b->errs[i].msg);
	free(b->appts);
	free(b->errs);
	free(b->file);
	memset(b, 0, sizeof(*b));
}

/*
 * Make room for element n of an array that holds n: capacities go 4, 8,
 * 16, ..., so growing happens when n is 0 or a power of two from 4 up.
 */
static void *
grow(void *v, size_t n, size_t size)
{
	if (n == 0)
		return xreallocarray(v, 4, size);
	if (n >= 4 && (n & (n - 1)) == 0)
		return xreallocarray(v, n * 2, size);
	return v;
}

struct schedule_appt *
schedule_batch_add(struct schedule_batch *b, int line)
{
	struct schedule_appt	*a;

	b->appts = grow(b->appts, b->nappts, sizeof(*b->appts));
	a = &b->appts[b->nappts++];
	memset(a, 0, sizeof(*a));
	a->line = line;
	return a;
}

/* Append msg about line, taking ownership of msg. */
static void
batch_push(struct schedule_batch *b, int line, char *msg)
{
	b->errs = grow(b->errs, b->nerrs, sizeof(*b->errs));
	b->errs[b->nerrs].line = line;
	b->errs[b->nerrs].msg = msg;
	b->nerrs++;
}

void
schedule_batch_error(struct schedule_batch *b, int line, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*msg, *full;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc == -1)
		fatalx("%s: out of memory", __func__);
	if (b->file == NULL)
		full = msg;
	else {
		if (line > 0)
			xasprintf(&full, "%s:%d: %s", b->file, line, msg);
		else
			xasprintf(&full, "%s: %s", b->file, msg);
		free(msg);
	}
	batch_push(b, line, full);
}

void
schedule_appt_member(struct schedule_appt *a, const char *id,
    const char *role, const char *name)
{
	struct schedule_member	*m;

	a->members = grow(a->members, a->nmembers, sizeof(*a->members));
	m = &a->members[a->nmembers++];
	m->id = xstrdup(id);
	m->role = xstrdup(role);
	m->name = xstrdup_null(name);
}

/*
 * Checking text
 */

/* Unicode white space (C0 and C1 controls are refused separately). */
static int
uspace(uint32_t c)
{
	return c == ' ' || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff;
}

#define TEXT_SPACES	0x01	/* white space allowed (names, reasons) */
#define TEXT_EMPTY	0x02	/* "" allowed (settings) */

/*
 * Check s as user text named what: valid UTF-8, no control characters,
 * at most max bytes, white space only with TEXT_SPACES.  Stored text is
 * shown on terminals and sent to Prosody, so junk stops here.
 */
static int
check_text(const char *what, const char *s, size_t max, int flags,
    char *err, size_t errsz)
{
	const unsigned char	*p;
	uint32_t		 c;
	size_t			 n, len;

	if (s == NULL || (*s == '\0' && !(flags & TEXT_EMPTY))) {
		seterr(err, errsz, "%s: missing", what);
		return -1;
	}
	if ((len = strlen(s)) > max) {
		seterr(err, errsz, "%s: too long (%zu bytes, at most %zu)",
		    what, len, max);
		return -1;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		if ((n = utf8_decode(p, &c)) == 0) {
			seterr(err, errsz, "%s: not valid UTF-8", what);
			return -1;
		}
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
			seterr(err, errsz, "%s: contains a control character",
			    what);
			return -1;
		}
		if (!(flags & TEXT_SPACES) && uspace(c)) {
			seterr(err, errsz, "%s: contains white space", what);
			return -1;
		}
	}
	return 0;
}

/*
 * Check a room name and lowercase it in place.  Jitsi lowercases room
 * names (and Prosody's nodeprep folds case), so "Room1" and "room1" are
 * the same meeting; the daemon matches on the stored form.  Characters
 * nodeprep forbids in a localpart ("&'/:<>@ and white space) cannot
 * name a room, so a booking with them would never see its meeting.
 * Only ASCII is folded: non-ASCII names are kept as given.
 */
static int
room_normalize(char *room, char *err, size_t errsz)
{
	char	*p;

	if (check_text("room", room, SCHEDULE_ROOM_MAX, 0, err, errsz) == -1)
		return -1;
	if ((p = strpbrk(room, "\"&'/:<>@")) != NULL) {
		seterr(err, errsz, "room: '%c' cannot appear in a Jitsi "
		    "room name", *p);
		return -1;
	}
	for (p = room; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/*
 * Parsing values
 */

/* n decimal digits at s into *v; -1 unless all are digits. */
static int
digits(const char *s, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

int
schedule_parse_time(const char *s, int64_t *ms, char *err, size_t errsz)
{
	const char	*p;
	int64_t		 t;
	int		 y, mo, d, h, mi, sec = 0, frac = 0, scale = 100;
	int		 oh = 0, om = 0, sign = 0, zone = 0;
	char		 q[QUOTE_MAX];

	if (strlen(s) < 16 || digits(s, 4, &y) == -1 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    digits(s + 8, 2, &d) == -1 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) == -1 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) == -1)
		goto bad;
	p = s + 16;
	if (*p == ':') {
		if (digits(p + 1, 2, &sec) == -1)
			goto bad;
		p += 3;
		if (*p == '.' || *p == ',') {
			/* Milliseconds are kept; finer digits dropped. */
			if (p[1] < '0' || p[1] > '9')
				goto bad;
			for (p++; *p >= '0' && *p <= '9'; p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		zone = 1;
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) == -1)
			goto bad;
		p += 3;
		if (*p == ':')
			p++;
		if (*p != '\0') {
			if (digits(p, 2, &om) == -1)
				goto bad;
			p += 2;
		}
	}
	if (*p != '\0')
		goto bad;
	if (!zone && s[10] != ' ') {
		seterr(err, errsz, "start %s: no time zone: add Z or an "
		    "offset such as +01:00, or write \"YYYY-MM-DD HH:MM\" "
		    "for UTC", quote(q, s));
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || sec > 59 || oh > 23 || om > 59)
		goto bad;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	t = t * 1000 + frac;
	if (t < 0 || t >= MS_MAX) {
		seterr(err, errsz, "start %s: out of range", quote(q, s));
		return -1;
	}
	*ms = t;
	return 0;
bad:
	seterr(err, errsz, "start %s: not a time: use "
	    "YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DDTHH:MM:SS+HH:MM or "
	    "\"YYYY-MM-DD HH:MM\" (UTC)", quote(q, s));
	return -1;
}

int
schedule_parse_minutes(const char *s, double *minutes, char *err,
    size_t errsz)
{
	char	*end, q[QUOTE_MAX];
	double	 v;

	/* strtod would also take " 5", "inf", "nan" and hex. */
	errno = 0;
	if ((*s < '0' || *s > '9') && *s != '.')
		goto bad;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || strpbrk(s, "xX") !=
	    NULL || !isfinite(v))
		goto bad;
	if (v <= 0 || v > SCHEDULE_MINUTES_MAX) {
		seterr(err, errsz, "minutes %s: must be more than 0 and at "
		    "most %d", quote(q, s), SCHEDULE_MINUTES_MAX);
		return -1;
	}
	*minutes = v;
	return 0;
bad:
	seterr(err, errsz, "minutes %s: not a positive number", quote(q, s));
	return -1;
}

int
schedule_parse_member(struct schedule_appt *a, const char *spec, char *err,
    size_t errsz)
{
	const char	*c1, *c2;
	char		*id, *role, q[QUOTE_MAX];

	if ((c1 = strchr(spec, ':')) == NULL) {
		seterr(err, errsz, "participant %s: expected ID:ROLE[:NAME]",
		    quote(q, spec));
		return -1;
	}
	c2 = strchr(c1 + 1, ':');
	id = text_dupn(spec, (size_t)(c1 - spec));
	role = c2 != NULL ? text_dupn(c1 + 1, (size_t)(c2 - c1 - 1)) :
	    xstrdup(c1 + 1);
	schedule_appt_member(a, id, role, c2 != NULL && c2[1] != '\0' ?
	    c2 + 1 : NULL);
	free(id);
	free(role);
	return 0;
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
 * Booking
 */

#define SCHEDULE_MEMBERS_MAX	256	/* per appointment */

static int
cmp_appt(const void *x, const void *y)
{
	const struct schedule_appt *a = *(const struct schedule_appt *const *)x;
	const struct schedule_appt *b = *(const struct schedule_appt *const *)y;
	int	 c;

	if ((c = strcmp(a->appt, b->appt)) != 0)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* Check one entry; room lowercased in place.  Errors go to b. */
static void
validate_appt(struct schedule_batch *b, struct schedule_appt *a)
{
	struct schedule_member	*m;
	char			 err[256], q[QUOTE_MAX];
	size_t			 j, k;

	if (check_text("appointment id", a->appt, SCHEDULE_FIELD_MAX, 0, err,
	    sizeof(err)) == -1) {
		schedule_batch_error(b, a->line, "%s", err);
		return;
	}
	if (a->cancel)
		return;
	quote(q, a->appt);
	if (room_normalize(a->room, err, sizeof(err)) == -1)
		schedule_batch_error(b, a->line, "appointment %s: %s", q, err);
	if (a->start_ms < 0 || a->start_ms >= MS_MAX)
		schedule_batch_error(b, a->line, "appointment %s: start: "
		    "missing or out of range", q);
	if (a->has_minutes && !(a->minutes > 0 &&
	    a->minutes <= SCHEDULE_MINUTES_MAX))
		schedule_batch_error(b, a->line, "appointment %s: minutes: "
		    "must be more than 0 and at most %d", q,
		    SCHEDULE_MINUTES_MAX);
	if (a->nmembers > SCHEDULE_MEMBERS_MAX) {
		schedule_batch_error(b, a->line, "appointment %s: more than "
		    "%d participants", q, SCHEDULE_MEMBERS_MAX);
		return;
	}
	for (j = 0; j < a->nmembers; j++) {
		m = &a->members[j];
		if (check_text("participant id", m->id, SCHEDULE_FIELD_MAX,
		    0, err, sizeof(err)) == -1 ||
		    check_text("participant role", m->role,
		    SCHEDULE_FIELD_MAX, 0, err, sizeof(err)) == -1 ||
		    (m->name != NULL && check_text("participant name",
		    m->name, SCHEDULE_FIELD_MAX, TEXT_SPACES, err,
		    sizeof(err)) == -1)) {
			schedule_batch_error(b, a->line, "appointment %s: %s",
			    q, err);
			continue;
		}
		for (k = 0; k < j; k++)
			if (strcmp(a->members[k].id, m->id) == 0) {
				schedule_batch_error(b, a->line,
				    "appointment %s: participant %s listed "
				    "twice", q, quote(err, m->id));
				break;
			}
	}
}

/*
 * Check every entry, then look for an appointment given twice (sorted,
 * so a large import stays n log n).
 */
static void
validate(struct schedule_batch *b)
{
	struct schedule_appt	**v;
	size_t			 i, n = 0;
	char			 q[QUOTE_MAX];

	for (i = 0; i < b->nappts; i++)
		validate_appt(b, &b->appts[i]);
	v = xreallocarray(NULL, b->nappts + 1, sizeof(*v));
	for (i = 0; i < b->nappts; i++)
		if (b->appts[i].appt != NULL)
			v[n++] = &b->appts[i];
	qsort(v, n, sizeof(*v), cmp_appt);
	for (i = 1; i < n; i++)
		if (strcmp(v[i - 1]->appt, v[i]->appt) == 0) {
			if (v[i - 1]->line > 0)
				schedule_batch_error(b, v[i]->line,
				    "appointment %s: also at line %d",
				    quote(q, v[i]->appt), v[i - 1]->line);
			else
				schedule_batch_error(b, v[i]->line,
				    "appointment %s: given twice",
				    quote(q, v[i]->appt));
		}
	free(v);
}

static const char sql_default_duration[] =
	"SELECT default_duration FROM meeting_settings WHERE id = 1";

/* meeting_settings.default_duration, or its default; -1 on error. */
static int
default_minutes(struct db *db, double *minutes)
{
	struct db_settings	 def;
	sqlite3_stmt		*st;
	int			 rc;

	db_settings_defaults(&def);
	*minutes = def.default_duration;
	if ((st = stmt(db, sql_default_duration, "")) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*minutes = sqlite3_column_double(st, 0);
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
    double minutes, const char *now)
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
	double			 minutes;
	size_t			 i;

	b->added = b->updated = b->cancelled = 0;
	validate(b);
	if (b->nerrs > 0)
		return -1;
	event_iso8601(now_ms, now, sizeof(now));
	db_clear_error(db);
	if (db_exec(db, sql_begin) == -1)
		goto fail;
	what = "reading default_duration";
	if (default_minutes(db, &minutes) == -1)
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
		if (put(db, b, a, minutes, now) == -1)
			goto fail;
	}
	if (b->nerrs > 0) {
		rollback(db);
		b->added = b->updated = b->cancelled = 0;
		return -1;
	}
	what = "COMMIT";
	if (db_exec(db, sql_commit) == -1)
		goto fail;
	return 0;
fail:
	dberr(db, what, err, sizeof(err));
	schedule_batch_error(b, 0, "%s", err);
	rollback(db);
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

	if (check_text("appointment id", appt, SCHEDULE_FIELD_MAX, 0, err,
	    errsz) == -1 || (reason != NULL && check_text("reason", reason,
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
	what = "COMMIT";
	if (db_exec(db, sql_commit) == -1)
		goto fail;
	return 0;
fail:
	dberr(db, what, err, errsz);
	rollback(db);
	return -1;
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

static const char *
type_name(char type)
{
	return type == 'i' ? "int" : type == 'r' ? "real" : "text";
}

struct report_rows *
schedule_settings(struct db *db, char *err, size_t errsz)
{
	static const char *const cols[] = { "setting", "type", "value",
	    "help" };
	const struct db_setting_col *c;
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
	 * db_setting_cols alone; a column the row lacks shows as NULL.
	 */
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		stmt_end(db, st, rc);
		dberr(db, "reading meeting_settings", err, errsz);
		return NULL;
	}
	r = rows_new(cols, 4);
	n = sqlite3_column_count(st);
	for (c = db_setting_cols; c->name != NULL; c++) {
		row = rows_push(r);
		row[0].type = row[1].type = row[3].type = REPORT_TEXT;
		row[0].text = xstrdup(c->name);
		row[1].text = xstrdup(type_name(c->type));
		row[3].text = xstrdup(c->help != NULL ? c->help : "");
		for (i = 0; rc == SQLITE_ROW && i < n; i++)
			if (strcmp(sqlite3_column_name(st, i), c->name) == 0) {
				report_cell_set(&row[2], st, i);
				break;
			}
		/*
		 * JSON follows the declared type: the migration made some
		 * REAL settings INTEGER columns, which hold 60, not 60.0.
		 */
		if (row[2].type == REPORT_INT && c->type == 'r')
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

/*
 * Split "KEY=VALUE": the column (from db_setting_cols, so its name is
 * safe to put into SQL) and the value, borrowed from kv.
 */
static const struct db_setting_col *
setting_split(const char *kv, const char **value, char *err, size_t errsz)
{
	const struct db_setting_col *c;
	const char	*eq;
	char		*key, q[QUOTE_MAX];

	if ((eq = strchr(kv, '=')) == NULL) {
		seterr(err, errsz, "%s: expected KEY=VALUE", quote(q, kv));
		return NULL;
	}
	key = text_dupn(kv, (size_t)(eq - kv));
	c = db_setting_col(key);
	if (c == NULL)
		seterr(err, errsz, "%s: no such setting (see teletrack "
		    "settings show)", quote(q, key));
	free(key);
	*value = eq + 1;
	return c;
}

/* A plain decimal number (no sign, blanks, hex, inf or nan), or -1. */
static int
parse_number(const char *s, int integer, double *v)
{
	char	*end;

	if ((*s < '0' || *s > '9') && (integer || *s != '.'))
		return -1;
	if (strpbrk(s, "xX") != NULL || (integer && strpbrk(s, ".eE") != NULL))
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

int
schedule_setting_check(const char *kv, char *err, size_t errsz)
{
	const struct db_setting_col *c;
	const char	*value;
	char		 q[QUOTE_MAX], what[96];
	double		 v;

	if ((c = setting_split(kv, &value, err, errsz)) == NULL)
		return -1;
	switch (c->type) {
	case 'i':
		if (parse_number(value, 1, &v) == -1 || v > INT32_MAX) {
			seterr(err, errsz, "%s: %s: not a whole number from 0 "
			    "to %d", c->name, quote(q, value), INT32_MAX);
			return -1;
		}
		break;
	case 'r':
		if (parse_number(value, 0, &v) == -1 ||
		    v > SETTING_REAL_MAX) {
			seterr(err, errsz, "%s: %s: not a number from 0 to "
			    "%g", c->name, quote(q, value), SETTING_REAL_MAX);
			return -1;
		}
		break;
	default:
		/* struct db_settings holds it in c->size bytes. */
		snprintf(what, sizeof(what), "%s", c->name);
		if (check_text(what, value, c->size - 1,
		    TEXT_SPACES | TEXT_EMPTY, err, errsz) == -1)
			return -1;
		break;
	}
	return 0;
}

int
schedule_settings_set(struct db *db, char *const *kv, size_t n,
    int64_t now_ms, char *err, size_t errsz)
{
	const struct db_setting_col *c;
	sqlite3_stmt	*st = NULL;
	const char	*value, *what = "BEGIN";
	char		*sql, now[32];
	double		 v;
	size_t		 i;
	int		 rc;

	for (i = 0; i < n; i++)
		if (schedule_setting_check(kv[i], err, errsz) == -1)
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
		c = setting_split(kv[i], &value, err, errsz);
		what = c->name;
		/*
		 * Not db_prepare(): its cache is keyed by the SQL's address
		 * and holds 32 statements, fewer than the columns.
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
		case 'i':
			(void)parse_number(value, 1, &v);
			rc = sqlite3_bind_int64(st, 1, (int64_t)v);
			break;
		case 'r':
			(void)parse_number(value, 0, &v);
			rc = sqlite3_bind_double(st, 1, v);
			break;
		default:
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
	what = "COMMIT";
	if (db_exec(db, sql_commit) == -1)
		goto fail;
	return 0;
fail:
	dberr(db, what, err, errsz);
	sqlite3_finalize(st);
	rollback(db);
	return -1;
}
