/*
 * Libraries the program opens at run time (dlopen) rather than links,
 * so that what one deployment does not use need not be installed nor
 * mapped: libpq for a PostgreSQL database (storage/db_pg.c),
 * libmicrohttpd for the dashboard (storage/web/serve.c), libical for an
 * iCalendar import (cmd/schedule_import.c), libsystemd for sd_notify
 * under systemd (status.c).
 */
#ifndef TELETRACK_DLSYMS_H
#define TELETRACK_DLSYMS_H

#include <stddef.h>

/* For a module's X-macro list of functions: names[] for dlsyms_load(). */
#define DLSYMS_NAME(f)	#f,

/*
 * Unless *lib is open already, dlopen() soname into it and store the
 * address of function names[i] in *slots[i] for each name (names ends
 * with NULL).  Returns 0, or -1 with *lib still NULL and err filled:
 * "need: <dlerror>" when the library cannot be opened, "<lib>: no <name>"
 * (lib: soname up to its first dot) when it lacks a function.  The
 * library stays open: its functions are in use until exit.
 */
int	 dlsyms_load(void **lib, const char *soname, const char *need,
	    const char *const names[], void **const slots[], char *err,
	    size_t errsz);

#endif
