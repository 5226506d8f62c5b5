/*
 * The `schedule` and `settings` commands live in schedule_cli.c; their
 * functions are declared with the command table's shapes in cmd.h.
 */
#ifndef TELETRACK_SCHEDULE_CLI_H
#define TELETRACK_SCHEDULE_CLI_H

#include "cmd.h"

#endif
