# Shared harness for the integration scenarios (POSIX sh, sourced).
#
# tt_setup makes a temp dir with a self-signed certificate, a Prosody
# configured like a Jitsi deployment (anonymous main domain, auth domain
# with the focus account, hidden domain with the observer, a conference MUC
# that only focus may create rooms in) on a free loopback port, and an
# observer config.  Everything started is stopped by tt_cleanup (trap).
# Only 127.0.0.1 is used.  Every wait is bounded.
#
# Scenarios wait on conditions, never on a fixed sleep standing for one:
# a line in the observer's log (tt_wait_log), a row in SQLite
# (tt_wait_sql), a file a jitsim script creates (tt_wait_file), a stanza
# a jitsim actor receives (its wait-* commands).  A scripted person's own
# pauses (jitsim's sleep) only set how long things last.

: "${TELETRACK:?TELETRACK must point at the teletrack binary}"
: "${JITSIM:?JITSIM must point at the jitsim binary}"

TT_DIR=""
TT_PORT=""
TT_PROSODY_PID=""
TT_OBSERVER_PID=""
TT_PROXY_PID=""
TT_SERVE_PID=""
TT_PROXY_PORT=""
TT_SIM_PID=""
TT_SIM_LOG=""
TT_FAILED=0
TT_VALGRIND="${TT_VALGRIND:-}"
TT_MODULES="${TT_MODULES:-}"		# extra modules on the MUC component
TT_VHOST_MODULES="${TT_VHOST_MODULES:-}"	# extra global modules
TT_EXTRA_CFG="${TT_EXTRA_CFG:-}"	# global options and components,
					# placed before the first VirtualHost

# tt_free_port, shared with tests/pg.sh; every caller is a folder below
# tests/ (TT_HERE: this directory, for scripts elsewhere).
. "${TT_HERE:-$(dirname "$0")}/../freeport.sh"

tt_log() { printf '%s\n' "$*" >&2; }

tt_fail() {
	tt_log "FAIL: $*"
	TT_FAILED=1
}

# tt_eq EXPECTED ACTUAL WHAT
tt_eq() {
	if [ "$1" = "$2" ]; then
		tt_log "ok: $3 = $2"
	else
		tt_fail "$3: expected [$1], got [$2]"
	fi
}

# tt_listening PORT PID [TENTHS]: until process PID listens on PORT (10 s;
# a port picked free may be taken by another run meanwhile: then PID
# never gets it, or has died trying).
tt_listening() {
	i=0
	while [ $i -lt "${3:-100}" ]; do
		ss -ltnp 2>/dev/null | grep ":$1 " | grep -q "pid=$2," &&
		    return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# tt_jitsi_fake: before tt_setup, Prosody with Jitsi's lobby and breakout
# MUCs and tests/integration/prosody/mod_jitsi_fake.lua playing Jitsi's
# server modules on them (the sc_jitsi_* scenarios).
tt_jitsi_fake() {
	TT_VHOST_MODULES='"teletrack"; "jitsi_fake"'
	TT_EXTRA_CFG='main_muc = "conference.meet.jitsi"
lobby_muc = "lobby.meet.jitsi"
breakout_rooms_muc = "breakout.meet.jitsi"
Component "lobby.meet.jitsi" "muc"
    restrict_room_creation = true
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_tombstones = false
Component "breakout.meet.jitsi" "muc"
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_tombstones = false'
}

# tt_jsim_meeting: the jitsim lines that open a Jitsi meeting in room1:
# focus creates it, moderator "mod" (Doctor_Who) joins and is made owner,
# then, once $TT_DIR/go exists, Bob joins.
tt_jsim_meeting() {
	cat <<JSIM
connect focus focus@auth.meet.jitsi focuspw
join focus room1 focus
connect mod admin@auth.meet.jitsi adminpw
set mod name Doctor_Who
set mod stats-id M-1
join mod room1 mod01
grant focus mod owner
wait-file $TT_DIR/go 20000
connect bob anon
set bob name Bob
set bob stats-id B-1
join bob room1 bob01
JSIM
}

# tt_jsim_focus ROOM MS: the jitsim lines of Jitsi's focus creating ROOM
# and waiting (at most MS ms) for the observer to be in it.
tt_jsim_focus() {
	cat <<JSIM
connect focus focus@auth.meet.jitsi focuspw
join focus $1 focus
wait-presence focus teletrack $2
JSIM
}

# tt_jsim_knock WHO NAME: the jitsim lines of a guest WHO called NAME
# turned away from members-only room1, knocking at its lobby, where the
# lobby moderator "modl" sees the knock.
tt_jsim_knock() {
	cat <<JSIM
connect $1 anon
set $1 name $2
join-fail $1 room1 ${1}01 registration-required
knock $1 ${1}01
wait-presence modl ${1}01
JSIM
}

tt_setup() {
	TT_DIR=$(mktemp -d /tmp/teletrack-it.XXXXXX)
	mkdir -p "$TT_DIR/data" "$TT_DIR/certs"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 30 -subj "/CN=meet.jitsi" \
	    -addext "subjectAltName=DNS:meet.jitsi,DNS:*.meet.jitsi" \
	    -keyout "$TT_DIR/certs/meet.jitsi.key" \
	    -out "$TT_DIR/certs/meet.jitsi.crt" 2>/dev/null
	for h in auth hidden conference; do
		ln -s meet.jitsi.key "$TT_DIR/certs/$h.meet.jitsi.key"
		ln -s meet.jitsi.crt "$TT_DIR/certs/$h.meet.jitsi.crt"
	done
	# TT_HERE: this directory, for scripts elsewhere (tests/live).
	here=${TT_HERE:-$(dirname "$0")}
	TT_PLUGINS=$(cd "$here/../../conf/prosody" && pwd)
	TT_TESTMODS=$(cd "$here/prosody" && pwd)
	root=""
	[ "$(id -u)" -eq 0 ] && root="run_as_root = true"
	cat > "$TT_DIR/prosody.cfg.lua" <<CFG
$root
pidfile = "$TT_DIR/prosody.pid"
data_path = "$TT_DIR/data"
certificates = "$TT_DIR/certs"
admin_socket = "$TT_DIR/admin.sock"
plugin_paths = { "$TT_PLUGINS", "$TT_TESTMODS" }
interfaces = { "127.0.0.1" }
c2s_ports = {}
s2s_ports = {}
component_ports = {}
http_ports = {}
https_ports = {}
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix";
    $TT_VHOST_MODULES }
modules_disabled = { "s2s"; "offline" }
log = { debug = "$TT_DIR/prosody.log" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
smacks_hibernation_time = 5
teletrack_observers = { "teletrack@hidden.meet.jitsi" }
teletrack_muc_component = "conference.meet.jitsi"
$TT_EXTRA_CFG
VirtualHost "meet.jitsi"
    authentication = "anonymous"
VirtualHost "auth.meet.jitsi"
    authentication = "internal_hashed"
VirtualHost "hidden.meet.jitsi"
    authentication = "internal_hashed"
Component "conference.meet.jitsi" "muc"
    admins = { "focus@auth.meet.jitsi" }
    restrict_room_creation = true
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_tombstones = false
    modules_enabled = { $TT_MODULES }
CFG
	pc="prosodyctl --config $TT_DIR/prosody.cfg.lua"
	$pc register focus auth.meet.jitsi focuspw >/dev/null 2>&1
	$pc register teletrack hidden.meet.jitsi observerpw >/dev/null 2>&1
	$pc register recorder hidden.meet.jitsi recorderpw >/dev/null 2>&1
	$pc register carol auth.meet.jitsi carolpw >/dev/null 2>&1
	$pc register admin auth.meet.jitsi adminpw >/dev/null 2>&1
	echo observerpw > "$TT_DIR/password"
	chmod 600 "$TT_DIR/password"
	# A signal (run.sh's timeout) ends the scenario; the EXIT trap cleans.
	trap tt_cleanup EXIT
	trap 'exit 1' INT TERM
}

# tt_start_listening START: pick a free port and call START PORT, which
# starts a server in the background and sets TT_STARTED to its PID, until
# that process listens there: a port free when picked may be taken by
# another run meanwhile.  Three tries; the port is then TT_STARTED_PORT.
tt_start_listening() {
	tries=0
	while [ $tries -lt 3 ]; do
		TT_STARTED_PORT=$(tt_free_port)
		"$1" "$TT_STARTED_PORT"
		tt_listening "$TT_STARTED_PORT" "$TT_STARTED" 300 && return 0
		tt_log "$1: no listener on port $TT_STARTED_PORT, trying another"
		kill -9 "$TT_STARTED" 2>/dev/null
		wait "$TT_STARTED" 2>/dev/null
		tries=$((tries + 1))
	done
	return 1
}

prosody_on() {
	sed -i "s/^c2s_ports = .*/c2s_ports = { $1 }/" "$TT_DIR/prosody.cfg.lua"
	prosody -F --config "$TT_DIR/prosody.cfg.lua" \
	    >"$TT_DIR/prosody.out" 2>&1 &
	TT_STARTED=$!
}

# tt_prosody_start: Prosody on a free port; the scenario ends if it cannot.
tt_prosody_start() {
	tt_start_listening prosody_on ||
	    { tt_fail "prosody did not start: $(tail -n 2 "$TT_DIR/prosody.out")"; exit 1; }
	TT_PORT=$TT_STARTED_PORT
	TT_PROSODY_PID=$TT_STARTED
}

# tt_prosody_kill PID: stop a Prosody we started: SIGTERM, 5 s, SIGKILL.
tt_prosody_kill() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

tt_prosody_stop() {
	[ -n "$TT_PROSODY_PID" ] || return 0
	tt_prosody_kill "$TT_PROSODY_PID"
	TT_PROSODY_PID=""
}

# tt_xmpp_ini PORT: the [xmpp] section of an observer's teletrack.conf
# (the observer account, Prosody on 127.0.0.1:PORT), up to muc_domain.
tt_xmpp_ini() {
	cat <<CFG
[xmpp]
jid = teletrack@hidden.meet.jitsi
password_file = $TT_DIR/password
server = 127.0.0.1
port = $1
tls = required
ca_file = $TT_DIR/certs/meet.jitsi.crt
muc_domain = conference.meet.jitsi
CFG
}

# tt_observer_conf ROOMS [PORT] [extra INI lines...]
tt_observer_conf() {
	rooms=$1
	oport=${2:-$TT_PORT}
	shift; [ $# -gt 0 ] && shift
	tt_xmpp_ini "$oport" > "$TT_DIR/teletrack.conf"
	cat >> "$TT_DIR/teletrack.conf" <<CFG
reconnect_min_s = 1
reconnect_max_s = 2
[rooms]
join = $rooms
leave_grace_s = 2
retry_min_s = 1
retry_max_s = 2
[storage]
database = $TT_DIR/teletrack.db
flush_ms = 100
[tracking]
rollup_interval_s = 1
CFG
	for l in "$@"; do printf '%s\n' "$l" >> "$TT_DIR/teletrack.conf"; done
}

tt_observer_start() {
	if [ -n "$TT_VALGRIND" ]; then
		valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		    "$TELETRACK" run -v -c "$TT_DIR/teletrack.conf" \
		    >>"$TT_DIR/observer.log" 2>&1 &
	else
		"$TELETRACK" run -v -c "$TT_DIR/teletrack.conf" \
		    >>"$TT_DIR/observer.log" 2>&1 &
	fi
	TT_OBSERVER_PID=$!
}

# Wait until the observer log shows PATTERN (bounded).
tt_wait_log() {
	i=0
	lim=${2:-300}	# 30 s: a valgrind start-up on a busy machine is slow
	while [ $i -lt "$lim" ]; do
		grep -q -- "$1" "$TT_DIR/observer.log" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	tt_fail "observer log never showed: $1"
	return 1
}

# tt_wait_sql SQL EXPECTED [TENTHS]: until the query prints EXPECTED
# (bounded: TENTHS tenths of a second, 30 s by default).
tt_wait_sql() {
	i=0
	lim=${3:-300}
	got=""
	while [ $i -lt "$lim" ]; do
		got=$(tt_sql "$1" 2>/dev/null)
		[ "$got" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	tt_fail "the database never showed [$2] (last [$got]) for: $1"
	return 1
}

# tt_wait_file PATH [TENTHS]: until PATH exists (30 s by default).
tt_wait_file() {
	i=0
	lim=${2:-300}
	while [ $i -lt "$lim" ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	tt_fail "$1 never appeared"
	return 1
}

tt_observer_stop() {
	[ -n "$TT_OBSERVER_PID" ] || return 0
	kill -TERM "$TT_OBSERVER_PID" 2>/dev/null
	i=0
	while kill -0 "$TT_OBSERVER_PID" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -0 "$TT_OBSERVER_PID" 2>/dev/null; then
		tt_fail "observer did not stop on SIGTERM"
		kill -9 "$TT_OBSERVER_PID" 2>/dev/null
	fi
	wait "$TT_OBSERVER_PID"
	rc=$?
	TT_OBSERVER_PID=""
	[ "$rc" -eq 0 ] || tt_fail "observer exited $rc"
}

proxy_on() {
	"$JITSIM" proxy "$1" "$TT_PORT" 2>>"$TT_DIR/proxy.log" &
	TT_STARTED=$!
}

# tt_proxy_start: a jitsim proxy to Prosody, on port TT_PROXY_PORT.
tt_proxy_start() {
	tt_start_listening proxy_on || { tt_fail "proxy did not start"; return 1; }
	TT_PROXY_PORT=$TT_STARTED_PORT
	TT_PROXY_PID=$TT_STARTED
}

# tt_jitsi_observed: Prosody as tt_jitsi_fake, an observer of room1,
# started and connected to the companion module.
tt_jitsi_observed() {
	tt_jitsi_fake
	tt_setup
	tt_prosody_start
	tt_observer_conf room1
	tt_observer_start
	tt_wait_log "companion module found"
}

# tt_sim_start SCRIPT [SECONDS [PORT [LOG]]]: play a jitsim script in the
# background, for at most SECONDS (120), against Prosody on PORT
# ($TT_PORT), logging to $TT_DIR/LOG (jitsim.log); tt_sim_wait waits for
# its end.  tt_sim plays one to its end.
tt_sim_start() {
	TT_SIM_LOG="$TT_DIR/${4:-jitsim.log}"
	timeout "${2:-120}" "$JITSIM" -p "${3:-$TT_PORT}" "$1" \
	    >>"$TT_SIM_LOG" 2>&1 &
	TT_SIM_PID=$!
}

tt_sim_wait() {
	wait "$TT_SIM_PID"
	rc=$?
	TT_SIM_PID=""
	[ "$rc" -eq 0 ] && return 0
	tt_fail "jitsim script failed ($rc): $(tail -n 3 "$TT_SIM_LOG")"
	return 1
}

# tt_serve_start PORT [serve args...]: the dashboard on 127.0.0.1:PORT
# over the test database, logging to serve.log; waits for the port.
tt_serve_start() {
	sport=$1
	shift
	"$TELETRACK" serve -d "$TT_DIR/teletrack.db" -l "127.0.0.1:$sport" "$@" \
	    >>"$TT_DIR/serve.log" 2>&1 &
	TT_SERVE_PID=$!
	tt_listening "$sport" "$TT_SERVE_PID" || { tt_fail "serve did not listen on $sport"; return 1; }
}

tt_serve_stop() {
	[ -n "$TT_SERVE_PID" ] || return 0
	kill -TERM "$TT_SERVE_PID" 2>/dev/null
	wait "$TT_SERVE_PID"
	rc=$?
	TT_SERVE_PID=""
	[ "$rc" -eq 0 ] || tt_fail "serve exited $rc"
}

tt_sim() {
	tt_sim_start "$@"
	tt_sim_wait
}

tt_sql() {
	sqlite3 -batch -noheader "$TT_DIR/teletrack.db" "$1"
}

tt_count() {
	tt_sql "SELECT count(*) FROM teleconference_events WHERE event_type = '$1'"
}

tt_cleanup() {
	[ -n "$TT_OBSERVER_PID" ] && kill -9 "$TT_OBSERVER_PID" 2>/dev/null
	[ -n "$TT_SERVE_PID" ] && kill "$TT_SERVE_PID" 2>/dev/null
	[ -n "$TT_SIM_PID" ] && kill "$TT_SIM_PID" 2>/dev/null
	# A proxy a scenario paused (SIGSTOP) must run to see the TERM.
	[ -n "$TT_PROXY_PID" ] && kill -CONT "$TT_PROXY_PID" 2>/dev/null &&
	    kill "$TT_PROXY_PID" 2>/dev/null
	tt_prosody_stop
	# TT_KEEP_LOGS=DIR keeps every log of the run there, for debugging.
	if [ -n "${TT_KEEP_LOGS:-}" ] && [ -n "$TT_DIR" ]; then
		mkdir -p "$TT_KEEP_LOGS" && cp "$TT_DIR"/*.log "$TT_KEEP_LOGS"/ 2>/dev/null
	fi
	if [ "$TT_FAILED" -ne 0 ] && [ -n "$TT_DIR" ]; then
		for f in observer.log jitsim.log proxy.log serve.log; do
			[ -f "$TT_DIR/$f" ] || continue
			tt_log "---- $f (last 60 lines)"
			tail -n 60 "$TT_DIR/$f" >&2
		done
	fi
	[ -n "$TT_DIR" ] && rm -rf "$TT_DIR"
	TT_DIR=""
}

tt_done() {
	trap - EXIT INT TERM
	tt_cleanup
	exit "$TT_FAILED"
}

# TT_RIG=FILE: a shell file sourced last, which may replace tt_setup -- to
# run the same scenarios against another Prosody configuration, e.g. one
# with Jitsi's real plugins (kept outside the repository).
[ -n "${TT_RIG:-}" ] && . "$TT_RIG"
