#!/bin/sh
# The daemon through a lobby turned on mid-meeting (Jitsi's lobby played
# by tests/integration/prosody/mod_jitsi_fake.lua): lib-jitsi-meet grants
# member to everyone its client sees and sets members-only; the hidden
# observer must stay, so the session goes on and the admitted patient is
# recorded in it.  A second knock is denied.  Same checks passed against
# Jitsi's real mod_muc_lobby_rooms (TT_RIG).
. "$(dirname "$0")/lib.sh"
tt_jitsi_observed
cat > "$TT_DIR/m.jsim" <<JSIM
$(tt_jsim_meeting)
members-only mod on
sleep 1500
connect modl admin@auth.meet.jitsi adminpw
join modl room1@lobby.meet.jitsi modl01
connect pat anon
set pat name Patient_Pat
set pat stats-id P-1
join-fail pat room1 pat01 registration-required
knock pat pat01
sleep 1000
invite mod pat
wait-invite pat
leave pat
join pat room1 pat01
$(tt_jsim_knock dave Dave)
kick modl dave01
wait-kicked dave
sleep 1500
leave pat
leave bob
leave modl
leave mod
sleep 500
leave focus
sleep 1000
JSIM
tt_sim_start "$TT_DIR/m.jsim"
i=0
until [ "$(tt_sql "SELECT count(*) FROM teleconference_events
    WHERE event_type = 'join'" 2>/dev/null)" = 1 ] || [ $i -ge 200 ]; do
	sleep 0.1; i=$((i + 1))
done
touch "$TT_DIR/go"
tt_sim_wait
i=0
until [ "$(tt_sql "SELECT count(*) FROM teleconferencesessions
    WHERE endTime IS NOT NULL")" = 1 ] || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
tt_observer_stop
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconferencesessions")" "one session"
tt_eq 0 "$(tt_sql "SELECT count(*) FROM teleconferencesessions
    WHERE end_reason = 'ended_during_gap'")" "not ended during a gap"
tt_eq 0 "$(tt_count observer_gap)" "no observer gap"
tt_eq "B-1,M-1,P-1" "$(tt_sql "SELECT group_concat(stats_id) FROM (SELECT
    stats_id FROM teleconference_participant_sessions WHERE stats_id IS NOT
    NULL ORDER BY stats_id)")" "the admitted patient is in the session"
grep "join refused" "$TT_DIR/observer.log" | grep -v item-not-found >&2 &&
    tt_fail "the observer was refused a join"
# The lobby as events, and the admitted patient's wait (about 1 s).
tt_eq 2 "$(tt_count lobby_join)" "two knocks"
tt_eq 1 "$(tt_count lobby_admitted)" "one let in"
tt_eq 1 "$(tt_count lobby_denied)" "one turned away"
tt_eq mod01 "$(tt_sql "SELECT json_extract(event_data, '$.by') FROM
    teleconference_events WHERE event_type = 'lobby_denied'")" \
    "turned away by the moderator"
tt_eq 1 "$(tt_sql "SELECT lobby_wait_seconds BETWEEN 1 AND 30 FROM
    teleconference_participant_sessions WHERE stats_id = 'P-1'")" \
    "the patient's lobby wait"
tt_eq 0 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE stats_id IN ('B-1', 'M-1') AND lobby_wait_seconds IS NOT NULL")" \
    "no lobby wait for who never knocked"
tt_done
