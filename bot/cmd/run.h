/*
 * The daemon command, `teletrack run -c FILE [-v]`.
 */
#ifndef TELETRACK_RUN_H
#define TELETRACK_RUN_H

#define TELETRACK_VERSION	"0.2.0"

/* Runs until SIGTERM or SIGINT: 0; 2 after a usage error (printed). */
int	cmd_run(int argc, char **argv);

#endif
