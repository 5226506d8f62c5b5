/*
 * make bench, end to end: stanzas in through a real socket and
 * libstrophe's receive path, rows committed in SQLite, against
 * libstrophe's receive path alone on the same stream, in the same run.
 *
 * A child process plays the server: it accepts one raw XMPP connection
 * (xmpp_connect_raw: no SASL to measure), answers the stream header and
 * writes a generated stream of Jitsi-like stanzas as fast as the socket
 * takes them (joins, leaves, drops, audio/camera/screen toggles, resent
 * presence, chat), ending with a ping.  The parent is the client:
 *
 *   - "strophe": libstrophe as Debian ships it, handlers that count;
 *   - "strophe-T": the same with recvtext.c declining the receive-side
 *     debug serialization (what that buys alone);
 *   - "teletrack": the daemon's pipeline (presence/message parsing, the
 *     observer, the derivation, the writer committing on its own clock
 *     into a WAL file), recvtext.c on, as `teletrack run` runs it.
 *
 * Every teletrack run is verified: the rows per event type must equal
 * what the generator says it caused, none missing, none invented.  Then
 * the memory per occupant of one room of 1,000 participants and of 1,000
 * rooms of 3, through the same pipeline.  Figures are ratios within a
 * round (3 rounds, medians): absolute rates depend on the machine.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <strophe.h>

#include "benchclock.h"
#include "benchrng.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "message.h"
#include "observer.h"
#include "presence.h"
#include "recvtext.h"
#include "testconn.h"
#include "testio.h"
#include "writer.h"
#include "xmalloc.h"

#define MUC		"conference.meet.jitsi"
#define ROUNDS		3
#define KINIT		8	/* occupants in each room at the start */
#define KMIN		3
#define KMAX		60

/* --- the stream ---------------------------------------------------------- */

struct occ {
	int	 id;
	int	 audio;		/* 1: unmuted */
	int	 camera;
	int	 share;		/* -1: no desktop source yet */
	int	 codec;
};

struct groom {
	struct occ	 v[KMAX];
	int		 n;
};

struct stream {
	char		*buf;
	size_t		 len, cap;
	long		 expect[EVENT__COUNT];
	long		 nstanzas;
};

static uint64_t	 rng;

static uint32_t
rnd(void)
{
	return xorshift(&rng);
}

static void
put(struct stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct stream *s, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < s->cap - s->len)
			break;
		s->cap = s->cap * 2 + (size_t)n + 4096;
		s->buf = xreallocarray(s->buf, 1, s->cap);
	}
	s->len += (size_t)n;
}

/* A presence as lib-jitsi-meet sends it (~900 bytes, as Prosody writes). */
static void
presence(struct stream *s, int room, const struct occ *o)
{
	int	 i;

	put(s, "<presence xmlns='jabber:client' from='b%d@" MUC "/p%06d' "
	    "to='teletrack@hidden.meet.jitsi/bench'><stats-id>S-%06d"
	    "</stats-id><c xmlns='http://jabber.org/protocol/caps' "
	    "hash='sha-1' node='https://jitsi.org/jitsi-meet' "
	    "ver='Jm4YBk0q0c8m2b6bY1s3yQk9Zx0='/><features>",
	    room, o->id, o->id);
	for (i = 0; i < 8; i++)
		put(s, "<feature var='https://jitsi.org/meet/feature-%d'/>", i);
	put(s, "</features><jitsi_participant_codecList>%s"
	    "</jitsi_participant_codecList><jitsi_participant_region>"
	    "eu-central</jitsi_participant_region><SourceInfo>{&quot;"
	    "p%06d-a0&quot;:{&quot;muted&quot;:%s},&quot;p%06d-v0&quot;:"
	    "{&quot;muted&quot;:%s}", o->codec & 1 ? "av1,vp9,vp8" :
	    "vp9,vp8,av1", o->id, o->audio ? "false" : "true", o->id,
	    o->camera ? "false" : "true");
	if (o->share >= 0)
		put(s, ",&quot;p%06d-v1&quot;:{&quot;muted&quot;:%s,"
		    "&quot;videoType&quot;:&quot;desktop&quot;}", o->id,
		    o->share ? "false" : "true");
	put(s, "}</SourceInfo><nick xmlns='http://jabber.org/protocol/nick'>"
	    "Person %d</nick><occupant-id xmlns='urn:xmpp:occupant-id:0' "
	    "id='oid-%06d'/><x xmlns='http://jabber.org/protocol/muc#user'>"
	    "<item affiliation='none' role='participant' "
	    "jid='p%06d@meet.jitsi/res'/></x></presence>", o->id, o->id,
	    o->id);
	s->nstanzas++;
}

static void
gone(struct stream *s, int room, const struct occ *o, int drop)
{
	put(s, "<presence xmlns='jabber:client' type='unavailable' "
	    "from='b%d@" MUC "/p%06d' to='teletrack@hidden.meet.jitsi/bench'>"
	    "%s<x xmlns='http://jabber.org/protocol/muc#user'><item "
	    "affiliation='none' role='none' jid='p%06d@meet.jitsi/res'/>"
	    "</x></presence>", room, o->id, drop ? "<status>Disconnected: "
	    "Hibernating too long</status>" : "", o->id);
	s->nstanzas++;
}

static int	 next_id;

static void
newcomer(struct groom *g, struct occ *o)
{
	memset(o, 0, sizeof(*o));
	o->id = ++next_id;
	o->audio = rnd() & 1;
	o->camera = rnd() & 1;
	o->share = -1;
	(void)g;
}

/*
 * The stream for nrooms rooms: each room's join answer (focus, KINIT
 * occupants, our self-presence), then n stanzas spread over the rooms,
 * then the end ping.  s->expect counts the events each type must give.
 */
static void
generate(struct stream *s, int nrooms, long n, uint64_t seed)
{
	struct groom	*rooms = xcalloc((size_t)nrooms, sizeof(*rooms));
	struct groom	*g;
	struct occ	*o;
	long		 i;
	int		 r, k, w;

	memset(s, 0, sizeof(*s));
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	next_id = 0;
	for (r = 0; r < nrooms; r++) {
		g = &rooms[r];
		put(s, "<presence xmlns='jabber:client' from='b%d@" MUC
		    "/focus' to='teletrack@hidden.meet.jitsi/bench'><x "
		    "xmlns='http://jabber.org/protocol/muc#user'><item "
		    "affiliation='owner' role='moderator' "
		    "jid='focus@auth.meet.jitsi/focus1'/></x></presence>", r);
		for (k = 0; k < KINIT; k++) {
			newcomer(g, &g->v[g->n]);
			presence(s, r, &g->v[g->n++]);
			s->expect[EVENT_JOIN]++;
		}
		put(s, "<presence xmlns='jabber:client' from='b%d@" MUC
		    "/teletrack' to='teletrack@hidden.meet.jitsi/bench'><x "
		    "xmlns='http://jabber.org/protocol/muc#user'><item "
		    "affiliation='none' role='participant' "
		    "jid='teletrack@hidden.meet.jitsi/bench'/><status "
		    "code='110'/><status code='100'/></x></presence>", r);
	}
	for (i = 0; i < n; i++) {
		g = &rooms[r = (int)(rnd() % (uint32_t)nrooms)];
		w = (int)(rnd() % 100);
		/* Rooms keep between KMIN and KMAX occupants. */
		if (w < 5 || g->n <= KMIN)
			w = g->n >= KMAX ? 5 : 0;
		if (w < 5) {			/* join */
			newcomer(g, &g->v[g->n]);
			presence(s, r, &g->v[g->n++]);
			s->expect[EVENT_JOIN]++;
			continue;
		}
		o = &g->v[k = (int)(rnd() % (uint32_t)g->n)];
		if (w < 10) {			/* leave or drop */
			gone(s, r, o, w >= 8);
			s->expect[w >= 8 ? EVENT_DISCONNECT : EVENT_LEAVE]++;
			g->v[k] = g->v[--g->n];
		} else if (w < 55) {		/* audio */
			o->audio = !o->audio;
			s->expect[o->audio ? EVENT_AUDIO_UNMUTE :
			    EVENT_AUDIO_MUTE]++;
			presence(s, r, o);
		} else if (w < 75) {		/* camera */
			o->camera = !o->camera;
			s->expect[o->camera ? EVENT_VIDEO_UNMUTE :
			    EVENT_VIDEO_MUTE]++;
			presence(s, r, o);
		} else if (w < 80) {		/* screen share */
			o->share = o->share <= 0;
			s->expect[o->share ? EVENT_SCREENSHARE_START :
			    EVENT_SCREENSHARE_STOP]++;
			presence(s, r, o);
		} else if (w < 90) {		/* nothing to derive */
			o->codec++;
			presence(s, r, o);
		} else {			/* chat */
			put(s, "<message xmlns='jabber:client' type='groupchat' "
			    "from='b%d@" MUC "/p%06d' to='teletrack@hidden."
			    "meet.jitsi/bench' id='m%ld'><body>word %ld and "
			    "more words</body></message>", r, o->id, i, i);
			s->expect[EVENT_CHAT_MESSAGE]++;
			s->nstanzas++;
		}
	}
	put(s, "<iq xmlns='jabber:client' type='get' id='bench-end' "
	    "from='meet.jitsi' to='teletrack@hidden.meet.jitsi/bench'>"
	    "<ping xmlns='urn:xmpp:ping'/></iq>");
	free(rooms);
}

/* --- the server ---------------------------------------------------------- */

static const char server_header[] = "<?xml version='1.0'?><stream:stream "
    "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "from='meet.jitsi' id='bench' version='1.0'>";

/* Child: accept one client, answer its header, write the stream. */
static void
serve(int lfd, const struct stream *s)
{
	char	 buf[4096];
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	/* The client's stream header ends with the first '>' after it. */
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "stream:stream") != NULL)
			break;
	}
	if (write(fd, server_header, sizeof(server_header) - 1) < 0)
		_exit(1);
	while (off < s->len) {
		n = write(fd, s->buf + off, s->len - off);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			_exit(1);
		}
		off += (size_t)n;
	}
	/* Wait for the client to go, then end. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/* --- the client ---------------------------------------------------------- */

enum mode { M_STROPHE, M_STROPHE_T, M_TELETRACK };

struct client {
	enum mode		 mode;
	xmpp_ctx_t		*ctx;
	long			 stanzas;
	double			 t0, t1;
	struct observer		*obs;
	struct writer		*w;
	int			 done;
	struct testconn		 tc;
};

static double
cpu_s(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * Every stanza of the stream: presences and messages go to the observer
 * as the transport hands them over; the server's answer to the closing
 * IQ ends the run.
 */
static int
on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct client	*c = arg;
	const char	*name = xmpp_stanza_get_name(st), *id;
	struct presence	 p;
	struct message	 m;
	int		 is_presence;

	(void)conn;
	if (strcmp(name, "iq") == 0) {
		id = xmpp_stanza_get_id(st);
		if (id != NULL && strcmp(id, "bench-end") == 0) {
			c->t1 = now_s();
			c->done = 1;
			xmpp_stop(c->ctx);
		}
		return 1;
	}
	is_presence = strcmp(name, "presence") == 0;
	if (!is_presence && strcmp(name, "message") != 0)
		return 1;
	c->stanzas++;
	if (c->mode != M_TELETRACK)
		return 1;
	if (is_presence) {
		if (presence_parse(st, NULL, &p, NULL) == 0) {
			observer_presence(c->obs, &p, now_ms());
			presence_clear(&p);
		}
	} else if (message_parse(st, NULL, &m, NULL) == 0) {
		observer_message(c->obs, &m, now_ms());
		message_clear(&m);
	}
	return 1;
}

static int
pulse(xmpp_ctx_t *ctx, void *arg)
{
	struct client	*c = arg;
	int64_t		 now = now_ms();

	(void)ctx;
	if (c->obs != NULL) {
		observer_pulse(c->obs, now);
		observer_tick(c->obs, now);
	}
	return 1;
}

static void
client_up(xmpp_conn_t *conn, void *arg)
{
	struct client	*c = arg;

	xmpp_handler_add(conn, on_stanza, NULL, NULL, NULL, c);
	recvtext_connected(c->mode != M_STROPHE);
	c->t0 = now_s();
	if (c->obs != NULL) {
		/* Join every room: the answers are in the stream. */
		observer_online(c->obs, "teletrack@hidden.meet.jitsi",
		    now_ms());
		observer_tick(c->obs, now_ms());
	}
}

static void
client_down(xmpp_conn_t *conn, int err, void *arg)
{
	struct client	*c = arg;

	(void)conn;
	(void)err;
	xmpp_stop(c->ctx);
}

/* The observer's io: nothing goes back to the server. */
static void
io_presence(void *arg, const char *room, int leave)
{
	(void)arg;
	(void)room;
	(void)leave;
}

static char *
io_query(void *arg, const char *jid, const char *ns)
{
	static unsigned	 n;
	char		*id;

	(void)arg;
	(void)jid;
	(void)ns;
	xasprintf(&id, "q%u", ++n);
	return id;
}

static const struct observer_io io = {
	io_presence, io_query, testio_chat, NULL
};

static int
store_due(void *arg, int64_t now)
{
	return writer_due(arg, now);
}

static int
store_flush(void *arg)
{
	return writer_flush(arg);
}

/* An INI with the rooms b0..bN-1, ten a line as an admin writes them. */
static char *
ini(const char *dbpath, int nrooms)
{
	struct stream	 s;
	int		 r;

	memset(&s, 0, sizeof(s));
	put(&s, "[xmpp]\njid = teletrack@hidden.meet.jitsi\npassword = x\n"
	    "server = 127.0.0.1\ntls = off\nmuc_domain = " MUC "\n"
	    "[storage]\ndatabase = %s\n[rooms]\njoin =", dbpath);
	for (r = 0; r < nrooms; r++)
		put(&s, "%s b%d", r == 0 ? "" : r % 10 == 0 ? ",\n " : ",", r);
	put(&s, "\n");
	return s.buf;
}

/*
 * The configuration of nrooms rooms and a new database dir/name, opened
 * as `teletrack run` opens them; the caller frees cfg and closes the
 * database.
 */
static struct db *
open_store(const char *dir, const char *name, int nrooms, struct config *cfg)
{
	struct db	*db;
	char		 path[512], err[256], *text;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	text = ini(path, nrooms);
	if (config_load_string(text, cfg) == -1)
		fatalx("bench config");
	free(text);
	if ((db = db_open(path, 0, err, sizeof(err))) == NULL)
		fatalx("db_open: %s", err);
	return db;
}

struct result {
	double	 rate;		/* stanzas per second of wall time */
	double	 cpu_us;	/* client CPU per stanza */
	int	 verified;	/* teletrack: rows == expected */
};

/* Rows per type in the database against what the stream caused. */
static int
verify(struct db *db, const struct stream *s, int quiet)
{
	sqlite3_stmt	*st;
	long		 got;
	int		 t, ok = 1;

	for (t = 0; t < EVENT__COUNT; t++) {
		if (s->expect[t] == 0)
			continue;
		if (sqlite3_prepare_v2(db_sqlite(db), "SELECT count(*) FROM "
		    "teleconference_events WHERE event_type = ?1", -1, &st,
		    NULL) != SQLITE_OK)
			return 0;
		sqlite3_bind_text(st, 1, event_type_name(t), -1,
		    SQLITE_STATIC);
		got = sqlite3_step(st) == SQLITE_ROW ?
		    sqlite3_column_int64(st, 0) : -1;
		sqlite3_finalize(st);
		if (got != s->expect[t]) {
			if (!quiet)
				printf("    %s: %ld rows, %ld expected\n",
				    event_type_name(t), got, s->expect[t]);
			ok = 0;
		}
	}
	return ok;
}

static struct result
run(enum mode mode, const struct stream *s, int nrooms, const char *dir)
{
	struct sockaddr_in	 sa;
	socklen_t		 salen = sizeof(sa);
	struct client		 c;
	struct observer_store	 store;
	struct config		 cfg;
	struct result		 res;
	struct db		*db = NULL;
	xmpp_conn_t		*conn;
	double			 c0;
	pid_t			 pid;
	int			 lfd, one = 1, status;

	memset(&res, 0, sizeof(res));
	memset(&c, 0, sizeof(c));
	c.mode = mode;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) == -1)
		fatal("bench server socket");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		serve(lfd, s);
	close(lfd);

	config_init(&cfg);
	if (mode == M_TELETRACK) {
		db = open_store(dir, "e2e.db", nrooms, &cfg);
		c.w = writer_new(db, cfg.flush_ms, cfg.flush_count);
		/* As `teletrack run` does: the writer on its own thread. */
		if (writer_start(c.w) == -1)
			fatalx("writer_start");
		store = (struct observer_store){
			.sink = { writer_emit, c.w },
			.flush_due = store_due,
			.flush = store_flush,
			.arg = c.w,
		};
		c.obs = observer_new(&cfg, &io, &store, now_ms());
	}
	c.ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_ctx_set_timeout(c.ctx, 25);
	conn = xmpp_conn_new(c.ctx);
	xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_DISABLE_TLS);
	xmpp_conn_set_jid(conn, "teletrack@hidden.meet.jitsi/bench");
	xmpp_global_timed_handler_add(c.ctx, pulse, 25, &c);
	c0 = cpu_s();
	c.tc = (struct testconn){ client_up, client_down, &c };
	if (xmpp_connect_raw(conn, "127.0.0.1", ntohs(sa.sin_port),
	    testconn_cb, &c.tc) != XMPP_EOK)
		fatalx("xmpp_connect_raw");
	xmpp_run(c.ctx);
	if (c.obs != NULL)
		writer_flush(c.w);	/* what the next pulse would commit */
	res.cpu_us = (cpu_s() - c0) * 1e6 / (double)s->nstanzas;
	res.rate = c.done ? s->nstanzas / (c.t1 - c.t0) : 0;
	recvtext_connected(0);
	xmpp_global_timed_handler_delete(c.ctx, pulse);
	xmpp_conn_release(conn);
	xmpp_ctx_free(c.ctx);
	waitpid(pid, &status, 0);
	if (mode == M_TELETRACK) {
		writer_free(c.w);	/* its thread commits what is left */
		res.verified = c.done && c.stanzas >= s->nstanzas &&
		    verify(db, s, 0);
		observer_free(c.obs);
		db_close(db);
	}
	config_free(&cfg);
	return res;
}

static int
dcmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), dcmp);
	return v[n / 2];
}

static void
bench_stream(const char *dir, int nrooms, long n)
{
	static const char *const names[] = { "strophe", "strophe-T",
	    "teletrack" };
	struct stream	 s;
	struct result	 r[ROUNDS][3];
	double		 v[ROUNDS], cpu[3];
	int		 k, m, ok = 1;

	generate(&s, nrooms, n, 1);
	printf("end to end: %ld stanzas (%.0f B each) over %d room(s), "
	    "socket -> libstrophe -> rows in SQLite\n", s.nstanzas,
	    (double)s.len / (double)s.nstanzas, nrooms);
	for (k = 0; k < ROUNDS; k++)
		for (m = 0; m < 3; m++) {
			/* rotate the order each round */
			int mode = (m + k) % 3;

			r[k][mode] = run((enum mode)mode, &s, nrooms, dir);
			if (mode == M_TELETRACK && !r[k][mode].verified)
				ok = 0;
		}
	for (m = 0; m < 3; m++) {
		for (k = 0; k < ROUNDS; k++)
			v[k] = r[k][m].cpu_us;
		cpu[m] = median(v, ROUNDS);
		for (k = 0; k < ROUNDS; k++)
			v[k] = r[k][m].rate;
		printf("  %-10s %9.0f stanzas/s  %6.1f us CPU/stanza%s\n",
		    names[m], median(v, ROUNDS), cpu[m], m == M_TELETRACK ?
		    (ok ? "  verified: rows = expected, every round" :
		    "  NOT VERIFIED") : "");
	}
	for (k = 0; k < ROUNDS; k++)
		v[k] = r[k][M_TELETRACK].rate / r[k][M_STROPHE].rate;
	printf("  teletrack/strophe  %.2f (median of the rounds' ratios; "
	    "CPU %.2f)\n", median(v, ROUNDS), cpu[M_STROPHE] /
	    cpu[M_TELETRACK]);
	for (k = 0; k < ROUNDS; k++)
		v[k] = r[k][M_STROPHE_T].rate / r[k][M_STROPHE].rate;
	printf("  strophe-T/strophe  %.2f (what skipping the debug text "
	    "buys; CPU %.2f)\n", median(v, ROUNDS), cpu[M_STROPHE] /
	    cpu[M_STROPHE_T]);
	free(s.buf);
}

/* --- memory -------------------------------------------------------------- */

static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks;
}

/*
 * Heap per occupant once nrooms rooms of per occupants are joined and
 * recorded (the observer's state, the writer's queue committed).
 */
static double
memory(const char *dir, int nrooms, int per)
{
	struct observer_store	 store;
	struct config		 cfg;
	struct writer		*w;
	struct db		*db;
	struct stream		 s;
	struct presence		 p;
	xmpp_ctx_t		*ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t		*st;
	struct occ		 o;
	struct observer		*obs;
	char			*text, *start;
	size_t			 before;
	double			 per_occ;
	int			 r, k;

	config_init(&cfg);
	db = open_store(dir, "mem.db", nrooms, &cfg);
	w = writer_new(db, cfg.flush_ms, cfg.flush_count);
	store = (struct observer_store){ .sink = { writer_emit, w } };
	obs = observer_new(&cfg, &io, &store, now_ms());
	observer_online(obs, "teletrack@hidden.meet.jitsi", now_ms());
	observer_tick(obs, now_ms());
	writer_flush(w);
	malloc_trim(0);
	before = heap_used();
	next_id = 0;
	for (r = 0; r < nrooms; r++) {
		memset(&s, 0, sizeof(s));
		for (k = 0; k < per; k++) {
			newcomer(NULL, &o);
			presence(&s, r, &o);
		}
		put(&s, "<presence xmlns='jabber:client' from='b%d@" MUC
		    "/teletrack'><x xmlns='http://jabber.org/protocol/muc#user'>"
		    "<item affiliation='none' role='participant'/><status "
		    "code='110'/></x></presence>", r);
		/* One stanza at a time, as the parser hands them over. */
		for (start = s.buf; (text = strstr(start + 1,
		    "<presence")) != NULL || *start != '\0'; start = text) {
			char	 save = text != NULL ? *text : '\0';

			if (text != NULL)
				*text = '\0';
			if ((st = xmpp_stanza_new_from_string(ctx, start)) !=
			    NULL) {
				if (presence_parse(st, NULL, &p, NULL) == 0) {
					observer_presence(obs, &p, now_ms());
					presence_clear(&p);
				}
				xmpp_stanza_release(st);
			}
			if (text == NULL)
				break;
			*text = save;
		}
		free(s.buf);
		if (r % 50 == 49)
			writer_flush(w);
	}
	writer_flush(w);
	malloc_trim(0);
	per_occ = (double)(heap_used() - before) / (nrooms * per);
	observer_free(obs);
	writer_free(w);
	db_close(db);
	config_free(&cfg);
	xmpp_ctx_free(ctx);
	return per_occ;
}

int
main(int argc, char **argv)
{
	char	 dir[] = "/tmp/teletrack-bench.XXXXXX", cmd[600];
	long	 n = argc > 1 ? atol(argv[1]) : 100000;

	log_init(0, "bench");
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	xmpp_initialize();
	bench_stream(dir, 1, n);
	bench_stream(dir, 20, n);
	bench_stream(dir, 100, n);
	printf("memory: heap per occupant, observed and recorded\n");
	printf("  one room of 1000 participants  %8.0f bytes\n",
	    memory(dir, 1, 1000));
	printf("  1000 rooms of 3 participants   %8.0f bytes\n",
	    memory(dir, 1000, 3));
	xmpp_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		log_warnx("could not remove %s", dir);
	return 0;
}
