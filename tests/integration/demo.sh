#!/bin/sh
# make demo: a throwaway Prosody on loopback configured like Jitsi, a short
# telehealth appointment booked with `teletrack schedule add` (windows of
# seconds), simulated (focus, a caregiver, a patient whose network drops),
# the observer joining when the booking's window opens and recording it,
# and the reports printed; then the dashboard (`teletrack serve`) on
# 127.0.0.1 until Ctrl-C (DEMO_SERVE=0: stop there, as CI does).  Nothing
# outside a temp dir is touched; everything started is stopped.
. "$(dirname "$0")/lib.sh"
say() { printf '\n== %s\n' "$*"; }

tt_setup
tt_prosody_start || exit 1
say "Prosody (Jitsi-like: meet.jitsi, auth., hidden., conference.) on 127.0.0.1:$TT_PORT"
tt_observer_conf "" "$TT_PORT" "[schedule]" "poll_s = 1"
say "teletrack run -c $TT_DIR/teletrack.conf (log: $TT_DIR/observer.log)"
tt_observer_start
tt_wait_log "connected as" || exit 1
DB="$TT_DIR/teletrack.db"

say "teletrack settings set ... (minutes as fractions: a demo of seconds)"
"$TELETRACK" settings -d "$DB" set allow_early_join_minutes=0.1 \
    auto_end_after_minutes=0.1 late_grace_minutes=0.05 \
    left_early_grace_minutes=0.05 alert_patient_waiting_minutes=0.05 \
    enable_screen_share=0 || exit 1
start=$(date -u -d "+8 seconds" +%Y-%m-%dT%H:%M:%SZ)
say "teletrack schedule add -a appointment-42 -r appointment-42 -s $start -m 0.5 ..."
"$TELETRACK" schedule -d "$DB" add -a appointment-42 -r appointment-42 \
    -s "$start" -m 0.5 -p "cg-17:caregiver:Dr. Wilson Ndambuki" \
    -p "pt-30:patient:Jane Doe" || exit 1
"$TELETRACK" schedule -d "$DB" list

cat > "$TT_DIR/demo.jsim" <<'JSIM'
# jicofo creates the room; the observer, retrying, joins it
connect focus focus@auth.meet.jitsi focuspw
join focus appointment-42 focus
wait-presence focus teletrack 60000
# the caregiver arrives first, with a JWT identity
connect dr anon
set dr stats-id Caregiver-7Qx
set dr name Dr. Wilson
set dr identity cg-17 caregiver Dr. Wilson Ndambuki
audio dr on
video dr on
join dr appointment-42 3f9a1c2e
sleep 1500
connect pt anon
set pt stats-id Patient-k3Q
set pt name Jane
set pt identity pt-30 patient Jane Doe
join pt appointment-42 7b1d4c7e
sleep 500
recording focus pending file rec-1
sleep 300
recording focus on file rec-1
audio pt on
send pt
video pt on
send pt
chat pt Hello doctor
chat dr Hello Jane, can you see my screen?
share dr on
send dr
sleep 2000
share dr off
send dr
react pt 👍
hand pt up
send pt
sleep 500
hand pt down
send pt
# the patient's network drops; she comes back under a new nick
drop pt
wait-gone dr 7b1d4c7e
sleep 1000
connect pt2 anon
set pt2 stats-id Patient-k3Q
set pt2 name Jane
set pt2 identity pt-30 patient Jane Doe
audio pt2 on
join pt2 appointment-42 c41e9a07
sleep 2500
recording focus off file rec-1
sleep 500
leave pt2
sleep 1000
leave dr
# focus (jicofo) goes once the room has seen the caregiver go
wait-gone focus 3f9a1c2e
leave focus
JSIM
say "Playing the appointment (about 25 s)"
tt_sim "$TT_DIR/demo.jsim" || exit 1
tt_wait_log "appointment appointment-42: active -> " 300
tt_wait_sql "SELECT count(*) FROM teleconferencesessions
    WHERE appointmentId = 'appointment-42'
    AND session_status IN ('completed', 'failed')" 1
tt_observer_stop
say "teletrack report attendance"
"$TELETRACK" report -d "$DB" attendance
say "teletrack report alerts"
"$TELETRACK" report -d "$DB" alerts
say "teletrack report sessions"
"$TELETRACK" report -d "$DB" sessions
say "teletrack report participants -s 1"
"$TELETRACK" report -d "$DB" participants -s 1
say "teletrack report events -s 1"
"$TELETRACK" report -d "$DB" events -s 1
say "teletrack report billing"
"$TELETRACK" report -d "$DB" billing
say "Raw rows are in SQLite: sqlite3 \$DB 'SELECT * FROM teleconference_events'"
if [ "$TT_FAILED" -eq 0 ] && [ "${DEMO_SERVE:-1}" != 0 ]; then
	# 8080 when it is free, else any free port.
	port=8080
	ss -ltn 2>/dev/null | awk '{print $4}' | grep -q ":$port\$" &&
	    port=$(tt_free_port)
	tt_serve_start "$port" || tt_done
	say "The dashboard: http://127.0.0.1:$port/
   the appointment just recorded: http://127.0.0.1:$port/sessions/1
   JSON: http://127.0.0.1:$port/api/sessions/1   metrics: http://127.0.0.1:$port/metrics
   (teletrack serve -d $DB; read-only.)  Ctrl-C stops it and cleans up."
	wait "$TT_SERVE_PID"
	TT_SERVE_PID=""
fi
[ "$TT_FAILED" -eq 0 ] && say "Demo done."
tt_done
