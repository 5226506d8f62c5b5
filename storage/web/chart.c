/*
 * Server-side SVG charts for the Reports view.  Each takes the rows of
 * one report.c query, so a chart shows exactly what the table beside it
 * (and `teletrack report`) says.  Labels come from the database and are
 * escaped; bar classes come from fixed lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "xmalloc.h"

#define CW		640	/* width, user units */
#define PAD_L		44
#define PAD_R		12
#define PAD_T		12
#define PAD_B		42
#define DAILY_H		220
#define BAR_H		20
#define BAR_GAP		8
#define LABEL_W		170

static const char *const outcomes[] = {
	"completed", "failed", "active", "scheduled", "cancelled"
};
#define NOUT	(sizeof(outcomes) / sizeof(outcomes[0]))

/* A round axis maximum >= v. */
static double
nice_max(double v)
{
	double	 m = 1;

	if (v <= 0)
		return 1;
	while (m * 10 <= v)
		m *= 10;
	if (v <= m)
		return m;
	if (v <= 2 * m)
		return 2 * m;
	if (v <= 5 * m)
		return 5 * m;
	return 10 * m;
}

static void
nothing(struct wbuf *b)
{
	wbuf_puts(b, "<p class=\"nothing\">No data for this range.</p>\n");
}

void
chart_daily(struct wbuf *b, const struct report_rows *r)
{
	const char	**days;
	double		*count, max = 0, total, ymax, x, y, h, bw, plot_h;
	size_t		 ndays = 0, i, d, k, every;
	const char	*day, *st;
	int		 g;

	if (r == NULL || r->nrows == 0) {
		nothing(b);
		return;
	}
	days = xcalloc(r->nrows, sizeof(*days));
	count = xcalloc(r->nrows * NOUT, sizeof(*count));
	for (i = 0; i < r->nrows; i++) {
		if ((day = report_get(r, i, "day")) == NULL)
			continue;
		if (ndays == 0 || strcmp(days[ndays - 1], day) != 0)
			days[ndays++] = day;	/* rows come by day */
		st = report_get(r, i, "status");
		for (k = 0; k < NOUT; k++)
			if (st != NULL && strcmp(st, outcomes[k]) == 0)
				count[(ndays - 1) * NOUT + k] +=
				    report_get_num(r, i, "sessions");
	}
	for (d = 0; d < ndays; d++) {
		for (total = 0, k = 0; k < NOUT; k++)
			total += count[d * NOUT + k];
		if (total > max)
			max = total;
	}
	ymax = nice_max(max);
	plot_h = DAILY_H - PAD_T - PAD_B;
	bw = (double)(CW - PAD_L - PAD_R) / (double)(ndays > 0 ? ndays : 1);
	if (bw > 60)
		bw = 60;	/* a few days: bars, not walls */
	wbuf_printf(b, "<svg class=\"chart daily\" xmlns=\"http://www.w3.org/"
	    "2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-label=\"Sessions per day by outcome\">\n",
	    CW, DAILY_H, CW, DAILY_H);
	for (g = 0; g <= 4; g++) {
		y = PAD_T + plot_h - plot_h * g / 4;
		wbuf_printf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" "
		    "x2=\"%d\" y2=\"%.1f\"/><text class=\"tick\" x=\"%d\" "
		    "y=\"%.1f\" text-anchor=\"end\">%g</text>\n", PAD_L, y,
		    CW - PAD_R, y, PAD_L - 4, y + 3, ymax * g / 4);
	}
	every = ndays / 8 + 1;
	for (d = 0; d < ndays; d++) {
		x = PAD_L + bw * (double)d;
		y = PAD_T + plot_h;
		wbuf_printf(b, "<g class=\"day\" data-day=\"");
		wbuf_html(b, days[d]);
		wbuf_puts(b, "\">");
		for (k = 0; k < NOUT; k++) {
			if (count[d * NOUT + k] <= 0)
				continue;
			h = plot_h * count[d * NOUT + k] / ymax;
			y -= h;
			wbuf_printf(b, "<rect class=\"bar-%s\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			    "<title>", outcomes[k], x + bw * 0.1, y,
			    bw * 0.8, h);
			wbuf_html(b, days[d]);
			wbuf_printf(b, ": %g %s</title></rect>",
			    count[d * NOUT + k], outcomes[k]);
		}
		if (d % every == 0 || d + 1 == ndays) {
			wbuf_printf(b, "<text class=\"tick\" x=\"%.1f\" "
			    "y=\"%d\" text-anchor=\"middle\">", x + bw / 2,
			    DAILY_H - PAD_B + 14);
			/* "MM-DD": the year is in the caption's range. */
			wbuf_html(b, strlen(days[d]) == 10 ? days[d] + 5 :
			    days[d]);
			wbuf_puts(b, "</text>");
		}
		wbuf_puts(b, "</g>\n");
	}
	wbuf_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
	    "y2=\"%.1f\"/>\n</svg>\n", PAD_L, PAD_T + plot_h, CW - PAD_R,
	    PAD_T + plot_h);
	wbuf_puts(b, "<p class=\"legend\">");
	for (k = 0; k < NOUT; k++)
		wbuf_printf(b, "<span><i class=\"bar-%s\"></i>%s</span>",
		    outcomes[k], outcomes[k]);
	wbuf_puts(b, "</p>\n");
	free(days);
	free(count);
}

struct hbar {
	const char	*label;
	const char	*sub;		/* second label part, or NULL */
	double		 value;
	const char	*cls;
	char		 title[96];
};

static void
hbars(struct wbuf *b, const char *aria, const struct hbar *v, size_t n,
    double max, const char *unit)
{
	double	 w, y;
	size_t	 i;
	int	 h = (int)n * (BAR_H + BAR_GAP) + BAR_GAP;

	wbuf_printf(b, "<svg class=\"chart bars\" xmlns=\"http://www.w3.org/"
	    "2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "role=\"img\" aria-label=\"%s\">\n", CW, h, CW, h, aria);
	for (i = 0; i < n; i++) {
		y = BAR_GAP + (double)i * (BAR_H + BAR_GAP);
		w = max > 0 ? (CW - LABEL_W - 70) * v[i].value / max : 0;
		wbuf_printf(b, "<g class=\"hbar\"><text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">", LABEL_W - 6, y + 14);
		wbuf_html(b, v[i].label);
		wbuf_puts(b, "</text>");
		wbuf_printf(b, "<rect class=\"%s\" x=\"%d\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%d\"><title>", v[i].cls,
		    LABEL_W, y, w < 1 ? 1 : w, BAR_H);
		wbuf_html(b, v[i].label);
		if (v[i].sub != NULL) {
			wbuf_puts(b, " (");
			wbuf_html(b, v[i].sub);
			wbuf_puts(b, ")");
		}
		wbuf_printf(b, ": %s</title></rect><text x=\"%.1f\" "
		    "y=\"%.1f\">%g%s</text></g>\n", v[i].title,
		    LABEL_W + (w < 1 ? 1 : w) + 6, y + 14, v[i].value, unit);
	}
	wbuf_puts(b, "</svg>\n");
}

/*
 * One bar per row of r, as bar() reads it, scaled to max (0: a round
 * number over the largest value); "No data" without rows.
 */
static void
row_bars(struct wbuf *b, const struct report_rows *r, const char *aria,
    double max, const char *unit,
    void (*bar)(const struct report_rows *, size_t, struct hbar *))
{
	struct hbar	*v;
	double		 top = 0;
	size_t		 i;

	if (r == NULL || r->nrows == 0) {
		nothing(b);
		return;
	}
	v = xcalloc(r->nrows, sizeof(*v));
	for (i = 0; i < r->nrows; i++) {
		bar(r, i, &v[i]);
		if (v[i].value > top)
			top = v[i].value;
	}
	hbars(b, aria, v, r->nrows, max > 0 ? max : nice_max(top), unit);
	free(v);
}

static void
quality_bar(const struct report_rows *r, size_t i, struct hbar *v)
{
	static const char *const known[] = { "good", "fair", "poor" };
	size_t	 k;

	v->label = report_get(r, i, "quality");
	if (v->label == NULL)
		v->label = "unknown";
	v->value = report_get_num(r, i, "sessions");
	v->cls = "bar-unknown";
	for (k = 0; k < 3; k++)
		if (strcmp(v->label, known[k]) == 0)
			v->cls = k == 0 ? "bar-good" : k == 1 ? "bar-fair" :
			    "bar-poor";
	snprintf(v->title, sizeof(v->title), "%g session(s)", v->value);
}

void
chart_quality(struct wbuf *b, const struct report_rows *r)
{
	row_bars(b, r, "Sessions per connection quality", 0, "", quality_bar);
}

static void
noshow_bar(const struct report_rows *r, size_t i, struct hbar *v)
{
	v->label = report_get(r, i, "name");
	if (v->label == NULL)
		v->label = report_get(r, i, "participant_id");
	if (v->label == NULL)
		v->label = "?";
	v->sub = report_get(r, i, "participant_id");
	v->value = report_get_num(r, i, "no_show_percent");
	v->cls = v->value >= 20 ? "bar-poor" : v->value > 0 ? "bar-fair" :
	    "bar-good";
	snprintf(v->title, sizeof(v->title), "%g of %g booked "
	    "appointment(s) missed", report_get_num(r, i, "no_shows"),
	    report_get_num(r, i, "booked"));
}

void
chart_noshow(struct wbuf *b, const struct report_rows *r)
{
	row_bars(b, r, "No-show rate per caregiver", 100, " %", noshow_bar);
}
