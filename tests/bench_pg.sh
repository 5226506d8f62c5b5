#!/bin/sh
# make bench, PostgreSQL part: a throw-away server (tests/pg.sh, fsync on
# as a real one has it), then the writer against bare libpq INSERTs on it.
# Skipped, saying so, where Debian's postgresql is not installed.
: "${BENCH:?BENCH must point at the bench binary}"
. "$(dirname "$0")/freeport.sh"
. "$(dirname "$0")/pg.sh"
if ! tt_pg_available; then
	echo "storage on PostgreSQL: skipped (no server: Debian's postgresql)"
	exit 0
fi
trap tt_pg_cleanup EXIT INT TERM
tt_pg_start on || exit 1
TELETRACK_BENCH_PG="$TT_PG_URL" TELETRACK_DB_PASSWORD="$TT_PG_PASSWORD" \
    "$BENCH" pg
