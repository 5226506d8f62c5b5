/*
 * The dashboard's small pure helpers: a growing output buffer, HTML and
 * URL escaping, query-string parsing, and turning query parameters into
 * a report filter.  No I/O, no database: unit-tested on their own.
 */
#ifndef TELETRACK_WEBUTIL_H
#define TELETRACK_WEBUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

/* A growing NUL-terminated buffer; { NULL, 0, 0 } is empty and valid. */
struct wbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

void	 wbuf_add(struct wbuf *, const char *s, size_t n);
void	 wbuf_puts(struct wbuf *, const char *s);
void	 wbuf_printf(struct wbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Append text escaped for HTML text and quoted attribute values: & < > "
 * ' become entities; invalid UTF-8 bytes become U+FFFD; control
 * characters (but tab and newline), C1 controls, bidi overrides and
 * isolates and the BOM are shown as \xNN or \uNNNN so a name can neither
 * hide nor reorder the text around it.  NULL appends nothing.
 */
void	 wbuf_html(struct wbuf *, const char *text);

/* Append text percent-encoded for a query component (RFC 3986). */
void	 wbuf_url(struct wbuf *, const char *text);

/* The contents (never NULL; "" when empty); the buffer is reset. */
char	*wbuf_take(struct wbuf *, size_t *len);

void	 wbuf_free(struct wbuf *);

#define WEB_MAX_PARAMS	32	/* more is a malformed query */

/* Decoded key=value pairs of a query string, in order. */
struct web_params {
	size_t	 n;
	char	*key[WEB_MAX_PARAMS];
	char	*val[WEB_MAX_PARAMS];
};

/*
 * Parse the query string qs (without '?'; NULL or "" is empty) into p:
 * '&' separates pairs, '=' a key from its value (a key alone has value
 * ""), '+' is a space and %XX a byte.  Returns 0, or -1 (p empty) for a
 * malformed query: a bad or truncated %XX, a %00, invalid UTF-8, or more
 * than WEB_MAX_PARAMS pairs.  web_params_free() frees p either way.
 */
int	 web_params_parse(const char *qs, struct web_params *p);

/* The value of the first pair named key, or NULL.  Borrowed from p. */
const char *web_param(const struct web_params *, const char *key);

void	 web_params_free(struct web_params *);

/* Longest room, caregiver or other free-text filter accepted. */
#define WEB_MAX_FILTER	200
#define WEB_MAX_LIMIT	10000

/*
 * Fill f (pointing into p) and *limit from the parameters from, to
 * (YYYY-MM-DD), status, room, caregiver, quality, sort (a key of
 * report_sort_keys), dir (asc|desc) and limit (1..WEB_MAX_LIMIT; 0 when
 * absent).  Other parameters are ignored.  Returns 0, or -1 with a
 * message in err for the first bad value.
 */
int	 web_filter_parse(const struct web_params *p, struct report_filter *f,
	    int *limit, char *err, size_t errsz);

/* 1 when s is a valid calendar date "YYYY-MM-DD". */
int	 web_date_valid(const char *s);

/*
 * Append the query string ("?a=b&c=d", or nothing when f is empty) that
 * web_filter_parse() reads back as f with limit, overriding the sort
 * with sort/asc when sort is not NULL.
 */
void	 wbuf_filter_query(struct wbuf *, const struct report_filter *f,
	    int limit, const char *sort, int asc);

/*
 * Milliseconds since the epoch of the UTC time "YYYY-MM-DDTHH:MM:SS[.mmm]Z"
 * (also with ' ' for 'T', without 'Z', or a bare date), or -1.
 */
int64_t	 web_parse_time(const char *s);

#endif
