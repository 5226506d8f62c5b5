/*
 * One reader of a small file into memory, for the files teletrack reads
 * whole: the dashboard's password and token files, the daemon's status
 * file, a schedule to import.
 */
#ifndef TELETRACK_READFILE_H
#define TELETRACK_READFILE_H

#include <stddef.h>

#define READ_TRUNCATE	0x01	/* a longer file: its first max bytes */

/*
 * The file at path as a NUL-terminated string of *lenp bytes (lenp may be
 * NULL), or NULL with errno set: by fopen() or fread(), or EFBIG when it
 * holds more than max bytes (unless READ_TRUNCATE is in flags).  The
 * caller frees it.
 */
char	*read_file(const char *path, size_t max, int flags, size_t *lenp);

#endif
