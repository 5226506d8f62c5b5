/*
 * teletrack's entry point: the command table (run, check-config, report,
 * schedule, settings, status, version), option parsing and signal flags.
 * Nothing else lives here: run wires the config, the database writer and
 * the XMPP loop together.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "report_cli.h"
#include "run.h"
#include "schedule_cli.h"
#include "status_cli.h"

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
