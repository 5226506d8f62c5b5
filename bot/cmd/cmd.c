/*
 * The dispatcher of the command table (cmd.h; the table is main.c's):
 * finds the entry for "command [subcommand]", parses the shared options
 * once and the entry's own options into a list, finds the database, and
 * calls the entry's function.
 *
 * Options may stand before or after a subcommand's name (`schedule -d DB
 * add ...`, `report -n 5 sessions`), as they always could: the words
 * before the name are read with every option any subcommand of the
 * command takes, the rest with the chosen entry's, and an option the
 * entry does not take is then a usage error.  Exit status 2 for usage
 * errors, 1 for everything else that fails, each message logged once.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "report.h"
#include "xmalloc.h"

#define SHARED_LONGS	4	/* entries of shared_longopts[] */
#define LONGS_MAX	32

static const struct option shared_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "database", required_argument, NULL, 'd' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
};

const struct option cmd_long_report[] = {
	{ "limit", required_argument, NULL, 'n' },
	{ "session", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

/* The length of name's first word ("schedule" of "schedule add"). */
static size_t
word_len(const char *name)
{
	return strcspn(name, " ");
}

/* Does entry e belong to command word? */
static int
is_of(const struct cmd_entry *e, const char *word)
{
	size_t	 n = word_len(e->name);

	return strlen(word) == n && strncmp(e->name, word, n) == 0;
}

/* The usage line of e, without "usage:". */
static void
usage_line(FILE *fp, const struct cmd_entry *e)
{
	fprintf(fp, "teletrack %s", e->name);
	if (e->flags & CMD_CONFIG)
		fputs(" -c FILE", fp);
	if (e->flags & CMD_DB)
		fputs(" [-c FILE | -d DBFILE]", fp);
	if (e->flags & CMD_FORMAT)
		fputs(" [-f text|csv|json]", fp);
	if (e->flags & CMD_VERBOSE)
		fputs(" [-v]", fp);
	if (e->args != NULL && *e->args != '\0')
		fprintf(fp, " %s", e->args);
	fputc('\n', fp);
}

int
cmd_help(const struct cmd_entry *table, FILE *fp, const char *name)
{
	const struct cmd_entry	*e;
	char			 esc[64];
	int			 n = 0;

	for (e = table; e->name != NULL; e++) {
		if (name != NULL && strcmp(e->name, name) != 0 &&
		    !is_of(e, name))
			continue;
		fputs(n++ == 0 ? "usage: " : "       ", fp);
		usage_line(fp, e);
		if (name != NULL)
			fprintf(fp, "         %s\n", e->help);
	}
	if (n == 0) {
		log_warnx("unknown command %s", log_escape(esc, sizeof(esc),
		    name));
		return 2;
	}
	if (name == NULL)
		fputs("DBFILE defaults to $TELETRACK_DB; teletrack help COMMAND "
		    "says more\n", fp);
	return 0;
}

int
cmd_usage(const struct cmd *c)
{
	char	 word[32];

	snprintf(word, sizeof(word), "%.*s", (int)word_len(c->entry->name),
	    c->entry->name);
	cmd_help(c->table, stderr, word);
	return 2;
}

/* getopt's option string for flags and own: "c:d:f:vh" and own. */
static void
optstring(char *buf, size_t bufsz, int flags, const char *own, int posix)
{
	snprintf(buf, bufsz, "%s%s%s%s%sh%s", posix ? "+" : "",
	    flags & (CMD_CONFIG | CMD_DB | CMD_CONFIG_OPT) ? "c:" : "",
	    flags & CMD_DB ? "d:" : "", flags & CMD_FORMAT ? "f:" : "",
	    flags & CMD_VERBOSE ? "v" : "", own != NULL ? own : "");
}

/* Append to v (NULL-ended, LONGS_MAX) the options of own it lacks. */
static void
add_longs(struct option *v, const struct option *own)
{
	size_t	 n, i;

	for (n = 0; v[n].name != NULL; n++)
		;
	for (; own != NULL && own->name != NULL && n + 1 < LONGS_MAX; own++) {
		for (i = 0; i < n; i++)
			if (strcmp(v[i].name, own->name) == 0)
				break;
		if (i == n)
			v[n++] = *own;
	}
	memset(&v[n], 0, sizeof(v[n]));
}

/* Long options for flags plus own (NULL-ended) into v (LONGS_MAX). */
static void
longopts(struct option *v, int flags, const struct option *own)
{
	size_t	 n = 0, i;

	for (i = 0; i < SHARED_LONGS; i++) {
		if ((shared_longopts[i].val == 'c' &&
		    !(flags & (CMD_CONFIG | CMD_DB | CMD_CONFIG_OPT))) ||
		    (shared_longopts[i].val == 'd' && !(flags & CMD_DB)) ||
		    (shared_longopts[i].val == 'f' && !(flags & CMD_FORMAT)))
			continue;
		v[n++] = shared_longopts[i];
	}
	memset(&v[n], 0, sizeof(v[n]));
	add_longs(v, own);
}

/* -f NAME: text, csv or json (enum report_format's order). */
static int
format(const char *name, enum report_format *fmt)
{
	static const char *const names[] = { "text", "csv", "json" };
	char	 esc[64];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*fmt = (enum report_format)i;
			return 0;
		}
	log_warnx("unknown format %s", log_escape(esc, sizeof(esc), name));
	return -1;
}

/*
 * getopt_long over argv with opts/longs, storing what it finds in c.
 * Returns the index of the first argument it did not take, -1 after a
 * usage error (getopt printed it), or -2 for -h.  The shared options
 * seen are added to *given as CMD_* bits.
 */
static int
scan(struct cmd *c, int argc, char **argv, const char *opts,
    const struct option *longs, int *given)
{
	int	 ch;

	optind = 0;	/* GNU: start afresh (tests dispatch many times) */
	while ((ch = getopt_long(argc, argv, opts, longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->conf = optarg;
			*given |= CMD_CONFIG;
			break;
		case 'd':
			c->dbpath = optarg;
			*given |= CMD_DB;
			break;
		case 'f':
			*given |= CMD_FORMAT;
			if (format(optarg, &c->fmt) == -1)
				return -1;
			break;
		case 'v':
			c->verbose++;
			*given |= CMD_VERBOSE;
			break;
		case 'h':
			return -2;
		case '?':
		case ':':
			return -1;
		default:
			if (c->nopts == CMD_OPTS_MAX) {
				log_warnx("more than %d options",
				    CMD_OPTS_MAX);
				return -1;
			}
			c->opts[c->nopts].ch = ch;
			c->opts[c->nopts].arg = optarg;
			c->nopts++;
			break;
		}
	}
	return optind;
}

/* What find_db() copies out of the config, freed after the command. */
struct dbowned {
	char	*path;
	char	*password;
	char	*schema;
	char	*state;
};

static void
dbowned_free(struct dbowned *o)
{
	free(o->path);
	if (o->password != NULL) {
		explicit_bzero(o->password, strlen(o->password));
		free(o->password);
	}
	free(o->schema);
	free(o->state);
}

/*
 * The database for a CMD_DB entry: -c's (its url, else its database),
 * -d, or def.  -1 logged.
 */
static int
find_db(struct cmd *c, const char *def, struct dbowned *o)
{
	struct config	 cfg;

	memset(o, 0, sizeof(*o));
	if (c->conf != NULL) {
		config_init(&cfg);
		if (config_load_file(c->conf, &cfg) == -1) {
			config_free(&cfg);
			return -1;
		}
		o->path = xstrdup(cfg.db_url != NULL ? cfg.db_url :
		    cfg.database);
		o->password = xstrdup_null(cfg.db_password);
		o->schema = xstrdup_null(cfg.db_schema);
		o->state = xstrdup(cfg.database);
		c->dbpath = o->path;
		c->dbpassword = o->password;
		c->dbschema = o->schema;
		c->statepath = o->state;
		config_free(&cfg);
	} else if (c->dbpath == NULL)
		c->dbpath = def;
	if (c->statepath == NULL && c->dbpath != NULL &&
	    !db_is_url(c->dbpath))
		c->statepath = c->dbpath;
	return 0;
}

struct db *
cmd_db_open(struct cmd *c, int flags, char *err, size_t errsz)
{
	struct db_conf	 conf;

	memset(&conf, 0, sizeof(conf));
	conf.target = c->dbpath;
	conf.password = c->dbpassword;
	conf.schema = c->dbschema;
	return db_connect(&conf, flags, err, errsz);
}

int
cmd_dispatch(const struct cmd_entry *table, FILE *out, const char *dbpath,
    int argc, char **argv)
{
	const struct cmd_entry	*e, *found = NULL, *def = NULL;
	struct option		 longs[LONGS_MAX];
	struct cmd		 c;
	char			 opts[128], esc[64], *fake[2];
	struct dbowned		 owned;
	int			 i, rc, flags = 0, subs = 0, nfirst;
	int			 given = 0, allowed;
	size_t			 olen = 0;

	log_init(0, "teletrack");
	if (argc < 1) {
		cmd_help(table, stderr, NULL);
		return 2;
	}
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		if (argc > 2) {
			char	*name;
			int	 r;

			xasprintf(&name, "%s %s", argv[1], argv[2]);
			r = cmd_help(table, out, name);
			free(name);
			return r;
		}
		return cmd_help(table, out, argc > 1 ? argv[1] : NULL);
	}
	memset(&c, 0, sizeof(c));
	c.table = table;
	c.out = out;
	opts[0] = '\0';
	for (e = table; e->name != NULL; e++) {
		if (!is_of(e, argv[0]))
			continue;
		if (strcmp(e->name, argv[0]) == 0)
			found = e;
		else
			subs++;
		if (e->flags & CMD_DEFAULT)
			def = e;
		flags |= e->flags;
		if (e->opts != NULL && olen + strlen(e->opts) < 64) {
			strcat(opts, e->opts);
			olen += strlen(e->opts);
		}
	}
	if (found == NULL && subs == 0) {
		log_warnx("unknown command %s", log_escape(esc, sizeof(esc),
		    argv[0]));
		cmd_help(table, stderr, NULL);
		return 2;
	}
	if (found == NULL) {
		/*
		 * Options before the subcommand's name: any that one of the
		 * subcommands takes (checked against the chosen one below).
		 */
		char	 own[64];

		snprintf(own, sizeof(own), "%s", opts);
		optstring(opts, sizeof(opts), flags, own, 1);
		/* The union of the subcommands' long options. */
		longopts(longs, flags, NULL);
		for (e = table; e->name != NULL; e++)
			if (is_of(e, argv[0]))
				add_longs(longs, e->longopts);
		c.entry = def != NULL ? def : table;
		for (e = table; e->name != NULL; e++)
			if (is_of(e, argv[0])) {
				c.entry = e;
				break;
			}
		if ((i = scan(&c, argc, argv, opts, longs, &given)) == -1)
			return cmd_usage(&c);
		if (i == -2 || (i < argc && strcmp(argv[i], "help") == 0))
			return cmd_help(table, out, argv[0]);
		if (i == argc && def == NULL) {
			log_warnx("%s: which one?", argv[0]);
			return cmd_usage(&c);
		}
		if (i == argc) {
			found = def;
			fake[0] = argv[0];
			fake[1] = NULL;
			argc = 1;
			argv = fake;
		} else {
			for (e = table; e->name != NULL; e++)
				if (is_of(e, argv[0]) &&
				    strcmp(e->name + word_len(e->name) + 1,
				    argv[i]) == 0)
					found = e;
			if (found == NULL) {
				log_warnx("unknown %s %s", strcmp(argv[0],
				    "report") == 0 ? "report" : "subcommand",
				    log_escape(esc, sizeof(esc), argv[i]));
				return cmd_usage(&c);
			}
			argc -= i;
			argv += i;
		}
	}
	c.entry = found;
	nfirst = c.nopts;
	optstring(opts, sizeof(opts), found->flags, found->opts, 0);
	longopts(longs, found->flags, found->longopts);
	if ((i = scan(&c, argc, argv, opts, longs, &given)) == -1)
		return cmd_usage(&c);
	if (i == -2)
		return cmd_help(table, out, found->name);
	/*
	 * Shared options read before the subcommand's name must be ones it
	 * takes, too (-c names the config of a CMD_DB command's database).
	 */
	allowed = found->flags |
	    (found->flags & (CMD_DB | CMD_CONFIG_OPT) ? CMD_CONFIG : 0);
	if ((given & ~allowed) != 0) {
		log_warnx("%s does not take that option", found->name);
		return cmd_usage(&c);
	}
	for (rc = 0; rc < nfirst; rc++)
		if (found->opts == NULL ||
		    strchr(found->opts, c.opts[rc].ch) == NULL) {
			log_warnx("%s does not take -%c", found->name,
			    c.opts[rc].ch);
			return cmd_usage(&c);
		}
	c.argc = argc - i;
	c.argv = argv + i;
	if (c.argc < found->minargs ||
	    (found->maxargs >= 0 && c.argc > found->maxargs))
		return cmd_usage(&c);
	if ((found->flags & CMD_CONFIG) && c.conf == NULL)
		return cmd_usage(&c);
	log_init(c.verbose, "teletrack");
	memset(&owned, 0, sizeof(owned));
	if (found->flags & CMD_DB) {
		if (find_db(&c, dbpath, &owned) == -1)
			return 1;
		if (c.dbpath == NULL || *c.dbpath == '\0') {
			log_warnx("no database: use -c FILE, -d DBFILE or set "
			    "TELETRACK_DB");
			return cmd_usage(&c);
		}
	}
	rc = found->exec(&c);
	dbowned_free(&owned);
	return rc;
}

const char *
cmd_arg(const struct cmd *c, int ch)
{
	const char	*arg = NULL;
	int		 i;

	for (i = 0; i < c->nopts; i++)
		if (c->opts[i].ch == ch)
			arg = c->opts[i].arg;
	return arg;
}

int
cmd_flag(const struct cmd *c, int ch)
{
	int	 i;

	for (i = 0; i < c->nopts; i++)
		if (c->opts[i].ch == ch)
			return 1;
	return 0;
}

int
cmd_limit(const struct cmd *c, int *limit)
{
	const char	*arg = cmd_arg(c, 'n');
	char		 esc[64], *end;
	long		 n;

	if (arg == NULL)
		return 0;
	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno != 0 || *end != '\0' || end == arg || n < 1 ||
	    n > INT32_MAX) {
		log_warnx("-n: not a positive number: %s",
		    log_escape(esc, sizeof(esc), arg));
		return -1;
	}
	*limit = (int)n;
	return 0;
}

int
cmd_print(struct cmd *c, struct report_rows *rows, const char *err)
{
	int	 status = 1;

	if (rows == NULL)
		log_warnx("%s", err);
	else if (report_cli_print(c->out, rows, c->fmt) == -1)
		log_warn("writing the output");
	else
		status = 0;
	report_rows_free(rows);
	return status;
}
