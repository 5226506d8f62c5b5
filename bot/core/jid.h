/*
 * JID parts through libstrophe's xmpp_jid_node/_domain/_resource/_bare,
 * for code that has no connection (and so no xmpp_ctx_t) at hand: the
 * config, the schedule reader.  No stringprep: the parts are split as
 * RFC 7622 section 3.2 says and returned as they are.
 */
#ifndef TELETRACK_JID_H
#define TELETRACK_JID_H

enum jid_part {
	JID_NODE,
	JID_DOMAIN,
	JID_RESOURCE,
	JID_BARE	/* node@domain, or domain */
};

/*
 * That part of jid, or NULL when it has none ("room" has no node, "a@b"
 * no resource).  The caller frees the result with free().
 */
char	*jid_part(const char *jid, enum jid_part);

#endif
