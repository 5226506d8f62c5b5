/*
 * `teletrack run`: the daemon.  Wires the pieces of the flow together
 * and owns what lives as long as the process: the configuration, the
 * database and its writer, the IP pseudonym key, the transport and the
 * observer, and the signal flags (SIGTERM/SIGINT stop, SIGHUP reloads
 * the configuration without dropping the XMPP session).
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bookings.h"
#include "client.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "db.h"
#include "ipkey.h"
#include "log.h"
#include "notify.h"
#include "observer.h"
#include "settings.h"
#include "status.h"
#include "transport.h"
#include "writer.h"
#include "xmalloc.h"

static volatile sig_atomic_t	stop_flag;
static volatile sig_atomic_t	reload_flag;

static void
sighdlr(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

/* What the observer's store hooks reach. */
struct daemon {
	const char		*path;	/* the config file */
	struct config		*orig;	/* the transport's, kept to the end */
	struct config		*cur;	/* the observer's */
	struct writer		*w;
	struct db		*db;	/* the writer thread's */
	struct db		*rdb;	/* this thread's reads (schedule) */
	struct observer		*obs;
	int			 schedule_failing;
	int64_t			 trimmed;	/* last malloc_trim() */
};

/*
 * The heap: each batch frees its queue at once, at the top of the heap,
 * and glibc gave it back and asked for it again every flush (42,000
 * brk() calls and their page faults, 8% of the CPU, in the replay
 * benchmark with 20 rooms).  It keeps that much now, and what a burst
 * left goes back once the writer has been idle a while.
 */
#define HEAP_KEEP	(8 * 1024 * 1024)
#define HEAP_PAD	(1024 * 1024)
#define TRIM_IDLE_MS	60000

/*
 * The writer flushes on its own thread (writer_start); asked every pulse,
 * this only gives a burst's heap back when nothing waits to be written.
 */
static int
flush_due(void *arg, int64_t now)
{
	struct daemon	*d = arg;

	if (now - d->trimmed >= TRIM_IDLE_MS && writer_pending(d->w) == 0) {
		d->trimmed = now;
		malloc_trim(0);
	}
	return writer_due(d->w, now);
}

static int
flush(void *arg)
{
	struct daemon	*d = arg;

	return writer_flush(d->w);
}

static void
counts(void *arg, size_t *queued, size_t *held, uint64_t *dropped,
    int64_t *last_commit)
{
	struct daemon	*d = arg;

	writer_counts(d->w, queued, held, dropped, last_commit);
}

static const uint64_t *
written(void *arg)
{
	struct daemon	*d = arg;

	return writer_written(d->w);
}

static void
latency(void *arg, uint64_t *count, int *p50, int *p99, int *max)
{
	struct daemon		*d = arg;
	struct writer_latency	 l;

	writer_latency(d->w, &l);
	*count = l.count;
	*p50 = l.p50_ms;
	*p99 = l.p99_ms;
	*max = l.max_ms;
}

/*
 * The observer's schedule read.  A database that is away (a PostgreSQL
 * restart) fails every poll: said once, and once when it is back.
 */
static int
schedule(void *arg, int64_t now, int64_t horizon_ms, struct bookings *out)
{
	struct daemon	*d = arg;

	if (bookings_load(d->rdb, now, horizon_ms, d->cur->muc_domain,
	    d->orig->shard, out) == -1) {
		if (!d->schedule_failing)
			log_warnx("%s: reading the schedule: %s; keeping the "
			    "one read before, retrying", db_path(d->rdb),
			    db_errmsg(d->rdb));
		d->schedule_failing = 1;
		return -1;
	}
	if (d->schedule_failing)
		log_info("%s: schedule read again", db_path(d->rdb));
	d->schedule_failing = 0;
	return 0;
}

/* A setting the running daemon cannot change: keep it, say so. */
static void
keep(char **now, const char *running, const char *key)
{
	if ((*now == NULL) == (running == NULL) &&
	    (running == NULL || strcmp(*now, running) == 0))
		return;
	log_warnx("reload: %s changes only with a restart", key);
	free(*now);
	*now = xstrdup_null(running);
}

/*
 * SIGHUP: read the file again.  A file that no longer parses is refused
 * (its errors logged with file:line) and the running configuration
 * stays; the database and the XMPP account stay whatever the file says
 * (both need a restart).
 */
static void
reload(void *arg, int64_t now)
{
	struct daemon	*d = arg;
	struct config	*c = xcalloc(1, sizeof(*c));

	log_info("reloading %s", d->path);
	status_reloading();
	if (config_reload(d->path, c) == -1) {
		log_warnx("%s: not reloaded: the configuration has errors; "
		    "the running one stays", d->path);
		free(c);
		status_ready();
		return;
	}
	log_configure(c->log_level, c->log_syslog);
	/* The session and the database stay as they are. */
	keep(&c->jid, d->orig->jid, "xmpp.jid");
	keep(&c->password, d->orig->password, "xmpp.password");
	keep(&c->server, d->orig->server, "xmpp.server");
	keep(&c->muc_domain, d->orig->muc_domain, "xmpp.muc_domain");
	keep(&c->nick, d->orig->nick, "xmpp.nick");
	keep(&c->database, d->orig->database, "storage.database");
	keep(&c->db_url, d->orig->db_url, "storage.url");
	keep(&c->db_schema, d->orig->db_schema, "storage.schema");
	keep(&c->shard, d->orig->shard, "xmpp.shard");
	observer_reload(d->obs, c, now);
	if (d->cur != d->orig) {
		config_free(d->cur);
		free(d->cur);
	}
	d->cur = c;
	status_ready();
}

int
cmd_run(struct cmd *c)
{
	struct config		 cfg;
	struct db		*db;
	struct db_conf		 dbc;
	struct settings		 set;
	struct observer_store	 store;
	struct transport	*t;
	struct daemon		 dm;
	struct sigaction	 sa;
	const char		*conf = c->conf;
	unsigned char		 ipkey[CLIENT_KEY_LEN];
	char			 err[256], *keyfile, *cert_file_was;
	int			 n;

	log_init(c->verbose, "teletrack");
	mallopt(M_TRIM_THRESHOLD, HEAP_KEEP);
	mallopt(M_TOP_PAD, HEAP_PAD);
	config_init(&cfg);
	if (config_load_file(conf, &cfg) == -1) {
		config_free(&cfg);
		fatalx("%s: configuration has errors", conf);
	}
	log_configure(cfg.log_level, cfg.log_syslog);
	if (transport_tls_defaults(&cfg, &cert_file_was))
		notify_child_env("SSL_CERT_FILE", cert_file_was);
	memset(&dbc, 0, sizeof(dbc));
	dbc.target = cfg.db_url != NULL ? cfg.db_url : cfg.database;
	dbc.password = cfg.db_password;
	dbc.schema = cfg.db_schema;
	if ((db = db_connect(&dbc, 0, err, sizeof(err))) == NULL) {
		config_free(&cfg);
		fatalx("cannot open database: %s", err);
	}
	if ((n = db_close_stale_sessions(db, cfg.shard, now_ms())) > 0)
		log_info("closed %d session(s) left active by a previous run",
		    n);
	if ((n = db_resume_appointments(db, cfg.shard, now_ms())) > 0)
		log_info("resuming %d appointment(s) a previous run was "
		    "observing", n);
	if (db_settings(db, &set) == -1)
		log_warnx("%s: reading meeting_settings: %s; using the "
		    "defaults", db_path(db), db_errmsg(db));

	memset(&dm, 0, sizeof(dm));
	dm.path = conf;
	dm.orig = dm.cur = &cfg;
	dm.db = db;
	/* The writer's thread has db; the schedule is read on another. */
	if ((dm.rdb = db_connect(&dbc, 0, err, sizeof(err))) == NULL) {
		config_free(&cfg);
		fatalx("cannot open database: %s", err);
	}
	dm.w = writer_new(db, cfg.flush_ms, cfg.flush_count);
	writer_set_shard(dm.w, cfg.shard);
	if (writer_start(dm.w) == -1)
		log_warnx("writing on the event loop's thread instead");
	memset(&store, 0, sizeof(store));
	store.sink.emit = writer_emit;
	store.sink.arg = dm.w;
	store.flush_due = flush_due;
	store.flush = flush;
	store.counts = counts;
	store.written = written;
	store.latency = latency;
	store.schedule = schedule;
	store.arg = &dm;
	store.quality_fair_per_hour = set.quality_fair_per_hour;
	store.quality_poor_per_hour = set.quality_poor_per_hour;
	if (strcmp(cfg.ip_mode, "hash") == 0) {
		keyfile = ipkey_path(cfg.database);
		if (ipkey_load(keyfile, ipkey, sizeof(ipkey), err,
		    sizeof(err)) == -1)
			fatalx("IP pseudonym key: %s", err);
		free(keyfile);
		store.ip_key = ipkey;
		store.ip_key_len = sizeof(ipkey);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sighdlr;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	log_info("teletrack %s starting, database %s%s%s", TELETRACK_VERSION,
	    db_path(db), cfg.shard != NULL ? ", shard " : "",
	    cfg.shard != NULL ? cfg.shard : "");
	if ((t = transport_new(&cfg)) == NULL)
		fatalx("cannot start the XMPP library");
	dm.obs = observer_new(&cfg, transport_io(t), &store, now_ms());
	transport_run(t, dm.obs, &stop_flag, &reload_flag, reload, &dm);
	observer_free(dm.obs);
	transport_free(t);
	writer_free(dm.w);	/* flushes what is left */
	db_close(dm.rdb);
	db_close(db);
	if (dm.cur != dm.orig) {
		config_free(dm.cur);
		free(dm.cur);
	}
	config_free(&cfg);
	notify_child_env(NULL, NULL);
	free(cert_file_was);
	log_info("stopped");
	return 0;
}
