/*
 * The IP pseudonym key: made once, kept with the database's state.
 *
 * A pseudonym must stay the same across restarts (so one address reads
 * as one client over months of records) and must not be recomputable
 * without the key.  So the key is random (getrandom), written once with
 * O_EXCL and mode 0600 next to the database (two daemons starting at
 * once: one creates it, the other reads it), and never logged.  Losing
 * the file only means new pseudonyms from then on.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipkey.h"
#include "xmalloc.h"

char *
ipkey_path(const char *dbpath)
{
	char	*copy = xstrdup(dbpath), *path;

	xasprintf(&path, "%s/teletrack-ip.key", dirname(copy));
	free(copy);
	return path;
}

static int
read_key(int fd, unsigned char *key, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		if ((n = read(fd, key + got, len - got)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int
ipkey_load(const char *path, unsigned char *key, size_t len, char *err,
    size_t errsz)
{
	struct stat	 sb;
	int		 fd, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
			if (fstat(fd, &sb) == 0 && (sb.st_mode & 077) != 0)
				fchmod(fd, 0600);
			if (read_key(fd, key, len) == -1) {
				snprintf(err, errsz, "%s: shorter than %zu "
				    "bytes", path, len);
				close(fd);
				return -1;
			}
			close(fd);
			return 0;
		}
		if (errno != ENOENT)
			break;
		if (getrandom(key, len, 0) != (ssize_t)len) {
			snprintf(err, errsz, "getrandom: %s", strerror(errno));
			return -1;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno == EEXIST)
			continue;	/* made meanwhile: read it */
		if (fd == -1)
			break;
		if (write(fd, key, len) != (ssize_t)len || fsync(fd) == -1) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		close(fd);
		return 0;
	}
	snprintf(err, errsz, "%s: %s", path, strerror(errno));
	return -1;
}
