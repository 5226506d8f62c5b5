#!/bin/sh
# The companion module among Jitsi's server modules, at the XMPP level.
# tests/integration/prosody/mod_jitsi_fake.lua plays Jitsi's lobby,
# breakout rooms, speaker stats, conference duration and end_conference on
# the wire (the real plugins cannot be downloaded in CI; the same checks
# ran against them, see conf/prosody/README.md).  "obs" is a session of
# the observer account, so what the observer receives is checked directly.
#
# Checked: enabling the lobby never removes the observer (no 322) and a
# second observer session joins the members-only room; knocks, admission,
# denial and giving up reach the observer as lobby notes with actor; the
# breakout_rooms JSON clients get never lists the observer; moves to and
# from a breakout room, and back when it is closed, are breakout notes;
# the observer neither starts the meeting timer nor appears in a later
# joiner's speaker-stats snapshot; ending for all names the moderator; a
# room that does not exist is refused, never created.
. "$(dirname "$0")/lib.sh"
tt_jitsi_fake
tt_setup
tt_prosody_start
R="$TT_DIR/obs.xml"
cat > "$TT_DIR/n.jsim" <<JSIM
connect obs teletrack@hidden.meet.jitsi observerpw
record obs $R
join-fail obs room1 teletrack item-not-found
connect focus focus@auth.meet.jitsi focuspw
join focus room1 focus
expect-status focus focus 201
join obs room1 teletrack
expect-roominfo obs created_timestamp -
connect mod admin@auth.meet.jitsi adminpw
set mod name Doctor_Who
join mod room1 mod01
grant focus mod owner
expect-roominfo obs created_timestamp *
connect bob anon
set bob name Bob
join bob room1 bob01
speak bob
sleep 300
# the lobby, turned on as lib-jitsi-meet does
members-only mod on
sleep 300
expect-no-status obs 322
connect modl admin@auth.meet.jitsi adminpw
join modl room1@lobby.meet.jitsi modl01
connect pat anon
set pat name Patient_Pat
join-fail pat room1 pat01 registration-required
knock pat pat01
wait-text obs event="join"
invite mod pat
wait-invite pat
wait-text obs event="admitted"
leave pat
join pat room1 pat01
wait-text obs reason="admitted"
$(tt_jsim_knock dave Dave)
kick modl dave01
wait-kicked dave
wait-text obs event="denied"
$(tt_jsim_knock eve Eve)
leave eve
wait-text obs reason="left"
leave modl
connect obs2 teletrack@hidden.meet.jitsi observerpw
join obs2 room1 teletrack2
leave obs2
members-only mod off
# breakout rooms
breakout-add mod Room_A
wait-breakout mod Room_A
learn obs mod
# jicofo joins first (Jitsi's muc_meeting_id holds everyone else till then)
connect focusb focus@auth.meet.jitsi focuspw
learn focusb mod
join-breakout focusb Room_A focus
switch bob Room_A bob01
wait-text obs event="opened"
wait-text obs to_name="Room_A"
join-breakout obs Room_A teletrack
sleep 300
expect-no-text bob teletrack@
expect-no-text mod teletrack@
switch bob main bob01
wait-text obs from_name="Room_A"
switch bob Room_A bob01
sleep 300
breakout-remove mod Room_A
wait-destroyed bob
join bob room1 bob01
wait-text obs reason="closed"
# a late joiner's speaker stats (obs2, gone, would be listed with 0 ms)
speak mod
sleep 300
connect zed anon
set zed name Zed
join zed room1 zed01
wait-text zed speakerstats
expect-no-text zed teletrack
# never visible to anyone
expect-no-presence-from mod teletrack
expect-no-presence-from bob teletrack
expect-no-presence-from pat teletrack
expect-no-presence-from zed teletrack
expect-no-presence-from mod teletrack2
end-conference mod
wait-destroyed bob
wait-text obs <ended
JSIM
timeout 120 "$JITSIM" -p "$TT_PORT" "$TT_DIR/n.jsim" >>"$TT_DIR/jitsim.log" 2>&1 ||
    tt_fail "jitsim failed: $(tail -n 3 "$TT_DIR/jitsim.log")"
note() { grep -o "<$1 [^>]*xmlns=\"urn:teletrack:1\"[^>]*>" "$R"; }
has() { note "$1" | grep "$2" | grep -c "$3"; }
tt_eq 1 "$(has lobby 'event="join"' 'name="Patient_Pat"')" "knock with display name"
tt_eq 1 "$(has lobby 'event="admitted"' 'by="mod01"')" "admitted by the moderator"
tt_eq 1 "$(has lobby 'event="denied"' 'nick="dave01"')" "denied"
tt_eq 1 "$(has lobby 'event="leave"' 'reason="left"')" "gave up"
tt_eq 0 "$(has lobby 'event="join"' 'nick="modl01"')" "a moderator watching the lobby is no knock"
tt_eq 1 "$(has breakout 'event="opened"' 'name="Room_A"')" "breakout room opened"
tt_eq 2 "$(has breakout 'event="move"' 'to_name="Room_A"')" "moves into the breakout room"
tt_eq 1 "$(has breakout 'event="move"' 'reason="closed"')" "back when it closed"
tt_eq 1 "$(has ended 'nick="mod01"' 'reason="The meeting has been terminated"')" "ended for all, by whom"
grep -q 'status code="322"' "$R" && tt_fail "a 322 reached the observer"
tt_done
