/*
 * The PostgreSQL backend of the storage interface (db_int.h), through
 * libpq.
 *
 * libpq is opened (dlopen) the first time a URL names a server, like
 * libical and libsystemd elsewhere: a SQLite user's process never loads
 * it or the Kerberos, LDAP and TLS libraries it brings.
 *
 * Connecting: the URL goes to libpq as it is (host, port, dbname, user,
 * sslmode and the rest of libpq's parameters), preceded by our defaults
 * (connect_timeout 5 s, keepalives, application name), which it may
 * override, and followed by the password when we have one ([storage]
 * password_file or $TELETRACK_DB_PASSWORD; otherwise libpq's PGPASSWORD
 * or ~/.pgpass).  A URL holding a password is refused: it would end up
 * in a config file, a process list or a log.  After every (re)connect
 * the session is set up: TimeZone UTC, the schema first in search_path,
 * and for readers default_transaction_read_only.
 *
 * Statements: SQL is written with SQLite's ?NNN and :name parameters
 * and translated once into $N; each becomes a named prepared statement
 * on the connection, prepared again after a reconnect (the connection's
 * generation changes).  Values go as text and the server infers their
 * types from where they stand, so one statement serves NULL and non-NULL
 * values alike.  A result is read whole (PQexecPrepared), then stepped
 * row by row like SQLite's.
 *
 * A lost connection: the statement fails with DB_ERR_CONNECTION; the
 * next statement outside a transaction resets the connection first
 * (libpq's PQreset), so the writer's retry after its backoff is what
 * reconnects.  A COMMIT whose answer was lost is resolved later with
 * txid_status() (db_tx_committed()).
 *
 * Migrations: storage/schema/NNN_name.sql in PostgreSQL's dialect
 * (storage/schema/pg.awk derives it at build time), version in the
 * one-row table teletrack_schema, each step in one transaction under an
 * advisory lock, so shards starting together on a new database migrate
 * once.
 *
 * Over 800 lines as one backend, like db_sqlite.c: the ops table
 * (db_int.h) wants every operation of a connection beside the
 * connection's state (generation, open transaction, prepared names).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "db_int.h"
#include "dlsyms.h"
#include "log.h"
#include "schema.h"
#include "text.h"
#include "xmalloc.h"

/* The libpq functions used, loaded by name. */
#define PQ_FUNCS(X)							\
	X(PQconnectdbParams) X(PQconninfoParse) X(PQconninfoFree)	\
	X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQreset)		\
	X(PQprepare) X(PQexecPrepared) X(PQexec) X(PQexecParams)	\
	X(PQresultStatus) X(PQresultErrorField) X(PQclear)		\
	X(PQntuples) X(PQnfields) X(PQfname) X(PQftype) X(PQgetvalue)	\
	X(PQgetisnull) X(PQcmdTuples) X(PQtransactionStatus)		\
	X(PQescapeIdentifier) X(PQfreemem) X(PQsetNoticeProcessor)

#define PQ_MEMBER(f)	__typeof__(f) *f;
static struct {
	void		*lib;
	PQ_FUNCS(PQ_MEMBER)
} pq;
#define PQ_SLOT(f)	(void **)&pq.f,
static const char *const pq_names[] = { PQ_FUNCS(DLSYMS_NAME) NULL };
static void **const pq_slots[] = { PQ_FUNCS(PQ_SLOT) };

/* Type oids (catalog/pg_type_d.h is not in libpq-dev). */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_OID		26
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_NUMERIC	1700

/*
 * Our defaults, before the URL (which may override them).  The daemon's
 * statements run in its event loop: a server that went away without a
 * word (a cable, a partition) must fail them in seconds, not after the
 * kernel's two hours: unacknowledged data after 10 s, silence probed
 * after 10 s, every 5 s, three times.
 */
static const char *const def_keys[] = { "connect_timeout",
    "fallback_application_name", "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout" };
static const char *const def_vals[] = { "5", "teletrack", "1", "10", "5",
    "3", "10000" };
#define NDEFS	(sizeof(def_keys) / sizeof(def_keys[0]))

/* Columns created unquoted in camel case, which PostgreSQL folds. */
static const char *const camel[] = { "appointmentId", "roomId",
    "startTime", "endTime", "recordingUrl", "chatHistory", "createdAt",
    "updatedAt", NULL };

struct pg {
	PGconn		*conn;
	unsigned	 gen;		/* connections made: 1, 2, ... */
	unsigned	 seq;		/* statement names */
	int64_t		 changes;
	int		 tx;		/* a transaction is open (or was,
					   when the connection died in it) */
	char		*password;	/* owned, or NULL */
	char		*schema;	/* escaped identifier, or NULL */
	int		 readonly;
};

struct pgst {
	struct db	*db;
	char		 name[16];
	char		*sql;		/* translated: $N */
	unsigned	 gen;		/* prepared on; 0: not yet */
	int		 nparams;
	char		**pnames;	/* ":name" of each $N, or NULL */
	const char	**vals;		/* bound values (text) */
	char		**owned;	/* copies and numbers, freed at reset */
	PGresult	*res;
	int		 row;
	int		 nrows;
	int		 ncols;
	char		**cols;		/* names as SQLite spells them */
	char		 real[40];	/* a REAL as text */
};

/*
 * libpq
 */

/* NOTICEs ("already exists, skipping") are for the debug log. */
static void
notice(void *arg, const char *msg)
{
	char	 esc[256];

	(void)arg;
	log_debug("postgresql: %s", log_escape(esc, sizeof(esc), msg));
}

/*
 * Errors
 */

/* SQLSTATE "XXXXX" as an int (6 bits a character): db_errcode(). */
static int
sqlstate_code(const char *s)
{
	int	 v = 0, i;

	for (i = 0; s != NULL && i < 5 && s[i] != '\0'; i++)
		v = (v << 6) | ((s[i] - '0') & 0x3f);
	return v;
}

static enum db_err
sqlstate_kind(const char *s)
{
	if (s == NULL)
		return DB_ERR_CONNECTION;	/* no answer from a server */
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 ||
	    strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0)
		return DB_ERR_CONNECTION;
	if (strcmp(s, "25006") == 0 || strcmp(s, "42501") == 0)
		return DB_ERR_READONLY;
	if (strcmp(s, "55P03") == 0 || strcmp(s, "40001") == 0 ||
	    strcmp(s, "40P01") == 0)
		return DB_ERR_BUSY;
	if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0)
		return DB_ERR_CONTENT;
	return DB_ERR_OTHER;
}

/* Record the error of res (NULL: the connection's). */
static void
record(struct db *db, const PGresult *res)
{
	struct pg	*pg = db->be;
	const char	*state = NULL, *msg = NULL;
	enum db_err	 kind;

	if (res != NULL) {
		state = pq.PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = pq.PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (msg == NULL)
		msg = pq.PQerrorMessage(pg->conn);
	kind = state != NULL ? sqlstate_kind(state) : DB_ERR_OTHER;
	if (pq.PQstatus(pg->conn) == CONNECTION_BAD)
		kind = DB_ERR_CONNECTION;
	if (state != NULL)
		db_set_error(db, kind, sqlstate_code(state), "%s (SQLSTATE %s)",
		    msg, state);
	else
		db_set_error(db, kind, 1, "%s", msg != NULL && *msg != '\0' ?
		    msg : "connection lost");
}

/*
 * The connection
 */

/* Run a row-less command; -1 with the error recorded. */
static int
command(struct db *db, const char *sql)
{
	struct pg	*pg = db->be;
	PGresult	*res;
	int		 st;

	res = pq.PQexec(pg->conn, sql);
	st = pq.PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		record(db, res);
		pq.PQclear(res);
		return -1;
	}
	pq.PQclear(res);
	return 0;
}

/* What every new connection needs: UTC, the schema, read-only readers. */
static int
session_setup(struct db *db)
{
	struct pg	*pg = db->be;
	char		*sql;
	int		 rc;

	xasprintf(&sql, "SET TimeZone = 'UTC'%s%s%s",
	    pg->schema != NULL ? "; SET search_path TO " : "",
	    pg->schema != NULL ? pg->schema : "",
	    pg->readonly ? "; SET default_transaction_read_only = on" : "");
	rc = command(db, sql);
	free(sql);
	return rc;
}

/*
 * A usable connection for the next statement: after a loss, and outside
 * a transaction (one that was open is gone with it), reconnect.
 */
static int
ensure(struct db *db)
{
	struct pg	*pg = db->be;

	if (pq.PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	/*
	 * Never go on with a transaction's statements on a new connection:
	 * they would commit one by one.  The caller rolls back first
	 * (db_rollback() then finds no transaction).
	 */
	if (pg->tx) {
		db_set_error(db, DB_ERR_CONNECTION, 1, "the connection was "
		    "lost inside a transaction");
		return -1;
	}
	pq.PQreset(pg->conn);
	if (pq.PQstatus(pg->conn) != CONNECTION_OK) {
		record(db, NULL);
		return -1;
	}
	pg->gen++;
	return session_setup(db);
}

/*
 * The URL's parts: refuse a password in it, and make the name messages
 * use, "postgresql://user@host:port/dbname" (libpq's defaults where the
 * URL says nothing).  -1 with err filled.
 */
static int
check_url(struct db *db, const char *url, char *err, size_t errsz)
{
	PQconninfoOption	*opts, *o;
	const char		*user = NULL, *host = NULL, *port = NULL;
	const char		*dbname = NULL;
	char			*msg = NULL;

	if ((opts = pq.PQconninfoParse(url, &msg)) == NULL) {
		seterr(err, errsz, "not a connection URL: %s",
		    msg != NULL ? msg : "out of memory");
		if (msg != NULL)
			pq.PQfreemem(msg);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			pq.PQconninfoFree(opts);
			seterr(err, errsz, "the URL holds a password: put it "
			    "in [storage] password_file, "
			    "$TELETRACK_DB_PASSWORD, $PGPASSWORD or ~/.pgpass "
			    "instead");
			return -1;
		}
		if (strcmp(o->keyword, "user") == 0)
			user = o->val;
		else if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			dbname = o->val;
	}
	free(db->path);
	xasprintf(&db->path, "postgresql://%s%s%s%s%s/%s",
	    user != NULL ? user : "", user != NULL ? "@" : "",
	    host != NULL ? host : "", port != NULL ? ":" : "",
	    port != NULL ? port : "", dbname != NULL ? dbname : "");
	pq.PQconninfoFree(opts);
	return 0;
}

/* A one-value query's text (NULL: none) into buf; -1 recorded. */
static int
scalar(struct db *db, const char *sql, char *buf, size_t bufsz)
{
	struct pg	*pg = db->be;
	PGresult	*res;
	int		 rc = 0;

	buf[0] = '\0';
	res = pq.PQexec(pg->conn, sql);
	if (pq.PQresultStatus(res) != PGRES_TUPLES_OK) {
		record(db, res);
		rc = -1;
	} else if (pq.PQntuples(res) == 1 && !pq.PQgetisnull(res, 0, 0))
		snprintf(buf, bufsz, "%s", pq.PQgetvalue(res, 0, 0));
	pq.PQclear(res);
	return rc;
}

/* The schema's version: 0 without the teletrack_schema table; -1 err. */
static int
schema_version_of(struct db *db, char *err, size_t errsz)
{
	char	 v[32];

	if (scalar(db, "SELECT to_regclass('teletrack_schema')", v,
	    sizeof(v)) == -1)
		goto fail;
	if (v[0] == '\0')
		return 0;
	if (scalar(db, "SELECT max(version) FROM teletrack_schema", v,
	    sizeof(v)) == -1)
		goto fail;
	return atoi(v);
fail:
	seterr(err, errsz, "reading the schema version: %s", db_errmsg(db));
	return -1;
}

/*
 * Bring the schema to DB_SCHEMA_VERSION, one transaction a step, each
 * under an advisory lock (per schema) and re-reading the version inside
 * it.  Nothing is written when it is current: a role that may only read
 * and write rows (or only read) starts fine on a migrated database.
 */
static int
migrate(struct db *db, char *err, size_t errsz)
{
	char	 sql[128];
	int	 v;

	if (schema_pg_version != DB_SCHEMA_VERSION) {
		seterr(err, errsz, "built with %d PostgreSQL migrations, but "
		    "the code knows schema %d", schema_pg_version,
		    DB_SCHEMA_VERSION);
		return -1;
	}
	for (;;) {
		if ((v = schema_version_of(db, err, errsz)) == -1)
			return -1;
		if (v > DB_SCHEMA_VERSION) {
			seterr(err, errsz, "schema is newer than this "
			    "program: version %d, it knows %d", v,
			    DB_SCHEMA_VERSION);
			return -1;
		}
		if (v == DB_SCHEMA_VERSION)
			return 0;
		if (command(db, "BEGIN") == -1 ||
		    command(db, "SELECT pg_advisory_xact_lock(hashtext("
		    "'teletrack migration ' || current_schema()))") == -1 ||
		    command(db, "CREATE TABLE IF NOT EXISTS teletrack_schema"
		    " (version INTEGER NOT NULL)") == -1)
			goto fail;
		/* Another daemon may have migrated while we waited. */
		if ((v = schema_version_of(db, err, errsz)) == -1)
			goto failed;
		if (v < DB_SCHEMA_VERSION) {
			snprintf(sql, sizeof(sql), "DELETE FROM "
			    "teletrack_schema; INSERT INTO teletrack_schema "
			    "VALUES (%d)", v + 1);
			if (command(db, schema_pg_migrations[v]) == -1) {
				seterr(err, errsz, "migration %d -> %d: %s", v,
				    v + 1, db_errmsg(db));
				goto failed;
			}
			if (command(db, sql) == -1)
				goto fail;
		}
		if (command(db, "COMMIT") == -1)
			goto fail;
	}
fail:
	seterr(err, errsz, "migration: %s", db_errmsg(db));
failed:
	(void)command(db, "ROLLBACK");
	return -1;
}

/* Whether schema exists: 1, 0, or -1 on error. */
static int
schema_exists(struct db *db, const char *schema)
{
	struct pg	*pg = db->be;
	const char	*vals[1] = { schema };
	PGresult	*res;
	int		 n;

	res = pq.PQexecParams(pg->conn, "SELECT count(*) FROM pg_namespace"
	    " WHERE nspname = $1", 1, NULL, vals, NULL, NULL, 0);
	if (pq.PQresultStatus(res) != PGRES_TUPLES_OK) {
		record(db, res);
		pq.PQclear(res);
		return -1;
	}
	n = atoi(pq.PQgetvalue(res, 0, 0));
	pq.PQclear(res);
	return n > 0;
}

/*
 * Create the schema when missing (the daemon), and escape its name.
 * Shards starting together on a new database both find it missing; the
 * second CREATE SCHEMA IF NOT EXISTS then waits for the first and fails
 * on pg_namespace's unique index, so a failed CREATE looks again.
 */
static int
use_schema(struct db *db, const char *schema, int create, char *err,
    size_t errsz)
{
	struct pg	*pg = db->be;
	char		*id, *sql;
	int		 exists, rc;

	if ((id = pq.PQescapeIdentifier(pg->conn, schema, strlen(schema))) ==
	    NULL) {
		seterr(err, errsz, "schema %s: %s", schema,
		    pq.PQerrorMessage(pg->conn));
		return -1;
	}
	pg->schema = xstrdup(id);
	pq.PQfreemem(id);
	if ((exists = schema_exists(db, schema)) == -1) {
		seterr(err, errsz, "looking for schema %s: %s", schema,
		    db_errmsg(db));
		return -1;
	}
	if (exists)
		return 0;
	if (!create) {
		seterr(err, errsz, "no schema %s: start the daemon to create "
		    "it", schema);
		return -1;
	}
	xasprintf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", pg->schema);
	rc = command(db, sql);
	free(sql);
	if (rc == -1 && schema_exists(db, schema) != 1) {
		seterr(err, errsz, "creating schema %s: %s (create it and "
		    "grant the role USAGE and CREATE on it)", schema,
		    db_errmsg(db));
		return -1;
	}
	return 0;
}

static int
pg_open(struct db *db, const struct db_conf *conf, int flags, char *err,
    size_t errsz)
{
	const char	*keys[NDEFS + 3], *vals[NDEFS + 3];
	const char	*pw;
	struct pg	*pg;
	size_t		 n = 0, i;
	int		 v;

	if (dlsyms_load(&pq.lib, "libpq.so.5", "PostgreSQL needs libpq "
	    "(Debian package libpq5)", pq_names, pq_slots, err, errsz) == -1 ||
	    check_url(db, conf->target, err, errsz) == -1)
		return -1;
	pg = xcalloc(1, sizeof(*pg));
	db->be = pg;
	pg->readonly = (flags & DB_READONLY) != 0;
	pw = conf->password != NULL ? conf->password :
	    getenv("TELETRACK_DB_PASSWORD");
	if (pw != NULL && *pw != '\0')
		pg->password = xstrdup(pw);
	for (i = 0; i < NDEFS; i++) {
		keys[n] = def_keys[i];
		vals[n++] = def_vals[i];
	}
	keys[n] = "dbname";
	vals[n++] = conf->target;
	if (pg->password != NULL) {
		keys[n] = "password";
		vals[n++] = pg->password;
	}
	keys[n] = NULL;
	vals[n] = NULL;
	pg->conn = pq.PQconnectdbParams(keys, vals, 1);
	if (pg->conn == NULL) {
		seterr(err, errsz, "cannot connect: out of memory");
		return -1;
	}
	if (pq.PQstatus(pg->conn) != CONNECTION_OK) {
		record(db, NULL);
		seterr(err, errsz, "cannot connect: %s", db_errmsg(db));
		return -1;
	}
	pq.PQsetNoticeProcessor(pg->conn, notice, NULL);
	pg->gen = 1;
	if (conf->schema != NULL && *conf->schema != '\0' &&
	    use_schema(db, conf->schema, !pg->readonly, err, errsz) == -1)
		return -1;
	if (session_setup(db) == -1) {
		seterr(err, errsz, "setting up the session: %s",
		    db_errmsg(db));
		return -1;
	}
	if (pg->readonly) {
		if ((v = schema_version_of(db, err, errsz)) == -1)
			return -1;
		return db_version_check(v, err, errsz);
	}
	return migrate(db, err, errsz);
}

static void
pg_close(struct db *db)
{
	struct pg	*pg = db->be;

	if (pg->conn != NULL)
		pq.PQfinish(pg->conn);
	if (pg->password != NULL) {
		explicit_bzero(pg->password, strlen(pg->password));
		free(pg->password);
	}
	free(pg->schema);
	free(pg);
}

/*
 * Statements
 */

/* v (n entries) grown to m, the new ones NULL. */
static char **
grow(char **v, int n, int m)
{
	int	 i;

	if (m <= n)
		return v;
	v = xreallocarray(v, (size_t)m, sizeof(*v));
	for (i = n; i < m; i++)
		v[i] = NULL;
	return v;
}

/*
 * SQLite's parameters as PostgreSQL's, numbered as SQLite numbers them:
 * ?NNN is $NNN, a bare ? and each new :name take the number after the
 * largest so far, a :name seen before its number again.  Quoted text
 * ('...', "...") is left alone; "::" is a cast.  *pnames gets the name
 * of each number (NULL for ?NNN), or NULL when there is none.
 */
static char *
translate(const char *sql, int *nparams, char ***pnames)
{
	char		*out, *o, *end, name[64];
	const char	*p, *q;
	char		**names = NULL;		/* by number - 1 */
	int		 k, i, max = 0, named = 0, nnames = 0;
	size_t		 len;

	out = o = xmalloc(strlen(sql) * 2 + 16);
	for (p = sql; *p != '\0'; ) {
		if (*p == '\'' || *p == '"') {
			q = p + 1;
			while (*q != '\0' && !(*q == *p && q[1] != *p))
				q += *q == *p ? 2 : 1;
			if (*q != '\0')
				q++;
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
			continue;
		}
		if (*p == ':' && p[1] == ':') {
			memcpy(o, p, 2);
			o += 2;
			p += 2;
			continue;
		}
		k = 0;
		if (*p == '?') {
			p++;
			if (*p >= '0' && *p <= '9') {
				k = (int)strtol(p, &end, 10);
				p = end;
			} else
				k = max + 1;
		} else if (*p == ':' && ((p[1] >= 'a' && p[1] <= 'z') ||
		    (p[1] >= 'A' && p[1] <= 'Z') || p[1] == '_')) {
			for (q = p + 1; (*q >= 'a' && *q <= 'z') ||
			    (*q >= 'A' && *q <= 'Z') || (*q >= '0' &&
			    *q <= '9') || *q == '_'; q++)
				;
			len = (size_t)(q - p);
			if (len >= sizeof(name))
				len = sizeof(name) - 1;
			memcpy(name, p, len);
			name[len] = '\0';
			p = q;
			for (i = 0; i < nnames; i++)
				if (names[i] != NULL &&
				    strcmp(names[i], name) == 0)
					k = i + 1;
			if (k == 0) {
				k = max + 1;
				names = grow(names, nnames, k);
				nnames = k;
				names[k - 1] = xstrdup(name);
				named = 1;
				max = k;
			}
		} else {
			*o++ = *p++;
			continue;
		}
		if (k > max)
			max = k;
		o += sprintf(o, "$%d", k);
	}
	*o = '\0';
	*nparams = max;
	if (named)
		names = grow(names, nnames, max);
	*pnames = names;
	return out;
}

static void *
pg_prepare(struct db *db, const char *sql)
{
	struct pg	*pg = db->be;
	struct pgst	*st;

	st = xcalloc(1, sizeof(*st));
	st->db = db;
	snprintf(st->name, sizeof(st->name), "tt%u", ++pg->seq);
	st->sql = translate(sql, &st->nparams, &st->pnames);
	st->vals = xcalloc((size_t)st->nparams + 1, sizeof(*st->vals));
	st->owned = xcalloc((size_t)st->nparams + 1, sizeof(*st->owned));
	return st;
}

static void
clear_result(struct pgst *st)
{
	int	 i;

	if (st->res != NULL)
		pq.PQclear(st->res);
	st->res = NULL;
	for (i = 0; st->cols != NULL && i < st->ncols; i++)
		free(st->cols[i]);
	free(st->cols);
	st->cols = NULL;
	st->nrows = st->ncols = 0;
	st->row = -1;
}

static void
pg_reset(void *p)
{
	struct pgst	*st = p;
	int		 i;

	clear_result(st);
	for (i = 0; i < st->nparams; i++) {
		free(st->owned[i]);
		st->owned[i] = NULL;
		st->vals[i] = NULL;
	}
}

static void
pg_finalize(void *p, int cached)
{
	struct pgst	*st = p;
	struct pg	*pg = st->db->be;
	char		 sql[48];
	int		 i;

	pg_reset(st);
	/* An uncached statement goes; the cached ones go with the conn. */
	if (!cached && st->gen != 0 && st->gen == pg->gen &&
	    pg->conn != NULL && pq.PQstatus(pg->conn) == CONNECTION_OK &&
	    pq.PQtransactionStatus(pg->conn) == PQTRANS_IDLE) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		(void)command(st->db, sql);
	}
	for (i = 0; st->pnames != NULL && i < st->nparams; i++)
		free(st->pnames[i]);
	free(st->pnames);
	free(st->sql);
	free(st->vals);
	free(st->owned);
	free(st);
}

static int
param(struct db *db, struct pgst *st, int i)
{
	if (i < 1 || i > st->nparams) {
		db_set_error(db, DB_ERR_CONTENT, 25, "parameter %d of %d: "
		    "column index out of range", i, st->nparams);
		return -1;
	}
	free(st->owned[i - 1]);
	st->owned[i - 1] = NULL;
	return 0;
}

/* Parameter i takes text, which the statement owns from here on. */
static int
bind_owned(struct db *db, struct pgst *st, int i, char *text)
{
	if (param(db, st, i) == -1) {
		free(text);
		return -1;
	}
	st->owned[i - 1] = text;
	st->vals[i - 1] = text;
	return 0;
}

static int
pg_bind_int(struct db *db, void *p, int i, int64_t v)
{
	char	*s;

	xasprintf(&s, "%lld", (long long)v);
	return bind_owned(db, p, i, s);
}

static int
pg_bind_real(struct db *db, void *p, int i, double v)
{
	char	*s;

	xasprintf(&s, "%.17g", v);
	return bind_owned(db, p, i, s);
}

static int
pg_bind_text(struct db *db, void *p, int i, const char *s, int copy)
{
	struct pgst	*st = p;

	if (copy)
		return bind_owned(db, st, i, xstrdup(s));
	if (param(db, st, i) == -1)
		return -1;
	st->vals[i - 1] = s;
	return 0;
}

static int
pg_bind_null(struct db *db, void *p, int i)
{
	struct pgst	*st = p;

	if (param(db, st, i) == -1)
		return -1;
	st->vals[i - 1] = NULL;
	return 0;
}

static int
pg_param_count(void *p)
{
	return ((struct pgst *)p)->nparams;
}

static const char *
pg_param_name(void *p, int i)
{
	struct pgst	*st = p;

	if (st->pnames == NULL || i < 1 || i > st->nparams)
		return NULL;
	return st->pnames[i - 1];
}

/* The name SQLite would give column i: the schema's camel case back. */
static char *
column_name(const char *name)
{
	size_t	 i;

	for (i = 0; camel[i] != NULL; i++)
		if (strcasecmp(camel[i], name) == 0)
			return xstrdup(camel[i]);
	return xstrdup(name);
}

/* Run st with its values: its result, or -1 recorded. */
static int
execute(struct db *db, struct pgst *st)
{
	struct pg	*pg = db->be;
	PGresult	*res;
	const char	*n;
	int		 s, i;

	if (ensure(db) == -1)
		return -1;
	if (st->gen != pg->gen) {
		res = pq.PQprepare(pg->conn, st->name, st->sql, st->nparams,
		    NULL);
		if (pq.PQresultStatus(res) != PGRES_COMMAND_OK) {
			record(db, res);
			pq.PQclear(res);
			return -1;
		}
		pq.PQclear(res);
		st->gen = pg->gen;
	}
	res = pq.PQexecPrepared(pg->conn, st->name, st->nparams, st->vals,
	    NULL, NULL, 0);
	s = pq.PQresultStatus(res);
	switch (pq.PQtransactionStatus(pg->conn)) {
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		pg->tx = 1;
		break;
	case PQTRANS_IDLE:
		pg->tx = 0;
		break;
	default:
		break;	/* gone: as it was */
	}
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		record(db, res);
		pq.PQclear(res);
		return -1;
	}
	n = pq.PQcmdTuples(res);
	pg->changes = n != NULL && *n != '\0' ? strtoll(n, NULL, 10) : 0;
	st->res = res;
	st->nrows = s == PGRES_TUPLES_OK ? pq.PQntuples(res) : 0;
	st->ncols = pq.PQnfields(res);
	st->cols = xcalloc((size_t)st->ncols + 1, sizeof(*st->cols));
	for (i = 0; i < st->ncols; i++)
		st->cols[i] = column_name(pq.PQfname(res, i));
	st->row = -1;
	return 0;
}

static int
pg_step(struct db *db, void *p)
{
	struct pgst	*st = p;

	if (st->res == NULL && execute(db, st) == -1)
		return -1;
	if (st->row + 1 < st->nrows) {
		st->row++;
		return DB_ROW;
	}
	st->row = st->nrows;
	return DB_DONE;
}

/* Known once stepped (SQLite knows them from the prepare on). */
static int
pg_column_count(void *p)
{
	return ((struct pgst *)p)->ncols;
}

static const char *
pg_column_name(void *p, int i)
{
	struct pgst	*st = p;

	return i >= 0 && i < st->ncols ? st->cols[i] : NULL;
}

/*
 * Column i of the current row as PostgreSQL's text, borrowed from the
 * result; NULL when there is no such row or column, or for SQL null.
 */
static const char *
cell(const struct pgst *st, int i)
{
	if (st->res == NULL || st->row < 0 || st->row >= st->nrows ||
	    i < 0 || i >= st->ncols || pq.PQgetisnull(st->res, st->row, i))
		return NULL;
	return pq.PQgetvalue(st->res, st->row, i);
}

static enum db_type
pg_column_type(void *p, int i)
{
	struct pgst	*st = p;
	const char	*v;

	if ((v = cell(st, i)) == NULL)
		return DB_NULL;
	switch (pq.PQftype(st->res, i)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return DB_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return DB_REAL;
	case OID_NUMERIC:
		/* SUM() of bigints is a whole NUMERIC: SQLite's INTEGER. */
		return strpbrk(v, ".eEN") != NULL ? DB_REAL : DB_INT;
	}
	return DB_TEXT;
}

static int64_t
pg_column_int(void *p, int i)
{
	struct pgst	*st = p;
	const char	*v;

	if ((v = cell(st, i)) == NULL)
		return 0;
	if (pq.PQftype(st->res, i) == OID_BOOL)
		return *v == 't';
	if (strpbrk(v, ".eEN") != NULL)
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

static double
pg_column_real(void *p, int i)
{
	struct pgst	*st = p;
	const char	*v;

	if ((v = cell(st, i)) == NULL)
		return 0;
	if (pq.PQftype(st->res, i) == OID_BOOL)
		return *v == 't';
	return strtod(v, NULL);
}

static const char *
pg_column_text(void *p, int i)
{
	struct pgst	*st = p;
	const char	*v;

	if ((v = cell(st, i)) == NULL)
		return NULL;
	switch (pg_column_type(st, i)) {
	case DB_REAL:
		return db_real_text(pg_column_real(st, i), st->real,
		    sizeof(st->real));
	case DB_INT:
		if (pq.PQftype(st->res, i) == OID_BOOL)
			return *v == 't' ? "1" : "0";
		break;
	default:
		break;
	}
	return v;
}

static int64_t
pg_changes(struct db *db)
{
	return ((struct pg *)db->be)->changes;
}

static const char sql_begin[] = "BEGIN";

static int
pg_begin(struct db *db)
{
	return db_exec(db, sql_begin);
}

static int
pg_in_transaction(struct db *db)
{
	struct pg	*pg = db->be;

	/* A transaction on a lost connection is over: nothing to undo. */
	if (pq.PQstatus(pg->conn) != CONNECTION_OK)
		pg->tx = 0;
	return pg->tx;
}

static const char sql_txid[] = "SELECT txid_current()";
static const char sql_txstatus[] = "SELECT txid_status(?1)";

static int64_t
pg_tx_id(struct db *db)
{
	struct db_stmt	*st;
	int64_t		 id = 0;

	if ((st = db_prepare(db, sql_txid)) == NULL)
		return 0;
	if (db_step(st) == DB_ROW)
		id = db_column_int(st, 0);
	db_reset(st);
	return id;
}

static int
pg_tx_committed(struct db *db, int64_t id)
{
	struct db_stmt	*st;
	const char	*s;
	int		 rc = -1;

	if ((st = db_prepare(db, sql_txstatus)) == NULL ||
	    db_bind_int(st, 1, id) == -1)
		return -1;
	if (db_step(st) == DB_ROW) {
		s = db_column_text(st, 0);
		/* NULL: too old to know, long since settled: not ours. */
		rc = s != NULL && strcmp(s, "committed") == 0;
	}
	db_reset(st);
	return rc;
}

static int
pg_script(struct db *db, const char *sql)
{
	if (ensure(db) == -1)
		return -1;
	return command(db, sql);
}

static void
pg_busy_timeout(struct db *db, int ms)
{
	(void)db;
	(void)ms;
}

const struct db_ops db_pg_ops = {
	.backend = DB_PG,
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_int = pg_bind_int,
	.bind_real = pg_bind_real,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.param_count = pg_param_count,
	.param_name = pg_param_name,
	.step = pg_step,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.column_type = pg_column_type,
	.column_int = pg_column_int,
	.column_real = pg_column_real,
	.column_text = pg_column_text,
	.reset = pg_reset,
	.changes = pg_changes,
	.begin = pg_begin,
	.in_transaction = pg_in_transaction,
	.tx_id = pg_tx_id,
	.tx_committed = pg_tx_committed,
	.script = pg_script,
	.busy_timeout = pg_busy_timeout,
};
