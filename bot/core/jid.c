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

/* Move a libstrophe string to our heap; NULL stays NULL. */
static char *
ours(char *s)
{
	char	*copy;

	if (s == NULL)
		return NULL;
	copy = xstrdup(s);
	xmpp_free(ctx(), s);
	return copy;
}

char *
jid_node(const char *jid)
{
	return ours(xmpp_jid_node(ctx(), jid));
}

char *
jid_domain(const char *jid)
{
	return ours(xmpp_jid_domain(ctx(), jid));
}

char *
jid_resource(const char *jid)
{
	return ours(xmpp_jid_resource(ctx(), jid));
}

char *
jid_bare(const char *jid)
{
	return ours(xmpp_jid_bare(ctx(), jid));
}
