#!/bin/sh
# The companion module (conf/prosody/mod_teletrack.lua) loaded from the
# repo, on the MUC component and globally.  With TT_NO_MODULE=1 the same
# meeting runs without it (sc_module_basic.sh) and basic mode must stay
# correct, storing NULL where the module is the only source.
#
# Checked: the observer finds the module (disco) and, with join = all,
# joins a room created after it started; no participant (nor focus) ever
# receives the observer's presence; dominant-speaker messages become a
# timeline and speaking times; a stream-management session cut and resumed
# within the hibernation time is an interruption with its duration and no
# leave; the client IP lands in the participant row.
. "$(dirname "$0")/lib.sh"
if [ -z "$TT_NO_MODULE" ]; then
	TT_MODULES='"teletrack"'
	TT_VHOST_MODULES='"smacks"; "teletrack"'
	ROOMS=all
else
	TT_VHOST_MODULES='"smacks"'
	ROOMS=room4
fi
tt_setup
tt_prosody_start
tt_observer_conf "$ROOMS" "" "" "[tracking]" "ip_mode = store"
tt_observer_start
if [ -z "$TT_NO_MODULE" ]; then
	tt_wait_log "companion module found"
else
	tt_wait_log "basic mode"
fi

cat > "$TT_DIR/m.jsim" <<JSIM
# Everyone logs in first (slow on a busy machine), then joins at once.
connect focus focus@auth.meet.jitsi focuspw
connect alice anon
connect-sm carol carol@auth.meet.jitsi carolpw
set alice stats-id A-4
set carol stats-id C-4
join focus room4 focus
join alice room4 alice04
join carol room4 carol04
wait-file $TT_DIR/go 60000
JSIM
if [ -z "$TT_NO_MODULE" ]; then
	# Focus (owner) tries to make the observer visible; a second session
	# of the observer account joins and tries to speak in the room.
	cat >> "$TT_DIR/m.jsim" <<'JSIM'
admin focus role teletrack moderator
admin focus affiliation teletrack@hidden.meet.jitsi owner
connect spy teletrack@hidden.meet.jitsi observerpw
join spy room4 spy01
chat spy can you hear me
# focus, alice and carol: neither observer session is counted
expect-occupants alice 3
JSIM
fi
# Carol speaks three times as long as alice: the order of their speaking
# times holds however late a loaded machine delivers a switch.
cat >> "$TT_DIR/m.jsim" <<JSIM
speak alice
sleep 1000
speak carol
sleep 3000
speak carol silence
sleep 300
drop carol
JSIM
if [ -z "$TT_NO_MODULE" ]; then
	# Away for 1.5 s from when the module reported the interruption.
	echo "wait-file $TT_DIR/interrupted 30000" >> "$TT_DIR/m.jsim"
fi
cat >> "$TT_DIR/m.jsim" <<JSIM
sleep 1500
resume carol
sleep 800
leave alice
leave carol
# Focus leaves last: once the room has seen both go.
wait-gone focus alice04
wait-gone focus carol04
leave focus
sleep 800
JSIM
if [ -z "$TT_NO_MODULE" ]; then
	cat >> "$TT_DIR/m.jsim" <<'JSIM'
expect-no-presence-from alice teletrack
expect-no-presence-from carol teletrack
expect-no-presence-from focus teletrack
expect-no-presence-from alice spy01
expect-no-message-from alice spy01
JSIM
fi
tt_sim_start "$TT_DIR/m.jsim"
tt_wait_sql "SELECT count(*) FROM teleconference_events
    WHERE event_type = 'join'" 2
touch "$TT_DIR/go"
if [ -z "$TT_NO_MODULE" ]; then
	tt_wait_sql "SELECT count(*) FROM teleconference_events
	    WHERE event_type = 'connection_interrupted'" 1
	touch "$TT_DIR/interrupted"
fi
tt_sim_wait
tt_wait_sql "SELECT count(*) FROM teleconference_events
    WHERE event_type = 'session_end'" 1
tt_observer_stop

tt_eq 2 "$(tt_count join)" "joins"
tt_eq 0 "$(tt_count disconnect)" "no disconnect for the resumed session"
tt_eq 2 "$(tt_count leave)" "only the final leaves"
tt_eq 1 "$(tt_sql "SELECT join_count FROM teleconference_participant_sessions
    WHERE stats_id = 'C-4'")" "carol joined once"
if [ -z "$TT_NO_MODULE" ]; then
	tt_eq 3 "$(tt_count dominant_speaker)" "dominant_speaker events"
	tt_eq "alice04,carol04,carol04" "$(tt_sql "SELECT group_concat(
	    json_extract(event_data, '$.nick')) FROM (SELECT event_data
	    FROM teleconference_events WHERE event_type = 'dominant_speaker'
	    ORDER BY id)")" "speaker timeline"
	tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions a,
	    teleconference_participant_sessions c WHERE a.stats_id = 'A-4'
	    AND c.stats_id = 'C-4' AND a.spoke_time_seconds > 0.5
	    AND c.spoke_time_seconds > a.spoke_time_seconds
	    AND c.spoke_time_seconds < 10")" "speaking times (carol > alice > 0)"
	tt_eq 1 "$(tt_count connection_interrupted)" "interruption"
	tt_eq 1 "$(tt_count connection_restored)" "restore"
	tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconference_events
	    WHERE event_type = 'connection_restored'
	    AND json_extract(event_data, '$.duration_ms') >= 1000")" \
	    "interruption duration recorded"
	tt_eq "127.0.0.1|127.0.0.1" "$(tt_sql "SELECT group_concat(ip_address, '|')
	    FROM teleconference_participant_sessions")" "client IPs"
	tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconferencesessions
	    WHERE jitsi_room_name = 'room4'")" "join = all found the new room"
	grep -q "Only hidden observers left" "$TT_DIR/observer.log" ||
	    tt_fail "room not destroyed when only observers remained"
	tt_eq 0 "$(tt_count hidden_join)" "the observer's 2nd session is not a member"
else
	tt_eq 0 "$(tt_count dominant_speaker)" "no speaker events without module"
	tt_eq 0 "$(tt_count connection_interrupted)" "no interruptions without module"
	tt_eq "|" "$(tt_sql "SELECT group_concat(coalesce(ip_address, ''), '|')
	    FROM teleconference_participant_sessions")" "no IPs without module"
	# On a real Jitsi, its speakerstats component sends every joiner,
	# the observer too when no module hides it, a snapshot of speaking
	# times: nobody has spoken yet when the observer joins, so 0.  This
	# Prosody has no such component: nothing is known, NULL.
	if grep -q 'from="speakerstats\.' "$TT_DIR/observer.log"; then
		tt_eq 0 "$(tt_sql "SELECT count(*)
		    FROM teleconference_participant_sessions
		    WHERE spoke_time_seconds > 0")" \
		    "speaking time only as Jitsi's snapshot said (0)"
	else
		tt_eq 0 "$(tt_sql "SELECT count(*)
		    FROM teleconference_participant_sessions
		    WHERE spoke_time_seconds IS NOT NULL")" "speaking time NULL"
	fi
fi
tt_eq 1 "$(tt_count session_end)" "session ended"
tt_done
