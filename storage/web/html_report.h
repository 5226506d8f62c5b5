/*
 * `teletrack report html`: the dashboard's pages as one self-contained
 * HTML file (inline CSS and SVG, no script, nothing fetched), for
 * mailing a month's billing or a failed appointment's timeline.
 */
#ifndef TELETRACK_HTML_REPORT_H
#define TELETRACK_HTML_REPORT_H

#include <getopt.h>

struct cmd;

/* Its own long options, for main.c's command table. */
extern const struct option html_report_longopts[];

/*
 * `teletrack report [-c FILE | -d DBFILE] html -o FILE|- [-s ID]... [-a]
 * [-n N] [--from DATE] [--to DATE] [--status S] [--room R]
 * [--caregiver C] [--quality Q]`.  Returns the exit status: 0, 1 error
 * (logged), 2 usage.
 */
int	cmd_report_html(struct cmd *);

#endif
