/*
 * The XMPP transport: the only module that touches the network.  It owns
 * the libstrophe context and connection, logs in, reconnects with backoff
 * and jitter, parses every stanza (presence.c, message.c, disco answers)
 * and hands it to the observer, sends what the observer asks
 * (struct observer_io), and answers on its own the IQs every client must
 * answer (disco#info, ping, Jingle).  It makes no decision about meetings.
 */
#ifndef TELETRACK_TRANSPORT_H
#define TELETRACK_TRANSPORT_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "observer.h"

struct transport;

/*
 * Before any thread starts (it may setenv): with cfg's ca_file set,
 * OpenSSL's default CA file becomes ca_file (see transport.c).  Returns 1
 * when it set SSL_CERT_FILE, with *was its former value (NULL: unset;
 * free() it), else 0.
 */
int			 transport_tls_defaults(const struct config *cfg,
			    char **was);

/*
 * A transport for cfg's [xmpp] account (cfg borrowed for its lifetime).
 * NULL when libstrophe cannot start.  transport_free() frees it.
 */
struct transport	*transport_new(const struct config *cfg);
void			 transport_free(struct transport *);

/* The calls the observer sends through (valid while t lives). */
const struct observer_io *transport_io(struct transport *);

/*
 * Run the event loop, handing everything to obs, until *stop becomes
 * nonzero (set by a signal handler); then obs leaves its rooms, the
 * batch is committed and the connection closed.  When *reload becomes
 * nonzero it is cleared and reload(arg, now) is called from the loop.
 */
void			 transport_run(struct transport *, struct observer *obs,
			    volatile sig_atomic_t *stop,
			    volatile sig_atomic_t *reload,
			    void (*reload_cb)(void *arg, int64_t now),
			    void *arg);

#endif
