/*
 * loadgen: a bounded live load for teletrack against a real Prosody
 * (make bench, tests/live/bench_live.sh).
 *
 * One process plays focus and every participant over plain c2s on
 * loopback.  libstrophe waits in select(), so one context holds fewer
 * than FD_SETSIZE sockets: the participants are shared out over worker
 * processes (at most PER_WORKER each), driven by the parent over pipes
 * with one-line commands.  The parent is focus (it creates the rooms, as
 * jicofo does, since only focus may) and the referee: it reads the CPU
 * time of Prosody and of teletrack from /proc over each phase, teletrack's
 * RSS, its status file (commit latency) and, read-only, its database,
 * waiting until the rows it must hold are there.
 *
 * A participant sends what lib-jitsi-meet sends (stats-id, caps,
 * SourceInfo with a microphone and a camera, codec list, nick; ~700
 * bytes).  An update toggles the microphone (70%) or the camera (30%):
 * one audio_mute/unmute or video_mute/unmute event each.  The MUC
 * reflects every presence to its sender, after it broadcast it to the
 * room (the observer included): that echo is what is counted, so the
 * rows expected are exactly what Prosody delivered.
 *
 * Modes:
 *   saturate  R rooms of K, each participant sends its next update as
 *             soon as the echo of the last one is back (one in flight
 *             each): as fast as Prosody delivers, for -t seconds;
 *   pace      each participant updates -u times a second (evenly, random
 *             phase) for -t seconds;
 *   scale     nobody updates: joins, -i seconds of idle, leaves.
 * Every mode joins everyone first and ends with everyone leaving.
 *
 * Protocol with the script: loadgen writes the room list (-j FILE, one a
 * line), prints "READY", waits for the file -g to hold teletrack's PID
 * (the script starts it with join_file = that list), waits until the
 * status file says every room is joined, then runs the phases.  Output:
 * "PHASE name key=value..." lines and one "EXPECT type=count..." line
 * for the script to check the database against; exit 0 when every phase
 * ran and every row was found, 1 otherwise.  Every wait is bounded.
 *
 * Usage: loadgen -p PORT -m saturate|pace|scale -r ROOMS -k PER_ROOM
 *            -P PROSODY_PID -D DBFILE -j JOINFILE -g GOFILE
 *            [-x ROOM_PREFIX] [-t SECONDS] [-u RATE] [-i IDLE_S]
 *            [-w FOCUS_PASSWORD] [-s SEED]
 *
 * Over 800 lines: the parent, its workers and the referee speak one
 * line protocol over pipes, kept in one place.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>
#include <strophe.h>

#include "../benchrng.h"
#include "clock.h"
#include "log.h"
#include "recvtext.h"
#include "../testconn.h"

#define DOMAIN		"meet.jitsi"
#define MUC		"conference.meet.jitsi"
#define PER_WORKER	800	/* sockets per select() loop, < FD_SETSIZE */
#define MAX_WORKERS	16
#define CONNECT_WINDOW	24	/* logins in flight per worker */
#define LEAVE_WINDOW	64
#define FOCUS_WINDOW	64	/* room creations in flight */
#define PHASE_MS	600000	/* bound on any one wait */
#define DRAIN_MS	15000	/* echoes still due after a run */

/* The update types, in the order of dbtypes[] from its 4th on. */
enum { T_AMUTE, T_AUNMUTE, T_VMUTE, T_VUNMUTE, NT };

enum pstate { P_IDLE, P_CONNECTING, P_JOINING, P_JOINED, P_LEAVING,
    P_GONE, P_FAILED };

struct part {
	xmpp_conn_t	*conn;
	struct worker	*w;
	int		 idx;
	char		 nick[9];
	char		 full[96];	/* room@muc/nick */
	enum pstate	 st;
	int		 audio, video;
	int		 pending;	/* type in flight, or -1 */
	int64_t		 sent_at, next_at;
	struct testconn	 tc;
};

struct worker {
	xmpp_ctx_t	*ctx;
	struct part	*p;
	int		 n;
	int		 inflight;
	uint64_t	 sent[NT], echoed[NT];
	uint32_t	 rtt[2001];	/* send -> echo ms; last: more */
};

static const char	*server = "127.0.0.1";
static int		 port;
static const char	*prefix = "lt";
static int		 nrooms = 1, per_room = 10;
static uint64_t		 rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	return xorshift(&rng);
}

static void	die(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fprintf(stderr, "loadgen[%d]: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
room_name(char *buf, size_t sz, int r)
{
	snprintf(buf, sz, "%s%04d", prefix, r);
}

/* --- participants (a worker) --------------------------------------------- */

/* What lib-jitsi-meet puts in every presence; join adds the MUC <x/>. */
static void
send_presence(struct part *p, int join)
{
	xmpp_send_raw_string(p->conn, "<presence to='%s' xml:lang='en'>%s"
	    "<stats-id>Bench-%s</stats-id><c xmlns='http://jabber.org/"
	    "protocol/caps' hash='sha-1' node='https://jitsi.org/jitsi-meet' "
	    "ver='dtzK/3xhISaXUMVg59IpXxdvKyQ='/><jitsi_participant_codecList>"
	    "av1,vp9,vp8,h264</jitsi_participant_codecList><nick xmlns='http://"
	    "jabber.org/protocol/nick'>Person %d</nick><SourceInfo>{\"%s-a0\":"
	    "{\"muted\":%s},\"%s-v0\":{\"muted\":%s,\"videoType\":\"camera\"}}"
	    "</SourceInfo></presence>", p->full, join ? "<x xmlns='http://"
	    "jabber.org/protocol/muc'/>" : "", p->nick, p->idx, p->nick,
	    p->audio ? "false" : "true", p->nick, p->video ? "false" : "true");
}

/* Toggle the microphone (70%) or the camera and say so; one in flight. */
static void
update(struct part *p, int64_t now)
{
	int	 t;

	if (rnd() % 100 < 70) {
		p->audio = !p->audio;
		t = p->audio ? T_AUNMUTE : T_AMUTE;
	} else {
		p->video = !p->video;
		t = p->video ? T_VUNMUTE : T_VMUTE;
	}
	p->pending = t;
	p->sent_at = now;
	p->w->sent[t]++;
	send_presence(p, 0);
}

/*
 * One turn of libstrophe's loop for a busy worker.  Each turn walks every
 * connection and select()s on all of them, whatever arrived: with
 * hundreds of sockets and a steady trickle, turns of one stanza each
 * would make the driver cost more CPU than Prosody.  A short pause lets
 * a turn take in what came meanwhile.
 */
static void
turn(struct worker *w)
{
	if (w->n > 100)
		usleep(2000);
	xmpp_run_once(w->ctx, 5);
}

static int	 running;	/* saturate: send again on each echo */
static int64_t	 run_end;

static void
finish(struct part *p, enum pstate st)
{
	if (p->st == P_CONNECTING || p->st == P_JOINING ||
	    p->st == P_LEAVING)
		p->w->inflight--;
	p->st = st;
}

static int
part_presence(xmpp_conn_t *c, xmpp_stanza_t *s, void *arg)
{
	struct part	*p = arg;
	const char	*from = xmpp_stanza_get_from(s);
	const char	*type = xmpp_stanza_get_type(s);
	int64_t		 now, d;

	(void)c;
	if (from == NULL || strcmp(from, p->full) != 0)
		return 1;	/* someone else in the room */
	if (type != NULL && strcmp(type, "error") == 0) {
		fprintf(stderr, "loadgen: %s: presence error\n", p->full);
		finish(p, P_FAILED);
		return 1;
	}
	if (type != NULL && strcmp(type, "unavailable") == 0) {
		if (p->st == P_LEAVING) {
			finish(p, P_GONE);
			xmpp_disconnect(p->conn);
		}
		return 1;
	}
	if (p->st == P_JOINING) {
		finish(p, P_JOINED);
		return 1;
	}
	if (p->st != P_JOINED || p->pending < 0)
		return 1;
	now = mono_ms();
	d = now - p->sent_at;
	p->w->rtt[d < 0 ? 0 : d > 2000 ? 2000 : d]++;
	p->w->echoed[p->pending]++;
	p->pending = -1;
	if (running && now < run_end)
		update(p, now);
	return 1;
}

static void
part_up(xmpp_conn_t *c, void *arg)
{
	struct part	*p = arg;

	xmpp_handler_add(c, part_presence, NULL, "presence", NULL, p);
	p->st = P_JOINING;
	send_presence(p, 1);
}

static void
part_down(xmpp_conn_t *c, int err, void *arg)
{
	struct part	*p = arg;

	(void)c;
	if (p->st == P_CONNECTING || p->st == P_JOINING) {
		fprintf(stderr, "loadgen: %s: connection failed (%d)\n",
		    p->full, err);
		finish(p, P_FAILED);
	} else if (p->st == P_JOINED || p->st == P_LEAVING)
		finish(p, P_FAILED);
}

static void
part_connect(struct worker *w, struct part *p)
{
	p->conn = xmpp_conn_new(w->ctx);
	/*
	 * Jitsi's participants come in over WebSocket behind nginx, which
	 * ends TLS: Prosody pays no TLS for them, nor here.  No stream
	 * management: its acks would add Prosody work teletrack is then
	 * measured against.
	 */
	xmpp_conn_set_flags(p->conn, XMPP_CONN_FLAG_DISABLE_TLS |
	    XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(p->conn, DOMAIN);	/* anonymous */
	p->st = P_CONNECTING;
	w->inflight++;
	p->tc = (struct testconn){ part_up, part_down, p };
	if (xmpp_connect_client(p->conn, server, (unsigned short)port,
	    testconn_cb, &p->tc) != XMPP_EOK)
		finish(p, P_FAILED);
}

/* Count the participants in state st. */
static int
count(const struct worker *w, enum pstate st)
{
	int	 i, n = 0;

	for (i = 0; i < w->n; i++)
		n += w->p[i].st == st;
	return n;
}

static void
reply(int fd, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) || write(fd, buf, (size_t)n) != n)
		die("reply");
}

static void
do_join(struct worker *w)
{
	int64_t	 end = mono_ms() + PHASE_MS, now;
	int	 next = 0;

	/* After the bound, no new login; those under way may finish. */
	while ((now = mono_ms()) < end + 60000) {
		while (now < end && next < w->n && w->inflight < CONNECT_WINDOW)
			part_connect(w, &w->p[next++]);
		if ((next == w->n || now >= end) && w->inflight == 0)
			break;
		turn(w);
	}
}

/* saturate (rate 0) or pace (rate updates/s each) for ms. */
static void
do_run(struct worker *w, int ms, double rate)
{
	int64_t	 now = mono_ms(), end, period = 0;
	int	 i;

	run_end = now + ms;
	running = rate <= 0;
	if (rate > 0)
		period = (int64_t)(1000 / rate);
	for (i = 0; i < w->n; i++) {
		struct part *p = &w->p[i];

		if (p->st != P_JOINED)
			continue;
		if (running)
			update(p, now);
		else
			p->next_at = now + (int64_t)(rnd() % (uint32_t)period);
	}
	while ((now = mono_ms()) < run_end) {
		for (i = 0; !running && i < w->n; i++) {
			struct part *p = &w->p[i];

			if (p->st == P_JOINED && p->pending < 0 &&
			    now >= p->next_at) {
				update(p, now);
				p->next_at += period;
			}
		}
		xmpp_run_once(w->ctx, running ? 5 : 20);
	}
	running = 0;
	/* The echoes still due. */
	end = mono_ms() + DRAIN_MS;
	for (;;) {
		int left = 0;

		for (i = 0; i < w->n; i++)
			left += w->p[i].st == P_JOINED && w->p[i].pending >= 0;
		if (left == 0 || mono_ms() >= end)
			break;
		turn(w);
	}
}

static void
do_leave(struct worker *w)
{
	int64_t	 end = mono_ms() + PHASE_MS;
	int	 next = 0;

	while (mono_ms() < end) {
		while (next < w->n && w->inflight < LEAVE_WINDOW) {
			struct part *p = &w->p[next++];

			if (p->st != P_JOINED)
				continue;
			p->st = P_LEAVING;
			w->inflight++;
			xmpp_send_raw_string(p->conn, "<presence to='%s' "
			    "type='unavailable'/>", p->full);
		}
		if (next == w->n && w->inflight == 0)
			break;
		turn(w);
	}
	/* Let the stream closes go out. */
	end = mono_ms() + 3000;
	while (mono_ms() < end) {
		int open = 0, i;

		for (i = 0; i < w->n; i++)
			open += w->p[i].conn != NULL &&
			    xmpp_conn_is_connected(w->p[i].conn);
		if (open == 0)
			break;
		turn(w);
	}
}

static int
rtt_pct(const struct worker *w, double q)
{
	uint64_t	 n = 0, acc = 0;
	int		 i;

	for (i = 0; i <= 2000; i++)
		n += w->rtt[i];
	for (i = 0; n > 0 && i <= 2000; i++) {
		acc += w->rtt[i];
		if (acc >= (uint64_t)(q * (double)n + 0.5) && acc > 0)
			return i;
	}
	return -1;
}

/*
 * A worker: participants [first, first + n).  Reads commands from cfd,
 * answers on rfd; between commands it keeps reading what Prosody sends.
 */
static void
worker_main(int first, int n, int cfd, int rfd)
{
	struct worker	 w;
	char		 cmd[256];
	size_t		 len = 0;
	ssize_t		 r;
	char		 rooms[64];
	int		 i;

	memset(&w, 0, sizeof(w));
	rng ^= (uint64_t)(first + 1) * 0x2545F4914F6CDD1DULL;
	w.ctx = xmpp_ctx_new(NULL, NULL);
	w.n = n;
	w.p = calloc((size_t)n, sizeof(*w.p));
	if (w.ctx == NULL || w.p == NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		struct part *p = &w.p[i];

		p->w = &w;
		p->idx = first + i;
		p->pending = -1;
		/* lib-jitsi-meet's nick: 8 hex digits; these are unique. */
		snprintf(p->nick, sizeof(p->nick), "%08x",
		    (unsigned)((uint32_t)p->idx * 2654435761u));
		room_name(rooms, sizeof(rooms), p->idx / per_room);
		snprintf(p->full, sizeof(p->full), "%s@" MUC "/%s", rooms,
		    p->nick);
		p->audio = rnd() & 1;
		p->video = rnd() & 1;
	}
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	for (;;) {
		char *nl, word[32];
		double a = 0, b = 0;

		r = read(cfd, cmd + len, sizeof(cmd) - 1 - len);
		if (r == 0)
			break;			/* the parent is gone */
		if (r > 0)
			len += (size_t)r;
		if ((nl = memchr(cmd, '\n', len)) == NULL) {
			/*
			 * Each turn of libstrophe's loop walks every
			 * connection and select()s on all of them: a short
			 * timeout here would make the driver, idle, cost
			 * Prosody and teletrack a third of a core.
			 */
			xmpp_run_once(w.ctx, 200);
			continue;
		}
		*nl = '\0';
		word[0] = '\0';
		sscanf(cmd, "%31s %lf %lf", word, &a, &b);
		if (strcmp(word, "join") == 0) {
			do_join(&w);
			reply(rfd, "joined %d %d\n", count(&w, P_JOINED),
			    count(&w, P_FAILED));
		} else if (strcmp(word, "run") == 0) {
			do_run(&w, (int)a, b);
			reply(rfd, "ran %llu %llu %llu %llu %llu %llu %llu %llu "
			    "%d %d %d\n",
			    (unsigned long long)w.sent[0],
			    (unsigned long long)w.sent[1],
			    (unsigned long long)w.sent[2],
			    (unsigned long long)w.sent[3],
			    (unsigned long long)w.echoed[0],
			    (unsigned long long)w.echoed[1],
			    (unsigned long long)w.echoed[2],
			    (unsigned long long)w.echoed[3],
			    rtt_pct(&w, 0.5), rtt_pct(&w, 0.99),
			    count(&w, P_JOINED));
		} else if (strcmp(word, "leave") == 0) {
			do_leave(&w);
			reply(rfd, "left %d %d\n", count(&w, P_GONE),
			    count(&w, P_FAILED));
		} else if (strcmp(word, "quit") == 0)
			break;
		len -= (size_t)(nl + 1 - cmd);
		memmove(cmd, nl + 1, len);
	}
	for (i = 0; i < n; i++)
		if (w.p[i].conn != NULL)
			xmpp_conn_release(w.p[i].conn);
	xmpp_ctx_free(w.ctx);
	free(w.p);
	_exit(0);
}

/* --- focus and the referee (the parent) ----------------------------------- */

struct kid {
	pid_t	 pid;
	int	 cfd, rfd;
	char	 buf[1024];
	size_t	 len;
	char	 line[1024];	/* the last reply */
	int	 have;
};

static struct kid	 kids[MAX_WORKERS];
static int		 nkids;
static xmpp_ctx_t	*fctx;
static xmpp_conn_t	*fconn;
static int		 focus_online, focus_failed, rooms_made;

static int
focus_presence(xmpp_conn_t *c, xmpp_stanza_t *s, void *arg)
{
	const char	*from = xmpp_stanza_get_from(s);
	const char	*type = xmpp_stanza_get_type(s);
	const char	*slash;

	(void)c;
	(void)arg;
	if (from == NULL || (slash = strchr(from, '/')) == NULL ||
	    strcmp(slash + 1, "focus") != 0)
		return 1;
	if (type != NULL && strcmp(type, "error") == 0) {
		fprintf(stderr, "loadgen: focus: cannot create %s\n", from);
		focus_failed++;
	} else if (type == NULL)
		rooms_made++;
	return 1;
}

static void
focus_conn(xmpp_conn_t *c, xmpp_conn_event_t ev, int err,
    xmpp_stream_error_t *se, void *arg)
{
	(void)err;
	(void)se;
	(void)arg;
	if (ev == XMPP_CONN_CONNECT) {
		xmpp_handler_add(c, focus_presence, NULL, "presence", NULL,
		    NULL);
		focus_online = 1;
	} else {
		focus_online = 0;
		focus_failed++;
	}
}

/* Keep focus reading for ms (it gets every presence of its rooms). */
static void
pump(int ms)
{
	int64_t	 end = mono_ms() + ms;

	do
		xmpp_run_once(fctx, ms < 5 ? ms : 5);
	while (mono_ms() < end);
}

static void
make_rooms(const char *password)
{
	int64_t	 end = mono_ms() + PHASE_MS;
	char	 name[64];
	int	 sent = 0;

	fconn = xmpp_conn_new(fctx);
	xmpp_conn_set_flags(fconn, XMPP_CONN_FLAG_DISABLE_TLS |
	    XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(fconn, "focus@auth." DOMAIN);
	xmpp_conn_set_pass(fconn, password);
	if (xmpp_connect_client(fconn, server, (unsigned short)port,
	    focus_conn, NULL) != XMPP_EOK)
		die("focus: cannot connect");
	while (!focus_online && !focus_failed && mono_ms() < end)
		pump(5);
	if (!focus_online)
		die("focus: login failed");
	while (rooms_made < nrooms && !focus_failed && mono_ms() < end) {
		while (sent < nrooms && sent - rooms_made < FOCUS_WINDOW) {
			room_name(name, sizeof(name), sent++);
			xmpp_send_raw_string(fconn, "<presence to='%s@" MUC
			    "/focus'><x xmlns='http://jabber.org/protocol/muc'/>"
			    "<conference-properties xmlns='http://jitsi.org/"
			    "protocol/focus'><property key='bridge-count' "
			    "value='1'/></conference-properties></presence>",
			    name);
		}
		pump(5);
	}
	if (rooms_made < nrooms)
		die("focus: %d of %d rooms created", rooms_made, nrooms);
}

static void
kid_send(const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	int	 i, n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; i < nkids; i++) {
		kids[i].have = 0;
		if (write(kids[i].cfd, buf, (size_t)n) != n)
			die("worker %d: write", i);
	}
}

/* Wait (focus reading meanwhile) for one reply line from every worker. */
static void
kid_wait(void)
{
	int64_t	 end = mono_ms() + PHASE_MS + DRAIN_MS + 60000;
	int	 i, all;
	ssize_t	 r;
	char	*nl;

	for (;;) {
		for (all = 1, i = 0; i < nkids; i++) {
			struct kid *k = &kids[i];

			if (k->have)
				continue;
			r = read(k->rfd, k->buf + k->len,
			    sizeof(k->buf) - 1 - k->len);
			if (r == 0)
				die("worker %d died", i);
			if (r > 0)
				k->len += (size_t)r;
			if ((nl = memchr(k->buf, '\n', k->len)) != NULL) {
				*nl = '\0';
				snprintf(k->line, sizeof(k->line), "%s",
				    k->buf);
				k->len -= (size_t)(nl + 1 - k->buf);
				memmove(k->buf, nl + 1, k->len);
				k->have = 1;
			} else
				all = 0;
		}
		if (all)
			return;
		if (mono_ms() > end)
			die("workers did not answer");
		pump(5);
	}
}

/* CPU time of a process: /proc/PID/stat utime+stime, and schedstat. */
struct cpu {
	double	 stat_s;	/* utime + stime */
	double	 sched_s;	/* on-CPU time, ns exact (0: not available) */
};

static struct cpu
cpu_of(pid_t pid)
{
	struct cpu	 c = { 0, 0 };
	char		 path[64], tpath[352], buf[2048], *p;
	unsigned long	 ut, st;
	unsigned long long ns;
	struct dirent	*de;
	DIR		*dir;
	FILE		*fp;
	int		 i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) != NULL &&
		    (p = strrchr(buf, ')')) != NULL) {
			/* Field 3 follows ") "; utime and stime are 14, 15. */
			for (i = 3, p += 2; i < 14 && p != NULL; i++)
				if ((p = strchr(p, ' ')) != NULL)
					p++;
			if (p != NULL && sscanf(p, "%lu %lu", &ut, &st) == 2)
				c.stat_s = (double)(ut + st) /
				    (double)sysconf(_SC_CLK_TCK);
		}
		fclose(fp);
	}
	/*
	 * schedstat is per thread: every thread's (teletrack's writer runs
	 * on its own), as utime+stime counts them.
	 */
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return c;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(tpath, sizeof(tpath), "%s/%s/schedstat", path,
		    de->d_name);
		if ((fp = fopen(tpath, "r")) == NULL)
			continue;
		if (fscanf(fp, "%llu", &ns) == 1)
			c.sched_s += (double)ns / 1e9;
		fclose(fp);
	}
	closedir(dir);
	return c;
}

static long
rss_kb(pid_t pid)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

static pid_t	 prosody_pid, tt_pid;
static const char *dbpath;
static char	 status_file[1024];

/* Snapshot of everything measured over a phase. */
struct snap {
	int64_t		 t;
	struct cpu	 tt, pr, drv;
};

static struct snap
snap(void)
{
	struct snap	 s;
	struct cpu	 k;
	int		 i;

	s.t = mono_ms();
	s.tt = cpu_of(tt_pid);
	s.pr = cpu_of(prosody_pid);
	s.drv = cpu_of(getpid());
	for (i = 0; i < nkids; i++) {
		k = cpu_of(kids[i].pid);
		s.drv.stat_s += k.stat_s;
		s.drv.sched_s += k.sched_s;
	}
	return s;
}

/* "cpu" fields of a PHASE line: seconds and teletrack/Prosody shares. */
static void
print_cpu(const struct snap *a, const struct snap *b)
{
	double	 tt = b->tt.stat_s - a->tt.stat_s;
	double	 pr = b->pr.stat_s - a->pr.stat_s;
	double	 dr = b->drv.stat_s - a->drv.stat_s;
	double	 tts = b->tt.sched_s - a->tt.sched_s;
	double	 prs = b->pr.sched_s - a->pr.sched_s;

	printf(" secs=%.2f tt_cpu=%.3f prosody_cpu=%.3f driver_cpu=%.3f "
	    "share=%.2f%% tt_cpu_exact=%.4f share_exact=%.2f%%",
	    (double)(b->t - a->t) / 1000, tt, pr, dr,
	    pr > 0 ? 100 * tt / pr : 0, tts, prs > 0 ? 100 * tts / prs : 0);
}

/* Rows per type in teletrack's database (read-only; -1 on error). */
static const char *const dbtypes[] = { "join", "leave", "disconnect",
    "audio_mute", "audio_unmute", "video_mute", "video_unmute" };
#define NDB	(sizeof(dbtypes) / sizeof(dbtypes[0]))

static char	 db_error[256];

static int
db_rows(long *rows)
{
	static sqlite3		*db;
	static sqlite3_stmt	*st;
	size_t			 i;
	int			 rc;

	if (db == NULL) {
		/* Until teletrack made its schema, this fails: try again. */
		if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK ||
		    sqlite3_prepare_v2(db, "SELECT event_type, count(*) FROM "
		    "teleconference_events GROUP BY event_type", -1, &st,
		    NULL) != SQLITE_OK) {
			snprintf(db_error, sizeof(db_error), "%s: %s", dbpath,
			    sqlite3_errmsg(db));
			sqlite3_close(db);
			db = NULL;
			return -1;
		}
		sqlite3_busy_timeout(db, 1000);
	}
	memset(rows, 0, NDB * sizeof(*rows));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (i = 0; i < NDB; i++)
			if (strcmp((const char *)sqlite3_column_text(st, 0),
			    dbtypes[i]) == 0)
				rows[i] = sqlite3_column_int64(st, 1);
	if (rc != SQLITE_DONE)
		snprintf(db_error, sizeof(db_error), "%s: %s", dbpath,
		    sqlite3_errmsg(db));
	else
		db_error[0] = '\0';
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static long	 expect[NDB];

/*
 * Wait (bounded) until the database holds every row expected so far;
 * 0 when it does, -1 (and the counts printed) when not.
 */
static int
wait_rows(void)
{
	int64_t	 end = mono_ms() + 60000;
	long	 rows[NDB];
	size_t	 i;
	int	 ok = 0;

	while (mono_ms() < end) {
		ok = db_rows(rows) == 0;
		for (i = 0; ok && i < NDB; i++)
			ok = rows[i] >= expect[i];
		if (ok)
			return 0;
		pump(10);
	}
	if (db_error[0] != '\0')
		fprintf(stderr, "loadgen: %s\n", db_error);
	fprintf(stderr, "loadgen: rows missing after 60 s:");
	for (i = 0; i < NDB; i++)
		fprintf(stderr, " %s=%ld/%ld", dbtypes[i], rows[i], expect[i]);
	fputc('\n', stderr);
	return -1;
}

/* The status file, once it was rewritten after `after` (monotonic ms). */
static json_t *
status_read(int64_t after_wall_s)
{
	int64_t		 end = mono_ms() + 5000;
	struct stat	 sb;
	json_t		*j;

	while (mono_ms() < end) {
		if (stat(status_file, &sb) == 0 &&
		    sb.st_mtim.tv_sec > after_wall_s &&
		    (j = json_load_file(status_file, 0, NULL)) != NULL)
			return j;
		pump(50);
	}
	return NULL;
}

static void
print_latency(void)
{
	json_t	*j, *lat;

	if ((j = status_read((int64_t)time(NULL))) == NULL) {
		printf(" lat=unknown");
		return;
	}
	lat = json_object_get(j, "commit_latency_ms");
	printf(" lat_count=%lld lat_p50=%lld lat_p99=%lld lat_max=%lld",
	    (long long)json_integer_value(json_object_get(lat, "count")),
	    (long long)json_integer_value(json_object_get(lat, "p50")),
	    (long long)json_integer_value(json_object_get(lat, "p99")),
	    (long long)json_integer_value(json_object_get(lat, "max")));
	json_decref(j);
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -p PORT -m saturate|pace|scale -r ROOMS "
	    "-k PER_ROOM -P PROSODY_PID -D DBFILE -j JOINFILE -g GOFILE\n"
	    "               [-x PREFIX] [-t SECONDS] [-u RATE] [-i IDLE_S] "
	    "[-w FOCUS_PW] [-s SEED]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char	*mode = NULL, *joinfile = NULL, *gofile = NULL;
	const char	*focuspw = "focuspw";
	double		 secs = 20, rate = 0.2, idle = 30;
	struct snap	 a, b;
	long		 rss1, joined = 0, failed = 0, left = 0;
	uint64_t	 sent[NT] = { 0 }, echoed[NT] = { 0 };
	int		 ch, i, n, per, bad = 0, p50 = 0, p99 = 0, scale;
	char		 name[64], *slash;
	FILE		*fp;
	json_t		*j;
	int64_t		 t0, end;

	while ((ch = getopt(argc, argv, "D:g:i:j:k:m:P:p:r:s:t:u:w:x:")) != -1) {
		switch (ch) {
		case 'D': dbpath = optarg; break;
		case 'g': gofile = optarg; break;
		case 'i': idle = atof(optarg); break;
		case 'j': joinfile = optarg; break;
		case 'k': per_room = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'P': prosody_pid = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'r': nrooms = atoi(optarg); break;
		case 's': rng ^= strtoull(optarg, NULL, 10) * 0x9E37ULL; break;
		case 't': secs = atof(optarg); break;
		case 'u': rate = atof(optarg); break;
		case 'w': focuspw = optarg; break;
		case 'x': prefix = optarg; break;
		default: usage();
		}
	}
	if (port <= 0 || mode == NULL || dbpath == NULL || joinfile == NULL ||
	    gofile == NULL || prosody_pid <= 0 || nrooms < 1 || per_room < 1 ||
	    (strcmp(mode, "saturate") != 0 && strcmp(mode, "pace") != 0 &&
	    strcmp(mode, "scale") != 0) || secs <= 0 || secs > 600 ||
	    idle < 0 || idle > 600 || rate <= 0 || rate > 100)
		usage();
	scale = strcmp(mode, "scale") == 0;
	n = nrooms * per_room;
	snprintf(status_file, sizeof(status_file), "%s", dbpath);
	if ((slash = strrchr(status_file, '/')) == NULL)
		usage();
	snprintf(slash + 1, sizeof(status_file) - (size_t)(slash + 1 -
	    status_file), "teletrack.status");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(0, "loadgen");
	xmpp_initialize();
	/*
	 * The driver shares two cores with Prosody and teletrack: skip
	 * libstrophe's text copy of every received stanza (recvtext.c).
	 */
	recvtext_connected(1);

	/* Workers first, before any socket exists. */
	nkids = (n + PER_WORKER - 1) / PER_WORKER;
	if (nkids > MAX_WORKERS)
		die("at most %d participants", MAX_WORKERS * PER_WORKER);
	per = (n + nkids - 1) / nkids;
	for (i = 0; i < nkids; i++) {
		int cp[2], rp[2], first = i * per;

		if (pipe(cp) == -1 || pipe(rp) == -1)
			die("pipe: %s", strerror(errno));
		if ((kids[i].pid = fork()) == -1)
			die("fork: %s", strerror(errno));
		if (kids[i].pid == 0) {
			close(cp[1]);
			close(rp[0]);
			worker_main(first, first + per > n ? n - first : per,
			    cp[0], rp[1]);
		}
		close(cp[0]);
		close(rp[1]);
		kids[i].cfd = cp[1];
		kids[i].rfd = rp[0];
		fcntl(kids[i].rfd, F_SETFL, O_NONBLOCK);
	}

	fctx = xmpp_ctx_new(NULL, NULL);
	t0 = mono_ms();
	make_rooms(focuspw);
	printf("PHASE rooms created=%d secs=%.2f\n", rooms_made,
	    (double)(mono_ms() - t0) / 1000);

	/*
	 * Everyone joins before teletrack starts: it leaves a room where
	 * only focus is after leave_grace_s, and 3,000 logins take Prosody
	 * longer than that.  Its first join of each room then records the
	 * people already there, as after any start of the daemon.
	 */
	t0 = mono_ms();
	kid_send("join\n");
	kid_wait();
	for (i = 0; i < nkids; i++) {
		long jn, fl;

		if (sscanf(kids[i].line, "joined %ld %ld", &jn, &fl) != 2)
			die("worker %d: %s", i, kids[i].line);
		joined += jn;
		failed += fl;
	}
	printf("PHASE participants joined=%ld failed=%ld secs=%.2f\n",
	    joined, failed, (double)(mono_ms() - t0) / 1000);
	if (failed > 0)
		bad = 1;
	if ((fp = fopen(joinfile, "w")) == NULL)
		die("%s: %s", joinfile, strerror(errno));
	for (i = 0; i < nrooms; i++) {
		room_name(name, sizeof(name), i);
		fprintf(fp, "%s\n", name);
	}
	if (fclose(fp) != 0)
		die("%s: %s", joinfile, strerror(errno));
	printf("READY\n");

	/* The script starts teletrack and writes its PID to the go file. */
	end = mono_ms() + 60000;
	while (tt_pid <= 0 && mono_ms() < end) {
		if ((fp = fopen(gofile, "r")) != NULL) {
			if (fscanf(fp, "%d", &tt_pid) != 1)
				tt_pid = 0;
			fclose(fp);
		}
		pump(5);
	}
	if (tt_pid <= 0)
		die("no teletrack PID in %s", gofile);
	a = snap();
	expect[0] = joined;
	/* The database appears once teletrack opened it. */
	end = mono_ms() + 30000;
	while (access(dbpath, R_OK) == -1 && mono_ms() < end)
		pump(5);
	bad |= wait_rows() == -1;
	b = snap();
	rss1 = rss_kb(tt_pid);
	printf("PHASE observer_joined rooms=%d rows=%ld", nrooms, joined);
	print_cpu(&a, &b);
	printf(" rss_kb=%ld rss_per_occupant_kb=%.2f", rss1,
	    joined > 0 ? (double)rss1 / (double)joined : 0);
	print_latency();
	printf("\n");
	/* Every room counted as joined (the status file: 1 s steps). */
	end = mono_ms() + 30000;
	for (;;) {
		long jr = -1;

		if ((j = json_load_file(status_file, 0, NULL)) != NULL) {
			jr = (long)json_integer_value(json_object_get(j,
			    "rooms_joined"));
			json_decref(j);
		}
		if (jr >= nrooms)
			break;
		if (mono_ms() > end || kill(tt_pid, 0) == -1) {
			fprintf(stderr, "loadgen: teletrack joined %ld of %d "
			    "rooms\n", jr, nrooms);
			bad = 1;
			break;
		}
		pump(50);
	}

	if (scale) {
		a = snap();
		pump((int)(idle * 1000));
		b = snap();
		printf("PHASE idle rooms=%d occupants=%ld", nrooms, joined);
		print_cpu(&a, &b);
		printf(" tt_cpu_ms_per_s=%.3f\n", 1000 * (b.tt.stat_s -
		    a.tt.stat_s) / ((double)(b.t - a.t) / 1000));
	} else {
		a = snap();
		kid_send("run %d %g\n", (int)(secs * 1000),
		    strcmp(mode, "saturate") == 0 ? 0.0 : rate);
		kid_wait();
		for (i = 0; i < nkids; i++) {
			unsigned long long v[8];
			int q50, q99, still, k;

			if (sscanf(kids[i].line, "ran %llu %llu %llu %llu %llu "
			    "%llu %llu %llu %d %d %d", &v[0], &v[1], &v[2],
			    &v[3], &v[4], &v[5], &v[6], &v[7], &q50, &q99,
			    &still) != 11)
				die("worker %d: %s", i, kids[i].line);
			for (k = 0; k < NT; k++) {
				sent[k] += v[k];
				echoed[k] += v[4 + k];
			}
			/* Workers are alike: the worst one's figures. */
			if (q50 > p50)
				p50 = q50;
			if (q99 > p99)
				p99 = q99;
		}
		for (i = 0; i < NT; i++)
			expect[3 + i] = (long)echoed[i];
		bad |= wait_rows() == -1;
		b = snap();
		{
			uint64_t ts = 0, te = 0;

			for (i = 0; i < NT; i++) {
				ts += sent[i];
				te += echoed[i];
			}
			printf("PHASE %s participants=%ld sent=%llu echoed=%llu "
			    "updates_per_s=%.1f echo_rtt_p50=%d echo_rtt_p99=%d",
			    mode, joined, (unsigned long long)ts,
			    (unsigned long long)te, (double)te / secs, p50, p99);
			if (ts != te)
				bad = 1;
		}
		print_cpu(&a, &b);
		print_latency();
		printf("\n");
	}

	/* Everyone leaves. */
	a = snap();
	kid_send("leave\n");
	kid_wait();
	for (failed = 0, i = 0; i < nkids; i++) {
		long gn, fl;

		if (sscanf(kids[i].line, "left %ld %ld", &gn, &fl) != 2)
			die("worker %d: %s", i, kids[i].line);
		left += gn;
		failed += fl;
	}
	expect[1] = left;
	bad |= wait_rows() == -1;
	b = snap();
	printf("PHASE leave_committed rows=%ld failed=%ld", left, failed);
	print_cpu(&a, &b);
	print_latency();
	printf("\n");
	if (failed > 0 || left != joined)
		bad = 1;

	kid_send("quit\n");
	for (i = 0; i < nkids; i++)
		waitpid(kids[i].pid, NULL, 0);
	xmpp_disconnect(fconn);
	pump(200);
	xmpp_conn_release(fconn);
	xmpp_ctx_free(fctx);
	xmpp_shutdown();
	printf("EXPECT");
	for (i = 0; i < (int)NDB; i++)
		printf(" %s=%ld", dbtypes[i], expect[i]);
	printf("\n");
	return bad;
}
