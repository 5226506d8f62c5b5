/*
 * The `status` command (its function, cmd_status(), is in cmd.h): reads
 * the small JSON file the daemon rewrites about once a second (its keys
 * are in teletrack(8), STATUS FILE), says whether the daemon is healthy
 * and why not, and prints it.
 * Parsing and judging are pure (the clock is an argument) so the tests
 * feed fixture files; `serve` may use them for /metrics.
 */
#ifndef TELETRACK_STATUS_CLI_H
#define TELETRACK_STATUS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STATUS_STALE_MS		10000	/* older than this: hung or gone */
#define STATUS_HELD_MS		60000	/* events held this long: unhealthy */

/* One status file.  Times are ms since the epoch; a missing key is -1. */
struct status_info {
	long long	 version;
	long long	 pid;
	int64_t		 started;
	int64_t		 updated;
	int		 connected;	/* 1, 0, -1 missing */
	int64_t		 connected_since;
	int64_t		 disconnected_since;
	char		 mode[16];	/* full | basic | unknown */
	long long	 rooms_watched;
	long long	 rooms_joined;
	long long	 sessions_open;
	long long	 participants_present;
	long long	 writer_queue;
	long long	 events_held;
	long long	 events_dropped;
	long long	 events_written;
	int64_t		 last_commit;
	long long	 alerts_open;
};

/*
 * Parse the JSON text of a status file into st.  Unknown keys are
 * ignored, missing ones left at -1 (an older daemon).  Returns 0, or -1
 * with a message in err when the text is not a JSON object.
 */
int	status_info_parse(const char *text, struct status_info *st,
	    char *err, size_t errsz);

/*
 * Judge st at time now: 0 healthy (fresh and connected), 1 unhealthy,
 * with every reason written to why ("; " between them, "" when healthy).
 */
int	status_info_health(const struct status_info *st, int64_t now,
	    char *why, size_t whysz);

/* The human-readable report of st at time now. */
void	status_info_print(FILE *fp, const struct status_info *st,
	    int64_t now);

#endif
