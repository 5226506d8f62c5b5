/*
 * The schema's migrations, embedded at build time (storage/schema/
 * embed.awk writes schema_sql.c and schema_pg_sql.c): from
 * storage/schema/NNN_name.sql for SQLite, and the same steps in
 * PostgreSQL's dialect, which storage/schema/pg.awk derives from them.
 * And what SQLite's migrations end with, in one step (storage/schema/
 * squash.c writes schema_fresh_sql.c).  The backends' migrate() apply
 * them; nothing else uses them.
 */
#ifndef TELETRACK_SCHEMA_H
#define TELETRACK_SCHEMA_H

#include <stddef.h>

/*
 * schema_migrations[i] takes the schema from version i to i + 1; NULL
 * after the last.  schema_version is their number: the version a fully
 * migrated database has.  The _pg_ pair is PostgreSQL's, step for step.
 */
extern const char *const schema_migrations[];
extern const int	 schema_version;
extern const char *const schema_pg_migrations[];
extern const int	 schema_pg_version;

/*
 * schema_fresh: the schema all of schema_migrations[] build, as one SQL
 * text: every table, index and view, then the rows the migrations insert
 * (a column its default filled from the clock left to the default again).
 * A new SQLite database is created with it, at schema_version.
 */
extern const char	 schema_fresh[];

#endif
