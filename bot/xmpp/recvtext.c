/*
 * Not paying for a debug line nobody reads.
 *
 * libstrophe 0.12 (conn.c, _handle_stream_stanza) turns EVERY received
 * stanza back into text with xmpp_stanza_to_text() only to build a
 * "RECV: ..." debug line, before it hands the stanza to our handlers,
 * whatever the log level.  With Jitsi presence (~1 KB each) that is
 * about 45% of the receive path (../shared/bench/blast, callgrind).  The
 * clean fix belongs upstream (serialize only when debug logging is on);
 * until Debian ships one, this file interposes xmpp_stanza_to_text (the
 * library calls it through its PLT, so the executable's definition wins)
 * and declines, with an error the caller already handles by skipping its
 * debug line, exactly that call:
 *
 *   - only while debug logging is off (with -v the RECV lines appear);
 *   - only between login and disconnect (libstrophe's own SASL and bind
 *     stanzas are sent before the connection is up);
 *   - never while we send (transport.c wraps each xmpp_send() in
 *     recvtext_sending(), since sending needs the real serializer);
 *   - only for stanzas with a 'from' attribute: the server stamps every
 *     stanza it delivers, and nothing we or libstrophe send carries one.
 *
 * Every other call goes to the real function, found with dlsym(RTLD_NEXT).
 * recvtext_declined() counts the skipped calls for the benchmark.
 */
#include <dlfcn.h>
#include <stddef.h>

#include <strophe.h>

#include "log.h"
#include "recvtext.h"

static int		 connected;
static int		 sending;
static unsigned long	 declined;

int
xmpp_stanza_to_text(xmpp_stanza_t *stanza, char **buf, size_t *buflen)
{
	static int (*real)(xmpp_stanza_t *, char **, size_t *);

	if (connected && !sending && !log_verbose() &&
	    xmpp_stanza_get_from(stanza) != NULL) {
		declined++;
		*buf = NULL;
		*buflen = 0;
		return XMPP_EMEM;
	}
	if (real == NULL &&
	    (*(void **)&real = dlsym(RTLD_NEXT, "xmpp_stanza_to_text")) ==
	    NULL)
		fatalx("dlsym xmpp_stanza_to_text: %s", dlerror());
	return real(stanza, buf, buflen);
}

void
recvtext_connected(int on)
{
	connected = on;
}

void
recvtext_sending(int on)
{
	sending = on;
}

unsigned long
recvtext_declined(void)
{
	return declined;
}
