#!/bin/sh
# The daemon dies (SIGKILL) in the middle of a booked appointment and is
# started again: the booked row is resumed, not closed; the observer goes
# back into the room; billable time goes on from what was recorded (the
# seconds it could not see are not billed); nobody is duplicated; the
# restart is on record as an observer_gap.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start
tt_observer_conf "" "$TT_PORT" "[schedule]" "poll_s = 1"
tt_observer_start
tt_wait_log "connected as" 1200	# valgrind on a busy machine starts slowly
db="$TT_DIR/teletrack.db"
"$TELETRACK" settings -d "$db" set allow_early_join_minutes=0.1 \
    auto_end_after_minutes=0.1 late_grace_minutes=0.05 \
    left_early_grace_minutes=0.05 >/dev/null || tt_fail "settings set"
start_epoch=$(( $(date +%s) + 8 ))
start=$(date -u -d "@$start_epoch" +%Y-%m-%dT%H:%M:%SZ)
"$TELETRACK" schedule -d "$db" add -a appt-r -r apptr -s "$start" -m 0.3 \
    -p "cg-1:caregiver:Dr Alice" -p "pt-1:patient:Bob" >/dev/null ||
    tt_fail "schedule add"

cat > "$TT_DIR/meeting.jsim" <<JSIM
# Focus opens the room early; alice and bob log in before the start, so
# joining at the start is quick even on a busy machine.
connect focus focus@auth.meet.jitsi focuspw
join focus apptr focus
connect alice anon
connect bob anon
set alice identity cg-1 caregiver Dr Alice
set bob identity pt-1 patient Bob
wait-presence focus teletrack 30000
wait-file $TT_DIR/go 30000
join alice apptr alice01
sleep 1000
join bob apptr bob01
# The test kills the observer: the room sees it go, then come back.
wait-gone alice teletrack 60000
touch $TT_DIR/observer-gone
wait-presence alice teletrack 60000
# Bob stays 4 s after the observer is back.
sleep 4000
leave bob
sleep 500
leave alice
# Focus stays until the appointment is over.
wait-log $TT_DIR/observer.log 60000 appointment appt-r: active -> 
leave focus
JSIM
tt_sim_start "$TT_DIR/meeting.jsim" 240
# The people come at the booked start: the scenario's own timeline.
while [ "$(date +%s)" -lt "$start_epoch" ]; do sleep 0.1; done
touch "$TT_DIR/go"
# Kill once some billable time is on record (slow under sanitizers).
i=0
before=0
while [ $i -lt 300 ]; do
	before=$(tt_sql "SELECT COALESCE(billable_seconds, 0) FROM
	    teleconferencesessions WHERE appointmentId = 'appt-r'")
	[ "${before:-0}" -ge 2 ] && break
	sleep 0.1
	i=$((i + 1))
done
[ "${before:-0}" -ge 2 ] || tt_fail "no billable time on record before the kill"
kill -9 "$TT_OBSERVER_PID"
wait "$TT_OBSERVER_PID" 2>/dev/null
TT_OBSERVER_PID=""
tt_log "killed the observer; billable so far: $before s"
# Start again once the room has seen the old session go, so the new one
# never meets it there.
tt_wait_file "$TT_DIR/observer-gone" 600
tt_observer_start
tt_wait_log "resuming 1 appointment" 600
tt_sim_wait
tt_wait_sql "SELECT session_status FROM teleconferencesessions" completed 600
tt_observer_stop

tt_eq "1" "$(tt_sql "SELECT count(*) FROM teleconferencesessions")" \
    "session rows (the booked one, resumed)"
tt_eq "completed" "$(tt_sql "SELECT session_status FROM
    teleconferencesessions")" "outcome"
tt_eq "2" "$(tt_sql "SELECT count(*) FROM
    teleconference_participant_sessions")" "participant rows"
tt_eq "1" "$(tt_sql "SELECT count(*) FROM teleconference_events WHERE
    event_type = 'observer_gap' AND
    json_extract(event_data, '$.reason') = 'observer_restarted'")" \
    "restart on record"
after=$(tt_sql "SELECT billable_seconds FROM teleconferencesessions")
# After the restart only what the observer saw counts: from its rejoin
# until Bob left.  The seconds between the kill and the rejoin are not
# billed (nobody could see them).
seen=$(tt_sql "SELECT CAST(ROUND((julianday(p.left_at) - julianday(
    (SELECT MAX(json_extract(e.event_data, '$.joined_at'))
    FROM teleconference_events e WHERE e.event_type = 'observer_join')))
    * 86400) AS INTEGER) FROM teleconference_participant_sessions p
    WHERE p.participant_id = 'pt-1'")
want=$(( ${before:-0} + ${seen:-0} ))
if [ "${before:-0}" -ge 2 ] && [ "${seen:-0}" -ge 2 ] &&
    [ "${after:-0}" -ge $((want - 1)) ] && [ "${after:-0}" -le $((want + 1)) ]
then
	tt_log "ok: billable went on from $before s to $after s ($seen s seen after the restart)"
else
	tt_fail "billable: [$before] before the kill + [$seen] seen after = $want, got [$after]"
fi
tt_eq "1|1" "$(tt_sql "SELECT group_concat(attendance = 'on_time', '|')
    FROM teleconference_participant_sessions")" \
    "punctuality kept from before the restart"
exit $TT_FAILED
