/*
 * The `report` command, the last step of the flow: SQLite file ->
 * report.c (rows) -> here (text, CSV or JSON on stdout).
 *
 * Each report is a line of the command table in main.c ("report
 * sessions", ...) and a line of reports[] here that names its report.c
 * function.  Adding a report is one function in report.c and those two
 * lines.
 *
 * The database is opened read-only (db_open DB_READONLY, a mode=ro URI),
 * so under WAL a report never blocks the daemon's writer and cannot
 * change a byte.  Nicknames and every other stored string are hostile
 * input: text output escapes control characters, C1 controls and bidi
 * overrides so a nick cannot move the cursor or reorder a line; CSV and
 * JSON keep the data exact (JSON escapes controls by itself).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "cmd.h"
#include "db.h"
#include "log.h"
#include "report.h"
#include "report_cli.h"
#include "text.h"
#include "xmalloc.h"

#define TEXT_MAX_WIDTH	60	/* longer cells are cut with "..." */
#define SESSIONS_LIMIT	20	/* sessions without -n */

/*
 * The reports, by the name after "report " in main.c's command table:
 * the report.c function and what it takes, one session (-s ID, then
 * required), the limit (-n) or both; a line with neither function is a
 * list report, run by report_list() under its name.  Adding a report is
 * one line here and one in main.c.
 */
static const struct report_def {
	const char	*name;
	struct report_rows *(*by_session)(struct db *, int64_t session);
	struct report_rows *(*by_both)(struct db *, int64_t session,
			    int limit);
	int		 default_limit;	/* without -n; 0: the report's own */
} reports[] = {
	{ "participants", .by_session = report_participants },
	{ "summary", .by_session = report_summary },
	{ "events", .by_both = report_events },
	{ "sessions", .default_limit = SESSIONS_LIMIT },
	{ .name = "alerts" },
	{ .name = "attendance" },
	{ .name = "billing" },
	{ .name = "caregivers" },
	{ .name = "problems" },
};

/* The line of reports[] for main.c's "report NAME". */
static const struct report_def *
report_def(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (strcmp(reports[i].name, name) == 0)
			return &reports[i];
	fatalx("%s: report %s is not in the table", __func__, name);
}

/*
 * Text output
 */

/* text_escape() into a new string; the caller frees it. */
static char *
escaped(const char *s, size_t *width)
{
	size_t	 n = strlen(s) * 6 + 1;
	char	*out = xmalloc(n);

	text_escape(out, n, s, width);
	return out;
}

struct tcell {
	char	*s;		/* escaped */
	size_t	 width;		/* code points */
};

/*
 * Print c cut to at most w code points (with "..." when cut), padded
 * to w on the left (right-aligned) or, when pad is set, on the right.
 */
static void
text_put(FILE *fp, const struct tcell *c, size_t w, int right, int pad)
{
	const unsigned char	*p = (const unsigned char *)c->s;
	size_t			 i, shown = c->width, k;

	if (right)
		for (i = c->width; i < w; i++)
			fputc(' ', fp);
	if (c->width <= w)
		fputs(c->s, fp);
	else {
		/* The escaped text is valid UTF-8: cut at a code point. */
		for (k = 0; k < w - 3; k++) {
			do
				fputc(*p++, fp);
			while ((*p & 0xc0) == 0x80);
		}
		fputs("...", fp);
		shown = w;
	}
	if (pad && !right)
		for (i = shown; i < w; i++)
			fputc(' ', fp);
}

/*
 * Aligned columns: a column whose values are all numbers (NULL aside) is
 * right-aligned, header included; NULL shows as "-".
 */
static void
print_text(FILE *fp, const struct report_rows *r)
{
	const struct report_cell *rc;
	struct tcell		*t;
	size_t			*w, n = (r->nrows + 1) * r->ncols, i, j;
	int			*right;

	if (r->ncols == 0)
		return;
	t = xcalloc(n, sizeof(*t));
	w = xcalloc(r->ncols, sizeof(*w));
	right = xcalloc(r->ncols, sizeof(*right));
	for (j = 0; j < r->ncols; j++)
		t[j].s = escaped(r->cols[j], &t[j].width);
	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->ncols; j++) {
			rc = report_cell(r, i, j);
			t[(i + 1) * r->ncols + j].s = escaped(rc->text !=
			    NULL ? rc->text : "-",
			    &t[(i + 1) * r->ncols + j].width);
			if (rc->type == REPORT_TEXT)
				right[j] = -1;
			else if (rc->type != REPORT_NULL && right[j] == 0)
				right[j] = 1;
		}
	for (i = 0; i < n; i++)
		if (t[i].width > w[i % r->ncols])
			w[i % r->ncols] = t[i].width;
	for (j = 0; j < r->ncols; j++)
		if (w[j] > TEXT_MAX_WIDTH)
			w[j] = TEXT_MAX_WIDTH;
	for (i = 0; i <= r->nrows; i++) {
		for (j = 0; j < r->ncols; j++) {
			if (j > 0)
				fputs("  ", fp);
			/* No trailing blanks after the last column. */
			text_put(fp, &t[i * r->ncols + j], w[j],
			    right[j] == 1, j + 1 < r->ncols);
		}
		fputc('\n', fp);
	}
	for (i = 0; i < n; i++)
		free(t[i].s);
	free(t);
	free(w);
	free(right);
}

/*
 * CSV (RFC 4180): a field is quoted when it holds a comma, a quote, CR
 * or LF, quotes doubled (libcsv's csv_fwrite); records end with CRLF.
 * NULL is an empty field, the empty string a quoted "" so the two stay
 * apart.
 */
static void
csv_field(FILE *fp, const char *s)
{
	if (s == NULL)
		return;
	if (*s != '\0' && strpbrk(s, ",\"\r\n") == NULL)
		fputs(s, fp);
	else
		csv_fwrite(fp, s, strlen(s));
}

static void
print_csv(FILE *fp, const struct report_rows *r)
{
	size_t	 i, j;

	for (j = 0; j < r->ncols; j++) {
		if (j > 0)
			fputc(',', fp);
		csv_field(fp, r->cols[j]);
	}
	fputs("\r\n", fp);
	for (i = 0; i < r->nrows; i++) {
		for (j = 0; j < r->ncols; j++) {
			if (j > 0)
				fputc(',', fp);
			csv_field(fp, report_cell(r, i, j)->text);
		}
		fputs("\r\n", fp);
	}
}

/*
 * JSON
 */

static json_t *
json_cell(const struct report_cell *c)
{
	json_t	*v = NULL;
	char	*fixed;

	switch (c->type) {
	case REPORT_NULL:
		return json_null();
	case REPORT_INT:
		v = json_integer(strtoll(c->text, NULL, 10));
		break;
	case REPORT_REAL:
		v = json_real(strtod(c->text, NULL));	/* NULL: inf, nan */
		break;
	case REPORT_TEXT:
		/* SQLite keeps whatever bytes it was given. */
		if ((v = json_string(c->text)) == NULL) {
			fixed = text_utf8_repair(c->text);
			v = json_string(fixed);
			free(fixed);
		}
		break;
	}
	return v != NULL ? v : json_null();
}

static int
print_json(FILE *fp, const struct report_rows *r)
{
	json_t	*arr, *obj;
	size_t	 i, j;
	int	 rc;

	if ((arr = json_array()) == NULL)
		fatalx("%s: out of memory", __func__);
	for (i = 0; i < r->nrows; i++) {
		if ((obj = json_object()) == NULL)
			fatalx("%s: out of memory", __func__);
		for (j = 0; j < r->ncols; j++)
			json_object_set_new(obj, r->cols[j],
			    json_cell(report_cell(r, i, j)));
		json_array_append_new(arr, obj);
	}
	rc = json_dumpf(arr, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(arr);
	fputc('\n', fp);
	return rc;
}

int
report_cli_print(FILE *fp, const struct report_rows *r,
    enum report_format fmt)
{
	switch (fmt) {
	case REPORT_FMT_TEXT:
		print_text(fp, r);
		break;
	case REPORT_FMT_CSV:
		print_csv(fp, r);
		break;
	case REPORT_FMT_JSON:
		if (print_json(fp, r) == -1)
			return -1;
		break;
	}
	if (fflush(fp) == EOF || ferror(fp))
		return -1;
	return 0;
}

/*
 * The command
 */

/*
 * `teletrack report NAME` for the parsed command line c: -n LIMIT, -s ID
 * (a session id, its session_uid or its meeting id; required by the
 * reports of one session), the database opened read-only, the rows
 * printed in c's format.  Returns the exit status.
 */
int
cmd_report(struct cmd *c)
{
	const struct report_def	*r = report_def(c->entry->name + 7);
	struct report_rows	*rows = NULL;
	struct db		*db = NULL;
	const char		*session = NULL, *name = c->entry->name + 7;
	char			 err[512], esc[128];
	int64_t			 id = 0;
	int			 list, limit = 0, status = 1;

	session = cmd_arg(c, 's');
	if (cmd_limit(c, &limit) == -1)
		return cmd_usage(c);
	list = r->by_session == NULL && r->by_both == NULL;
	if (!list && session == NULL) {
		log_warnx("report %s needs --session ID", name);
		return cmd_usage(c);
	}
	if ((db = cmd_db_open(c, DB_READONLY, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if (!list) {
		if ((id = report_find_session(db, session)) == -1)
			goto out;
		if (id == 0) {
			log_warnx("%s: no session %s", db_path(db),
			    log_escape(esc, sizeof(esc), session));
			goto out;
		}
	}
	if (r->by_session != NULL)
		rows = r->by_session(db, id);
	else if (r->by_both != NULL)
		rows = r->by_both(db, id, limit);
	else
		rows = report_list(db, r->name, NULL,
		    limit > 0 ? limit : r->default_limit);
	if (rows == NULL)
		goto out;
	if (report_cli_print(c->out, rows, c->fmt) == -1) {
		log_warn("writing the report");
		goto out;
	}
	status = 0;
out:
	report_rows_free(rows);
	db_close(db);
	return status;
}
