/*
 * Internals shared by room.c (occupants: what arrives in the room) and
 * session.c (the meeting session and its participants: what is recorded).
 * Nothing outside bot/derive/ includes this.
 *
 * An occupant is one MUC nick in the room now.  A participant is one
 * person in one meeting session, keyed by identity (JWT user id, else
 * stats-id, else nick), and may have several occupants over time (a
 * reconnect under a new nick) or at once (the new nick before the old
 * one's delayed leave).  Occupants and participants are each kept in a
 * list (arrival order) and a search tree (tsearch) for lookups, so no
 * step walks the whole history of a meeting.
 *
 * A meeting is its main room and the breakout rooms opened for it: each
 * room keeps its own occupants, the main room keeps the session and the
 * participants for all of them.  M(r) is the room that holds the meeting.
 */
#ifndef TELETRACK_ROOM_INT_H
#define TELETRACK_ROOM_INT_H

#include <stdint.h>
#include <sys/queue.h>

#include "client.h"
#include "event.h"
#include "room.h"

enum occ_kind {
	OCC_PARTICIPANT,
	OCC_FOCUS,
	OCC_HIDDEN	/* Jibri, transcriber: hidden-domain members */
};

struct participant;

struct occupant {
	char			*nick;		/* first: the tree's key */
	TAILQ_ENTRY(occupant)	 entry;
	char			*jid;
	char			*role;
	char			*affiliation;
	char			*display_name;
	enum occ_kind		 kind;
	struct media_state	 media;
	int			 hand;		/* -1 unknown */
	int			 seen;		/* seen since the last (re)join */
	int64_t			 arrived_ms;
	struct participant	*part;		/* NULL: not attached */
	char			*key;		/* identity key for attaching */
	char			*identity_id;
	char			*identity_name;
	char			*identity_role;
	char			*stats_id;
	int			 transcription;	/* hidden: -1, 0, 1 */
	int			 feature_jibri;
	int			 feature_transcriber;
	int64_t			 snapshot_ms;	/* speakerstats; -1 none */
	char			*pending_ip;	/* client note before attach */
	char			*pending_ua;
	int64_t			 true_join_ms;	/* module: admitted at; 0 */
	int			 interrupted;	/* module: connection lost */
	int			 flip_device;	/* joined to take over */
};
TAILQ_HEAD(occ_list, occupant);

/* Someone in the lobby, from the companion module's notes. */
struct knock {
	TAILQ_ENTRY(knock)	 entry;
	char			*nick;
	char			*jid;		/* bare real JID */
	char			*name;
	char			*pid;		/* JWT identity */
	char			*role;
	int64_t			 since;		/* knocked */
	int64_t			 admitted;	/* 0: not (yet) */
	int64_t			 left;		/* left the lobby; 0: there */
	int			 linked;	/* its participant has the wait */
};
TAILQ_HEAD(knock_list, knock);

enum quality { Q_NONE, Q_GOOD, Q_FAIR, Q_POOR, Q__COUNT };

struct participant {
	char			*key;		/* first: the tree's key */
	TAILQ_ENTRY(participant) entry;
	struct participant_rec	 rec;	/* strings below back rec */
	char			*nick;
	char			*name;
	char			*pid;
	char			*prole;
	char			*jid;
	char			*stats_id;
	char			*left_reason;
	char			*ip;
	char			*ua;
	const char		*browser;	/* static (client.c) */
	const char		*os;
	const char		*device;
	struct issue		*issues;
	size_t			 nissues;
	struct media_state	 media;		/* last known, any occupant */
	int			 noccupants;
	int64_t			 present_since;
	int64_t			 accum_ms;
	int			 interruptions;
	int64_t			 speak_since;	/* dominant now; 0 when not */
	int64_t			 spoke_ms;	/* closed intervals */
	int64_t			 spoke_base_ms;	/* snapshot at join */
	enum quality		 quality;
	int			 dirty;		/* changed since its last event */
	int64_t			 moving;	/* left a room of the meeting
						   for another (switch_room,
						   a breakout closed) at; 0 */
	char			*move_from;	/* breakout name, NULL: main */
	const char		*move_reason;	/* static */
	struct participant	*tab_of;	/* provisional: the participant
						   with the same identity
						   (tabs.c); NULL settled */
	int64_t			 tab_since;	/* joined as a tab at */
	int			 peak_before;	/* the session's peak then */
	int			 ntabs;		/* tabs pending on this one */
	int			 tab_last;	/* its highest tab "#n" made */
};
TAILQ_HEAD(part_list, participant);

struct session {
	struct session_rec	 rec;
	char			*uid;
	char			*meeting_id;
	char			*appointment_id;
	char			*end_reason;
	int			 open;
	int			 present;	/* participants present now */
	int			 nquality[Q__COUNT]; /* participants by quality */
	int64_t			 rec_on_since;	/* file recording running */
	int64_t			 rec_accum_ms;
	int64_t			 stream_on_since;
};

struct room {
	char			*jid;
	char			*name;
	struct room		*main;		/* a breakout room's meeting */
	char			*breakout_name;	/* ... and its name */
	struct room		**breakouts;	/* a main room's */
	size_t			 nbreakouts;
	struct knock_list	 knocks;	/* the lobby (main room) */
	char			*ended_by;	/* ended for all, by nick */
	char			*ended_by_jid;
	char			*destroy_reason; /* the room's <destroy> text */
	char			*self_nick;
	char			*hidden_domain;
	char			*focus_nick;
	double			 fair_per_hour;
	double			 poor_per_hour;
	int			 requality;	/* thresholds changed */
	int			 leave_grace_s;
	char			*ip_mode;
	unsigned char		 ip_key[CLIENT_KEY_LEN];
	size_t			 ip_key_len;

	enum room_state		 state;
	struct occ_list		 occupants;	/* arrival order */
	void			*occ_tree;	/* by nick */
	struct part_list	 parts;		/* of the open session */
	void			*part_tree;	/* by key */
	struct participant	*speaker;	/* dominant speaker or NULL */
	struct session		 sess;
	int64_t			 prev_start_ms;	/* the last closed session's */
	int64_t			 prev_end_ms;	/* start and end; 0: none */

	int64_t			 joined_ms;	/* our last join */
	int64_t			 gap_start;	/* 0: no gap pending */
	int64_t			 empty_since;	/* 0: participants present */
	int64_t			 roster_ms;	/* a participant's occupant
						   came or went; 0 never */
	char			*meeting_id;	/* last known meeting id */
	struct event_field	*pending_stats;	/* speakerstats before the
						   session opened; one block
						   with its keys */
	size_t			 npending_stats;
	char			*appt_uid;	/* attached appointment */
	char			*appt_id;
	int			 appt_sessions;	/* sessions opened for it */

	/* focus state, kept across sessions of the same room */
	int			 have_rec;
	char			*rec_status;
	char			*rec_mode;
	char			*rec_session;
};

/* In the meeting: an occupant in one of its rooms, or moving. */
#define PRESENT(p)	((p)->noccupants > 0 || (p)->moving > 0)

/* The room that holds r's meeting: r, or its main room. */
#define M(r)	((r)->main != NULL ? (r)->main : (r))

/* session.c */
void	 set_str(char **dst, const char *src);
void	 emit(struct room *, enum event_type, struct participant *, int64_t ts,
	    const struct event_fields *, int64_t now, const struct event_sink *);
void	 emit_knock(struct room *, enum event_type, const struct knock *,
	    const struct event_fields *, int64_t now,
	    const struct event_sink *);
void	 emitv(struct room *, enum event_type, struct participant *,
	    int64_t ts, const struct event_field *, size_t, int64_t now,
	    const struct event_sink *);
void	 emit_merge(struct room *, struct participant *, const char *from,
	    int peak_lowered, int64_t now, const struct event_sink *);
void	 session_open(struct room *, int64_t start, int64_t now,
	    const struct event_sink *);
void	 session_close(struct room *, int64_t ts, const char *reason,
	    const struct event_sink *);
void	 session_stats(struct room *, int64_t now, const struct event_sink *);
void	 session_rollup(struct room *, int64_t now, const struct event_sink *);
void	 session_recording(struct room *, const struct presence *, int64_t now,
	    const struct event_sink *);
void	 part_attach(struct room *, struct occupant *, int64_t ts,
	    int already, int64_t now, const struct event_sink *);
void	 part_move_out(struct room *, struct occupant *, const char *reason,
	    int64_t ts);
void	 knock_free(struct knock *);
void	 part_detach(struct room *, struct occupant *, enum event_type,
	    const char *reason, const struct event_fields *, int64_t ts,
	    int64_t now, const struct event_sink *);
void	 part_media(struct participant *, const struct occupant *);
void	 part_issue(struct room *, struct participant *, const char *what,
	    int64_t ts, int64_t now);
void	 part_speaker(struct room *, struct participant *, int64_t now);
void	 part_client(struct room *, struct participant *, const char *ip,
	    const char *ua, int64_t now, const struct event_sink *);
void	 parts_clear(struct room *);
const char *best_name(const struct occupant *);
struct participant *part_find(struct room *, const char *key);
struct participant *part_new(struct room *, const char *key, int64_t ts);
void	 part_remove(struct room *, struct participant *);
int	 part_interrupted(struct room *, const struct participant *);
void	 present_changed(struct room *, int delta, int64_t ts);
void	 requality(struct room *, struct participant *, int64_t now);
void	 speak_stop(struct room *, struct participant *, int64_t ts);

/* room.c */
struct occupant *occ_find(struct room *, const char *nick);
void	 occ_remove(struct room *, struct occupant *);
void	 occ_clear(struct room *);
void	 hidden_leave(struct room *, struct occupant *, int during_gap,
	    int64_t now, const struct event_sink *);

/* gap.c */
int	 self_presence(struct room *, const struct presence *, int64_t now,
	    const struct event_sink *);

/* notes.c */
void	 end_notes_clear(struct room *);

/* part.c */
void	 part_gone(struct room *, struct participant *, int64_t ts,
	    const char *reason);
void	 move_nowhere(struct room *, struct participant *, int64_t now,
	    const struct event_sink *);

/* tabs.c */
struct participant *tab_get(struct room *, struct participant *of,
	    int64_t ts);
void	 tab_settle(struct room *, struct participant *of);
void	 tab_merge_into(struct room *, struct participant *of, int64_t now,
	    const struct event_sink *);

#endif
