/*
 * Logging for the daemon and the CLI.  Lines go to stderr with a UTC
 * timestamp and a level word.  Modelled on OpenBSD ntpd's log.c: the
 * warn/warnx split, debug gated by -v, fatal helpers that exit, and errno
 * preserved across every call so callers can log and then inspect it.
 *
 * Under systemd, stderr is a journald stream: systemd sets JOURNAL_STREAM
 * to its "device:inode", and when that is still our stderr each line
 * starts with its priority as "<N>" (sd-daemon(3)) instead of a timestamp
 * the journal adds anyway.  `[log] syslog` copies every line to syslog(3)
 * as well; `[log] level` drops lines below it (-v still means debug).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "text.h"

static int		 verbose;
static int		 level = LOG_INFO;	/* lines above it are dropped */
static int		 journal;	/* stderr is journald's: "<N>" */
static int		 to_syslog;
static const char	*procname = "teletrack";

/* 1 when $JOURNAL_STREAM names the file stderr is now. */
static int
stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	struct stat		 sb;
	unsigned long long	 dev, ino;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &sb) == -1)
		return 0;
	return (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

void
log_init(int v, const char *name)
{
	verbose = v;
	if (verbose)
		level = LOG_DEBUG;
	if (name != NULL)
		procname = name;
	journal = stderr_is_journal();
}

void
log_configure(int lvl, int syslog_too)
{
	if (!verbose)
		level = lvl;
	if (syslog_too && !to_syslog)
		openlog(procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!syslog_too && to_syslog)
		closelog();
	to_syslog = syslog_too;
}

int
log_verbose(void)
{
	return level >= LOG_DEBUG;
}

static void
vlog(int pri, const char *word, const char *fmt, va_list ap,
    const char *suffix)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 stamp[32];
	va_list		 ap2;
	int		 saved = errno;

	if (pri > level)
		return;
	if (to_syslog) {
		va_copy(ap2, ap);
		if (suffix != NULL) {
			char	 msg[1024];

			vsnprintf(msg, sizeof(msg), fmt, ap2);
			syslog(pri, "%s: %s", msg, suffix);
		} else
			vsyslog(pri, fmt, ap2);
		va_end(ap2);
	}
	if (journal)
		fprintf(stderr, "<%d>%s: ", pri, word);
	else {
		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03dZ %s %s: ", stamp,
		    (int)(tv.tv_usec / 1000), procname, word);
	}
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
	vlog(LOG_WARNING, "warning", fmt, ap, s);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "warning", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, "info", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (level < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[128];
	const char *s = strerror_r(errno, err, sizeof(err));

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal", fmt, ap, s);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "fatal", fmt, ap, NULL);
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
