/*
 * The `teletrack serve` command: the read-only web dashboard, its JSON
 * API and /metrics over HTTP (libmicrohttpd).
 */
#ifndef TELETRACK_SERVE_H
#define TELETRACK_SERVE_H

#include <getopt.h>

struct cmd;

/* Its own long options, for main.c's command table. */
extern const struct option serve_longopts[];

/*
 * `teletrack serve [-c FILE | -d DBFILE] [-l ADDR:PORT]
 * [--password-file FILE] [--token-file FILE] [--status-file FILE] [-v]`:
 * runs until SIGINT or SIGTERM.  Returns the exit status: 0 stopped by a
 * signal, 1 error (logged), 2 usage.
 */
int	cmd_serve(struct cmd *);

#endif
