/*
 * What the running daemon tells the outside: the status file that
 * `teletrack status` and the dashboard's /metrics read, and the service
 * manager's notifications (sd_notify: ready, watchdog, stopping).
 */
#ifndef TELETRACK_STATUS_H
#define TELETRACK_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define STATUS_VERSION	1

/* One snapshot of the daemon; times in ms since the epoch, 0 = none. */
struct status {
	int64_t		 now;
	int64_t		 started;	/* the daemon */
	int		 connected;
	int64_t		 connected_since;
	int64_t		 disconnected_since;
	const char	*mode;		/* full, basic, unknown */
	size_t		 rooms_watched;
	size_t		 rooms_joined;
	size_t		 sessions_open;
	size_t		 participants_present;
	size_t		 queued;	/* events not yet committed */
	size_t		 held;		/* ... because the database refuses */
	uint64_t	 dropped;	/* lost since start */
	int64_t		 last_commit;
	uint64_t	 lat_count;	/* committed events measured */
	int		 lat_p50_ms;	/* arrival -> COMMIT */
	int		 lat_p99_ms;
	int		 lat_max_ms;
	const uint64_t	*events;	/* [EVENT__COUNT] handed to storage */
	const uint64_t	*written;	/* [EVENT__COUNT] committed, or NULL */
	uint64_t	 alerts_open;
};

/*
 * The status file of the database at dbpath: "teletrack.status" in its
 * directory.  The caller frees it.
 */
char	*status_path(const char *dbpath);

/*
 * Write st as JSON to path, atomically (a temporary file renamed over
 * it).  Failures are logged once until it works again.
 */
void	 status_write(const char *path, const struct status *st);

/* Remove the file at a clean stop. */
void	 status_remove(const char *path);

/*
 * sd_notify: READY=1, WATCHDOG=1 (when the manager asked), STOPPING=1,
 * RELOADING=1.
 */
void	 status_ready(void);
void	 status_watchdog(void);
void	 status_stopping(void);
void	 status_reloading(void);	/* READY=1 (status_ready) ends it */

#endif
