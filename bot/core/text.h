/*
 * Text helpers every module may use: one UTF-8 decoder, one check of
 * user-typed text, one escaper of untrusted text for terminals and logs,
 * one repair of invalid UTF-8, and the filler of callers' error buffers.
 * One copy of each, so every side agrees on what valid UTF-8 is and what
 * a terminal may be shown.  Plain functions: no I/O.
 */
#ifndef TELETRACK_TEXT_H
#define TELETRACK_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at s and its code point in *cp, or
 * 0 (overlong, surrogate, beyond U+10FFFF, truncated; also at a NUL in
 * the middle of a sequence).  A NUL at s[0] decodes as U+0000, length 1.
 */
size_t	 utf8_decode(const unsigned char *s, uint32_t *cp);

/*
 * The first n bytes of s as a NUL-terminated string, copied whole even
 * when they hold a NUL.  Out of memory is fatal; the caller frees it.
 */
char	*text_dupn(const char *s, size_t n);

/*
 * printf fmt into the caller's error buffer err (errsz bytes; nothing
 * when err is NULL or errsz 0).  Never logs: the caller knows the context.
 */
void	 seterr(char *err, size_t errsz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define TEXT_SPACES	0x01	/* white space allowed (names, reasons) */
#define TEXT_EMPTY	0x02	/* "" allowed */

/*
 * Check s as user text named what: valid UTF-8, no control characters
 * (C0, DEL, C1), at most max bytes, white space only with TEXT_SPACES.
 * Returns 0, or -1 with "what: problem" in err.
 */
int	 text_check(const char *what, const char *s, size_t max, int flags,
	    char *err, size_t errsz);

/*
 * Untrusted s made safe for a terminal or a log line: code points a
 * terminal acts on or that reorder a line (C0, DEL, C1, bidi controls,
 * BOM) become \xNN or \uNNNN, an invalid byte \xNN, a backslash "\\", so
 * escapes are unambiguous.  Writes at most dstsz bytes with the NUL,
 * never cutting an escape or a code point; *width (may be NULL) gets the
 * code points written.  Returns the length the whole escaped text needs
 * (like snprintf): at most strlen(s) * 6.
 */
size_t	 text_escape(char *dst, size_t dstsz, const char *s, size_t *width);

/* 1 when a and b are the same text, or both NULL. */
int	 streq(const char *a, const char *b);

/* s with ASCII letters lowercased in place (Jitsi's room names); s. */
char	*text_lower(char *s);

/* s with each invalid UTF-8 byte replaced by U+FFFD; the caller frees. */
char	*text_utf8_repair(const char *s);

#endif
