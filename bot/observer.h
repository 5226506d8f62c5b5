/*
 * The observer: the one orchestrator between the XMPP transport and the
 * sinks.  It decides which rooms to be in (configured, every room, the
 * rooms of booked appointments), which appointment a room serves, acts on
 * what the derivation asks (join, rejoin, retry, leave), and hands every
 * event to one fan-out: the storage sink, the appointment trackers, alert
 * delivery and the live counters of the status file.
 *
 * It never touches the network: what must be sent goes through the
 * observer_io calls the transport provides, and the transport reports
 * back by calling the observer_* functions below with the time.
 */
#ifndef TELETRACK_OBSERVER_H
#define TELETRACK_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "message.h"
#include "presence.h"

struct bookings;
struct observer;

/* What the observer asks the transport to send. */
struct observer_io {
	/* A join (leave == 0) or leave presence to room_jid/nick. */
	void	(*presence)(void *arg, const char *room_jid, int leave);
	/*
	 * A disco query (ns: disco#info or disco#items) to jid.  Returns the
	 * IQ id (the caller frees it), or NULL when offline.
	 */
	char	*(*query)(void *arg, const char *jid, const char *ns);
	/* A chat message to an admin: body, and the JSON as XEP-0335. */
	void	(*chat)(void *arg, const char *jid, const char *body,
		    const char *json);
	void	*arg;
};

/* Where events are stored, and the schedule is read. */
struct observer_store {
	struct event_sink sink;		/* the storage writer */
	/* 1 when the sink wants a flush now (batch age or size). */
	int	(*flush_due)(void *arg, int64_t now_ms);
	/* Commit what is pending; 0 or -1 (the sink keeps the data). */
	int	(*flush)(void *arg);
	/* Events queued, held (the database refuses them), dropped. */
	void	(*counts)(void *arg, size_t *queued, size_t *held,
		    uint64_t *dropped, int64_t *last_commit_ms);
	/* Event rows committed since start, by type ([EVENT__COUNT]). */
	const uint64_t *(*written)(void *arg);
	/* Commit latency since start: ms from arrival to COMMIT. */
	void	(*latency)(void *arg, uint64_t *count, int *p50_ms,
		    int *p99_ms, int *max_ms);
	/*
	 * The appointments scheduled within [now - 1 day, now + horizon_ms]
	 * and the policy, read every [schedule] poll_s; NULL: none.  0, or
	 * -1 (logged) when it could not be read.
	 */
	int	(*schedule)(void *arg, int64_t now_ms, int64_t horizon_ms,
		    struct bookings *out);
	void	*arg;
	double	 quality_fair_per_hour;	/* from meeting_settings */
	double	 quality_poor_per_hour;
	const unsigned char *ip_key;	/* IP pseudonym key (ipkey.c) */
	size_t	 ip_key_len;
};

/* The result of a disco query, parsed by the transport. */
struct disco_result {
	const char	*id;
	int		 ok;		/* type result, not error */
	const char	*meeting_id;	/* muc#roominfo_meetingId or NULL */
	int		 teletrack;	/* feature urn:teletrack:1 */
	const char	*const *items;	/* disco#items jids */
	size_t		 nitems;
};

/*
 * A new observer for cfg (borrowed: it must outlive the observer; see
 * observer_reload()), sending through io and storing through store
 * (copied).  observer_free() frees it.
 */
struct observer	*observer_new(const struct config *cfg,
		    const struct observer_io *io,
		    const struct observer_store *store, int64_t now);
void		 observer_free(struct observer *);	/* NULL is fine */

/* The transport logged in (rejoin, ask for the module) or lost it. */
void		 observer_online(struct observer *, const char *bound_jid,
		    int64_t now);
void		 observer_offline(struct observer *, int64_t now);

/* A parsed MUC presence. */
void		 observer_presence(struct observer *, const struct presence *,
		    int64_t now);
/* A parsed message (chat, reaction, speakerstats, module note). */
void		 observer_message(struct observer *, const struct message *,
		    int64_t now);
/* The answer to a query the observer sent. */
void		 observer_disco(struct observer *, const struct disco_result *,
		    int64_t now);

/*
 * Periodic work, once a second: schedule, appointments, joins and
 * retries, rollups, the status file.  observer_pulse() runs more often:
 * it commits the batch when due.
 */
void		 observer_tick(struct observer *, int64_t now);
void		 observer_pulse(struct observer *, int64_t now);

/*
 * A re-read configuration: rooms added are joined, rooms removed left,
 * alert and tracking settings follow; the XMPP account and server stay
 * (a change there is logged: it needs a restart).  cfg replaces the
 * borrowed one.
 */
void		 observer_reload(struct observer *, const struct config *cfg,
		    int64_t now);

/* Leave every room (closing its session) and commit: the stop. */
void		 observer_stop(struct observer *, int64_t now);

/* 1 once online and every room wanted at start was tried. */
int		 observer_ready(const struct observer *);

/* Write the status file (see /work/notes and README: teletrack status). */
void		 observer_status(struct observer *, int64_t now);

#endif
