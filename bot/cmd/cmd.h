/*
 * The command table's shapes and the one dispatcher (cmd.c), in the way
 * of tmux's cmd_table: every `teletrack` command and subcommand is one
 * line of cmd_table[] in main.c (name, arguments, help, which shared
 * options it takes, its own options, one function).  The shared options
 * -c FILE, -d DBFILE, -f FORMAT and -v are parsed once, here, wherever
 * they stand on the command line; the command's own options come to its
 * function as a list.  Adding a command is one table line, one function
 * and its prototype below, where every command's function is declared.
 */
#ifndef TELETRACK_CMD_H
#define TELETRACK_CMD_H

#include <getopt.h>
#include <stdio.h>

#include "report_cli.h"

#define CMD_CONFIG	0x01	/* -c FILE, required (run, check-config) */
#define CMD_DB		0x02	/* a database: -c FILE's ([storage] url,
				   else database), -d DBFILE (a file or a
				   postgresql:// URL), or $TELETRACK_DB;
				   required */
#define CMD_FORMAT	0x04	/* -f text|csv|json */
#define CMD_VERBOSE	0x08	/* -v, -vv */
#define CMD_DEFAULT	0x10	/* run when no subcommand is named */
#define CMD_CONFIG_OPT	0x20	/* -c FILE, optional (status) */

#define CMD_OPTS_MAX	64	/* own options on one command line */

struct cmd;

struct cmd_entry {
	const char		*name;	/* "report", "schedule add" */
	const char		*args;	/* its own options and arguments */
	const char		*help;
	int			 flags;	/* CMD_* */
	const char		*opts;	/* its own short options (getopt) */
	const struct option	*longopts;	/* its own, or NULL */
	int			 minargs;	/* positional arguments */
	int			 maxargs;	/* -1: any number */
	int			(*exec)(struct cmd *);
};

/* One of the command's own options, as given. */
struct cmd_opt {
	int		 ch;
	const char	*arg;		/* NULL for a flag */
};

/* A parsed command line, handed to the command's function. */
struct cmd {
	const struct cmd_entry	*entry;
	const struct cmd_entry	*table;	/* for help */
	FILE			*out;	/* stdout, or the tests' buffer */
	const char		*conf;	/* -c */
	const char		*dbpath;	/* CMD_DB: set, never empty: a
						   file or a URL */
	const char		*dbpassword;	/* -c's storage.password_file
						   (else NULL: the env's) */
	const char		*dbschema;	/* -c's storage.schema */
	const char		*statepath;	/* -c's storage.database: the
						   status file is beside it */
	enum report_format	 fmt;	/* -f; text without it */
	int			 verbose;	/* -v */
	struct cmd_opt		 opts[CMD_OPTS_MAX];
	int			 nopts;
	int			 argc;	/* positional arguments */
	char			**argv;
};

/*
 * Run the command line argv[0..argc-1] (argv[0] the command: "report",
 * "schedule", ...) from table, which a { NULL } entry ends.  dbpath is
 * the database when neither -c nor -d names one ($TELETRACK_DB; may be
 * NULL).  Output goes to out, messages to the log.  Returns the exit
 * status: 0 done, 1 error (logged), 2 usage (printed to stderr).
 */
int	 cmd_dispatch(const struct cmd_entry *table, FILE *out,
	    const char *dbpath, int argc, char **argv);

/*
 * main.c: cmd_dispatch() on the program's table.  main() calls it with
 * stdout and $TELETRACK_DB; the tests with a buffer (main.c is built
 * for them with main renamed).
 */
int	 cmd_main(FILE *out, const char *dbpath, int argc, char **argv);

/* Print the entry's usage to stderr; returns 2, the usage status. */
int	 cmd_usage(const struct cmd *);

/*
 * Help on stdout-like fp: every command when name is NULL, else the
 * lines of the command (or "command subcommand") name.  Returns 0, or 2
 * for an unknown name (logged).
 */
int	 cmd_help(const struct cmd_entry *table, FILE *fp, const char *name);

/*
 * Open c's database (dbpath with -c's password and schema) with
 * db_connect()'s flags; NULL with err filled.
 */
struct db;
struct db	*cmd_db_open(struct cmd *c, int flags, char *err, size_t errsz);

/*
 * A command's own options, as tmux's args_get() and args_has(): the
 * argument last given for ch (NULL: not given), and whether ch was given.
 * cmd_dispatch() already refused the options the command does not take.
 */
const char	*cmd_arg(const struct cmd *, int ch);
int		 cmd_flag(const struct cmd *, int ch);

/* -n LIMIT into *limit when given: a whole number from 1; -1 (logged)
   otherwise. */
int	 cmd_limit(const struct cmd *, int *limit);

/*
 * Print rows in c's format and free them; NULL rows: err says why (a
 * database error), logged.  Returns the exit status, 0 or 1.
 */
int	 cmd_print(struct cmd *c, struct report_rows *rows, const char *err);

/*
 * The commands: every function cmd_table[] in main.c names but those of
 * check-config and version, main.c's own.  Their files are in bot/cmd/
 * unless named otherwise; a command whose file defines its long options
 * declares them here too.  Each returns the exit status: 0 done, 1 error
 * (logged), 2 usage.
 */

/* The program's version: `teletrack version`, and run's first log line. */
#define TELETRACK_VERSION	"0.2.0"

/* run.c: `run -c FILE [-v]`, the daemon; until SIGTERM or SIGINT, then 0. */
int	 cmd_run(struct cmd *);

/* report_cli.c: `report NAME`, NAME a line of its reports[]. */
int	 cmd_report(struct cmd *);

/*
 * storage/web/html_report.c: `report html -o FILE|- [-s ID]... [-a]
 * [-n N] [--from DATE] [--to DATE] [--status S] [--room R]
 * [--caregiver C] [--quality Q]`, the dashboard's pages as one
 * self-contained HTML file.
 */
int	 cmd_report_html(struct cmd *);
extern const struct option html_report_longopts[];

/* schedule_cli.c: the schedule and settings subcommands. */
int	 cmd_schedule_add(struct cmd *);
int	 cmd_schedule_list(struct cmd *);
int	 cmd_schedule_cancel(struct cmd *);
int	 cmd_schedule_import(struct cmd *);
int	 cmd_settings_show(struct cmd *);
int	 cmd_settings_set(struct cmd *);

/*
 * storage/web/serve.c: `serve [-l ADDR:PORT] [--password-file FILE]
 * [--token-file FILE] [--status-file FILE] [-v]`, the dashboard, its
 * JSON API and /metrics; runs until SIGINT or SIGTERM, then 0.
 */
int	 cmd_serve(struct cmd *);
extern const struct option serve_longopts[];

/*
 * status_cli.c: `status [-c FILE | -s STATUSFILE] [-f text|json] [-q]`:
 * the file is -s, else the one next to -c's database, else
 * $TELETRACK_STATUS, else the default database's.  Exit 0 healthy, 1
 * unhealthy, 2 usage or no status file.
 */
int	 cmd_status(struct cmd *);

/* Long options the report lines of the table share: --limit, --session. */
extern const struct option cmd_long_report[];

#endif
