/*
 * teletrack's entry point and its one command table: every command and
 * subcommand is a line of cmd_table[] (tmux's cmd_table), dispatched by
 * cmd.c, which parses the shared options -c, -d, -f and -v once.  The
 * commands themselves live in bot/cmd/ (run.c is the daemon).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "log.h"

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

static const struct option long_status[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "status-file", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

static const struct option long_cancel[] = {
	{ "reason", required_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 }
};

/* The reports report_cli.c runs (its reports[] has their functions). */
#define REPORT	CMD_DB | CMD_FORMAT, "n:s:", cmd_long_report, 0, 0, cmd_report

/*
 * Every command: name, its own arguments, help, shared options, its own
 * options, the number of other arguments, and its function.  Sorted by
 * name; `teletrack help` lists them in this order.
 */
static const struct cmd_entry cmd_table[] = {
	{ "check-config", "", "check the configuration; -v prints it",
	    CMD_CONFIG | CMD_VERBOSE, NULL, NULL, 0, 0, cmd_check_config },
	{ "report alerts", "[-n LIMIT]", "alerts, latest first", REPORT },
	{ "report attendance", "[-n LIMIT]", "appointments: outcome, "
	    "billable, who came", REPORT },
	{ "report billing", "[-n LIMIT]", "per session: duration, quality "
	    "score", REPORT },
	{ "report caregivers", "[-n LIMIT]", "caregivers over completed "
	    "sessions", REPORT },
	{ "report events", "-s ID [-n LIMIT]", "the timeline of a session "
	    "(ID: its id, session_uid, meeting id, appointment or room)",
	    REPORT },
	{ "report html", "-o FILE|- [-s ID]... [-a] [-n LIMIT] [--from DATE] "
	    "[--to DATE] [--status S] [--room R] [--caregiver C] "
	    "[--quality Q]", "the dashboard's pages as one self-contained "
	    "HTML file", CMD_DB, "ao:n:s:", html_report_longopts, 0, 0,
	    cmd_report_html },
	{ "report participants", "-s ID", "the participants of a session",
	    REPORT },
	{ "report problems", "[-n LIMIT]", "failed, poor, disconnected or "
	    "kicked", REPORT },
	{ "report sessions", "[-n LIMIT]", "latest sessions (20 without -n)",
	    REPORT },
	{ "report summary", "-s ID", "one session, field by field", REPORT },
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
	{ "serve", "[-l ADDR:PORT] [--password-file FILE] [--token-file FILE] "
	    "[--status-file FILE]", "the web dashboard, its JSON API and "
	    "/metrics (read-only; 127.0.0.1:8080)", CMD_DB | CMD_VERBOSE, "l:",
	    serve_longopts, 0, 0, cmd_serve },
	{ "settings set", "KEY=VALUE...", "change meeting_settings, all or "
	    "nothing", CMD_DB, NULL, NULL, 1, -1, cmd_settings_set },
	{ "settings show", "", "meeting_settings: type, value, help "
	    "(the default of `settings`)", CMD_DB | CMD_FORMAT | CMD_DEFAULT,
	    NULL, NULL, 0, 0, cmd_settings_show },
	{ "status", "[-c FILE | -s STATUSFILE] [-q]", "is the daemon "
	    "healthy? (exit 0 yes, 1 no, 2 no status file)",
	    CMD_FORMAT | CMD_CONFIG_OPT, "qs:", long_status, 0, 0,
	    cmd_status },
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
