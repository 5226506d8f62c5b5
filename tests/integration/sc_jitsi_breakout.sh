#!/bin/sh
# The daemon through breakout rooms and an end for all (Jitsi's breakout
# rooms and end_conference played by tests/integration/prosody/
# mod_jitsi_fake.lua): the observer follows the meeting into the breakout
# room the companion module announces; a move there and back is a
# breakout_move, never a leave; what happens in the breakout room is
# recorded in the meeting's session with the room's name; a breakout
# room that closes sends its people back without a leave; the moderator
# ending the meeting for everyone ends the session as ended_for_all, with
# who and the destroy reason.
. "$(dirname "$0")/lib.sh"
tt_jitsi_observed
cat > "$TT_DIR/b.jsim" <<JSIM
$(tt_jsim_meeting)
breakout-add mod Room_A
wait-breakout mod Room_A
connect focusb focus@auth.meet.jitsi focuspw
learn focusb mod
join-breakout focusb Room_A focus
wait-file $TT_DIR/in 20000
learn bob mod
switch bob Room_A bob01
audio bob on
send bob
sleep 600
switch bob main bob01
sleep 600
switch bob Room_A bob01
sleep 600
breakout-remove mod Room_A
wait-destroyed bob
join bob room1 bob01
sleep 600
end-conference mod
wait-destroyed bob
JSIM
tt_sim_start "$TT_DIR/b.jsim"
tt_wait_sql "SELECT count(*) FROM teleconference_events
    WHERE event_type = 'join'" 1
touch "$TT_DIR/go"
tt_wait_log "observing its breakout room"
touch "$TT_DIR/in"
tt_sim_wait
tt_wait_sql "SELECT count(*) FROM teleconferencesessions
    WHERE endTime IS NOT NULL" 1
tt_observer_stop
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconferencesessions")" \
    "one session for the whole meeting"
tt_eq 0 "$(tt_sql "SELECT count(*) FROM teleconference_events e
    JOIN teleconference_participant_sessions p
    ON p.id = e.participant_session_id
    WHERE p.stats_id = 'B-1' AND e.event_type = 'leave'")" \
    "moving is not leaving"
tt_eq 4 "$(tt_count breakout_move)" "four moves"
tt_eq "main>Room_A|Room_A>main|main>Room_A|Room_A>main" "$(tt_sql "SELECT
    group_concat(json_extract(event_data, '$.from') || '>' ||
    json_extract(event_data, '$.to'), '|') FROM (SELECT event_data FROM
    teleconference_events WHERE event_type = 'breakout_move' ORDER BY id)")" \
    "the moves, in order"
tt_eq closed "$(tt_sql "SELECT json_extract(event_data, '$.reason') FROM
    teleconference_events WHERE event_type = 'breakout_move'
    ORDER BY id DESC LIMIT 1")" "back when the breakout room closed"
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconference_events WHERE
    event_type = 'audio_unmute' AND
    json_extract(event_data, '$.breakout') = 'Room_A'")" \
    "the unmute in the breakout room, recorded in the meeting"
tt_eq 1 "$(tt_sql "SELECT join_count FROM teleconference_participant_sessions
    WHERE stats_id = 'B-1'")" "bob joined once"
tt_eq ended_for_all "$(tt_sql "SELECT end_reason FROM
    teleconferencesessions")" "ended for all"
tt_eq "mod01|The meeting has been terminated" "$(tt_sql "SELECT
    json_extract(event_data, '$.by') || '|' ||
    json_extract(event_data, '$.destroy_reason') FROM teleconference_events
    WHERE event_type = 'session_end'")" "by whom, and the reason"
tt_done
