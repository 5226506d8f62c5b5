/*
 * Configuration: an INI file read with inih into struct config.
 *
 * Every key is declared once in keys[], sorted by "section.key" and found
 * with bsearch (ntpd's parse.y lookup, redis's static_configs).  Errors are
 * reported as "file:line: message" and parsing goes on, so one run shows
 * every mistake; config_load() fails at the end if there was any.  inih
 * reports the line of each value through the reader callback we give it
 * (ini_parse_stream), which counts the lines it hands out.
 *
 * The password may come from the file itself, from password_file (first
 * line) or from $TELETRACK_XMPP_PASSWORD.  Its value is never logged.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>

#include <ini.h>

#include "config.h"
#include "log.h"
#include "xmalloc.h"

enum key_type {
	KEY_STR,
	KEY_INT,
	KEY_TLS,
	KEY_ROOMS,
	KEY_IPMODE,
	KEY_LOGLEVEL,
	KEY_BOOL
};

struct key {
	const char	*name;		/* "section.key" */
	enum key_type	 type;
	size_t		 off;
	int		 min, max;	/* KEY_INT */
	int		 secret;	/* never echo the value */
};

#define OFF(f)	offsetof(struct config, f)

/* Sorted by name: keys_sorted() checks it in the tests. */
static const struct key keys[] = {
	{ "alerts.admin_jids",		KEY_STR, OFF(alert_jids), 0, 0, 0 },
	{ "alerts.command",		KEY_STR, OFF(alert_command), 0, 0, 0 },
	{ "alerts.command_timeout_s",	KEY_INT, OFF(alert_timeout_s), 1, 3600, 0 },
	{ "log.level",			KEY_LOGLEVEL, OFF(log_level), 0, 0, 0 },
	{ "log.syslog",			KEY_BOOL, OFF(log_syslog), 0, 0, 0 },
	{ "rooms.join",			KEY_ROOMS, OFF(rooms), 0, 0, 0 },
	{ "rooms.leave_grace_s",	KEY_INT, OFF(leave_grace_s), 0, 86400, 0 },
	{ "rooms.retry_max_s",		KEY_INT, OFF(retry_max_s), 1, 86400, 0 },
	{ "rooms.retry_min_s",		KEY_INT, OFF(retry_min_s), 1, 86400, 0 },
	{ "schedule.horizon_h",		KEY_INT, OFF(schedule_horizon_h), 1, 8784, 0 },
	{ "schedule.poll_s",		KEY_INT, OFF(schedule_poll_s), 1, 3600, 0 },
	{ "storage.database",		KEY_STR, OFF(database), 0, 0, 0 },
	{ "storage.flush_count",	KEY_INT, OFF(flush_count), 1, 100000, 0 },
	{ "storage.flush_ms",		KEY_INT, OFF(flush_ms), 10, 250, 0 },
	{ "tracking.ip_mode",		KEY_IPMODE, OFF(ip_mode), 0, 0, 0 },
	{ "tracking.role_field",	KEY_STR, OFF(role_field), 0, 0, 0 },
	{ "tracking.rollup_interval_s",	KEY_INT, OFF(rollup_interval_s), 1, 3600, 0 },
	{ "xmpp.ca_file",		KEY_STR, OFF(ca_file), 0, 0, 0 },
	{ "xmpp.focus_nick",		KEY_STR, OFF(focus_nick), 0, 0, 0 },
	{ "xmpp.hidden_domain",		KEY_STR, OFF(hidden_domain), 0, 0, 0 },
	{ "xmpp.jid",			KEY_STR, OFF(jid), 0, 0, 0 },
	{ "xmpp.muc_domain",		KEY_STR, OFF(muc_domain), 0, 0, 0 },
	{ "xmpp.nick",			KEY_STR, OFF(nick), 0, 0, 0 },
	{ "xmpp.password",		KEY_STR, OFF(password), 0, 0, 1 },
	{ "xmpp.password_file",		KEY_STR, OFF(password_file), 0, 0, 0 },
	{ "xmpp.port",			KEY_INT, OFF(port), 1, 65535, 0 },
	{ "xmpp.reconnect_max_s",	KEY_INT, OFF(reconnect_max_s), 1, 86400, 0 },
	{ "xmpp.reconnect_min_s",	KEY_INT, OFF(reconnect_min_s), 1, 86400, 0 },
	{ "xmpp.server",		KEY_STR, OFF(server), 0, 0, 0 },
	{ "xmpp.tls",			KEY_TLS, OFF(tls), 0, 0, 0 },
};

struct parse {
	struct config	*c;
	const char	*name;
	FILE		*fp;
	const char	*text;	/* config_load_string */
	size_t		 pos;
	int		 line;	/* lines handed to inih so far */
	int		 errors;
	int		 password_line;
};

int
config_keys_sorted(void)
{
	size_t	 i;

	for (i = 1; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i - 1].name, keys[i].name) >= 0)
			return 0;
	return 1;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(a, ((const struct key *)b)->name);
}

static void perr(struct parse *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
perr(struct parse *ps, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", ps->name, ps->line, msg);
	ps->errors++;
}

/* A JID node: no spaces, @ / " ' < > & : or control characters. */
static int
valid_node(const char *s)
{
	if (*s == '\0' || strlen(s) > 1023)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f ||
		    strchr("@/\"'<>&:", *s) != NULL)
			return 0;
	return 1;
}

/* Jitsi's mod_muc_resource_validate: ^[a-zA-Z0-9][a-zA-Z0-9_]*$ */
static int
valid_nick(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
rooms_free(struct config *c)
{
	size_t	 i;

	for (i = 0; i < c->nrooms; i++)
		free(c->rooms[i]);
	free(c->rooms);
	c->rooms = NULL;
	c->nrooms = 0;
}

static void
parse_rooms(struct parse *ps, const char *value)
{
	struct config	*c = ps->c;
	char		*copy = xstrdup(value), *tok, *save = NULL, *name, *at;
	size_t		 i;
	int		 dup;

	rooms_free(c);
	c->join_all = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		name = trim(tok);
		if (*name == '\0')
			continue;
		for (i = 0; name[i] != '\0'; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		if (strcmp(name, "all") == 0) {
			c->join_all = 1;
			continue;
		}
		/*
		 * A full room JID is accepted; its domain is checked against
		 * muc_domain once the whole file is read.
		 */
		if ((at = strchr(name, '@')) != NULL) {
			if (strchr(at + 1, '@') != NULL ||
			    strchr(at + 1, '/') != NULL) {
				perr(ps, "rooms.join: bad room JID \"%s\"",
				    name);
				continue;
			}
		} else if (!valid_node(name)) {
			perr(ps, "rooms.join: bad room name \"%s\"", name);
			continue;
		}
		for (dup = 0, i = 0; i < c->nrooms; i++)
			if (strcmp(c->rooms[i], name) == 0)
				dup = 1;
		if (dup)
			continue;
		c->rooms = xreallocarray(c->rooms, c->nrooms + 1,
		    sizeof(*c->rooms));
		c->rooms[c->nrooms++] = xstrdup(name);
	}
	free(copy);
}

static int
handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse	*ps = user;
	const struct key *k;
	char		 full[256], *end;
	long		 n;
	void		*field;

	snprintf(full, sizeof(full), "%s.%s", section, name);
	for (end = full; *end != '\0'; end++)
		*end = (char)tolower((unsigned char)*end);
	k = bsearch(full, keys, sizeof(keys) / sizeof(keys[0]),
	    sizeof(keys[0]), key_cmp);
	if (k == NULL) {
		perr(ps, "unknown key \"%s\"", full);
		return 1;
	}
	field = (char *)ps->c + k->off;
	switch (k->type) {
	case KEY_STR:
		if (*value == '\0') {
			perr(ps, "%s: empty value", k->name);
			break;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		if (k->secret)
			ps->password_line = ps->line;
		break;
	case KEY_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    n < k->min || n > k->max) {
			perr(ps, "%s: \"%s\" is not a whole number from %d "
			    "to %d", k->name, value, k->min, k->max);
			break;
		}
		*(int *)field = (int)n;
		break;
	case KEY_TLS:
		if (strcasecmp(value, "required") == 0)
			ps->c->tls = TLS_REQUIRED;
		else if (strcasecmp(value, "optional") == 0)
			ps->c->tls = TLS_OPTIONAL;
		else if (strcasecmp(value, "off") == 0)
			ps->c->tls = TLS_OFF;
		else
			perr(ps, "xmpp.tls: \"%s\" is not required, optional "
			    "or off", value);
		break;
	case KEY_IPMODE:
		if (strcmp(value, "store") != 0 && strcmp(value, "hash") != 0 &&
		    strcmp(value, "none") != 0) {
			perr(ps, "tracking.ip_mode: \"%s\" is not store, hash "
			    "or none", value);
			break;
		}
		free(ps->c->ip_mode);
		ps->c->ip_mode = xstrdup(value);
		break;
	case KEY_ROOMS:
		parse_rooms(ps, value);
		break;
	case KEY_LOGLEVEL:
		if (strcasecmp(value, "debug") == 0)
			*(int *)field = LOG_DEBUG;
		else if (strcasecmp(value, "info") == 0)
			*(int *)field = LOG_INFO;
		else if (strcasecmp(value, "warning") == 0)
			*(int *)field = LOG_WARNING;
		else
			perr(ps, "%s: \"%s\" is not debug, info or warning",
			    k->name, value);
		break;
	case KEY_BOOL:
		if (strcasecmp(value, "yes") == 0 ||
		    strcasecmp(value, "true") == 0 ||
		    strcasecmp(value, "on") == 0 || strcmp(value, "1") == 0)
			*(int *)field = 1;
		else if (strcasecmp(value, "no") == 0 ||
		    strcasecmp(value, "false") == 0 ||
		    strcasecmp(value, "off") == 0 || strcmp(value, "0") == 0)
			*(int *)field = 0;
		else
			perr(ps, "%s: \"%s\" is not yes or no", k->name,
			    value);
		break;
	}
	return 1;
}

/* inih reader: hands out one line at a time and counts them. */
static char *
reader(char *buf, int size, void *stream)
{
	struct parse	*ps = stream;
	size_t		 n = 0;

	if (ps->fp != NULL) {
		if (fgets(buf, size, ps->fp) == NULL)
			return NULL;
	} else {
		if (ps->text[ps->pos] == '\0')
			return NULL;
		while (ps->text[ps->pos] != '\0' && n + 1 < (size_t)size) {
			buf[n++] = ps->text[ps->pos++];
			if (buf[n - 1] == '\n')
				break;
		}
		buf[n] = '\0';
	}
	ps->line++;
	return buf;
}

void
config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 5222;
	c->tls = TLS_REQUIRED;
	c->focus_nick = xstrdup("focus");
	c->reconnect_min_s = 1;
	c->reconnect_max_s = 60;
	c->leave_grace_s = 10;
	c->retry_min_s = 2;
	c->retry_max_s = 60;
	c->database = xstrdup("/var/lib/teletrack/teletrack.db");
	c->flush_ms = 200;
	c->flush_count = 500;
	c->role_field = xstrdup("group");
	c->ip_mode = xstrdup("hash");
	c->rollup_interval_s = 5;
	c->alert_timeout_s = 10;
	c->schedule_poll_s = 5;
	c->schedule_horizon_h = 48;
	c->log_level = LOG_INFO;
}

void
config_free(struct config *c)
{
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	free(c->jid);
	free(c->password);
	free(c->password_file);
	free(c->server);
	free(c->ca_file);
	free(c->muc_domain);
	free(c->nick);
	free(c->hidden_domain);
	free(c->focus_nick);
	rooms_free(c);
	free(c->database);
	free(c->role_field);
	free(c->ip_mode);
	free(c->alert_jids);
	free(c->alert_command);
	memset(c, 0, sizeof(*c));
}

static char *
read_password_file(struct parse *ps, const char *path)
{
	FILE	*fp;
	char	 buf[1024];
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s: xmpp.password_file %s", ps->name, path);
		ps->errors++;
		return NULL;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0) {
		log_warnx("%s: xmpp.password_file %s is empty", ps->name, path);
		ps->errors++;
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	{
		char *p = xstrdup(buf);

		explicit_bzero(buf, sizeof(buf));
		return p;
	}
}

/* Checks and derived defaults once every line was read. */
static void
finish(struct parse *ps)
{
	struct config	*c = ps->c;
	const char	*at, *slash, *env;
	size_t		 i;
	char		*p;

	ps->line = 0;
	if (c->jid == NULL) {
		log_warnx("%s: xmpp.jid is required", ps->name);
		ps->errors++;
	} else {
		/* A resource is our business (one per connection). */
		if ((slash = strchr(c->jid, '/')) != NULL)
			c->jid[slash - c->jid] = '\0';
		at = strchr(c->jid, '@');
		if (at == NULL || at == c->jid || at[1] == '\0' ||
		    strchr(at + 1, '@') != NULL) {
			log_warnx("%s: xmpp.jid \"%s\" is not node@domain",
			    ps->name, c->jid);
			ps->errors++;
		} else {
			if (c->server == NULL)
				c->server = xstrdup(at + 1);
			if (c->hidden_domain == NULL)
				c->hidden_domain = xstrdup(at + 1);
			if (c->nick == NULL) {
				c->nick = strndup(c->jid, (size_t)(at - c->jid));
				if (c->nick == NULL)
					fatal("strndup");
				for (p = c->nick; *p != '\0'; p++)
					if (!isalnum((unsigned char)*p))
						*p = '_';
				if (!isalnum((unsigned char)c->nick[0])) {
					p = c->nick;
					xasprintf(&c->nick, "t%s", p);
					free(p);
				}
			}
		}
	}
	if (c->nick != NULL && !valid_nick(c->nick)) {
		log_warnx("%s: xmpp.nick \"%s\" must match "
		    "^[a-zA-Z0-9][a-zA-Z0-9_]*$", ps->name, c->nick);
		ps->errors++;
	}
	if (c->muc_domain == NULL) {
		log_warnx("%s: xmpp.muc_domain is required", ps->name);
		ps->errors++;
	} else {
		for (p = c->muc_domain; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		for (i = 0; i < c->nrooms; i++) {
			if ((p = strchr(c->rooms[i], '@')) == NULL)
				continue;
			if (strcmp(p + 1, c->muc_domain) != 0) {
				log_warnx("%s: rooms.join: %s is not on %s",
				    ps->name, c->rooms[i], c->muc_domain);
				ps->errors++;
				continue;
			}
			*p = '\0';
			if (!valid_node(c->rooms[i])) {
				log_warnx("%s: rooms.join: bad room name "
				    "\"%s\"", ps->name, c->rooms[i]);
				ps->errors++;
			}
		}
	}
	if (c->nrooms == 0 && !c->join_all)
		log_info("%s: rooms.join lists no room: observing scheduled "
		    "appointments only", ps->name);
	if (c->reconnect_min_s > c->reconnect_max_s) {
		log_warnx("%s: xmpp.reconnect_min_s exceeds reconnect_max_s",
		    ps->name);
		ps->errors++;
	}
	if (c->retry_min_s > c->retry_max_s) {
		log_warnx("%s: rooms.retry_min_s exceeds retry_max_s",
		    ps->name);
		ps->errors++;
	}
	if (c->password == NULL && c->password_file != NULL)
		c->password = read_password_file(ps, c->password_file);
	else if (c->password == NULL &&
	    (env = getenv("TELETRACK_XMPP_PASSWORD")) != NULL && *env != '\0')
		c->password = xstrdup(env);
	if (c->password == NULL && c->password_file == NULL) {
		log_warnx("%s: no password: set xmpp.password_file, "
		    "xmpp.password or $TELETRACK_XMPP_PASSWORD", ps->name);
		ps->errors++;
	}
}

int
config_load(FILE *fp, const char *name, struct config *c)
{
	struct parse	 ps;
	int		 rc;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.name = name;
	ps.fp = fp;
	rc = ini_parse_stream(reader, &ps, handler, &ps);
	if (rc > 0) {
		/* inih's own syntax error (a line without '=' or ']') */
		log_warnx("%s:%d: syntax error", name, rc);
		ps.errors++;
	} else if (rc < 0) {
		log_warnx("%s: cannot parse (inih error %d)", name, rc);
		ps.errors++;
	}
	finish(&ps);
	return ps.errors > 0 ? -1 : 0;
}

int
config_load_file(const char *path, struct config *c)
{
	FILE		*fp;
	struct stat	 sb;
	int		 rc;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	rc = config_load(fp, path, c);
	if (rc == 0 && fstat(fileno(fp), &sb) == 0 &&
	    (sb.st_mode & (S_IRGRP | S_IROTH)) != 0 && c->password != NULL &&
	    c->password_file == NULL && getenv("TELETRACK_XMPP_PASSWORD") ==
	    NULL)
		log_warnx("%s: holds xmpp.password but is readable by others; "
		    "prefer xmpp.password_file (mode 0600)", path);
	fclose(fp);
	return rc;
}

int
config_load_string(const char *text, struct config *c)
{
	struct parse	 ps;
	int		 rc;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.name = "(string)";
	ps.text = text;
	rc = ini_parse_stream(reader, &ps, handler, &ps);
	if (rc > 0) {
		log_warnx("%s:%d: syntax error", ps.name, rc);
		ps.errors++;
	}
	finish(&ps);
	return ps.errors > 0 ? -1 : 0;
}

void
config_dump(const struct config *c, FILE *fp)
{
	size_t	 i;

	fprintf(fp, "[xmpp]\njid = %s\npassword = %s\n", c->jid,
	    c->password != NULL ? "********" : "(unset)");
	if (c->password_file != NULL)
		fprintf(fp, "password_file = %s\n", c->password_file);
	fprintf(fp, "server = %s\nport = %d\ntls = %s\n", c->server, c->port,
	    c->tls == TLS_REQUIRED ? "required" : c->tls == TLS_OPTIONAL ?
	    "optional" : "off");
	if (c->ca_file != NULL)
		fprintf(fp, "ca_file = %s\n", c->ca_file);
	fprintf(fp, "muc_domain = %s\nnick = %s\nhidden_domain = %s\n"
	    "focus_nick = %s\nreconnect_min_s = %d\nreconnect_max_s = %d\n",
	    c->muc_domain, c->nick, c->hidden_domain, c->focus_nick,
	    c->reconnect_min_s, c->reconnect_max_s);
	fprintf(fp, "[rooms]\njoin = ");
	for (i = 0; i < c->nrooms; i++)
		fprintf(fp, "%s%s", i > 0 ? ", " : "", c->rooms[i]);
	if (c->join_all)
		fprintf(fp, "%sall", c->nrooms > 0 ? ", " : "");
	fprintf(fp, "\nleave_grace_s = %d\nretry_min_s = %d\n"
	    "retry_max_s = %d\n", c->leave_grace_s, c->retry_min_s,
	    c->retry_max_s);
	fprintf(fp, "[storage]\ndatabase = %s\nflush_ms = %d\n"
	    "flush_count = %d\n", c->database, c->flush_ms, c->flush_count);
	fprintf(fp, "[tracking]\nrole_field = %s\nip_mode = %s\n"
	    "rollup_interval_s = %d\n", c->role_field, c->ip_mode,
	    c->rollup_interval_s);
	fprintf(fp, "[schedule]\npoll_s = %d\nhorizon_h = %d\n",
	    c->schedule_poll_s, c->schedule_horizon_h);
	fprintf(fp, "[alerts]\nadmin_jids = %s\ncommand = %s\n"
	    "command_timeout_s = %d\n",
	    c->alert_jids != NULL ? c->alert_jids : "",
	    c->alert_command != NULL ? c->alert_command : "",
	    c->alert_timeout_s);
	fprintf(fp, "[log]\nlevel = %s\nsyslog = %s\n",
	    c->log_level == LOG_DEBUG ? "debug" : c->log_level == LOG_INFO ?
	    "info" : "warning", c->log_syslog ? "yes" : "no");
}
