/*
 * Internals shared by observer.c (rooms, what the transport reports, the
 * fan-out) and observer_appt.c (the appointments the observer serves).
 * Nothing outside bot/ includes this.
 */
#ifndef TELETRACK_OBSERVER_INT_H
#define TELETRACK_OBSERVER_INT_H

#include <stdint.h>

#include "appt.h"
#include "event.h"
#include "observer.h"

#define APPT_KEEP_MS		3600000	/* forget an ended appointment */

enum origin {
	ROOM_CONFIG,		/* [rooms] join: observed always */
	ROOM_ALL,		/* join = all: observed while it lives */
	ROOM_SCHEDULED,		/* only while an appointment wants it */
	ROOM_BREAKOUT		/* a breakout room of an observed meeting */
};

struct tracked;
struct watched;

/* A room's pending disco#info, found by its IQ id. */
struct inquiry {
	char			*id;		/* first: the tree's key */
	struct watched		*w;
};

struct watched {
	char			*jid;		/* first: the tree's key */
	struct observer		*obs;
	struct room		*room;
	char			*name;		/* room node */
	enum origin		 origin;
	int64_t			 next_try;	/* when to (re)join; 0: not */
	int64_t			 next_rollup;	/* its own phase: the rooms'
						   rollups are spread over the
						   interval, not in one batch */
	int			 attempts;	/* failed or empty joins */
	struct inquiry		*info;		/* pending disco#info */
	int64_t			 info_deadline;	/* ROOM_INFO stops waiting */
	int64_t			 info_give_up;	/* the answer is not taken */
	int64_t			 self_ms;	/* our self-presence came */
	struct tracked		*appt;		/* the appointment it serves */
	struct watched		*main;		/* ROOM_BREAKOUT: its meeting */
	int			 gave_up;	/* never (re)join */
	int			 forget;	/* drop at the end of the call */
	struct event_sink	 sink;		/* room events -> fan() */
};

struct tracked {
	char			*uid;		/* first: the tree's key */
	struct observer		*obs;
	struct appt		*a;
	struct watched		*w;		/* its room, once wanted */
	int			 seen;		/* in the latest read */
	int64_t			 done_at;	/* 0 while not done */
	struct event_sink	 sink;		/* appt events -> fan() */
};

struct observer {
	const struct config	*cfg;
	struct observer_io	 io;
	struct observer_store	 store;
	struct alerter		*alerter;

	int			 online;
	int64_t			 started;
	int64_t			 online_since;
	int64_t			 offline_since;
	int			 module;	/* -1 unknown, 0 no, 1 yes */
	char			*modinfo_id;
	char			*items_id;
	int			 ready;

	struct watched		**rooms;
	size_t			 nrooms;
	size_t			 nforget;	/* rooms[] marked to forget */
	void			*room_tree;
	struct tracked		**appts;
	size_t			 nappts;
	void			*appt_tree;
	void			*info_tree;	/* struct inquiry by id */

	int64_t			 next_poll;
	double			 fair_per_hour;
	double			 poor_per_hour;

	char			*status_path;
	int64_t			 next_status;
	uint64_t		 events[EVENT__COUNT];
	uint64_t		 alerts_open;
};

/* observer.c */
void	 appt_sink(const struct event *, void *arg);
struct watched *add_room(struct observer *, const char *name, enum origin,
	    int64_t now);
void	 leave_room(struct observer *, struct watched *, const char *reason,
	    int64_t now);

/* observer_appt.c */
void	 appt_remove(struct observer *, size_t i);
void	 appt_step(struct observer *, struct tracked *, int64_t now);
void	 schedule_poll(struct observer *, int64_t now);

#endif
