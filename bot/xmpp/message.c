/*
 * Pure parsing of the messages the observer counts or trusts
 * (jitsi-xmpp.md §4.2, §5): groupchat chat messages (only the fact that a
 * body exists is kept: chat text never leaves this function), XEP-0444
 * reactions, the speakerstats snapshot a component sends at join, and the
 * companion module's notifications in the urn:teletrack:1 namespace.
 * Deciding whether a sender is trusted is the caller's job.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <strophe.h>

#include "message.h"
#include "presence.h"
#include "xmalloc.h"

#define NS_DELAY	"urn:xmpp:delay"
#define NS_REACTIONS	"urn:xmpp:reactions:0"
#define NS_JITMEET	"http://jitsi.org/jitmeet"
#define MAX_STATS	1000

static char *
lower_dup(const char *s)
{
	char	*p, *c;

	if (s == NULL)
		return NULL;
	p = xstrdup(s);
	for (c = p; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return p;
}

void
message_clear(struct message *m)
{
	int	 i;

	free(m->from);
	free(m->room);
	free(m->nick);
	for (i = 0; i < m->nstats; i++) {
		free(m->stats[i].nick);
		free(m->stats[i].display_name);
	}
	free(m->stats);
	free(m->note_room);
	free(m->note_nick);
	free(m->note_ip);
	free(m->note_ua);
	free(m->note_jid);
	free(m->note_name);
	free(m->note_by);
	free(m->note_reason);
	free(m->note_from);
	free(m->note_to);
	free(m->note_from_name);
	free(m->note_to_name);
	free(m->note_identity_id);
	free(m->note_identity_name);
	free(m->note_identity_role);
	memset(m, 0, sizeof(*m));
}

static int
speakerstats(const char *text, struct message *m)
{
	json_t		*root, *users, *u, *t, *dn;
	json_error_t	 err;
	const char	*nick;

	if ((root = json_loads(text, 0, &err)) == NULL)
		return -1;
	if (!json_is_object(root) ||
	    !json_is_object(users = json_object_get(root, "users"))) {
		json_decref(root);
		return -1;
	}
	json_object_foreach(users, nick, u) {
		if (!json_is_object(u) || m->nstats >= MAX_STATS)
			continue;
		t = json_object_get(u, "totalDominantSpeakerTime");
		/* ms: a time no meeting reaches (1e12 ms, 31 years) is junk */
		if (!json_is_number(t) || !(json_number_value(t) >= 0 &&
		    json_number_value(t) < 1e12))
			continue;
		m->stats = xreallocarray(m->stats, m->nstats + 1,
		    sizeof(*m->stats));
		m->stats[m->nstats].nick = xstrdup(nick);
		dn = json_object_get(u, "displayName");
		m->stats[m->nstats].display_name = json_is_string(dn) ?
		    xstrdup(json_string_value(dn)) : NULL;
		m->stats[m->nstats].total_ms =
		    (int64_t)json_number_value(t);
		m->nstats++;
	}
	json_decref(root);
	m->kind = MESSAGE_SPEAKERSTATS;
	return 0;
}

/* json-message: only the speakerstats snapshot matters to us. */
static int
json_message(xmpp_stanza_t *jm, struct message *m)
{
	char		*text;
	json_t		*root, *type;
	json_error_t	 err;
	int		 rc = 0, is_stats;

	if ((text = xmpp_stanza_get_text(jm)) == NULL)
		return 0;
	root = json_loads(text, 0, &err);
	is_stats = root != NULL && json_is_object(root) &&
	    json_is_string(type = json_object_get(root, "type")) &&
	    strcmp(json_string_value(type), "speakerstats") == 0;
	json_decref(root);
	if (is_stats)
		rc = speakerstats(text, m);
	else if (root == NULL && strstr(text, "speakerstats") != NULL)
		rc = -1;	/* looks like ours, but broken */
	xmpp_free(xmpp_stanza_get_context(jm), text);
	return rc;
}

/* The attribute name of n, copied, or NULL. */
static char *
attr(xmpp_stanza_t *n, const char *name)
{
	return xstrdup_null(xmpp_stanza_get_attribute(n, name));
}

/* A number attribute (ms); 0 when absent or not a number. */
static int64_t
attr_ms(xmpp_stanza_t *n, const char *name)
{
	const char	*v = xmpp_stanza_get_attribute(n, name);
	char		*end;
	long long	 x;

	if (v == NULL)
		return 0;
	x = strtoll(v, &end, 10);
	return *end == '\0' && x > 0 ? (int64_t)x : 0;
}

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The index in words[0..nwords-1] (NULL: no word) of n's attribute key,
 * or -1 when it is none of them (absent, or a newer module's word): m
 * is then MESSAGE_OTHER, a message we pass over.
 */
static int
word(xmpp_stanza_t *n, const char *key, const char *const *words,
    size_t nwords, struct message *m)
{
	const char	*v = xmpp_stanza_get_attribute(n, key);
	size_t		 i;

	for (i = 0; v != NULL && i < nwords; i++)
		if (words[i] != NULL && strcmp(v, words[i]) == 0)
			return (int)i;
	m->kind = MESSAGE_OTHER;
	return -1;
}

static int
module_note(xmpp_stanza_t *n, const char *role_field, struct message *m)
{
	/* The words that tell notes apart, indexed by what they mean. */
	static const char *const room_events[NOTE_ENDED + 1] = {
		[NOTE_ROOM_CREATED] = "created",
		[NOTE_ROOM_DESTROYED] = "destroyed"
	};
	static const char *const connection_states[NOTE_ENDED + 1] = {
		[NOTE_INTERRUPTED] = "interrupted", [NOTE_RESTORED] = "restored"
	};
	static const char *const lobby_events[] = {
		[LOBBY_JOIN] = "join", [LOBBY_ADMITTED] = "admitted",
		[LOBBY_DENIED] = "denied", [LOBBY_LEAVE] = "leave"
	};
	static const char *const breakout_events[] = {
		[BREAKOUT_OPENED] = "opened", [BREAKOUT_MOVE] = "move",
		[BREAKOUT_CLOSED] = "closed"
	};
	const char	*name = xmpp_stanza_get_name(n);
	const char	*v;
	int		 i;

	m->kind = MESSAGE_MODULE;
	if (strcmp(name, "room") == 0) {
		if (xmpp_stanza_get_attribute(n, "event") == NULL ||
		    xmpp_stanza_get_attribute(n, "jid") == NULL)
			return -1;
		if ((i = word(n, "event", room_events, nitems(room_events),
		    m)) == -1)
			return 0;
		m->note = i;
		m->note_room = lower_dup(xmpp_stanza_get_attribute(n, "jid"));
		m->note_reason = attr(n, "reason");
		return 0;
	}
	if (xmpp_stanza_get_attribute(n, "room") == NULL)
		return -1;
	m->note_room = lower_dup(xmpp_stanza_get_attribute(n, "room"));
	m->note_nick = attr(n, "nick");
	/* Every note but the breakout room's own needs a nick. */
	if (m->note_nick == NULL && strcmp(name, "breakout") != 0)
		return -1;
	if (strcmp(name, "speaker") == 0) {
		m->note = NOTE_SPEAKER;
		v = xmpp_stanza_get_attribute(n, "silence");
		m->note_silence = v != NULL && strcmp(v, "true") == 0;
	} else if (strcmp(name, "connection") == 0) {
		if (xmpp_stanza_get_attribute(n, "state") == NULL)
			return -1;
		/* Not a word of ours: the timeout, which presence says. */
		if ((i = word(n, "state", connection_states,
		    nitems(connection_states), m)) == -1)
			return 0;
		m->note = i;
		m->note_ms = attr_ms(n, "duration_ms");	/* 0: not said */
	} else if (strcmp(name, "client") == 0) {
		m->note = NOTE_CLIENT;
		m->note_ip = attr(n, "ip");
		m->note_ua = attr(n, "ua");
	} else if (strcmp(name, "joined") == 0) {
		m->note = NOTE_JOINED;
		if ((m->note_at_ms = attr_ms(n, "at_ms")) == 0)
			return -1;
		m->note_queued_ms = attr_ms(n, "queued_ms");
	} else if (strcmp(name, "lobby") == 0) {
		m->note = NOTE_LOBBY;
		if ((m->note_event = word(n, "event", lobby_events,
		    nitems(lobby_events), m)) == -1)
			return 0;
		m->note_jid = attr(n, "jid");
		m->note_name = attr(n, "name");
		m->note_by = attr(n, "by");
		m->note_reason = attr(n, "reason");
		presence_identity(n, role_field, &m->note_identity_id,
		    &m->note_identity_name, &m->note_identity_role);
	} else if (strcmp(name, "breakout") == 0) {
		m->note = NOTE_BREAKOUT;
		if ((m->note_event = word(n, "event", breakout_events,
		    nitems(breakout_events), m)) == -1)
			return 0;
		m->note_jid = lower_dup(xmpp_stanza_get_attribute(n, "jid"));
		m->note_name = attr(n, "name");
		m->note_reason = attr(n, "reason");
		m->note_from = lower_dup(xmpp_stanza_get_attribute(n, "from"));
		m->note_to = lower_dup(xmpp_stanza_get_attribute(n, "to"));
		m->note_from_name = attr(n, "from_name");
		m->note_to_name = attr(n, "to_name");
		if (m->note_event != BREAKOUT_MOVE && m->note_jid == NULL)
			return -1;
		if (m->note_event == BREAKOUT_MOVE && (m->note_nick == NULL ||
		    m->note_from == NULL || m->note_to == NULL))
			return -1;
	} else if (strcmp(name, "ended") == 0) {
		m->note = NOTE_ENDED;
		m->note_jid = attr(n, "jid");
		m->note_reason = attr(n, "reason");
	} else
		m->kind = MESSAGE_OTHER;
	return 0;
}

int
message_parse(xmpp_stanza_t *st, const char *role_field, struct message *m,
    const char **errstr)
{
	xmpp_stanza_t	*c;
	const char	*from, *type, *name, *ns, *at, *slash, *dummy;
	int		 rc = 0;

	if (errstr == NULL)
		errstr = &dummy;
	memset(m, 0, sizeof(*m));
	if (st == NULL || (name = xmpp_stanza_get_name(st)) == NULL ||
	    strcmp(name, "message") != 0) {
		*errstr = "not a message";
		return -1;
	}
	type = xmpp_stanza_get_type(st);
	if (type != NULL && strcmp(type, "error") == 0)
		return 0;	/* MESSAGE_OTHER: never answered */
	if ((from = xmpp_stanza_get_from(st)) == NULL) {
		*errstr = "no from";
		return -1;
	}
	m->from = xstrdup(from);
	m->groupchat = type != NULL && strcmp(type, "groupchat") == 0;
	at = strchr(from, '@');
	slash = strchr(from, '/');
	if (at != NULL && slash != NULL && at < slash && at != from &&
	    slash[1] != '\0') {
		m->room = strndup(from, (size_t)(slash - from));
		if (m->room == NULL)
			abort();
		for (char *p = m->room; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		m->nick = xstrdup(slash + 1);
	}
	m->delayed = xmpp_stanza_get_child_by_name_and_ns(st, "delay",
	    NS_DELAY) != NULL;

	for (c = xmpp_stanza_get_children(st); c != NULL;
	    c = xmpp_stanza_get_next(c)) {
		if (!xmpp_stanza_is_tag(c))
			continue;
		name = xmpp_stanza_get_name(c);
		ns = xmpp_stanza_get_ns(c);
		if (ns != NULL && strcmp(ns, TELETRACK_NS) == 0) {
			rc = module_note(c, role_field, m);
			break;
		}
		if (strcmp(name, "reactions") == 0 && ns != NULL &&
		    strcmp(ns, NS_REACTIONS) == 0) {
			xmpp_stanza_t	*r;

			m->kind = MESSAGE_REACTION;
			for (r = xmpp_stanza_get_children(c); r != NULL;
			    r = xmpp_stanza_get_next(r))
				if (xmpp_stanza_is_tag(r) && strcmp(
				    xmpp_stanza_get_name(r), "reaction") == 0)
					m->nreactions++;
			break;
		}
		if (strcmp(name, "json-message") == 0 && ns != NULL &&
		    strcmp(ns, NS_JITMEET) == 0) {
			rc = json_message(c, m);
			break;
		}
		if (strcmp(name, "reply") == 0)
			m->is_reply = 1;
	}
	if (rc == -1) {
		*errstr = "malformed notification or JSON";
		message_clear(m);
		return -1;
	}
	if (m->kind == MESSAGE_OTHER && m->groupchat && m->nick != NULL &&
	    xmpp_stanza_get_child_by_name(st, "body") != NULL &&
	    xmpp_stanza_get_child_by_name(st, "subject") == NULL)
		m->kind = MESSAGE_CHAT;
	return 0;
}
