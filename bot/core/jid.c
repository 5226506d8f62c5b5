/*
 * JID parts for code without a connection: libstrophe's xmpp_jid_*()
 * want an xmpp_ctx_t for their allocations, so one context with the
 * default allocator and no logger is made on first use and kept for the
 * life of the process.  Results are copied to our heap, so callers free()
 * them as everything else of ours (STYLE.md: strophe memory goes to
 * xmpp_free(), ours to free()).
 */
#include <stdlib.h>

#include <strophe.h>

#include "jid.h"
#include "log.h"
#include "xmalloc.h"

static xmpp_ctx_t *
ctx(void)
{
	static xmpp_ctx_t	*c;

	if (c == NULL && (c = xmpp_ctx_new(NULL, NULL)) == NULL)
		fatalx("%s: out of memory", __func__);
	return c;
}

char *
jid_part(const char *jid, enum jid_part part)
{
	static char *(*const fn[])(xmpp_ctx_t *, const char *) = {
		xmpp_jid_node, xmpp_jid_domain, xmpp_jid_resource,
		xmpp_jid_bare
	};
	char	*s, *copy;

	if ((s = fn[part](ctx(), jid)) == NULL)
		return NULL;
	copy = xstrdup(s);	/* ours: free(), not xmpp_free() */
	xmpp_free(ctx(), s);
	return copy;
}
