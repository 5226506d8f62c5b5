/*
 * Alert delivery: the sink for EVENT_ALERT.  Each raise and clear goes as
 * a chat message (with the alert as XEP-0335 JSON) to every admin address
 * of [alerts] admin_jids and meeting_settings.alert_admin_jids, and to the
 * [alerts] command (notify.c).  Room addresses are refused: the observer
 * never speaks in a room.  Delivery never holds up recording.
 */
#ifndef TELETRACK_ALERT_H
#define TELETRACK_ALERT_H

#include <stdint.h>

#include "config.h"
#include "event.h"

struct alerter;
struct observer_io;

/* From cfg's [alerts] (copied); sending chats through io (borrowed). */
struct alerter	*alerter_new(const struct config *cfg,
		    const struct observer_io *io);
void		 alerter_free(struct alerter *);	/* NULL is fine */

/* New [alerts] settings (a reloaded config); copied. */
void		 alerter_reload(struct alerter *, const struct config *cfg);

/* The admin addresses meeting_settings adds (comma list; copied). */
void		 alerter_set_admins(struct alerter *, const char *jids);

/* Deliver an EVENT_ALERT; online: the XMPP session is up. */
void		 alerter_deliver(struct alerter *, const struct event *ev,
		    int online, int64_t now);

/* Reap, time out and start alert commands. */
void		 alerter_poll(struct alerter *, int64_t now);

#endif
