/*
 * The daemon's status, for people and service managers.
 *
 * Once a second the observer writes a small JSON file beside the
 * database (teletrack.status): connected or not and since when, the mode,
 * rooms, sessions, the writer's queue and the events handed to storage.
 * `teletrack status` and the dashboard's /metrics read it; its "updated"
 * time says whether the daemon is alive.  It is written to a temporary
 * file and renamed, so a reader never sees half of it.
 *
 * Under systemd (Type=notify) the daemon says READY=1 once it is logged
 * in and its rooms were tried, pings the watchdog from the event loop,
 * says RELOADING=1 then READY=1 around a reload (SIGHUP), and STOPPING=1
 * when it leaves its rooms.  libsystemd is opened
 * only when the service manager asked for notifications ($NOTIFY_SOCKET):
 * outside systemd these calls do nothing and cost nothing (linked, it
 * brings its own libraries into every process).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "dlsyms.h"
#include "log.h"
#include "status.h"
#include "xmalloc.h"

static int	 write_failing;

char *
status_path(const char *dbpath)
{
	char	*copy, *path;

	if (dbpath == NULL || strcmp(dbpath, ":memory:") == 0)
		return NULL;
	copy = xstrdup(dbpath);
	xasprintf(&path, "%s/teletrack.status", dirname(copy));
	free(copy);
	return path;
}

static json_t *
jtime(int64_t ms)
{
	char	 buf[32];

	if (ms <= 0)
		return json_null();
	return json_string(event_iso8601(ms, buf, sizeof(buf)));
}

void
status_write(const char *path, const struct status *st)
{
	json_t		*j, *types;
	const uint64_t	*by;
	uint64_t	 total = 0;
	char		*tmp;
	int		 i, rc;

	/* Committed rows, or without a writer what went to storage. */
	by = st->written != NULL ? st->written : st->events;
	types = json_object();
	for (i = 0; by != NULL && i < EVENT__COUNT; i++)
		if (by[i] > 0 && !event_type_is_rollup(i)) {
			json_object_set_new(types, event_type_name(i),
			    json_integer((json_int_t)by[i]));
			total += by[i];
		}

	j = json_pack("{s:i, s:I, s:o, s:o, s:b, s:o, s:o, s:s?,"
	    " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o,"
	    " s:{s:I, s:I, s:I, s:I}, s:I, s:o}",
	    "version", STATUS_VERSION,
	    "pid", (json_int_t)getpid(),
	    "started", jtime(st->started),
	    "updated", jtime(st->now),
	    "connected", st->connected,
	    "connected_since", st->connected ?
	    jtime(st->connected_since) : json_null(),
	    "disconnected_since", st->connected ?
	    json_null() : jtime(st->disconnected_since),
	    "mode", st->mode,
	    "rooms_watched", (json_int_t)st->rooms_watched,
	    "rooms_joined", (json_int_t)st->rooms_joined,
	    "sessions_open", (json_int_t)st->sessions_open,
	    "participants_present", (json_int_t)st->participants_present,
	    "writer_queue", (json_int_t)st->queued,
	    "events_held", (json_int_t)st->held,
	    "events_dropped", (json_int_t)st->dropped,
	    "events_written", (json_int_t)total,
	    "last_commit", jtime(st->last_commit),
	    "commit_latency_ms",
	    "count", (json_int_t)st->lat_count,
	    "p50", (json_int_t)st->lat_p50_ms,
	    "p99", (json_int_t)st->lat_p99_ms,
	    "max", (json_int_t)st->lat_max_ms,
	    "alerts_open", (json_int_t)st->alerts_open,
	    "events_by_type", types);
	if (j == NULL)
		fatalx("%s: out of memory", __func__);

	xasprintf(&tmp, "%s.tmp", path);
	rc = json_dump_file(j, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -1;
	if (rc == -1) {
		if (!write_failing)
			log_warn("cannot write the status file %s", path);
		unlink(tmp);
	} else if (write_failing)
		log_info("status file %s written again", path);
	write_failing = rc == -1;
	free(tmp);
}

void
status_remove(const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s", path);
}

static void
notify(const char *state)
{
	static __typeof__(sd_notify)	*fn;
	static const char *const	 names[] = { "sd_notify", NULL };
	static void **const		 slots[] = { (void **)&fn };
	static int			 tried;
	static void			*lib;
	char				 err[256];

	if (!tried) {
		tried = 1;
		if (getenv("NOTIFY_SOCKET") == NULL)
			return;
		if (dlsyms_load(&lib, "libsystemd.so.0", "libsystemd",
		    names, slots, err, sizeof(err)) == -1)
			log_warnx("systemd notifications off: %s", err);
	}
	if (fn != NULL)
		fn(0, state);
}

void
status_ready(void)
{
	notify("READY=1\nSTATUS=observing");
}

void
status_watchdog(void)
{
	notify("WATCHDOG=1");
}

void
status_stopping(void)
{
	notify("STOPPING=1");
}

/* systemd waits for the READY=1 that follows (systemctl reload). */
void
status_reloading(void)
{
	struct timespec	 ts;
	char		 buf[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%lld",
	    (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	notify(buf);
}
