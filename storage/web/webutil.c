/*
 * Pure helpers for the dashboard (serve.c) and the HTML report
 * (html_report.c): the output buffer every page is built in, the one
 * HTML escaper all text from the database goes through, URL encoding for
 * the links a page builds, and the query-string parser with the filter
 * validation behind every list view.
 *
 * Everything a page shows came from the wire at some point (display
 * names, room names, alert details), so the rule is simple: a byte of
 * data reaches HTML only through wbuf_html(), and a byte of data reaches
 * a URL only through wbuf_url().  Literal markup goes through wbuf_puts()
 * and wbuf_printf() with format strings of our own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text.h"
#include "webutil.h"
#include "xmalloc.h"

static void
grow(struct wbuf *b, size_t n)
{
	size_t	 cap;

	if (b->len + n + 1 <= b->cap)
		return;
	cap = b->cap == 0 ? 256 : b->cap;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->s = xreallocarray(b->s, cap, 1);
	b->cap = cap;
}

void
wbuf_add(struct wbuf *b, const char *s, size_t n)
{
	grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
wbuf_puts(struct wbuf *b, const char *s)
{
	wbuf_add(b, s, strlen(s));
}

void
wbuf_printf(struct wbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Code points shown as escapes: they act on or reorder the text. */
static int
unsafe(uint32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || (c >= 0x7f &&
	    c <= 0x9f) || c == 0x200e || c == 0x200f || (c >= 0x2028 &&
	    c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

/* The entity that stands for c in HTML text and attributes, or NULL. */
static const char *
entity(uint32_t c)
{
	static const char *const ent[] = {
		['"'] = "&quot;",
		['&'] = "&amp;",
		['\''] = "&#39;",
		['<'] = "&lt;",
		['>'] = "&gt;",
	};

	return c < sizeof(ent) / sizeof(ent[0]) ? ent[c] : NULL;
}

void
wbuf_html(struct wbuf *b, const char *text)
{
	const unsigned char	*p = (const unsigned char *)text;
	const unsigned char	*run;
	const char		*e;
	uint32_t		 c;
	size_t			 n;

	if (text == NULL)
		return;
	while (*p != '\0') {
		/* Copy plain ASCII in runs: names are mostly that. */
		for (run = p; *p >= 0x20 && *p < 0x7f && entity(*p) == NULL;
		    p++)
			;
		if (p > run)
			wbuf_add(b, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if ((n = utf8_decode(p, &c)) == 0) {
			wbuf_puts(b, "\xef\xbf\xbd");	/* U+FFFD */
			p++;
			continue;
		}
		if ((e = entity(c)) != NULL)
			wbuf_puts(b, e);
		else if (unsafe(c))
			wbuf_printf(b, c < 0x100 ? "\\x%02x" : "\\u%04x",
			    (unsigned)c);
		else
			wbuf_add(b, (const char *)p, n);
		p += n;
	}
}

void
wbuf_url(struct wbuf *b, const char *text)
{
	const unsigned char	*p;
	char			 hex[4];

	if (text == NULL)
		return;
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~')
			wbuf_add(b, (const char *)p, 1);
		else {
			snprintf(hex, sizeof(hex), "%%%02X", *p);
			wbuf_add(b, hex, 3);
		}
	}
}

char *
wbuf_take(struct wbuf *b, size_t *len)
{
	char	*s;

	if (b->s == NULL)
		wbuf_add(b, "", 0);
	s = b->s;
	if (len != NULL)
		*len = b->len;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
wbuf_free(struct wbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/*
 * Query strings
 */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) into a new string, or NULL when malformed. */
static char *
decode(const char *s, size_t n)
{
	char	*out = xmalloc(n + 1);
	size_t	 i, o = 0, k, len;
	uint32_t c;
	int	 h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] != '%')
			out[o++] = s[i];
		else {
			if (i + 2 >= n)
				goto bad;	/* truncated: "%4" */
			if ((h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0 ||
			    (h == 0 && l == 0))
				goto bad;
			out[o++] = (char)(h * 16 + l);
			i += 2;
		}
	}
	out[o] = '\0';
	/* Everything downstream expects text: refuse invalid UTF-8. */
	for (k = 0; k < o; k += len)
		if ((len = utf8_decode((const unsigned char *)out + k,
		    &c)) == 0)
			goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

int
web_params_parse(const char *qs, struct web_params *p)
{
	const char	*pair, *end, *eq;

	memset(p, 0, sizeof(*p));
	if (qs == NULL)
		return 0;
	for (pair = qs; *pair != '\0'; pair = *end == '&' ? end + 1 : end) {
		end = pair + strcspn(pair, "&");
		if (end == pair)
			continue;	/* "a=1&&b=2" */
		if (p->n == WEB_MAX_PARAMS)
			goto bad;
		eq = memchr(pair, '=', (size_t)(end - pair));
		if ((p->key[p->n] = decode(pair, (size_t)((eq != NULL ? eq :
		    end) - pair))) == NULL)
			goto bad;
		if ((p->val[p->n] = decode(eq != NULL ? eq + 1 : end,
		    eq != NULL ? (size_t)(end - eq - 1) : 0)) == NULL) {
			free(p->key[p->n]);
			goto bad;
		}
		p->n++;
	}
	return 0;
bad:
	web_params_free(p);
	return -1;
}

const char *
web_param(const struct web_params *p, const char *key)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	return NULL;
}

void
web_params_free(struct web_params *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		free(p->key[i]);
		free(p->val[i]);
	}
	memset(p, 0, sizeof(*p));
}

/*
 * Filters
 */

int
web_date_valid(const char *s)
{
	struct tm	 tm;
	int		 i, y, m, d;
	time_t		 t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	/* timegm() normalises 02-30 to 03-02: a real date survives. */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	return tm.tm_mon == m - 1 && tm.tm_mday == d;
}

static const char *const statuses[] = {
	"scheduled", "active", "completed", "failed", "cancelled", NULL
};
static const char *const qualities[] = { "good", "fair", "poor", NULL };

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Free text: bounded, no control characters. */
static int
text_ok(const char *s)
{
	const unsigned char	*p;

	if (strlen(s) > WEB_MAX_FILTER)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* v, or NULL for NULL and "" (an empty form field filters nothing). */
static const char *
nonempty(const char *v)
{
	return v != NULL && *v != '\0' ? v : NULL;
}

int
web_filter_parse(const struct web_params *p, struct report_filter *f,
    int *limit, char *err, size_t errsz)
{
	/*
	 * The text fields, checked in this order: by ok(), or by being
	 * in list; err NULL is free text (text_ok()).
	 */
	const struct {
		const char		*key;
		const char		**dst;
		int			(*ok)(const char *);
		const char *const	*list;
		const char		*err;
	} fields[] = {
		{ "from", &f->from, web_date_valid, NULL,
		    "from, to: a date YYYY-MM-DD" },
		{ "to", &f->to, web_date_valid, NULL,
		    "from, to: a date YYYY-MM-DD" },
		{ "status", &f->status, NULL, statuses, "status: one of "
		    "scheduled, active, completed, failed, cancelled" },
		{ "quality", &f->quality, NULL, qualities,
		    "quality: one of good, fair, poor" },
		{ "room", &f->room, text_ok, NULL, NULL },
		{ "caregiver", &f->caregiver, text_ok, NULL, NULL },
		{ "sort", &f->sort, report_sort_valid, NULL,
		    "sort: not a column that sorts" },
	};
	const char	*v, *dir;
	char		*end;
	long		 n;
	size_t		 i;

	memset(f, 0, sizeof(*f));
	*limit = 0;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if ((v = nonempty(web_param(p, fields[i].key))) == NULL)
			continue;
		if (fields[i].list != NULL ? !in_list(v, fields[i].list) :
		    !fields[i].ok(v)) {
			if (fields[i].err != NULL)
				seterr(err, errsz, "%s", fields[i].err);
			else
				seterr(err, errsz, "room, caregiver: at most "
				    "%d characters, no control characters",
				    WEB_MAX_FILTER);
			return -1;
		}
		*fields[i].dst = v;
	}
	if ((dir = nonempty(web_param(p, "dir"))) != NULL) {
		if (strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0) {
			seterr(err, errsz, "dir: asc or desc");
			return -1;
		}
		f->asc = strcmp(dir, "asc") == 0;
	}
	if ((v = nonempty(web_param(p, "limit"))) != NULL) {
		n = strtol(v, &end, 10);
		if (*end != '\0' || n < 1 || n > WEB_MAX_LIMIT ||
		    strlen(v) > 6) {
			seterr(err, errsz, "limit: a number from 1 to %d",
			    WEB_MAX_LIMIT);
			return -1;
		}
		*limit = (int)n;
	}
	return 0;
}

/* Append "?" or "&", then key=value with value URL-encoded. */
static void
qpair(struct wbuf *b, int *first, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	wbuf_puts(b, *first ? "?" : "&");
	*first = 0;
	wbuf_puts(b, key);
	wbuf_puts(b, "=");
	wbuf_url(b, value);
}

void
wbuf_filter_query(struct wbuf *b, const struct report_filter *f, int limit,
    const char *sort, int asc)
{
	char	 n[16];
	int	 first = 1;

	qpair(b, &first, "from", f->from);
	qpair(b, &first, "to", f->to);
	qpair(b, &first, "status", f->status);
	qpair(b, &first, "room", f->room);
	qpair(b, &first, "caregiver", f->caregiver);
	qpair(b, &first, "quality", f->quality);
	if (sort == NULL) {
		sort = f->sort;
		asc = f->asc;
	}
	if (sort != NULL) {
		qpair(b, &first, "sort", sort);
		qpair(b, &first, "dir", asc ? "asc" : "desc");
	}
	if (limit > 0) {
		snprintf(n, sizeof(n), "%d", limit);
		qpair(b, &first, "limit", n);
	}
}

int64_t
web_parse_time(const char *s)
{
	struct tm	 tm;
	const char	*p;
	int		 ms = 0, i;

	if (s == NULL || strlen(s) < 10)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*p == 'T' || *p == ' ') {
		if ((p = strptime(p + 1, "%H:%M:%S", &tm)) == NULL)
			return -1;
		if (*p == '.') {
			for (i = 0, p++; i < 3 && *p >= '0' && *p <= '9';
			    i++, p++)
				ms = ms * 10 + (*p - '0');
			for (; i < 3; i++)
				ms *= 10;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == 'Z')
			p++;
	}
	if (*p != '\0')
		return -1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}
