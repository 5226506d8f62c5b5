/*
 * The receive-side debug serialization of libstrophe, skipped while
 * nobody reads it (see recvtext.c).  transport.c tells it when the
 * connection is up and when it sends.
 */
#ifndef TELETRACK_RECVTEXT_H
#define TELETRACK_RECVTEXT_H

/* The XMPP session is up (1) or not (0). */
void		 recvtext_connected(int on);

/* Around each xmpp_send(): sending needs the real serializer. */
void		 recvtext_sending(int on);

/* How many received stanzas were not turned into text. */
unsigned long	 recvtext_declined(void);

#endif
