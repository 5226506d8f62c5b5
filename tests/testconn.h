/*
 * The connection handler of the test programs that are XMPP clients
 * themselves (bench_e2e.c, integration/jitsim.c, live/loadgen.c).
 * libstrophe reports every connection event to one handler; this one
 * opens the stream of a raw connection (xmpp_connect_raw) and turns the
 * rest into the two calls a client cares about: up, the session is ready
 * (add the stanza handlers, start sending), and down, the connection
 * failed or ended (err: libstrophe's error, 0 for a clean end).
 *
 * The client keeps a struct testconn as long as its connection and passes
 * it as the handler's userdata:
 *	xmpp_connect_client(conn, host, port, testconn_cb, &a->tc);
 * Included after <strophe.h>.
 */
#ifndef TELETRACK_TESTCONN_H
#define TELETRACK_TESTCONN_H

struct testconn {
	void	(*up)(xmpp_conn_t *conn, void *arg);
	void	(*down)(xmpp_conn_t *conn, int err, void *arg);
	void	*arg;
};

static void
testconn_cb(xmpp_conn_t *conn, xmpp_conn_event_t ev, int err,
    xmpp_stream_error_t *se, void *arg)
{
	const struct testconn	*tc = arg;

	(void)se;
	if (ev == XMPP_CONN_RAW_CONNECT)
		xmpp_conn_open_stream_default(conn);
	else if (ev == XMPP_CONN_CONNECT)
		tc->up(conn, tc->arg);
	else
		tc->down(conn, err, tc->arg);
}

#endif
