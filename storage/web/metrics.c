/*
 * Prometheus metrics for `teletrack serve`'s /metrics.  Two sources:
 *
 *   the database (report.c counts): sessions active and by status,
 *   participants present, open alerts by rule, events recorded by type;
 *   the same for every replica of the dashboard, true even while the
 *   daemon is down;
 *
 *   the daemon's status file (JSON it rewrites about once a second):
 *   XMPP connection, rooms, writer queue, events held and dropped, last
 *   commit age.  Fresh only while "updated" is under 10 s old; otherwise
 *   teletrack_up is 0 and these are left out rather than reported stale.
 *
 * Names follow Prometheus conventions: a teletrack_ prefix, base units
 * (seconds), _total for counters, labels for dimensions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metrics.h"

void
metrics_label(struct wbuf *b, const char *v)
{
	for (; v != NULL && *v != '\0'; v++) {
		if (*v == '\\')
			wbuf_puts(b, "\\\\");
		else if (*v == '"')
			wbuf_puts(b, "\\\"");
		else if (*v == '\n')
			wbuf_puts(b, "\\n");
		else
			wbuf_add(b, v, 1);
	}
}

static void
help(struct wbuf *b, const char *name, const char *type, const char *text)
{
	wbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name,
	    type);
}

static void
gauge(struct wbuf *b, const char *name, const char *text, double v)
{
	help(b, name, "gauge", text);
	wbuf_printf(b, "%s %.15g\n", name, v);
}

/* One labelled series per row: name{label="col"} value_col. */
static void
series(struct wbuf *b, const struct report_rows *r, const char *name,
    const char *l1, const char *c1, const char *l2, const char *c2,
    const char *vcol)
{
	const char	*v;
	size_t		 i;

	for (i = 0; r != NULL && i < r->nrows; i++) {
		wbuf_printf(b, "%s{%s=\"", name, l1);
		metrics_label(b, report_get(r, i, c1));
		if (l2 != NULL) {
			wbuf_printf(b, "\",%s=\"", l2);
			metrics_label(b, report_get(r, i, c2));
		}
		v = report_get(r, i, vcol);
		wbuf_printf(b, "\"} %s\n", v != NULL ? v : "0");
	}
}

/* A number member of o, or -1 when missing or not a number. */
static double
num(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

/* A time member of o in ms, or -1. */
static int64_t
when(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? web_parse_time(json_string_value(v)) : -1;
}

/* The counters and gauges the daemon keeps; -1 values are left out. */
static const struct {
	const char	*key;
	const char	*name;
	const char	*type;
	const char	*help;
} status_nums[] = {
	{ "rooms_watched", "teletrack_rooms_watched", "gauge",
	    "Rooms the daemon wants to be in." },
	{ "rooms_joined", "teletrack_rooms_joined", "gauge",
	    "Rooms the daemon is in." },
	{ "sessions_open", "teletrack_daemon_sessions_open", "gauge",
	    "Sessions the daemon is recording (its own count)." },
	{ "participants_present", "teletrack_daemon_participants_present",
	    "gauge", "Participants present (the daemon's own count)." },
	{ "writer_queue", "teletrack_writer_queue_depth", "gauge",
	    "Events waiting to be committed." },
	{ "events_held", "teletrack_writer_events_held", "gauge",
	    "Events held because the database refuses writes." },
	{ "events_dropped", "teletrack_writer_events_dropped_total",
	    "counter", "Events lost since the daemon started (queue "
	    "overflow)." },
	{ "events_written", "teletrack_writer_events_written_total",
	    "counter", "Events committed since the daemon started." },
	{ "alerts_open", "teletrack_daemon_alerts_open", "gauge",
	    "Open alerts (the daemon's own count)." },
};

static void
daemon_metrics(struct wbuf *b, json_t *st, int64_t now_ms)
{
	json_t		*v, *by;
	const char	*k, *mode;
	int64_t		 t;
	double		 d;
	size_t		 i;

	v = json_object_get(st, "connected");
	gauge(b, "teletrack_xmpp_connected", "1 while the daemon's XMPP "
	    "connection is up.", json_is_true(v) ? 1 : 0);
	if (!json_is_true(v) && (t = when(st, "disconnected_since")) >= 0)
		gauge(b, "teletrack_xmpp_disconnected_seconds", "How long "
		    "the XMPP connection has been down.",
		    (double)(now_ms - t) / 1000);
	if ((mode = json_string_value(json_object_get(st, "mode"))) !=
	    NULL) {
		help(b, "teletrack_mode_info", "gauge", "The daemon's mode: "
		    "full (companion module), basic or unknown.");
		wbuf_puts(b, "teletrack_mode_info{mode=\"");
		metrics_label(b, mode);
		wbuf_puts(b, "\"} 1\n");
	}
	for (i = 0; i < sizeof(status_nums) / sizeof(status_nums[0]); i++) {
		if ((d = num(st, status_nums[i].key)) < 0)
			continue;
		help(b, status_nums[i].name, status_nums[i].type,
		    status_nums[i].help);
		wbuf_printf(b, "%s %.15g\n", status_nums[i].name, d);
	}
	by = json_object_get(st, "events_by_type");
	if (json_is_object(by) && json_object_size(by) > 0) {
		help(b, "teletrack_writer_events_written_by_type_total",
		    "counter", "Events handed to storage since the daemon "
		    "started, by type (teletrack_writer_events_dropped_total "
		    "says how many of them were lost).");
		json_object_foreach(by, k, v) {
			if (!json_is_number(v))
				continue;
			wbuf_puts(b, "teletrack_writer_events_written_by_type_"
			    "total{type=\"");
			metrics_label(b, k);
			wbuf_printf(b, "\"} %.15g\n", json_number_value(v));
		}
	}
	if ((t = when(st, "last_commit")) >= 0)
		gauge(b, "teletrack_last_commit_age_seconds", "Seconds since "
		    "the daemon last committed events.",
		    (double)(now_ms - t) / 1000);
	if ((t = when(st, "started")) >= 0)
		gauge(b, "teletrack_daemon_start_time_seconds", "When the "
		    "daemon started, seconds since the epoch.",
		    (double)t / 1000);
}

void
metrics_write(struct wbuf *b, const struct metrics_db *m, const char *status,
    int64_t now_ms)
{
	json_t		*st = NULL;
	const char	*v;
	int64_t		 updated = -1;
	int		 up = 0;

	if (status != NULL && (st = json_loads(status, 0, NULL)) != NULL &&
	    json_is_object(st)) {
		updated = when(st, "updated");
		up = updated >= 0 && now_ms - updated <= METRICS_STALE_MS;
	}
	gauge(b, "teletrack_up", "1 when the daemon's status file is fresh "
	    "(rewritten in the last 10 s), else 0.", up);
	if (updated >= 0)
		gauge(b, "teletrack_status_age_seconds", "Age of the daemon's "
		    "status file.", (double)(now_ms - updated) / 1000);
	if (up)
		daemon_metrics(b, st, now_ms);
	json_decref(st);

	if (m->live != NULL && m->live->nrows > 0) {
		v = report_get(m->live, 0, "sessions_active");
		gauge(b, "teletrack_sessions_active", "Sessions being recorded "
		    "(database).", v != NULL ? atof(v) : 0);
		v = report_get(m->live, 0, "participants_present");
		gauge(b, "teletrack_participants_present", "Participants "
		    "present in active sessions (database).",
		    v != NULL ? atof(v) : 0);
	}
	if (m->statuses != NULL) {
		help(b, "teletrack_sessions", "gauge", "Sessions in the "
		    "database by status.");
		series(b, m->statuses, "teletrack_sessions", "status",
		    "status", NULL, NULL, "sessions");
	}
	if (m->alerts != NULL) {
		help(b, "teletrack_alerts_open", "gauge", "Alerts raised and "
		    "not cleared, by rule and severity (database).");
		series(b, m->alerts, "teletrack_alerts_open", "rule", "rule",
		    "severity", "severity", "alerts");
	}
	if (m->events != NULL) {
		help(b, "teletrack_events_recorded_total", "counter", "Events "
		    "recorded in the database, by type.");
		series(b, m->events, "teletrack_events_recorded_total",
		    "type", "type", NULL, NULL, "events");
	}
}
