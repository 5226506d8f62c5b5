/*
 * The `schedule` and `settings` commands: the front of the booking flow.
 *
 *   argv, or an import file -> schedule_import.c -> struct schedule_batch
 *     -> schedule.c (checks, one transaction) -> SQLite
 *     -> the daemon polls 'scheduled' rows and joins each room in time
 *
 * Each subcommand is a line of main.c's command table and one function
 * here, which gets its options parsed (cmd.h).  Every bad row of an
 * import is reported as FILE:LINE, in file order, and nothing is written unless the whole file is good, so
 * a half-imported calendar never reaches the daemon.
 *
 * Unlike reports, these commands write: they open the database
 * read-write (db_connect flags 0) and keep each change to one short
 * transaction (SQLite: BEGIN IMMEDIATE) so the daemon's writer waits
 * little.
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
#include <strings.h>
#include <time.h>

#include "appt.h"
#include "clock.h"
#include "cmd.h"
#include "db.h"
#include "log.h"
#include "report.h"
#include "report_cli.h"
#include "schedule.h"
#include "schedule_batch.h"
#include "schedule_import.h"
#include "settings.h"
#include "xmalloc.h"

#define CLI_BUSY_MS	2000	/* wait out one daemon commit, not more */
#define ERRS_SHOWN	50	/* an all-bad file: the first ones suffice */

/*
 * Helpers
 */

/*
 * Open the database read-write, or NULL (logged).  A file must exist: a
 * typo in -d would otherwise create an empty file the daemon never
 * reads, and the bookings in it would silently never happen.  (A
 * PostgreSQL server says itself when a database does not exist.)
 */
static struct db *
open_db(struct cmd *c)
{
	struct stat	 sb;
	struct db	*db;
	const char	*path = c->dbpath;
	char		 err[512];

	if (!db_is_url(path) && stat(path, &sb) == -1) {
		if (errno == ENOENT)
			log_warnx("%s: no such database (check the path, or "
			    "start the daemon once to create it)", path);
		else
			log_warn("%s", path);
		return NULL;
	}
	if ((db = cmd_db_open(c, 0, err, sizeof(err))) == NULL) {
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
	db_busy_timeout(db, CLI_BUSY_MS);
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

int
cmd_schedule_add(struct cmd *c)
{
	struct schedule_batch	 b;
	struct schedule_appt	*a;
	struct db		*db = NULL;
	const char		*start = NULL, *minutes = NULL, *appt = NULL;
	const char		*room = NULL;
	char			 err[256];
	int			 i, status = 1;

	schedule_batch_init(&b, NULL);
	a = schedule_batch_add(&b, 0);
	appt = cmd_arg(c, 'a');
	minutes = cmd_arg(c, 'm');
	room = cmd_arg(c, 'r');
	start = cmd_arg(c, 's');
	for (i = 0; i < c->nopts; i++)	/* -p, as often as given */
		if (c->opts[i].ch == 'p' && schedule_parse_member(a,
		    c->opts[i].arg, err, sizeof(err)) == -1)
			schedule_batch_error(&b, 0, "-p: %s", err);
	a->appt = xstrdup_null(appt);
	a->room = xstrdup_null(room);
	if (a->appt == NULL || a->room == NULL || start == NULL) {
		schedule_batch_free(&b);
		return cmd_usage(c);
	}
	if (schedule_parse_time(start, &a->start_ms, err, sizeof(err)) == -1)
		schedule_batch_error(&b, 0, "-s: %s", err);
	if (minutes != NULL) {
		if (schedule_parse_minutes(minutes, &a->minutes, err,
		    sizeof(err)) == -1)
			schedule_batch_error(&b, 0, "-m: %s", err);
		else
			a->has_minutes = 1;
	}
	if ((db = open_db(c)) == NULL)
		goto out;
	if (schedule_apply(db, &b, now_ms()) == -1) {
		log_errors(&b);
		goto out;
	}
	fprintf(c->out, "%s appointment %s\n", b.added ? "added" : "updated",
	    a->appt);
	status = 0;
out:
	db_close(db);
	schedule_batch_free(&b);
	return status;
}

int
cmd_schedule_list(struct cmd *c)
{
	struct db	*db;
	char		 err[512];
	int		 all, limit = 0, status;

	all = cmd_flag(c, 'a');
	if (cmd_limit(c, &limit) == -1)
		return cmd_usage(c);
	if ((db = open_db(c)) == NULL)
		return 1;
	status = cmd_print(c, schedule_list(db, all, limit, err, sizeof(err)),
	    err);
	db_close(db);
	return status;
}

int
cmd_schedule_cancel(struct cmd *c)
{
	struct db	*db;
	const char	*reason = NULL;
	char		 err[512];
	int		 status = 1;

	reason = cmd_arg(c, 'R');
	if ((db = open_db(c)) == NULL)
		return 1;
	if (schedule_cancel(db, c->argv[0], reason, now_ms(), err,
	    sizeof(err)) == -1)
		log_warnx("%s", err);
	else {
		/* schedule_cancel() checked the id: printable, no blanks. */
		fprintf(c->out, "cancelled appointment %s\n", c->argv[0]);
		status = 0;
	}
	db_close(db);
	return status;
}

int
cmd_schedule_import(struct cmd *c)
{
	struct schedule_batch	 b;
	struct schedule_roles	 roles;
	struct settings		 set;
	struct db		*db;
	int			 status = 1;

	if ((db = open_db(c)) == NULL)
		return 1;
	/* CHAIR and caregiver_id mean the configured caregiver role. */
	if (db_settings(db, &set) == -1) {
		log_warnx("%s: reading meeting_settings: %s", db_path(db),
		    db_errmsg(db));
		db_close(db);
		return 1;
	}
	roles.caregiver = set.caregiver_role;
	roles.patient = set.patient_role;
	schedule_batch_init(&b, c->argv[0]);
	schedule_import_file(&b, c->argv[0], &roles);
	if (schedule_apply(db, &b, now_ms()) == -1)
		log_errors(&b);
	else {
		fprintf(c->out, "imported %d appointment(s)",
		    b.added + b.updated);
		if (b.updated > 0)
			fprintf(c->out, ", %d of them updated", b.updated);
		if (b.cancelled > 0)
			fprintf(c->out, "; cancelled %d", b.cancelled);
		fputc('\n', c->out);
		status = 0;
	}
	schedule_batch_free(&b);
	db_close(db);
	return status;
}

/*
 * The settings subcommands
 */

int
cmd_settings_show(struct cmd *c)
{
	struct db	*db;
	char		 err[512];
	int		 status;

	if ((db = open_db(c)) == NULL)
		return 1;
	status = cmd_print(c, schedule_settings(db, err, sizeof(err)), err);
	db_close(db);
	return status;
}

/*
 * alert_rules names rules of the appointment tracker (appt_rules.c):
 * 'all', or a comma-separated list of its rule names.  A misspelt rule
 * would otherwise switch an alert off without a word.
 */
static int
check_rules(const char *kv, char *err, size_t errsz)
{
	const char	*p = kv + strlen("alert_rules="), *name;
	size_t		 n, i;
	int		 len;

	if (strncmp(kv, "alert_rules=", strlen("alert_rules=")) != 0)
		return 0;
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		if (n == 3 && strncasecmp(p, "all", 3) == 0) {
			p += n;
			continue;
		}
		for (i = 0; (name = appt_rule_name(i)) != NULL; i++)
			if (strlen(name) == n && strncasecmp(p, name, n) == 0)
				break;
		if (name == NULL) {
			len = snprintf(err, errsz, "alert_rules: no rule "
			    "\"%.*s\"; the rules:", (int)(n > 64 ? 64 : n), p);
			for (i = 0; (name = appt_rule_name(i)) != NULL &&
			    len > 0 && (size_t)len < errsz; i++)
				len += snprintf(err + len, errsz - (size_t)len,
				    " %s", name);
			return -1;
		}
		p += n;
	}
}

int
cmd_settings_set(struct cmd *c)
{
	struct db	*db;
	char		 err[512];
	int		 i, bad = 0, status = 1;

	/* Every pair is checked, so one run shows every mistake. */
	for (i = 0; i < c->argc; i++)
		if (settings_check(c->argv[i], err, sizeof(err)) == -1 ||
		    check_rules(c->argv[i], err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			bad = 1;
		}
	if (bad) {
		log_warnx("no setting changed");
		return 1;
	}
	if ((db = open_db(c)) == NULL)
		return 1;
	if (schedule_settings_set(db, c->argv, (size_t)c->argc, now_ms(),
	    err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		log_warnx("no setting changed");
	} else {
		fprintf(c->out, "set %d setting(s)\n", c->argc);
		status = 0;
	}
	db_close(db);
	return status;
}
