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
 * Line length: inih's compiled-in limit is 200 bytes, which cuts a long
 * [rooms] join list (issue 10).  Debian builds libinih with its
 * maintainer's run-time options patch (upstream inih PR #101, not merged
 * there), so ini_use_stack, ini_allow_realloc and ini_max_line are
 * variables we set around each parse: a heap line buffer that grows up to
 * CONFIG_LINE_MAX.  Our reader refuses longer lines with an error.
 *
 * Room lists: rooms.join takes any number of rooms, on indented
 * continuation lines (the INI way, inih calls us again with the same key)
 * and from join_file (one room a line, # comments).  All are appended,
 * then reduced to one entry per room.
 *
 * The password may come from the file itself, from password_file (first
 * line) or from $TELETRACK_XMPP_PASSWORD.  Its value is never logged.
 * The PostgreSQL password ([storage] url) comes only from
 * [storage] password_file or $TELETRACK_DB_PASSWORD (else libpq's own
 * PGPASSWORD or ~/.pgpass): never from this file or the URL.
 *
 * Over 800 lines: the key table is the configuration's one declaration
 * (type, bounds, default), and the checks that read across keys stand
 * beside it.
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

#include <search.h>

#include <ini.h>

#include "config.h"
#include "jid.h"
#include "log.h"
#include "text.h"
#include "xmalloc.h"

#define CONFIG_LINE_MAX	(1024 * 1024)	/* bytes of one line */

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
	{ "rooms.join_file",		KEY_STR, OFF(join_file), 0, 0, 0 },
	{ "rooms.leave_grace_s",	KEY_INT, OFF(leave_grace_s), 0, 86400, 0 },
	{ "rooms.retry_max_s",		KEY_INT, OFF(retry_max_s), 1, 86400, 0 },
	{ "rooms.retry_min_s",		KEY_INT, OFF(retry_min_s), 1, 86400, 0 },
	{ "schedule.horizon_h",		KEY_INT, OFF(schedule_horizon_h), 1, 8784, 0 },
	{ "schedule.poll_s",		KEY_INT, OFF(schedule_poll_s), 1, 3600, 0 },
	{ "storage.database",		KEY_STR, OFF(database), 0, 0, 0 },
	{ "storage.flush_count",	KEY_INT, OFF(flush_count), 1, 100000, 0 },
	{ "storage.flush_ms",		KEY_INT, OFF(flush_ms), 10, 250, 0 },
	{ "storage.password_file",	KEY_STR, OFF(db_password_file), 0, 0, 0 },
	{ "storage.schema",		KEY_STR, OFF(db_schema), 0, 0, 0 },
	{ "storage.url",		KEY_STR, OFF(db_url), 0, 0, 0 },
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
	{ "xmpp.shard",			KEY_STR, OFF(shard), 0, 0, 0 },
	{ "xmpp.tls",			KEY_TLS, OFF(tls), 0, 0, 0 },
};

/* A room as listed, with where: messages after the whole file is read. */
struct listed {
	char		*name;		/* lower case; node, or a room JID */
	const char	*file;		/* borrowed: the config's or join_file */
	int		 line;
};

struct parse {
	struct config	*c;
	const char	*name;
	FILE		*fp;
	const char	*text;	/* config_load_string */
	size_t		 pos;
	int		 line;	/* lines handed to inih so far */
	size_t		 linelen;	/* bytes of it so far */
	int		 bol;	/* the next read starts a line */
	int		 indented;	/* this line starts with a blank */
	int		 errors;
	int		 join_line;	/* where rooms.join was first set */
	struct listed	*rooms;
	size_t		 nrooms;
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

static void perr_at(struct parse *, const char *, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* An error at file:line (line 0: the file as a whole). */
static void
perr_at(struct parse *ps, const char *file, int line, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		log_warnx("%s:%d: %s", file, line, msg);
	else
		log_warnx("%s: %s", file, msg);
	ps->errors++;
}

#define perr(ps, ...)	perr_at((ps), (ps)->name, (ps)->line, __VA_ARGS__)

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
	freev(c->rooms, c->nrooms);
	c->rooms = NULL;
	c->nrooms = 0;
}

/*
 * Append one room name (trimmed, lowercased) as listed at file:line;
 * "all" sets join_all.  Names are checked once the file is read, when
 * muc_domain is known.
 */
static void
room_add(struct parse *ps, char *name, const char *file, int line)
{
	name = trim(name);
	if (*name == '\0')
		return;
	text_lower(name);
	if (strcmp(name, "all") == 0) {
		ps->c->join_all = 1;
		return;
	}
	ps->rooms = xreallocarray(ps->rooms, ps->nrooms + 1,
	    sizeof(*ps->rooms));
	ps->rooms[ps->nrooms].name = xstrdup(name);
	ps->rooms[ps->nrooms].file = file;
	ps->rooms[ps->nrooms].line = line;
	ps->nrooms++;
}

/*
 * rooms.join: a comma-separated list.  An indented line after it goes on
 * with the list (inih hands it to us under the same key); a second
 * "join =" line would replace it in inih's eyes, so it is an error rather
 * than a silent loss of the first list.
 */
static void
parse_rooms(struct parse *ps, const char *value)
{
	char	*copy, *tok, *save = NULL;

	if (!ps->indented) {
		if (ps->join_line > 0) {
			perr(ps, "rooms.join: set again (first at line %d): "
			    "continue a long list on indented lines",
			    ps->join_line);
			return;
		}
		ps->join_line = ps->line;
	}
	copy = xstrdup(value);
	/*
	 * inih 55 strips an inline comment (" ; ...") from a "key = value"
	 * line but not from a continuation line: do it here.
	 */
	for (tok = copy; (tok = strchr(tok, ';')) != NULL; tok++)
		if (tok > copy && isspace((unsigned char)tok[-1])) {
			*tok = '\0';
			break;
		}
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		room_add(ps, tok, ps->name, ps->line);
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
	text_lower(full);
	k = bsearch(full, keys, sizeof(keys) / sizeof(keys[0]),
	    sizeof(keys[0]), key_cmp);
	if (k == NULL) {
		if (!ps->indented)
			perr(ps, "unknown key \"%s\"", full);
		return 1;
	}
	if (ps->indented && k->type != KEY_ROOMS) {
		perr(ps, "%s: an indented line continues the value before "
		    "it; only rooms.join takes several lines", k->name);
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

/* The next byte of the input, or EOF. */
static int
next_byte(struct parse *ps)
{
	if (ps->fp != NULL)
		return getc(ps->fp);
	if (ps->text[ps->pos] == '\0')
		return EOF;
	return (unsigned char)ps->text[ps->pos++];
}

/*
 * inih's reader: like fgets(), it hands out at most size - 1 bytes,
 * stopping after a newline.  inih grows its buffer and calls again for
 * the rest of a long line, so lines are counted where one starts.  A
 * line reaching CONFIG_LINE_MAX bytes is an error: the rest of it is
 * skipped and the part read is ended with a newline, so inih neither
 * reads on into the next line nor takes the tail for a line of its own.
 */
static char *
reader(char *buf, int size, void *stream)
{
	struct parse	*ps = stream;
	size_t		 n = 0, base;
	int		 ch;

	base = ps->bol ? 0 : ps->linelen;
	while (n + 1 < (size_t)size && (ch = next_byte(ps)) != EOF) {
		if (base + n + 1 >= CONFIG_LINE_MAX && ch != '\n') {
			perr_at(ps, ps->name, ps->line + ps->bol, "line "
			    "longer than %d bytes: the rest is ignored",
			    CONFIG_LINE_MAX);
			while ((ch = next_byte(ps)) != EOF && ch != '\n')
				;
			ch = '\n';
		}
		buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	if (ps->bol) {
		ps->line++;
		ps->linelen = 0;
		ps->indented = buf[0] == ' ' || buf[0] == '\t';
	}
	ps->linelen += n;
	ps->bol = buf[n - 1] == '\n';
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
	c->flush_ms = 100;
	c->flush_count = 1000;
	c->role_field = xstrdup("group");
	c->ip_mode = xstrdup("hash");
	c->rollup_interval_s = 30;
	c->alert_timeout_s = 10;
	c->schedule_poll_s = 5;
	c->schedule_horizon_h = 48;
	c->log_level = LOG_INFO;
}

void
config_free(struct config *c)
{
	size_t	 i;

	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	if (c->db_password != NULL) {
		explicit_bzero(c->db_password, strlen(c->db_password));
		free(c->db_password);
	}
	/* Every other string of struct config is a key's. */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].type == KEY_STR || keys[i].type == KEY_IPMODE)
			free(*(char **)((char *)c + keys[i].off));
	rooms_free(c);
	memset(c, 0, sizeof(*c));
}

/* The first line of path, the password key names (never logged). */
static char *
read_password_file(struct parse *ps, const char *key, const char *path)
{
	FILE	*fp;
	char	 buf[1024], *p;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s: %s %s", ps->name, key, path);
		ps->errors++;
		return NULL;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0) {
		log_warnx("%s: %s %s is empty", ps->name, key, path);
		ps->errors++;
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	p = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return p;
}

/* name: [A-Za-z0-9_] and, after the first, chars from extra; 1..max. */
static int
valid_name(const char *name, const char *extra, size_t max)
{
	const char	*p;

	if (name == NULL || *name == '\0' || strlen(name) > max)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' &&
		    (p == name || strchr(extra, *p) == NULL))
			return 0;
	return 1;
}

/*
 * 1 when a postgresql:// URL carries a password: in its user info
 * ("user:secret@host") or as a parameter ("?password=").  libpq checks
 * again when the daemon connects; this one says so with the file's name.
 */
static int
url_has_password(const char *url)
{
	const char	*auth, *end, *at, *q;

	if ((auth = strstr(url, "://")) == NULL)
		return 0;
	auth += 3;
	end = auth + strcspn(auth, "/?");
	if ((at = memchr(auth, '@', (size_t)(end - auth))) != NULL &&
	    memchr(auth, ':', (size_t)(at - auth)) != NULL)
		return 1;
	for (q = strchr(url, '?'); q != NULL; q = strchr(q + 1, '&'))
		if (strncasecmp(q + 1, "password=", 9) == 0)
			return 1;
	return 0;
}

/*
 * [storage] url, its password and schema, and [xmpp] shard: the
 * PostgreSQL side.  database stays the directory of the state files
 * (status, IP key) when url is set.
 */
static void
finish_storage(struct parse *ps)
{
	struct config	*c = ps->c;
	const char	*env;

	if (c->shard != NULL && !valid_name(c->shard, "-.", 64)) {
		log_warnx("%s: xmpp.shard \"%s\" must match "
		    "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$", ps->name, c->shard);
		ps->errors++;
	}
	if (c->db_schema != NULL && (!valid_name(c->db_schema, "", 63) ||
	    isdigit((unsigned char)*c->db_schema))) {
		log_warnx("%s: storage.schema \"%s\" must match "
		    "^[A-Za-z_][A-Za-z0-9_]{0,62}$", ps->name, c->db_schema);
		ps->errors++;
	}
	if (c->db_url == NULL) {
		if (c->db_schema != NULL || c->db_password_file != NULL)
			log_warnx("%s: storage.schema and "
			    "storage.password_file apply to storage.url only: "
			    "ignored", ps->name);
		return;
	}
	if (strncmp(c->db_url, "postgresql://", 13) != 0 &&
	    strncmp(c->db_url, "postgres://", 11) != 0) {
		log_warnx("%s: storage.url must start with postgresql://",
		    ps->name);
		ps->errors++;
		return;
	}
	if (url_has_password(c->db_url)) {
		log_warnx("%s: storage.url holds a password: put it in "
		    "storage.password_file or $TELETRACK_DB_PASSWORD",
		    ps->name);
		ps->errors++;
		return;
	}
	if (c->db_password_file != NULL)
		c->db_password = read_password_file(ps, "storage.password_file",
		    c->db_password_file);
	else if ((env = getenv("TELETRACK_DB_PASSWORD")) != NULL &&
	    *env != '\0')
		c->db_password = xstrdup(env);
}

/*
 * rooms.join_file: one room a line; blank lines and everything from a
 * '#' on are ignored (a Jitsi room name cannot hold '#': it would be the
 * URL's fragment).  Errors name the file and its line.
 */
static void
read_join_file(struct parse *ps, const char *path)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	int	 lineno = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s: rooms.join_file %s", ps->name, path);
		ps->errors++;
		return;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			perr_at(ps, path, lineno, "a NUL byte in a room name");
			continue;
		}
		line[strcspn(line, "#")] = '\0';
		if (strchr(line, ',') != NULL) {
			perr_at(ps, path, lineno, "one room a line, without "
			    "commas");
			continue;
		}
		room_add(ps, line, path, lineno);
	}
	if (ferror(fp)) {
		log_warn("%s: reading %s", ps->name, path);
		ps->errors++;
	}
	free(line);
	fclose(fp);
}

/*
 * The listed rooms into c->rooms: a room JID must be on muc_domain and
 * is reduced to its node; every name must be a valid node.  A room
 * listed twice (by name and by JID, in join and in join_file) is one
 * room, kept where it was first listed; a hash table keeps this linear
 * for the thousands of rooms a join_file may hold.
 */
static void
finish_rooms(struct parse *ps)
{
	struct config	*c = ps->c;
	struct hsearch_data seen;
	struct listed	*r;
	ENTRY		 item, *hit;
	char		*node, *domain, *res;
	size_t		 i;

	for (i = 0; i < ps->nrooms; i++) {
		r = &ps->rooms[i];
		if (strchr(r->name, '@') != NULL || strchr(r->name, '/') !=
		    NULL) {
			node = jid_part(r->name, JID_NODE);
			domain = jid_part(r->name, JID_DOMAIN);
			res = jid_part(r->name, JID_RESOURCE);
			free(res);
			if (node == NULL || domain == NULL || res != NULL ||
			    strchr(domain, '@') != NULL) {
				perr_at(ps, r->file, r->line, "rooms.join: bad "
				    "room JID \"%s\"", r->name);
				free(node);
				free(domain);
				free(r->name);
				r->name = NULL;
				continue;
			}
			if (c->muc_domain != NULL &&
			    strcmp(domain, c->muc_domain) != 0)
				perr_at(ps, r->file, r->line, "rooms.join: %s "
				    "is not on %s", r->name, c->muc_domain);
			free(domain);
			free(r->name);
			r->name = node;
		}
		if (!valid_node(r->name)) {
			perr_at(ps, r->file, r->line, "rooms.join: bad room "
			    "name \"%s\"", r->name);
			free(r->name);
			r->name = NULL;
		}
	}
	/* A room listed again is dropped: glibc's hash table finds it. */
	memset(&seen, 0, sizeof(seen));
	if (hcreate_r(ps->nrooms * 2 + 1, &seen) == 0)
		fatal("hcreate_r");
	rooms_free(c);
	c->rooms = xreallocarray(NULL, ps->nrooms + 1, sizeof(*c->rooms));
	for (i = 0; i < ps->nrooms; i++) {
		if ((item.key = ps->rooms[i].name) == NULL)
			continue;
		item.data = NULL;
		if (hsearch_r(item, FIND, &hit, &seen) != 0) {
			free(ps->rooms[i].name);
			continue;
		}
		if (hsearch_r(item, ENTER, &hit, &seen) == 0)
			fatal("hsearch_r");
		c->rooms[c->nrooms++] = ps->rooms[i].name;
	}
	hdestroy_r(&seen);
	free(ps->rooms);
	ps->rooms = NULL;
	ps->nrooms = 0;
}

/* Checks and derived defaults once every line was read. */
static void
finish(struct parse *ps)
{
	struct config	*c = ps->c;
	const char	*env;
	char		*node, *domain, *p;

	ps->line = 0;
	if (c->jid == NULL) {
		log_warnx("%s: xmpp.jid is required", ps->name);
		ps->errors++;
	} else {
		/* A resource is our business (one per connection). */
		node = jid_part(c->jid, JID_NODE);
		domain = jid_part(c->jid, JID_DOMAIN);
		if (node == NULL || *node == '\0' || domain == NULL ||
		    *domain == '\0' || strchr(domain, '@') != NULL) {
			log_warnx("%s: xmpp.jid \"%s\" is not node@domain",
			    ps->name, c->jid);
			ps->errors++;
		} else {
			p = c->jid;
			c->jid = jid_part(p, JID_BARE);
			free(p);
			if (c->server == NULL)
				c->server = xstrdup(domain);
			if (c->hidden_domain == NULL)
				c->hidden_domain = xstrdup(domain);
			if (c->nick == NULL) {
				c->nick = xstrdup(node);
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
		free(node);
		free(domain);
	}
	if (c->nick != NULL && !valid_nick(c->nick)) {
		log_warnx("%s: xmpp.nick \"%s\" must match "
		    "^[a-zA-Z0-9][a-zA-Z0-9_]*$", ps->name, c->nick);
		ps->errors++;
	}
	if (c->muc_domain == NULL) {
		log_warnx("%s: xmpp.muc_domain is required", ps->name);
		ps->errors++;
	} else
		text_lower(c->muc_domain);
	if (c->join_file != NULL)
		read_join_file(ps, c->join_file);
	finish_rooms(ps);
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
		c->password = read_password_file(ps, "xmpp.password_file",
		    c->password_file);
	else if (c->password == NULL &&
	    (env = getenv("TELETRACK_XMPP_PASSWORD")) != NULL && *env != '\0')
		c->password = xstrdup(env);
	if (c->password == NULL && c->password_file == NULL) {
		log_warnx("%s: no password: set xmpp.password_file, "
		    "xmpp.password or $TELETRACK_XMPP_PASSWORD", ps->name);
		ps->errors++;
	}
	finish_storage(ps);
}

/*
 * Run inih over ps's input with a line buffer that grows to
 * CONFIG_LINE_MAX (see the top of this file), then check what was read.
 * inih's options are process-wide variables: set for this parse and put
 * back, so nothing else that may use inih is surprised.
 */
static int
parse(struct parse *ps)
{
	bool	 use_stack = ini_use_stack, allow_realloc = ini_allow_realloc;
	bool	 multiline = ini_allow_multiline;
	int	 max_line = ini_max_line, rc;

	ps->bol = 1;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_allow_multiline = true;
	ini_max_line = CONFIG_LINE_MAX + 3;	/* "\r\n\0": we stop first */
	rc = ini_parse_stream(reader, ps, handler, ps);
	ini_use_stack = use_stack;
	ini_allow_realloc = allow_realloc;
	ini_allow_multiline = multiline;
	ini_max_line = max_line;
	if (rc > 0) {
		/* inih's own syntax error (a line without '=' or ']') */
		log_warnx("%s:%d: syntax error", ps->name, rc);
		ps->errors++;
	} else if (rc < 0) {
		log_warnx("%s: cannot parse (inih error %d)", ps->name, rc);
		ps->errors++;
	}
	finish(ps);
	return ps->errors > 0 ? -1 : 0;
}

int
config_load(FILE *fp, const char *name, struct config *c)
{
	struct parse	 ps;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.name = name;
	ps.fp = fp;
	return parse(&ps);
}

int
config_load_string(const char *text, struct config *c)
{
	struct parse	 ps;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.name = "(string)";
	ps.text = text;
	return parse(&ps);
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
config_reload(const char *path, struct config *fresh)
{
	config_init(fresh);
	if (config_load_file(path, fresh) == -1) {
		config_free(fresh);
		return -1;
	}
	return 0;
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
	if (c->shard != NULL)
		fprintf(fp, "shard = %s\n", c->shard);
	/* Ten rooms a line, the rest on continuation lines. */
	fprintf(fp, "[rooms]\njoin = ");
	for (i = 0; i < c->nrooms; i++)
		fprintf(fp, "%s%s", i == 0 ? "" : i % 10 == 0 ? ",\n    " :
		    ", ", c->rooms[i]);
	if (c->join_all)
		fprintf(fp, "%sall", c->nrooms > 0 ? ", " : "");
	if (c->join_file != NULL)
		fprintf(fp, "\n; join_file = %s (its rooms are listed above)",
		    c->join_file);
	fprintf(fp, "\nleave_grace_s = %d\nretry_min_s = %d\n"
	    "retry_max_s = %d\n", c->leave_grace_s, c->retry_min_s,
	    c->retry_max_s);
	fprintf(fp, "[storage]\ndatabase = %s\nflush_ms = %d\n"
	    "flush_count = %d\n", c->database, c->flush_ms, c->flush_count);
	if (c->db_url != NULL)
		fprintf(fp, "url = %s\npassword = %s\n", c->db_url,
		    c->db_password != NULL ? "********" :
		    "(libpq's: PGPASSWORD, ~/.pgpass)");
	if (c->db_password_file != NULL)
		fprintf(fp, "password_file = %s\n", c->db_password_file);
	if (c->db_schema != NULL)
		fprintf(fp, "schema = %s\n", c->db_schema);
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
