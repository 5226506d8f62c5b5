/*
 * Pure parsing of the <message/> stanzas the observer counts: groupchat
 * chat messages (counted, never stored), XEP-0444 reactions, the
 * speakerstats snapshot, and companion-module notifications.  No I/O.
 * Strings are owned copies released by message_clear().  Chat bodies are
 * never copied: only their presence is recorded.
 */
#ifndef TELETRACK_MESSAGE_H
#define TELETRACK_MESSAGE_H

#include <stdint.h>
#include <strophe.h>

#define TELETRACK_NS	"urn:teletrack:1"

enum message_kind {
	MESSAGE_OTHER,		/* nothing we count */
	MESSAGE_CHAT,		/* groupchat with <body> from an occupant */
	MESSAGE_REACTION,	/* urn:xmpp:reactions:0 */
	MESSAGE_SPEAKERSTATS,	/* json-message {"type":"speakerstats"} */
	MESSAGE_MODULE		/* companion module notification */
};

struct speaker_stat {
	char		*nick;
	char		*display_name;	/* may be NULL */
	int64_t		 total_ms;
};

enum module_note {
	NOTE_NONE,
	NOTE_SPEAKER,		/* <speaker room nick silence/> */
	NOTE_INTERRUPTED,	/* <connection state='interrupted'> */
	NOTE_RESTORED,		/* <connection state='restored'> */
	NOTE_CLIENT,		/* <client room nick ip ua/> */
	NOTE_ROOM_CREATED,	/* <room event='created' jid/> */
	NOTE_ROOM_DESTROYED,	/* <room event='destroyed' jid [reason]/> */
	NOTE_JOINED,		/* <joined room nick at_ms [queued_ms]/> */
	NOTE_LOBBY,		/* <lobby event room nick jid ...> */
	NOTE_BREAKOUT,		/* <breakout event room ...> */
	NOTE_ENDED		/* <ended room nick jid reason/> */
};

/* NOTE_LOBBY events */
enum lobby_event {
	LOBBY_JOIN,		/* knocked: entered the lobby room */
	LOBBY_ADMITTED,		/* a moderator let them in */
	LOBBY_DENIED,		/* a moderator turned them away */
	LOBBY_LEAVE		/* left the lobby (note_reason says why) */
};

/* NOTE_BREAKOUT events */
enum breakout_event {
	BREAKOUT_OPENED,	/* note_jid: the breakout room, note_name */
	BREAKOUT_MOVE,		/* note_nick moved note_from -> note_to */
	BREAKOUT_CLOSED		/* note_jid closed (note_reason) */
};

struct message {
	enum message_kind	 kind;
	char			*from;		/* full sender JID */
	char			*room;		/* bare room JID when from a room
						   occupant, lower case */
	char			*nick;		/* occupant nick */
	int			 delayed;	/* <delay>: history replay */
	int			 groupchat;
	int			 nreactions;	/* <reaction> children */
	int			 is_reply;

	/* MESSAGE_SPEAKERSTATS */
	struct speaker_stat	*stats;
	int			 nstats;

	/* MESSAGE_MODULE */
	enum module_note	 note;
	char			*note_room;	/* bare room JID */
	char			*note_nick;
	char			*note_ip;
	char			*note_ua;
	int			 note_silence;
	int64_t			 note_ms;	/* duration for restored */
	int			 note_event;	/* enum lobby_event or
						   breakout_event */
	char			*note_jid;	/* a real JID, or a breakout
						   room's JID */
	char			*note_name;	/* display or breakout name */
	char			*note_by;	/* the moderator's nick */
	char			*note_reason;
	char			*note_from;	/* move: room JIDs */
	char			*note_to;
	char			*note_from_name; /* ... breakout names */
	char			*note_to_name;
	int64_t			 note_at_ms;	/* joined: admitted at */
	int64_t			 note_queued_ms; /* ... after waiting */
	char			*note_identity_id;	/* lobby knock's JWT */
	char			*note_identity_name;
	char			*note_identity_role;
};

/*
 * Parse st into m.  Returns 0 when m->kind is set (MESSAGE_OTHER included),
 * -1 when st is malformed (m cleared).  A MESSAGE_SPEAKERSTATS with broken
 * JSON is -1.  role_field reads a lobby knock's identity as presence_parse()
 * does.  Unknown notes and events are MESSAGE_OTHER.  Trust is the caller's
 * job: message_parse does not decide whether a module notification came
 * from the server.
 */
int	message_parse(xmpp_stanza_t *st, const char *role_field,
	    struct message *m, const char **errstr);
void	message_clear(struct message *m);

#endif
