/*
 * The daemon command, `teletrack run -c FILE [-v]`.
 */
#ifndef TELETRACK_RUN_H
#define TELETRACK_RUN_H

#define TELETRACK_VERSION	"0.2.0"

struct cmd;

/* Runs until SIGTERM or SIGINT, then 0. */
int	cmd_run(struct cmd *);

#endif
