/*
 * Reading a small file whole (readfile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "readfile.h"
#include "xmalloc.h"

char *
read_file(const char *path, size_t max, int flags, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;
	int	 saved;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	buf = xmalloc(max + 1);
	/* One byte more than max tells a file of max bytes from a longer. */
	n = fread(buf, 1, max + 1, fp);
	if (ferror(fp) || (n > max && !(flags & READ_TRUNCATE))) {
		saved = ferror(fp) ? errno : EFBIG;
		fclose(fp);
		free(buf);
		errno = saved;
		return NULL;
	}
	fclose(fp);
	if (n > max)
		n = max;
	buf[n] = '\0';
	if (lenp != NULL)
		*lenp = n;
	return buf;
}
