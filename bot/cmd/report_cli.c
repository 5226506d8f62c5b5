/*
 * The `report` command, the last step of the flow: SQLite file ->
 * report.c (rows) -> here (text, CSV or JSON on stdout).
 *
 * Reports are rows of a const table (tmux's cmd_table): a name, its
 * usage, whether it needs a session, and one small function that calls
 * report.c.  Adding a report is one function here, one in report.c, and
 * one line in the table.
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

#include <jansson.h>

#include "db.h"
#include "log.h"
#include "report.h"
#include "report_cli.h"
#include "textutil.h"
#include "xmalloc.h"

#define TEXT_MAX_WIDTH	60	/* longer cells are cut with "..." */
#define SESSIONS_LIMIT	20	/* sessions without -n */

struct report_args {
	int64_t		 session;	/* resolved id, 0 when not needed */
	int		 limit;		/* -n; 0: the report's default */
};

struct report_cmd {
	const char	*name;
	const char	*usage;		/* its arguments */
	const char	*help;
	int		 needs_session;
	struct report_rows *(*run)(struct db *, const struct report_args *);
};

static struct report_rows *
cmd_sessions(struct db *db, const struct report_args *a)
{
	return report_sessions(db, a->limit > 0 ? a->limit : SESSIONS_LIMIT);
}

static struct report_rows *
cmd_participants(struct db *db, const struct report_args *a)
{
	return report_participants(db, a->session);
}

static struct report_rows *
cmd_events(struct db *db, const struct report_args *a)
{
	return report_events(db, a->session, a->limit);
}

static struct report_rows *
cmd_summary(struct db *db, const struct report_args *a)
{
	return report_summary(db, a->session);
}

static struct report_rows *
cmd_billing(struct db *db, const struct report_args *a)
{
	return report_billing(db, a->limit);
}

static struct report_rows *
cmd_problems(struct db *db, const struct report_args *a)
{
	return report_problems(db, a->limit);
}

static struct report_rows *
cmd_caregivers(struct db *db, const struct report_args *a)
{
	return report_caregivers(db, a->limit);
}

static struct report_rows *
cmd_alerts(struct db *db, const struct report_args *a)
{
	return report_alerts(db, a->limit);
}

static struct report_rows *
cmd_attendance(struct db *db, const struct report_args *a)
{
	return report_attendance(db, a->limit);
}

static const struct report_cmd report_table[] = {
	{ "sessions", "[-n LIMIT]", "latest sessions (20 without -n)", 0,
	    cmd_sessions },
	{ "participants", "-s ID", "the participants of a session", 1,
	    cmd_participants },
	{ "events", "-s ID [-n LIMIT]", "the timeline of a session", 1,
	    cmd_events },
	{ "summary", "-s ID", "one session, field by field", 1,
	    cmd_summary },
	{ "billing", "[-n LIMIT]", "per session: duration, quality score", 0,
	    cmd_billing },
	{ "problems", "[-n LIMIT]", "failed, poor, disconnected or kicked", 0,
	    cmd_problems },
	{ "caregivers", "[-n LIMIT]", "caregivers over completed sessions", 0,
	    cmd_caregivers },
	{ "attendance", "[-n LIMIT]", "appointments: outcome, billable, who "
	    "came", 0, cmd_attendance },
	{ "alerts", "[-n LIMIT]", "alerts, latest first", 0, cmd_alerts },
};

static void
usage(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "usage: teletrack report [-d DBFILE] [-f text|csv|json] "
	    "NAME [-s|--session ID] [-n LIMIT]\n"
	    "  DBFILE defaults to $TELETRACK_DB; ID is a session id, "
	    "session_uid or meeting id\n"
	    "reports:\n");
	for (i = 0; i < sizeof(report_table) / sizeof(report_table[0]); i++)
		fprintf(fp, "  %-13s %-17s %s\n", report_table[i].name,
		    report_table[i].usage, report_table[i].help);
	fprintf(fp, "  %-13s %-17s %s\n", "help", "", "this list");
}

/*
 * Text output
 */

/* Code points a terminal acts on or that reorder the line. */
static int
unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e ||
	    c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

/*
 * s made safe for a terminal: unsafe code points become \xNN or \uNNNN,
 * invalid bytes \xNN, a backslash "\\" (so escapes are unambiguous).
 * *width is its length in code points.  The caller frees the result.
 */
static char *
text_escape(const char *s, size_t *width)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out;
	size_t			 o = 0, n;
	uint32_t		 c;

	out = xmalloc(strlen(s) * 6 + 1);
	*width = 0;
	while (*p != '\0') {
		if ((n = utf8_decode(p, &c)) == 0) {
			o += (size_t)sprintf(out + o, "\\x%02x", *p);
			*width += 4;
			p++;
			continue;
		}
		if (c == '\\') {
			memcpy(out + o, "\\\\", 2);
			o += 2;
			*width += 2;
		} else if (unsafe(c)) {
			if (c < 0x100) {
				o += (size_t)sprintf(out + o, "\\x%02x",
				    (unsigned)c);
				*width += 4;
			} else {
				o += (size_t)sprintf(out + o, "\\u%04x",
				    (unsigned)c);
				*width += 6;
			}
		} else {
			memcpy(out + o, p, n);
			o += n;
			(*width)++;
		}
		p += n;
	}
	out[o] = '\0';
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
		t[j].s = text_escape(r->cols[j], &t[j].width);
	for (i = 0; i < r->nrows; i++)
		for (j = 0; j < r->ncols; j++) {
			rc = report_cell(r, i, j);
			t[(i + 1) * r->ncols + j].s = text_escape(rc->text !=
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
 * or LF, quotes doubled; records end with CRLF.  NULL is an empty field,
 * the empty string a quoted "" so the two stay apart.
 */
static void
csv_field(FILE *fp, const char *s)
{
	if (s == NULL)
		return;
	if (*s != '\0' && strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
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

/* s with each invalid UTF-8 byte replaced by U+FFFD; caller frees. */
static char *
utf8_repair(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out = xmalloc(strlen(s) * 3 + 1);
	size_t			 o = 0, n;
	uint32_t		 c;

	while (*p != '\0') {
		if ((n = utf8_decode(p, &c)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
		} else {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
	}
	out[o] = '\0';
	return out;
}

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
			fixed = utf8_repair(c->text);
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

static const struct report_cmd *
find_cmd(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(report_table) / sizeof(report_table[0]); i++)
		if (strcmp(report_table[i].name, name) == 0)
			return &report_table[i];
	return NULL;
}

/* report_cli_run() writing to out, so tests can capture the output. */
static int
run(FILE *out, const char *dbpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "limit", required_argument, NULL, 'n' },
		{ "session", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const struct report_cmd	*cmd;
	struct report_args	 a = { 0, 0 };
	struct report_rows	*rows = NULL;
	enum report_format	 fmt = REPORT_FMT_TEXT;
	struct db		*db = NULL;
	const char		*session = NULL;
	char			 err[512], esc[128], *end;
	long			 n;
	int			 ch, status = 1;

	optind = 0;	/* GNU: restart scanning (tests call us again) */
	while ((ch = getopt_long(argc, argv, "d:f:hn:s:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
			dbpath = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = REPORT_FMT_TEXT;
			else if (strcmp(optarg, "csv") == 0)
				fmt = REPORT_FMT_CSV;
			else if (strcmp(optarg, "json") == 0)
				fmt = REPORT_FMT_JSON;
			else {
				log_warnx("unknown format %s",
				    log_escape(esc, sizeof(esc), optarg));
				usage(stderr);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    n < 1 || n > INT32_MAX) {
				log_warnx("-n: not a positive number: %s",
				    log_escape(esc, sizeof(esc), optarg));
				usage(stderr);
				return 2;
			}
			a.limit = (int)n;
			break;
		case 's':
			session = optarg;
			break;
		case 'h':
			usage(out);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "help") == 0) {
		usage(out);
		return 0;
	}
	if ((cmd = find_cmd(argv[optind])) == NULL) {
		log_warnx("unknown report %s",
		    log_escape(esc, sizeof(esc), argv[optind]));
		usage(stderr);
		return 2;
	}
	if (cmd->needs_session && session == NULL) {
		log_warnx("report %s needs --session ID", cmd->name);
		usage(stderr);
		return 2;
	}
	if (dbpath == NULL || *dbpath == '\0') {
		log_warnx("no database: use -d DBFILE or set TELETRACK_DB");
		usage(stderr);
		return 2;
	}

	if ((db = db_open(dbpath, DB_READONLY, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if (cmd->needs_session) {
		if ((a.session = report_find_session(db, session)) == -1)
			goto out;
		if (a.session == 0) {
			log_warnx("%s: no session %s", dbpath,
			    log_escape(esc, sizeof(esc), session));
			goto out;
		}
	}
	if ((rows = cmd->run(db, &a)) == NULL)
		goto out;
	if (report_cli_print(out, rows, fmt) == -1) {
		log_warn("writing the report");
		goto out;
	}
	status = 0;
out:
	report_rows_free(rows);
	db_close(db);
	return status;
}

int
report_cli_run(const char *dbpath, int argc, char **argv)
{
	return run(stdout, dbpath, argc, argv);
}

int
report_cli_main(int argc, char **argv)
{
	return run(stdout, getenv("TELETRACK_DB"), argc, argv);
}
