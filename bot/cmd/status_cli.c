/*
 * `teletrack status`: is the daemon healthy?  A command at the end of
 * the flow, like `report`, but it reads no database: the daemon rewrites
 * a small JSON status file (status.c: atomically, about once a second and
 * at every connection change) next to its database, and this reads it.  The file's
 * keys are listed in teletrack(8), STATUS FILE.
 *
 * Healthy means: the file was rewritten in the last STATUS_STALE_MS (else
 * the daemon is hung or gone), the XMPP session is up, no event was
 * dropped, and no event has waited more than STATUS_HELD_MS for a
 * database that refuses it.  The exit status says it (0 healthy, 1 not,
 * 2 no file or usage), so it serves as a container HEALTHCHECK or a
 * monitoring probe; the text says why.
 *
 * Parsing (jansson) and judging are pure functions of the text and the
 * clock, so tests/test_status.c runs them on fixture files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "readfile.h"
#include "status.h"
#include "status_cli.h"
#include "xmalloc.h"

#define STATUS_DEFAULT	"/var/lib/teletrack/teletrack.status"
#define STATUS_MAX	(1024 * 1024)	/* a status file is < 2 kB */

/* "2026-12-01T10:05:00.123Z" (milliseconds optional) -> ms, or -1. */
static int64_t
parse_time(const char *s)
{
	struct tm	 tm;
	const char	*p;
	int64_t		 ms = 0;
	int		 digits = 0;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static long long
get_int(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static int64_t
get_time(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? parse_time(json_string_value(v)) : -1;
}

/* The events recorded, from the per-type counts: their sum, or -1. */
static long long
sum_counts(json_t *o)
{
	json_t		*types, *v;
	const char	*key;
	long long	 sum = 0;

	types = json_object_get(o, "events_by_type");
	if (!json_is_object(types))
		return -1;
	json_object_foreach(types, key, v)
		if (json_is_integer(v))
			sum += (long long)json_integer_value(v);
	return sum;
}

int
status_info_parse(const char *text, struct status_info *st, char *err,
    size_t errsz)
{
	json_error_t	 jerr;
	json_t		*o, *v;
	const char	*mode;

	memset(st, 0, sizeof(*st));
	if ((o = json_loads(text, 0, &jerr)) == NULL) {
		snprintf(err, errsz, "line %d: %s", jerr.line, jerr.text);
		return -1;
	}
	if (!json_is_object(o)) {
		snprintf(err, errsz, "not a JSON object");
		json_decref(o);
		return -1;
	}
	st->version = get_int(o, "version");
	st->pid = get_int(o, "pid");
	st->started = get_time(o, "started");
	st->updated = get_time(o, "updated");
	v = json_object_get(o, "connected");
	st->connected = json_is_boolean(v) ? json_is_true(v) : -1;
	st->connected_since = get_time(o, "connected_since");
	st->disconnected_since = get_time(o, "disconnected_since");
	/* Our own file, but print only the words we know. */
	mode = json_string_value(json_object_get(o, "mode"));
	snprintf(st->mode, sizeof(st->mode), "%s", mode != NULL &&
	    (strcmp(mode, "full") == 0 || strcmp(mode, "basic") == 0) ?
	    mode : "unknown");
	st->rooms_watched = get_int(o, "rooms_watched");
	st->rooms_joined = get_int(o, "rooms_joined");
	st->sessions_open = get_int(o, "sessions_open");
	st->participants_present = get_int(o, "participants_present");
	st->writer_queue = get_int(o, "writer_queue");
	st->events_held = get_int(o, "events_held");
	st->events_dropped = get_int(o, "events_dropped");
	st->events_written = get_int(o, "events_written");
	if (st->events_written < 0)
		st->events_written = sum_counts(o);
	st->last_commit = get_time(o, "last_commit");
	st->alerts_open = get_int(o, "alerts_open");
	json_decref(o);
	return 0;
}

/* Append "; "-separated reason text to why. */
static void
reason(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reason(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(why);

	if (n > 0 && n + 2 < whysz) {
		memcpy(why + n, "; ", 3);
		n += 2;
	}
	if (n >= whysz)
		return;
	va_start(ap, fmt);
	vsnprintf(why + n, whysz - n, fmt, ap);
	va_end(ap);
}

int
status_info_health(const struct status_info *st, int64_t now, char *why,
    size_t whysz)
{
	int64_t	 since;

	if (whysz > 0)
		why[0] = '\0';
	if (st->updated < 0)
		reason(why, whysz, "no update time in the status file");
	else if (now - st->updated > STATUS_STALE_MS)
		reason(why, whysz, "stale: last update %lld s ago (daemon hung "
		    "or gone)", (long long)((now - st->updated) / 1000));
	if (st->connected != 1)
		reason(why, whysz, "XMPP disconnected");
	if (st->events_dropped > 0)
		reason(why, whysz, "%lld event(s) dropped", st->events_dropped);
	if (st->events_held > 0) {
		/* Held since the last commit went through (or the start). */
		since = st->last_commit >= 0 ? st->last_commit : st->started;
		if (since < 0 || now - since > STATUS_HELD_MS)
			reason(why, whysz, "%lld event(s) held: the database "
			    "refuses them", st->events_held);
	}
	return why[0] == '\0' ? 0 : 1;
}

/* "2026-12-01T10:00:01.000Z (5 min ago)", or "-" for -1. */
static const char *
when(char *buf, size_t bufsz, int64_t t, int64_t now)
{
	time_t		 secs;
	struct tm	 tm;
	char		 stamp[32];
	int64_t		 ago;

	if (t < 0)
		return "-";
	secs = (time_t)(t / 1000);
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	ago = (now - t) / 1000;
	if (ago < 0)
		snprintf(buf, bufsz, "%s.%03dZ", stamp,
		    (int)(t % 1000));
	else if (ago < 120)
		snprintf(buf, bufsz, "%s.%03dZ (%lld s ago)", stamp,
		    (int)(t % 1000), (long long)ago);
	else if (ago < 7200)
		snprintf(buf, bufsz, "%s.%03dZ (%lld min ago)", stamp,
		    (int)(t % 1000), (long long)(ago / 60));
	else
		snprintf(buf, bufsz, "%s.%03dZ (%lld h ago)", stamp,
		    (int)(t % 1000), (long long)(ago / 3600));
	return buf;
}

/* A count, or "-" when the daemon did not write it. */
static const char *
num(char *buf, size_t bufsz, long long n)
{
	if (n < 0)
		return "-";
	snprintf(buf, bufsz, "%lld", n);
	return buf;
}

void
status_info_print(FILE *fp, const struct status_info *st, int64_t now)
{
	char	 why[512], t[64], a[24], b[24], c[24], d[24];

	if (status_info_health(st, now, why, sizeof(why)) == 0)
		fprintf(fp, "teletrack: healthy\n");
	else
		fprintf(fp, "teletrack: unhealthy: %s\n", why);
	fprintf(fp, "  pid            %s, started %s\n",
	    num(a, sizeof(a), st->pid), when(t, sizeof(t), st->started, now));
	fprintf(fp, "  updated        %s\n",
	    when(t, sizeof(t), st->updated, now));
	if (st->connected == 1)
		fprintf(fp, "  connected      yes, since %s\n",
		    when(t, sizeof(t), st->connected_since, now));
	else
		fprintf(fp, "  connected      no, since %s\n",
		    when(t, sizeof(t), st->disconnected_since, now));
	fprintf(fp, "  mode           %s\n", st->mode);
	fprintf(fp, "  rooms          %s joined of %s watched\n",
	    num(a, sizeof(a), st->rooms_joined),
	    num(b, sizeof(b), st->rooms_watched));
	fprintf(fp, "  sessions open  %s (%s participants present)\n",
	    num(a, sizeof(a), st->sessions_open),
	    num(b, sizeof(b), st->participants_present));
	fprintf(fp, "  writer queue   %s (%s held, %s dropped, %s written)\n",
	    num(a, sizeof(a), st->writer_queue),
	    num(b, sizeof(b), st->events_held),
	    num(c, sizeof(c), st->events_dropped),
	    num(d, sizeof(d), st->events_written));
	fprintf(fp, "  last commit    %s\n",
	    when(t, sizeof(t), st->last_commit, now));
	fprintf(fp, "  alerts open    %s\n", num(a, sizeof(a), st->alerts_open));
}

static int64_t
now_wall_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int
cmd_status(struct cmd *c)
{
	struct status_info	 st;
	struct config		 cfg;
	const char		*conf = c->conf, *path = NULL;
	char			*owned = NULL, *text, err[256], why[512];
	int			 i, quiet = 0, rc;
	int64_t			 now;
	json_t			*o;

	for (i = 0; i < c->nopts; i++) {
		switch (c->opts[i].ch) {
		case 'q':
			quiet = 1;
			break;
		case 's':
			path = c->opts[i].arg;
			break;
		}
	}
	/* (Not cmd_usage(): the unit test links this file without cmd.c.) */
	if (conf != NULL && path != NULL) {
		log_warnx("status: -c and -s exclude each other");
		return 2;
	}
	if (c->fmt == REPORT_FMT_CSV) {
		log_warnx("status: -f is text or json");
		return 2;
	}
	if (conf != NULL) {
		config_init(&cfg);
		rc = config_load_file(conf, &cfg);
		if (rc == 0)
			path = owned = status_path(cfg.database);
		config_free(&cfg);
		if (rc == -1 || path == NULL) {
			log_warnx("%s: configuration has errors", conf);
			return 2;
		}
	}
	if (path == NULL && (path = getenv("TELETRACK_STATUS")) == NULL)
		path = STATUS_DEFAULT;

	text = read_file(path, STATUS_MAX, READ_TRUNCATE, NULL);
	if (text == NULL) {
		if (!quiet)
			log_warn("no status file: %s (is the daemon running?)",
			    path);
		free(owned);
		return 2;
	}
	now = now_wall_ms();
	if (status_info_parse(text, &st, err, sizeof(err)) == -1) {
		/* A torn or foreign file: unhealthy, not "absent". */
		if (!quiet)
			log_warnx("%s: %s", path, err);
		free(text);
		free(owned);
		return 1;
	}
	rc = status_info_health(&st, now, why, sizeof(why));
	if (!quiet && c->fmt == REPORT_FMT_JSON) {
		o = json_pack("{s:b, s:s, s:s, s:o}", "healthy", rc == 0,
		    "problems", why, "path", path, "status",
		    json_loads(text, 0, NULL));
		if (o != NULL) {
			json_dumpf(o, c->out, JSON_INDENT(2));
			fputc('\n', c->out);
			json_decref(o);
		}
	} else if (!quiet)
		status_info_print(c->out, &st, now);
	free(text);
	free(owned);
	return rc;
}
