/*
 * libstrophe glue.  Owns the xmpp_ctx_t and the current xmpp_conn_t,
 * registers the stanza handlers and two global timed handlers, and makes
 * no decisions about meetings: presences, messages and disco answers are
 * parsed (presence.c, message.c, disco_parse() below) and handed to the
 * observer, which says what to send through struct observer_io.
 *
 * libstrophe owns the loop (xmpp_run/xmpp_stop).  Global timed handlers
 * live on the context, so they keep firing while no connection exists:
 *   - pulse (25 ms): stop and reload flags, the batch commit when due,
 *     (re)connect when due;
 *   - tick (1 s): observer_tick() (schedule, joins, rollups, status).
 *
 * Connection loss: the observer marks every room LOST (gap start), the
 * connection is released and a new one is made after an exponential
 * backoff with jitter; on login the observer rejoins its rooms and room.c
 * reconciles the occupants.  Stream management is disabled on purpose:
 * after a crash a hibernating old session would make a rejoin under the
 * same nick a two-session occupant (test-environment.md); a fresh session
 * per connection is simpler and the gap is recorded either way.
 *
 * What the observer sends: join and leave presences, disco queries, chat
 * messages to admin addresses, and IQ results/errors to IQs addressed to
 * it.  Never a message to a room, never an error message or error
 * presence (Prosody kicks senders of those, 333).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <strophe.h>

#include "clock.h"
#include "jid.h"
#include "log.h"
#include "message.h"
#include "observer.h"
#include "presence.h"
#include "recvtext.h"
#include "transport.h"
#include "xmalloc.h"

#define NS_MUC		"http://jabber.org/protocol/muc"
#define NS_DISCO_INFO	"http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS	"http://jabber.org/protocol/disco#items"
#define NS_DATA		"jabber:x:data"
#define NS_JINGLE	"urn:xmpp:jingle:1"
#define NS_JINGLE_ERRORS "urn:xmpp:jingle:errors:1"
#define NS_PING		"urn:xmpp:ping"
#define STOP_TIMEOUT_MS	3000
#define PULSE_MS	25
#define TICK_MS		1000
#define MAX_ITEMS	4096	/* disco#items read at most */

struct transport {
	const struct config	*cfg;
	struct observer_io	 io;
	struct observer		*obs;
	volatile sig_atomic_t	*stop;
	volatile sig_atomic_t	*reload;
	void			(*reload_cb)(void *, int64_t);
	void			*reload_arg;
	xmpp_ctx_t		*ctx;
	xmpp_conn_t		*conn;
	int			 online;	/* session established */
	int			 dead;		/* conn disconnected, release */
	int64_t			 next_connect;
	int			 conn_attempts;
	int64_t			 stopping;	/* stop started at; 0 = no */
	unsigned		 idseq;
};

/* Every send of ours: the serializer must work (recvtext.c). */
static void
send_stanza(struct transport *t, xmpp_stanza_t *st)
{
	recvtext_sending(1);
	xmpp_send(t->conn, st);
	recvtext_sending(0);
}

static char *
new_id(struct transport *t, const char *prefix)
{
	char	*id;

	xasprintf(&id, "tt-%s-%u", prefix, ++t->idseq);
	return id;
}

/*
 * libstrophe log lines go to log.c.  Debug lines carry whole stanzas, and
 * SASL PLAIN carries the password in base64: those lines are masked.
 */
static void
strophe_log(void *arg, xmpp_log_level_t level, const char *area,
    const char *msg)
{
	(void)arg;
	if (strstr(msg, "<auth") != NULL || strstr(msg, "<response") != NULL ||
	    strstr(msg, "password") != NULL)
		msg = "[authentication data not logged]";
	switch (level) {
	case XMPP_LEVEL_ERROR:
	case XMPP_LEVEL_WARN:
		log_warnx("libstrophe %s: %s", area, msg);
		break;
	default:
		log_debug("libstrophe %s: %s", area, msg);
		break;
	}
}

/* --- sending (struct observer_io) -------------------------------------- */

static void
send_presence(void *arg, const char *room, int leave)
{
	struct transport	*t = arg;
	xmpp_stanza_t		*pr, *x, *hist;
	char			*to;

	if (!t->online)
		return;
	xasprintf(&to, "%s/%s", room, t->cfg->nick);
	pr = xmpp_presence_new(t->ctx);
	xmpp_stanza_set_to(pr, to);
	if (leave)
		xmpp_stanza_set_type(pr, "unavailable");
	else {
		x = xmpp_stanza_new(t->ctx);
		xmpp_stanza_set_name(x, "x");
		xmpp_stanza_set_ns(x, NS_MUC);
		/* No chat history: it is never counted anyway. */
		hist = xmpp_stanza_new(t->ctx);
		xmpp_stanza_set_name(hist, "history");
		xmpp_stanza_set_attribute(hist, "maxstanzas", "0");
		xmpp_stanza_add_child_ex(x, hist, 0);
		xmpp_stanza_add_child_ex(pr, x, 0);
	}
	send_stanza(t, pr);
	xmpp_stanza_release(pr);
	free(to);
}

static char *
send_query(void *arg, const char *to, const char *ns)
{
	struct transport	*t = arg;
	xmpp_stanza_t		*iq, *q;
	char			*id;

	if (!t->online)
		return NULL;
	id = new_id(t, "disco");
	iq = xmpp_iq_new(t->ctx, "get", id);
	xmpp_stanza_set_to(iq, to);
	q = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(q, "query");
	xmpp_stanza_set_ns(q, ns);
	xmpp_stanza_add_child_ex(iq, q, 0);
	send_stanza(t, iq);
	xmpp_stanza_release(iq);
	return id;
}

static void
send_chat(void *arg, const char *jid, const char *body, const char *json)
{
	struct transport	*t = arg;
	xmpp_stanza_t		*msg, *j, *text;
	char			*id;

	if (!t->online)
		return;
	id = new_id(t, "alert");
	msg = xmpp_message_new(t->ctx, "chat", jid, id);
	xmpp_message_set_body(msg, body);
	/* XEP-0335: the alert as data, for bots on the other side. */
	j = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(j, "json");
	xmpp_stanza_set_ns(j, "urn:xmpp:json:0");
	text = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_text(text, json);
	xmpp_stanza_add_child_ex(j, text, 0);
	xmpp_stanza_add_child_ex(msg, j, 0);
	send_stanza(t, msg);
	xmpp_stanza_release(msg);
	free(id);
}

/* --- stanza handlers ------------------------------------------------- */

static int
presence_cb(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct transport	*t = arg;
	struct presence		 p;
	const char		*err = NULL;
	char			 esc[128];

	(void)conn;
	if (presence_parse(st, t->cfg->role_field, &p, &err) == -1) {
		log_debug("%s: dropped presence from %s: %s", __func__,
		    log_escape(esc, sizeof(esc), xmpp_stanza_get_from(st)),
		    err != NULL ? err : "not a MUC presence");
		return 1;
	}
	observer_presence(t->obs, &p, now_ms());
	presence_clear(&p);
	return 1;
}

static int
message_cb(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct transport	*t = arg;
	struct message		 m;
	const char		*err = NULL;
	char			 esc[128];

	(void)conn;
	if (message_parse(st, t->cfg->role_field, &m, &err) == -1) {
		log_debug("%s: dropped message from %s: %s", __func__,
		    log_escape(esc, sizeof(esc), xmpp_stanza_get_from(st)),
		    err != NULL ? err : "malformed");
		return 1;
	}
	observer_message(t->obs, &m, now_ms());
	message_clear(&m);
	return 1;
}

/*
 * A disco answer into d: the meetingId field and the teletrack feature
 * of a disco#info, the JIDs of a disco#items.  Strings borrowed from st,
 * except meeting_id (xmpp_free() it) and items (free() the array).
 */
static void
disco_parse(struct transport *t, xmpp_stanza_t *st, struct disco_result *d,
    char **meeting_id, const char ***items)
{
	xmpp_stanza_t	*q, *x, *f, *v;
	const char	*var, *type = xmpp_stanza_get_type(st);
	size_t		 n = 0;

	(void)t;
	*meeting_id = NULL;
	*items = NULL;
	d->ok = type != NULL && strcmp(type, "result") == 0;
	if (!d->ok)
		return;
	if ((q = xmpp_stanza_get_child_by_name_and_ns(st, "query",
	    NS_DISCO_INFO)) != NULL) {
		for (f = xmpp_stanza_get_children(q); f != NULL;
		    f = xmpp_stanza_get_next(f)) {
			var = xmpp_stanza_get_attribute(f, "var");
			if (var != NULL && strcmp(var, TELETRACK_NS) == 0)
				d->teletrack = 1;
		}
		if ((x = xmpp_stanza_get_child_by_name_and_ns(q, "x",
		    NS_DATA)) == NULL)
			return;
		for (f = xmpp_stanza_get_children(x); f != NULL;
		    f = xmpp_stanza_get_next(f)) {
			var = xmpp_stanza_get_attribute(f, "var");
			if (var == NULL ||
			    strcmp(var, "muc#roominfo_meetingId") != 0)
				continue;
			if ((v = xmpp_stanza_get_child_by_name(f, "value")) !=
			    NULL)
				*meeting_id = xmpp_stanza_get_text(v);
			break;
		}
		d->meeting_id = *meeting_id;
		return;
	}
	if ((q = xmpp_stanza_get_child_by_name_and_ns(st, "query",
	    NS_DISCO_ITEMS)) == NULL)
		return;
	*items = xreallocarray(NULL, MAX_ITEMS, sizeof(**items));
	for (f = xmpp_stanza_get_children(q); f != NULL && n < MAX_ITEMS;
	    f = xmpp_stanza_get_next(f))
		if ((var = xmpp_stanza_get_attribute(f, "jid")) != NULL)
			(*items)[n++] = var;
	d->items = *items;
	d->nitems = n;
}

static void
reply(struct transport *t, xmpp_stanza_t *st, const char *err_type,
    const char *condition)
{
	xmpp_stanza_t	*r;

	if (condition != NULL)
		r = xmpp_stanza_reply_error(st, err_type, condition, NULL);
	else
		r = xmpp_stanza_reply(st);
	if (r == NULL)
		return;
	/* xmpp_stanza_reply() keeps the request's type: answer "result". */
	if (condition == NULL)
		xmpp_stanza_set_type(r, "result");
	send_stanza(t, r);
	xmpp_stanza_release(r);
}

/*
 * disco#info: a minimal client with no media features, answered at once
 * (jicofo blocks the room's presence processing until it gets an answer).
 */
static void
reply_disco(struct transport *t, xmpp_stanza_t *st)
{
	xmpp_stanza_t	*r, *q, *id, *f;

	if ((r = xmpp_stanza_reply(st)) == NULL)
		return;
	xmpp_stanza_set_type(r, "result");
	q = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(q, "query");
	xmpp_stanza_set_ns(q, NS_DISCO_INFO);
	id = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(id, "identity");
	xmpp_stanza_set_attribute(id, "category", "client");
	xmpp_stanza_set_attribute(id, "type", "bot");
	xmpp_stanza_set_attribute(id, "name", "teletrack");
	xmpp_stanza_add_child_ex(q, id, 0);
	f = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(f, "feature");
	xmpp_stanza_set_attribute(f, "var", NS_DISCO_INFO);
	xmpp_stanza_add_child_ex(q, f, 0);
	xmpp_stanza_add_child_ex(r, q, 0);
	send_stanza(t, r);
	xmpp_stanza_release(r);
}

/*
 * A peer-to-peer offer (a session-initiate from an occupant other than
 * focus: lib-jitsi-meet's own test) is declined the way lib-jitsi-meet
 * declines one: acknowledge, then session-terminate <decline/>.  An offer
 * left half-open stalls the client's camera mute until it ends (the track
 * removal waits for a renegotiation that cannot happen).
 */
static void
decline_p2p(struct transport *t, xmpp_stanza_t *st, xmpp_stanza_t *offer)
{
	xmpp_stanza_t	*iq, *j, *reason, *decline, *text, *body;
	const char	*sid, *initiator;
	char		*id;

	reply(t, st, NULL, NULL);
	id = new_id(t, "jingle");
	iq = xmpp_iq_new(t->ctx, "set", id);
	free(id);
	xmpp_stanza_set_to(iq, xmpp_stanza_get_from(st));
	j = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(j, "jingle");
	xmpp_stanza_set_ns(j, NS_JINGLE);
	xmpp_stanza_set_attribute(j, "action", "session-terminate");
	if ((initiator = xmpp_stanza_get_attribute(offer, "initiator")) != NULL)
		xmpp_stanza_set_attribute(j, "initiator", initiator);
	if ((sid = xmpp_stanza_get_attribute(offer, "sid")) != NULL)
		xmpp_stanza_set_attribute(j, "sid", sid);
	reason = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(reason, "reason");
	decline = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(decline, "decline");
	xmpp_stanza_add_child_ex(reason, decline, 0);
	text = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_name(text, "text");
	body = xmpp_stanza_new(t->ctx);
	xmpp_stanza_set_text(body, "P2P disabled");
	xmpp_stanza_add_child_ex(text, body, 0);
	xmpp_stanza_add_child_ex(reason, text, 0);
	xmpp_stanza_add_child_ex(j, reason, 0);
	xmpp_stanza_add_child_ex(iq, j, 0);
	send_stanza(t, iq);
	xmpp_stanza_release(iq);
}

/* Jingle's "unknown-session" (XEP-0166 section 10): a session we ended. */
static void
reply_unknown_session(struct transport *t, xmpp_stanza_t *st)
{
	xmpp_stanza_t	*r, *err, *app;

	if ((r = xmpp_stanza_reply_error(st, "cancel", "item-not-found",
	    NULL)) == NULL)
		return;
	if ((err = xmpp_stanza_get_child_by_name(r, "error")) != NULL) {
		app = xmpp_stanza_new(t->ctx);
		xmpp_stanza_set_name(app, "unknown-session");
		xmpp_stanza_set_ns(app, NS_JINGLE_ERRORS);
		xmpp_stanza_add_child_ex(err, app, 0);
	}
	send_stanza(t, r);
	xmpp_stanza_release(r);
}

/*
 * Every Jingle request is answered at once: a client or jicofo never waits
 * on the observer.  focus's offer (the bridge) is refused, and jicofo then
 * expires the channels without retrying; a participant's offer (P2P) is
 * declined; whatever follows on a session we ended is "unknown-session";
 * a terminate is acknowledged.
 */
static void
answer_jingle(struct transport *t, xmpp_stanza_t *st, xmpp_stanza_t *jingle)
{
	const char	*action = xmpp_stanza_get_attribute(jingle, "action");
	const char	*from = xmpp_stanza_get_from(st);
	char		*res = from != NULL ? jid_part(from, JID_RESOURCE) : NULL;
	int		 focus = res != NULL && strcmp(res, "focus") == 0;

	free(res);
	if (action == NULL)
		action = "(none)";
	if (strcmp(action, "session-terminate") == 0)
		reply(t, st, NULL, NULL);
	else if (focus)
		reply(t, st, "cancel", "service-unavailable");
	else if (strcmp(action, "session-initiate") == 0)
		decline_p2p(t, st, jingle);
	else
		reply_unknown_session(t, st);
	log_debug("%s: jingle %s from %s answered", __func__, action,
	    focus ? "focus" : "a participant");
}

static int
iq_cb(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct transport	*t = arg;
	const char		*type = xmpp_stanza_get_type(st);
	const char		*id = xmpp_stanza_get_id(st);
	struct disco_result	 d;
	xmpp_stanza_t		*jingle;
	const char		**items;
	char			*mid;

	(void)conn;
	if (type == NULL || id == NULL)
		return 1;
	if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) {
		memset(&d, 0, sizeof(d));
		d.id = id;
		disco_parse(t, st, &d, &mid, &items);
		observer_disco(t->obs, &d, now_ms());
		if (mid != NULL)
			xmpp_free(t->ctx, mid);
		free(items);
		return 1;
	}
	if (strcmp(type, "get") != 0 && strcmp(type, "set") != 0)
		return 1;
	if (strcmp(type, "get") == 0 &&
	    xmpp_stanza_get_child_by_name_and_ns(st, "query",
	    NS_DISCO_INFO) != NULL) {
		reply_disco(t, st);
		return 1;
	}
	if (xmpp_stanza_get_child_by_name_and_ns(st, "ping", NS_PING) != NULL) {
		reply(t, st, NULL, NULL);
		return 1;
	}
	if ((jingle = xmpp_stanza_get_child_by_name_and_ns(st, "jingle",
	    NS_JINGLE)) != NULL) {
		answer_jingle(t, st, jingle);
		return 1;
	}
	/* RFC 6120 8.2.3: every get/set gets an answer. */
	reply(t, st, "cancel", "service-unavailable");
	return 1;
}

/* --- connection ---------------------------------------------------------- */

static void
conn_cb(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
    xmpp_stream_error_t *serr, void *arg)
{
	struct transport	*t = arg;
	int64_t			 now = now_ms();

	(void)serr;
	if (ev == XMPP_CONN_CONNECT) {
		t->online = 1;
		t->conn_attempts = 0;
		recvtext_connected(1);
		xmpp_handler_add(conn, presence_cb, NULL, "presence", NULL, t);
		xmpp_handler_add(conn, message_cb, NULL, "message", NULL, t);
		xmpp_handler_add(conn, iq_cb, NULL, "iq", NULL, t);
		observer_online(t->obs, xmpp_conn_get_bound_jid(conn), now);
		return;
	}
	/* XMPP_CONN_DISCONNECT or XMPP_CONN_FAIL */
	if (t->stopping)
		log_info("disconnected");
	else
		log_warnx("connection to %s lost%s%s", t->cfg->server,
		    error ? ": " : "", error ? strerror(error) : "");
	t->online = 0;
	t->dead = 1;
	recvtext_connected(0);
	if (!t->stopping)
		observer_offline(t->obs, now);
	if (t->stopping)
		xmpp_stop(t->ctx);
}

/*
 * libstrophe 0.12 calls SSL_CTX_set_default_verify_paths() at every
 * connect, before it loads ca_file: OpenSSL then parses its default CA
 * file, on Debian the whole system bundle (about 140 certificates, 0.08 s
 * of CPU, most of what a start costs).  With ca_file set, the default
 * file is ca_file itself: the system CAs are still trusted, found by hash
 * when a chain needs one, through OpenSSL's default directory
 * (/etc/ssl/certs, which Debian's ca-certificates fills).  An
 * SSL_CERT_FILE in the environment is kept unless it names that same
 * system bundle.
 */
static int
system_bundle(const char *path)
{
	char	 a[PATH_MAX], b[PATH_MAX];

	return realpath(path, a) != NULL &&
	    realpath(X509_get_default_cert_file(), b) != NULL &&
	    strcmp(a, b) == 0;
}

int
transport_tls_defaults(const struct config *cfg, char **was)
{
	const char	*env = getenv("SSL_CERT_FILE");

	*was = NULL;
	if (cfg->ca_file == NULL || cfg->tls == TLS_OFF ||
	    (env != NULL && !system_bundle(env)))
		return 0;
	if (env != NULL)
		*was = xstrdup(env);
	if (setenv("SSL_CERT_FILE", cfg->ca_file, 1) == -1) {
		log_warn("setenv SSL_CERT_FILE");
		free(*was);
		*was = NULL;
		return 0;
	}
	return 1;
}

static int
connect_now(struct transport *t)
{
	long	 flags = XMPP_CONN_FLAG_DISABLE_SM;
	char	*jid;

	t->conn = xmpp_conn_new(t->ctx);
	switch (t->cfg->tls) {
	case TLS_REQUIRED:
		flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
		break;
	case TLS_OFF:
		flags |= XMPP_CONN_FLAG_DISABLE_TLS;
		break;
	case TLS_OPTIONAL:
		break;
	}
	xmpp_conn_set_flags(t->conn, flags);
	if (t->cfg->ca_file != NULL)
		xmpp_conn_set_cafile(t->conn, t->cfg->ca_file);
	/* A fresh resource each time: never collide with an old session. */
	xasprintf(&jid, "%s/teletrack-%08lx", t->cfg->jid,
	    (unsigned long)random());
	xmpp_conn_set_jid(t->conn, jid);
	free(jid);
	xmpp_conn_set_pass(t->conn, t->cfg->password);
	xmpp_conn_set_sockopt_callback(t->conn, xmpp_sockopt_cb_keepalive);
	log_info("connecting to %s:%d", t->cfg->server, t->cfg->port);
	t->dead = 0;
	if (xmpp_connect_client(t->conn, t->cfg->server,
	    (unsigned short)t->cfg->port, conn_cb, t) != XMPP_EOK) {
		log_warnx("cannot start connecting to %s:%d", t->cfg->server,
		    t->cfg->port);
		t->dead = 1;
		return -1;
	}
	return 0;
}

static void
begin_stop(struct transport *t, int64_t now)
{
	t->stopping = now;
	observer_stop(t->obs, now);
	if (t->conn != NULL && t->online)
		xmpp_disconnect(t->conn);
	else
		xmpp_stop(t->ctx);
}

static int
pulse_cb(xmpp_ctx_t *ctx, void *arg)
{
	struct transport	*t = arg;
	int64_t			 now = now_ms();

	(void)ctx;
	if (*t->stop && !t->stopping) {
		begin_stop(t, now);
		return 1;
	}
	if (t->stopping) {
		if (now - t->stopping > STOP_TIMEOUT_MS)
			xmpp_stop(t->ctx);
		return 1;
	}
	if (t->reload != NULL && *t->reload) {
		*t->reload = 0;
		if (t->reload_cb != NULL)
			t->reload_cb(t->reload_arg, now);
	}
	observer_pulse(t->obs, now);
	if (t->dead && t->conn != NULL) {
		xmpp_conn_release(t->conn);
		t->conn = NULL;
		t->next_connect = now + backoff_ms(t->conn_attempts++,
		    t->cfg->reconnect_min_s, t->cfg->reconnect_max_s);
		log_info("reconnecting in %lld ms",
		    (long long)(t->next_connect - now));
	}
	if (t->conn == NULL && now >= t->next_connect)
		connect_now(t);
	return 1;
}

static int
tick_cb(xmpp_ctx_t *ctx, void *arg)
{
	struct transport	*t = arg;

	(void)ctx;
	if (!t->stopping)
		observer_tick(t->obs, now_ms());
	return 1;
}

struct transport *
transport_new(const struct config *cfg)
{
	struct transport	*t = xcalloc(1, sizeof(*t));
	static xmpp_log_t	 lg = { strophe_log, NULL };

	t->cfg = cfg;
	srandom((unsigned)now_ms() ^ (unsigned)getpid());
	xmpp_initialize();
	if ((t->ctx = xmpp_ctx_new(NULL, &lg)) == NULL) {
		log_warnx("xmpp_ctx_new failed");
		xmpp_shutdown();
		free(t);
		return NULL;
	}
	xmpp_ctx_set_timeout(t->ctx, PULSE_MS);
	t->io.presence = send_presence;
	t->io.query = send_query;
	t->io.chat = send_chat;
	t->io.arg = t;
	return t;
}

const struct observer_io *
transport_io(struct transport *t)
{
	return &t->io;
}

void
transport_run(struct transport *t, struct observer *obs,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
    void (*reload_cb)(void *, int64_t), void *arg)
{
	t->obs = obs;
	t->stop = stop;
	t->reload = reload;
	t->reload_cb = reload_cb;
	t->reload_arg = arg;
	xmpp_global_timed_handler_add(t->ctx, pulse_cb, PULSE_MS, t);
	xmpp_global_timed_handler_add(t->ctx, tick_cb, TICK_MS, t);
	xmpp_run(t->ctx);
	xmpp_global_timed_handler_delete(t->ctx, pulse_cb);
	xmpp_global_timed_handler_delete(t->ctx, tick_cb);
	if (t->conn != NULL) {
		xmpp_conn_release(t->conn);
		t->conn = NULL;
	}
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	if (t->conn != NULL)
		xmpp_conn_release(t->conn);
	xmpp_ctx_free(t->ctx);
	xmpp_shutdown();
	free(t);
}
