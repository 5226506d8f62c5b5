/*
 * The `teletrack report` command: picks a report from a table, opens the
 * database read-only, runs the report (report.c) and prints its rows as
 * aligned text, CSV (RFC 4180) or JSON.
 */
#ifndef TELETRACK_REPORT_CLI_H
#define TELETRACK_REPORT_CLI_H

#include <stdio.h>

struct report_rows;

enum report_format {
	REPORT_FMT_TEXT,	/* aligned columns, controls escaped */
	REPORT_FMT_CSV,		/* RFC 4180: quoted when needed, CRLF */
	REPORT_FMT_JSON		/* an array of objects, numbers as numbers */
};

/*
 * `teletrack report [-d DBFILE] [-f text|csv|json] NAME [-s ID] [-n N]`
 * with argv[0] "report".  The database is -d, else $TELETRACK_DB.
 * NAME "help" (or -h) lists the reports on stdout.  Prints to stdout;
 * returns the exit status: 0 ok, 1 error (logged with log_warnx), 2
 * usage (printed to stderr).
 */
int	report_cli_main(int argc, char **argv);

/*
 * The same with dbpath (e.g. the config's database; may be NULL) as the
 * database when -d is not given.
 */
int	report_cli_run(const char *dbpath, int argc, char **argv);

/*
 * Print rows to fp in format fmt.  Returns 0, or -1 when writing failed
 * (errno set, nothing logged).
 */
int	report_cli_print(FILE *fp, const struct report_rows *rows,
	    enum report_format fmt);

#endif
