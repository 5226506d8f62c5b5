#!/bin/sh
# make demo-postgres: two Jitsi shards, one PostgreSQL.  A throw-away
# PostgreSQL (initdb in a temp dir, 127.0.0.1) and two Prosodys configured
# like Jitsi (the shards "east" and "west"), a teletrack on each
# ([xmpp] shard, [storage] url, schema teletrack).  Two appointments are
# booked once, one in a room each shard hosts; both are played at once;
# each daemon records the one in its own room and leaves the other to
# its shard.  Then the reports across both, the users' billing query
# beside a scheduling app's table, and the dashboard on 127.0.0.1 until
# Ctrl-C (DEMO_SERVE=0: stop there).  Nothing outside temp dirs is
# touched; everything started is stopped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../pg.sh"
. "$(dirname "$0")/shards.sh"
say() { printf '\n== %s\n' "$*"; }

if ! tt_pg_available; then
	echo "make demo-postgres needs Debian's postgresql:" \
	    "sh tests/install-deps.sh test" >&2
	exit 1
fi
EAST_PID=""
WESTD_PID=""
demo_cleanup() {
	for p in $EAST_PID $WESTD_PID; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	tt_west_stop
	tt_pg_cleanup
	tt_cleanup
}
tt_setup
trap demo_cleanup EXIT
trap 'exit 1' INT TERM
tt_pg_start off || exit 1
say "PostgreSQL ($(basename "$(dirname "$TT_PG_BIN")")): initdb and pg_ctl as the postgres user in $TT_PG_DIR"
echo "$TT_PG_URL (role teletrack, its password in a file)"
tt_prosody_start || exit 1
tt_west_start || exit 1
say "Prosody east on 127.0.0.1:$TT_PORT, west on 127.0.0.1:$WEST_PORT"
# A walk-in room each, besides the appointments.
tt_shard_conf east "$TT_PORT" walk-in-east
tt_shard_conf west "$WEST_PORT" walk-in-west
say "teletrack run -c $TT_DIR/east/teletrack.conf, and west's"
sed -n '/^\[storage\]/,/^schema/p' "$TT_DIR/east/teletrack.conf"
tt_shard_start east
EAST_PID=$PID
tt_shard_start west
WESTD_PID=$PID
tt_wait_in "$TT_DIR/east/observer.log" "connected as" || exit 1
tt_wait_in "$TT_DIR/west/observer.log" "connected as" || exit 1

C="$TT_DIR/east/teletrack.conf"
say "teletrack settings set ... (minutes as fractions: a demo of seconds)"
"$TELETRACK" settings -c "$C" set allow_early_join_minutes=0.1 \
    auto_end_after_minutes=0.1 late_grace_minutes=0.05 \
    left_early_grace_minutes=0.05 max_late_join_minutes=0.3 || exit 1
start=$(date -u -d "+10 seconds" +%Y-%m-%dT%H:%M:%SZ)
say "Booked once, for both shards: clinic-a (east hosts it), clinic-b (west)"
"$TELETRACK" schedule -c "$C" add -a appt-a -r clinic-a -s "$start" -m 0.4 \
    -p "cg-17:caregiver:Dr. Wilson Ndambuki" -p "pt-30:patient:Jane Doe" ||
    exit 1
"$TELETRACK" schedule -c "$C" add -a appt-b -r clinic-b -s "$start" -m 0.4 \
    -p "cg-21:caregiver:Dr. Amina Otieno" -p "pt-44:patient:John Roe" ||
    exit 1
"$TELETRACK" schedule -c "$C" list

for s in a b; do
	[ $s = a ] && { cg="cg-17 caregiver Dr. Wilson Ndambuki"; pt="pt-30 patient Jane Doe"; }
	[ $s = b ] && { cg="cg-21 caregiver Dr. Amina Otieno"; pt="pt-44 patient John Roe"; }
	cat > "$TT_DIR/clinic-$s.jsim" <<JSIM
$(tt_jsim_focus clinic-$s 30000)
connect dr anon
set dr identity $cg
audio dr on
video dr on
connect pt anon
set pt identity $pt
wait-file $TT_DIR/go 30000
join dr clinic-$s dr01
sleep 1500
join pt clinic-$s pt01
audio pt on
send pt
chat pt Hello doctor
chat dr Hello, how are you feeling?
sleep 4000
hand pt up
send pt
sleep 500
hand pt down
send pt
sleep 2000
leave pt
sleep 800
leave dr
sleep 2500
leave focus
JSIM
done
"$JITSIM" -p "$TT_PORT" "$TT_DIR/clinic-a.jsim" >>"$TT_DIR/jitsim.log" 2>&1 &
sa=$!
"$JITSIM" -p "$WEST_PORT" "$TT_DIR/clinic-b.jsim" >>"$TT_DIR/jitsim.log" 2>&1 &
sb=$!
say "Playing both appointments at once (about 25 s)"
start_epoch=$(date -u -d "$start" +%s)
while [ "$(date +%s)" -lt "$start_epoch" ]; do sleep 0.2; done
touch "$TT_DIR/go"
wait $sa || tt_fail "clinic-a: $(tail -n 3 "$TT_DIR/jitsim.log")"
wait $sb || tt_fail "clinic-b: $(tail -n 3 "$TT_DIR/jitsim.log")"
tt_wait_pgq "SELECT count(*) FROM teleconferencesessions WHERE
    session_status = 'completed'" 2 300
tt_wait_in "$TT_DIR/east/observer.log" "appt-b is recorded by shard west" 300
tt_wait_in "$TT_DIR/west/observer.log" "appt-a is recorded by shard east" 300
say "What each shard's log says about the other's appointment"
grep -h "is recorded by shard" "$TT_DIR"/east/observer.log \
    "$TT_DIR"/west/observer.log | cut -c 26-
say "teletrack report -c east.conf sessions (both shards, one database)"
"$TELETRACK" report -c "$C" sessions
say "teletrack report -c east.conf attendance"
"$TELETRACK" report -c "$C" attendance
say "teletrack report -c west.conf summary -s appt-a (found by appointment)"
"$TELETRACK" report -c "$TT_DIR/west/teletrack.conf" summary -s appt-a
say "The users' billing query, as written, beside the app's appointments table"
tt_psql <<'SQL'
CREATE TABLE public.appointments (id TEXT PRIMARY KEY, patient TEXT);
INSERT INTO public.appointments VALUES ('appt-a', 'Jane Doe'), ('appt-b', 'John Roe');
GRANT SELECT ON public.appointments TO teletrack;
SQL
PGPASSWORD="$TT_PG_PASSWORD" psql -X -q "$TT_PG_URL" \
    -c "SET search_path TO public, teletrack" -c "
SELECT a.id, ts.session_status, ts.total_duration_seconds / 60 AS duration_minutes,
       ts.connection_quality, COUNT(tps.id) AS participant_count
FROM appointments a
JOIN teleconferencesessions ts ON ts.appointmentId = a.id
LEFT JOIN teleconference_participant_sessions tps ON tps.teleconference_session_id = ts.id
WHERE ts.session_status = 'completed' GROUP BY a.id, ts.id;"
if [ "$TT_FAILED" -eq 0 ] && [ "${DEMO_SERVE:-1}" != 0 ]; then
	port=8080
	ss -ltn 2>/dev/null | awk '{print $4}' | grep -q ":$port\$" &&
	    port=$(tt_free_port)
	"$TELETRACK" serve -c "$C" -l "127.0.0.1:$port" >>"$TT_DIR/serve.log" 2>&1 &
	TT_SERVE_PID=$!
	tt_listening "$port" "$TT_SERVE_PID" || exit 1
	say "The dashboard over PostgreSQL: http://127.0.0.1:$port/
   (teletrack serve -c $C; read-only.)  Ctrl-C stops it and cleans up."
	wait "$TT_SERVE_PID"
	TT_SERVE_PID=""
fi
[ "$TT_FAILED" -eq 0 ] && say "Demo done."
trap - EXIT INT TERM
demo_cleanup
exit "$TT_FAILED"
