/*
 * The INI configuration (inih) -> struct config.  Keys are declared once
 * in a table sorted by "section.key".  Errors are reported as
 * "file:line: message"; parsing goes on and fails at the end with every
 * error shown.
 */
#ifndef TELETRACK_CONFIG_H
#define TELETRACK_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum tls_mode {
	TLS_REQUIRED,
	TLS_OPTIONAL,
	TLS_OFF
};

struct config {
	/* [xmpp] */
	char		*jid;		/* required: observer@hidden.domain */
	char		*password;	/* from password, password_file, or
					   $TELETRACK_XMPP_PASSWORD */
	char		*password_file;
	char		*server;	/* default: the JID's domain */
	int		 port;		/* 5222 */
	enum tls_mode	 tls;		/* required */
	char		*ca_file;
	char		*muc_domain;	/* required: conference.example.org */
	char		*nick;		/* default: JID node (sanitised) */
	char		*hidden_domain;	/* default: the JID's domain */
	char		*focus_nick;	/* "focus" */
	int		 reconnect_min_s;	/* 1 */
	int		 reconnect_max_s;	/* 60 */
	char		*shard;		/* this observer's Jitsi shard,
					   stored on every session; NULL:
					   none */

	/* [rooms] */
	char		**rooms;	/* room names (node only), lower case,
					   each once: join and join_file */
	size_t		 nrooms;
	char		*join_file;	/* one room a line, # comments */
	int		 join_all;	/* join = all (companion module) */
	int		 leave_grace_s;	/* 10 */
	int		 retry_min_s;	/* 2: room missing -> retry */
	int		 retry_max_s;	/* 60 */

	/* [storage] */
	char		*database;	/* /var/lib/teletrack/teletrack.db; with
					   url: where the state files live */
	char		*db_url;	/* postgresql://...: the database */
	char		*db_password;	/* from password_file or
					   $TELETRACK_DB_PASSWORD; NULL:
					   libpq's own */
	char		*db_password_file;
	char		*db_schema;	/* PostgreSQL schema; NULL: default */
	int		 flush_ms;	/* 200: max delay before commit */
	int		 flush_count;	/* 500: commit after this many */

	/* [tracking] */
	char		*role_field;	/* "group": <identity><group> */
	char		*ip_mode;	/* store | hash | none ("hash") */
	int		 rollup_interval_s;	/* 30 */

	/* [schedule] */
	int		 schedule_poll_s;	/* 5: re-read the schedule */
	int		 schedule_horizon_h;	/* 48: look this far ahead */

	/* [alerts] */
	char		*alert_jids;	/* comma-separated; with the ones in
					   meeting_settings.alert_admin_jids */
	char		*alert_command;	/* run with the alert JSON on stdin */
	int		 alert_timeout_s;	/* 10: then it is killed */

	/* [log] */
	int		 log_level;	/* syslog.h priority: LOG_INFO */
	int		 log_syslog;	/* 0: also send to syslog(3) */
};

/* Fill c with defaults; strings are owned (config_free). */
void	config_init(struct config *c);

/*
 * Parse an INI text from fp (name is used in messages) into c, which
 * config_init() prepared.  Every error is logged as "name:line: msg"
 * (rooms from join_file: "join_file:line: msg").  Returns 0 or -1 (after
 * parsing everything).  Also checks required keys and derives defaults
 * (server, nick, hidden_domain), reads rooms.join_file, and reads
 * password_file or $TELETRACK_XMPP_PASSWORD when password is unset.
 * Lines may be up to 1 MiB long; rooms.join goes on over indented lines.
 */
int	config_load(FILE *fp, const char *name, struct config *c);
int	config_load_file(const char *path, struct config *c);
int	config_load_string(const char *text, struct config *c);

/*
 * Read path again into fresh (not initialised by the caller), e.g. on
 * SIGHUP: the daemon keeps its running config until this returns 0, and
 * then swaps and config_free()s the old one.  On -1 the errors are
 * logged and fresh is already freed (zeroed).
 */
int	config_reload(const char *path, struct config *fresh);

void	config_free(struct config *c);

/* Print the effective configuration, password masked, to fp. */
void	config_dump(const struct config *c, FILE *fp);

/* 1 when the key table is sorted (bsearch needs it); for the tests. */
int	config_keys_sorted(void);

#endif
