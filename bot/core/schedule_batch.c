/*
 * A batch of appointments to book, before any database sees it: the
 * `schedule add` arguments or an import file (schedule_import.c) parsed
 * into struct schedule_batch, and every check of what a user typed or a
 * file held (schedule_batch_validate()).  Pure: no SQLite, no printing;
 * problems are collected in the batch as complete messages, every one of
 * them rather than the first, so an import reports each bad row at once.
 * storage/schedule.c writes a batch that passed, in one transaction.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "schedule_batch.h"
#include "text.h"
#include "xmalloc.h"

#define QUOTE_MAX	48	/* of user text in messages */

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
 * Parsing values
 */

int
schedule_parse_time(const char *s, int64_t *ms, char *err, size_t errsz)
{
	struct tm	 tm, back;
	const char	*p;
	char		 buf[40], q[QUOTE_MAX];
	long		 off = 0;
	int		 frac = 0, scale = 100, zone = 0;
	time_t		 t;
	size_t		 len = strlen(s), i;

	/*
	 * strptime() does the fields; the shape is checked here, since it
	 * skips blanks and takes one-digit fields: "YYYY-MM-DD" is 10
	 * bytes, "HH:MM" 5, ":SS" 3, and blanks only separate the date.
	 */
	if (len < 16 || len >= sizeof(buf))
		goto bad;
	memcpy(buf, s, len + 1);
	for (i = 0; i < len; i++) {
		if (i != 10 && isspace((unsigned char)buf[i]))
			goto bad;
		if (buf[i] == 't' || buf[i] == 'z')
			buf[i] = (char)toupper((unsigned char)buf[i]);
	}
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(buf, "%Y-%m-%d", &tm)) != buf + 10 ||
	    (*p != 'T' && *p != ' ') ||
	    (p = strptime(p + 1, "%H:%M", &tm)) != buf + 16)
		goto bad;
	if (*p == ':') {
		if (strptime(p + 1, "%S", &tm) != p + 3)
			goto bad;
		p += 3;
		if (*p == '.' || *p == ',') {
			/* Milliseconds are kept; finer digits dropped. */
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			for (p++; isdigit((unsigned char)*p); p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z' || *p == '+' || *p == '-') {
		/* %z: Z, +HH, +HHMM or +HH:MM (glibc) */
		struct tm	 z;

		memset(&z, 0, sizeof(z));
		if ((p = strptime(p, "%z", &z)) == NULL ||
		    labs(z.tm_gmtoff) >= 24 * 3600)
			goto bad;
		off = z.tm_gmtoff;
		zone = 1;
	}
	if (*p != '\0')
		goto bad;
	if (!zone && buf[10] != ' ') {
		seterr(err, errsz, "start %s: no time zone: add Z or an "
		    "offset such as +01:00, or write \"YYYY-MM-DD HH:MM\" "
		    "for UTC", quote(q, s));
		return -1;
	}
	/*
	 * timegm() normalises (February 30 becomes March 2): a date that
	 * does not come back the same did not exist.
	 */
	back = tm;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
	    tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		goto bad;
	if (t - off < 0 || (t - off) * 1000LL >= SCHEDULE_MS_MAX) {
		seterr(err, errsz, "start %s: out of range", quote(q, s));
		return -1;
	}
	*ms = (int64_t)(t - off) * 1000 + frac;
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
 * Checking
 */

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

	if (text_check("room", room, SCHEDULE_ROOM_MAX, 0, err, errsz) == -1)
		return -1;
	if ((p = strpbrk(room, "\"&'/:<>@")) != NULL) {
		seterr(err, errsz, "room: '%c' cannot appear in a Jitsi "
		    "room name", *p);
		return -1;
	}
	text_lower(room);
	return 0;
}


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

	if (text_check("appointment id", a->appt, SCHEDULE_FIELD_MAX, 0, err,
	    sizeof(err)) == -1) {
		schedule_batch_error(b, a->line, "%s", err);
		return;
	}
	if (a->cancel)
		return;
	quote(q, a->appt);
	if (room_normalize(a->room, err, sizeof(err)) == -1)
		schedule_batch_error(b, a->line, "appointment %s: %s", q, err);
	if (a->start_ms < 0 || a->start_ms >= SCHEDULE_MS_MAX)
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
		if (text_check("participant id", m->id, SCHEDULE_FIELD_MAX,
		    0, err, sizeof(err)) == -1 ||
		    text_check("participant role", m->role,
		    SCHEDULE_FIELD_MAX, 0, err, sizeof(err)) == -1 ||
		    (m->name != NULL && text_check("participant name",
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
void
schedule_batch_validate(struct schedule_batch *b)
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
