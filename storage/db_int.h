/*
 * Inside the storage interface: what a backend provides (struct
 * db_ops) and the parts of struct db the front (db.c) and the backends
 * (db_sqlite.c, db_pg.c) share.  Nothing outside those three files
 * includes this.
 */
#ifndef TELETRACK_DB_INT_H
#define TELETRACK_DB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define DB_MAX_STMTS	64	/* distinct cached statements per db */

struct db_stmt {
	struct db	*db;
	const char	*key;		/* the SQL's address; NULL: uncached */
	void		*be;		/* the backend's statement */
};

/*
 * A backend.  Statements are void * to the front.  Every function that
 * fails records the error with db_set_error() and returns -1 (or NULL).
 */
struct db_ops {
	enum db_backend	 backend;
	/* Fill db->be; err is the caller's (no path in it: db.c adds it). */
	int		(*open)(struct db *, const struct db_conf *, int flags,
			    char *err, size_t errsz);
	void		(*close)(struct db *);
	void		*(*prepare)(struct db *, const char *sql);
	void		(*finalize)(void *st, int cached);
	int		(*bind_int)(struct db *, void *st, int i, int64_t v);
	int		(*bind_real)(struct db *, void *st, int i, double v);
	int		(*bind_text)(struct db *, void *st, int i,
			    const char *s, int copy);
	int		(*bind_null)(struct db *, void *st, int i);
	int		(*param_count)(void *st);
	const char	*(*param_name)(void *st, int i);
	int		(*step)(struct db *, void *st);
	int		(*column_count)(void *st);
	const char	*(*column_name)(void *st, int i);
	enum db_type	(*column_type)(void *st, int i);
	int64_t		(*column_int)(void *st, int i);
	double		(*column_real)(void *st, int i);
	const char	*(*column_text)(void *st, int i);
	void		(*reset)(void *st);
	int64_t		(*changes)(struct db *);
	int64_t		(*last_insert_id)(struct db *);	/* or NULL */
	int		(*begin)(struct db *);
	int		(*in_transaction)(struct db *);
	int64_t		(*tx_id)(struct db *);
	int		(*tx_committed)(struct db *, int64_t id);
	int		(*script)(struct db *, const char *sql);
	void		(*busy_timeout)(struct db *, int ms);
};

struct db {
	const struct db_ops	*ops;
	void			*be;		/* the backend's connection */
	char			*path;		/* db_path() */
	int			 flags;
	struct db_stmt		 stmts[DB_MAX_STMTS];
	size_t			 nstmts;
	enum db_err		 errkind;
	int			 errcode;
	char			 errmsg[512];
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/*
 * A read-only open finds schema version v: 0, or -1 with why in err
 * when it is not the one this program reads (DB_SCHEMA_VERSION).
 */
int	 db_version_check(int v, char *err, size_t errsz);

/*
 * Render d as SQLite renders a REAL ("%!.15g": "2.0", "0.1", "1e+20")
 * into buf (at least 32 bytes); returns buf.
 */
char	*db_real_text(double d, char *buf, size_t bufsz);

#endif
