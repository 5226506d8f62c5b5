/*
 * libFuzzer harness for the whole flow: a SEQUENCE of stanzas, parsed
 * (presence_parse, message_parse), handed to the observer (bot/observer.c,
 * with a fake struct observer_io standing for the transport), derived
 * (bot/derive/) and written by the storage writer (storage/writer.c) into
 * an in-memory SQLite database with the real schema.  After every
 * sequence the observer stops (leaving its rooms, flushing) and the rows
 * are checked against the events the observer handed to storage.
 *
 * The input is text, one operation a line ('#' starts a comment):
 *
 *   <presence .../>, <message .../>   a stanza as Prosody would deliver it
 *                                     (the observer's own self-presence and
 *                                     the companion module's notes too)
 *   p ROOM NICK [TOKEN...]            a Jitsi presence from ROOM/NICK, built
 *                                     from tokens and parsed like the rest:
 *                                     u (unavailable), e (join error), a
 *                                     status code (110, 303, 307, 333...),
 *                                     sid=, id=, grp=, dn=, jid=, role=,
 *                                     aff=, nn= (new nick), st= (status text,
 *                                     '_' for blanks), a0/a1 v0/v1 s0/s1
 *                                     (audio, camera, desktop muted/on),
 *                                     h0/h1 (hand), rec=STATUS[:MODE[:FAIL]],
 *                                     tr=on|off, jibri, flip, destroy, legacy
 *   D [TOKEN...]                      answer the oldest pending disco query
 *                                     (^N: the Nth pending instead): !
 *                                     (error), + (companion module feature),
 *                                     a JID with '@' (a disco#items entry),
 *                                     any other word: the meeting id
 *   T MS                              the clock advances (ticks, flushes)
 *   W                                 the clock advances until the observer
 *                                     sends a join presence (one not waited
 *                                     for yet; at most 10 s: both
 *                                     configurations retry within 2 s)
 *   L / C                             the XMPP connection is lost / back
 *   !all                              (first line) join = all, ip_mode hash
 *
 * Every stanza also advances the clock by one millisecond.  The rooms
 * observed are standup, room1..room4 of conference.meet.jitsi (the rooms
 * of the fixtures and of the integration scenarios); the observer's nick
 * is "teletrack".
 *
 * Invariants (a violation aborts, so libFuzzer keeps the input):
 *   - every non-rollup event handed to storage is one event row (per
 *     type), nothing is dropped or left queued;
 *   - every event row's participant exists, in the event's session, and
 *     every participant event has one;
 *   - one participant row per (session, participant_key); participant
 *     counts, peaks and disconnections agree with the rows and events;
 *   - no duration is ever negative, in any snapshot or row; nobody leaves
 *     before joining, no session ends before it starts;
 *   - joins and leaves balance: a participant is present exactly while it
 *     has more joins (join, reconnect) than exits (leave, disconnect,
 *     kicked, device_switch), join_count counts them, and when the
 *     observer has stopped nobody is present and no session is active.
 *
 * A known finding (tests/fuzz/README) also aborts unless FUZZ_FLOW_KNOWN
 * names it (make FUZZ_KNOWN=F1,...): then that input's rows are not
 * checked, and the campaign goes on looking for anything else.  To read
 * an input: FUZZ_FLOW_LOG=1 (the daemon's log; =debug with each line of
 * the input), FUZZ_FLOW_DUMP=1 (the rows), FUZZ_FLOW_KEEP_GOING=1 (every
 * broken invariant, not just the first).
 *
 *   make fuzz-flow        (clang; see the Makefile for the knobs)
 *
 * Over 800 lines: the input language, the fake transport and the
 * invariant checks read each other's state; one harness, one file.
 */
#include <sys/mman.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <strophe.h>

#include "config.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "message.h"
#include "observer.h"
#include "presence.h"
#include "testio.h"
#include "writer.h"
#include "xmalloc.h"

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int		 LLVMFuzzerInitialize(int *, char ***);
const char	*__ubsan_default_options(void);

/* Every UBSan report stops the run. */
const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

#define T0		1700000000000LL	/* the clock at the start */
#define MAX_OPS		400		/* lines run per input */
#define MAX_STEP_MS	(6 * 3600 * 1000LL)
#define MAX_QUERIES	32
#define MAX_WAIT_TICKS	10		/* W: retries come within 2 s */
#define MUC		"conference.meet.jitsi"

static const char conf_rooms[] =
	"[xmpp]\n"
	"jid = teletrack@hidden.meet.jitsi\n"
	"password = fuzz\n"
	"muc_domain = " MUC "\n"
	"[rooms]\n"
	"join = standup, room1, room2, room3, room4\n"
	"leave_grace_s = 2\n"
	"retry_min_s = 1\n"
	"retry_max_s = 2\n"
	"[storage]\n"
	"database = :memory:\n"
	"flush_ms = 250\n"
	"flush_count = 40\n"
	"[tracking]\n"
	"rollup_interval_s = 2\n"
	"ip_mode = store\n";

static const char conf_all[] =
	"[xmpp]\n"
	"jid = teletrack@hidden.meet.jitsi\n"
	"password = fuzz\n"
	"muc_domain = " MUC "\n"
	"[rooms]\n"
	"join = all\n"
	"leave_grace_s = 3\n"
	"retry_min_s = 1\n"
	"retry_max_s = 2\n"
	"[storage]\n"
	"database = :memory:\n"
	"flush_ms = 200\n"
	"flush_count = 5\n"
	"[tracking]\n"
	"rollup_interval_s = 1\n"
	"ip_mode = hash\n"
	"role_field = user/role\n";

/* One participant of one session, as the event stream tells it. */
struct stint {
	char		*uid;
	char		*key;
	int		 joins;		/* join + reconnect events */
	int		 exits;		/* leave, disconnect, kicked, switch */
	int		 join_rows;	/* join events (a merge deletes them) */
};

struct fuzz {
	xmpp_ctx_t	*ctx;
	struct config	 cfg[2];
	struct db	*db;
	struct writer	*w;
	struct observer	*obs;
	int64_t		 now;
	int64_t		 next_tick;
	char		*queries[MAX_QUERIES];	/* pending disco ids */
	size_t		 nq;
	unsigned	 qseq;
	uint64_t	 emitted[EVENT__COUNT];	/* handed to storage */
	uint64_t	 with_part;		/* ... naming a participant */
	struct stint	*st;
	size_t		 nst;
	int		 c;		/* the configuration: F.cfg[F.c] */
	int		 online;	/* what the transport would know */
	unsigned	 joins;		/* join presences sent */
	unsigned	 joins_awaited;	/* ... of which a W has seen */
	const char	*line;		/* the operation running */
	int		 lineno;
	char		**ended;	/* uids of the sessions that ended */
	size_t		 nended;
	int		 tainted;	/* a known finding: rows not checked */
	const char	*known;		/* $FUZZ_FLOW_KNOWN */
	int		 keep_going;	/* $FUZZ_FLOW_KEEP_GOING */
	int		 dump;		/* $FUZZ_FLOW_DUMP */
	uint64_t	 runs, tainted_runs;
};

static void say_runs(void) __attribute__((destructor));

static struct fuzz	 F;

static void fail(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static void
vsay(const char *what, const char *fmt, va_list ap)
{
	dprintf(STDERR_FILENO, "fuzz_flow: %s at line %d (%.120s): ", what,
	    F.lineno, F.line != NULL ? F.line : "end");
	vdprintf(STDERR_FILENO, fmt, ap);
	dprintf(STDERR_FILENO, "\n");
}

/*
 * An invariant broke: say which, at which line, and abort (a crash, so
 * libFuzzer keeps the input).  FUZZ_FLOW_KEEP_GOING=1 only says it, to
 * look at what follows (with FUZZ_FLOW_DUMP=1, the rows).
 */
static void
fail(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsay("invariant broken", fmt, ap);
	va_end(ap);
	if (!F.keep_going)
		abort();
}

/*
 * A known finding (tests/fuzz/README): a
 * failure, unless FUZZ_FLOW_KNOWN names its id; then the input is marked
 * and its rows, which the finding makes inconsistent, are not checked, so
 * the campaign goes on looking for anything else.
 */
static void finding(const char *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
finding(const char *id, const char *fmt, ...)
{
	va_list	 ap;
	char	 what[64];
	size_t	 l = strlen(id);
	const char *k;

	for (k = F.known; k != NULL && (k = strstr(k, id)) != NULL; k += l)
		if ((k == F.known || k[-1] == ',') &&
		    (k[l] == '\0' || k[l] == ','))
			break;
	if (k != NULL) {
		F.tainted = 1;
		return;
	}
	snprintf(what, sizeof(what), "invariant broken (finding %s)", id);
	va_start(ap, fmt);
	vsay(what, fmt, ap);
	va_end(ap);
	if (!F.keep_going)
		abort();
}

/* --- SQLite's memory ------------------------------------------------------ */

/*
 * Debian's SQLite is built without lookaside memory, so every step of a
 * statement mallocs, and under ASan a malloc costs four times as much:
 * most of an execution went there.  SQLite and libstrophe (with expat)
 * get a pool of their own (size classes of powers of two, never given
 * back).  Neither library is instrumented anyway; what our code allocates
 * stays ASan's.  What is lost: redzones around those libraries' blocks,
 * i.e. an overread of a borrowed stanza string by the parsers goes
 * unnoticed here -- fuzz_presence (plain allocator) covers the parsers.
 */
#define POOL_CLASSES	16		/* 16 B .. 512 KiB; larger: mmap */
#define POOL_HDR	16		/* keeps the 8-byte alignment SQLite needs */

#define POOL_ARENA	(1 << 20)	/* small blocks are carved from these */

/*
 * The pool is the harness's plumbing, called for every SQLite step: its
 * comparisons fed to libFuzzer (trace-cmp) were a quarter of the time.
 */
#if defined(__clang__)
#define NO_COVERAGE	__attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

static void	*pool_free[POOL_CLASSES];
static char	*pool_arena;
static size_t	 pool_left;

NO_COVERAGE static int
pool_class(size_t n)
{
	int	 c = 0;

	while (c < POOL_CLASSES && ((size_t)16 << c) < n)
		c++;
	return c;
}

NO_COVERAGE static void *
pool_malloc(int n)
{
	size_t	 sz = n < 1 ? 1 : (size_t)n;
	int	 c = pool_class(sz);
	char	*p;

	if (c < POOL_CLASSES && pool_free[c] != NULL) {
		p = pool_free[c];
		pool_free[c] = *(void **)p;
		return p;
	}
	if (c < POOL_CLASSES)
		sz = (size_t)16 << c;
	if (sz + POOL_HDR <= POOL_ARENA / 16) {
		if (pool_left < sz + POOL_HDR) {
			pool_arena = mmap(NULL, POOL_ARENA, PROT_READ |
			    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (pool_arena == MAP_FAILED)
				return NULL;
			pool_left = POOL_ARENA;
		}
		p = pool_arena;
		pool_arena += sz + POOL_HDR;
		pool_left -= sz + POOL_HDR;
	} else if ((p = mmap(NULL, sz + POOL_HDR, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return NULL;
	*(size_t *)p = sz;
	return p + POOL_HDR;
}

NO_COVERAGE static int
pool_size(void *p)
{
	return p == NULL ? 0 : (int)*(size_t *)((char *)p - POOL_HDR);
}

NO_COVERAGE static void
pool_release(void *p)
{
	size_t	 sz;
	int	 c;

	if (p == NULL)
		return;
	sz = (size_t)pool_size(p);
	if ((c = pool_class(sz)) >= POOL_CLASSES) {
		munmap((char *)p - POOL_HDR, sz + POOL_HDR);
		return;
	}
	*(void **)p = pool_free[c];
	pool_free[c] = p;
}

NO_COVERAGE static void *
pool_realloc(void *p, int n)
{
	void	*q;
	int	 old = pool_size(p);

	if (p != NULL && n <= old)
		return p;
	if ((q = pool_malloc(n)) != NULL && p != NULL) {
		memcpy(q, p, (size_t)old);
		pool_release(p);
	}
	return q;
}

NO_COVERAGE static int
pool_roundup(int n)
{
	int	 c = pool_class(n < 1 ? 1 : (size_t)n);

	return c < POOL_CLASSES ? 16 << c : n;
}

/* The same pool for libstrophe (and expat through it). */
NO_COVERAGE static void *
strophe_alloc(size_t n, void *arg)
{
	(void)arg;
	return n > INT32_MAX ? NULL : pool_malloc((int)n);
}

NO_COVERAGE static void
strophe_free(void *p, void *arg)
{
	(void)arg;
	pool_release(p);
}

NO_COVERAGE static void *
strophe_realloc(void *p, size_t n, void *arg)
{
	(void)arg;
	return n > INT32_MAX ? NULL : pool_realloc(p, (int)n);
}

static int
pool_init(void *arg)
{
	(void)arg;
	return SQLITE_OK;
}

static void
pool_shutdown(void *arg)
{
	(void)arg;
}

/* At exit: how many runs, how many of them stopped at a known finding. */
static void
say_runs(void)
{
	if (F.runs > 0)
		dprintf(STDERR_FILENO, "fuzz_flow: %llu run(s), %llu with a "
		    "known finding (rows not checked)\n",
		    (unsigned long long)F.runs,
		    (unsigned long long)F.tainted_runs);
}

/* --- the transport's side (struct observer_io) ------------------------- */

static void
io_presence(void *arg, const char *room, int leave)
{
	(void)arg;
	(void)room;
	if (!leave)
		F.joins++;
}

static char *
io_query(void *arg, const char *jid, const char *ns)
{
	char	*id;

	(void)arg;
	(void)jid;
	(void)ns;
	xasprintf(&id, "q%u", ++F.qseq);
	if (F.nq == MAX_QUERIES) {	/* never answered: forget the oldest */
		free(F.queries[0]);
		memmove(F.queries, F.queries + 1, --F.nq * sizeof(*F.queries));
	}
	F.queries[F.nq++] = xstrdup(id);
	return id;
}

/* --- the storage side: count, check, hand to the writer ----------------- */

static struct stint *
stint_of(const char *uid, const char *key)
{
	size_t	 i;

	for (i = 0; i < F.nst; i++)
		if (strcmp(F.st[i].uid, uid) == 0 &&
		    strcmp(F.st[i].key, key) == 0)
			return &F.st[i];
	F.st = xreallocarray(F.st, F.nst + 1, sizeof(*F.st));
	memset(&F.st[F.nst], 0, sizeof(*F.st));
	F.st[F.nst].uid = xstrdup(uid);
	F.st[F.nst].key = xstrdup(key);
	return &F.st[F.nst++];
}

static void	merge(const char *, struct stint *, const char *);

static int
is_exit(enum event_type t)
{
	return t == EVENT_LEAVE || t == EVENT_DISCONNECT ||
	    t == EVENT_KICKED || t == EVENT_DEVICE_SWITCH;
}

/* What must hold for every event, before storage sees it. */
static void
check_event(const struct event *ev)
{
	const struct session_rec	*s = ev->session;
	const struct participant_rec	*p = ev->participant;
	struct stint			*t;
	int				 open;

	size_t				 i;

	if (s == NULL || s->uid == NULL)
		fail("%s event without a session", event_type_name(ev->type));
	for (i = 0; i < F.nended; i++)
		if (strcmp(F.ended[i], s->uid) == 0) {
			finding("F1", "%s event for session %s, which ended",
			    event_type_name(ev->type), s->uid);
			break;
		}
	if (ev->ts_ms < T0)
		fail("%s event stamped before the start",
		    event_type_name(ev->type));
	for (i = 0; i < ev->nfields; i++)
		if (ev->fields[i].type == EV_INT && ev->fields[i].i < 0 &&
		    ev->fields[i].key != NULL &&
		    strcmp(ev->fields[i].key, "duration_ms") == 0 &&
		    ev->type == EVENT_CONNECTION_RESTORED)
			finding("F3", "connection_restored with duration_ms "
			    "%lld", (long long)ev->fields[i].i);
	if (s->duration_s < 0 || s->recording_duration_s < 0)
		fail("session %s: negative duration %lld / recording %lld",
		    s->uid, (long long)s->duration_s,
		    (long long)s->recording_duration_s);
	if (s->peak_participants > s->participant_count)
		fail("session %s: peak %d > participants %d", s->uid,
		    s->peak_participants, s->participant_count);
	if (s->end_ms != 0 && s->end_ms < s->start_ms)
		fail("session %s ends before it starts", s->uid);
	if (p == NULL)
		return;
	if (p->key == NULL)
		fail("%s: participant without a key",
		    event_type_name(ev->type));
	if (p->duration_s < 0 || (p->spoke_known && p->spoke_time_s < 0))
		fail("participant %s: negative duration %lld / spoke %f",
		    p->key, (long long)p->duration_s, p->spoke_time_s);
	if (!p->present && p->left_ms != 0 && p->left_ms < p->joined_ms)
		fail("participant %s left before joining", p->key);
	if (F.tainted)
		return;		/* a known finding mixed two sessions up */
	t = stint_of(s->uid, p->key);
	if (ev->type == EVENT_PARTICIPANT_MERGE) {
		merge(s->uid, t, ev->merge_from);
		return;		/* between two states: the reconnect follows */
	}
	if (ev->type == EVENT_JOIN && t->joins != 0)
		fail("participant %s joined twice (use reconnect)", p->key);
	if (ev->type == EVENT_RECONNECT && t->joins == 0)
		fail("participant %s reconnected before joining", p->key);
	if (ev->type == EVENT_JOIN)
		t->join_rows++;
	if (ev->type == EVENT_JOIN || ev->type == EVENT_RECONNECT)
		t->joins++;
	else if (is_exit(ev->type))
		t->exits++;
	open = t->joins - t->exits;
	if (open < 0)
		fail("participant %s: %d exits for %d joins", p->key,
		    t->exits, t->joins);
	if (p->join_count != t->joins)
		fail("participant %s: join_count %d, %d join events", p->key,
		    p->join_count, t->joins);
	/*
	 * Present exactly while a stint is open; the one exception is the
	 * closing snapshot of a session that ends with people in it.
	 */
	if (p->present && open == 0)
		fail("participant %s present with every stint closed", p->key);
	if (!p->present && open > 0 && ev->type != EVENT_ROLLUP)
		fail("participant %s not present with %d stint(s) open",
		    p->key, open);
}

/*
 * A provisional participant (bot/derive/tabs.c) from was a reconnect of
 * t's: the writer deletes its join rows, moves its other rows to t's
 * participant and deletes its row; the merge itself is no row.  The
 * reconnect that follows states its join again.
 */
static void
merge(const char *uid, struct stint *t, const char *from)
{
	struct stint	*f;
	size_t		 i;

	if (from == NULL)
		fail("a participant_merge without the key merged");
	for (i = 0; i < F.nst; i++)
		if (strcmp(F.st[i].uid, uid) == 0 &&
		    strcmp(F.st[i].key, from) == 0)
			break;
	if (i == F.nst)
		fail("merge of %s, which never had an event", from);
	f = &F.st[i];
	if (f == t)
		fail("%s merged into itself", from);
	F.emitted[EVENT_JOIN] -= (uint64_t)f->join_rows;
	F.with_part -= (uint64_t)f->join_rows;
	t->joins += f->joins - f->join_rows;
	t->exits += f->exits;
	free(f->uid);
	free(f->key);
	F.st[i] = F.st[--F.nst];
}

static void
store_emit(const struct event *ev, void *arg)
{
	size_t	 i;

	check_event(ev);
	if (ev->type == EVENT_SESSION_END) {
		/* Whoever was still attached left with the session. */
		for (i = 0; i < F.nst; i++)
			if (strcmp(F.st[i].uid, ev->session->uid) == 0)
				F.st[i].exits = F.st[i].joins;
		F.ended = xreallocarray(F.ended, F.nended + 1,
		    sizeof(*F.ended));
		F.ended[F.nended++] = xstrdup(ev->session->uid);
	}
	if (!event_type_is_rollup(ev->type) &&
	    ev->type != EVENT_PARTICIPANT_MERGE) {
		F.emitted[ev->type]++;
		if (ev->participant != NULL)
			F.with_part++;
	}
	writer_emit(ev, arg);
}

static int
store_flush_due(void *arg, int64_t now)
{
	return writer_due(arg, now);
}

static int
store_flush(void *arg)
{
	if (writer_flush(arg) == -1)
		fail("flush failed on an in-memory database");
	return 0;
}

static void
store_counts(void *arg, size_t *queued, size_t *held, uint64_t *dropped,
    int64_t *last)
{
	writer_counts(arg, queued, held, dropped, last);
}

/* --- the rows ------------------------------------------------------------ */

/*
 * The statements of the checks, prepared once: preparing them for every
 * execution cost more than running them.
 */
#define MAX_STMTS	32

static struct {
	const char	*sql;
	sqlite3_stmt	*st;
}			 stmts[MAX_STMTS];

static sqlite3_stmt *
stmt(const char *sql)
{
	size_t	 i;

	for (i = 0; i < MAX_STMTS && stmts[i].sql != NULL; i++)
		if (stmts[i].sql == sql) {
			sqlite3_reset(stmts[i].st);
			return stmts[i].st;
		}
	if (i == MAX_STMTS)
		fail("more than %d check statements", MAX_STMTS);
	if (sqlite3_prepare_v3(db_sqlite(F.db), sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &stmts[i].st, NULL) != SQLITE_OK)
		fail("check query: %s: %s", sqlite3_errmsg(db_sqlite(F.db)),
		    sql);
	stmts[i].sql = sql;
	return stmts[i].st;
}

/* The first column of the first row of a static query, or -1. */
static int64_t
q1(const char *sql)
{
	sqlite3_stmt	*st = stmt(sql);
	int64_t		 v = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* Each query counts rows that break a rule: all must be 0. */
static const struct {
	const char	*what;
	const char	*sql;
} rules[] = {
	{ "event rows whose participant is missing or in another session",
	  "SELECT count(*) FROM teleconference_events e WHERE"
	  " e.participant_session_id IS NOT NULL AND NOT EXISTS (SELECT 1"
	  " FROM teleconference_participant_sessions p WHERE"
	  " p.id = e.participant_session_id AND"
	  " p.teleconference_session_id = e.teleconference_session_id)" },
	{ "event rows without their session",
	  "SELECT count(*) FROM teleconference_events e WHERE NOT EXISTS"
	  " (SELECT 1 FROM teleconferencesessions s WHERE"
	  " s.id = e.teleconference_session_id)" },
	{ "participants twice in a session",
	  "SELECT count(*) FROM (SELECT 1 FROM"
	  " teleconference_participant_sessions GROUP BY"
	  " teleconference_session_id, participant_key HAVING count(*) > 1)" },
	{ "sessions with negative durations or ending before they start",
	  "SELECT count(*) FROM teleconferencesessions WHERE"
	  " total_duration_seconds < 0 OR recording_duration_seconds < 0"
	  " OR endTime < startTime" },
	{ "participants with negative durations or leaving before joining",
	  "SELECT count(*) FROM teleconference_participant_sessions WHERE"
	  " session_duration_seconds < 0 OR spoke_time_seconds < 0"
	  " OR left_at < joined_at" },
	{ "events with a negative duration in their data",
	  "SELECT count(*) FROM teleconference_events WHERE"
	  " json_extract(event_data, '$.duration_s') < 0 OR"
	  " json_extract(event_data, '$.duration_ms') < 0 OR"
	  " json_extract(event_data, '$.seconds') < 0" },
	{ "participant_count not the session's participant rows",
	  "SELECT count(*) FROM teleconferencesessions s WHERE"
	  " participant_count != (SELECT count(*) FROM"
	  " teleconference_participant_sessions p WHERE"
	  " p.teleconference_session_id = s.id) OR"
	  " peak_participants > participant_count" },
	{ "join_count not the participant's join and reconnect events",
	  "SELECT count(*) FROM teleconference_participant_sessions p WHERE"
	  " join_count != (SELECT count(*) FROM teleconference_events e WHERE"
	  " e.participant_session_id = p.id AND"
	  " e.event_type IN ('join', 'reconnect'))" },
	{ "more exits than joins",
	  "SELECT count(*) FROM teleconference_participant_sessions p WHERE"
	  " join_count < (SELECT count(*) FROM teleconference_events e WHERE"
	  " e.participant_session_id = p.id AND e.event_type IN ('leave',"
	  " 'disconnect', 'kicked', 'device_switch'))" },
	{ "disconnections not the disconnect events",
	  "SELECT count(*) FROM teleconferencesessions s WHERE"
	  " total_disconnections != (SELECT count(*) FROM"
	  " teleconference_events e WHERE e.teleconference_session_id = s.id"
	  " AND e.event_type = 'disconnect') OR total_disconnections !="
	  " (SELECT COALESCE(sum(disconnection_count), 0) FROM"
	  " teleconference_participant_sessions p WHERE"
	  " p.teleconference_session_id = s.id)" },
	{ "participants still present after the stop",
	  "SELECT count(*) FROM teleconference_participant_sessions WHERE"
	  " session_status = 'present' OR left_at IS NULL" },
	{ "sessions still active after the stop",
	  "SELECT count(*) FROM teleconferencesessions WHERE"
	  " session_status = 'active' OR endTime IS NULL OR end_reason IS NULL" },
};

static const char sql_counts[] = "SELECT event_type, count(*)"
    " FROM teleconference_events GROUP BY event_type";
static const char sql_with_part[] = "SELECT count(*) FROM"
    " teleconference_events WHERE participant_session_id IS NOT NULL";

static void
check_rows(void)
{
	sqlite3_stmt	*st;
	uint64_t	 rows[EVENT__COUNT];
	int64_t		 v;
	size_t		 i;
	int		 t;

	if (writer_pending(F.w) != 0)
		fail("%zu event(s) still queued after the stop",
		    writer_pending(F.w));
	if (writer_dropped(F.w) != 0)
		fail("%llu event(s) dropped",
		    (unsigned long long)writer_dropped(F.w));
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((v = q1(rules[i].sql)) != 0)
			fail("%s: %lld", rules[i].what, (long long)v);

	/* Rows never lost: one row per event handed to storage, by type. */
	memset(rows, 0, sizeof(rows));
	st = stmt(sql_counts);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		for (t = 0; t < EVENT__COUNT; t++)
			if (strcmp(event_type_name(t), name) == 0)
				break;
		if (t == EVENT__COUNT)
			fail("event rows of unknown type %s", name);
		rows[t] = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	for (t = 0; t < EVENT__COUNT; t++)
		if (rows[t] != F.emitted[t])
			fail("%s: %llu event(s) emitted, %llu row(s)",
			    event_type_name(t),
			    (unsigned long long)F.emitted[t],
			    (unsigned long long)rows[t]);
	v = q1(sql_with_part);
	if ((uint64_t)v != F.with_part)
		fail("%llu participant event(s), %lld row(s) naming one",
		    (unsigned long long)F.with_part, (long long)v);
}

/* FUZZ_FLOW_DUMP=1: the rows of a run, to read a finding. */
static void
dump_rows(void)
{
	static const char *const q[] = {
		"SELECT 'session', id, session_uid, startTime, endTime,"
		" session_status, end_reason, total_duration_seconds,"
		" participant_count, peak_participants FROM"
		" teleconferencesessions ORDER BY id",
		"SELECT 'participant', id, teleconference_session_id,"
		" participant_key, nick, joined_at, left_at, left_reason,"
		" session_duration_seconds, join_count, session_status FROM"
		" teleconference_participant_sessions ORDER BY id",
		"SELECT 'event', id, teleconference_session_id,"
		" participant_session_id, event_type, timestamp, event_data FROM"
		" teleconference_events ORDER BY id"
	};
	sqlite3_stmt	*st;
	size_t		 i;
	int		 c, n;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if (sqlite3_prepare_v2(db_sqlite(F.db), q[i], -1, &st, NULL) !=
		    SQLITE_OK)
			continue;
		while (sqlite3_step(st) == SQLITE_ROW) {
			n = sqlite3_column_count(st);
			for (c = 0; c < n; c++)
				dprintf(STDERR_FILENO, "%s%s", c ? "|" : "",
				    sqlite3_column_type(st, c) == SQLITE_NULL ?
				    "NULL" : (const char *)
				    sqlite3_column_text(st, c));
			dprintf(STDERR_FILENO, "\n");
		}
		sqlite3_finalize(st);
	}
}

/* --- operations ------------------------------------------------------------ */

/* The clock moves: periodic work as the transport's timers would do it. */
static void
advance(int64_t ms)
{
	int64_t	 end = F.now + ms;
	int	 ticks = 0;

	/*
	 * A tick a second while the step is short; after a long one (the
	 * process stalled) the timers fire once, late, as libstrophe's do.
	 * The batch is committed when due at the end of the step (the
	 * transport looks every 25 ms; here one look per step keeps the
	 * SQL, most of an execution's cost, down).
	 */
	while (F.next_tick <= end && ticks++ < 8) {
		F.now = F.next_tick > F.now ? F.next_tick : F.now;
		observer_tick(F.obs, F.now);
		F.next_tick = F.now + 1000;
	}
	F.now = end;
	if (F.next_tick <= end) {
		observer_tick(F.obs, F.now);
		F.next_tick = F.now + 1000;
	}
	observer_pulse(F.obs, F.now);
}

static void
stanza(const char *text)
{
	xmpp_stanza_t	*st;
	struct presence	 p;
	struct message	 m;
	const char	*name;

	if (!F.online)
		return;		/* nothing arrives while offline */
	if ((st = xmpp_stanza_new_from_string(F.ctx, text)) == NULL)
		return;
	name = xmpp_stanza_get_name(st);
	if (name != NULL && strcmp(name, "presence") == 0 &&
	    presence_parse(st, F.cfg[F.c].role_field, &p, NULL) == 0) {
		observer_presence(F.obs, &p, F.now);
		presence_clear(&p);
	} else if (name != NULL && strcmp(name, "message") == 0 &&
	    message_parse(st, F.cfg[F.c].role_field, &m, NULL) == 0) {
		observer_message(F.obs, &m, F.now);
		message_clear(&m);
	}
	xmpp_stanza_release(st);
	advance(1);
}

/* A stanza being written; what does not fit is cut (and fails to parse). */
struct xbuf {
	char	 v[8192];
	size_t	 n;
};

/* Append s as it is, or with XML's five characters escaped. */
static void
xput(struct xbuf *x, const char *s, int escape)
{
	const char	*r;
	char		 one[2] = { 0, 0 };
	size_t		 l;

	for (; *s != '\0'; s++) {
		switch (escape ? *s : 0) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '\'': r = "&apos;"; break;
		case '"': r = "&quot;"; break;
		default:
			one[0] = *s;
			r = one;
		}
		if (x->n + (l = strlen(r)) >= sizeof(x->v))
			return;
		memcpy(x->v + x->n, r, l + 1);
		x->n += l;
	}
}

/* open, then text escaped, then close; nothing when text is NULL. */
static void
xwrap(struct xbuf *x, const char *open, const char *text, const char *close)
{
	if (text == NULL)
		return;
	xput(x, open, 0);
	xput(x, text, 1);
	xput(x, close, 0);
}

/* The tokens of "p" that take a value: key=VALUE. */
enum ptok {
	PT_SID, PT_ID, PT_GRP, PT_DN, PT_JID, PT_ROLE, PT_AFF, PT_NN, PT_ST,
	PT_REC, PT_TR, PT__COUNT
};
static const char *const ptok_names[PT__COUNT] = {
	"sid", "id", "grp", "dn", "jid", "role", "aff", "nn", "st", "rec", "tr"
};

/* p ROOM NICK TOKEN...: a presence as lib-jitsi-meet and Prosody make it. */
static void
compact_presence(char **w, int n)
{
	struct xbuf	 x = { .n = 0 };
	const char	*kv[PT__COUNT] = { NULL }, *type = NULL, *t;
	char		 si[512], text[256], rec[64], *mode, *failure;
	int		 codes[8], nc = 0, a = -1, vi = -1, sh = -1, h = -1;
	int		 jibri = 0, flip = 0, destroy = 0, legacy = 0, i, k;
	size_t		 l;

	if (n < 3)
		return;
	for (i = 3; i < n; i++) {
		t = w[i];
		for (k = 0; k < PT__COUNT; k++) {
			l = strlen(ptok_names[k]);
			if (strncmp(t, ptok_names[k], l) == 0 && t[l] == '=') {
				kv[k] = t + l + 1;
				break;
			}
		}
		if (k < PT__COUNT)
			continue;
		if (strcmp(t, "u") == 0)
			type = "unavailable";
		else if (strcmp(t, "e") == 0)
			type = "error";
		else if (t[0] >= '1' && t[0] <= '9' && nc < 8)
			codes[nc++] = atoi(t);
		else if (strchr("avsh", t[0]) != NULL &&
		    (t[1] == '0' || t[1] == '1') && t[2] == '\0')
			*(t[0] == 'a' ? &a : t[0] == 'v' ? &vi : t[0] == 's' ?
			    &sh : &h) = t[1] - '0';
		else {
			jibri |= strcmp(t, "jibri") == 0;
			flip |= strcmp(t, "flip") == 0;
			destroy |= strcmp(t, "destroy") == 0;
			legacy |= strcmp(t, "legacy") == 0;
		}
	}
	if (type != NULL && strcmp(type, "unavailable") == 0)
		kv[PT_ROLE] = "none";

	xput(&x, "<presence xmlns='jabber:client' from='", 0);
	xput(&x, w[1], 1);
	xput(&x, "@" MUC "/", 0);
	xput(&x, w[2], 1);
	xput(&x, "' to='teletrack@hidden.meet.jitsi/fuzz'", 0);
	xwrap(&x, " type='", type, "'");
	xput(&x, ">", 0);
	xwrap(&x, "<stats-id>", kv[PT_SID], "</stats-id>");
	xwrap(&x, "<nick xmlns='http://jabber.org/protocol/nick'>", kv[PT_DN],
	    "</nick>");
	if (kv[PT_ID] != NULL || kv[PT_GRP] != NULL) {
		xwrap(&x, "<identity><user><id>", kv[PT_ID] != NULL ?
		    kv[PT_ID] : "", "</id>");
		xwrap(&x, "<name>", kv[PT_DN] != NULL ? kv[PT_DN] : w[2],
		    "</name>");
		xwrap(&x, "<role>", kv[PT_GRP] != NULL ? kv[PT_GRP] : "",
		    "</role></user>");
		xwrap(&x, "<group>", kv[PT_GRP] != NULL ? kv[PT_GRP] : "",
		    "</group></identity>");
	}
	if (legacy && (a >= 0 || vi >= 0 || sh >= 0)) {
		xwrap(&x, "<audiomuted>", a == 1 ? "false" : "true",
		    "</audiomuted>");
		xwrap(&x, "<videomuted>", vi == 1 || sh == 1 ? "false" : "true",
		    "</videomuted>");
		xwrap(&x, "<videoType>", sh == 1 ? "desktop" : "camera",
		    "</videoType>");
	} else if (a >= 0 || vi >= 0 || sh >= 0) {
		snprintf(si, sizeof(si), "{\"x-a0\":{\"muted\":%s},"
		    "\"x-v0\":{\"muted\":%s}%s%s%s}", a == 1 ? "false" : "true",
		    vi == 1 ? "false" : "true",
		    sh >= 0 ? ",\"x-v1\":{\"videoType\":\"desktop\",\"muted\":" :
		    "", sh == 1 ? "false" : sh == 0 ? "true" : "",
		    sh >= 0 ? "}" : "");
		xwrap(&x, "<SourceInfo>", si, "</SourceInfo>");
	}
	if (h >= 0)
		xwrap(&x, "<jitsi_participant_raisedHand>", h ?
		    "1700000000000" : "", "</jitsi_participant_raisedHand>");
	if (flip)
		xput(&x, "<flip_device/>", 0);
	if (jibri)
		xput(&x, "<features><feature var='"
		    "http://jitsi.org/protocol/jibri'/></features>", 0);
	if (kv[PT_TR] != NULL)
		xwrap(&x, "<transcription-status status='",
		    strcmp(kv[PT_TR], "on") == 0 ? "ON" : "OFF", "'/>");
	if (kv[PT_REC] != NULL) {
		/* rec=STATUS[:MODE[:FAILURE]] */
		snprintf(rec, sizeof(rec), "%s", kv[PT_REC]);
		failure = NULL;
		if ((mode = strchr(rec, ':')) != NULL) {
			*mode++ = '\0';
			if ((failure = strchr(mode, ':')) != NULL)
				*failure++ = '\0';
		}
		xwrap(&x, "<jibri-recording-status xmlns='"
		    "http://jitsi.org/protocol/jibri' status='", rec, "'");
		xwrap(&x, " recording_mode='", mode != NULL ? mode : "file",
		    "' session_id='s1'");
		xwrap(&x, " failure_reason='", failure, "'");
		xput(&x, "/>", 0);
	}
	if (kv[PT_ST] != NULL) {
		snprintf(text, sizeof(text), "%s", kv[PT_ST]);
		for (i = 0; text[i] != '\0'; i++)
			if (text[i] == '_')
				text[i] = ' ';
		xwrap(&x, "<status>", text, "</status>");
	}
	if (type != NULL && strcmp(type, "error") == 0)
		xput(&x, "<error type='cancel'><not-allowed "
		    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>", 0);
	xput(&x, "<x xmlns='http://jabber.org/protocol/muc#user'>", 0);
	if (destroy)
		xput(&x, "<destroy><reason>over</reason></destroy>", 0);
	xwrap(&x, "<item affiliation='", kv[PT_AFF] != NULL ? kv[PT_AFF] :
	    "none", "'");
	xwrap(&x, " role='", kv[PT_ROLE] != NULL ? kv[PT_ROLE] :
	    "participant", "'");
	xwrap(&x, " jid='", kv[PT_JID], "'");
	xwrap(&x, " nick='", kv[PT_NN], "'");
	xput(&x, "/>", 0);
	for (i = 0; i < nc; i++) {
		snprintf(text, sizeof(text), "%d", codes[i]);
		xwrap(&x, "<status code='", text, "'/>");
	}
	xput(&x, "</x></presence>", 0);
	stanza(x.v);
}

/* D TOKEN...: the answer to a pending disco query. */
static void
disco(char **w, int n)
{
	struct disco_result	 d;
	const char		*items[16];
	size_t			 k = 0;
	char			*id;
	int			 i;

	if (!F.online || F.nq == 0)
		return;
	memset(&d, 0, sizeof(d));
	d.ok = 1;
	for (i = 1; i < n; i++) {
		if (w[i][0] == '^')
			k = (size_t)strtoul(w[i] + 1, NULL, 10) % F.nq;
		else if (strcmp(w[i], "!") == 0)
			d.ok = 0;
		else if (strcmp(w[i], "+") == 0)
			d.teletrack = 1;
		else if (strchr(w[i], '@') != NULL && d.nitems < 16)
			items[d.nitems++] = w[i];
		else
			d.meeting_id = w[i];
	}
	id = F.queries[k];
	memmove(F.queries + k, F.queries + k + 1, (F.nq - k - 1) *
	    sizeof(*F.queries));
	F.nq--;
	d.id = id;
	d.items = items;
	observer_disco(F.obs, &d, F.now);
	free(id);
	advance(1);
}

static void
drop_queries(void)
{
	size_t	 i;

	for (i = 0; i < F.nq; i++)
		free(F.queries[i]);
	F.nq = 0;
}

static void
run_line(char *line)
{
	char	*w[64], *p, *save;
	int	 n = 0, i;
	long long ms;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '<') {
		stanza(line);
		return;
	}
	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	for (p = strtok_r(line, " \t\r", &save); p != NULL && n < 64;
	    p = strtok_r(NULL, " \t\r", &save))
		w[n++] = p;
	if (n == 0)
		return;
	if (strcmp(w[0], "p") == 0)
		compact_presence(w, n);
	else if (strcmp(w[0], "D") == 0)
		disco(w, n);
	else if (strcmp(w[0], "T") == 0 && n > 1) {
		ms = strtoll(w[1], NULL, 10);
		if (ms < 0)
			ms = 0;
		if (ms > MAX_STEP_MS)
			ms = MAX_STEP_MS;
		advance(ms);
	} else if (strcmp(w[0], "W") == 0) {
		/* Joins are sent from the tick: step from tick to tick. */
		for (i = 0; F.joins == F.joins_awaited && i < MAX_WAIT_TICKS;
		    i++)
			advance(F.next_tick > F.now ? F.next_tick - F.now : 1);
		F.joins_awaited = F.joins;
	} else if (strcmp(w[0], "L") == 0 && F.online) {
		/* The connection and its pending queries are gone. */
		drop_queries();
		F.online = 0;
		observer_offline(F.obs, F.now);
		advance(1);
	} else if (strcmp(w[0], "C") == 0 && !F.online) {
		F.online = 1;
		observer_online(F.obs, "teletrack@hidden.meet.jitsi/fuzz",
		    F.now);
		advance(1);
	}
}

/* --- one sequence ------------------------------------------------------- */

/* Free what a run kept, so every run frees what it allocates. */
static void
forget(void)
{
	size_t	 i;

	drop_queries();
	F.qseq = 0;
	for (i = 0; i < F.nst; i++) {
		free(F.st[i].uid);
		free(F.st[i].key);
	}
	free(F.st);
	F.st = NULL;
	F.nst = 0;
	freev(F.ended, F.nended);
	F.ended = NULL;
	F.nended = 0;
}

static void
reset(void)
{
	static const char *const empty[] = {
		"DELETE FROM alerts", "DELETE FROM teleconference_events",
		"DELETE FROM teleconference_expected_participants",
		"DELETE FROM teleconference_participant_sessions",
		"DELETE FROM teleconferencesessions"
	};
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		st = stmt(empty[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			fail("reset: %s", sqlite3_errmsg(db_sqlite(F.db)));
		sqlite3_reset(st);
	}
	F.tainted = 0;
	F.joins = F.joins_awaited = 0;
	memset(F.emitted, 0, sizeof(F.emitted));
	F.with_part = 0;
	F.line = NULL;
	F.lineno = 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[256];

	(void)argc;
	(void)argv;
	/*
	 * The daemon's log goes nowhere unless asked for; sanitizer and
	 * libFuzzer reports still reach descriptor 2.
	 */
	if (getenv("FUZZ_FLOW_LOG") == NULL &&
	    (stderr = fopen("/dev/null", "w")) == NULL)
		abort();
	static xmpp_mem_t	 strophe_mem = { strophe_alloc, strophe_free,
	    strophe_realloc, NULL };
	static const sqlite3_mem_methods pool = { pool_malloc, pool_release,
	    pool_realloc, pool_size, pool_roundup, pool_init, pool_shutdown,
	    NULL };

	F.known = getenv("FUZZ_FLOW_KNOWN");
	F.keep_going = getenv("FUZZ_FLOW_KEEP_GOING") != NULL;
	F.dump = getenv("FUZZ_FLOW_DUMP") != NULL;
	/* Before SQLite starts: one thread, no memory statistics. */
	if (sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_MALLOC, &pool) != SQLITE_OK)
		fail("sqlite3_config");
	log_init(getenv("FUZZ_FLOW_LOG") != NULL &&
	    strcmp(getenv("FUZZ_FLOW_LOG"), "debug") == 0, "fuzz_flow");
	xmpp_initialize();
	F.ctx = xmpp_ctx_new(&strophe_mem, NULL);
	config_init(&F.cfg[0]);
	config_init(&F.cfg[1]);
	if (config_load_string(conf_rooms, &F.cfg[0]) == -1 ||
	    config_load_string(conf_all, &F.cfg[1]) == -1)
		fail("the fuzz configuration does not parse");
	if ((F.db = db_open(":memory:", 0, err, sizeof(err))) == NULL)
		fail("db_open: %s", err);
	/* Deleted rows need not be overwritten in memory. */
	sqlite3_exec(db_sqlite(F.db), "PRAGMA secure_delete = 0", NULL, NULL,
	    NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[32] = "fuzz-ip-key";
	struct observer_io	 io = { io_presence, io_query, testio_chat,
	    NULL };
	struct observer_store	 store;
	char			*text, *line, *next;
	int			 ops = 0;

	reset();
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	F.c = strncmp(text, "!all", 4) == 0;
	srandom(1);	/* the observer's backoff jitter: reproducible */
	F.w = writer_new(F.db, F.cfg[F.c].flush_ms, F.cfg[F.c].flush_count);
	store = (struct observer_store){
		.sink = { store_emit, F.w },
		.flush_due = store_flush_due,
		.flush = store_flush,
		.counts = store_counts,
		.arg = F.w,
		.ip_key = key,
		.ip_key_len = sizeof(key),
	};
	F.now = T0;
	F.next_tick = T0 + 1000;
	F.obs = observer_new(&F.cfg[F.c], &io, &store, F.now);
	F.online = 1;
	observer_online(F.obs, "teletrack@hidden.meet.jitsi/fuzz", F.now);
	observer_tick(F.obs, F.now);	/* joins the configured rooms */

	for (line = text; line != NULL && ops < MAX_OPS; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		F.lineno++;
		F.line = line;
		ops++;
		log_debug("fuzz_flow: +%lld ms, line %d: %.100s",
		    (long long)(F.now - T0), F.lineno, line);
		run_line(line);
	}
	F.line = NULL;
	observer_stop(F.obs, F.now);
	F.runs++;
	if (F.tainted)
		F.tainted_runs++;
	else
		check_rows();
	if (F.dump)
		dump_rows();
	observer_free(F.obs);
	writer_free(F.w);
	F.obs = NULL;
	F.w = NULL;
	forget();
	free(text);
	return 0;
}
