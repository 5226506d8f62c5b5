#!/bin/sh
# Reload without a gap, and what the daemon tells systemd (Type=notify).
# The observer watches room1; a SIGHUP with room2 added and room1 removed
# joins room2 and leaves room1 on the same XMPP session (one login, no
# observer_gap, room2's meeting recorded); a config that no longer parses
# is refused with its file:line error and the running one stays.  The
# notify socket (NOTIFY_SOCKET, a datagram socket this script listens on)
# gets READY=1 once logged in with the rooms joined, RELOADING=1 and
# READY=1 around each reload, WATCHDOG=1 pings when WATCHDOG_USEC asks for
# them, and STOPPING=1 at the end.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start

# The notify socket: every datagram, one line per assignment.
NOTIFY="$TT_DIR/notify.sock"
python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(240)
with open(sys.argv[2], "a") as out:
    while True:
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        for l in d.decode().split("\n"):
            if l:
                out.write(l + "\n")
                out.flush()
' "$NOTIFY" "$TT_DIR/notify.log" &
LISTENER=$!
i=0
until [ -S "$NOTIFY" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$NOTIFY" ] || tt_fail "notify socket never appeared"

# notify_wait PATTERN N: wait until notify.log holds N lines matching.
notify_wait() {
	i=0
	until [ "$(grep -c -- "$1" "$TT_DIR/notify.log" 2>/dev/null)" -ge "$2" ] ||
	    [ $i -ge 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(grep -c -- "$1" "$TT_DIR/notify.log" 2>/dev/null)" -ge "$2" ] ||
	    tt_fail "notify socket never got $2 x $1"
}

cat > "$TT_DIR/rooms.jsim" <<JSIM
connect focus focus@auth.meet.jitsi focuspw
join focus room1 focus
join focus room2 focus
connect alice anon
set alice stats-id A-1
join alice room1 alice01
connect bob anon
set bob stats-id B-1
join bob room2 bob01
wait-file $TT_DIR/end 120000
leave alice
leave bob
leave focus
JSIM
timeout 150 "$JITSIM" -p "$TT_PORT" "$TT_DIR/rooms.jsim" >>"$TT_DIR/jitsim.log" 2>&1 &
SIM=$!

tt_observer_conf room1
# 2 s: pings every second, the way systemd asks for half the interval.
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=2000000 tt_observer_start
tt_wait_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE stats_id = 'A-1'" 1
notify_wait '^READY=1' 1
notify_wait '^WATCHDOG=1' 2

# Add room2, drop room1.
sed -i 's/^join = room1$/join = room2/' "$TT_DIR/teletrack.conf"
kill -HUP "$TT_OBSERVER_PID"
tt_wait_log "configuration reloaded: 1 room(s)"
tt_wait_log "reload: leaving room room1@conference.meet.jitsi"
tt_wait_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE stats_id = 'B-1'" 1
tt_wait_sql "SELECT end_reason FROM teleconferencesessions
    WHERE jitsi_room_name = 'room1'" observer_stopped
tt_eq 1 "$(grep -c 'connected as' "$TT_DIR/observer.log")" "one login"
tt_eq 0 "$(tt_count observer_gap)" "no observer_gap"
notify_wait '^RELOADING=1' 1
notify_wait '^READY=1' 2

# A broken file is refused; the running configuration stays.
cp "$TT_DIR/teletrack.conf" "$TT_DIR/good.conf"
printf '[rooms]\nretry_min_s = soon\n' >> "$TT_DIR/teletrack.conf"
kill -HUP "$TT_OBSERVER_PID"
tt_wait_log "not reloaded: the configuration has errors"
grep -q "teletrack.conf:[0-9][0-9]*: .*retry_min_s" "$TT_DIR/observer.log" ||
    tt_fail "the refusal does not name file:line and the key"
kill -0 "$TT_OBSERVER_PID" 2>/dev/null || tt_fail "observer died on a bad config"
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconferencesessions
    WHERE jitsi_room_name = 'room2' AND endTime IS NULL")" "room2 still observed"
tt_eq 1 "$(grep -c 'connected as' "$TT_DIR/observer.log")" "still one login"
notify_wait '^READY=1' 3

touch "$TT_DIR/end"
wait "$SIM" || tt_fail "jitsim failed: $(tail -n 3 "$TT_DIR/jitsim.log")"
tt_wait_sql "SELECT count(*) FROM teleconferencesessions
    WHERE jitsi_room_name = 'room2' AND endTime IS NOT NULL" 1
tt_observer_stop
notify_wait '^STOPPING=1' 1
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
tt_log "notify: $(cut -d= -f1 "$TT_DIR/notify.log" | sort | uniq -c | tr -s ' \n' ' ')"
tt_done
