/*
 * The schema's migrations, from storage/schema/NNN_name.sql, embedded at
 * build time (storage/schema/embed.awk writes schema_sql.c).  db.c's
 * migrate() applies them by PRAGMA user_version; nothing else uses them.
 */
#ifndef TELETRACK_SCHEMA_H
#define TELETRACK_SCHEMA_H

#include <stddef.h>

/*
 * schema_migrations[i] takes the schema from user_version i to i + 1;
 * NULL after the last.  schema_version is their number: the version a
 * fully migrated database has.
 */
extern const char *const schema_migrations[];
extern const int	 schema_version;

#endif
