/*
 * The `schedule` and `settings` commands: the front of the booking flow.
 *
 *   argv, or an import file -> schedule_import.c -> struct schedule_batch
 *     -> schedule.c (checks, one transaction) -> SQLite
 *     -> the daemon polls 'scheduled' rows and joins each room in time
 *
 * Subcommands are rows of a const table, like the reports in
 * report_cli.c.  Every bad row of an import is reported as FILE:LINE, in
 * file order, and nothing is written unless the whole file is good, so
 * a half-imported calendar never reaches the daemon.
 *
 * Unlike reports, these commands write: they open the database
 * read-write (db_open flags 0) and keep each change to one short
 * BEGIN IMMEDIATE transaction so the daemon's writer waits little.
 * Exit status: 2 for usage errors (unknown option, missing argument), 1
 * for everything else that fails (bad values, refused changes, database
 * errors), each message logged once.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "report.h"
#include "report_cli.h"
#include "schedule.h"
#include "schedule_cli.h"
#include "schedule_import.h"
#include "xmalloc.h"

#define CLI_BUSY_MS	2000	/* wait out one daemon commit, not more */
#define ERRS_SHOWN	50	/* an all-bad file: the first ones suffice */

struct cli_cmd {
	const char	*name;
	const char	*usage;
	int		(*run)(FILE *, const char *, int, char **);
};

static int	cmd_add(FILE *, const char *, int, char **);
static int	cmd_list(FILE *, const char *, int, char **);
static int	cmd_cancel(FILE *, const char *, int, char **);
static int	cmd_import(FILE *, const char *, int, char **);
static int	cmd_show(FILE *, const char *, int, char **);
static int	cmd_set(FILE *, const char *, int, char **);

static const struct cli_cmd schedule_table[] = {
	{ "add", "-a APPT -r ROOM -s START [-m MINUTES] "
	    "[-p ID:ROLE[:NAME]]...", cmd_add },
	{ "list", "[--all] [-f text|csv|json] [-n LIMIT]", cmd_list },
	{ "cancel", "APPT [--reason TEXT]", cmd_cancel },
	{ "import", "FILE.csv|FILE.ics", cmd_import },
};

static const struct cli_cmd settings_table[] = {
	{ "show", "[-f text|csv|json]", cmd_show },
	{ "set", "KEY=VALUE...", cmd_set },
};

static void
usage_table(FILE *fp, const char *cmd, const struct cli_cmd *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		fprintf(fp, "%s teletrack %s [-d DBFILE] %s %s\n",
		    i == 0 ? "usage:" : "      ", cmd, t[i].name, t[i].usage);
}

static void
schedule_usage(FILE *fp)
{
	usage_table(fp, "schedule", schedule_table,
	    sizeof(schedule_table) / sizeof(schedule_table[0]));
	fprintf(fp, "  DBFILE defaults to $TELETRACK_DB; START is "
	    "2025-07-04T10:00:00Z, ...+02:00 or \"2025-07-04 08:00\" (UTC)\n");
}

static void
settings_usage(FILE *fp)
{
	usage_table(fp, "settings", settings_table,
	    sizeof(settings_table) / sizeof(settings_table[0]));
}

/*
 * Helpers
 */

static int64_t
cli_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
parse_format(const char *s, enum report_format *fmt)
{
	char	 esc[64];

	if (strcmp(s, "text") == 0)
		*fmt = REPORT_FMT_TEXT;
	else if (strcmp(s, "csv") == 0)
		*fmt = REPORT_FMT_CSV;
	else if (strcmp(s, "json") == 0)
		*fmt = REPORT_FMT_JSON;
	else {
		log_warnx("unknown format %s", log_escape(esc, sizeof(esc), s));
		return -1;
	}
	return 0;
}

/*
 * Open the database read-write, or NULL (logged).  It must exist: a
 * typo in -d would otherwise create an empty file the daemon never
 * reads, and the bookings in it would silently never happen.
 */
static struct db *
open_db(const char *path)
{
	struct stat	 sb;
	struct db	*db;
	char		 err[512];

	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			log_warnx("%s: no such database (check the path, or "
			    "start the daemon once to create it)", path);
		else
			log_warn("%s", path);
		return NULL;
	}
	if ((db = db_open(path, 0, err, sizeof(err))) == NULL) {
		/*
		 * db_open() only says so in words: SQLITE_BUSY's text.  Even
		 * an up-to-date schema takes the write lock to check it.
		 */
		log_warnx("%s%s", err, strstr(err, "database is locked") !=
		    NULL ? " (another process, e.g. the daemon, holds the "
		    "lock: try again)" : "");
		return NULL;
	}
	/*
	 * db_open() gives the daemon's short busy timeout; a person at a
	 * terminal can wait for one of the daemon's commits to finish.
	 */
	sqlite3_busy_timeout(db_sqlite(db), CLI_BUSY_MS);
	return db;
}

static int
cmp_error(const void *x, const void *y)
{
	const struct schedule_error *const *a = x, *const *b = y;

	if ((*a)->line != (*b)->line)
		return (*a)->line < (*b)->line ? -1 : 1;
	return *a < *b ? -1 : *a > *b;	/* stable: the order found */
}

/*
 * Log the batch's errors in file order (the first ERRS_SHOWN: for a file
 * that is all bad, they make the point).  Returns 1.
 */
static int
log_errors(const struct schedule_batch *b)
{
	const struct schedule_error	**v;
	size_t				 i;

	v = xreallocarray(NULL, b->nerrs + 1, sizeof(*v));
	for (i = 0; i < b->nerrs; i++)
		v[i] = &b->errs[i];
	qsort(v, b->nerrs, sizeof(*v), cmp_error);
	for (i = 0; i < b->nerrs && i < ERRS_SHOWN; i++)
		log_warnx("%s", v[i]->msg);
	if (b->nerrs > ERRS_SHOWN)
		log_warnx("%zu more errors not shown", b->nerrs - ERRS_SHOWN);
	if (b->file != NULL)
		log_warnx("%s: nothing imported", b->file);
	free(v);
	return 1;
}

/*
 * The schedule subcommands
 */

static int
cmd_add(FILE *out, const char *dbpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "appointment", required_argument, NULL, 'a' },
		{ "database", required_argument, NULL, 'd' },
		{ "minutes", required_argument, NULL, 'm' },
		{ "participant", required_argument, NULL, 'p' },
		{ "room", required_argument, NULL, 'r' },
		{ "start", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct schedule_batch	 b;
	struct schedule_appt	*a;
	struct db		*db = NULL;
	const char		*start = NULL, *minutes = NULL;
	char			 err[256];
	int			 ch, status = 1;

	schedule_batch_init(&b, NULL);
	a = schedule_batch_add(&b, 0);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "a:d:m:p:r:s:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			free(a->appt);
			a->appt = xstrdup(optarg);
			break;
		case 'd':
			dbpath = optarg;
			break;
		case 'm':
			minutes = optarg;
			break;
		case 'p':
			if (schedule_parse_member(a, optarg, err,
			    sizeof(err)) == -1)
				schedule_batch_error(&b, 0, "-p: %s", err);
			break;
		case 'r':
			free(a->room);
			a->room = xstrdup(optarg);
			break;
		case 's':
			start = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || a->appt == NULL || a->room == NULL ||
	    start == NULL || dbpath == NULL || *dbpath == '\0')
		goto usage;
	if (schedule_parse_time(start, &a->start_ms, err, sizeof(err)) == -1)
		schedule_batch_error(&b, 0, "-s: %s", err);
	if (minutes != NULL) {
		if (schedule_parse_minutes(minutes, &a->minutes, err,
		    sizeof(err)) == -1)
			schedule_batch_error(&b, 0, "-m: %s", err);
		else
			a->has_minutes = 1;
	}
	if ((db = open_db(dbpath)) == NULL)
		goto out;
	if (schedule_apply(db, &b, cli_now_ms()) == -1) {
		log_errors(&b);
		goto out;
	}
	fprintf(out, "%s appointment %s\n", b.added ? "added" : "updated",
	    a->appt);
	status = 0;
out:
	db_close(db);
	schedule_batch_free(&b);
	return status;
usage:
	if (dbpath == NULL || *dbpath == '\0')
		log_warnx("no database: use -c FILE, -d DBFILE or set "
		    "TELETRACK_DB");
	schedule_usage(stderr);
	schedule_batch_free(&b);
	return 2;
}

static int
cmd_list(FILE *out, const char *dbpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "database", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	enum report_format	 fmt = REPORT_FMT_TEXT;
	struct report_rows	*rows = NULL;
	struct db		*db;
	char			 err[512], esc[64], *end;
	long			 n;
	int			 ch, all = 0, limit = 0, status = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "ad:f:n:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'd':
			dbpath = optarg;
			break;
		case 'f':
			if (parse_format(optarg, &fmt) == -1)
				goto usage;
			break;
		case 'n':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    n < 1 || n > INT32_MAX) {
				log_warnx("-n: not a positive number: %s",
				    log_escape(esc, sizeof(esc), optarg));
				goto usage;
			}
			limit = (int)n;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || dbpath == NULL || *dbpath == '\0')
		goto usage;
	if ((db = open_db(dbpath)) == NULL)
		return 1;
	if ((rows = schedule_list(db, all, limit, err, sizeof(err))) == NULL)
		log_warnx("%s", err);
	else if (report_cli_print(out, rows, fmt) == -1)
		log_warn("writing the list");
	else
		status = 0;
	report_rows_free(rows);
	db_close(db);
	return status;
usage:
	schedule_usage(stderr);
	return 2;
}

static int
cmd_cancel(FILE *out, const char *dbpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "reason", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct db	*db;
	const char	*reason = NULL;
	char		 err[512];
	int		 ch, status = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:R:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dbpath = optarg;
			break;
		case 'R':
			reason = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || dbpath == NULL || *dbpath == '\0')
		goto usage;
	if ((db = open_db(dbpath)) == NULL)
		return 1;
	if (schedule_cancel(db, argv[optind], reason, cli_now_ms(), err,
	    sizeof(err)) == -1)
		log_warnx("%s", err);
	else {
		/* schedule_cancel() checked the id: printable, no blanks. */
		fprintf(out, "cancelled appointment %s\n", argv[optind]);
		status = 0;
	}
	db_close(db);
	return status;
usage:
	schedule_usage(stderr);
	return 2;
}

static int
cmd_import(FILE *out, const char *dbpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct schedule_batch	 b;
	struct schedule_roles	 roles;
	struct db_settings	 set;
	struct db		*db;
	int			 ch, status = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dbpath = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || dbpath == NULL || *dbpath == '\0')
		goto usage;
	if ((db = open_db(dbpath)) == NULL)
		return 1;
	/* CHAIR and caregiver_id mean the configured caregiver role. */
	if (db_settings(db, &set) == -1) {
		db_close(db);
		return 1;	/* logged */
	}
	roles.caregiver = set.caregiver_role;
	roles.patient = set.patient_role;
	schedule_batch_init(&b, argv[optind]);
	schedule_import_file(&b, argv[optind], &roles);
	if (schedule_apply(db, &b, cli_now_ms()) == -1)
		log_errors(&b);
	else {
		fprintf(out, "imported %d appointment(s)", b.added + b.updated);
		if (b.updated > 0)
			fprintf(out, ", %d of them updated", b.updated);
		if (b.cancelled > 0)
			fprintf(out, "; cancelled %d", b.cancelled);
		fputc('\n', out);
		status = 0;
	}
	schedule_batch_free(&b);
	db_close(db);
	return status;
usage:
	schedule_usage(stderr);
	return 2;
}

/*
 * The settings subcommands
 */

static int
cmd_show(FILE *out, const char *dbpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	enum report_format	 fmt = REPORT_FMT_TEXT;
	struct report_rows	*rows;
	struct db		*db;
	char			 err[512];
	int			 ch, status = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dbpath = optarg;
			break;
		case 'f':
			if (parse_format(optarg, &fmt) == -1)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || dbpath == NULL || *dbpath == '\0')
		goto usage;
	if ((db = open_db(dbpath)) == NULL)
		return 1;
	if ((rows = schedule_settings(db, err, sizeof(err))) == NULL)
		log_warnx("%s", err);
	else if (report_cli_print(out, rows, fmt) == -1)
		log_warn("writing the settings");
	else
		status = 0;
	report_rows_free(rows);
	db_close(db);
	return status;
usage:
	settings_usage(stderr);
	return 2;
}

static int
cmd_set(FILE *out, const char *dbpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct db	*db;
	char		 err[512];
	int		 ch, i, bad = 0, status = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dbpath = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc || dbpath == NULL || *dbpath == '\0')
		goto usage;
	/* Every pair is checked, so one run shows every mistake. */
	for (i = optind; i < argc; i++)
		if (schedule_setting_check(argv[i], err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			bad = 1;
		}
	if (bad) {
		log_warnx("no setting changed");
		return 1;
	}
	if ((db = open_db(dbpath)) == NULL)
		return 1;
	if (schedule_settings_set(db, argv + optind, (size_t)(argc - optind),
	    cli_now_ms(), err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		log_warnx("no setting changed");
	} else {
		fprintf(out, "set %d setting(s)\n", argc - optind);
		status = 0;
	}
	db_close(db);
	return status;
usage:
	settings_usage(stderr);
	return 2;
}

/*
 * Entry points
 */

/*
 * Options before the subcommand (-d DBFILE, -h), then the subcommand
 * from t with the rest: it parses them itself, so -d may also follow it.
 * def names the subcommand run when none is given (settings: "show",
 * so `settings -f json` works), or is NULL.  getopt() cannot stop at
 * the first option it does not know, so this short scan is by hand.
 */
static int
dispatch(FILE *out, const char *dbpath, int argc, char **argv,
    const struct cli_cmd *t, size_t n, const char *def,
    void (*usage)(FILE *))
{
	const struct cli_cmd	*cmd = NULL;
	char			**v, name[16], esc[64];
	size_t			 j;
	int			 i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "help") == 0) {
			usage(out);
			return 0;
		}
		if ((strcmp(argv[i], "-d") == 0 ||
		    strcmp(argv[i], "--database") == 0) && i + 1 < argc)
			dbpath = argv[++i];
		else if (strncmp(argv[i], "-d", 2) == 0 && argv[i][2] != '\0')
			dbpath = argv[i] + 2;
		else if (strncmp(argv[i], "--database=", 11) == 0)
			dbpath = argv[i] + 11;
		else
			break;
	}
	for (j = 0; i < argc && j < n; j++)
		if (strcmp(argv[i], t[j].name) == 0)
			return t[j].run(out, dbpath, argc - i, argv + i);
	if (def == NULL || (i < argc && argv[i][0] != '-')) {
		if (i < argc)
			log_warnx("unknown subcommand %s",
			    log_escape(esc, sizeof(esc), argv[i]));
		usage(stderr);
		return 2;
	}
	for (j = 0; j < n; j++)
		if (strcmp(def, t[j].name) == 0)
			cmd = &t[j];
	/* The default subcommand's argv: its name, then the options. */
	snprintf(name, sizeof(name), "%s", def);
	v = xcalloc((size_t)(argc - i) + 2, sizeof(*v));
	v[0] = name;
	memcpy(v + 1, argv + i, (size_t)(argc - i) * sizeof(*v));
	rc = cmd->run(out, dbpath, argc - i + 1, v);
	free(v);
	return rc;
}

int
schedule_cli_run(FILE *out, const char *dbpath, int argc, char **argv)
{
	return dispatch(out, dbpath, argc, argv, schedule_table,
	    sizeof(schedule_table) / sizeof(schedule_table[0]), NULL,
	    schedule_usage);
}

int
schedule_cli_settings(FILE *out, const char *dbpath, int argc, char **argv)
{
	return dispatch(out, dbpath, argc, argv, settings_table,
	    sizeof(settings_table) / sizeof(settings_table[0]), "show",
	    settings_usage);
}
