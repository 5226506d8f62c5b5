/*
 * Reading schedule files into a struct schedule_batch: CSV with libcsv
 * (strict mode) and iCalendar with libical, which also resolves each
 * TZID against the calendar's VTIMEZONE or its built-in zones.  No
 * hand-written parser: the libraries know the quoting, folding and
 * escaping rules, we only map their fields to appointments.
 *
 * Flow: schedule_cli.c (`schedule import FILE`) -> here -> the batch ->
 * schedule_apply() in schedule.c, which checks every value and writes.
 * Nothing here touches the database, prints or logs: every problem
 * becomes "FILE:LINE: message" in the batch, and parsing goes on so one
 * run shows them all.  Files are untrusted: NUL bytes, fields over
 * CSV_FIELD_MAX bytes, records over CSV_FIELDS_MAX fields and files over
 * SCHEDULE_IMPORT_MAX bytes are refused rather than stored.
 *
 * Over 800 lines: two formats mapped to one batch, and libical opened
 * with dlopen (its symbol table is declared here) so a daemon that never
 * imports does not load it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <libical/ical.h>

#include "dlsyms.h"
#include "log.h"
#include "readfile.h"
#include "schedule_batch.h"
#include "schedule_import.h"
#include "text.h"
#include "xmalloc.h"

/*
 * libical is opened when a calendar is read, not linked: it brings ICU
 * and libstdc++ (3 MB resident) into every process that links it, the
 * daemon included, which never reads a calendar.  Each function it needs
 * is looked up once; the prototypes stay libical's (__typeof__).
 */
#define ICAL_FUNCS(X) \
	X(icalcomponent_free) \
	X(icalcomponent_get_first_component) \
	X(icalcomponent_get_first_property) \
	X(icalcomponent_get_location) \
	X(icalcomponent_get_next_component) \
	X(icalcomponent_get_next_property) \
	X(icalcomponent_get_status) \
	X(icalcomponent_get_uid) \
	X(icalcomponent_isa) \
	X(icaldurationtype_as_int) \
	X(icaldurationtype_is_bad_duration) \
	X(icalerror_set_errors_are_fatal) \
	X(icalparameter_get_cn) \
	X(icalparameter_get_role) \
	X(icalparameter_get_tzid) \
	X(icalparameter_get_xname) \
	X(icalparameter_get_xvalue) \
	X(icalparser_parse_string) \
	X(icalproperty_get_attendee) \
	X(icalproperty_get_datetime_with_component) \
	X(icalproperty_get_duration) \
	X(icalproperty_get_first_parameter) \
	X(icalproperty_get_next_parameter) \
	X(icalproperty_get_url) \
	X(icalproperty_get_x) \
	X(icalproperty_get_x_name) \
	X(icalproperty_get_xlicerror) \
	X(icaltime_as_timet_with_zone) \
	X(icaltime_is_null_time) \
	X(icaltime_is_valid_time) \
	X(icaltimezone_free_builtin_timezones)

#define ICAL(f)		(*ical_##f)
#define ICAL_PTR(f)	static __typeof__(f) *ical_##f;
ICAL_FUNCS(ICAL_PTR)
#define ICAL_SLOT(f)	(void **)&ical_##f,
static const char *const ical_names[] = { ICAL_FUNCS(DLSYMS_NAME) NULL };
static void **const ical_slots[] = { ICAL_FUNCS(ICAL_SLOT) };

/* 0 with every function found, or -1 (why, in err). */
static int
ical_open(char *err, size_t errsz)
{
	static void	*lib;

	return dlsyms_load(&lib, "libical.so.3", "iCalendar import needs "
	    "libical (Debian package libical3)", ical_names, ical_slots, err,
	    errsz);
}

#define CSV_FIELD_MAX	(64 * 1024)
#define CSV_FIELDS_MAX	256	/* per record */

/* s without leading and trailing blanks, in place. */
static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * CSV import (libcsv)
 */

enum csv_col {
	COL_APPT,
	COL_ROOM,
	COL_START,
	COL_MINUTES,
	COL_PARTICIPANTS,
	COL_CG_ID,
	COL_CG_NAME,
	COL_PT_ID,
	COL_PT_NAME,
	COL__COUNT
};

static const char *const csv_names[COL__COUNT] = {
	"appointment_id", "room", "start", "duration_minutes", "participants",
	"caregiver_id", "caregiver_name", "patient_id", "patient_name"
};

struct csv_state {
	struct schedule_batch		*b;
	const struct schedule_roles	*roles;
	int				 line;		/* being fed */
	int				 rec_line;	/* record's start */
	int				 end_line;	/* last record's end */
	int				 have_header;
	int				 stop;		/* bad header */
	int				 col[COL__COUNT]; /* index or -1 */
	size_t				 ncols;		/* in the header */
	char				**f;		/* the record */
	size_t				 nf;
	int				 too_long;	/* field index + 1 */
	int				 too_many;
};

/* libcsv's field callback: keep the field for the record callback. */
static void
csv_field_cb(void *s, size_t len, void *arg)
{
	struct csv_state	*cs = arg;

	/*
	 * The record starts on the line its first field ends on: right
	 * but for a first field quoted across lines.
	 */
	if (cs->nf == 0 && !cs->too_many)
		cs->rec_line = cs->line;
	if (cs->nf == CSV_FIELDS_MAX) {
		cs->too_many = 1;
		return;
	}
	if (cs->nf == 0)
		cs->f = xreallocarray(NULL, CSV_FIELDS_MAX, sizeof(*cs->f));
	if (len > CSV_FIELD_MAX) {
		if (cs->too_long == 0)
			cs->too_long = (int)cs->nf + 1;
		len = 0;
	}
	cs->f[cs->nf++] = text_dupn(s != NULL ? s : "", len);
}

/* Field c of the record, or NULL when absent or empty. */
static const char *
csv_get(const struct csv_state *cs, int c)
{
	int	 i = cs->col[c];

	if (i < 0 || (size_t)i >= cs->nf || cs->f[i][0] == '\0')
		return NULL;
	return cs->f[i];
}

static void
csv_header(struct csv_state *cs)
{
	struct schedule_batch	*b = cs->b;
	size_t			 j;
	int			 i;
	char			 q[64], missing[64];

	for (i = 0; i < COL__COUNT; i++)
		cs->col[i] = -1;
	for (j = 0; j < cs->nf; j++)
		for (i = 0; i < COL__COUNT; i++) {
			if (strcasecmp(trim(cs->f[j]), csv_names[i]) != 0)
				continue;
			if (cs->col[i] != -1)
				schedule_batch_error(b, cs->rec_line,
				    "header: column %s given twice",
				    csv_names[i]);
			cs->col[i] = (int)j;
		}
	cs->ncols = cs->nf;
	cs->have_header = 1;
	missing[0] = '\0';
	for (i = COL_APPT; i <= COL_START; i++)
		if (cs->col[i] == -1)
			snprintf(missing + strlen(missing), sizeof(missing) -
			    strlen(missing), "%s%s", missing[0] != '\0' ?
			    ", " : "", csv_names[i]);
	if (missing[0] != '\0') {
		schedule_batch_error(b, cs->rec_line, "header: missing "
		    "column(s) %s (the first row must name the columns: "
		    "appointment_id,room,start,...; it begins with %s)",
		    missing, cs->nf > 0 ? log_escape(q, sizeof(q), cs->f[0]) :
		    "nothing");
		cs->stop = 1;
	}
}

/* "ID:ROLE[:NAME];..." into a's roster. */
static void
csv_members(struct csv_state *cs, struct schedule_appt *a,
    const char *list)
{
	char	*copy, *seg, *next, err[256];

	copy = xstrdup(list);
	for (seg = copy; seg != NULL; seg = next) {
		if ((next = strchr(seg, ';')) != NULL)
			*next++ = '\0';
		seg = trim(seg);
		if (*seg == '\0')
			continue;
		if (schedule_parse_member(a, seg, err, sizeof(err)) == -1)
			schedule_batch_error(cs->b, cs->rec_line,
			    "participants: %s", err);
	}
	free(copy);
}

/* caregiver_id/patient_id with an optional name, as one member. */
static void
csv_shorthand(struct csv_state *cs, struct schedule_appt *a, int idcol,
    int namecol, const char *role)
{
	const char	*id = csv_get(cs, idcol), *name = csv_get(cs, namecol);

	if (id != NULL)
		schedule_appt_member(a, id, role, name);
	else if (name != NULL)
		schedule_batch_error(cs->b, cs->rec_line, "%s without %s",
		    csv_names[namecol], csv_names[idcol]);
}

static void
csv_row(struct csv_state *cs)
{
	struct schedule_batch	*b = cs->b;
	struct schedule_appt	*a;
	const char		*s;
	char			 err[256];
	size_t			 j;

	for (j = 0; j < cs->nf && cs->f[j][0] == '\0'; j++)
		;
	if (j == cs->nf)
		return;		/* ",,,": an empty row */
	for (j = cs->ncols; j < cs->nf; j++)
		if (cs->f[j][0] != '\0') {
			schedule_batch_error(b, cs->rec_line, "more fields "
			    "than the header's %zu columns", cs->ncols);
			return;
		}
	a = schedule_batch_add(b, cs->rec_line);
	a->appt = xstrdup_null(csv_get(cs, COL_APPT));
	a->room = xstrdup_null(csv_get(cs, COL_ROOM));
	if ((s = csv_get(cs, COL_START)) == NULL)
		schedule_batch_error(b, cs->rec_line, "start: missing");
	else if (schedule_parse_time(s, &a->start_ms, err, sizeof(err)) ==
	    -1)
		schedule_batch_error(b, cs->rec_line, "%s", err);
	if ((s = csv_get(cs, COL_MINUTES)) != NULL) {
		if (schedule_parse_minutes(s, &a->minutes, err, sizeof(err)) ==
		    -1)
			schedule_batch_error(b, cs->rec_line, "%s", err);
		else
			a->has_minutes = 1;
	}
	csv_shorthand(cs, a, COL_CG_ID, COL_CG_NAME, cs->roles->caregiver);
	csv_shorthand(cs, a, COL_PT_ID, COL_PT_NAME, cs->roles->patient);
	if ((s = csv_get(cs, COL_PARTICIPANTS)) != NULL)
		csv_members(cs, a, s);
}

/* libcsv's record callback. */
static void
csv_record_cb(int c, void *arg)
{
	struct csv_state	*cs = arg;
	size_t			 j;

	(void)c;
	cs->end_line = cs->line;
	if (cs->nf == 0 && !cs->too_many)
		return;
	if (cs->stop)
		;
	else if (cs->too_many)
		schedule_batch_error(cs->b, cs->rec_line, "more than %d "
		    "fields", CSV_FIELDS_MAX);
	else if (cs->too_long)
		schedule_batch_error(cs->b, cs->rec_line, "field %d: longer "
		    "than %d bytes", cs->too_long, CSV_FIELD_MAX);
	else if (!cs->have_header)
		csv_header(cs);
	else
		csv_row(cs);
	if (!cs->have_header && (cs->too_many || cs->too_long))
		cs->stop = 1;	/* without a header no row means anything */
	for (j = 0; j < cs->nf; j++)
		free(cs->f[j]);
	free(cs->f);
	cs->f = NULL;
	cs->nf = 0;
	cs->too_long = cs->too_many = 0;
}

void
schedule_import_csv(struct schedule_batch *b, const char *buf, size_t len,
    const struct schedule_roles *roles)
{
	struct csv_parser	 p;
	struct csv_state	 cs;
	const char		*nl;
	size_t			 off, n;
	size_t			 before = b->nerrs;

	if (memchr(buf, '\0', len) != NULL) {
		schedule_batch_error(b, 0, "contains NUL bytes: not a text "
		    "file");
		return;
	}
	memset(&cs, 0, sizeof(cs));
	cs.b = b;
	cs.roles = roles;
	cs.line = 1;
	/*
	 * Strict: a stray quote is an error rather than data, and so is a
	 * quoted field still open at the end of the file.
	 */
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		fatalx("%s: csv_init failed", __func__);
	/*
	 * Line by line, so cs.line is the line a callback's data ends on.
	 * Without a usable header no row means anything: stop there.
	 */
	for (off = 0; off < len && !cs.stop; off += n) {
		nl = memchr(buf + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (buf + off)) + 1 : len - off;
		if (csv_parse(&p, buf + off, n, csv_field_cb, csv_record_cb,
		    &cs) != n) {
			schedule_batch_error(b, cs.line, "malformed CSV: %s",
			    csv_strerror(csv_error(&p)));
			goto done;
		}
		if (nl != NULL)
			cs.line++;
	}
	/*
	 * A quoted field still open at the end: the record began after the
	 * last one that ended (blank lines aside).
	 */
	if (!cs.stop && csv_fini(&p, csv_field_cb, csv_record_cb, &cs) != 0)
		schedule_batch_error(b, cs.end_line + 1, "malformed CSV: a "
		    "quoted field never ends");
	if (!cs.have_header && b->nerrs == before)
		schedule_batch_error(b, 0, "empty: the first row must name the "
		    "columns (appointment_id,room,start,...)");
done:
	csv_free(&p);
	for (n = 0; n < cs.nf; n++)
		free(cs.f[n]);
	free(cs.f);
}

/*
 * iCalendar import (libical)
 */

/*
 * The line numbers of "BEGIN:VEVENT" in buf, in order, so messages can
 * point at an event; libical keeps no positions.  The caller frees.
 */
static int *
vevent_lines(const char *buf, size_t len, size_t *n)
{
	static const char begin[] = "BEGIN:VEVENT";
	int		*v = NULL;
	size_t		 off, cap = 0, raw, l;
	const char	*nl;
	int		 line = 1;

	*n = 0;
	for (off = 0; off < len; off += raw + 1, line++) {
		nl = memchr(buf + off, '\n', len - off);
		raw = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
		/* CRLF (RFC 5545) and trailing blanks. */
		l = raw;
		while (l > 0 && (buf[off + l - 1] == '\r' ||
		    buf[off + l - 1] == ' ' || buf[off + l - 1] == '\t'))
			l--;
		if (l == sizeof(begin) - 1 &&
		    strncasecmp(buf + off, begin, l) == 0) {
			if (*n == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[(*n)++] = line;
		}
		if (nl == NULL)
			break;
	}
	return v;
}

/* Record each X-LIC-ERROR (libical's parse errors) of comp. */
static void
ics_lic_errors(struct schedule_batch *b, icalcomponent *comp, int line,
    const char *where)
{
	icalproperty	*p;
	const char	*msg;
	char		 esc[256];

	for (p = ICAL(icalcomponent_get_first_property)(comp,
	    ICAL_XLICERROR_PROPERTY); p != NULL;
	    p = ICAL(icalcomponent_get_next_property)(comp,
	    ICAL_XLICERROR_PROPERTY)) {
		msg = ICAL(icalproperty_get_xlicerror)(p);
		schedule_batch_error(b, line, "%s%s", where,
		    log_escape(esc, sizeof(esc), msg != NULL ? msg : "?"));
	}
}

/* The first x-property named name (e.g. X-JITSI-ROOM), or NULL. */
static const char *
ics_x_property(icalcomponent *ev, const char *name)
{
	icalproperty	*p;
	const char	*x;

	for (p = ICAL(icalcomponent_get_first_property)(ev, ICAL_X_PROPERTY);
	    p != NULL; p = ICAL(icalcomponent_get_next_property)(ev,
	    ICAL_X_PROPERTY))
		if ((x = ICAL(icalproperty_get_x_name)(p)) != NULL &&
		    strcasecmp(x, name) == 0)
			return ICAL(icalproperty_get_x)(p);
	return NULL;
}

/* The first x-parameter of p named name, or NULL. */
static const char *
ics_x_param(icalproperty *p, const char *name)
{
	icalparameter	*par;
	const char	*x;

	for (par = ICAL(icalproperty_get_first_parameter)(p, ICAL_X_PARAMETER);
	    par != NULL; par = ICAL(icalproperty_get_next_parameter)(p,
	    ICAL_X_PARAMETER))
		if ((x = ICAL(icalparameter_get_xname)(par)) != NULL &&
		    strcasecmp(x, name) == 0)
			return ICAL(icalparameter_get_xvalue)(par);
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * When s is a URL ("scheme://host/path"), set *room to the last
 * segment of its path, percent-decoded (NULL when the path is empty)
 * and return 1: "https://meet.example.com/Clinic42?jwt=..." books
 * "Clinic42".  Otherwise return 0.
 */
static int
url_room(const char *s, char **room)
{
	const char	*p = s, *path, *end, *seg;
	char		*r;
	size_t		 o = 0;
	int		 h, l;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return 0;
	p += 3;
	path = p + strcspn(p, "/?#");
	end = path + strcspn(path, "?#");
	while (end > path && end[-1] == '/')
		end--;
	for (seg = end; seg > path && seg[-1] != '/'; seg--)
		;
	*room = NULL;
	if (seg == end)
		return 1;
	r = xmalloc((size_t)(end - seg) + 1);
	for (p = seg; p < end; p++) {
		/* %00 stays as it is: a NUL would cut the name short. */
		if (*p == '%' && end - p >= 3 &&
		    (h = hexval((unsigned char)p[1])) != -1 &&
		    (l = hexval((unsigned char)p[2])) != -1 &&
		    (h != 0 || l != 0)) {
			r[o++] = (char)(h << 4 | l);
			p += 2;
		} else
			r[o++] = *p;
	}
	r[o] = '\0';
	*room = r;
	return 1;
}

/*
 * A DTSTART or DTEND as seconds since the epoch: in its TZID's zone (the
 * calendar's VTIMEZONE, else libical's built-in zone of that name), in
 * UTC with 'Z', and floating times read as UTC.  Returns 0, or -1 with
 * a message in err.
 */
static int
ics_time(icalproperty *p, icalcomponent *ev, const char *what,
    int64_t *t, char *err, size_t errsz)
{
	struct icaltimetype	 tt;
	icalparameter		*tzid;
	char			 esc[64];

	tt = ICAL(icalproperty_get_datetime_with_component)(p, ev);
	if (ICAL(icaltime_is_null_time)(tt) || !ICAL(icaltime_is_valid_time)(tt)) {
		snprintf(err, errsz, "%s: not a date-time", what);
		return -1;
	}
	if (tt.is_date) {
		snprintf(err, errsz, "%s: a date without a time (an all-day "
		    "event has no start)", what);
		return -1;
	}
	tzid = ICAL(icalproperty_get_first_parameter)(p, ICAL_TZID_PARAMETER);
	if (tzid != NULL && tt.zone == NULL) {
		snprintf(err, errsz, "%s: unknown TZID %s (no VTIMEZONE for "
		    "it in the file)", what, log_escape(esc, sizeof(esc),
		    ICAL(icalparameter_get_tzid)(tzid)));
		return -1;
	}
	/* The zone argument is tt's own zone: convert from it to UTC. */
	*t = (int64_t)ICAL(icaltime_as_timet_with_zone)(tt, tt.zone);
	return 0;
}

/* The roster entry of an ATTENDEE; skipped for ROLE=NON-PARTICIPANT. */
static void
ics_attendee(struct schedule_batch *b, struct schedule_appt *a,
    icalproperty *p, const struct schedule_roles *roles, int line,
    int ev_n)
{
	icalparameter	*par;
	const char	*id, *role, *name = NULL, *v;

	v = ICAL(icalproperty_get_attendee)(p);
	if ((id = ics_x_param(p, "X-TELETRACK-ID")) == NULL) {
		if (v == NULL) {
			schedule_batch_error(b, line, "VEVENT %d: an ATTENDEE "
			    "without an address", ev_n);
			return;
		}
		id = strncasecmp(v, "mailto:", 7) == 0 ? v + 7 : v;
	}
	if ((par = ICAL(icalproperty_get_first_parameter)(p, ICAL_CN_PARAMETER)) !=
	    NULL)
		name = ICAL(icalparameter_get_cn)(par);
	if ((role = ics_x_param(p, "X-TELETRACK-ROLE")) == NULL) {
		par = ICAL(icalproperty_get_first_parameter)(p, ICAL_ROLE_PARAMETER);
		/* RFC 5545: ROLE defaults to REQ-PARTICIPANT. */
		switch (par != NULL ? ICAL(icalparameter_get_role)(par) :
		    ICAL_ROLE_REQPARTICIPANT) {
		case ICAL_ROLE_CHAIR:
			role = roles->caregiver;
			break;
		case ICAL_ROLE_REQPARTICIPANT:
			role = roles->patient;
			break;
		case ICAL_ROLE_OPTPARTICIPANT:
			role = "participant";
			break;
		case ICAL_ROLE_NONPARTICIPANT:
			return;		/* copied for information only */
		default:
			schedule_batch_error(b, line, "VEVENT %d: ATTENDEE "
			    "with an unknown ROLE: add X-TELETRACK-ROLE",
			    ev_n);
			return;
		}
	}
	schedule_appt_member(a, id, role, name != NULL && *name != '\0' ?
	    name : NULL);
}

/* One VEVENT (number ev_n, at line, 0 when unknown) into b. */
static void
ics_event(struct schedule_batch *b, icalcomponent *ev, int ev_n, int line,
    const struct schedule_roles *roles)
{
	struct schedule_appt	*a;
	struct icaldurationtype	 dur;
	icalproperty		*p, *pend, *pdur;
	const char		*uid, *loc, *x;
	char			 err[256], where[32];
	int64_t			 start, end;
	int			 ok = 1;

	snprintf(where, sizeof(where), "VEVENT %d: ", ev_n);
	ics_lic_errors(b, ev, line, where);
	if ((uid = ICAL(icalcomponent_get_uid)(ev)) == NULL || *uid == '\0') {
		schedule_batch_error(b, line, "%sno UID (the appointment id)",
		    where);
		return;
	}
	if (ICAL(icalcomponent_get_first_property)(ev, ICAL_RRULE_PROPERTY) !=
	    NULL || ICAL(icalcomponent_get_first_property)(ev,
	    ICAL_RDATE_PROPERTY) != NULL || ICAL(icalcomponent_get_first_property)(ev,
	    ICAL_RECURRENCEID_PROPERTY) != NULL) {
		/* Occurrences share the UID, and the UID is the booking. */
		schedule_batch_error(b, line, "%srecurring events are not "
		    "supported: export each occurrence with its own UID",
		    where);
		return;
	}
	a = schedule_batch_add(b, line);
	a->appt = xstrdup(uid);
	if (ICAL(icalcomponent_get_status)(ev) == ICAL_STATUS_CANCELLED) {
		a->cancel = 1;
		return;
	}

	if ((p = ICAL(icalcomponent_get_first_property)(ev, ICAL_DTSTART_PROPERTY)) ==
	    NULL) {
		schedule_batch_error(b, line, "%sno DTSTART", where);
		ok = 0;
	} else if (ics_time(p, ev, "DTSTART", &start, err, sizeof(err)) ==
	    -1) {
		schedule_batch_error(b, line, "%s%s", where, err);
		ok = 0;
	} else if (start < 0 || start > INT64_MAX / 1000) {
		schedule_batch_error(b, line, "%sDTSTART out of range", where);
		ok = 0;
	} else
		a->start_ms = start * 1000;

	pend = ICAL(icalcomponent_get_first_property)(ev, ICAL_DTEND_PROPERTY);
	pdur = ICAL(icalcomponent_get_first_property)(ev, ICAL_DURATION_PROPERTY);
	if (pend != NULL && pdur != NULL)
		schedule_batch_error(b, line, "%sboth DTEND and DURATION",
		    where);
	else if (pdur != NULL) {
		dur = ICAL(icalproperty_get_duration)(pdur);
		if (dur.is_neg || ICAL(icaldurationtype_is_bad_duration)(dur))
			schedule_batch_error(b, line, "%sDURATION: not a "
			    "positive duration", where);
		else {
			a->minutes = ICAL(icaldurationtype_as_int)(dur) / 60.0;
			a->has_minutes = 1;
		}
	} else if (pend != NULL && ok) {
		if (ics_time(pend, ev, "DTEND", &end, err, sizeof(err)) == -1)
			schedule_batch_error(b, line, "%s%s", where, err);
		else {
			a->minutes = (double)(end - start) / 60.0;
			a->has_minutes = 1;
		}
	}

	/* Room: X-JITSI-ROOM, a meeting URL, else the plain LOCATION. */
	loc = ICAL(icalcomponent_get_location)(ev);
	if ((x = ics_x_property(ev, "X-JITSI-ROOM")) != NULL)
		a->room = xstrdup(x);
	else if (loc != NULL && url_room(loc, &a->room))
		;
	else if ((p = ICAL(icalcomponent_get_first_property)(ev,
	    ICAL_URL_PROPERTY)) != NULL && (x = ICAL(icalproperty_get_url)(p)) !=
	    NULL && url_room(x, &a->room))
		;
	else if (loc != NULL)
		a->room = xstrdup(loc);

	for (p = ICAL(icalcomponent_get_first_property)(ev, ICAL_ATTENDEE_PROPERTY);
	    p != NULL; p = ICAL(icalcomponent_get_next_property)(ev,
	    ICAL_ATTENDEE_PROPERTY))
		ics_attendee(b, a, p, roles, line, ev_n);
}

/* The VEVENTs of one VCALENDAR; *ev_n counts them across calendars. */
static void
ics_calendar(struct schedule_batch *b, icalcomponent *cal,
    const int *lines, size_t nlines, int *ev_n,
    const struct schedule_roles *roles)
{
	icalcomponent	*c;

	ics_lic_errors(b, cal, 0, "");
	for (c = ICAL(icalcomponent_get_first_component)(cal,
	    ICAL_VTIMEZONE_COMPONENT); c != NULL;
	    c = ICAL(icalcomponent_get_next_component)(cal,
	    ICAL_VTIMEZONE_COMPONENT))
		ics_lic_errors(b, c, 0, "VTIMEZONE: ");
	for (c = ICAL(icalcomponent_get_first_component)(cal,
	    ICAL_VEVENT_COMPONENT); c != NULL;
	    c = ICAL(icalcomponent_get_next_component)(cal,
	    ICAL_VEVENT_COMPONENT)) {
		(*ev_n)++;
		ics_event(b, c, *ev_n, (size_t)*ev_n <= nlines ?
		    lines[*ev_n - 1] : 0, roles);
	}
}

void
schedule_import_ics(struct schedule_batch *b, const char *buf, size_t len,
    const struct schedule_roles *roles)
{
	icalcomponent	*root, *c;
	char		*text;
	int		*lines;
	size_t		 nlines;
	int		 ev_n = 0;
	char		 err[512];

	if (memchr(buf, '\0', len) != NULL) {
		schedule_batch_error(b, 0, "contains NUL bytes: not a text "
		    "file");
		return;
	}
	if (ical_open(err, sizeof(err)) == -1) {
		schedule_batch_error(b, 0, "%s", err);
		return;
	}
	/* Some builds abort on the first error unless told otherwise. */
	ICAL(icalerror_set_errors_are_fatal)(0);
	text = text_dupn(buf, len);
	root = ICAL(icalparser_parse_string)(text);
	free(text);
	lines = vevent_lines(buf, len, &nlines);
	if (root == NULL)
		schedule_batch_error(b, 0, "not an iCalendar file (no "
		    "BEGIN:VCALENDAR ... END:VCALENDAR)");
	else if (ICAL(icalcomponent_isa)(root) == ICAL_VCALENDAR_COMPONENT)
		ics_calendar(b, root, lines, nlines, &ev_n, roles);
	else if (ICAL(icalcomponent_isa)(root) == ICAL_XROOT_COMPONENT)
		for (c = ICAL(icalcomponent_get_first_component)(root,
		    ICAL_VCALENDAR_COMPONENT); c != NULL;
		    c = ICAL(icalcomponent_get_next_component)(root,
		    ICAL_VCALENDAR_COMPONENT))
			ics_calendar(b, c, lines, nlines, &ev_n, roles);
	else
		schedule_batch_error(b, 0, "not an iCalendar file (no "
		    "VCALENDAR)");
	if (root != NULL && ev_n == 0 && b->nerrs == 0)
		schedule_batch_error(b, 0, "no VEVENT in the calendar");
	/*
	 * If libical's VEVENTs and the BEGIN:VEVENT lines disagree (a
	 * VEVENT outside a calendar, say), the line numbers could point at
	 * the wrong event: say so rather than mislead.
	 */
	if ((size_t)ev_n != nlines && b->nerrs > 0)
		schedule_batch_error(b, 0, "(line numbers above may be off: "
		    "the file has %zu BEGIN:VEVENT lines, %d events parsed)",
		    nlines, ev_n);
	ICAL(icalcomponent_free)(root);
	/* Built-in zones are cached globally; free them with the run. */
	ICAL(icaltimezone_free_builtin_timezones)();
	free(lines);
}

/* *name ends with ext, case aside. */
static int
has_ext(const char *name, const char *ext)
{
	size_t	 n = strlen(name), e = strlen(ext);

	return n > e && strcasecmp(name + n - e, ext) == 0;
}

void
schedule_import_file(struct schedule_batch *b, const char *path,
    const struct schedule_roles *roles)
{
	char		*buf;
	const char	*p;
	size_t		 len;
	int		 ics;

	if ((buf = read_file(path, SCHEDULE_IMPORT_MAX, 0, &len)) == NULL) {
		if (errno == EFBIG)
			schedule_batch_error(b, 0, "larger than %d MiB",
			    SCHEDULE_IMPORT_MAX / (1024 * 1024));
		else
			schedule_batch_error(b, 0, "%s", strerror(errno));
		return;
	}
	/* A UTF-8 byte order mark (spreadsheets write one) is not data. */
	p = buf;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if (has_ext(path, ".csv"))
		ics = 0;
	else if (has_ext(path, ".ics") || has_ext(path, ".ical"))
		ics = 1;
	else {
		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		ics = len >= 15 && strncasecmp(p, "BEGIN:VCALENDAR", 15) == 0;
	}
	if (ics)
		schedule_import_ics(b, p, len, roles);
	else
		schedule_import_csv(b, p, len, roles);
	free(buf);
}
