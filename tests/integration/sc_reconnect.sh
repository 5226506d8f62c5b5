#!/bin/sh
# The observer's own connection is cut mid-meeting (through a loopback
# proxy).  While it is away one participant leaves and another joins.  It
# must reconnect with backoff, rejoin, and reconcile: an observer_gap
# event, a leave for the one who went, a join for the newcomer, and nobody
# duplicated.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start
PPORT=$(tt_free_port)
tt_proxy_start "$PPORT"
tt_observer_conf room2 "$PPORT"
tt_observer_start

cat > "$TT_DIR/part1.jsim" <<'JSIM'
connect focus focus@auth.meet.jitsi focuspw
join focus room2 focus
connect alice anon
set alice stats-id A-2
join alice room2 alice02
connect bob anon
set bob stats-id B-2
join bob room2 bob02
wait-presence alice teletrack 15000
JSIM
# Part 1 keeps its clients online while the test cuts the observer: run it
# as one long script with pauses the shell fills in.
cat "$TT_DIR/part1.jsim" > "$TT_DIR/all.jsim"
cat >> "$TT_DIR/all.jsim" <<JSIM
# the shell cuts the observer's link and says so
wait-file $TT_DIR/cut 20000
leave bob
connect carol anon
set carol stats-id C-2
join carol room2 carol02
# the observer comes back within a few seconds
wait-presence alice teletrack 20000
sleep 1500
leave alice
leave carol
sleep 300
leave focus
sleep 300
JSIM
timeout 120 "$JITSIM" -p "$TT_PORT" "$TT_DIR/all.jsim" >>"$TT_DIR/jitsim.log" 2>&1 &
SIM=$!
tt_wait_log "joining room2" 100
# Wait for the session to be open, then cut.
i=0
while [ "$(tt_sql "SELECT count(*) FROM teleconference_events WHERE event_type='join'" 2>/dev/null)" != "2" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.5
kill -USR1 "$TT_PROXY_PID"
tt_wait_log "connection to 127.0.0.1 lost" 50
touch "$TT_DIR/cut"	# bob leaves now, while the observer is away
wait "$SIM" || tt_fail "jitsim failed: $(tail -n 3 "$TT_DIR/jitsim.log")"
sleep 1
tt_observer_stop

tt_eq 1 "$(tt_count observer_gap)" "observer_gap events"
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconference_events e
    JOIN teleconference_participant_sessions p ON p.id = e.participant_session_id
    WHERE e.event_type = 'leave' AND p.stats_id = 'B-2'
    AND p.left_reason = 'left_during_gap'")" "bob left during the gap"
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconference_events e
    JOIN teleconference_participant_sessions p ON p.id = e.participant_session_id
    WHERE e.event_type = 'join' AND p.stats_id = 'C-2'")" "carol's join"
tt_eq 3 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions")" \
    "participant rows (no duplicates)"
tt_eq 1 "$(tt_sql "SELECT join_count FROM teleconference_participant_sessions
    WHERE stats_id = 'A-2'")" "alice joined once"
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconferencesessions")" "one session"
tt_eq "completed" "$(tt_sql "SELECT session_status FROM teleconferencesessions")" \
    "session status"
grep -q "reconnecting in" "$TT_DIR/observer.log" || tt_fail "no backoff logged"
tt_done
