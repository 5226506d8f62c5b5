/*
 * Logging for the daemon and the CLI.  Lines go to stderr with a UTC
 * timestamp and a level word.  Modelled on OpenBSD ntpd's log.c: the
 * warn/warnx split, debug gated by -v, fatal helpers that exit, and errno
 * preserved across every call so callers can log and then inspect it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "text.h"

static int		 verbose;
static const char	*procname = "teletrack";

void
log_init(int v, const char *name)
{
	verbose = v;
	if (name != NULL)
		procname = name;
}

int
log_verbose(void)
{
	return verbose;
}

static void
vlog(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 stamp[32];
	int		 saved = errno;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03dZ %s %s: ", stamp, (int)(tv.tv_usec / 1000),
	    procname, level);
	vfprintf(stderr, fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
	fflush(stderr);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[128];
	int	 saved = errno;

	/* strerror_r (GNU) may return a static string instead of filling err. */
	const char *s = strerror_r(saved, err, sizeof(err));
	va_start(ap, fmt);
	vlog("warning", fmt, ap, s);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("info", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[128];
	const char *s = strerror_r(errno, err, sizeof(err));

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, s);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

char *
log_escape(char *dst, size_t dstsz, const char *src)
{
	if (dstsz == 0)
		return dst;
	if (src == NULL)
		src = "(null)";
	if (text_escape(dst, dstsz, src, NULL) >= dstsz && dstsz > 3) {
		/* Cut, at an escape or a code point, to make room for "...". */
		text_escape(dst, dstsz - 3, src, NULL);
		strcat(dst, "...");
	}
	return dst;
}
