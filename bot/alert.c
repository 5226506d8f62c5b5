/*
 * Alert delivery, at the end of the flow beside the storage writer:
 * appt_rules.c raises and clears alerts as typed events, the observer hands
 * each to alerter_deliver(), and this module renders it once (a line for
 * people, the JSON for programs) and sends it: chat messages through the
 * transport, the command through notify.c.  An address that is not
 * plainly an admin's (a room, anything with markup or spaces) is refused
 * with a log line, and offline delivery is logged and dropped: the alert
 * row in the database is the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert.h"
#include "jid.h"
#include "log.h"
#include "notify.h"
#include "observer.h"
#include "xmalloc.h"

struct alerter {
	const struct observer_io *io;
	char			*muc_domain;
	char			*cfg_jids;	/* [alerts] admin_jids */
	char			*db_jids;	/* meeting_settings */
	char			*command;
	int64_t			 timeout_ms;
	struct notify		*notify;
};

struct alerter *
alerter_new(const struct config *cfg, const struct observer_io *io)
{
	struct alerter	*a = xcalloc(1, sizeof(*a));

	a->io = io;
	alerter_reload(a, cfg);
	return a;
}

void
alerter_free(struct alerter *a)
{
	if (a == NULL)
		return;
	notify_free(a->notify, 2000);
	free(a->muc_domain);
	free(a->cfg_jids);
	free(a->db_jids);
	free(a->command);
	free(a);
}

void
alerter_reload(struct alerter *a, const struct config *cfg)
{
	int64_t	 timeout = (int64_t)cfg->alert_timeout_s * 1000;

	free(a->muc_domain);
	a->muc_domain = xstrdup(cfg->muc_domain);
	free(a->cfg_jids);
	a->cfg_jids = xstrdup_null(cfg->alert_jids);
	/* A new command (or timeout) gets a new runner; the old finishes. */
	if (a->command == NULL ? cfg->alert_command == NULL :
	    cfg->alert_command != NULL &&
	    strcmp(a->command, cfg->alert_command) == 0 &&
	    timeout == a->timeout_ms)
		return;
	notify_free(a->notify, 2000);
	a->notify = NULL;
	free(a->command);
	a->command = xstrdup_null(cfg->alert_command);
	a->timeout_ms = timeout;
	if (a->command != NULL)
		a->notify = notify_new(a->command, a->timeout_ms);
}

void
alerter_set_admins(struct alerter *a, const char *jids)
{
	if (a->db_jids != NULL && jids != NULL && strcmp(a->db_jids, jids) ==
	    0)
		return;
	free(a->db_jids);
	a->db_jids = xstrdup_null(jids);
}

/*
 * An admin address: never a room (the observer never speaks in one) and
 * nothing that is not plainly an address.
 */
static int
admin_jid_ok(const struct alerter *a, const char *jid)
{
	const char	*p;
	char		*dom;
	int		 ok;

	if (*jid == '\0' || strlen(jid) > 1023)
		return 0;
	for (p = jid; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == '<' || *p == '>' ||
		    *p == '"' || *p == '\'' || *p == '&')
			return 0;
	if ((dom = jid_part(jid, JID_DOMAIN)) == NULL)
		return 0;
	ok = strcasecmp(dom, a->muc_domain) != 0;
	free(dom);
	return ok;
}

/* A line for people: "[critical] no_show raised: ... (appointment A)". */
static char *
alert_text(const struct alert_rec *al)
{
	char	*text;

	xasprintf(&text, "teletrack alert [%s] %s %s%s%s (appointment %s, "
	    "room %s)", al->severity != NULL ? al->severity : "?",
	    al->rule != NULL ? al->rule : "?", al->raised ? "raised" :
	    "cleared", al->message != NULL ? ": " : "",
	    al->message != NULL ? al->message : "",
	    al->appointment_id != NULL ? al->appointment_id : "?",
	    al->room != NULL ? al->room : "?");
	return text;
}

static void
deliver_xmpp(struct alerter *a, const struct alert_rec *al,
    const char *json, int online)
{
	const char	*lists[2] = { a->cfg_jids, a->db_jids };
	char		*copy, *tok, *save, *end, *body = NULL;
	char		 esc[128];
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if (lists[i] == NULL || *lists[i] == '\0')
			continue;
		copy = xstrdup(lists[i]);
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			tok += strspn(tok, " \t");
			end = tok + strlen(tok);
			while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = '\0';
			if (*tok == '\0')
				continue;
			if (!admin_jid_ok(a, tok)) {
				log_warnx("alert not sent to \"%s\": not an "
				    "admin address (rooms never get alerts)",
				    log_escape(esc, sizeof(esc), tok));
				continue;
			}
			if (!online) {
				log_warnx("alert not sent to %s: offline (it "
				    "is in the alerts table)",
				    log_escape(esc, sizeof(esc), tok));
				continue;
			}
			if (body == NULL)
				body = alert_text(al);
			a->io->chat(a->io->arg, tok, body, json);
		}
		free(copy);
	}
	free(body);
}

void
alerter_deliver(struct alerter *a, const struct event *ev, int online,
    int64_t now)
{
	char	*json;

	if (ev->type != EVENT_ALERT || ev->alert == NULL)
		return;
	json = event_json(ev);
	deliver_xmpp(a, ev->alert, json, online);
	if (a->notify != NULL)
		notify_send(a->notify, json, now);
	free(json);
}

void
alerter_poll(struct alerter *a, int64_t now)
{
	if (a->notify != NULL)
		notify_poll(a->notify, now);
}
