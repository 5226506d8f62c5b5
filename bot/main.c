/*
 * teletrack's entry point: the command table (run, check-config, report,
 * schedule, settings, version), option parsing and signal flags.  Nothing
 * else lives here: run wires the config, the database writer and the XMPP
 * loop together.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bookings.h"
#include "cmd_status.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "report_cli.h"
#include "schedule_cli.h"
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

static void
usage(void)
{
	fprintf(stderr,
	    "usage: teletrack run -c FILE [-v]\n"
	    "       teletrack check-config -c FILE [-v]\n"
	    "       teletrack report [-c FILE | -d DBFILE] [-f text|csv|json] "
	    "REPORT [args]\n"
	    "       teletrack schedule [-c FILE | -d DBFILE] "
	    "add|list|cancel|import [args]\n"
	    "       teletrack settings [-c FILE | -d DBFILE] "
	    "[show [-f text|csv|json] | set KEY=VALUE...]\n"
	    "       teletrack status [-c FILE | -s STATUSFILE] [-f text|json] "
	    "[-q]\n"
	    "       teletrack version\n"
	    "Reports: teletrack report help\n");
}

/* Parse "-c FILE [-v]" for run and check-config. */
static int
parse_common(int argc, char **argv, const char **conf, int *verbose)
{
	int	 ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			*conf = optarg;
			break;
		case 'v':
			(*verbose)++;
			break;
		default:
			return -1;
		}
	}
	if (*conf == NULL || optind != argc)
		return -1;
	return 0;
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
cmd_run(int argc, char **argv)
{
	struct config		 cfg;
	struct db		*db;
	struct db_settings	 set;
	struct writer		*w;
	struct bot_hooks	 hooks;
	struct daemon		 dm;
	struct sigaction	 sa;
	const char		*conf = NULL;
	char			 err[256];
	int			 verbose = 0, n, rc;

	if (parse_common(argc, argv, &conf, &verbose) == -1) {
		usage();
		return 2;
	}
	log_init(verbose, "teletrack");
	config_init(&cfg);
	if (config_load_file(conf, &cfg) == -1) {
		config_free(&cfg);
		fatalx("%s: configuration has errors", conf);
	}
	log_configure(cfg.log_level, cfg.log_syslog);
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
cmd_check_config(int argc, char **argv)
{
	struct config	 cfg;
	const char	*conf = NULL;
	int		 verbose = 0, rc;

	if (parse_common(argc, argv, &conf, &verbose) == -1) {
		usage();
		return 2;
	}
	log_init(verbose, "teletrack");
	config_init(&cfg);
	rc = config_load_file(conf, &cfg);
	if (rc == 0) {
		if (verbose)
			config_dump(&cfg, stdout);
		printf("%s: configuration OK\n", conf);
	}
	config_free(&cfg);
	return rc == 0 ? 0 : 1;
}

/*
 * report, schedule and settings find the database the same way: "-c
 * FILE" first (the configuration's database), else -d DBFILE, which the
 * command parses, else $TELETRACK_DB.  Any other arguments belong to
 * the command.
 */
static int
with_database(int argc, char **argv,
    int (*run)(FILE *, const char *, int, char **))
{
	struct config	 cfg;
	int		 rc;

	log_init(0, "teletrack");
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		config_init(&cfg);
		if (config_load_file(argv[2], &cfg) == -1) {
			config_free(&cfg);
			return 1;
		}
		argv[2] = argv[0];
		rc = run(stdout, cfg.database, argc - 2, argv + 2);
		config_free(&cfg);
		return rc;
	}
	return run(stdout, getenv("TELETRACK_DB"), argc, argv);
}

/* report_cli_run() in with_database()'s shape. */
static int
report_run(FILE *fp, const char *dbpath, int argc, char **argv)
{
	(void)fp;	/* the report CLI prints to stdout itself */
	return report_cli_run(dbpath, argc, argv);
}

static int
cmd_report(int argc, char **argv)
{
	return with_database(argc, argv, report_run);
}

static int
cmd_schedule(int argc, char **argv)
{
	return with_database(argc, argv, schedule_cli_run);
}

static int
cmd_settings(int argc, char **argv)
{
	return with_database(argc, argv, schedule_cli_settings);
}

static int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("teletrack %s\n", TELETRACK_VERSION);
	return 0;
}

static const struct {
	const char	*name;
	int		(*run)(int, char **);
} commands[] = {
	{ "check-config",	cmd_check_config },
	{ "report",		cmd_report },
	{ "run",		cmd_run },
	{ "schedule",		cmd_schedule },
	{ "settings",		cmd_settings },
	{ "status",		cmd_status },
	{ "version",		cmd_version },
};

int
main(int argc, char **argv)
{
	size_t	 i;

	if (argc < 2) {
		usage();
		return 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	usage();
	return 2;
}
