/*
 * Client facts: User-Agent classification and the keyed IP pseudonym.
 *
 * The companion module sends a participant's WebSocket User-Agent and IP
 * address (conf/prosody/mod_teletrack.lua).  The raw UA is kept; the
 * coarse names here are only the well-known tokens.  The IP is stored as
 * configured ([tracking] ip_mode): as is, not at all, or (the default)
 * as a pseudonym.  A plain hash of an IPv4 address is no pseudonym (all
 * 2^32 can be tried in seconds), so it is an HMAC under a secret key that
 * never leaves the machine (run.c creates it next to the database).
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "client.h"

void
client_classify(const char *ua, const char **browser, const char **os,
    const char **device)
{
	*browser = *os = *device = NULL;
	if (ua == NULL)
		return;
	if (strstr(ua, "Edg/") != NULL)
		*browser = "Edge";
	else if (strstr(ua, "OPR/") != NULL)
		*browser = "Opera";
	else if (strstr(ua, "Electron/") != NULL)
		*browser = "Electron";
	else if (strstr(ua, "Firefox/") != NULL)
		*browser = "Firefox";
	else if (strstr(ua, "Chrome/") != NULL ||
	    strstr(ua, "CriOS/") != NULL)
		*browser = "Chrome";
	else if (strstr(ua, "Safari/") != NULL)
		*browser = "Safari";
	if (strstr(ua, "Android") != NULL)
		*os = "Android";
	else if (strstr(ua, "iPhone") != NULL || strstr(ua, "iPad") != NULL)
		*os = "iOS";
	else if (strstr(ua, "Windows") != NULL)
		*os = "Windows";
	else if (strstr(ua, "Mac OS X") != NULL ||
	    strstr(ua, "Macintosh") != NULL)
		*os = "macOS";
	else if (strstr(ua, "CrOS") != NULL)
		*os = "ChromeOS";
	else if (strstr(ua, "Linux") != NULL)
		*os = "Linux";
	if (strstr(ua, "iPad") != NULL || strstr(ua, "Tablet") != NULL)
		*device = "tablet";
	else if (strstr(ua, "Mobi") != NULL || strstr(ua, "iPhone") != NULL ||
	    strstr(ua, "Android") != NULL)
		*device = "mobile";
	else if (*os != NULL)
		*device = "desktop";
}

char *
client_ip_pseudonym(const unsigned char *key, size_t keylen, const char *ip,
    char *buf, size_t bufsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0, i;

	if (key == NULL || keylen == 0 || ip == NULL ||
	    bufsz < CLIENT_PSEUDONYM_LEN)
		return NULL;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)ip,
	    strlen(ip), mac, &maclen) == NULL || maclen != 32)
		return NULL;
	buf[0] = 'h';
	buf[1] = ':';
	/* By hand: 32 snprintf() calls cost more than the HMAC itself. */
	for (i = 0; i < maclen; i++) {
		buf[2 + 2 * i] = hex[mac[i] >> 4];
		buf[3 + 2 * i] = hex[mac[i] & 0xf];
	}
	buf[2 + 2 * maclen] = '\0';
	return buf;
}
