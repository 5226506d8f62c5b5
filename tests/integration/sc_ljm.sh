#!/bin/sh
# What real lib-jitsi-meet clients do (issue 9; tests/fixtures/ljm/README),
# played by jitsim against the observer in basic mode:
#  - alice joins with microphone and camera on: SourceInfo {} and then the
#    follow-up announcing both unmuted.  That is state, not an event: no
#    audio_unmute/video_unmute, and microphone_enabled = camera_enabled = 1.
#  - alice, alone with the visible observer, offers it a P2P session: it
#    must answer at once with an IQ result and a session-terminate
#    <decline/> (anything else leaves her client half-open: mute() hangs).
#  - bob opens a second tab (same stats-id, both live): two participants;
#    the tab's leave closes only the tab's row.
#  - carol reloads (bare unavailable, rejoin under a new nick): one
#    participant, join_count 2.  dave's tab crashes (the old occupant stays
#    silent until the server drops it with 333): one participant too.
. "$(dirname "$0")/lib.sh"
TT_VHOST_MODULES='"smacks"'
tt_setup
tt_prosody_start
tt_observer_conf room9
tt_observer_start
tt_wait_log "not available, retry"

cat > "$TT_DIR/ljm.jsim" <<JSIM
$(tt_jsim_focus room9 15000)
connect alice anon
set alice stats-id A-9
set alice name Alice
audio alice on
video alice on
join alice room9 auto
p2p alice teletrack
connect bob anon
set bob stats-id B-9
join bob room9 auto
set bob name Bob
send bob
tab bob2 bob
audio bob2 on
send bob2
audio bob on
send bob
leave bob2
connect carol anon
set carol stats-id C-9
join carol room9 auto
reload carol
connect dave anon
set dave stats-id D-9
join dave room9 auto
reload dave crash
# the old occupant goes after the hibernation (5 s here): 333
sleep 8000
leave alice
leave bob
leave carol
leave dave
sleep 500
leave focus
sleep 300
JSIM
tt_sim "$TT_DIR/ljm.jsim"
grep -q "P2P offer to teletrack declined" "$TT_DIR/jitsim.log" ||
    tt_fail "the P2P offer was not declined"
tt_wait_log "no participant left\|session_end\|leaving" 50
sleep 1
tt_observer_stop

row() {
	tt_sql "SELECT count(*) || '|' || group_concat(join_count) || '|' ||
	    group_concat(coalesce(microphone_enabled, '')) || '|' ||
	    group_concat(coalesce(camera_enabled, ''))
	    FROM teleconference_participant_sessions WHERE stats_id = '$1'"
}
tt_eq 0 "$(tt_sql "SELECT count(*) FROM teleconference_events e
    JOIN teleconference_participant_sessions p ON p.id = e.participant_session_id
    WHERE p.stats_id = 'A-9' AND e.event_type IN ('audio_unmute',
    'video_unmute', 'audio_mute', 'video_mute')")" "alice: no mute events"
tt_eq "1|1|1|1" "$(row A-9)" "alice: one row, microphone and camera on"
tt_eq 2 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE stats_id = 'B-9'")" "bob's two tabs: two participants"
tt_eq 2 "$(tt_sql "SELECT count(*) FROM teleconference_events e
    JOIN teleconference_participant_sessions p ON p.id = e.participant_session_id
    WHERE p.stats_id = 'B-9' AND e.event_type = 'audio_unmute'
    AND json_extract(e.event_data, '$.nick') = p.nick")" \
    "bob: each tab's unmute on its own row"
tt_eq "1|2" "$(tt_sql "SELECT count(*) || '|' || max(join_count)
    FROM teleconference_participant_sessions WHERE stats_id = 'C-9'")" \
    "carol's reload: one participant, two joins"
tt_eq "1|2" "$(tt_sql "SELECT count(*) || '|' || max(join_count)
    FROM teleconference_participant_sessions WHERE stats_id = 'D-9'")" \
    "dave's crashed tab: one participant, two joins"
tt_done
