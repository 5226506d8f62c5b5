#!/bin/sh
# A whole meeting: focus creates the room and publishes recording state,
# the observer (retrying until the room exists) joins, answers focus's
# disco#info and refuses its Jingle invite; a caregiver and a patient join,
# mute/camera/share/hand, chat and react, the patient's connection is cut
# (TLS without close_notify: "Disconnected: ...") and he rejoins under a
# new nick with the same stats-id; everyone leaves; focus leaves.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start
tt_observer_conf room1
tt_observer_start
tt_wait_log "not available, retry" 1200	# no room yet (valgrind: slow start)

cat > "$TT_DIR/meeting.jsim" <<'JSIM'
# Everyone logs in first (slow on a busy machine): once the observer is in,
# the room gets its participants before it could find it empty and leave.
connect focus focus@auth.meet.jitsi focuspw
connect alice anon
connect bob anon
set alice stats-id A-1
set alice name Alice
set alice identity cg-1 caregiver Dr Alice Smith
set bob stats-id B-1
set bob name Bob
join focus room1 focus
wait-presence focus teletrack 60000
join alice room1 alice01
join bob room1 bob01
disco focus teletrack
jingle focus teletrack
sleep 400
recording focus pending file rec-1
sleep 200
recording focus on file rec-1
audio alice on
send alice
video alice on
send alice
share alice on
send alice
sleep 200
share alice off
send alice
hand alice up
send alice
hand alice down
send alice
set bob name Robert
send bob
chat bob hello there
chat bob x'); DROP TABLE teleconference_events;--
react bob 👍
sleep 300
drop bob
wait-gone alice bob01
connect bob2 anon
set bob2 stats-id B-1
set bob2 name Robert
join bob2 room1 bob02
sleep 1200
recording focus off file rec-1
sleep 300
leave alice
leave bob2
# Focus leaves last: once the room has seen both go.
wait-gone focus alice01
wait-gone focus bob02
leave focus
JSIM
tt_count_all() { tt_sql "SELECT count(*) FROM teleconference_events"; }
tt_sim "$TT_DIR/meeting.jsim"
# Focus left: the session is over and on record.
tt_wait_sql "SELECT session_status FROM teleconferencesessions" completed 600
# The status file counts what is committed: every event row, by type
# (written every second; wait for the one after the last commit).
written() {
	sed -n 's/^ *"events_written": \([0-9]*\),$/\1/p' \
	    "$TT_DIR/teletrack.status" 2>/dev/null
}
i=0
until [ "$(written)" = "$(tt_count_all)" ] || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
tt_eq "$(tt_count_all)" "$(written)" "status: events_written"
tt_eq "$(tt_count join)" "$(sed -n \
    '/"events_by_type"/,$s/^ *"join": \([0-9]*\).*/\1/p' \
    "$TT_DIR/teletrack.status")" "status: joins written"
tt_observer_stop

for pair in session_start:1 session_end:1 observer_join:1 join:2 reconnect:1 \
    disconnect:1 leave:2 audio_unmute:1 audio_mute:0 video_unmute:1 \
    screenshare_start:1 screenshare_stop:1 hand_raise:1 hand_lower:1 \
    nick_change:1 chat_message:2 reaction:1 recording_pending:1 \
    recording_start:1 recording_stop:1 kicked:0; do
	tt_eq "${pair#*:}" "$(tt_count "${pair%%:*}")" "events ${pair%%:*}"
done
tt_eq "completed|2|2|1|recorded|focus_left" "$(tt_sql "SELECT session_status,
    participant_count, peak_participants, total_disconnections,
    recording_status, end_reason FROM teleconferencesessions")" "session row"
tt_eq "1" "$(tt_sql "SELECT count(*) FROM teleconferencesessions
    WHERE recording_duration_seconds >= 1 AND total_duration_seconds >= 3
    AND endTime LIKE '____-__-__T__:__:__.___Z'")" "durations and times"
# One participant's row, by stats-id: who, how often, what they did.
person() {
	tt_sql "SELECT participant_name, participant_id, participant_role,
	    join_count, disconnection_count, camera_enabled, microphone_enabled,
	    screen_shared, messages_sent, reactions_sent, session_status,
	    left_reason FROM teleconference_participant_sessions
	    WHERE stats_id = '$1'"
}
tt_eq "Dr Alice Smith|cg-1|caregiver|1|0|1|1|1|0|0|left|leave" \
    "$(person A-1)" "caregiver row"
tt_eq "Robert||unknown|2|1|0|0|0|2|1|left|leave" "$(person B-1)" \
    "patient row (one row across the reconnect)"
tt_eq "2" "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions")" \
    "participant rows"
# Chat text is never stored, only counted.
tt_eq "0" "$(tt_sql "SELECT count(*) FROM teleconference_events
    WHERE event_data LIKE '%hello%' OR event_data LIKE '%DROP%'")" "no chat text"
# The report CLI reads the same file.
"$TELETRACK" report -d "$TT_DIR/teletrack.db" sessions >"$TT_DIR/report.txt" 2>&1 ||
    tt_fail "report sessions failed"
grep -q room1 "$TT_DIR/report.txt" || tt_fail "report lacks the room"
tt_done
