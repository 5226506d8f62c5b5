/*
 * The storage interface's front: choosing the backend, the statement
 * cache, the recorded error, and what is written once for both
 * backends (reading meeting_settings).
 *
 * Flow: `teletrack run` opens the database read-write once and hands it
 * to the writer (writer.c), which turns events into rows; the commands
 * open it read-only (reports, the dashboard) or for short transactions
 * (schedule, settings).  All go through struct db, which owns the
 * connection and every statement, so db_close() is the one place that
 * finalizes them (as in mosquitto's persist-sqlite plugin).
 *
 * Backends: db_sqlite.c (the default: a file, WAL) and db_pg.c
 * (PostgreSQL through libpq, which it opens when a URL names a server,
 * so a SQLite user's process never loads it).  Each implements struct
 * db_ops (db_int.h): open with its migrations, prepare, bind, step,
 * columns, transactions.  The schema is the same on both, migration for
 * migration: storage/schema/NNN_name.sql holds each step, and
 * storage/schema/pg.awk derives PostgreSQL's dialect of it (schema.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_int.h"
#include "log.h"
#include "settings.h"
#include "text.h"
#include "xmalloc.h"

int
db_is_url(const char *target)
{
	return target != NULL && (strncmp(target, "postgresql://", 13) == 0 ||
	    strncmp(target, "postgres://", 11) == 0);
}

/*
 * A URL as messages may show it: without a password in its user info
 * and without its parameters (one may be a password).  The backend
 * names the database more precisely once connected.
 */
static char *
url_label(const char *url)
{
	const char	*auth, *end, *at, *colon;
	char		*out;
	size_t		 n;

	auth = strstr(url, "://") + 3;
	end = auth + strcspn(auth, "/?");
	at = memchr(auth, '@', (size_t)(end - auth));
	n = (size_t)(auth - url);
	if (at != NULL && (colon = memchr(auth, ':', (size_t)(at - auth))) !=
	    NULL)
		xasprintf(&out, "%.*s%.*s%.*s", (int)n, url,
		    (int)(colon - auth), auth, (int)strcspn(at, "?"), at);
	else
		xasprintf(&out, "%.*s", (int)strcspn(url, "?"), url);
	return out;
}

struct db *
db_connect(const struct db_conf *conf, int flags, char *err, size_t errsz)
{
	struct db	*db;
	char		*msg;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	db = xcalloc(1, sizeof(*db));
	db->ops = db_is_url(conf->target) ? &db_pg_ops : &db_sqlite_ops;
	db->flags = flags;
	db->path = db_is_url(conf->target) ? url_label(conf->target) :
	    xstrdup(conf->target);
	if (db->ops->open(db, conf, flags, err, errsz) == -1) {
		/* The backends' messages lack the name: add it. */
		if (err != NULL && errsz > 0) {
			msg = xstrdup(err);
			seterr(err, errsz, "%s: %s", db->path, msg);
			free(msg);
		}
		db_close(db);
		return NULL;
	}
	return db;
}

struct db *
db_open(const char *target, int flags, char *err, size_t errsz)
{
	struct db_conf	 conf;

	memset(&conf, 0, sizeof(conf));
	conf.target = target;
	return db_connect(&conf, flags, err, errsz);
}

void
db_close(struct db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nstmts; i++)
		db->ops->finalize(db->stmts[i].be, 1);
	if (db->be != NULL)
		db->ops->close(db);
	free(db->path);
	free(db);
}

const char *
db_path(const struct db *db)
{
	return db->path;
}

enum db_backend
db_backend(const struct db *db)
{
	return db->ops->backend;
}

const char *
db_pick(const struct db *db, const char *sqlite_sql, const char *pg_sql)
{
	return db->ops->backend == DB_PG ? pg_sql : sqlite_sql;
}

/*
 * Errors
 */

void
db_set_error(struct db *db, enum db_err kind, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	*p, *o;

	db->errkind = kind;
	db->errcode = code;
	va_start(ap, fmt);
	vsnprintf(db->errmsg, sizeof(db->errmsg), fmt, ap);
	va_end(ap);
	/*
	 * One line: libpq's messages run over several ("server closed the
	 * connection unexpectedly\n\tThis probably means...\n").
	 */
	for (p = o = db->errmsg; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
		if (*p == ' ' && (o == db->errmsg || o[-1] == ' '))
			continue;
		*o++ = *p;
	}
	while (o > db->errmsg && o[-1] == ' ')
		o--;
	*o = '\0';
}

void
db_clear_error(struct db *db)
{
	db->errkind = DB_ERR_NONE;
	db->errcode = 0;
	db->errmsg[0] = '\0';
}

enum db_err
db_errkind(const struct db *db)
{
	return db->errkind;
}

int
db_errcode(const struct db *db)
{
	return db->errcode;
}

const char *
db_errmsg(const struct db *db)
{
	return db->errkind == DB_ERR_NONE && db->errmsg[0] == '\0' ?
	    "no error" : db->errmsg;
}

int
db_version_check(int v, char *err, size_t errsz)
{
	if (v == DB_SCHEMA_VERSION)
		return 0;
	seterr(err, errsz, "%s: version %d, expected %d",
	    v == 0 ? "not a teletrack database (no schema)" :
	    v > DB_SCHEMA_VERSION ? "schema is newer than this program" :
	    "schema is older: start the daemon to migrate it",
	    v, DB_SCHEMA_VERSION);
	return -1;
}

char *
db_real_text(double d, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%.15g", d);
	/* SQLite's "!" flag: a REAL always shows that it is one. */
	if (strpbrk(buf, ".eni") == NULL && strlen(buf) + 3 <= bufsz)
		strcat(buf, ".0");
	return buf;
}

/*
 * Statements
 */

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	struct db_stmt	*s;
	void		*be;
	size_t		 i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].key == sql)
			return &db->stmts[i];
	if (db->nstmts == DB_MAX_STMTS)
		fatalx("%s: more than %d statements", __func__, DB_MAX_STMTS);
	if ((be = db->ops->prepare(db, sql)) == NULL)
		return NULL;
	s = &db->stmts[db->nstmts++];
	s->db = db;
	s->key = sql;
	s->be = be;
	return s;
}

struct db_stmt *
db_stmt_new(struct db *db, const char *sql)
{
	struct db_stmt	*s;
	void		*be;

	if ((be = db->ops->prepare(db, sql)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->db = db;
	s->be = be;
	return s;
}

void
db_stmt_free(struct db_stmt *s)
{
	if (s == NULL)
		return;
	s->db->ops->finalize(s->be, 0);
	free(s);
}

int
db_bind_int(struct db_stmt *s, int i, int64_t v)
{
	return s->db->ops->bind_int(s->db, s->be, i, v);
}

int
db_bind_real(struct db_stmt *s, int i, double v)
{
	return s->db->ops->bind_real(s->db, s->be, i, v);
}

int
db_bind_text(struct db_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return s->db->ops->bind_null(s->db, s->be, i);
	return s->db->ops->bind_text(s->db, s->be, i, v, 0);
}

int
db_bind_copy(struct db_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return s->db->ops->bind_null(s->db, s->be, i);
	return s->db->ops->bind_text(s->db, s->be, i, v, 1);
}

int
db_bind_null(struct db_stmt *s, int i)
{
	return s->db->ops->bind_null(s->db, s->be, i);
}

int
db_param_count(struct db_stmt *s)
{
	return s->db->ops->param_count(s->be);
}

const char *
db_param_name(struct db_stmt *s, int i)
{
	return s->db->ops->param_name(s->be, i);
}

int
db_step(struct db_stmt *s)
{
	return s->db->ops->step(s->db, s->be);
}

int
db_column_count(struct db_stmt *s)
{
	return s->db->ops->column_count(s->be);
}

const char *
db_column_name(struct db_stmt *s, int i)
{
	return s->db->ops->column_name(s->be, i);
}

enum db_type
db_column_type(struct db_stmt *s, int i)
{
	return s->db->ops->column_type(s->be, i);
}

int64_t
db_column_int(struct db_stmt *s, int i)
{
	return s->db->ops->column_int(s->be, i);
}

double
db_column_real(struct db_stmt *s, int i)
{
	return s->db->ops->column_real(s->be, i);
}

const char *
db_column_text(struct db_stmt *s, int i)
{
	return s->db->ops->column_text(s->be, i);
}

void
db_reset(struct db_stmt *s)
{
	s->db->ops->reset(s->be);
}

int
db_step_done(struct db *db, struct db_stmt *st)
{
	int	 rc;

	(void)db;
	while ((rc = db_step(st)) == DB_ROW)
		;
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int
db_exec(struct db *db, const char *sql)
{
	struct db_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	return db_step_done(db, st);
}

int
db_script(struct db *db, const char *sql)
{
	return db->ops->script(db, sql);
}

int64_t
db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int64_t
db_last_insert_id(struct db *db)
{
	return db->ops->last_insert_id != NULL ?
	    db->ops->last_insert_id(db) : 0;
}

/*
 * Transactions
 */

static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

int
db_begin(struct db *db)
{
	return db->ops->begin(db);
}

int
db_commit(struct db *db)
{
	return db_exec(db, sql_commit);
}

int
db_rollback(struct db *db)
{
	if (!db->ops->in_transaction(db))
		return 0;
	return db_exec(db, sql_rollback);
}

int
db_in_transaction(struct db *db)
{
	return db->ops->in_transaction(db);
}

int64_t
db_tx_id(struct db *db)
{
	return db->ops->tx_id(db);
}

int
db_tx_committed(struct db *db, int64_t id)
{
	return db->ops->tx_committed(db, id);
}

void
db_busy_timeout(struct db *db, int ms)
{
	db->ops->busy_timeout(db, ms);
}

struct sqlite3 *
db_sqlite(struct db *db)
{
	return db->ops->backend == DB_SQLITE ? db->be : NULL;
}

/*
 * meeting_settings
 */

/* SELECT of every column in settings_table, built once (static). */
static const char *
settings_sql(void)
{
	static char	 sql[2048];
	const struct setting *c;
	size_t		 o;

	if (sql[0] != '\0')
		return sql;
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (c = settings_table; c->name != NULL; c++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s%s",
		    c == settings_table ? "" : ", ", c->name);
	snprintf(sql + o, sizeof(sql) - o, " FROM meeting_settings"
	    " WHERE id = 1");
	return sql;
}

int
db_settings(struct db *db, struct settings *s)
{
	const struct setting *c;
	struct db_stmt	*st;
	char		*base = (char *)s;
	const char	*t;
	int		 i, rc;

	settings_defaults(s);
	if ((st = db_prepare(db, settings_sql())) == NULL)
		goto fail;
	rc = db_step(st);
	if (rc == DB_ROW) {
		for (i = 0, c = settings_table; c->name != NULL; c++, i++) {
			if (db_column_type(st, i) == DB_NULL)
				continue;
			switch (c->type) {
			case SETTING_INT:
				*(int *)(base + c->off) =
				    (int)db_column_int(st, i);
				break;
			case SETTING_REAL:
				*(double *)(base + c->off) =
				    db_column_real(st, i);
				break;
			default:
				t = db_column_text(st, i);
				snprintf(base + c->off, c->size, "%s",
				    t != NULL ? t : "");
				break;
			}
		}
	} else if (rc != DB_DONE) {
		db_reset(st);
		settings_defaults(s);
		return -1;
	}
	db_reset(st);
	return 0;
fail:
	settings_defaults(s);
	return -1;
}
