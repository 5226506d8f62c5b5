/*
 * Alert delivery by command: each alert's JSON is written to the stdin
 * of `/bin/sh -c COMMAND`, run in its own process group, never waited for
 * by the event loop.  A command that outlives its timeout is killed; one
 * that fails is logged.  One runs at a time, so alerts arrive in the
 * order they were raised (a "cleared" never overtakes its "raised");
 * NOTIFY_MAX_QUEUED wait, beyond that alerts are dropped (counted in the
 * log), so a hanging command can never hold up recording.
 */
#ifndef TELETRACK_NOTIFY_H
#define TELETRACK_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#define NOTIFY_MAX_RUNNING	1
#define NOTIFY_MAX_QUEUED	256
#define NOTIFY_MAX_INPUT	65536	/* bytes of JSON per alert */

struct notify;

/*
 * A variable the daemon set for itself (transport_tls_defaults()): the
 * alert command gets value instead (NULL: unset).  Both are kept, not
 * copied; name NULL: none.
 */
void		 notify_child_env(const char *name, const char *value);

/* A runner for command (copied), killing it after timeout_ms. */
struct notify	*notify_new(const char *command, int64_t timeout_ms);

/*
 * Kill what still runs after a last grace of up to grace_ms, reap, free.
 * NULL is fine.
 */
void		 notify_free(struct notify *, int64_t grace_ms);

/* Queue json (copied) for the command; starts it when a slot is free. */
void		 notify_send(struct notify *, const char *json, int64_t now);

/* Reap finished commands, kill late ones, start queued ones. */
void		 notify_poll(struct notify *, int64_t now);

/* Commands running and alerts queued, for tests and the log. */
size_t		 notify_running(const struct notify *);
size_t		 notify_queued(const struct notify *);

#endif
