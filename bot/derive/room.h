/*
 * The state of one observed conference room and the derivation of events
 * from what arrives in it.  Pure: no I/O, no clock (now is passed in, in
 * ms since the epoch), events go to the sink given to each call.
 *
 * A room outlives meetings: the observer joins, a meeting session opens
 * with its first participant (from the observer's self-presence on), the
 * session ends when focus leaves, the room is destroyed, or the observer
 * leaves a room with no participant.  The next join opens a new session.
 * The Jitsi meeting id arrives later (disco#info) and is added to the
 * open session; nothing waits for it.
 */
#ifndef TELETRACK_ROOM_H
#define TELETRACK_ROOM_H

#include <stdint.h>

#include "event.h"
#include "message.h"
#include "presence.h"

struct room;

struct room_opts {
	const char	*self_nick;	/* the observer's MUC nick */
	const char	*hidden_domain;	/* real-JID domain of hidden members */
	const char	*focus_nick;	/* "focus" when NULL */
	double		 quality_fair_per_hour;	/* incidents/h for "fair" */
	double		 quality_poor_per_hour;	/* incidents/h for "poor" */
	int		 leave_grace_s;	/* leave this long after the last
					   participant left */
	const char	*ip_mode;	/* "store", "hash" (default), "none" */
	const unsigned char *ip_key;	/* HMAC key for "hash" (copied) */
	size_t		 ip_key_len;
};

enum room_state {
	ROOM_IDLE,	/* not in the room; a join may be sent */
	ROOM_JOINING,	/* join sent; occupant list arriving */
	ROOM_INFO,	/* rejoined after a gap in which no known occupant
			   stayed: the meeting id tells whether it is the
			   same meeting (newcomers wait for it) */
	ROOM_JOINED,	/* observing */
	ROOM_LOST	/* our connection or occupancy was lost while the
			   meeting went on; occupants kept to reconcile */
};

/* What the caller (xmpp.c) should do after a call; bit flags. */
#define ROOM_ACT_QUERY_INFO	0x01	/* send disco#info to the room */
#define ROOM_ACT_REJOIN		0x02	/* the observer was removed: rejoin */
#define ROOM_ACT_RETRY		0x04	/* room missing or join refused:
					   retry later with backoff */
#define ROOM_ACT_LEAVE		0x08	/* no participant left: leave now */
#define ROOM_ACT_GIVE_UP	0x10	/* never (re)join: a health-check
					   room, a room not of our meetings,
					   a breakout room that closed */

/* Returns a new room for the bare room JID; room_free() frees it. */
struct room	*room_new(const char *room_jid, const struct room_opts *opts);

/*
 * A breakout room of main's meeting, named name (copied): its occupants
 * are participants of main's session, what happens there is recorded
 * there (with the breakout room's name), and moving between the two is
 * a breakout_move, not a leave.  room_free() of either unlinks it.
 */
struct room	*room_new_breakout(const char *room_jid,
		    const struct room_opts *opts, struct room *main,
		    const char *name);
void		 room_free(struct room *);	/* NULL is fine */

const char	*room_jid(const struct room *);
enum room_state	 room_state(const struct room *);
/* Current session, or NULL when no session is open. */
const struct session_rec *room_session(const struct room *);
/* Number of participants (not focus, observer, hidden) present now. */
int		 room_participants_present(const struct room *);

/*
 * Attach the room to a scheduled appointment (uid: its session_uid) or,
 * with NULL, detach it.  The next session opened takes uid as its own
 * (later ones "<uid>/<start>") and every session carries the appointment
 * id; a session already open only gets the appointment id.
 */
void		 room_set_appointment(struct room *, const char *uid,
		    const char *appointment_id);
/* The attached appointment id, or NULL. */
const char	*room_appointment(const struct room *);

/* How client IPs are kept from now on (see room_opts; key copied). */
void		 room_set_ip(struct room *, const char *ip_mode,
		    const unsigned char *key, size_t keylen);

/* New quality thresholds (meeting_settings changed); <= 0 keeps one. */
void		 room_set_quality(struct room *, double fair_per_hour,
		    double poor_per_hour);

/* The caller sent a join presence: IDLE or LOST -> JOINING. */
void		 room_join_sent(struct room *, int64_t now);

/*
 * Apply a presence from this room (p->room equals room_jid()).  Returns
 * ROOM_ACT_* flags.  The observer's self-presence makes the room JOINED
 * (the occupants listed before it are attached, or reconciled after a
 * gap) and asks for disco#info.  A join error (PRESENCE_ERROR) returns
 * ROOM_ACT_RETRY; the observer's own unavailable presence ends the
 * session (room destroyed) or returns ROOM_ACT_REJOIN (removed while the
 * meeting goes on, e.g. 333 after its connection hibernated).
 */
int		 room_apply(struct room *, const struct presence *p,
		    int64_t now, const struct event_sink *);

/*
 * The room's disco#info answered (meeting_id may be NULL when the answer
 * had none or the query failed).  Adds the meeting id to the open session
 * (a meeting_info event).  In ROOM_INFO (after a gap nobody known
 * survived) it settles the gap: the same meeting goes on with the
 * newcomers attached; a different meeting id ends the old session at the
 * gap's start and opens a new one.
 */
void		 room_meeting_info(struct room *, const char *meeting_id,
		    int64_t now, const struct event_sink *);

/* A groupchat message or reaction from this room. */
void		 room_message(struct room *, const struct message *m,
		    int64_t now, const struct event_sink *);

/* A speakerstats snapshot received after joining this room. */
void		 room_speakerstats(struct room *, const struct message *m,
		    int64_t now, const struct event_sink *);

/*
 * A trusted companion-module notification about this room (speaker,
 * interrupted, restored, client); the IP is kept as room_opts says.
 */
void		 room_module_note(struct room *, const struct message *m,
		    int64_t now, const struct event_sink *);

/* Our XMPP connection dropped: JOINING/INFO/JOINED -> LOST (gap start). */
void		 room_connection_lost(struct room *, int64_t now);

/*
 * Periodic work: emits EVENT_ROLLUP for the session and each participant
 * whose figures changed since the last tick (durations always do while
 * present).  Returns ROOM_ACT_LEAVE once no participant has been present
 * for leave_grace_s while joined.
 */
int		 room_tick(struct room *, int64_t now, const struct event_sink *);

/*
 * The observer leaves (room empty, or shutdown): ends the open session
 * with reason (e.g. "no_participants", "observer_stopped") and returns to
 * IDLE, forgetting occupants.
 */
void		 room_left(struct room *, int64_t now, const char *reason,
		    const struct event_sink *);

#endif
