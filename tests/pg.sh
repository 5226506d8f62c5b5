# A throw-away PostgreSQL for the tests, the benchmark and the demo
# (POSIX sh, sourced).  Debian's server binaries run as an unprivileged
# user (postgres when we are root: initdb refuses root) on a cluster in a
# temp dir, listening on a free 127.0.0.1 port and on a Unix socket in
# that dir.  Local (socket) connections are trusted for the superuser
# "postgres"; TCP asks for a password (scram-sha-256).
#
#   tt_pg_available          0 when the server binaries are installed
#   tt_pg_start [FSYNC]      initdb + start; sets TT_PG_DIR, TT_PG_PORT,
#                            TT_PG_URL (role teletrack, password in
#                            TT_PG_PASSWORD, database teletrack);
#                            FSYNC=off for tests (default on)
#   tt_pg_stop / tt_pg_restart / tt_pg_cleanup
#   tt_psql [ARGS...]        psql as the superuser, on the socket
#
# Needs tt_free_port (tests/freeport.sh, which tests/integration/lib.sh
# sources).  Every wait is bounded; only the processes started here are
# stopped.

TT_PG_DIR=""
TT_PG_PORT=""
TT_PG_URL=""
TT_PG_PASSWORD="pg-test-$$"
TT_PG_BIN=""

tt_pg_bin() {
	[ -n "$TT_PG_BIN" ] && return 0
	TT_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V |
	    tail -n 1)
	[ -n "$TT_PG_BIN" ] && [ -x "$TT_PG_BIN/initdb" ]
}

tt_pg_available() {
	tt_pg_bin && command -v psql >/dev/null 2>&1
}

# Run a server binary as the cluster's owner.
tt_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

tt_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$TT_PG_DIR" -p "$TT_PG_PORT" \
	    -U postgres -d teletrack "$@"
}

tt_pg_start() {
	fsync=${1:-on}
	tt_pg_bin || { echo "tt_pg_start: no PostgreSQL server" >&2; return 1; }
	TT_PG_DIR=$(mktemp -d /tmp/teletrack-pg.XXXXXX)
	chmod 755 "$TT_PG_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres "$TT_PG_DIR"
	TT_PG_PORT=$(tt_free_port)
	tt_pg_as "$TT_PG_BIN/initdb" -D "$TT_PG_DIR/data" -U postgres \
	    -A trust -E UTF8 --locale=C --no-sync >"$TT_PG_DIR/initdb.log" 2>&1 ||
	    { cat "$TT_PG_DIR/initdb.log" >&2; return 1; }
	cat > "$TT_PG_DIR/data/pg_hba.conf" <<HBA
local all postgres trust
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
HBA
	cat >> "$TT_PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $TT_PG_PORT
unix_socket_directories = '$TT_PG_DIR'
fsync = $fsync
max_connections = 40
shared_buffers = 32MB
log_min_messages = warning
CONF
	tt_pg_as "$TT_PG_BIN/pg_ctl" -D "$TT_PG_DIR/data" \
	    -l "$TT_PG_DIR/server.log" -w -t 30 start >/dev/null ||
	    { tail -n 20 "$TT_PG_DIR/server.log" >&2; return 1; }
	psql -X -q -v ON_ERROR_STOP=1 -h "$TT_PG_DIR" -p "$TT_PG_PORT" \
	    -U postgres -d postgres \
	    -c "CREATE ROLE teletrack LOGIN PASSWORD '$TT_PG_PASSWORD'" \
	    -c "CREATE DATABASE teletrack OWNER teletrack" || return 1
	TT_PG_URL="postgresql://teletrack@127.0.0.1:$TT_PG_PORT/teletrack?sslmode=disable"
}

tt_pg_stop() {
	[ -n "$TT_PG_DIR" ] && [ -f "$TT_PG_DIR/data/postmaster.pid" ] || return 0
	tt_pg_as "$TT_PG_BIN/pg_ctl" -D "$TT_PG_DIR/data" -m fast -w -t 30 \
	    stop >/dev/null 2>&1
}

tt_pg_restart() {
	tt_pg_as "$TT_PG_BIN/pg_ctl" -D "$TT_PG_DIR/data" \
	    -l "$TT_PG_DIR/server.log" -w -t 30 start >/dev/null
}

tt_pg_cleanup() {
	[ -n "$TT_PG_DIR" ] || return 0
	tt_pg_stop
	rm -rf "$TT_PG_DIR"
	TT_PG_DIR=""
}
