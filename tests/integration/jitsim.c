/*
 * jitsim: a scripted Jitsi conference for integration tests.
 *
 * One process plays several XMPP clients (a focus and Jitsi-like
 * participants) from a script, each with its own libstrophe connection in
 * one context.  Participants send the presence lib-jitsi-meet sends: the
 * whole element set on every change, SourceInfo JSON for mute, camera and
 * screen share (a stopped share stays as a muted desktop source), stats-id,
 * caps, display name, an optional JWT-like <identity>.  Focus publishes
 * <jibri-recording-status> like jicofo.
 *
 * Usage: jitsim [-v] -p PORT [-s 127.0.0.1] [-d meet.jitsi] SCRIPT
 *        jitsim proxy LISTEN_PORT TARGET_PORT   (SIGUSR1 cuts every link)
 *
 * Script: one command per line, words separated by blanks, '#' comments.
 *   connect A anon | connect A JID PASSWORD     log in (TLS, not verified)
 *   connect-sm A JID PASSWORD                   the same, with XEP-0198
 *   resume A                                    after drop: resume the
 *                                               stream-management session
 *   set A stats-id V | set A name TEXT... | set A identity ID GROUP NAME...
 *   set A legacy on                             <audiomuted>/<videomuted>
 *   audio A on|off, video A on|off, share A on|off, hand A up|down
 *                                               change state (not sent)
 *   join A ROOM NICK                            join, wait for self-presence
 *   join-fail A ROOM NICK CONDITION             join, expect that error
 *   send A                                      send the current presence
 *   chat A TEXT...     react A EMOJI            groupchat body / reaction
 *   recording A pending|on|off file|stream [SESSION] [FAILURE]
 *   leave A [STATUS...]                         unavailable presence
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
 * Exit 0 when every line ran, 1 with a message on the first failure.
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

#include <strophe.h>

#define MAX_ACTORS	32
#define MAX_SEEN	64
#define WAIT_MS		30000	/* a bound: a valgrind'd observer on a busy machine is slow */

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
	int		 audio, video, share, shared_once;
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
	char		*said[MAX_SEEN];	/* nicks groupchat came from */
	int		 nsaid;
	char		*chats[MAX_SEEN];	/* bodies of direct messages */
	int		 nchats;
};

static xmpp_ctx_t	*ctx;
static struct actor	 actors[MAX_ACTORS];
static int		 nactors;
static const char	*server = "127.0.0.1";
static const char	*domain = "meet.jitsi";
static int		 port;
static int		 verbose;
static int		 lineno;
static unsigned		 idseq;

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

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static void
sourceinfo(struct actor *a, char *buf, size_t sz)
{
	int	 n;

	n = snprintf(buf, sz, "{\"%s-a0\":{\"muted\":%s},\"%s-v0\":"
	    "{\"muted\":%s}", a->nick, a->audio ? "false" : "true", a->nick,
	    a->video ? "false" : "true");
	if (a->shared_once && n > 0 && (size_t)n < sz)
		n += snprintf(buf + n, sz - (size_t)n, ",\"%s-v1\":{\"muted\":%s,"
		    "\"videoType\":\"desktop\"}", a->nick,
		    a->share ? "false" : "true");
	if (n > 0 && (size_t)n < sz)
		snprintf(buf + n, sz - (size_t)n, "}");
}

static xmpp_stanza_t *
presence(struct actor *a, int join)
{
	xmpp_stanza_t	*p = xmpp_presence_new(ctx), *e, *u;
	char		 to[2048], si[1024], ts[32];
	int		 is_focus = a->rec_status != NULL ||
	    strcmp(a->nick, "focus") == 0;

	snprintf(to, sizeof(to), "%s/%s", a->room, a->nick);
	xmpp_stanza_set_to(p, to);
	if (join)
		elem(p, "x", "http://jabber.org/protocol/muc", NULL);
	if (is_focus) {
		e = elem(p, "conference-properties",
		    "http://jitsi.org/protocol/focus", NULL);
		u = elem(e, "property", NULL, NULL);
		xmpp_stanza_set_attribute(u, "key", "bridge-count");
		xmpp_stanza_set_attribute(u, "value", "1");
		if (a->rec_status != NULL) {
			e = elem(p, "jibri-recording-status",
			    "http://jitsi.org/protocol/jibri", NULL);
			xmpp_stanza_set_attribute(e, "status", a->rec_status);
			xmpp_stanza_set_attribute(e, "recording_mode",
			    a->rec_mode);
			if (a->rec_session != NULL)
				xmpp_stanza_set_attribute(e, "session_id",
				    a->rec_session);
			if (a->rec_failure != NULL)
				xmpp_stanza_set_attribute(e, "failure_reason",
				    a->rec_failure);
		}
		return p;
	}
	if (a->stats_id != NULL)
		elem(p, "stats-id", NULL, a->stats_id);
	e = elem(p, "c", "http://jabber.org/protocol/caps", NULL);
	xmpp_stanza_set_attribute(e, "hash", "sha-1");
	xmpp_stanza_set_attribute(e, "node", "https://jitsi.org/jitsi-meet");
	xmpp_stanza_set_attribute(e, "ver", "Jm4YBk0q0c8m2b6bY1s3yQk9Zx0=");
	elem(p, "jitsi_participant_codecList", NULL, "av1,vp9,vp8");
	if (a->legacy) {
		elem(p, "audiomuted", NULL, a->audio ? "false" : "true");
		elem(p, "videomuted", NULL, a->video || a->share ? "false" :
		    "true");
		elem(p, "videoType", NULL, a->share ? "desktop" : "camera");
	} else {
		sourceinfo(a, si, sizeof(si));
		elem(p, "SourceInfo", NULL, si);
	}
	if (a->hand_ts != 0) {
		snprintf(ts, sizeof(ts), "%lld", (long long)a->hand_ts);
		elem(p, "jitsi_participant_raisedHand", NULL,
		    a->hand ? ts : NULL);
	}
	if (a->display != NULL)
		elem(p, "nick", "http://jabber.org/protocol/nick", a->display);
	if (a->ident_id != NULL) {
		e = elem(p, "identity", NULL, NULL);
		u = elem(e, "user", NULL, NULL);
		elem(u, "id", NULL, a->ident_id);
		elem(u, "name", NULL, a->ident_name);
		elem(e, "group", NULL, a->ident_group);
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

static int
presence_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor	*a = arg;
	const char	*from = xmpp_stanza_get_from(st);
	const char	*type = xmpp_stanza_get_type(st);
	const char	*slash;
	xmpp_stanza_t	*x, *s, *e, *cond;

	(void)c;
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
	    "http://jabber.org/protocol/muc#user")) != NULL)
		for (s = xmpp_stanza_get_children(x); s != NULL;
		    s = xmpp_stanza_get_next(s))
			if (xmpp_stanza_get_attribute(s, "code") != NULL &&
			    strcmp(xmpp_stanza_get_attribute(s, "code"),
			    "110") == 0)
				a->joined = 1;
	return 1;
}

static int
iq_cb(xmpp_conn_t *c, xmpp_stanza_t *st, void *arg)
{
	struct actor	*a = arg;
	const char	*type = xmpp_stanza_get_type(st);
	const char	*id = xmpp_stanza_get_id(st);
	xmpp_stanza_t	*r;

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
	/* We are a test client: refuse every request politely. */
	if ((r = xmpp_stanza_reply_error(st, "cancel", "service-unavailable",
	    NULL)) != NULL) {
		xmpp_send(c, r);
		xmpp_stanza_release(r);
	}
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
conn_cb(xmpp_conn_t *c, xmpp_conn_event_t ev, int err,
    xmpp_stream_error_t *se, void *arg)
{
	struct actor	*a = arg;

	(void)err;
	(void)se;
	if (ev == XMPP_CONN_CONNECT) {
		a->online = 1;
		xmpp_handler_add(c, presence_cb, NULL, "presence", NULL, a);
		xmpp_handler_add(c, iq_cb, NULL, "iq", NULL, a);
		xmpp_handler_add(c, message_cb, NULL, "message", NULL, a);
		return;
	}
	a->online = 0;
	a->failed = 1;
}

/* --- commands ---------------------------------------------------------- */

static void
do_connect(struct actor *a, char **w, int n, int sm)
{
	a->conn = xmpp_conn_new(ctx);
	/* A test client: TLS without verification; SM only when asked. */
	xmpp_conn_set_flags(a->conn, XMPP_CONN_FLAG_TRUST_TLS |
	    (sm ? 0 : XMPP_CONN_FLAG_DISABLE_SM));
	xmpp_conn_set_sockopt_callback(a->conn, sockopt_cb);
	if (n >= 3 && strcmp(w[2], "anon") == 0)
		xmpp_conn_set_jid(a->conn, domain);
	else if (n >= 4) {
		xmpp_conn_set_jid(a->conn, w[2]);
		xmpp_conn_set_pass(a->conn, w[3]);
	} else
		die("connect ACTOR anon | connect ACTOR JID PASSWORD");
	if (xmpp_connect_client(a->conn, server, (unsigned short)port,
	    conn_cb, a) != XMPP_EOK)
		die("%s: cannot connect", a->name);
	if (run_until(&a->online, WAIT_MS) == -1)
		die("%s: login failed", a->name);
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
	if (xmpp_connect_client(a->conn, server, (unsigned short)port,
	    conn_cb, a) != XMPP_EOK)
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

static void
do_join(struct actor *a, const char *room, const char *nick,
    const char *expect_error)
{
	char	 jid[512];

	if (!a->online)
		die("%s: not connected", a->name);
	snprintf(jid, sizeof(jid), "%s@conference.%s", room, domain);
	set(&a->room, jid);
	set(&a->nick, nick);
	a->joined = 0;
	set(&a->join_error, NULL);
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
}

static void
do_message(struct actor *a, const char *body, const char *emoji)
{
	xmpp_stanza_t	*m, *r;
	char		 id[32];

	snprintf(id, sizeof(id), "jitsim-%u", ++idseq);
	m = xmpp_message_new(ctx, "groupchat", a->room, id);
	if (body != NULL)
		xmpp_message_set_body(m, body);
	else {
		r = elem(m, "reactions", "urn:xmpp:reactions:0", NULL);
		xmpp_stanza_set_attribute(r, "id", "jitsim-1");
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
	int64_t		 end;

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
	set(&a->iq_id, id);
	set(&a->iq_type, NULL);
	xmpp_send(a->conn, iq);
	xmpp_stanza_release(iq);
	end = now_ms() + WAIT_MS;
	while (a->iq_type == NULL && now_ms() < end)
		xmpp_run_once(ctx, 20);
	answered = a->iq_type != NULL;
	if (!answered)
		die("%s: no answer to %s from %s", a->name,
		    jingle ? "jingle" : "disco#info", nick);
	if (strcmp(a->iq_type, jingle ? "error" : "result") != 0)
		die("%s: %s from %s answered %s", a->name,
		    jingle ? "jingle" : "disco#info", nick, a->iq_type);
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
	a = actor(w[1], strncmp(w[0], "connect", 7) == 0);
	if (strcmp(w[0], "connect") == 0)
		do_connect(a, w, n, 0);
	else if (strcmp(w[0], "connect-sm") == 0)
		do_connect(a, w, n, 1);
	else if (strcmp(w[0], "resume") == 0)
		do_resume(a);
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
		else if (strcmp(w[2], "identity") == 0 && n >= 6) {
			set(&a->ident_id, w[3]);
			set(&a->ident_group, w[4]);
			rest(w, n, 5, buf, sizeof(buf));
			set(&a->ident_name, buf);
		} else
			die("bad set");
	} else if (strcmp(w[0], "audio") == 0 && n >= 3)
		a->audio = onoff(w[2]);
	else if (strcmp(w[0], "video") == 0 && n >= 3)
		a->video = onoff(w[2]);
	else if (strcmp(w[0], "share") == 0 && n >= 3) {
		a->share = onoff(w[2]);
		a->shared_once |= a->share;
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
		do_message(a, buf, NULL);
	} else if (strcmp(w[0], "react") == 0 && n >= 3)
		do_message(a, NULL, w[2]);
	else if (strcmp(w[0], "recording") == 0 && n >= 4) {
		set(&a->rec_status, w[2]);
		set(&a->rec_mode, w[3]);
		set(&a->rec_session, n > 4 ? w[4] : NULL);
		set(&a->rec_failure, n > 5 ? w[5] : NULL);
		send_presence(a, 0);
	} else if (strcmp(w[0], "leave") == 0) {
		xmpp_stanza_t	*p = xmpp_presence_new(ctx);
		char		 to[2048];

		snprintf(to, sizeof(to), "%s/%s", a->room, a->nick);
		xmpp_stanza_set_to(p, to);
		xmpp_stanza_set_type(p, "unavailable");
		if (n > 2) {
			rest(w, n, 2, buf, sizeof(buf));
			elem(p, "status", NULL, buf);
		}
		xmpp_send(a->conn, p);
		xmpp_stanza_release(p);
		pump(50);
	} else if (strcmp(w[0], "drop") == 0) {
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
		xmpp_stanza_t	*iq;
		char		 id[32];

		snprintf(id, sizeof(id), "jitsim-info-%u", ++idseq);
		iq = xmpp_iq_new(ctx, "get", id);
		xmpp_stanza_set_to(iq, a->room);
		elem(iq, "query", "http://jabber.org/protocol/disco#info", NULL);
		set(&a->iq_id, id);
		set(&a->iq_type, NULL);
		a->occupants = -1;
		xmpp_send(a->conn, iq);
		xmpp_stanza_release(iq);
		end = now_ms() + WAIT_MS;
		while (a->iq_type == NULL && now_ms() < end)
			xmpp_run_once(ctx, 20);
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
		set(&a->iq_id, id);
		set(&a->iq_type, NULL);
		xmpp_send(a->conn, iq);
		xmpp_stanza_release(iq);
		end = now_ms() + WAIT_MS;
		while (a->iq_type == NULL && now_ms() < end)
			xmpp_run_once(ctx, 20);
		if (a->iq_type == NULL || strcmp(a->iq_type, "error") != 0)
			die("%s: admin %s %s %s was %s", a->name, w[2], w[3],
			    w[4], a->iq_type != NULL ? "accepted" : "unanswered");
	} else if (strcmp(w[0], "disco") == 0 && n >= 3)
		do_iq(a, w[2], 0);
	else if (strcmp(w[0], "jingle") == 0 && n >= 3)
		do_iq(a, w[2], 1);
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
	else
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
	int	 ch, i, j;

	if (argc == 4 && strcmp(argv[1], "proxy") == 0)
		return proxy(atoi(argv[2]), atoi(argv[3]));
	while ((ch = getopt(argc, argv, "vp:s:d:")) != -1) {
		switch (ch) {
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

		if (a->conn != NULL)
			xmpp_conn_release(a->conn);
		for (j = 0; j < a->nseen; j++)
			free(a->seen[j]);
		for (j = 0; j < a->ngone; j++)
			free(a->gone[j]);
		for (j = 0; j < a->never; j++)
			free(a->ever[j]);
		for (j = 0; j < a->nsaid; j++)
			free(a->said[j]);
		for (j = 0; j < a->nchats; j++)
			free(a->chats[j]);
		free(a->name);
		free(a->room);
		free(a->nick);
		free(a->stats_id);
		free(a->display);
		free(a->ident_id);
		free(a->ident_group);
		free(a->ident_name);
		free(a->join_error);
		free(a->rec_status);
		free(a->rec_mode);
		free(a->rec_session);
		free(a->rec_failure);
		free(a->iq_id);
		free(a->iq_type);
	}
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return 0;
usage:
	fprintf(stderr, "usage: jitsim [-v] -p PORT [-s HOST] [-d DOMAIN] "
	    "SCRIPT\n       jitsim proxy LISTEN_PORT TARGET_PORT\n");
	return 2;
}
