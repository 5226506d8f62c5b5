/*
 * The `schedule` and `settings` commands: argument parsing and printing
 * through report_cli_print().  Import files are read by
 * schedule_import.c, the database work is schedule.c's.
 */
#ifndef TELETRACK_SCHEDULE_CLI_H
#define TELETRACK_SCHEDULE_CLI_H

#include <stdio.h>

/*
 * `teletrack schedule [-d DBFILE] add|list|cancel|import ...` with
 * argv[0] "schedule", and `teletrack settings [-d DBFILE] [show|set
 * ...]` with argv[0] "settings".  The database is -d, else dbpath (the
 * config's database or $TELETRACK_DB; may be NULL); it must exist.
 * Output goes to out, errors to the log.  Returns the exit status: 0 ok,
 * 1 error (logged), 2 usage (printed to stderr).
 */
int	 schedule_cli_run(FILE *out, const char *dbpath, int argc,
	    char **argv);
int	 schedule_cli_settings(FILE *out, const char *dbpath, int argc,
	    char **argv);

#endif
