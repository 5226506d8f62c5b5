/*
 * Client facts the companion module reports (User-Agent, IP address),
 * turned into what the participant row stores.  Pure: no I/O.
 */
#ifndef TELETRACK_CLIENT_H
#define TELETRACK_CLIENT_H

#include <stddef.h>

#define CLIENT_KEY_LEN		32	/* bytes of the IP pseudonym key */
#define CLIENT_PSEUDONYM_LEN	67	/* "h:" + 64 hex digits + NUL */

/*
 * Coarse browser, OS and device names from a User-Agent: static strings,
 * or NULL for what the UA does not say with a well-known token.
 */
void	client_classify(const char *ua, const char **browser,
	    const char **os, const char **device);

/*
 * A pseudonym for ip: "h:" and the hex HMAC-SHA-256 of the address under
 * key (keylen bytes; the daemon keeps a random key of CLIENT_KEY_LEN
 * bytes beside its database).  Without the key nobody can tell which
 * address it stands for, not even by trying every IPv4 address; with
 * the same key the same address always gives the same pseudonym.
 * buf needs CLIENT_PSEUDONYM_LEN bytes.  Returns buf, or NULL when the
 * key is missing or HMAC fails.
 */
char	*client_ip_pseudonym(const unsigned char *key, size_t keylen,
	    const char *ip, char *buf, size_t bufsz);

#endif
