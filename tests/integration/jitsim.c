/*
 * jitsim: a scripted Jitsi conference for integration tests.
 *
 * One process plays several XMPP clients (a focus and Jitsi-like
 * participants) from a script, each with its own libstrophe connection in
 * one context.  Participants send what lib-jitsi-meet sends, as recorded
 * from the real library (tests/fixtures/ljm/README): the join presence
 * carries stats-id (always; a generated one unless set), caps, SourceInfo
 * "{}" (no source known yet), the codec list and the display name if it
 * was set before joining; ~0.1 s later, as a media session comes up, a
 * follow-up announces the microphone and camera with their real state
 * (unless "set A media off": then a source first appears with its first
 * change).  Later presences carry the whole set again, the changed element
 * moved to the end.  A stopped screen share stays as a muted desktop
 * source.  Leaving sends the room an unavailable presence, then Strophe's
 * bare <presence type='unavailable'/> and closes the stream.  Chat carries
 * an id only when the script gives one.  Stream management (XEP-0198) is
 * on whenever the server offers it.  <identity> is never sent by a real
 * client (Jitsi's token module adds it on the server): "set A identity"
 * stands in for that module.  Focus publishes <jibri-recording-status>
 * like jicofo.
 *
 * -O sends what jitsim sent before it was checked against lib-jitsi-meet:
 * every source from the join on and no follow-up, a stats-id only when
 * set, an id on every chat message, a leave without the bare unavailable,
 * stream management only with connect-sm.
 *
 * Usage: jitsim [-Ov] -p PORT [-s 127.0.0.1] [-d meet.jitsi] SCRIPT
 *        jitsim proxy LISTEN_PORT TARGET_PORT   (SIGUSR1 cuts every link)
 *
 * Script: one command per line, words separated by blanks, '#' comments.
 *   connect A anon | connect A JID PASSWORD     log in (TLS, not verified)
 *   connect-sm A JID PASSWORD                   the same, with XEP-0198
 *                                               also under -O
 *   resume A                                    after drop: resume the
 *                                               stream-management session
 *   set A stats-id V | set A name TEXT... | set A identity ID GROUP NAME...
 *   set A legacy on                             <audiomuted>/<videomuted>
 *   set A media off                             no media session: no
 *                                               follow-up after the join
 *   set A plain on                              presence as an observer
 *                                               sends it: the MUC <x/> only
 *   record A FILE                               append every stanza A
 *                                               receives to FILE, one a
 *                                               line after its time in ms
 *   jingle-answer A MODE [MS]                   how A answers a Jingle
 *                                               session-initiate: result,
 *                                               decline, error,
 *                                               error-decline or ignore;
 *                                               MS delays the decline
 *   audio A on|off, video A on|off, share A on|off, hand A up|down
 *                                               change state (not sent)
 *   join A ROOM NICK                            join, wait for self-presence
 *                                               (ROOM with '@': any MUC)
 *                                               (NICK "auto": 8 hex chars,
 *                                               as lib-jitsi-meet's)
 *   join-fail A ROOM NICK CONDITION             join, expect that error
 *   send A                                      send the current presence
 *   chat A TEXT...                              groupchat, no id
 *   chat-id A ID TEXT...                        groupchat with that id
 *   react A EMOJI [MSGID]                       reaction to message MSGID
 *   recording A pending|on|off file|stream [SESSION] [FAILURE]
 *   leave A [STATUS...]                         leave the room (and close
 *                                               the connection, as above)
 *   reload A [crash]                            a browser reload: close the
 *                                               connection (crash: cut the
 *                                               socket), log in again, join
 *                                               under a new nick, same
 *                                               stats-id and name
 *   tab B A                                     a second tab of A's browser:
 *                                               new actor B, same stats-id
 *                                               and name, joins A's room
 *   drop A                                      cut the socket: no
 *                                               unavailable, no TLS close
 *   disconnect A                                clean stream close
 *   sleep MS
 *   wait-file PATH [MS]                         until the test creates PATH
 *   wait-log PATH MS TEXT...                    until PATH (e.g. the
 *                                               observer's log) has a line
 *                                               containing TEXT
 *   touch PATH                                  create PATH: tell the test
 *                                               a step is done
 *   wait-presence A NICK [MS]                   A has seen NICK available
 *   wait-gone A NICK [MS]                       A has seen NICK leave
 *   expect-no-presence-from A NICK              A never got one from NICK
 *   available A                                 initial presence (a user
 *                                               client, e.g. an admin)
 *   wait-message A WORD [MS]                    A got a chat message whose
 *                                               body contains WORD
 *   disco A NICK                                disco#info to room/NICK,
 *                                               expect a result
 *   jingle A NICK                               Jingle session-initiate,
 *                                               expect an IQ error
 *   p2p A NICK                                  a user's P2P offer to
 *                                               NICK: expect an IQ result
 *                                               and NICK's session-
 *                                               terminate <decline/>
 *   admin A role NICK ROLE | admin A affiliation JID AFF
 *                                               muc#admin change; expect
 *                                               the room to refuse it
 *   expect-no-message-from A NICK               A got no groupchat from NICK
 *   expect-occupants A N                        the room's disco#info says
 *                                               muc#roominfo_occupants N
 *   speak A [silence]                           dominant-speaker message to
 *                                               speakerstats.DOMAIN, as
 *                                               lib-jitsi-meet sends it
 *   spoof A NICK                                a private message to
 *                                               room/NICK that pretends to
 *                                               be a teletrack notification
 *   (lobby, breakout rooms, end for all: see "Jitsi features" below)
 * Exit 0 when every line ran, 1 with a message on the first failure.
 *
 * Over 800 lines: one scripted client for every Jitsi behaviour the
 * scenarios play; the script language is its command table, and the
 * commands share the actors' state.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <strophe.h>

#include "clock.h"
#include "../testconn.h"

#define MAX_ACTORS	32
#define MAX_SEEN	64
#define WAIT_MS		30000	/* a bound: a valgrind'd observer on a busy machine is slow */

/* A participant's presence elements (see participant_presence()). */
enum {
	EL_STATS, EL_CAPS, EL_SOURCES, EL_CODECS, EL_NICK, EL_HAND,
	EL_AUDIOMUTED, EL_VIDEOMUTED, EL_VIDEOTYPE, NEL
};

struct actor {
	char		*name;
	xmpp_conn_t	*conn;
	int		 fd;
	int		 online, failed;
	char		*room;		/* bare room JID once joined */
	char		*nick;
	char		*stats_id;
	char		*display;
	char		*ident_id, *ident_group, *ident_name;
	int		 legacy;
	int		 plain;		/* presence as an observer: muc x only */
	int		 audio, video, share;
	char		 srcs[3];	/* sources announced, in that order */
	int		 nsrc;
	int		 nomedia;	/* no media session: no follow-up */
	char		*react_to;	/* message id a reaction answers */
	char		*login_jid;	/* NULL: anonymous */
	char		*login_pass;
	int		 sm;		/* stream management asked for */
	char		*p2p_sid;	/* our P2P offer, while it is open */
	char		*p2p_end;	/* reason of the peer's terminate */
	char		*sent[NEL];	/* element values in the last presence */
	int		 order[NEL];	/* and their order there */
	int		 norder;
	int		 hand;
	int64_t		 hand_ts;
	int		 joined;
	char		*join_error;
	char		*rec_status, *rec_mode, *rec_session, *rec_failure;
	char		*seen[MAX_SEEN];	/* nicks seen available */
	int		 nseen;
	char		*gone[MAX_SEEN];	/* nicks seen unavailable */
	int		 ngone;
	char		*ever[MAX_SEEN];	/* every nick presence came from */
	int		 never;
	char		*iq_id;
	char		*iq_type;	/* result / error when answered */
	int		 occupants;	/* from the last room disco#info */
	FILE		*record;	/* every stanza received, one a line */
	char		*jingle_mode;	/* how to answer a session-initiate */
	int		 jingle_delay;	/* ms before our session-terminate */
	xmpp_stanza_t	*jingle_later;	/* that terminate, while it waits */
	char		*said[MAX_SEEN];	/* nicks groupchat came from */
	int		 nsaid;
	char		*chats[MAX_SEEN];	/* bodies of direct messages */
	int		 nchats;
	struct testconn	 tc;		/* the connection handler's */
};

static xmpp_ctx_t	*ctx;
static struct actor	 actors[MAX_ACTORS];
static int		 nactors;
static const char	*server = "127.0.0.1";
static const char	*domain = "meet.jitsi";
static int		 port;
static int		 verbose;
static int		 old_wire;	/* -O: the presence we used to assume */
static int		 lineno;
static unsigned		 idseq;

static void	ext_attach(xmpp_conn_t *, struct actor *);
static int	ext_command(struct actor *, char **, int);
static void	ext_free(struct actor *);

static void die(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "jitsim: line %d: ", lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static char *
sdup(const char *s)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		die("out of memory");
	return p;
}

static void
set(char **dst, const char *s)
{
	free(*dst);
	*dst = sdup(s);
}

static int
has(char **list, int n, const char *s)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void
add(char **list, int *n, const char *s)
{
	if (!has(list, *n, s) && *n < MAX_SEEN)
		list[(*n)++] = sdup(s);
}

static void
del(char **list, int *n, const char *s)
{
	int	 i;

	for (i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0) {
			free(list[i]);
			list[i] = list[--(*n)];
			return;
		}
}

/* Free the n strings of list. */
static void
clear(char **list, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(list[i]);
}

static struct actor *
actor(const char *name, int create)
{
	int	 i;

	for (i = 0; i < nactors; i++)
		if (strcmp(actors[i].name, name) == 0)
			return &actors[i];
	if (!create)
		die("unknown actor %s", name);
	if (nactors == MAX_ACTORS)
		die("too many actors");
	memset(&actors[nactors], 0, sizeof(actors[0]));
	actors[nactors].name = sdup(name);
	actors[nactors].fd = -1;
	return &actors[nactors++];
}

/* Run the event loop until *flag or the deadline; 0 when flag was set. */
static int
run_until(int *flag, int ms)
{
	int64_t	 end = now_ms() + ms;

	while (!*flag && now_ms() < end)
		xmpp_run_once(ctx, 20);
	return *flag ? 0 : -1;
}

static void
pump(int ms)
{
	int	 never = 0;

	run_until(&never, ms);
}

/* --- stanza building ------------------------------------------------- */

static xmpp_stanza_t *
elem(xmpp_stanza_t *parent, const char *name, const char *ns,
    const char *text)
{
	xmpp_stanza_t	*e = xmpp_stanza_new(ctx), *t;

	xmpp_stanza_set_name(e, name);
	if (ns != NULL)
		xmpp_stanza_set_ns(e, ns);
	if (text != NULL && *text != '\0') {
		t = xmpp_stanza_new(ctx);
		xmpp_stanza_set_text(t, text);
		xmpp_stanza_add_child_ex(e, t, 0);
	}
	if (parent != NULL)
		xmpp_stanza_add_child_ex(parent, e, 0);
	return e;
}

/*
 * Send iq (its id set) as a's request and wait, at most WAIT_MS, for the
 * answer: "result", "error", or NULL when none came.  Releases iq.
 */
static const char *
iq_roundtrip(struct actor *a, xmpp_stanza_t *iq)
{
	int64_t	 end = now_ms() + WAIT_MS;

	set(&a->iq_id, xmpp_stanza_get_id(iq));
	set(&a->iq_type, NULL);
	xmpp_send(a->conn, iq);
	xmpp_stanza_release(iq);
	while (a->iq_type == NULL && now_ms() < end)
		xmpp_run_once(ctx, 20);
	return a->iq_type;
}

/* A disco#info query to jid, with a new id (copied to id). */
static xmpp_stanza_t *
disco_info_iq(const char *jid, char *id, size_t idsz)
{
	xmpp_stanza_t	*iq;

	snprintf(id, idsz, "jitsim-info-%u", ++idseq);
	iq = xmpp_iq_new(ctx, "get", id);
	xmpp_stanza_set_to(iq, jid);
	elem(iq, "query", "http://jabber.org/protocol/disco#info", NULL);
	return iq;
}

/* 1 when the MUC user element x carries the status code. */
static int
has_status(xmpp_stanza_t *x, const char *code)
{
	xmpp_stanza_t	*s;
	const char	*c;

	for (s = xmpp_stanza_get_children(x); s != NULL;
	    s = xmpp_stanza_get_next(s))
		if ((c = xmpp_stanza_get_attribute(s, "code")) != NULL &&
		    strcmp(c, code) == 0)
			return 1;
	return 0;
}

/*
 * SourceInfo as lib-jitsi-meet builds it: only the sources announced so far,
 * in the order they were announced ('a' audio -a0, 'v' camera -v0, 'd'
 * screen share -v1).  A source is announced by the follow-up presence once
 * a media session is up, or else by its first mute change; until then it is
 * unknown and the element reads "{}".
 */
static void
sourceinfo(struct actor *a, char *buf, size_t sz)
{
	size_t	 n = 0;
	int	 i, muted;
	char	 c;

	n += (size_t)snprintf(buf + n, sz - n, "{");
	for (i = 0; i < a->nsrc && n < sz; i++) {
		c = a->srcs[i];
		muted = c == 'a' ? !a->audio : c == 'v' ? !a->video : !a->share;
		n += (size_t)snprintf(buf + n, sz - n, "%s\"%s-%s\":{\"muted\":%s%s}",
		    i > 0 ? "," : "", a->nick, c == 'a' ? "a0" : c == 'v' ? "v0" :
		    "v1", muted ? "true" : "false",
		    c == 'd' ? ",\"videoType\":\"desktop\"" : "");
	}
	if (n < sz)
		snprintf(buf + n, sz - n, "}");
}

static void
announce(struct actor *a, char src)
{
	if (memchr(a->srcs, src, (size_t)a->nsrc) == NULL && a->nsrc < 3)
		a->srcs[a->nsrc++] = src;
}

/* The text of element el in a's next presence; NULL when it is absent. */
static const char *
el_value(struct actor *a, int el, char *buf, size_t sz)
{
	switch (el) {
	case EL_STATS:
		return a->stats_id;
	case EL_CAPS:
		return "caps";
	case EL_SOURCES:
		if (a->legacy)
			return NULL;
		sourceinfo(a, buf, sz);
		return buf;
	case EL_CODECS:
		return "av1,vp9,vp8,h264";
	case EL_NICK:
		return a->display;
	case EL_HAND:
		if (a->hand_ts == 0)
			return NULL;
		if (!a->hand)
			return "";	/* lowered: the element stays, empty */
		snprintf(buf, sz, "%lld", (long long)a->hand_ts);
		return buf;
	case EL_AUDIOMUTED:
		return a->legacy ? (a->audio ? "false" : "true") : NULL;
	case EL_VIDEOMUTED:
		return a->legacy ? (a->video || a->share ? "false" : "true") :
		    NULL;
	case EL_VIDEOTYPE:
		return a->legacy ? (a->share ? "desktop" : "camera") : NULL;
	}
	return NULL;
}

/* The element of each EL_*: its name and namespace. */
static const struct {
	const char	*name;
	const char	*ns;
} els[NEL] = {
	[EL_STATS] =		{ "stats-id", NULL },
	[EL_CAPS] =		{ "c", "http://jabber.org/protocol/caps" },
	[EL_SOURCES] =		{ "SourceInfo", NULL },
	[EL_CODECS] =		{ "jitsi_participant_codecList", NULL },
	[EL_NICK] =		{ "nick", "http://jabber.org/protocol/nick" },
	[EL_HAND] =		{ "jitsi_participant_raisedHand", NULL },
	[EL_AUDIOMUTED] =	{ "audiomuted", NULL },
	[EL_VIDEOMUTED] =	{ "videomuted", NULL },
	[EL_VIDEOTYPE] =	{ "videoType", NULL },
};

static void
el_add(xmpp_stanza_t *p, int el, const char *v)
{
	xmpp_stanza_t	*e;

	if (el != EL_CAPS) {
		elem(p, els[el].name, els[el].ns, v);
		return;
	}
	e = elem(p, els[el].name, els[el].ns, NULL);
	xmpp_stanza_set_attribute(e, "hash", "sha-1");
	xmpp_stanza_set_attribute(e, "node", "https://jitsi.org/jitsi-meet");
	xmpp_stanza_set_attribute(e, "ver", "dtzK/3xhISaXUMVg59IpXxdvKyQ=");
}

/*
 * A participant's presence in lib-jitsi-meet's element order: at the join
 * stats-id, caps, SourceInfo, codec list, then the display name if it was
 * set before joining; later an element whose value changed is removed and
 * appended (ChatRoom.addOrReplaceInPresence), so it moves to the end, and a
 * new one (a raised hand, a name set after the join) is appended.
 */
static void
participant_presence(struct actor *a, xmpp_stanza_t *p, int join)
{
	char		 bufs[NEL][1024];
	const char	*v[NEL];
	int		 order[NEL], n = 0, el, i, same;
	xmpp_stanza_t	*e, *u;

	for (el = 0; el < NEL; el++)
		v[el] = el_value(a, el, bufs[el], sizeof(bufs[el]));
	if (join) {
		for (el = 0; el < NEL; el++) {
			free(a->sent[el]);
			a->sent[el] = NULL;
		}
		a->norder = 0;
	}
	/* Unchanged elements keep their place... */
	for (i = 0; i < a->norder; i++) {
		el = a->order[i];
		if (v[el] != NULL && a->sent[el] != NULL &&
		    strcmp(v[el], a->sent[el]) == 0)
			order[n++] = el;
	}
	/* ...changed and new ones go to the end. */
	for (el = 0; el < NEL; el++) {
		if (v[el] == NULL)
			continue;
		for (same = 0, i = 0; i < n; i++)
			same |= order[i] == el;
		if (!same)
			order[n++] = el;
	}
	for (i = 0; i < n; i++)
		el_add(p, order[i], v[order[i]]);
	memcpy(a->order, order, sizeof(order));
	a->norder = n;
	for (el = 0; el < NEL; el++)
		set(&a->sent[el], v[el]);
	/*
	 * <identity> comes from the server, never from lib-jitsi-meet:
	 * Jitsi's token module stamps it from the JWT onto the presence.  We
	 * have no such module, so a test that sets one gets it here, where
	 * the server puts it: after the client's elements.
	 */
	if (a->ident_id != NULL) {
		e = elem(p, "identity", NULL, NULL);
		u = elem(e, "user", NULL, NULL);
		elem(u, "id", NULL, a->ident_id);
		elem(u, "name", NULL, a->ident_name);
		elem(e, "group", NULL, a->ident_group);
	}
}

static int
is_focus(struct actor *a)
{
	return a->rec_status != NULL || strcmp(a->nick, "focus") == 0;
}

static xmpp_stanza_t *
presence(struct actor *a, int join)
{
	xmpp_stanza_t	*p = xmpp_presence_new(ctx), *e, *u;
	char		 to[2048];

	snprintf(to, sizeof(to), "%s/%s", a->room, a->nick);
	xmpp_stanza_set_to(p, to);
	if (join)
		elem(p, "x", "http://jabber.org/protocol/muc", NULL);
	if (a->plain)
		return p;
	if (!is_focus(a)) {
		if (!old_wire)	/* Strophe.js marks every stanza */
			xmpp_stanza_set_attribute(p, "xml:lang", "en");
		participant_presence(a, p, join);
		return p;
	}
	e = elem(p, "conference-properties", "http://jitsi.org/protocol/focus",
	    NULL);
	u = elem(e, "property", NULL, NULL);
	xmpp_stanza_set_attribute(u, "key", "bridge-count");
	xmpp_stanza_set_attribute(u, "value", "1");
	if (a->rec_status != NULL) {
		e = elem(p, "jibri-recording-status",
		    "http://jitsi.org/protocol/jibri", NULL);
		xmpp_stanza_set_attribute(e, "status", a->rec_status);
		xmpp_stanza_set_attribute(e, "recording_mode", a->rec_mode);
		if (a->rec_session != NULL)
			xmpp_stanza_set_attribute(e, "session_id",
			    a->rec_session);
		if (a->rec_failure != NULL)
			xmpp_stanza_set_attribute(e, "failure_reason",
			    a->rec_failure);
	}
	return p;
}

static void
send_presence(struct actor *a, int join)
{
	xmpp_stanza_t	*p = presence(a, join);

	xmpp_send(a->conn, p);
	xmpp_stanza_release(p);
}

/* --- handlers ----------------------------------------------------------- */

/* Append st to the actor's record file: receipt time in ms, then the XML. */
static void
record(struct actor *a, xmpp_stanza_t *st)
{
	char	*t;
	size_t	 n;

	if (a->record == NULL || xmpp_stanza_to_text(st, &t, &n) != 0)
		return;
	fprintf(a->record, "%lld %s\n", (long long)now_ms(), t);
	fflush(a->record);
	xmpp_free(ctx, t);
}

static int
presence_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor	*a = arg;
	const char	*from = xmpp_stanza_get_from(st);
	const char	*type = xmpp_stanza_get_type(st);
	const char	*slash;
	xmpp_stanza_t	*x, *e, *cond;

	(void)c;
	record(a, st);
	if (from == NULL || (slash = strchr(from, '/')) == NULL)
		return 1;
	if (verbose) {
		char	*t;
		size_t	 n;

		if (xmpp_stanza_to_text(st, &t, &n) == 0) {
			fprintf(stderr, "[%s] <- %s\n", a->name, t);
			xmpp_free(ctx, t);
		}
	}
	add(a->ever, &a->never, slash + 1);
	if (type != NULL && strcmp(type, "error") == 0) {
		if ((e = xmpp_stanza_get_child_by_name(st, "error")) != NULL &&
		    (cond = xmpp_stanza_get_children(e)) != NULL)
			set(&a->join_error, xmpp_stanza_get_name(cond));
		else
			set(&a->join_error, "error");
		return 1;
	}
	if (type != NULL && strcmp(type, "unavailable") == 0) {
		del(a->seen, &a->nseen, slash + 1);
		add(a->gone, &a->ngone, slash + 1);
		return 1;
	}
	add(a->seen, &a->nseen, slash + 1);
	del(a->gone, &a->ngone, slash + 1);
	if ((x = xmpp_stanza_get_child_by_name_and_ns(st, "x",
	    "http://jabber.org/protocol/muc#user")) != NULL &&
	    has_status(x, "110"))
		a->joined = 1;
	return 1;
}

/*
 * Answer a Jingle request as set by "jingle-answer A MODE"; 0 when the
 * caller should answer (no mode, or not Jingle).  A session-initiate gets:
 *   result     an IQ result and nothing more
 *   decline    an IQ result, then our session-terminate with <decline/>,
 *              as lib-jitsi-meet itself refuses an unwanted P2P offer
 *   error      service-unavailable (what the caller does anyway)
 *   error-decline  service-unavailable, then the session-terminate
 *   ignore     no answer at all
 * Other Jingle actions: session-terminate is acknowledged, the rest get
 * item-not-found (the session is gone), as lib-jitsi-meet answers.
 */
static int
send_later(xmpp_conn_t *c, void *arg)
{
	struct actor	*a = arg;

	if (a->jingle_later != NULL) {
		xmpp_send(c, a->jingle_later);
		xmpp_stanza_release(a->jingle_later);
		a->jingle_later = NULL;
	}
	return 0;	/* once */
}

/*
 * Answer the IQ st: an empty result, or, when error is not NULL, that
 * error condition (type cancel).
 */
static void
answer(xmpp_conn_t *c, xmpp_stanza_t *st, const char *error)
{
	xmpp_stanza_t	*r;

	if (error != NULL)
		r = xmpp_stanza_reply_error(st, "cancel", error, NULL);
	else if ((r = xmpp_stanza_reply(st)) != NULL)
		xmpp_stanza_set_type(r, "result");
	if (r != NULL) {
		xmpp_send(c, r);
		xmpp_stanza_release(r);
	}
}

static int
jingle_answer(struct actor *a, xmpp_conn_t *c, xmpp_stanza_t *st)
{
	xmpp_stanza_t	*j, *iq, *t, *reason;
	const char	*action, *sid, *mode = a->jingle_mode;
	char		 id[32];

	if (mode == NULL || (j = xmpp_stanza_get_child_by_name_and_ns(st,
	    "jingle", "urn:xmpp:jingle:1")) == NULL ||
	    (action = xmpp_stanza_get_attribute(j, "action")) == NULL)
		return 0;
	sid = xmpp_stanza_get_attribute(j, "sid");
	if (strcmp(action, "session-initiate") != 0) {
		answer(c, st, strcmp(action, "session-terminate") == 0 ? NULL :
		    "item-not-found");
		return 1;
	}
	if (strcmp(mode, "ignore") == 0)
		return 1;
	answer(c, st, strcmp(mode, "error") == 0 ||
	    strcmp(mode, "error-decline") == 0 ? "service-unavailable" : NULL);
	if (strcmp(mode, "decline") != 0 && strcmp(mode, "error-decline") != 0)
		return 1;
	snprintf(id, sizeof(id), "jitsim-jt-%u", ++idseq);
	iq = xmpp_iq_new(ctx, "set", id);
	xmpp_stanza_set_to(iq, xmpp_stanza_get_from(st));
	t = elem(iq, "jingle", "urn:xmpp:jingle:1", NULL);
	xmpp_stanza_set_attribute(t, "action", "session-terminate");
	if (xmpp_stanza_get_attribute(j, "initiator") != NULL)
		xmpp_stanza_set_attribute(t, "initiator",
		    xmpp_stanza_get_attribute(j, "initiator"));
	if (sid != NULL)
		xmpp_stanza_set_attribute(t, "sid", sid);
	reason = elem(t, "reason", NULL, NULL);
	elem(reason, "decline", NULL, NULL);
	elem(reason, "text", NULL, "P2P disabled");
	if (a->jingle_delay > 0 && a->jingle_later == NULL) {
		a->jingle_later = iq;
		xmpp_timed_handler_add(c, send_later,
		    (unsigned long)a->jingle_delay, a);
		return 1;
	}
	xmpp_send(c, iq);
	xmpp_stanza_release(iq);
	return 1;
}

/*
 * The peer's session-terminate for our P2P offer ("p2p"): note its reason
 * and acknowledge it, as lib-jitsi-meet does.  0 when st is something else.
 */
static int
p2p_terminated(struct actor *a, xmpp_conn_t *c, xmpp_stanza_t *st)
{
	xmpp_stanza_t	*j, *reason;
	const char	*action, *sid;

	if (a->p2p_sid == NULL || (j = xmpp_stanza_get_child_by_name_and_ns(st,
	    "jingle", "urn:xmpp:jingle:1")) == NULL ||
	    (action = xmpp_stanza_get_attribute(j, "action")) == NULL ||
	    strcmp(action, "session-terminate") != 0 ||
	    (sid = xmpp_stanza_get_attribute(j, "sid")) == NULL ||
	    strcmp(sid, a->p2p_sid) != 0)
		return 0;
	if ((reason = xmpp_stanza_get_child_by_name(j, "reason")) != NULL &&
	    (reason = xmpp_stanza_get_children(reason)) != NULL &&
	    xmpp_stanza_get_name(reason) != NULL)
		set(&a->p2p_end, xmpp_stanza_get_name(reason));
	else
		set(&a->p2p_end, "(none)");
	answer(c, st, NULL);
	return 1;
}

static int
iq_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor	*a = arg;
	const char	*type = xmpp_stanza_get_type(st);
	const char	*id = xmpp_stanza_get_id(st);

	record(a, st);
	if (type == NULL || id == NULL)
		return 1;
	if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) {
		xmpp_stanza_t	*q, *x, *f, *v;
		char		*t;

		if (a->iq_id == NULL || strcmp(a->iq_id, id) != 0)
			return 1;
		if ((q = xmpp_stanza_get_child_by_name(st, "query")) != NULL &&
		    (x = xmpp_stanza_get_child_by_name(q, "x")) != NULL)
			for (f = xmpp_stanza_get_children(x); f != NULL;
			    f = xmpp_stanza_get_next(f)) {
				const char *var = xmpp_stanza_get_attribute(f,
				    "var");

				if (var == NULL || strcmp(var,
				    "muc#roominfo_occupants") != 0 ||
				    (v = xmpp_stanza_get_child_by_name(f,
				    "value")) == NULL)
					continue;
				if ((t = xmpp_stanza_get_text(v)) != NULL) {
					a->occupants = atoi(t);
					xmpp_free(ctx, t);
				}
			}
		set(&a->iq_type, type);
		return 1;
	}
	if (p2p_terminated(a, c, st))
		return 1;
	if (jingle_answer(a, c, st))
		return 1;
	/* We are a test client: refuse every request politely. */
	answer(c, st, "service-unavailable");
	return 1;
}

static int
message_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor	*a = arg;
	const char	*from = xmpp_stanza_get_from(st);
	const char	*slash;

	const char	*type = xmpp_stanza_get_type(st);
	char		*body;

	(void)c;
	record(a, st);
	if (type != NULL && strcmp(type, "chat") == 0 &&
	    (body = xmpp_message_get_body(st)) != NULL) {
		fprintf(stderr, "jitsim: %s got: %s\n", a->name, body);
		add(a->chats, &a->nchats, body);
		xmpp_free(ctx, body);
		return 1;
	}
	if (from != NULL && (slash = strchr(from, '/')) != NULL &&
	    xmpp_stanza_get_child_by_name(st, "body") != NULL)
		add(a->said, &a->nsaid, slash + 1);
	return 1;
}

static int
sockopt_cb(xmpp_conn_t *c, void *sock)
{
	int	 i;

	for (i = 0; i < nactors; i++)
		if (actors[i].conn == c)
			actors[i].fd = *(int *)sock;
	return 0;
}

static void
actor_up(xmpp_conn_t *c, void *arg)
{
	struct actor	*a = arg;

	a->online = 1;
	xmpp_handler_add(c, presence_cb, NULL, "presence", NULL, a);
	xmpp_handler_add(c, iq_cb, NULL, "iq", NULL, a);
	xmpp_handler_add(c, message_cb, NULL, "message", NULL, a);
	ext_attach(c, a);
}

static void
actor_down(xmpp_conn_t *c, int err, void *arg)
{
	struct actor	*a = arg;

	(void)c;
	(void)err;
	a->online = 0;
	a->failed = 1;
}

/* Connect a->conn, set up by the caller; 0, or -1 when it cannot start. */
static int
actor_connect(struct actor *a)
{
	a->tc = (struct testconn){ actor_up, actor_down, a };
	return xmpp_connect_client(a->conn, server, (unsigned short)port,
	    testconn_cb, &a->tc) == XMPP_EOK ? 0 : -1;
}

/* Free what a holds at the end of the script, in the order of struct actor. */
static void
actor_free(struct actor *a)
{
	free(a->name);
	if (a->conn != NULL)
		xmpp_conn_release(a->conn);
	free(a->room);
	free(a->nick);
	free(a->stats_id);
	free(a->display);
	free(a->ident_id);
	free(a->ident_group);
	free(a->ident_name);
	free(a->react_to);
	free(a->login_jid);
	free(a->login_pass);
	free(a->p2p_sid);
	free(a->p2p_end);
	clear(a->sent, NEL);
	free(a->join_error);
	free(a->rec_status);
	free(a->rec_mode);
	free(a->rec_session);
	free(a->rec_failure);
	clear(a->seen, a->nseen);
	clear(a->gone, a->ngone);
	clear(a->ever, a->never);
	free(a->iq_id);
	free(a->iq_type);
	if (a->record != NULL)
		fclose(a->record);
	free(a->jingle_mode);
	if (a->jingle_later != NULL)
		xmpp_stanza_release(a->jingle_later);
	clear(a->said, a->nsaid);
	clear(a->chats, a->nchats);
}

/* --- commands ---------------------------------------------------------- */

static void
login(struct actor *a, int sm)
{
	a->conn = xmpp_conn_new(ctx);
	a->failed = 0;
	/*
	 * A test client: TLS without verification.  Stream management
	 * (XEP-0198) whenever the server offers it, as every lib-jitsi-meet
	 * session has it; with -O only when asked (connect-sm).
	 */
	if (!old_wire)
		sm = 1;
	a->sm = sm;
	xmpp_conn_set_flags(a->conn, XMPP_CONN_FLAG_TRUST_TLS |
	    (sm ? 0 : XMPP_CONN_FLAG_DISABLE_SM));
	xmpp_conn_set_sockopt_callback(a->conn, sockopt_cb);
	if (a->login_jid == NULL)
		xmpp_conn_set_jid(a->conn, domain);
	else {
		xmpp_conn_set_jid(a->conn, a->login_jid);
		xmpp_conn_set_pass(a->conn, a->login_pass);
	}
	if (actor_connect(a) == -1)
		die("%s: cannot connect", a->name);
	if (run_until(&a->online, WAIT_MS) == -1)
		die("%s: login failed", a->name);
}

static void
do_connect(struct actor *a, char **w, int n, int sm)
{
	if (n >= 3 && strcmp(w[2], "anon") == 0) {
		set(&a->login_jid, NULL);
		set(&a->login_pass, NULL);
	} else if (n >= 4) {
		set(&a->login_jid, w[2]);
		set(&a->login_pass, w[3]);
	} else
		die("connect ACTOR anon | connect ACTOR JID PASSWORD");
	login(a, sm);
}

/*
 * Resume a dropped XEP-0198 session on a new connection: the room sees
 * nothing, the server ends the hibernation.
 */
static void
do_resume(struct actor *a)
{
	xmpp_sm_state_t	*sm;
	xmpp_conn_t	*old = a->conn;
	int64_t		 end = now_ms() + WAIT_MS;

	while (a->online && now_ms() < end)
		xmpp_run_once(ctx, 20);
	if ((sm = xmpp_conn_get_sm_state(old)) == NULL)
		die("%s: no stream-management state to resume", a->name);
	a->conn = xmpp_conn_new(ctx);
	xmpp_conn_set_flags(a->conn, XMPP_CONN_FLAG_TRUST_TLS);
	xmpp_conn_set_sockopt_callback(a->conn, sockopt_cb);
	xmpp_conn_set_jid(a->conn, xmpp_conn_get_jid(old));
	xmpp_conn_set_pass(a->conn, xmpp_conn_get_pass(old));
	if (xmpp_conn_set_sm_state(a->conn, sm) != XMPP_EOK)
		die("%s: cannot set stream-management state", a->name);
	xmpp_conn_release(old);
	a->failed = 0;
	if (actor_connect(a) == -1)
		die("%s: cannot reconnect", a->name);
	if (run_until(&a->online, WAIT_MS) == -1)
		die("%s: resume failed", a->name);
}

static void
rest(char **w, int n, int from, char *buf, size_t sz)
{
	int	 i;

	buf[0] = '\0';
	for (i = from; i < n; i++) {
		if (i > from)
			strncat(buf, " ", sz - strlen(buf) - 1);
		strncat(buf, w[i], sz - strlen(buf) - 1);
	}
}

/*
 * What a new lib-jitsi-meet session starts with: a stats-id (kept in the
 * browser profile's localStorage, so set one to play the same browser),
 * and no source announced yet.  With -O: what jitsim used to send, every
 * source from the join on and a stats-id only when set.
 */
static void
participant_defaults(struct actor *a)
{
	static const char *const names[] = { "Alma", "Bruno", "Chiara",
	    "Dario", "Edda", "Fritz", "Greta", "Hugo" };
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char	 buf[32];

	a->nsrc = 0;
	if (a->plain || is_focus(a))
		return;
	if (old_wire) {
		announce(a, 'a');
		announce(a, 'v');
		return;
	}
	if (a->stats_id == NULL) {
		snprintf(buf, sizeof(buf), "%s-%c%c%c",
		    names[arc4random_uniform(8)],
		    alnum[arc4random_uniform(sizeof(alnum) - 1)],
		    alnum[arc4random_uniform(sizeof(alnum) - 1)],
		    alnum[arc4random_uniform(sizeof(alnum) - 1)]);
		set(&a->stats_id, buf);
	}
}

static void
do_join(struct actor *a, const char *room, const char *nick,
    const char *expect_error)
{
	char	 jid[512];

	char	 hex[16];

	if (!a->online)
		die("%s: not connected", a->name);
	if (strchr(room, '@') != NULL)		/* a full room JID */
		snprintf(jid, sizeof(jid), "%s", room);
	else
		snprintf(jid, sizeof(jid), "%s@conference.%s", room, domain);
	set(&a->room, jid);
	if (strcmp(nick, "auto") == 0) {
		/* lib-jitsi-meet's MUC nick: 8 lowercase hex characters. */
		snprintf(hex, sizeof(hex), "%08x", arc4random());
		nick = hex;
	}
	set(&a->nick, nick);
	a->joined = 0;
	set(&a->join_error, NULL);
	participant_defaults(a);
	send_presence(a, 1);
	if (expect_error != NULL) {
		int	 got = 0;
		int64_t	 end = now_ms() + WAIT_MS;

		while (a->join_error == NULL && !a->joined && now_ms() < end)
			xmpp_run_once(ctx, 20);
		got = a->join_error != NULL &&
		    strcmp(a->join_error, expect_error) == 0;
		if (!got)
			die("%s: expected join error %s, got %s", a->name,
			    expect_error, a->joined ? "a join" :
			    a->join_error != NULL ? a->join_error : "nothing");
		return;
	}
	{
		int64_t	 end = now_ms() + WAIT_MS;

		while (!a->joined && a->join_error == NULL && now_ms() < end)
			xmpp_run_once(ctx, 20);
	}
	if (!a->joined)
		die("%s: join %s as %s failed: %s", a->name, jid, nick,
		    a->join_error != NULL ? a->join_error : "timeout");
	/*
	 * lib-jitsi-meet announces its sources once a media session is up
	 * (session-accept): 0.1-0.7 s after the join, a presence with the
	 * real state of its microphone and camera.
	 */
	if (!old_wire && !a->plain && !is_focus(a) && !a->nomedia &&
	    !a->legacy) {
		pump(100);
		announce(a, 'a');
		announce(a, 'v');
		send_presence(a, 0);
	}
}

/*
 * Groupchat as lib-jitsi-meet sends it: an id only when the application
 * gives one (Prosody then adds its own); a reaction names the message it
 * answers.  With -O every message carries a jitsim id.
 */
/* Leave the room; with the new wire wait (bounded) for our own leave. */
static void
muc_leave(struct actor *a, const char *status)
{
	xmpp_stanza_t	*p = xmpp_presence_new(ctx);
	char		 to[2048];
	int64_t		 end;

	snprintf(to, sizeof(to), "%s/%s", a->room, a->nick);
	xmpp_stanza_set_to(p, to);
	xmpp_stanza_set_type(p, "unavailable");
	if (status != NULL)
		elem(p, "status", NULL, status);
	xmpp_send(a->conn, p);
	xmpp_stanza_release(p);
	if (old_wire) {
		pump(50);
		return;
	}
	end = now_ms() + 1000;
	while (!has(a->gone, a->ngone, a->nick) && now_ms() < end)
		xmpp_run_once(ctx, 20);
}

/*
 * Strophe.js's disconnect, which lib-jitsi-meet runs after leaving a
 * conference and from its unload handler: a bare unavailable presence to
 * the server, then the stream closes.  Alone (a reload), Prosody turns it
 * into the room's unavailable for our occupant.
 */
static void
client_close(struct actor *a)
{
	xmpp_stanza_t	*p = xmpp_presence_new(ctx);
	int64_t		 end = now_ms() + WAIT_MS;

	xmpp_stanza_set_type(p, "unavailable");
	xmpp_send(a->conn, p);
	xmpp_stanza_release(p);
	xmpp_disconnect(a->conn);
	while (a->online && now_ms() < end)
		xmpp_run_once(ctx, 20);
}

/* The room's name (its JID's local part) into buf. */
static void
room_name(struct actor *a, char *buf, size_t sz)
{
	char	*at;

	if (a->room == NULL || !a->joined)
		die("%s: not in a room", a->name);
	snprintf(buf, sz, "%s", a->room);
	if ((at = strchr(buf, '@')) != NULL)
		*at = '\0';
}

/*
 * A browser reload: the page's unload handler closes the connection (a
 * bare unavailable, no room leave), the new page logs in again and joins
 * under a new nick with the same stats-id (localStorage).  "crash": the
 * page dies without unload (the socket is cut, the server keeps the
 * session hibernating) and is opened again.
 */
static void
do_reload(struct actor *a, int crash)
{
	char		 room[512];
	int64_t		 end = now_ms() + WAIT_MS;

	room_name(a, room, sizeof(room));
	/* The new page starts with no hand raised and no screen shared. */
	a->hand = a->share = 0;
	a->hand_ts = 0;
	if (crash) {
		if (a->fd < 0)
			die("%s: no socket", a->name);
		shutdown(a->fd, SHUT_RDWR);
		while (a->online && now_ms() < end)
			xmpp_run_once(ctx, 20);
	} else
		client_close(a);
	xmpp_conn_release(a->conn);
	a->conn = NULL;
	a->fd = -1;
	login(a, a->sm);
	do_join(a, room, "auto", NULL);
}

/*
 * A second tab of a's browser: the same localStorage, so the same stats-id
 * and display name; its own connection and nick, in the same room.
 */
static void
do_tab(struct actor *t, struct actor *a)
{
	char	 room[512];

	room_name(a, room, sizeof(room));
	set(&t->stats_id, a->stats_id);
	set(&t->display, a->display);
	set(&t->ident_id, a->ident_id);
	set(&t->ident_group, a->ident_group);
	set(&t->ident_name, a->ident_name);
	set(&t->login_jid, a->login_jid);
	set(&t->login_pass, a->login_pass);
	t->legacy = a->legacy;
	t->nomedia = a->nomedia;
	t->audio = a->audio;
	t->video = a->video;
	login(t, a->sm);
	do_join(t, room, "auto", NULL);
}

static void
do_message(struct actor *a, const char *body, const char *emoji,
    const char *id)
{
	xmpp_stanza_t	*m, *r;
	char		 buf[32];

	if (id == NULL && old_wire) {
		snprintf(buf, sizeof(buf), "jitsim-%u", ++idseq);
		id = buf;
	}
	m = xmpp_message_new(ctx, "groupchat", a->room, id);
	if (!old_wire)
		xmpp_stanza_set_attribute(m, "xml:lang", "en");
	if (body != NULL)
		xmpp_message_set_body(m, body);
	else {
		r = elem(m, "reactions", "urn:xmpp:reactions:0", NULL);
		xmpp_stanza_set_attribute(r, "id", a->react_to != NULL ?
		    a->react_to : "jitsim-1");
		elem(r, "reaction", NULL, emoji);
		elem(m, "store", "urn:xmpp:hints", NULL);
	}
	xmpp_send(a->conn, m);
	xmpp_stanza_release(m);
}

static void
do_iq(struct actor *a, const char *nick, int jingle)
{
	xmpp_stanza_t	*iq, *q;
	char		 id[32], to[2048];
	int		 answered = 0;

	snprintf(id, sizeof(id), "jitsim-iq-%u", ++idseq);
	snprintf(to, sizeof(to), "%s/%s", a->room, nick);
	iq = xmpp_iq_new(ctx, jingle ? "set" : "get", id);
	xmpp_stanza_set_to(iq, to);
	if (jingle) {
		q = elem(iq, "jingle", "urn:xmpp:jingle:1", NULL);
		xmpp_stanza_set_attribute(q, "action", "session-initiate");
		xmpp_stanza_set_attribute(q, "sid", id);
	} else
		elem(iq, "query", "http://jabber.org/protocol/disco#info",
		    NULL);
	answered = iq_roundtrip(a, iq) != NULL;
	if (!answered)
		die("%s: no answer to %s from %s", a->name,
		    jingle ? "jingle" : "disco#info", nick);
	if (strcmp(a->iq_type, jingle ? "error" : "result") != 0)
		die("%s: %s from %s answered %s", a->name,
		    jingle ? "jingle" : "disco#info", nick, a->iq_type);
}

/*
 * A user alone with NICK offers it a P2P session, as lib-jitsi-meet does
 * (a session-initiate, here without media content).  Expect what ends the
 * attempt at once: an IQ result, then NICK's session-terminate with
 * <decline/>, both within WAIT_MS; print how long it took.
 */
static void
do_p2p(struct actor *a, const char *nick)
{
	xmpp_stanza_t	*iq, *j;
	char		 id[32], to[2048], from[2048];
	int64_t		 t0 = now_ms(), end = t0 + WAIT_MS;

	snprintf(id, sizeof(id), "jitsim-p2p-%u", ++idseq);
	snprintf(to, sizeof(to), "%s/%s", a->room, nick);
	snprintf(from, sizeof(from), "%s/%s", a->room, a->nick);
	iq = xmpp_iq_new(ctx, "set", id);
	xmpp_stanza_set_to(iq, to);
	j = elem(iq, "jingle", "urn:xmpp:jingle:1", NULL);
	xmpp_stanza_set_attribute(j, "action", "session-initiate");
	xmpp_stanza_set_attribute(j, "initiator", from);
	xmpp_stanza_set_attribute(j, "sid", id + 7);
	set(&a->p2p_sid, id + 7);
	set(&a->p2p_end, NULL);
	set(&a->iq_id, id);
	set(&a->iq_type, NULL);
	xmpp_send(a->conn, iq);
	xmpp_stanza_release(iq);
	while ((a->iq_type == NULL || a->p2p_end == NULL) && now_ms() < end)
		xmpp_run_once(ctx, 20);
	if (a->iq_type == NULL || strcmp(a->iq_type, "result") != 0)
		die("%s: P2P offer to %s answered %s", a->name, nick,
		    a->iq_type != NULL ? a->iq_type : "nothing");
	if (a->p2p_end == NULL || strcmp(a->p2p_end, "decline") != 0)
		die("%s: P2P offer to %s not declined (%s)", a->name, nick,
		    a->p2p_end != NULL ? a->p2p_end : "no session-terminate");
	fprintf(stderr, "jitsim: %s: P2P offer to %s declined in %lld ms\n",
	    a->name, nick, (long long)(now_ms() - t0));
	set(&a->p2p_sid, NULL);
}

static int
onoff(const char *v)
{
	if (v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "up") == 0))
		return 1;
	if (v != NULL && (strcmp(v, "off") == 0 || strcmp(v, "down") == 0))
		return 0;
	die("expected on/off or up/down");
}

/*
 * --- Jitsi features: lobby, breakout rooms, ending for all ------------------
 *
 * Commands that drive Jitsi's server modules the way lib-jitsi-meet does
 * (mod_muc_lobby_rooms, mod_muc_breakout_rooms, mod_end_conference, or a
 * test module reproducing them), and look at what comes back.  Their state
 * lives in ext[], parallel to actors[], so the actor struct stays as is.
 *
 *   members-only A on|off        as ChatRoom.setMembersOnly: grant member
 *                                to every occupant A has seen, then submit
 *                                muc#roomconfig_membersonly
 *   grant A ACTOR|JID AFF        muc#admin affiliation change, must succeed
 *   kick A NICK                  muc#admin role none, must not fail
 *   knock A NICK                 join the lobby room named by A's last 407
 *   invite A ACTOR               mediated invite of ACTOR's full JID into
 *                                A's room (Lobby.approveAccess); ACTOR may
 *                                be seen:B:NICK, the JID B saw for NICK
 *   wait-invite A [MS]           A received an invite
 *   wait-kicked A [MS]           A was kicked (307) from its room
 *   wait-destroyed A [MS]        A's room was destroyed under it
 *   breakout-add A NAME          ask the breakout component for a room
 *   breakout-remove A NAME       close a breakout room
 *   wait-breakout A NAME [MS]    A knows breakout room NAME (update JSON)
 *   join-breakout A NAME NICK    join breakout room NAME (as jicofo does)
 *   switch A NAME|main NICK      leave with status switch_room and join
 *                                the breakout room NAME (or the main room)
 *   end-conference A             <end_conference/> to endconference.DOMAIN
 *   av-moderation A on|off MEDIA  <av_moderation enable mediaType/> to
 *                                avmoderation.DOMAIN
 *   wait-text A WORD [MS]        a json-message or teletrack notification
 *                                A received contains WORD
 *   expect-text A WORD | expect-no-text A WORD
 *   expect-status A NICK CODE    A saw status CODE on NICK's presence
 *   expect-no-status A CODE      A never saw status CODE on any presence
 *   join-async A ROOM NICK       send the join, do not wait (a join held
 *                                in a server queue); wait-joined A [MS]
 *   learn A B                    A takes B's list of breakout rooms
 *   expect-roominfo A VAR VALUE  the room's disco#info field
 *                                muc#roominfo_VAR is VALUE
 *                                ("-": absent or empty, "*": not empty)
 */

#define EXT_TEXTS	512

struct actor_ext {
	char	*jids[MAX_SEEN];	/* real JIDs of nicks[] */
	char	*nicks[MAX_SEEN];
	int	 njids;
	char	*lobbyroom;		/* from the last 407 */
	char	*main_room;		/* the room before the first switch */
	char	*texts[EXT_TEXTS];	/* json-message bodies, notes */
	int	 ntexts;
	char	*bnames[MAX_SEEN];	/* breakout room names ... */
	char	*bjids[MAX_SEEN];	/* ... and JIDs */
	int	 nbreakout;
	char	*codes[MAX_SEEN];	/* "nick code" seen */
	int	 ncodes;
	int	 invited, kicked, destroyed;
	char	*info_var, *info_value;	/* expect-roominfo */
	int	 info_done;
};

static struct actor_ext	 ext[MAX_ACTORS];

static struct actor_ext *
ext_of(struct actor *a)
{
	return &ext[a - actors];
}

static void
ext_text(struct actor_ext *e, const char *s)
{
	if (e->ntexts < EXT_TEXTS)
		e->texts[e->ntexts++] = sdup(s);
}

static void
ext_breakout_json(struct actor_ext *e, const char *text)
{
	json_t		*root, *rooms, *r, *name, *jid;
	const char	*key;
	int		 i;

	if ((root = json_loads(text, 0, NULL)) == NULL)
		return;
	if ((rooms = json_object_get(root, "rooms")) != NULL &&
	    json_is_object(rooms)) {
		for (i = 0; i < e->nbreakout; i++) {
			free(e->bnames[i]);
			free(e->bjids[i]);
		}
		e->nbreakout = 0;
		json_object_foreach(rooms, key, r) {
			name = json_object_get(r, "name");
			jid = json_object_get(r, "jid");
			if (!json_is_string(name) || !json_is_string(jid) ||
			    json_object_get(r, "isMainRoom") != NULL ||
			    e->nbreakout == MAX_SEEN)
				continue;
			e->bnames[e->nbreakout] = sdup(json_string_value(name));
			e->bjids[e->nbreakout++] = sdup(json_string_value(jid));
		}
	}
	json_decref(root);
}

static int
ext_presence_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor		*a = arg;
	struct actor_ext	*e = ext_of(a);
	const char		*from = xmpp_stanza_get_from(st);
	const char		*type = xmpp_stanza_get_type(st);
	const char		*slash, *code, *rj;
	xmpp_stanza_t		*x, *s, *err, *lr;
	char			 buf[512];
	int			 self = 0;

	(void)c;
	if (from == NULL || (slash = strchr(from, '/')) == NULL)
		return 1;
	if (type != NULL && strcmp(type, "error") == 0) {
		if ((err = xmpp_stanza_get_child_by_name(st, "error")) != NULL &&
		    (lr = xmpp_stanza_get_child_by_name_and_ns(err, "lobbyroom",
		    "http://jitsi.org/jitmeet")) != NULL) {
			char	*t = xmpp_stanza_get_text(lr);

			free(e->lobbyroom);
			e->lobbyroom = sdup(t);
			xmpp_free(ctx, t);
		}
		return 1;
	}
	if ((x = xmpp_stanza_get_child_by_name_and_ns(st, "x",
	    "http://jabber.org/protocol/muc#user")) == NULL)
		return 1;
	for (s = xmpp_stanza_get_children(x); s != NULL;
	    s = xmpp_stanza_get_next(s)) {
		const char *name = xmpp_stanza_get_name(s);

		if (name == NULL)
			continue;
		if (strcmp(name, "status") == 0 &&
		    (code = xmpp_stanza_get_attribute(s, "code")) != NULL) {
			if (strcmp(code, "110") == 0)
				self = 1;
			snprintf(buf, sizeof(buf), "%s %s", slash + 1, code);
			add(e->codes, &e->ncodes, buf);
		}
		if (strcmp(name, "item") == 0 &&
		    (rj = xmpp_stanza_get_attribute(s, "jid")) != NULL &&
		    !has(e->nicks, e->njids, slash + 1) && e->njids < MAX_SEEN) {
			e->nicks[e->njids] = sdup(slash + 1);
			e->jids[e->njids++] = sdup(rj);
		}
		if (strcmp(name, "destroy") == 0 && type != NULL)
			e->destroyed = 1;
	}
	if (self && type != NULL && strcmp(type, "unavailable") == 0 &&
	    has_status(x, "307"))
		e->kicked = 1;
	return 1;
}

static int
ext_message_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor		*a = arg;
	struct actor_ext	*e = ext_of(a);
	xmpp_stanza_t		*ch, *x;
	const char		*ns;
	char			*t;
	size_t			 n;

	(void)c;
	for (ch = xmpp_stanza_get_children(st); ch != NULL;
	    ch = xmpp_stanza_get_next(ch)) {
		if (!xmpp_stanza_is_tag(ch))
			continue;
		ns = xmpp_stanza_get_ns(ch);
		if (strcmp(xmpp_stanza_get_name(ch), "json-message") == 0) {
			if ((t = xmpp_stanza_get_text(ch)) == NULL)
				continue;
			ext_text(e, t);
			if (strstr(t, "\"breakout_rooms\"") != NULL &&
			    strstr(t, "breakout-rooms/update") != NULL)
				ext_breakout_json(e, t);
			xmpp_free(ctx, t);
		} else if (ns != NULL && strcmp(ns, "urn:teletrack:1") == 0 &&
		    xmpp_stanza_to_text(ch, &t, &n) == 0) {
			ext_text(e, t);
			xmpp_free(ctx, t);
		}
	}
	if ((x = xmpp_stanza_get_child_by_name_and_ns(st, "x",
	    "http://jabber.org/protocol/muc#user")) != NULL &&
	    xmpp_stanza_get_child_by_name(x, "invite") != NULL)
		e->invited = 1;
	return 1;
}

static void
ext_attach(xmpp_conn_t *c, struct actor *a)
{
	xmpp_handler_add(c, ext_presence_cb, NULL, "presence", NULL, a);
	xmpp_handler_add(c, ext_message_cb, NULL, "message", NULL, a);
}

static void
ext_free(struct actor *a)
{
	struct actor_ext	*e = ext_of(a);

	/* In the order of struct actor_ext. */
	clear(e->jids, e->njids);
	clear(e->nicks, e->njids);
	free(e->lobbyroom);
	free(e->main_room);
	clear(e->texts, e->ntexts);
	clear(e->bnames, e->nbreakout);
	clear(e->bjids, e->nbreakout);
	clear(e->codes, e->ncodes);
	free(e->info_var);
	free(e->info_value);
}

/* Send iq, wait for its answer; returns "result", "error" or NULL. */
static const char *
ext_iq(struct actor *a, xmpp_stanza_t *iq)
{
	char	 id[32];

	snprintf(id, sizeof(id), "jitsim-ext-%u", ++idseq);
	xmpp_stanza_set_id(iq, id);
	return iq_roundtrip(a, iq);
}

/*
 * The bare or full JID an actor name, "seen:ACTOR:NICK" (the real JID
 * ACTOR saw in NICK's presence) or a literal JID stands for.
 */
static void
ext_jid(const char *who, int full, char *buf, size_t sz)
{
	const char	*j, *colon;
	int		 i;

	if (strncmp(who, "seen:", 5) == 0 &&
	    (colon = strchr(who + 5, ':')) != NULL) {
		char			 name[64];
		struct actor_ext	*e;

		snprintf(name, sizeof(name), "%.*s", (int)(colon - who - 5),
		    who + 5);
		e = ext_of(actor(name, 0));
		for (i = 0; i < e->njids; i++)
			if (strcmp(e->nicks[i], colon + 1) == 0) {
				snprintf(buf, sz, "%s", e->jids[i]);
				if (!full && strchr(buf, '/') != NULL)
					*strchr(buf, '/') = '\0';
				return;
			}
		die("%s has not seen %s", name, colon + 1);
	}

	for (i = 0; i < nactors; i++)
		if (strcmp(actors[i].name, who) == 0 && actors[i].conn != NULL &&
		    (j = xmpp_conn_get_bound_jid(actors[i].conn)) != NULL) {
			snprintf(buf, sz, "%s", j);
			if (!full && strchr(buf, '/') != NULL)
				*strchr(buf, '/') = '\0';
			return;
		}
	snprintf(buf, sz, "%s", who);
}

/*
 * A muc#admin set that must not fail.  An unanswered one passes when
 * quiet_ok: Jitsi's lobby module filters every IQ result the lobby
 * component sends to clients, kicks included.
 */
static void
ext_admin(struct actor *a, const char *attr1, const char *v1,
    const char *attr2, const char *v2, int quiet_ok)
{
	xmpp_stanza_t	*iq, *q, *item;
	const char	*r;

	iq = xmpp_iq_new(ctx, "set", "x");
	xmpp_stanza_set_to(iq, a->room);
	q = elem(iq, "query", "http://jabber.org/protocol/muc#admin", NULL);
	item = elem(q, "item", NULL, NULL);
	xmpp_stanza_set_attribute(item, attr1, v1);
	xmpp_stanza_set_attribute(item, attr2, v2);
	if (((r = ext_iq(a, iq)) == NULL && !quiet_ok) ||
	    (r != NULL && strcmp(r, "result") != 0))
		die("%s: muc#admin %s=%s %s=%s: %s", a->name, attr1, v1, attr2,
		    v2, r != NULL ? r : "no answer");
}

static void
ext_members_only(struct actor *a, int on)
{
	struct actor_ext	*e = ext_of(a);
	xmpp_stanza_t		*iq, *q, *item, *x, *f;
	const char		*r;
	char			 bare[512];
	int			 i, items = 0;

	if (on) {
		/* The occupants this client can see: focus and hidden ones
		 * are not among them. */
		iq = xmpp_iq_new(ctx, "set", "x");
		xmpp_stanza_set_to(iq, a->room);
		q = elem(iq, "query", "http://jabber.org/protocol/muc#admin",
		    NULL);
		for (i = 0; i < e->njids; i++) {
			if (!has(a->seen, a->nseen, e->nicks[i]) ||
			    strcmp(e->nicks[i], "focus") == 0 ||
			    strcmp(e->nicks[i], a->nick) == 0)
				continue;
			snprintf(bare, sizeof(bare), "%s", e->jids[i]);
			if (strchr(bare, '/') != NULL)
				*strchr(bare, '/') = '\0';
			item = elem(q, "item", NULL, NULL);
			xmpp_stanza_set_attribute(item, "affiliation", "member");
			xmpp_stanza_set_attribute(item, "jid", bare);
			items++;
		}
		if (items > 0)
			(void)ext_iq(a, iq);
		else
			xmpp_stanza_release(iq);
	}
	iq = xmpp_iq_new(ctx, "set", "x");
	xmpp_stanza_set_to(iq, a->room);
	q = elem(iq, "query", "http://jabber.org/protocol/muc#owner", NULL);
	x = elem(q, "x", "jabber:x:data", NULL);
	xmpp_stanza_set_type(x, "submit");
	f = elem(x, "field", NULL, NULL);
	xmpp_stanza_set_attribute(f, "var", "FORM_TYPE");
	elem(f, "value", NULL, "http://jabber.org/protocol/muc#roomconfig");
	f = elem(x, "field", NULL, NULL);
	xmpp_stanza_set_attribute(f, "var", "muc#roomconfig_membersonly");
	elem(f, "value", NULL, on ? "true" : "false");
	if ((r = ext_iq(a, iq)) == NULL || strcmp(r, "result") != 0)
		die("%s: members-only %s: %s", a->name, on ? "on" : "off",
		    r != NULL ? r : "no answer");
}

static void
ext_component(struct actor *a, const char *component, xmpp_stanza_t *payload)
{
	xmpp_stanza_t	*m;
	char		 to[256], id[32];

	snprintf(to, sizeof(to), "%s.%s", component, domain);
	snprintf(id, sizeof(id), "jitsim-ext-%u", ++idseq);
	m = xmpp_message_new(ctx, NULL, to, id);
	xmpp_stanza_add_child_ex(m, payload, 0);
	xmpp_send(a->conn, m);
	xmpp_stanza_release(m);
}

static const char *
ext_breakout_jid(struct actor *a, const char *name)
{
	struct actor_ext	*e = ext_of(a);
	int			 i;

	for (i = 0; i < e->nbreakout; i++)
		if (strcmp(e->bnames[i], name) == 0)
			return e->bjids[i];
	return NULL;
}

static int
ext_wait_flag(int *flag, char **w, int n, int at)
{
	return run_until(flag, n > at ? atoi(w[at]) : WAIT_MS);
}

static int
ext_has_text(struct actor_ext *e, const char *word)
{
	int	 i;

	for (i = 0; i < e->ntexts; i++)
		if (strstr(e->texts[i], word) != NULL)
			return 1;
	return 0;
}

static int
ext_info_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor_ext	*e = ext_of(arg);
	xmpp_stanza_t		*q, *x, *f, *v;
	const char		*var;
	char			*t;

	(void)c;
	if ((q = xmpp_stanza_get_child_by_name(st, "query")) != NULL &&
	    (x = xmpp_stanza_get_child_by_name(q, "x")) != NULL)
		for (f = xmpp_stanza_get_children(x); f != NULL;
		    f = xmpp_stanza_get_next(f)) {
			var = xmpp_stanza_get_attribute(f, "var");
			if (var == NULL || strcmp(var, e->info_var) != 0 ||
			    (v = xmpp_stanza_get_child_by_name(f, "value")) ==
			    NULL)
				continue;
			t = xmpp_stanza_get_text(v);
			set(&e->info_value, t);
			xmpp_free(ctx, t);
		}
	e->info_done = 1;
	return 0;
}

static void
ext_roominfo(struct actor *a, const char *var, const char *want)
{
	struct actor_ext	*e = ext_of(a);
	xmpp_stanza_t		*iq;
	char			 id[32];
	const char		*got;

	iq = disco_info_iq(a->room, id, sizeof(id));
	set(&e->info_var, var);
	set(&e->info_value, NULL);
	e->info_done = 0;
	xmpp_id_handler_add(a->conn, ext_info_cb, id, a);
	xmpp_send(a->conn, iq);
	xmpp_stanza_release(iq);
	if (run_until(&e->info_done, WAIT_MS) == -1)
		die("%s: no disco#info answer", a->name);
	got = e->info_value != NULL ? e->info_value : "";
	if (strcmp(want, "-") == 0 ? *got != '\0' : strcmp(want, "*") == 0 ?
	    *got == '\0' : strcmp(got, want) != 0)
		die("%s: %s is [%s], expected %s", a->name, var, got, want);
}

/* Run a Jitsi feature command; 0 when w[0] is not one of them. */
static int
ext_command(struct actor *a, char **w, int n)
{
	struct actor_ext	*e = ext_of(a);
	xmpp_stanza_t		*p, *m, *x, *inv;
	const char		*bj;
	char			 buf[1024], to[1024];
	int			 ok;
	int64_t			 end;

	if (strcmp(w[0], "members-only") == 0 && n >= 3)
		ext_members_only(a, onoff(w[2]));
	else if (strcmp(w[0], "grant") == 0 && n >= 4) {
		ext_jid(w[2], 0, buf, sizeof(buf));
		ext_admin(a, "jid", buf, "affiliation", w[3], 0);
	} else if (strcmp(w[0], "kick") == 0 && n >= 3)
		ext_admin(a, "nick", w[2], "role", "none", 1);
	else if (strcmp(w[0], "knock") == 0 && n >= 3) {
		if (e->lobbyroom == NULL)
			die("%s: no lobby room known (no 407 yet)", a->name);
		snprintf(buf, sizeof(buf), "%s", e->lobbyroom);
		do_join(a, buf, w[2], NULL);
	} else if (strcmp(w[0], "invite") == 0 && n >= 3) {
		ext_jid(w[2], 1, buf, sizeof(buf));
		m = xmpp_message_new(ctx, NULL, a->room, "jitsim-invite");
		x = elem(m, "x", "http://jabber.org/protocol/muc#user", NULL);
		inv = elem(x, "invite", NULL, NULL);
		xmpp_stanza_set_attribute(inv, "to", buf);
		xmpp_send(a->conn, m);
		xmpp_stanza_release(m);
	} else if (strcmp(w[0], "wait-invite") == 0) {
		if (ext_wait_flag(&e->invited, w, n, 2) == -1)
			die("%s: no invite", a->name);
	} else if (strcmp(w[0], "wait-kicked") == 0) {
		if (ext_wait_flag(&e->kicked, w, n, 2) == -1)
			die("%s: not kicked", a->name);
	} else if (strcmp(w[0], "wait-destroyed") == 0) {
		if (ext_wait_flag(&e->destroyed, w, n, 2) == -1)
			die("%s: room not destroyed", a->name);
	} else if (strcmp(w[0], "breakout-add") == 0 && n >= 3) {
		p = elem(NULL, "breakout_rooms", NULL, NULL);
		xmpp_stanza_set_attribute(p, "type",
		    "features/breakout-rooms/add");
		xmpp_stanza_set_attribute(p, "subject", w[2]);
		ext_component(a, "breakout", p);
	} else if (strcmp(w[0], "breakout-remove") == 0 && n >= 3) {
		if ((bj = ext_breakout_jid(a, w[2])) == NULL)
			die("%s: no breakout room %s", a->name, w[2]);
		p = elem(NULL, "breakout_rooms", NULL, NULL);
		xmpp_stanza_set_attribute(p, "type",
		    "features/breakout-rooms/remove");
		xmpp_stanza_set_attribute(p, "breakoutRoomJid", bj);
		ext_component(a, "breakout", p);
	} else if (strcmp(w[0], "wait-breakout") == 0 && n >= 3) {
		end = now_ms() + (n > 3 ? atoi(w[3]) : WAIT_MS);
		while (ext_breakout_jid(a, w[2]) == NULL && now_ms() < end)
			xmpp_run_once(ctx, 20);
		if (ext_breakout_jid(a, w[2]) == NULL)
			die("%s: breakout room %s never listed", a->name, w[2]);
	} else if (strcmp(w[0], "join-breakout") == 0 && n >= 4) {
		if ((bj = ext_breakout_jid(a, w[2])) == NULL)
			die("%s: no breakout room %s", a->name, w[2]);
		snprintf(to, sizeof(to), "%s", bj);
		do_join(a, to, w[3], NULL);
	} else if (strcmp(w[0], "switch") == 0 && n >= 4) {
		if (e->main_room == NULL)
			e->main_room = sdup(a->room);
		if (strcmp(w[2], "main") == 0)
			snprintf(to, sizeof(to), "%s", e->main_room);
		else if ((bj = ext_breakout_jid(a, w[2])) != NULL)
			snprintf(to, sizeof(to), "%s", bj);
		else
			die("%s: no breakout room %s", a->name, w[2]);
		p = xmpp_presence_new(ctx);
		snprintf(buf, sizeof(buf), "%s/%s", a->room, a->nick);
		xmpp_stanza_set_to(p, buf);
		xmpp_stanza_set_type(p, "unavailable");
		elem(p, "status", NULL, "switch_room");
		xmpp_send(a->conn, p);
		xmpp_stanza_release(p);
		pump(100);
		do_join(a, to, w[3], NULL);
	} else if (strcmp(w[0], "av-moderation") == 0 && n >= 4) {
		p = elem(NULL, "av_moderation", NULL, NULL);
		xmpp_stanza_set_attribute(p, "enable", onoff(w[2]) ?
		    "true" : "false");
		xmpp_stanza_set_attribute(p, "mediaType", w[3]);
		ext_component(a, "avmoderation", p);
	} else if (strcmp(w[0], "end-conference") == 0)
		ext_component(a, "endconference",
		    elem(NULL, "end_conference", NULL, NULL));
	else if (strcmp(w[0], "wait-text") == 0 && n >= 3) {
		end = now_ms() + (n > 3 ? atoi(w[3]) : WAIT_MS);
		while (!(ok = ext_has_text(e, w[2])) && now_ms() < end)
			xmpp_run_once(ctx, 20);
		if (!ok)
			die("%s: nothing received containing %s", a->name, w[2]);
	} else if (strcmp(w[0], "expect-text") == 0 && n >= 3) {
		pump(200);
		if (!ext_has_text(e, w[2]))
			die("%s: nothing received containing %s", a->name, w[2]);
	} else if (strcmp(w[0], "expect-no-text") == 0 && n >= 3) {
		pump(200);
		if (ext_has_text(e, w[2]))
			die("%s: received something containing %s", a->name,
			    w[2]);
	} else if (strcmp(w[0], "expect-status") == 0 && n >= 4) {
		pump(200);
		snprintf(buf, sizeof(buf), "%s %s", w[2], w[3]);
		if (!has(e->codes, e->ncodes, buf))
			die("%s: no status %s from %s", a->name, w[3], w[2]);
	} else if (strcmp(w[0], "expect-no-status") == 0 && n >= 3) {
		int	 i;
		size_t	 k = strlen(w[2]);

		pump(200);
		for (i = 0; i < e->ncodes; i++) {
			size_t	 l = strlen(e->codes[i]);

			if (l > k && e->codes[i][l - k - 1] == ' ' &&
			    strcmp(e->codes[i] + l - k, w[2]) == 0)
				die("%s: status %s seen (%s)", a->name, w[2],
				    e->codes[i]);
		}
	} else if (strcmp(w[0], "join-async") == 0 && n >= 4) {
		if (strchr(w[2], '@') != NULL)
			snprintf(buf, sizeof(buf), "%s", w[2]);
		else
			snprintf(buf, sizeof(buf), "%s@conference.%s", w[2],
			    domain);
		set(&a->room, buf);
		set(&a->nick, w[3]);
		a->joined = 0;
		set(&a->join_error, NULL);
		send_presence(a, 1);
	} else if (strcmp(w[0], "wait-joined") == 0) {
		if (ext_wait_flag(&a->joined, w, n, 2) == -1)
			die("%s: join of %s not answered", a->name, a->room);
	} else if (strcmp(w[0], "learn") == 0 && n >= 3) {
		struct actor_ext	*b = ext_of(actor(w[2], 0));
		int			 i;

		for (i = 0; i < b->nbreakout && e->nbreakout < MAX_SEEN; i++) {
			e->bnames[e->nbreakout] = sdup(b->bnames[i]);
			e->bjids[e->nbreakout++] = sdup(b->bjids[i]);
		}
	} else if (strcmp(w[0], "expect-roominfo") == 0 && n >= 4) {
		/* '#' starts a comment: the muc#roominfo_ prefix is implied */
		snprintf(buf, sizeof(buf), "muc#roominfo_%s", w[2]);
		ext_roominfo(a, buf, w[3]);
	}
	else
		return 0;
	return 1;
}

/*
 * 1 when the file at path has a line containing text.  Only what was
 * appended since *off is read: a debug log grows to megabytes.
 */
static int
file_has(const char *path, const char *text, long *off)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	int	 found = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fseek(fp, *off, SEEK_SET) == 0)
		while (!found && (len = getline(&line, &cap, fp)) > 0 &&
		    line[len - 1] == '\n') {
			found = strstr(line, text) != NULL;
			*off += (long)len;
		}
	free(line);
	fclose(fp);
	return found;
}

static void
run_line(char **w, int n)
{
	struct actor	*a;
	char		 buf[2048];
	int		 ms, ok;
	int64_t		 end;

	if (strcmp(w[0], "sleep") == 0) {
		pump(n > 1 ? atoi(w[1]) : 100);
		return;
	}
	if (strcmp(w[0], "wait-file") == 0 && n >= 2) {
		end = now_ms() + (n > 2 ? atoi(w[2]) : WAIT_MS);
		while (access(w[1], F_OK) != 0 && now_ms() < end)
			xmpp_run_once(ctx, 20);
		if (access(w[1], F_OK) != 0)
			die("wait-file %s timed out", w[1]);
		return;
	}
	if (strcmp(w[0], "wait-log") == 0 && n >= 4) {
		long	 off = 0;

		rest(w, n, 3, buf, sizeof(buf));
		end = now_ms() + atoi(w[2]);
		while (!(ok = file_has(w[1], buf, &off)) && now_ms() < end)
			pump(100);
		if (!ok)
			die("wait-log %s \"%s\" timed out", w[1], buf);
		return;
	}
	if (strcmp(w[0], "touch") == 0 && n >= 2) {
		FILE	*fp;

		if ((fp = fopen(w[1], "a")) == NULL || fclose(fp) != 0)
			die("touch %s: %s", w[1], strerror(errno));
		return;
	}
	if (n < 2)
		die("%s needs an actor", w[0]);
	a = actor(w[1], strncmp(w[0], "connect", 7) == 0 ||
	    strcmp(w[0], "tab") == 0);
	if (strcmp(w[0], "connect") == 0)
		do_connect(a, w, n, 0);
	else if (strcmp(w[0], "connect-sm") == 0)
		do_connect(a, w, n, 1);
	else if (strcmp(w[0], "resume") == 0)
		do_resume(a);
	else if (strcmp(w[0], "record") == 0 && n >= 3) {
		if (a->record != NULL)
			fclose(a->record);
		if ((a->record = fopen(w[2], "a")) == NULL)
			die("%s: %s: %s", a->name, w[2], strerror(errno));
	} else if (strcmp(w[0], "jingle-answer") == 0 && n >= 3) {
		set(&a->jingle_mode, w[2]);
		a->jingle_delay = n > 3 ? atoi(w[3]) : 0;
	}
	else if (strcmp(w[0], "speak") == 0) {
		xmpp_stanza_t	*m, *c;
		char		 to[256];

		snprintf(to, sizeof(to), "speakerstats.%s", domain);
		m = xmpp_message_new(ctx, NULL, to, "jitsim-speak");
		c = elem(m, "speakerstats", "http://jitsi.org/jitmeet", NULL);
		xmpp_stanza_set_attribute(c, "room", a->room);
		xmpp_stanza_set_attribute(c, "silence", n > 2 &&
		    strcmp(w[2], "silence") == 0 ? "true" : "false");
		xmpp_send(a->conn, m);
		xmpp_stanza_release(m);
	}
	else if (strcmp(w[0], "set") == 0 && n >= 4) {
		rest(w, n, 3, buf, sizeof(buf));
		if (strcmp(w[2], "stats-id") == 0)
			set(&a->stats_id, w[3]);
		else if (strcmp(w[2], "name") == 0)
			set(&a->display, buf);
		else if (strcmp(w[2], "legacy") == 0)
			a->legacy = onoff(w[3]);
		else if (strcmp(w[2], "plain") == 0)
			a->plain = onoff(w[3]);
		else if (strcmp(w[2], "media") == 0)
			a->nomedia = !onoff(w[3]);
		else if (strcmp(w[2], "identity") == 0 && n >= 6) {
			set(&a->ident_id, w[3]);
			set(&a->ident_group, w[4]);
			rest(w, n, 5, buf, sizeof(buf));
			set(&a->ident_name, buf);
		} else
			die("bad set");
	} else if (strcmp(w[0], "audio") == 0 && n >= 3) {
		a->audio = onoff(w[2]);
		announce(a, 'a');
	} else if (strcmp(w[0], "video") == 0 && n >= 3) {
		a->video = onoff(w[2]);
		announce(a, 'v');
	} else if (strcmp(w[0], "share") == 0 && n >= 3) {
		a->share = onoff(w[2]);
		announce(a, 'd');
	} else if (strcmp(w[0], "hand") == 0 && n >= 3) {
		a->hand = onoff(w[2]);
		a->hand_ts = now_ms();
	} else if (strcmp(w[0], "join") == 0 && n >= 4)
		do_join(a, w[2], w[3], NULL);
	else if (strcmp(w[0], "join-fail") == 0 && n >= 5)
		do_join(a, w[2], w[3], w[4]);
	else if (strcmp(w[0], "send") == 0)
		send_presence(a, 0);
	else if (strcmp(w[0], "chat") == 0 && n >= 3) {
		rest(w, n, 2, buf, sizeof(buf));
		do_message(a, buf, NULL, NULL);
	} else if (strcmp(w[0], "chat-id") == 0 && n >= 4) {
		rest(w, n, 3, buf, sizeof(buf));
		do_message(a, buf, NULL, w[2]);
	} else if (strcmp(w[0], "react") == 0 && n >= 3) {
		set(&a->react_to, n > 3 ? w[3] : NULL);
		do_message(a, NULL, w[2], NULL);
	} else if (strcmp(w[0], "recording") == 0 && n >= 4) {
		set(&a->rec_status, w[2]);
		set(&a->rec_mode, w[3]);
		set(&a->rec_session, n > 4 ? w[4] : NULL);
		set(&a->rec_failure, n > 5 ? w[5] : NULL);
		send_presence(a, 0);
	} else if (strcmp(w[0], "leave") == 0) {
		if (n > 2)
			rest(w, n, 2, buf, sizeof(buf));
		muc_leave(a, n > 2 ? buf : NULL);
		/*
		 * Leaving the conference ends the client's connection;
		 * leaving a lobby room (admitted, or giving up) does not.
		 */
		if (!old_wire && !is_focus(a) && !a->plain &&
		    strstr(a->room, "@lobby.") == NULL)
			client_close(a);
	} else if (strcmp(w[0], "reload") == 0)
		do_reload(a, n > 2 && strcmp(w[2], "crash") == 0);
	else if (strcmp(w[0], "tab") == 0 && n >= 3)
		do_tab(a, actor(w[2], 0));
	else if (strcmp(w[0], "drop") == 0) {
		if (a->fd < 0)
			die("%s: no socket", a->name);
		shutdown(a->fd, SHUT_RDWR);
		end = now_ms() + WAIT_MS;
		while (a->online && now_ms() < end)
			xmpp_run_once(ctx, 20);
	} else if (strcmp(w[0], "disconnect") == 0) {
		xmpp_disconnect(a->conn);
		end = now_ms() + WAIT_MS;
		while (a->online && now_ms() < end)
			xmpp_run_once(ctx, 20);
	} else if ((strcmp(w[0], "wait-presence") == 0 ||
	    strcmp(w[0], "wait-gone") == 0) && n >= 3) {
		int	 gone = w[0][5] == 'g';

		ms = n > 3 ? atoi(w[3]) : WAIT_MS;
		end = now_ms() + ms;
		for (;;) {
			ok = gone ? has(a->gone, a->ngone, w[2]) :
			    has(a->seen, a->nseen, w[2]);
			if (ok || now_ms() >= end)
				break;
			xmpp_run_once(ctx, 20);
		}
		if (!ok)
			die("%s: %s %s timed out", a->name, w[0], w[2]);
	} else if (strcmp(w[0], "available") == 0) {
		/* Initial presence: messages to the bare JID reach us. */
		xmpp_stanza_t	*p = xmpp_presence_new(ctx);

		xmpp_send(a->conn, p);
		xmpp_stanza_release(p);
		pump(200);
	} else if (strcmp(w[0], "wait-message") == 0 && n >= 3) {
		int	 k;

		ms = n > 3 ? atoi(w[3]) : WAIT_MS;
		end = now_ms() + ms;
		for (ok = 0;;) {
			for (k = 0; k < a->nchats && !ok; k++)
				ok = strstr(a->chats[k], w[2]) != NULL;
			if (ok || now_ms() >= end)
				break;
			xmpp_run_once(ctx, 20);
		}
		if (!ok)
			die("%s: no message containing \"%s\" within %d ms",
			    a->name, w[2], ms);
	} else if (strcmp(w[0], "expect-no-presence-from") == 0 && n >= 3) {
		pump(200);
		if (has(a->ever, a->never, w[2]))
			die("%s: received presence from %s", a->name, w[2]);
	} else if (strcmp(w[0], "expect-occupants") == 0 && n >= 3) {
		char	 id[32];

		a->occupants = -1;
		(void)iq_roundtrip(a, disco_info_iq(a->room, id, sizeof(id)));
		if (a->occupants != atoi(w[2]))
			die("%s: room reports %d occupants, expected %s",
			    a->name, a->occupants, w[2]);
	} else if (strcmp(w[0], "expect-no-message-from") == 0 && n >= 3) {
		pump(200);
		if (has(a->said, a->nsaid, w[2]))
			die("%s: received groupchat from %s", a->name, w[2]);
	} else if (strcmp(w[0], "admin") == 0 && n >= 5) {
		xmpp_stanza_t	*iq, *q, *item;
		char		 id[32];

		snprintf(id, sizeof(id), "jitsim-admin-%u", ++idseq);
		iq = xmpp_iq_new(ctx, "set", id);
		xmpp_stanza_set_to(iq, a->room);
		q = elem(iq, "query", "http://jabber.org/protocol/muc#admin",
		    NULL);
		item = elem(q, "item", NULL, NULL);
		if (strcmp(w[2], "role") == 0) {
			xmpp_stanza_set_attribute(item, "nick", w[3]);
			xmpp_stanza_set_attribute(item, "role", w[4]);
		} else {
			xmpp_stanza_set_attribute(item, "jid", w[3]);
			xmpp_stanza_set_attribute(item, "affiliation", w[4]);
		}
		if (iq_roundtrip(a, iq) == NULL ||
		    strcmp(a->iq_type, "error") != 0)
			die("%s: admin %s %s %s was %s", a->name, w[2], w[3],
			    w[4], a->iq_type != NULL ? "accepted" : "unanswered");
	} else if (strcmp(w[0], "disco") == 0 && n >= 3)
		do_iq(a, w[2], 0);
	else if (strcmp(w[0], "jingle") == 0 && n >= 3)
		do_iq(a, w[2], 1);
	else if (strcmp(w[0], "p2p") == 0 && n >= 3)
		do_p2p(a, w[2]);
	else if (strcmp(w[0], "spoof") == 0 && n >= 3) {
		xmpp_stanza_t	*m, *c;
		char		 to[2048];

		snprintf(to, sizeof(to), "%s/%s", a->room, w[2]);
		m = xmpp_message_new(ctx, "chat", to, "jitsim-spoof");
		c = elem(m, "client", "urn:teletrack:1", NULL);
		xmpp_stanza_set_attribute(c, "room", a->room);
		xmpp_stanza_set_attribute(c, "nick", a->nick);
		xmpp_stanza_set_attribute(c, "ip", "198.51.100.66");
		xmpp_stanza_set_attribute(c, "ua", "Spoofed/1.0");
		xmpp_send(a->conn, m);
		xmpp_stanza_release(m);
	}
	else if (!ext_command(a, w, n))
		die("unknown or incomplete command: %s", w[0]);
}

static void
run_script(FILE *fp)
{
	char	 line[4096], *w[64], *p, *save;
	int	 n;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		n = 0;
		for (p = strtok_r(line, " \t\r\n", &save); p != NULL && n < 64;
		    p = strtok_r(NULL, " \t\r\n", &save))
			w[n++] = p;
		if (n == 0)
			continue;
		if (verbose)
			fprintf(stderr, "jitsim: %d: %s\n", lineno, w[0]);
		run_line(w, n);
		/* Let what was sent go out before the next command. */
		pump(30);
	}
}

/* --- proxy --------------------------------------------------------------- */

static volatile sig_atomic_t	cut, quit;

static void
on_usr1(int s)
{
	(void)s;
	cut = 1;
}

static void
on_term(int s)
{
	(void)s;
	quit = 1;
}

static int
tcp_listen(int p)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
tcp_connect(int p)
{
	struct sockaddr_in	 sin;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A loopback TCP forwarder.  SIGUSR1 cuts every open link at once (both
 * sides see a reset-like close) and keeps listening, so a test can take
 * the observer's connection away and watch it come back.
 */
static int
proxy(int lport, int tport)
{
	struct pollfd	 pf[1 + 2 * 16];
	int		 pairs[16][2], npairs = 0, lfd, i, j;
	char		 buf[16384];
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = tcp_listen(lport)) == -1) {
		perror("jitsim proxy: listen");
		return 1;
	}
	while (!quit) {
		if (cut) {
			cut = 0;
			for (i = 0; i < npairs; i++) {
				struct linger lg = { 1, 0 };	/* RST */

				setsockopt(pairs[i][0], SOL_SOCKET, SO_LINGER,
				    &lg, sizeof(lg));
				close(pairs[i][0]);
				close(pairs[i][1]);
			}
			fprintf(stderr, "jitsim proxy: cut %d link(s)\n",
			    npairs);
			npairs = 0;
		}
		pf[0].fd = lfd;
		pf[0].events = POLLIN;
		for (i = 0; i < npairs; i++)
			for (j = 0; j < 2; j++) {
				pf[1 + 2 * i + j].fd = pairs[i][j];
				pf[1 + 2 * i + j].events = POLLIN;
			}
		if (poll(pf, (nfds_t)(1 + 2 * npairs), 100) <= 0)
			continue;
		for (i = 0; i < npairs; i++)
			for (j = 0; j < 2; j++) {
				ssize_t	 r;

				if (!(pf[1 + 2 * i + j].revents &
				    (POLLIN | POLLHUP | POLLERR)))
					continue;
				r = read(pairs[i][j], buf, sizeof(buf));
				if (r <= 0 || write(pairs[i][1 - j], buf,
				    (size_t)r) != r) {
					close(pairs[i][0]);
					close(pairs[i][1]);
					pairs[i][0] = pairs[npairs - 1][0];
					pairs[i][1] = pairs[npairs - 1][1];
					npairs--;
					goto next;
				}
			}
next:
		if ((pf[0].revents & POLLIN) && npairs < 16) {
			int	 c = accept(lfd, NULL, NULL), t;

			if (c >= 0 && (t = tcp_connect(tport)) >= 0) {
				pairs[npairs][0] = c;
				pairs[npairs][1] = t;
				npairs++;
			} else if (c >= 0)
				close(c);
		}
	}
	for (i = 0; i < npairs; i++) {
		close(pairs[i][0]);
		close(pairs[i][1]);
	}
	close(lfd);
	return 0;
}

int
main(int argc, char **argv)
{
	FILE	*fp;
	int	 ch, i;

	if (argc == 4 && strcmp(argv[1], "proxy") == 0)
		return proxy(atoi(argv[2]), atoi(argv[3]));
	while ((ch = getopt(argc, argv, "Ovp:s:d:")) != -1) {
		switch (ch) {
		case 'O':
			old_wire = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			server = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (port == 0 || optind != argc - 1)
		goto usage;
	if ((fp = fopen(argv[optind], "r")) == NULL) {
		perror(argv[optind]);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, verbose ? xmpp_get_default_logger(
	    XMPP_LEVEL_WARN) : NULL);
	run_script(fp);
	fclose(fp);
	/* Orderly end: close what is still open. */
	for (i = 0; i < nactors; i++) {
		struct actor *a = &actors[i];

		if (a->conn != NULL && a->online)
			xmpp_disconnect(a->conn);
	}
	pump(200);
	for (i = 0; i < nactors; i++) {
		struct actor *a = &actors[i];

		actor_free(a);
		ext_free(a);
	}
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return 0;
usage:
	fprintf(stderr, "usage: jitsim [-Ov] -p PORT [-s HOST] [-d DOMAIN] "
	    "SCRIPT\n       jitsim proxy LISTEN_PORT TARGET_PORT\n");
	return 2;
}
