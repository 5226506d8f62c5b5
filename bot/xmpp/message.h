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
	NOTE_ROOM_DESTROYED	/* <room event='destroyed' jid/> */
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
};

/*
 * Parse st into m.  Returns 0 when m->kind is set (MESSAGE_OTHER included),
 * -1 when st is malformed (m cleared).  A MESSAGE_SPEAKERSTATS with broken
 * JSON is -1.  Trust is the caller's job: message_parse does not decide
 * whether a module notification came from the server.
 */
int	message_parse(xmpp_stanza_t *st, struct message *m, const char **errstr);
void	message_clear(struct message *m);

#endif
