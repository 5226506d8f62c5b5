#!/bin/sh
# Scheduling end to end, with windows of seconds (meeting_settings takes
# fractions of minutes): the observer is configured with no room at all.
#
#  appt-1 (room appt1, booked with `teletrack schedule add`): focus opens
#  the room early; the observer must stay out until the early-join window
#  opens (6 s before the start), then join.  The caregiver joins at the
#  start, the patient 4 s later; the caregiver shares the screen, which
#  meeting_settings disables (alert to the admin); the patient leaves at
#  about +14 s, the caregiver a second later: billable time ~10 s, and the
#  appointment ends early (completed, ended_early).
#
#  appt-2 (room appt2, a row written straight into the database as the
#  scheduling app would): its room is created only after the window opened,
#  so the observer retries until it exists; only the patient comes.  The caregiver is a
#  no-show 15 s after the start: an alert reaches the admin's XMPP client
#  and the alert command; the appointment ends failed, caregiver_no_show.
#
#  appt-3 is booked, then cancelled before its window: never joined.
#  appt-4 is moved to another room before its window; nobody comes.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start
tt_observer_conf "" "$TT_PORT" "[schedule]" "poll_s = 1" "[alerts]" \
    "admin_jids = admin@auth.meet.jitsi, room@conference.meet.jitsi" \
    "command = cat >> $TT_DIR/alerts.jsonl; echo >> $TT_DIR/alerts.jsonl"
tt_observer_start
tt_wait_log "connected as" 1200	# valgrind on a busy machine starts slowly

db="$TT_DIR/teletrack.db"
"$TELETRACK" settings -d "$db" set allow_early_join_minutes=0.1 \
    max_late_join_minutes=0.25 auto_end_after_minutes=0.1 \
    alert_drop_minutes=0.05 alert_caregiver_absent_minutes=0.1 \
    alert_patient_waiting_minutes=0.05 late_grace_minutes=0.05 \
    left_early_grace_minutes=0.05 enable_screen_share=0 \
    >"$TT_DIR/settings.out" 2>&1 || tt_fail "settings set: $(cat "$TT_DIR/settings.out")"

# The booking's windows are seconds long: the observer must keep up with
# the wall clock.  Under valgrind it gets more lead time.
lead=14
[ -n "$TT_VALGRIND" ] && lead=24
start_epoch=$(( $(date +%s) + lead ))
start=$(date -u -d "@$start_epoch" +%Y-%m-%dT%H:%M:%SZ)
"$TELETRACK" schedule -d "$db" add -a appt-1 -r appt1 -s "$start" -m 0.5 \
    -p "cg-1:caregiver:Dr Alice" -p "pt-1:patient:Bob" \
    >"$TT_DIR/schedule.out" 2>&1 || tt_fail "schedule add: $(cat "$TT_DIR/schedule.out")"
tt_sql "INSERT INTO teleconferencesessions (session_uid, appointmentId,
    roomId, jitsi_room_name, session_status, scheduled_start,
    scheduled_duration_minutes) VALUES ('app:2', 'appt-2', 'appt2', 'appt2',
    'scheduled', '$start', 0.5);
    INSERT INTO teleconference_expected_participants
    (teleconference_session_id, participant_id, participant_role,
    participant_name) SELECT id, 'cg-2', 'caregiver', 'Dr Carl'
    FROM teleconferencesessions WHERE session_uid = 'app:2';
    INSERT INTO teleconference_expected_participants
    (teleconference_session_id, participant_id, participant_role,
    participant_name) SELECT id, 'pt-2', 'patient', 'Pat'
    FROM teleconferencesessions WHERE session_uid = 'app:2';"
# appt-4 is booked in appt4a, then moved to appt4b before its window:
# the observer must look for appt4b only; nobody ever comes.
"$TELETRACK" schedule -d "$db" add -a appt-4 -r appt4a -s "$start" -m 0.5 \
    -p "cg-4:caregiver:Dr D" >>"$TT_DIR/schedule.out" 2>&1 ||
    tt_fail "schedule add appt-4"
# Moved once the observer has read it in appt4a.
tt_wait_log "appointment appt-4: room appt4a"
"$TELETRACK" schedule -d "$db" add -a appt-4 -r appt4b -s "$start" -m 0.5 \
    -p "cg-4:caregiver:Dr D" >>"$TT_DIR/schedule.out" 2>&1 ||
    tt_fail "schedule add appt-4 again (moved)"
"$TELETRACK" schedule -d "$db" add -a appt-3 -r appt3 -s "$start" -m 1 \
    >>"$TT_DIR/schedule.out" 2>&1 || tt_fail "schedule add appt-3"
"$TELETRACK" schedule -d "$db" cancel appt-3 --reason "patient called" \
    >>"$TT_DIR/schedule.out" 2>&1 || tt_fail "schedule cancel appt-3"

cat > "$TT_DIR/meeting.jsim" <<JSIM
# Focus opens appt1 (and the cancelled appt3) early; then everyone else
# logs in, so nothing slow stands between the booked start and the people
# joining.
connect focus focus@auth.meet.jitsi focuspw
join focus appt1 focus
connect focus3 focus@auth.meet.jitsi focuspw
join focus3 appt3 focus
connect admin admin@auth.meet.jitsi adminpw
available admin
connect focus2 focus@auth.meet.jitsi focuspw
connect alice anon
connect pat anon
connect bob anon
set alice identity cg-1 caregiver Dr Alice
set pat identity pt-2 patient Pat
set bob identity pt-1 patient Bob
wait-presence focus teletrack 60000
# appt2's room is created only now: the observer, its window open, has
# been refused (Jitsi answers not-allowed until focus creates a room).
wait-log $TT_DIR/observer.log 60000 room appt2@conference.meet.jitsi: not available, retry
join focus2 appt2 focus
wait-file $TT_DIR/go 60000
join alice appt1 alice01
# pat comes once the observer's retry has found appt2 (her time is not
# checked; the caregiver's is).
wait-presence focus2 teletrack 60000
join pat appt2 pat01
sleep 4000
join bob appt1 bob01
sleep 2000
share alice on
send alice
sleep 1500
share alice off
send alice
wait-message admin screenshare_disabled 10000
sleep 6500
leave bob
sleep 1000
leave alice
wait-message admin no_show 30000
sleep 500
leave pat
# Focus stays until the appointments are over.
wait-log $TT_DIR/observer.log 60000 appointment appt-1: active -> completed
wait-log $TT_DIR/observer.log 60000 appointment appt-2: active -> failed
leave focus
leave focus2
leave focus3
JSIM
tt_sim_start "$TT_DIR/meeting.jsim" 240

tt_wait_log "appointment appt-1: window open" 300
# The people come at the booked start: the scenario's own timeline.
while [ "$(date +%s)" -lt "$start_epoch" ]; do sleep 0.1; done
touch "$TT_DIR/go"
tt_sim_wait
# Every outcome on record, and the alert command has run.
tt_wait_sql "SELECT group_concat(appointmentId || ':' || session_status)
    FROM (SELECT appointmentId, session_status FROM teleconferencesessions
    ORDER BY appointmentId)" \
    "appt-1:completed,appt-2:failed,appt-3:cancelled,appt-4:failed" 600
i=0
until grep -q '"rule":"no_show"' "$TT_DIR/alerts.jsonl" 2>/dev/null ||
    [ $i -ge 300 ]; do
	sleep 0.1; i=$((i + 1))
done
tt_observer_stop

# Not in appt1 before its window opened (start - 6 s): the log's stamp of
# the first join, against the window.
first_join=$(grep -m 1 'joining appt1@' "$TT_DIR/observer.log" | cut -c 1-24)
first_join_ms=$(date -u -d "$first_join" +%s%3N 2>/dev/null)
if [ -n "$first_join_ms" ] &&
    [ "$first_join_ms" -ge $(( (start_epoch - 6) * 1000 )) ]; then
	tt_log "ok: appt1 first joined at $first_join, after its window opened"
else
	tt_fail "appt1 joined at [$first_join], before its window opened at $((start_epoch - 6))"
fi

w="session_uid = 'appt:appt-1'"
tt_eq "completed|ended_early" "$(tt_sql "SELECT session_status,
    status_reason FROM teleconferencesessions WHERE $w")" "appt-1 outcome"
billable=$(tt_sql "SELECT billable_seconds FROM teleconferencesessions WHERE $w")
# The scripted overlap, as recorded: Bob (the patient) joined after and
# left before Alice (the caregiver), so it is Bob's time in the room.
overlap=$(tt_sql "SELECT CAST(ROUND((MIN(julianday(p.left_at)) -
    MAX(julianday(p.joined_at))) * 86400) AS INTEGER)
    FROM teleconference_participant_sessions p JOIN teleconferencesessions s
    ON s.id = p.teleconference_session_id WHERE s.$w")
if [ "${overlap:-0}" -ge 8 ] && [ "${billable:-0}" -ge $((overlap - 1)) ] &&
    [ "${billable:-0}" -le $((overlap + 1)) ]; then
	tt_log "ok: appt-1 billable_seconds = $billable, scripted overlap $overlap s"
else
	tt_fail "appt-1 billable_seconds [$billable], scripted overlap [$overlap] s"
fi
first=$(tt_sql "SELECT CAST(ROUND((julianday(json_extract(e.event_data,
    '$.joined_at')) - julianday(s.scheduled_start)) * 86400) AS INTEGER)
    FROM teleconference_events e JOIN teleconferencesessions s
    ON s.id = e.teleconference_session_id
    WHERE s.$w AND e.event_type = 'observer_join'")
# The window opens 6 s before the start: joined then, not at the start.
if [ -n "$first" ] && [ "$first" -ge -8 ] && [ "$first" -le -1 ]; then
	tt_log "ok: observer joined appt1 $first s before the start"
else
	tt_fail "observer joined appt1 at [$first] s from the start, want -8..-1"
fi
# Late grace 3 s: the caregiver is on time, the patient (4 s after her)
# late.
tt_eq "1|on_time|1|late" "$(tt_sql "SELECT group_concat(x, '|') FROM
    (SELECT expected || '|' || attendance AS x
    FROM teleconference_participant_sessions p
    JOIN teleconferencesessions s ON s.id = p.teleconference_session_id
    WHERE s.$w ORDER BY p.participant_id)")" "attendance (caregiver, patient)"
tt_eq "1" "$(tt_sql "SELECT left_early_minutes > 0
    FROM teleconference_participant_sessions p JOIN teleconferencesessions s
    ON s.id = p.teleconference_session_id
    WHERE s.$w AND p.participant_id = 'pt-1'")" "the patient left early"
tt_eq "1" "$(tt_sql "SELECT count(*) FROM alerts a JOIN
    teleconferencesessions s ON s.id = a.teleconference_session_id
    WHERE s.$w AND a.rule = 'screenshare_disabled' AND
    a.participant_session_id IS NOT NULL AND a.cleared_at IS NOT NULL")" \
    "screenshare_disabled alert raised and cleared"
tt_eq "1" "$(tt_sql "SELECT count(*) FROM teleconference_events e JOIN
    teleconferencesessions s ON s.id = e.teleconference_session_id
    WHERE s.$w AND e.event_type = 'billable_start'")" "billable_start events"

grep -q "room appt2@conference.meet.jitsi: not available, retry" \
    "$TT_DIR/observer.log" || tt_fail "no retry while appt2's room did not exist"
w="session_uid = 'app:2'"
tt_eq "failed|caregiver_no_show" "$(tt_sql "SELECT session_status,
    status_reason FROM teleconferencesessions WHERE $w")" "appt-2 outcome"
tt_eq "1" "$(tt_sql "SELECT count(*) FROM alerts a JOIN
    teleconferencesessions s ON s.id = a.teleconference_session_id
    WHERE s.$w AND a.rule = 'no_show' AND a.subject = 'member:cg-2'")" \
    "appt-2 no_show alert for the caregiver"
tt_eq "0" "$(tt_sql "SELECT count(*) FROM alerts a JOIN
    teleconferencesessions s ON s.id = a.teleconference_session_id
    WHERE s.$w AND a.rule = 'no_show' AND a.subject = 'member:pt-2'")" \
    "no no_show for the patient who came"
tt_eq "0" "$(tt_sql "SELECT count(*) FROM alerts WHERE cleared_at IS NULL")" \
    "alerts left open"
grep -q '"rule":"no_show"' "$TT_DIR/alerts.jsonl" 2>/dev/null ||
    tt_fail "the alert command did not get the no_show alert"
grep -q "rooms never get alerts" "$TT_DIR/observer.log" ||
    tt_fail "a room address in admin_jids was not refused"

tt_eq "failed|nobody_came" "$(tt_sql "SELECT session_status, status_reason
    FROM teleconferencesessions WHERE appointmentId = 'appt-4'")" \
    "appt-4 outcome"
tt_eq 0 "$(grep -c 'joining appt4a@' "$TT_DIR/observer.log")" \
    "joins of appt-4's old room"
grep -q 'joining appt4b@' "$TT_DIR/observer.log" ||
    tt_fail "the observer never looked for appt-4's new room"

tt_eq "cancelled|patient called" "$(tt_sql "SELECT session_status,
    status_reason FROM teleconferencesessions
    WHERE appointmentId = 'appt-3'")" "appt-3 cancelled"
tt_eq 0 "$(grep -c 'joining appt3@' "$TT_DIR/observer.log")" \
    "joins of the cancelled appointment's room"
exit $TT_FAILED
