/*
 * Logging to stderr in the style of ntpd's log.c: log_warn appends
 * strerror(errno), log_warnx does not, log_debug prints only when verbose,
 * fatal/fatalx log and exit(1).  Every call preserves errno.  Under
 * systemd (JOURNAL_STREAM) lines carry "<N>" priority prefixes.
 */
#ifndef TELETRACK_LOG_H
#define TELETRACK_LOG_H

#include <stddef.h>

void	log_init(int verbose, const char *procname);
/*
 * From the configuration: drop lines below lvl (a syslog.h priority:
 * LOG_DEBUG, LOG_INFO, LOG_WARNING; ignored after log_init() with verbose
 * set) and copy every line to syslog(3) when syslog_too is set.
 */
void	log_configure(int lvl, int syslog_too);
int	log_verbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy untrusted text (nicks, status texts) into dst for logging, escaped
 * as text_escape() does (controls, bidi overrides and invalid bytes become
 * \xNN or \uNNNN); when it does not fit in dstsz bytes it is cut and
 * ends in "...".  Returns dst.  NULL src gives "(null)".
 */
char	*log_escape(char *dst, size_t dstsz, const char *src);

#endif
