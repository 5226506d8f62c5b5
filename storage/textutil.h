/*
 * Small text helpers shared by the storage modules: the report command
 * decodes UTF-8 to escape stored strings, scheduling decodes it to check
 * what a user typed, and both cut strings out of buffers.  One copy of
 * each so the two sides agree on what valid UTF-8 is; and the one filler
 * of the error buffers their open functions hand back.
 */
#ifndef TELETRACK_TEXTUTIL_H
#define TELETRACK_TEXTUTIL_H

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

#endif
