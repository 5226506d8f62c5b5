/*
 * `teletrack report html`: the same views as the dashboard (views.c),
 * framed once as a standalone page (page.c inlines the stylesheet, adds
 * a CSP that forbids any fetch, and links only to sessions the file
 * holds).  The filters are the dashboard's, as options:
 *
 *   teletrack report -d DB html -o march.html --from 2026-03-01 --to 2026-03-31
 *   teletrack report -d DB html -o apt-42.html -s 42
 *
 * Without -s the file holds the session list and the reports (with -a,
 * the page of every listed session too); with -s, the pages of those
 * sessions.  The file is written to FILE.tmp and renamed, so a reader
 * never sees half of it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "report.h"
#include "views.h"
#include "webutil.h"
#include "xmalloc.h"

#define HTML_MAX_SESSIONS	1000	/* pages in one file */

const struct option html_report_longopts[] = {
	{ "all-pages", no_argument, NULL, 'a' },
	{ "caregiver", required_argument, NULL, 'C' },
	{ "from", required_argument, NULL, 'F' },
	{ "limit", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "quality", required_argument, NULL, 'Q' },
	{ "room", required_argument, NULL, 'R' },
	{ "session", required_argument, NULL, 's' },
	{ "status", required_argument, NULL, 'S' },
	{ "to", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

/*
 * The options that are the dashboard's filters (-n and the long ones
 * from --caregiver to --to) go to it as they are: the parameter is the
 * option's long name.  NULL for another option.
 */
static const char *
filter_key(int ch)
{
	const struct option	*o;

	if (ch == '\0' || strchr("nCFQRST", ch) == NULL)
		return NULL;
	for (o = html_report_longopts; o->name != NULL; o++)
		if (o->val == ch)
			return o->name;
	return NULL;
}

/* Append key=value to p (the filters go through the dashboard's checks). */
static void
param(struct web_params *p, const char *key, const char *value)
{
	if (p->n == WEB_MAX_PARAMS)
		return;
	p->key[p->n] = xstrdup(key);
	p->val[p->n] = xstrdup(value);
	p->n++;
}

/* s to the file out (via out.tmp, renamed), or to stdout_fp for "-". */
static int
write_file(FILE *stdout_fp, const char *out, const char *s, size_t len)
{
	char	*tmp = NULL;
	FILE	*fp;
	int	 rc = -1;

	if (strcmp(out, "-") == 0) {
		if (fwrite(s, 1, len, stdout_fp) != len ||
		    fflush(stdout_fp) != 0) {
			log_warn("writing the report");
			return -1;
		}
		return 0;
	}
	xasprintf(&tmp, "%s.tmp", out);
	if ((fp = fopen(tmp, "w")) == NULL) {
		log_warn("%s", tmp);
		goto out;
	}
	if (fwrite(s, 1, len, fp) != len || fclose(fp) != 0) {
		log_warn("%s", tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, out) == -1) {
		log_warn("%s", out);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int
cmd_report_html(struct cmd *c)
{
	struct web_params	 p;
	struct report_filter	 f;
	struct report_rows	*list = NULL;
	struct page_ctx		 ctx;
	struct wbuf		 b = { NULL, 0, 0 };
	struct db		*db = NULL;
	const char		*out = NULL, *refs[HTML_MAX_SESSIONS];
	const char		*arg, *key;
	int64_t			*ids = NULL, now;
	size_t			 nrefs = 0, nids = 0, i, len;
	char			 err[256], esc[128], iso[32], title[64], *s;
	int			 k, all = 0, limit = 0, rc = 1, col, r;

	memset(&p, 0, sizeof(p));
	for (k = 0; k < c->nopts; k++) {
		arg = c->opts[k].arg;
		switch (c->opts[k].ch) {
		case 'a':
			all = 1;
			break;
		case 'o':
			out = arg;
			break;
		case 's':
			if (nrefs == HTML_MAX_SESSIONS) {
				log_warnx("at most %d sessions",
				    HTML_MAX_SESSIONS);
				goto usage;
			}
			refs[nrefs++] = arg;
			break;
		default:
			if ((key = filter_key(c->opts[k].ch)) == NULL)
				goto usage;
			param(&p, key, arg);
			break;
		}
	}
	if (out == NULL) {
		log_warnx("report html needs -o FILE (or -o - for stdout)");
		goto usage;
	}
	if (web_filter_parse(&p, &f, &limit, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto usage;
	}
	if ((db = cmd_db_open(c, DB_READONLY, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto done;
	}
	now = now_ms();

	/* The sessions whose pages the file holds. */
	ids = xcalloc(HTML_MAX_SESSIONS, sizeof(*ids));
	for (i = 0; i < nrefs; i++) {
		int64_t	 id = report_find_session(db, refs[i]);

		if (id == -1)
			goto done;
		if (id == 0) {
			log_warnx("%s: no session %s", db_path(db),
			    log_escape(esc, sizeof(esc), refs[i]));
			goto done;
		}
		ids[nids++] = id;
	}
	if (nrefs == 0 && all) {
		if ((list = report_list(db, "sessions", &f, limit > 0 ? limit :
		    VIEW_PAGE_LIMIT)) == NULL)
			goto done;
		col = report_col(list, "id");
		for (i = 0; i < list->nrows && nids < HTML_MAX_SESSIONS; i++)
			ids[nids++] = strtoll(report_cell(list, i,
			    (size_t)col)->text, NULL, 10);
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.standalone = 1;
	ctx.generated = event_iso8601(now, iso, sizeof(iso));
	ctx.included = ids;
	ctx.nincluded = nids;
	if (nrefs == 1)
		snprintf(title, sizeof(title), "Session %lld",
		    (long long)ids[0]);
	else if (nrefs > 1)
		snprintf(title, sizeof(title), "%zu sessions", nrefs);
	else
		snprintf(title, sizeof(title), "Sessions and reports");
	page_begin(&b, &ctx, title, NULL, 0);
	r = 0;
	if (nrefs == 0) {
		r |= view_sessions_body(db, &ctx, &f, limit, &b);
		r |= view_reports_body(db, &ctx, &f, limit, &b);
	}
	for (i = 0; i < nids; i++)
		r |= view_session_body(db, &ctx, ids[i], now, &b) == -1 ? -1 :
		    0;
	page_end(&b, &ctx);
	if (r != 0) {
		log_warnx("a query failed: the report is incomplete");
		goto done;
	}
	s = wbuf_take(&b, &len);
	rc = write_file(c->out, out, s, len) == 0 ? 0 : 1;
	free(s);
	goto done;
usage:
	rc = cmd_usage(c);
done:
	wbuf_free(&b);
	report_rows_free(list);
	free(ids);
	db_close(db);
	web_params_free(&p);
	return rc;
}
