/*
 * teletrack's entry point and its one command table: every command and
 * subcommand is a line of cmd_table[] (tmux's cmd_table), dispatched by
 * cmd.c, which parses the shared options -c, -d, -f and -v once.  run
 * wires the config, the database writer and the XMPP loop together;
 * signal handlers only set a flag.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bookings.h"
#include "cmd.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "settings.h"
#include "writer.h"
#include "xmpp.h"

#define TELETRACK_VERSION	"0.1.0"

static volatile sig_atomic_t	stop_flag;

static void
sighdlr(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* What the XMPP loop's hooks reach: the writer and the database. */
struct daemon {
	struct writer		*w;
	struct db		*db;
	const struct config	*cfg;
};

static int
flush_due(void *arg, int64_t now)
{
	struct daemon	*d = arg;

	return writer_due(d->w, now);
}

static int
flush(void *arg)
{
	struct daemon	*d = arg;

	return writer_flush(d->w);
}

static int
schedule(void *arg, int64_t now, int64_t horizon_ms, struct bookings *out)
{
	struct daemon	*d = arg;

	return bookings_load(d->db, now, horizon_ms, d->cfg->muc_domain, out);
}

static int
cmd_run(struct cmd *c)
{
	struct config		 cfg;
	struct db		*db;
	struct settings		 set;
	struct writer		*w;
	struct bot_hooks	 hooks;
	struct daemon		 dm;
	struct sigaction	 sa;
	const char		*conf = c->conf;
	char			 err[256];
	int			 verbose = c->verbose, n, rc;

	log_init(verbose, "teletrack");
	config_init(&cfg);
	if (config_load_file(conf, &cfg) == -1) {
		config_free(&cfg);
		fatalx("%s: configuration has errors", conf);
	}
	if ((db = db_open(cfg.database, 0, err, sizeof(err))) == NULL) {
		config_free(&cfg);
		fatalx("cannot open database: %s", err);
	}
	if ((n = db_close_stale_sessions(db, now_ms())) > 0)
		log_info("closed %d session(s) left active by a previous run",
		    n);
	if ((n = db_resume_appointments(db, now_ms())) > 0)
		log_info("resuming %d appointment(s) a previous run was "
		    "observing", n);
	if (db_settings(db, &set) == -1)
		log_warnx("meeting_settings unreadable, using defaults");
	w = writer_new(db, cfg.flush_ms, cfg.flush_count);

	memset(&hooks, 0, sizeof(hooks));
	hooks.sink.emit = writer_emit;
	hooks.sink.arg = w;
	hooks.flush_due = flush_due;
	hooks.flush = flush;
	hooks.schedule = schedule;
	dm.w = w;
	dm.db = db;
	dm.cfg = &cfg;
	hooks.arg = &dm;
	hooks.quality_fair_per_hour = set.quality_fair_per_hour;
	hooks.quality_poor_per_hour = set.quality_poor_per_hour;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sighdlr;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	log_info("teletrack %s starting, database %s", TELETRACK_VERSION,
	    cfg.database);
	rc = bot_run(&cfg, &hooks, &stop_flag);
	writer_free(w);		/* flushes what is left */
	db_close(db);
	config_free(&cfg);
	log_info("stopped");
	return rc == 0 ? 0 : 1;
}

static int
cmd_check_config(struct cmd *c)
{
	struct config	 cfg;
	int		 rc;

	config_init(&cfg);
	rc = config_load_file(c->conf, &cfg);
	if (rc == 0) {
		if (c->verbose)
			config_dump(&cfg, c->out);
		fprintf(c->out, "%s: configuration OK\n", c->conf);
	}
	config_free(&cfg);
	return rc == 0 ? 0 : 1;
}

static int
cmd_version(struct cmd *c)
{
	fprintf(c->out, "teletrack %s\n", TELETRACK_VERSION);
	return 0;
}

static const struct option long_add[] = {
	{ "appointment", required_argument, NULL, 'a' },
	{ "minutes", required_argument, NULL, 'm' },
	{ "participant", required_argument, NULL, 'p' },
	{ "room", required_argument, NULL, 'r' },
	{ "start", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

static const struct option long_list[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

static const struct option long_cancel[] = {
	{ "reason", required_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 }
};

#define REPORT	CMD_DB | CMD_FORMAT, "n:s:", cmd_long_report, 0, 0

/*
 * Every command: name, its own arguments, help, shared options, its own
 * options, the number of other arguments, and its function.  Sorted by
 * name; `teletrack help` lists them in this order.
 */
static const struct cmd_entry cmd_table[] = {
	{ "check-config", "", "check the configuration; -v prints it",
	    CMD_CONFIG | CMD_VERBOSE, NULL, NULL, 0, 0, cmd_check_config },
	{ "report alerts", "[-n LIMIT]", "alerts, latest first", REPORT,
	    cmd_report_alerts },
	{ "report attendance", "[-n LIMIT]", "appointments: outcome, "
	    "billable, who came", REPORT, cmd_report_attendance },
	{ "report billing", "[-n LIMIT]", "per session: duration, quality "
	    "score", REPORT, cmd_report_billing },
	{ "report caregivers", "[-n LIMIT]", "caregivers over completed "
	    "sessions", REPORT, cmd_report_caregivers },
	{ "report events", "-s ID [-n LIMIT]", "the timeline of a session "
	    "(ID: its id, session_uid or meeting id)", REPORT,
	    cmd_report_events },
	{ "report participants", "-s ID", "the participants of a session",
	    REPORT, cmd_report_participants },
	{ "report problems", "[-n LIMIT]", "failed, poor, disconnected or "
	    "kicked", REPORT, cmd_report_problems },
	{ "report sessions", "[-n LIMIT]", "latest sessions (20 without -n)",
	    REPORT, cmd_report_sessions },
	{ "report summary", "-s ID", "one session, field by field", REPORT,
	    cmd_report_summary },
	{ "run", "", "observe: stays in the foreground, logs to stderr",
	    CMD_CONFIG | CMD_VERBOSE, NULL, NULL, 0, 0, cmd_run },
	{ "schedule add", "-a APPT -r ROOM -s START [-m MINUTES] "
	    "[-p ID:ROLE[:NAME]]...", "book an appointment (START: "
	    "2025-07-04T10:00:00Z, ...+02:00 or \"2025-07-04 08:00\" UTC)",
	    CMD_DB, "a:m:p:r:s:", long_add, 0, 0, cmd_schedule_add },
	{ "schedule cancel", "APPT [--reason TEXT]", "cancel a scheduled or "
	    "active appointment", CMD_DB, "R:", long_cancel, 1, 1,
	    cmd_schedule_cancel },
	{ "schedule import", "FILE.csv|FILE.ics", "book a whole file in one "
	    "transaction, or nothing", CMD_DB, NULL, NULL, 1, 1,
	    cmd_schedule_import },
	{ "schedule list", "[--all] [-n LIMIT]", "appointments by start "
	    "(--all: ended ones too)", CMD_DB | CMD_FORMAT, "an:", long_list,
	    0, 0, cmd_schedule_list },
	{ "settings set", "KEY=VALUE...", "change meeting_settings, all or "
	    "nothing", CMD_DB, NULL, NULL, 1, -1, cmd_settings_set },
	{ "settings show", "", "meeting_settings: type, value, help "
	    "(the default of `settings`)", CMD_DB | CMD_FORMAT | CMD_DEFAULT,
	    NULL, NULL, 0, 0, cmd_settings_show },
	{ "version", "", "print the version", 0, NULL, NULL, 0, 0,
	    cmd_version },
	{ NULL, NULL, NULL, 0, NULL, NULL, 0, 0, NULL }
};

int
cmd_main(FILE *out, const char *dbpath, int argc, char **argv)
{
	return cmd_dispatch(cmd_table, out, dbpath, argc, argv);
}

int
main(int argc, char **argv)
{
	return cmd_main(stdout, getenv("TELETRACK_DB"), argc - 1, argv + 1);
}
