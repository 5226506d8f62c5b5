# Two Jitsi shards and one PostgreSQL, for sc_postgres.sh and
# demo_postgres.sh (POSIX sh, sourced after lib.sh and ../pg.sh, once
# tt_setup and tt_pg_start ran).  Shard "east" is lib.sh's Prosody
# ($TT_PORT); "west" is a second one like it on its own port.  Each has a
# directory $TT_DIR/NAME holding its teletrack.conf, its log and its
# state files (status, IP key).  Every wait is bounded.

WEST_PORT=""
WEST_PID=""

# The west Prosody: lib.sh's config on another port and data dir.
west_on() {
	sed -i "s/^c2s_ports = .*/c2s_ports = { $1 }/" \
	    "$TT_DIR/west/prosody.cfg.lua"
	prosody -F --config "$TT_DIR/west/prosody.cfg.lua" \
	    >"$TT_DIR/west/prosody.out" 2>&1 &
	TT_STARTED=$!
}

tt_west_start() {
	mkdir -p "$TT_DIR/west/data" "$TT_DIR/east"
	sed -e "s|$TT_DIR/prosody.pid|$TT_DIR/west/prosody.pid|" \
	    -e "s|$TT_DIR/data|$TT_DIR/west/data|" \
	    -e "s|$TT_DIR/admin.sock|$TT_DIR/west/admin.sock|" \
	    -e "s|$TT_DIR/prosody.log|$TT_DIR/west/prosody.log|" \
	    "$TT_DIR/prosody.cfg.lua" > "$TT_DIR/west/prosody.cfg.lua"
	pcw="prosodyctl --config $TT_DIR/west/prosody.cfg.lua"
	$pcw register focus auth.meet.jitsi focuspw >/dev/null 2>&1
	$pcw register teletrack hidden.meet.jitsi observerpw >/dev/null 2>&1
	# Like east's: a free port may be taken by another run meanwhile.
	tt_start_listening west_on || { tt_fail "west's Prosody did not \
start: $(tail -n 2 "$TT_DIR/west/prosody.out")"; exit 1; }
	WEST_PORT=$TT_STARTED_PORT
	WEST_PID=$TT_STARTED
	printf '%s\n' "$TT_PG_PASSWORD" > "$TT_DIR/pgpass"
	chmod 600 "$TT_DIR/pgpass"
}

tt_west_stop() {
	[ -n "$WEST_PID" ] || return 0
	tt_prosody_kill "$WEST_PID"
	WEST_PID=""
}

# tt_shard_conf NAME PORT ROOMS [URL [PASSFILE]]: NAME's teletrack.conf,
# shard NAME, the database on PostgreSQL in schema teletrack.
tt_shard_conf() {
	mkdir -p "$TT_DIR/$1"
	tt_xmpp_ini "$2" > "$TT_DIR/$1/teletrack.conf"
	cat >> "$TT_DIR/$1/teletrack.conf" <<CFG
reconnect_min_s = 1
reconnect_max_s = 2
shard = $1
[rooms]
join = $3
leave_grace_s = 2
retry_min_s = 1
retry_max_s = 2
[storage]
database = $TT_DIR/$1/teletrack.db
url = ${4:-$TT_PG_URL}
password_file = ${5:-$TT_DIR/pgpass}
schema = teletrack
flush_ms = 100
[tracking]
rollup_interval_s = 1
[schedule]
poll_s = 1
CFG
}

# tt_shard_start NAME: its daemon, logging to NAME/observer.log; sets PID.
tt_shard_start() {
	"$TELETRACK" run -v -c "$TT_DIR/$1/teletrack.conf" \
	    >>"$TT_DIR/$1/observer.log" 2>&1 &
	PID=$!
}

# tt_shard_stop PID NAME: SIGTERM, bounded wait, exit status 0.
tt_shard_stop() {
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null && { tt_fail "$2 did not stop"; kill -9 "$1"; }
	wait "$1" || tt_fail "$2 exited $?"
}

# tt_wait_in FILE PATTERN [TENTHS]: bounded wait for a line in FILE.
tt_wait_in() {
	i=0
	while [ $i -lt "${3:-300}" ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	tt_fail "$(basename "$(dirname "$1")")/$(basename "$1") never showed: $2"
	return 1
}

# tt_pgq SQL: one value, as the teletrack role sees its schema.
tt_pgq() {
	PGPASSWORD="$TT_PG_PASSWORD" psql -X -q -t -A -v ON_ERROR_STOP=1 \
	    "$TT_PG_URL" -c "SET search_path TO teletrack" -c "$1"
}

# tt_wait_pgq SQL WANT [TENTHS]: bounded wait until SQL gives WANT.
tt_wait_pgq() {
	i=0
	while [ $i -lt "${3:-300}" ]; do
		[ "$(tt_pgq "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	tt_fail "never got [$2] from: $1 (last: [$(tt_pgq "$1" 2>&1)])"
	return 1
}
