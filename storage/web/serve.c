/*
 * `teletrack serve`: the dashboard over HTTP.  libmicrohttpd (Debian's
 * libmicrohttpd-dev) owns the sockets and HTTP parsing in one internal
 * polling thread; every request is answered there by router.c, so the
 * read-only database handle and its statement cache are only ever used
 * by that thread.  The main thread blocks SIGINT and SIGTERM before the
 * server starts (the server thread inherits the mask) and waits for them
 * with sigwait(): no signal handler at all.
 *
 * Exposure: 127.0.0.1:8080 by default.  Any other address must come with
 * --password-file or --token-file (the server refuses to start without
 * one), and TLS belongs in a reverse proxy in front (see the README).
 * Bounded work per client: at most SERVE_CONNECTIONS connections, idle
 * ones closed after SERVE_TIMEOUT_S, a request's header block limited by
 * libmicrohttpd's per-connection memory (SERVE_CONN_MEMORY), request
 * bodies never read.
 *
 * libmicrohttpd is opened (dlopen) by this command only, like libpq in
 * db_pg.c: the daemon never serves, and linking it would load it with
 * GnuTLS and its libraries into every process (2.6 MB of RSS).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "auth.h"
#include "clock.h"
#include "cmd.h"
#include "db.h"
#include "dlsyms.h"
#include "log.h"
#include "router.h"
#include "status.h"
#include "xmalloc.h"

/* The libmicrohttpd functions used, loaded by name (dlsyms.h). */
#define MHD_FUNCS(X)							\
	X(MHD_start_daemon)						\
	X(MHD_stop_daemon)						\
	X(MHD_lookup_connection_value)					\
	X(MHD_create_response_from_buffer)				\
	X(MHD_add_response_header)					\
	X(MHD_queue_response)						\
	X(MHD_queue_basic_auth_fail_response)				\
	X(MHD_destroy_response)

static struct {
	void	*lib;
#define MHD_PTR(f)	__typeof__(f) *f;
	MHD_FUNCS(MHD_PTR)
#undef MHD_PTR
} mhd;
#define MHD_SLOT(f)	(void **)&mhd.f,
static const char *const mhd_names[] = { MHD_FUNCS(DLSYMS_NAME) NULL };
static void **const mhd_slots[] = { MHD_FUNCS(MHD_SLOT) };

#define SERVE_DEFAULT_LISTEN	"127.0.0.1:8080"
#define SERVE_CONNECTIONS	64
#define SERVE_TIMEOUT_S		15
#define SERVE_CONN_MEMORY	(64 * 1024)

/*
 * The policy of every response: nothing but this origin's own script,
 * style, images and fetches; no inline script or style, no plugins, no
 * framing, forms only back here.  Inline SVG needs no source.
 */
#define SERVE_CSP \
	"default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self'; connect-src 'self'; form-action 'self'; " \
	"base-uri 'none'; frame-ancestors 'none'"

/* One request: its raw target, from the URI log callback. */
struct req {
	char	*uri;
};

/*
 * Parse "ADDR:PORT" or "[V6ADDR]:PORT" (numeric addresses only) into ss.
 * Returns 0, or -1.
 */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)ss;
	char			 host[64];
	const char		*colon, *h = s;
	size_t			 hl;
	char			*end;
	long			 port;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 1 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/*
 * The raw request target, before libmicrohttpd splits its query into
 * its per-connection memory.  libmicrohttpd 0.9.75 neither answers nor
 * reports the completion of a request whose parameters do not fit there
 * (it closes the connection at the idle timeout), so nothing is
 * allocated for a target too big to be ours: handler() refuses those.
 */
static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req	*rq;

	(void)cls;
	(void)c;
	if (uri == NULL || !web_target_ok(uri))
		return NULL;
	rq = xcalloc(1, sizeof(*rq));
	rq->uri = xstrdup(uri);
	return rq;
}

static void
done_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req	*rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq != NULL) {
		free(rq->uri);
		free(rq);
		*con_cls = NULL;
	}
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 msg[512], esc[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	/* Its messages may quote the client's bytes. */
	log_debug("http: %s", log_escape(esc, sizeof(esc), msg));
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct web_server	*s = cls;
	struct req		*rq = *con_cls;
	struct web_response	 r;
	struct MHD_Response	*resp;
	char			 disp[96], esc[160];
	enum MHD_Result		 ret;

	(void)version;
	(void)upload_data;
	*upload_size = 0;	/* a body is never read: drop it */
	if (rq == NULL)
		web_refuse(&r, 414, "Request target too long.");
	else
		web_handle(s, method, rq->uri,
		    mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION), now_ms(), &r);
	log_debug("%s %s -> %u", method, log_escape(esc, sizeof(esc),
	    rq != NULL ? rq->uri : url), r.status);

	resp = mhd.MHD_create_response_from_buffer(r.len, r.body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		web_response_free(&r);
		return MHD_NO;
	}
	r.body = NULL;		/* the response owns it now */
	mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    r.ctype);
	mhd.MHD_add_response_header(resp, "Content-Security-Policy",
	    SERVE_CSP);
	mhd.MHD_add_response_header(resp, "X-Content-Type-Options",
	    "nosniff");
	mhd.MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	mhd.MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	mhd.MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
	    "same-origin");
	mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    r.immutable ? "max-age=3600" : "no-store");
	if (r.filename[0] != '\0') {
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"",
		    r.filename);
		mhd.MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	}
	if (r.status == 405)
		mhd.MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	if (r.status == 401)
		ret = mhd.MHD_queue_basic_auth_fail_response(c, "teletrack",
		    resp);
	else
		ret = mhd.MHD_queue_response(c, r.status, resp);
	mhd.MHD_destroy_response(resp);
	return ret;
}

const struct option serve_longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "password-file", required_argument, NULL, 'P' },
	{ "status-file", required_argument, NULL, 'S' },
	{ "token-file", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_serve(struct cmd *c)
{
	struct sockaddr_storage	 ss;
	struct web_server	 srv;
	struct MHD_Daemon	*d = NULL;
	struct db		*db = NULL;
	struct auth		*auth = NULL;
	sigset_t		 set;
	socklen_t		 sslen;
	const char		*listen, *passwd, *token, *status;
	char			*status_alloc = NULL, err[512], esc[128];
	int			 sig = 0, rc = 1;

	if ((listen = cmd_arg(c, 'l')) == NULL)
		listen = SERVE_DEFAULT_LISTEN;
	passwd = cmd_arg(c, 'P');
	status = cmd_arg(c, 'S');
	token = cmd_arg(c, 'T');
	if (parse_listen(listen, &ss, &sslen) == -1) {
		log_warnx("--listen %s: not ADDR:PORT with a numeric address",
		    log_escape(esc, sizeof(esc), listen));
		return 2;
	}
	if (!is_loopback(&ss) && passwd == NULL && token == NULL) {
		log_warnx("--listen %s is not a loopback address: give "
		    "--password-file or --token-file (and put TLS in front)",
		    log_escape(esc, sizeof(esc), listen));
		return 2;
	}
	if ((passwd != NULL || token != NULL) && (auth = auth_load(passwd,
	    token, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if (dlsyms_load(&mhd.lib, "libmicrohttpd.so.12", "the dashboard needs "
	    "libmicrohttpd (Debian package libmicrohttpd12)", mhd_names,
	    mhd_slots, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto out;
	}
	if ((db = cmd_db_open(c, DB_READONLY, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	/* A PostgreSQL daemon keeps it beside its config's database. */
	if (status == NULL && c->statepath != NULL)
		status = status_alloc = status_path(c->statepath);

	memset(&srv, 0, sizeof(srv));
	srv.db = db;
	srv.auth = auth;
	srv.status_path = status;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = mhd.MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, handler, &srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVE_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_CONN_MEMORY,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		log_warnx("cannot listen on %s (in use? run with -v for "
		    "details)", log_escape(esc, sizeof(esc), listen));
		goto out;
	}
	log_info("dashboard on http://%s/ (database %s, read-only%s)",
	    log_escape(esc, sizeof(esc), listen), db_path(db),
	    auth != NULL ? ", authentication on" : "");
	if (sigwait(&set, &sig) != 0)
		log_warnx("sigwait failed");
	log_info("stopping on signal %d", sig);
	rc = 0;
out:
	if (d != NULL)
		mhd.MHD_stop_daemon(d);
	db_close(db);
	auth_free(auth);
	free(status_alloc);
	return rc;
}
