/*
 * The dashboard's request handling without the HTTP library: method, raw
 * URI and Authorization header in, a complete response out.  serve.c
 * glues it to libmicrohttpd; the unit tests call it directly.
 */
#ifndef TELETRACK_ROUTER_H
#define TELETRACK_ROUTER_H

#include <stddef.h>
#include <stdint.h>

struct auth;
struct db;

struct web_server {
	struct db	*db;		/* read-only */
	struct auth	*auth;		/* NULL: no authentication */
	const char	*status_path;	/* the daemon's status file */
};

struct web_response {
	unsigned	 status;	/* 200, 400, 401, 404, 405, 500 */
	const char	*ctype;		/* static string */
	char		*body;		/* malloc'd; the caller frees it */
	size_t		 len;
	char		 filename[64];	/* attachment name, or "" */
	int		 immutable;	/* a compiled-in asset */
};

#define WEB_MAX_URI	8192		/* longer: 414 */
#define WEB_MAX_SEPARATORS 256		/* '&' in a target; more: 414 */

/*
 * 1 when the raw request target uri is small enough to be handled: at
 * most WEB_MAX_URI bytes and WEB_MAX_SEPARATORS '&'.  (serve.c asks
 * before libmicrohttpd splits the query: see there.)
 */
int	 web_target_ok(const char *uri);

/* Fill r with a plain-text refusal. */
void	 web_refuse(struct web_response *r, unsigned status, const char *msg);

/*
 * Answer one request.  uri is the request target as sent ("/path?query",
 * not decoded).  Only GET and HEAD are served (others: 405); every path
 * outside the application is 404 (nothing is read from disk but the
 * status file); a malformed query is 400; with s->auth set, a request
 * without valid credentials is 401.  now_ms is the clock for "today" and
 * the metrics' ages.
 */
void	 web_handle(struct web_server *s, const char *method, const char *uri,
	    const char *authorization, int64_t now_ms, struct web_response *r);

/* Free r's body. */
void	 web_response_free(struct web_response *r);

#endif
