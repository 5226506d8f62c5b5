/*
 * The `teletrack report NAME` commands (lines of main.c's command table,
 * functions in cmd.h): open the database read-only, run the report
 * (report.c) and print its rows as aligned text, CSV (RFC 4180) or JSON.
 * report_cli_print() also prints the schedule and settings commands'
 * rows.
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
 * Print rows to fp in format fmt.  Returns 0, or -1 when writing failed
 * (errno set, nothing logged).
 */
int	report_cli_print(FILE *fp, const struct report_rows *rows,
	    enum report_format fmt);

#endif
