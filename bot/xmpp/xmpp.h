/*
 * The XMPP side of the daemon: the only module that touches the network.
 * It owns the libstrophe context and connection, reconnects with backoff,
 * joins the configured rooms as an observer, answers the IQs Jitsi sends
 * every occupant, and hands parsed stanzas to room.c.  Decisions about
 * what happened live in room.c; storage is reached only through hooks.
 */
#ifndef TELETRACK_XMPP_H
#define TELETRACK_XMPP_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

struct bookings;

struct bot_hooks {
	struct event_sink sink;		/* where room events go */
	/* 1 when the sink wants a flush now (batch age or size). */
	int	(*flush_due)(void *arg, int64_t now_ms);
	/* Commit what is pending; 0 or -1 (the sink keeps the data). */
	int	(*flush)(void *arg);
	void	*arg;
	/*
	 * The appointments scheduled within [now - 1 day, now + horizon_ms]
	 * and the policy, read every [schedule] poll_s; NULL: none.  0, or
	 * -1 (logged) when it could not be read.
	 */
	int	(*schedule)(void *arg, int64_t now_ms, int64_t horizon_ms,
		    struct bookings *out);
	double	 quality_fair_per_hour;	/* from meeting_settings */
	double	 quality_poor_per_hour;
	const unsigned char *ip_key;	/* IP pseudonym key (ipkey.c) */
	size_t	 ip_key_len;
};

/*
 * Run the observer until *stop becomes nonzero (set by a signal handler),
 * then leave every room, flush and disconnect.  Returns 0 on a clean stop,
 * -1 when it could not start (bad JID, libstrophe failure).
 */
int	bot_run(const struct config *cfg, const struct bot_hooks *hooks,
	    volatile sig_atomic_t *stop);

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t	now_ms(void);

#endif
