/*
 * Text helpers (text.h): UTF-8 decoding, checking user text, escaping
 * untrusted text for terminals and logs, repairing invalid UTF-8.  Used by
 * the commands (report output, schedule input), storage (error buffers),
 * the settings table and log.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t	 n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

char *
text_dupn(const char *s, size_t n)
{
	char	*d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Unicode white space (C0 and C1 controls are refused separately). */
static int
uspace(uint32_t c)
{
	return c == ' ' || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff;
}

static int
control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

int
text_check(const char *what, const char *s, size_t max, int flags,
    char *err, size_t errsz)
{
	const unsigned char	*p;
	uint32_t		 c;
	size_t			 n, len;

	if (s == NULL || (*s == '\0' && !(flags & TEXT_EMPTY))) {
		seterr(err, errsz, "%s: missing", what);
		return -1;
	}
	if ((len = strlen(s)) > max) {
		seterr(err, errsz, "%s: too long (%zu bytes, at most %zu)",
		    what, len, max);
		return -1;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		if ((n = utf8_decode(p, &c)) == 0) {
			seterr(err, errsz, "%s: not valid UTF-8", what);
			return -1;
		}
		if (control(c)) {
			seterr(err, errsz, "%s: contains a control character",
			    what);
			return -1;
		}
		if (!(flags & TEXT_SPACES) && uspace(c)) {
			seterr(err, errsz, "%s: contains white space", what);
			return -1;
		}
	}
	return 0;
}

/* Code points a terminal acts on or that reorder the line. */
static int
unsafe(uint32_t c)
{
	return control(c) || c == 0x200e || c == 0x200f ||
	    (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0xfeff;
}

size_t
text_escape(char *dst, size_t dstsz, const char *s, size_t *width)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 tmp[8];
	size_t			 o = 0, need = 0, n, len, w = 0;
	uint32_t		 c;
	int			 plain;

	for (; *p != '\0'; p += n) {
		plain = 0;
		if ((n = utf8_decode(p, &c)) == 0) {
			len = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x",
			    *p);
			n = 1;
		} else if (c == '\\')
			len = (size_t)snprintf(tmp, sizeof(tmp), "\\\\");
		else if (unsafe(c))
			len = (size_t)snprintf(tmp, sizeof(tmp),
			    c < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)c);
		else {
			memcpy(tmp, p, n);
			len = n;
			plain = 1;
		}
		/* Once something did not fit, nothing after it is written. */
		if (need == o && o + len < dstsz) {
			memcpy(dst + o, tmp, len);
			o += len;
			w += plain ? 1 : len;	/* an escape is ASCII */
		}
		need += len;
	}
	if (dstsz > 0)
		dst[o] = '\0';
	if (width != NULL)
		*width = w;
	return need;
}

char *
text_utf8_repair(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out = xmalloc(strlen(s) * 3 + 1);
	size_t			 o = 0, n;
	uint32_t		 c;

	while (*p != '\0') {
		if ((n = utf8_decode(p, &c)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
		} else {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
	}
	out[o] = '\0';
	return out;
}

int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

char *
text_lower(char *s)
{
	char	*p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}
