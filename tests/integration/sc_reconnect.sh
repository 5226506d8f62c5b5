#!/bin/sh
# The observer's own connection is cut mid-meeting (through a loopback
# proxy).  While it is away one participant leaves and another joins.  It
# must reconnect with backoff, rejoin, and reconcile: an observer_gap
# event, a leave for the one who went, a join for the newcomer, and nobody
# duplicated.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start
tt_proxy_start
tt_observer_conf room2 "$TT_PROXY_PORT"
tt_observer_start

cat > "$TT_DIR/all.jsim" <<JSIM
# Everyone logs in first; carol joins only while the observer is away.
connect focus focus@auth.meet.jitsi focuspw
connect alice anon
connect bob anon
connect carol anon
set alice stats-id A-2
set bob stats-id B-2
set carol stats-id C-2
join focus room2 focus
join alice room2 alice02
join bob room2 bob02
wait-presence alice teletrack 30000
touch $TT_DIR/seen
# The test cuts the observer's link and holds the proxy: the room sees
# the observer go, bob leaves and carol joins while it cannot see.
wait-gone alice teletrack 30000
leave bob
join carol room2 carol02
touch $TT_DIR/away-done
# the observer comes back when the test lets the proxy run again
wait-presence alice teletrack 30000
sleep 1500
leave alice
leave carol
# Focus leaves last: once the room has seen both go.
wait-gone focus alice02
wait-gone focus carol02
leave focus
JSIM
tt_sim_start "$TT_DIR/all.jsim"
tt_wait_log "joining room2" 100
# The session is open with alice and bob, and alice has seen the
# observer (a loaded machine may run jitsim late): cut.
tt_wait_sql "SELECT count(*) FROM teleconference_events
    WHERE event_type = 'join'" 2
tt_wait_file "$TT_DIR/seen"
kill -USR1 "$TT_PROXY_PID"
# Then hold the proxy (it neither accepts nor forwards) until the room has
# changed, so the observer's reconnection cannot overtake the changes.
i=0
until grep -q "cut 1 link" "$TT_DIR/proxy.log" || [ $i -ge 100 ]; do
	sleep 0.01; i=$((i + 1))
done
kill -STOP "$TT_PROXY_PID"
tt_wait_log "connection to 127.0.0.1 lost" 50
tt_wait_file "$TT_DIR/away-done"
kill -CONT "$TT_PROXY_PID"
tt_sim_wait
# Focus left: the session is over and on record.
tt_wait_sql "SELECT session_status FROM teleconferencesessions" completed
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
