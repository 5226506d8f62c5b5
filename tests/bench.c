/*
 * make bench: throughput and memory figures for the hot paths, each stated
 * against a baseline measured in the same run on the same machine, so the
 * ratios mean something on a shared or slow box.  No assertions: a
 * benchmark prints, tests check.
 *
 *   1. derivation: stanza text -> libstrophe stanza -> presence_parse ->
 *      room_apply, against the baseline of building the stanza alone
 *      (libstrophe + expat), which every XMPP client pays anyway;
 *   2. storage: events through the batching writer into a WAL file, against
 *      the baseline of bare prepared INSERTs of one row per event in
 *      transactions of the same size; with TELETRACK_BENCH_PG (a URL; make
 *      bench starts a throw-away server) the same through the writer into
 *      PostgreSQL, against bare libpq prepared INSERTs on that server;
 *   3. memory: heap growth per occupant of a room holding N participants;
 *   4. appointments: the tracker's cost per room event (attendance,
 *      billable sweep, every rule) against deriving one presence in 1.;
 *      and a tracker's tick when its participants reconnected thousands
 *      of times, against a tick with one interval each.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <strophe.h>

#include "benchclock.h"
#include "appt.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "presence.h"
#include "room.h"
#include "writer.h"

#include "testrecs.h"
#include "testroom.h"

#define ROOM		"bench@conference.meet.jitsi"
#define NPRES		40000
#define NEVENTS		40000
#define BATCH		500
#define NOCC		1000

static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks;
}

static void
null_emit(const struct event *ev, void *arg)
{
	(*(long *)arg) += ev->type;
}

/* A presence as lib-jitsi-meet sends it; i varies the mute state. */
static void
jitsi_presence(char *buf, size_t sz, int nick, int i)
{
	snprintf(buf, sz,
	    "<presence xmlns='jabber:client' from='" ROOM "/p%04d' "
	    "to='teletrack@hidden.meet.jitsi/x'>"
	    "<stats-id>Zoey-%04d</stats-id>"
	    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
	    "node='https://jitsi.org/jitsi-meet' ver='Jm4YBk0q0c8m2b6bY1s3yQ='/>"
	    "<features><feature var='https://jitsi.org/meet/e2ee'/></features>"
	    "<jitsi_participant_codecList>av1,vp9,vp8"
	    "</jitsi_participant_codecList>"
	    "<jitsi_participant_region>eu-central</jitsi_participant_region>"
	    "<SourceInfo>{\"p%04d-a0\":{\"muted\":%s},\"p%04d-v0\":"
	    "{\"muted\":%s}}</SourceInfo>"
	    "<nick xmlns='http://jabber.org/protocol/nick'>Person %d</nick>"
	    "<x xmlns='http://jabber.org/protocol/muc#user'>"
	    "<item affiliation='none' role='participant' "
	    "jid='p%04d@meet.jitsi/abc'/></x></presence>",
	    nick, nick, nick, (i & 1) ? "true" : "false", nick,
	    (i & 2) ? "true" : "false", nick, nick);
}

/* The 50 occupants' presences of the derivation benchmarks, as text. */
static void
jitsi_corpus(char text[50][2048])
{
	int	 i;

	for (i = 0; i < 50; i++)
		jitsi_presence(text[i], sizeof(text[i]), i, i / 7);
}

/* A room the observer has joined (its events to sink). */
static struct room *
bench_room(const struct event_sink *sink)
{
	struct room_opts	 o;
	struct room		*r;
	struct presence		 p;

	test_room_opts(&o);
	r = room_new(ROOM, &o);
	memset(&p, 0, sizeof(p));
	p.kind = PRESENCE_AVAILABLE;
	p.room = (char *)ROOM;
	p.nick = (char *)"teletrack";
	p.codes[0] = 110;
	p.ncodes = 1;
	p.hand_raised = -1;
	p.transcription = -1;
	room_join_sent(r, 1);
	room_apply(r, &p, 2, sink);
	room_meeting_info(r, "m", 3, sink);
	return r;
}

/*
 * NPRES presences from text through parse and room_apply, into a room
 * the observer joined: the seconds it took.
 */
static double
derive(xmpp_ctx_t *ctx, char text[][2048])
{
	long			 acc = 0;
	struct event_sink	 sink = { null_emit, &acc };
	struct room		*r = bench_room(&sink);
	struct presence		 p;
	double			 t0 = now_s(), t;
	int			 i;

	for (i = 0; i < NPRES; i++) {
		xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx,
		    text[i % 50]);
		if (presence_parse(st, NULL, &p, NULL) == 0) {
			room_apply(r, &p, 1000 + i, &sink);
			presence_clear(&p);
		}
		xmpp_stanza_release(st);
	}
	t = now_s() - t0;
	room_free(r);
	return t;
}

static void
bench_derivation(void)
{
	xmpp_ctx_t	*ctx = xmpp_ctx_new(NULL, NULL);
	static char	 text[50][2048];
	double		 t0, base, full;
	int		 i;

	jitsi_corpus(text);

	t0 = now_s();
	for (i = 0; i < NPRES; i++) {
		xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx,
		    text[i % 50]);
		xmpp_stanza_release(st);
	}
	base = now_s() - t0;

	full = derive(ctx, text);

	printf("derivation: %d Jitsi presences (50 occupants)\n", NPRES);
	printf("  baseline  stanza from text only      %9.0f /s\n",
	    NPRES / base);
	printf("  teletrack stanza + parse + room_apply %9.0f /s  "
	    "(%.2fx the baseline's time)\n", NPRES / full, full / base);
	xmpp_ctx_free(ctx);
}

/*
 * NEVENTS mute events of 20 participants of one session through a
 * writer on db, flushed every BATCH: the seconds it took.
 */
static double
writer_run(struct db *db)
{
	struct writer		*w;
	struct session_rec	 s;
	struct participant_rec	 pr;
	struct event		 ev;
	struct event_fields	 fl = { .n = 0 };
	double			 t0;
	int			 i;

	w = writer_new(db, 200, BATCH);
	session_init(&s, ROOM "/1", 1767258000000LL);
	s.room = "bench";
	s.room_jid = ROOM;
	s.meeting_id = NULL;
	participant_init(&pr, NULL, "p0001", 0);
	pr.name = "Person";
	memset(&ev, 0, sizeof(ev));
	ev.session = &s;
	ev.participant = &pr;
	ev.type = EVENT_AUDIO_MUTE;
	ef_str(&fl, "nick", "p0001");
	ev.fields = fl.v;
	ev.nfields = fl.n;
	t0 = now_s();
	for (i = 0; i < NEVENTS; i++) {
		char	 key[32];

		snprintf(key, sizeof(key), "sid:%d", i % 20);
		pr.key = key;
		ev.ts_ms = s.start_ms + i;
		writer_emit(&ev, w);
		if (writer_pending(w) >= BATCH && writer_flush(w) == -1)
			fatalx("writer_flush: %s", db_errmsg(db));
	}
	if (writer_flush(w) == -1)
		fatalx("writer_flush: %s", db_errmsg(db));
	t0 = now_s() - t0;
	writer_free(w);
	return t0;
}

static void
bench_storage(const char *dir)
{
	char			 path[512], err[256];
	struct db		*db;
	sqlite3			*raw;
	sqlite3_stmt		*st;
	double			 t0, base, full;
	int			 i;

	/* baseline: one bare INSERT per event, BATCH per transaction */
	snprintf(path, sizeof(path), "%s/raw.db", dir);
	if (sqlite3_open(path, &raw) != SQLITE_OK)
		fatalx("sqlite3_open %s", path);
	sqlite3_exec(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE e(id INTEGER PRIMARY KEY, s INTEGER, p INTEGER, "
	    "type TEXT, data TEXT, ts TEXT)", NULL, NULL, NULL);
	sqlite3_prepare_v2(raw, "INSERT INTO e(s,p,type,data,ts) "
	    "VALUES(1,?,?,?,?)", -1, &st, NULL);
	t0 = now_s();
	for (i = 0; i < NEVENTS; i++) {
		if (i % BATCH == 0)
			sqlite3_exec(raw, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_int(st, 1, i % 20);
		sqlite3_bind_text(st, 2, "audio_mute", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, "{\"nick\":\"p0001\"}", -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, "2026-01-01T09:00:00.000Z", -1,
		    SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
		if (i % BATCH == BATCH - 1)
			sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL);
	}
	base = now_s() - t0;
	sqlite3_finalize(st);
	sqlite3_close(raw);

	snprintf(path, sizeof(path), "%s/teletrack.db", dir);
	if ((db = db_open(path, 0, err, sizeof(err))) == NULL)
		fatalx("db_open: %s", err);
	full = writer_run(db);
	db_close(db);

	printf("storage: %d events, transactions of %d, WAL, "
	    "synchronous=NORMAL\n", NEVENTS, BATCH);
	printf("  baseline  bare INSERT, one row/event  %9.0f /s\n",
	    NEVENTS / base);
	printf("  teletrack writer (event + session and participant upserts)"
	    " %9.0f /s  (%.2fx the baseline's time)\n", NEVENTS / full,
	    full / base);
}

/* A libpq command that must work, or the benchmark stops. */
static void
pq_ok(PGconn *c, const char *sql)
{
	PGresult	*r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fatalx("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

/*
 * The same through the PostgreSQL backend, against the same server
 * taking one bare prepared INSERT per event (libpq, no teletrack code),
 * BATCH per transaction: each a round trip, as each of the writer's
 * statements is.
 */
static void
bench_storage_pg(const char *url)
{
	const char	*vals[4], *pw;
	const char	*keys[] = { "dbname", "password", NULL };
	const char	*kv[3];
	struct db_conf	 conf;
	struct db	*db;
	PGconn		*c;
	PGresult	*r;
	char		 p[16], err[512];
	double		 t0, base, full;
	int		 i;

	pw = getenv("TELETRACK_DB_PASSWORD");
	kv[0] = url;
	kv[1] = pw;
	kv[2] = NULL;
	c = PQconnectdbParams(keys, kv, 1);
	if (PQstatus(c) != CONNECTION_OK)
		fatalx("PostgreSQL: %s", PQerrorMessage(c));
	pq_ok(c, "DROP TABLE IF EXISTS bench_e");
	pq_ok(c, "CREATE TABLE bench_e (id BIGINT GENERATED BY DEFAULT AS"
	    " IDENTITY PRIMARY KEY, s BIGINT, p BIGINT, type TEXT, data TEXT,"
	    " ts TEXT)");
	r = PQprepare(c, "ins", "INSERT INTO bench_e (s, p, type, data, ts)"
	    " VALUES (1, $1, $2, $3, $4)", 4, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fatalx("PQprepare: %s", PQerrorMessage(c));
	PQclear(r);
	vals[1] = "audio_mute";
	vals[2] = "{\"nick\":\"p0001\"}";
	vals[3] = "2026-01-01T09:00:00.000Z";
	t0 = now_s();
	for (i = 0; i < NEVENTS; i++) {
		if (i % BATCH == 0)
			pq_ok(c, "BEGIN");
		snprintf(p, sizeof(p), "%d", i % 20);
		vals[0] = p;
		r = PQexecPrepared(c, "ins", 4, vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fatalx("INSERT: %s", PQerrorMessage(c));
		PQclear(r);
		if (i % BATCH == BATCH - 1)
			pq_ok(c, "COMMIT");
	}
	base = now_s() - t0;
	pq_ok(c, "DROP TABLE bench_e");
	PQfinish(c);

	memset(&conf, 0, sizeof(conf));
	conf.target = url;
	conf.schema = "bench";
	if ((db = db_connect(&conf, 0, err, sizeof(err))) == NULL)
		fatalx("db_connect: %s", err);
	full = writer_run(db);
	db_close(db);

	printf("storage: %d events, transactions of %d, PostgreSQL on "
	    "loopback\n", NEVENTS, BATCH);
	printf("  baseline  bare libpq INSERT, one row/event %9.0f /s\n",
	    NEVENTS / base);
	printf("  teletrack writer (event + session and participant upserts)"
	    " %9.0f /s  (%.2fx the baseline's time)\n", NEVENTS / full,
	    full / base);
}

static void
bench_memory(void)
{
	xmpp_ctx_t		*ctx = xmpp_ctx_new(NULL, NULL);
	struct presence		 p;
	long			 acc = 0;
	struct event_sink	 sink = { null_emit, &acc };
	struct room		*r = bench_room(&sink);
	char			 text[2048];
	size_t			 before, after;
	int			 i;

	before = heap_used();
	for (i = 0; i < NOCC; i++) {
		xmpp_stanza_t *st;

		jitsi_presence(text, sizeof(text), i, 0);
		st = xmpp_stanza_new_from_string(ctx, text);
		if (presence_parse(st, NULL, &p, NULL) == 0) {
			room_apply(r, &p, 1000 + i, &sink);
			presence_clear(&p);
		}
		xmpp_stanza_release(st);
	}
	after = heap_used();
	printf("memory: room with %d participants\n", NOCC);
	printf("  heap per participant (occupant + participant record) "
	    "%zu bytes; stanza text was ~%zu bytes\n",
	    (after - before) / NOCC, strlen(text));
	room_free(r);
	xmpp_ctx_free(ctx);
}

static struct appt *
bench_appt_new(int64_t created)
{
	static const struct appt_member roster[] = {
		{ "cg-1", "caregiver", "Dr A" }, { "pt-1", "patient", "Bob" }
	};
	struct appt_booking	 b;
	struct appt_policy	 pol;

	memset(&b, 0, sizeof(b));
	b.uid = "appt:bench";
	b.appointment_id = "bench";
	b.room = "bench";
	b.room_jid = ROOM;
	b.start_ms = 1;
	b.duration_ms = 3600000;
	b.roster = roster;
	b.nroster = 2;
	appt_policy_defaults(&pol);
	return appt_new(&b, &pol, created);
}

/* n join/leave pairs for key (caregiver or patient) ending at *t. */
static void
churn(struct appt *a, const char *key, const char *role, int n, int64_t *t,
    const struct event_sink *sink)
{
	struct participant_rec	 p;
	struct session_rec	 s;
	struct event		 ev;
	int			 i;

	memset(&s, 0, sizeof(s));
	s.uid = "appt:bench";
	s.room = "bench";
	s.appointment_id = "bench";
	memset(&p, 0, sizeof(p));
	p.key = key;
	p.participant_id = key + 3;	/* "id:cg-1" -> "cg-1" */
	p.role = role;
	p.name = key;
	memset(&ev, 0, sizeof(ev));
	ev.session = &s;
	ev.participant = &p;
	for (i = 0; i < n; i++) {
		p.present = 1;
		ev.type = EVENT_JOIN;
		ev.ts_ms = (*t)++;
		appt_event(a, &ev, sink);
		p.present = 0;
		p.left_reason = "leave";
		ev.type = EVENT_LEAVE;
		ev.ts_ms = (*t)++;
		appt_event(a, &ev, sink);
	}
	p.present = 1;
	ev.type = EVENT_JOIN;
	ev.ts_ms = (*t)++;
	appt_event(a, &ev, sink);
}

/*
 * n ticks of an appointment whose caregiver and patient each came and
 * went history times before: the seconds they took.
 */
static double
time_ticks(int n, int history, const struct event_sink *sink)
{
	struct appt	*a = bench_appt_new(0);
	int64_t		 t = 10;
	double		 t0;
	int		 i;

	churn(a, "id:cg-1", "caregiver", history, &t, sink);
	churn(a, "id:pt-1", "patient", history, &t, sink);
	t0 = now_s();
	for (i = 0; i < n; i++)
		appt_tick(a, t + i, sink);
	t0 = now_s() - t0;
	appt_free(a);
	return t0;
}

#define NAPPT		200000

/*
 * NAPPT room events as a meeting brings them: four participants (two on
 * the roster) muting and unmuting, one of them dropping and coming back
 * every 100 events.  Seconds for all of them.
 */
static double
feed(struct appt *a, const struct event_sink *sink)
{
	static const char *const keys[] = { "id:cg-1", "id:pt-1", "id:x",
	    "id:y" };
	static const char *const roles[] = { "caregiver", "patient", "guest",
	    "guest" };
	struct participant_rec	 p[4];
	struct session_rec	 s;
	struct event		 ev;
	double			 t0;
	int			 i, k;

	memset(&s, 0, sizeof(s));
	s.uid = "appt:bench";
	s.room = "bench";
	s.appointment_id = "bench";
	s.recording_status = "not_recorded";
	for (k = 0; k < 4; k++) {
		memset(&p[k], 0, sizeof(p[k]));
		p[k].key = keys[k];
		p[k].participant_id = keys[k] + 3;
		p[k].role = roles[k];
		p[k].name = keys[k];
		p[k].connection_quality = "good";
	}
	memset(&ev, 0, sizeof(ev));
	ev.session = &s;
	t0 = now_s();
	for (i = 0; i < NAPPT; i++) {
		k = i % 4;
		ev.participant = &p[k];
		ev.ts_ms = 1000 + i * 10;
		if (!p[k].present || i % 100 == 3) {
			p[k].present = !p[k].present;
			p[k].left_reason = p[k].present ? NULL : "disconnect";
			p[k].disconnection_count += !p[k].present;
			ev.type = p[k].present ? EVENT_RECONNECT :
			    EVENT_DISCONNECT;
		} else
			ev.type = i % 8 < 4 ? EVENT_AUDIO_MUTE :
			    EVENT_AUDIO_UNMUTE;
		appt_event(a, &ev, sink);
	}
	return now_s() - t0;
}

static void
bench_appt(void)
{
	xmpp_ctx_t		*ctx = xmpp_ctx_new(NULL, NULL);
	static char		 text[50][2048];
	long			 acc = 0;
	struct event_sink	 null = { null_emit, &acc };
	struct appt		*a;
	double			 base, full, shortt, longt;

	/* Baseline: deriving one presence (as in 1.), this run. */
	jitsi_corpus(text);
	base = derive(ctx, text) / NPRES;
	a = bench_appt_new(0);
	full = feed(a, &null) / NAPPT;
	appt_free(a);
	printf("appointments: the tracker on %d meeting events (4 people, "
	    "drops and returns)\n", NAPPT);
	printf("  baseline  deriving one presence        %9.2f us\n",
	    base * 1e6);
	printf("  teletrack tracker, per event           %9.2f us  "
	    "(%.2fx a presence's derivation)\n", full * 1e6, full / base);

	/* A tick sweeps every presence interval: its cost with history. */
	shortt = time_ticks(20000, 0, &null);
	longt = time_ticks(20000, 2000, &null);
	printf("  tick, 1 interval per participant      %9.0f /s\n",
	    20000 / shortt);
	printf("  tick, 2001 intervals per participant  %9.0f /s  "
	    "(%.1fx the time; ticks run once a second)\n", 20000 / longt,
	    longt / shortt);
	xmpp_ctx_free(ctx);
}

int
main(int argc, char **argv)
{
	char	 dir[] = "/tmp/teletrack-bench.XXXXXX";
	char	 cmd[600];
	const char *url;

	log_init(0, "bench");
	/* "bench pg": the PostgreSQL figures only (make bench's second run). */
	if (argc > 1 && strcmp(argv[1], "pg") == 0) {
		if ((url = getenv("TELETRACK_BENCH_PG")) == NULL)
			fatalx("bench pg needs TELETRACK_BENCH_PG");
		bench_storage_pg(url);
		return 0;
	}
	xmpp_initialize();
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	bench_derivation();
	bench_storage(dir);
	bench_memory();
	bench_appt();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		log_warnx("could not remove %s", dir);
	xmpp_shutdown();
	return 0;
}
