#!/bin/sh
# PostgreSQL: many shards, one database (issue 14), in one server start.
#
#  0. test_pg: the storage interface on this server against SQLite.
#  1. Two Prosodys are two shards, east and west, each with its teletrack
#     ([xmpp] shard), both writing to one PostgreSQL (schema teletrack).
#     A meeting runs on each at once; mid-meeting PostgreSQL is stopped:
#     both hold their events (one warning each), more happens, the server
#     comes back, both flush; every event is there exactly once.
#  2. An appointment booked once, in a room only west hosts: west takes
#     it, east (whose tracker sees a no-show) writes nothing about it.
#  3. The reports, a lookup by room across shards, the dashboard's API,
#     and the users' billing and caregiver queries, run as written beside
#     the scheduling app's own appointments, caregivers and users tables.
#  4. east restarted under a role that may only read: it starts, says
#     why it cannot write, holds; once granted, it writes what it held.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../pg.sh"
. "$(dirname "$0")/shards.sh"
tt_pg_available || { echo "no PostgreSQL server (Debian: postgresql)"; exit 77; }
: "${TEST_PG:?TEST_PG must point at the test_pg binary}"

EAST_PID=""
WESTD_PID=""
SIMS=""

pg_cleanup() {
	for p in $EAST_PID $WESTD_PID $SIMS; do
		kill -9 "$p" 2>/dev/null
	done
	tt_west_stop
	if [ "$TT_FAILED" -ne 0 ] && [ -n "$TT_DIR" ]; then
		for f in east/observer.log west/observer.log sim-east.log \
		    sim-west.log test_pg.log; do
			[ -f "$TT_DIR/$f" ] || continue
			tt_log "---- $f (last 40 lines)"
			tail -n 40 "$TT_DIR/$f" >&2
		done
		tt_log "---- postgresql server.log"
		tail -n 20 "$TT_PG_DIR/server.log" >&2 2>/dev/null
	fi
	tt_pg_cleanup
	tt_cleanup
}

tt_setup
trap pg_cleanup EXIT
trap 'exit 1' INT TERM
tt_pg_start off || { tt_fail "PostgreSQL did not start"; exit 1; }
export TELETRACK_DB_PASSWORD="$TT_PG_PASSWORD"

# 0. The interface against SQLite, on this server.
if TELETRACK_TEST_PG="$TT_PG_URL" "$TEST_PG" >"$TT_DIR/test_pg.log" 2>&1; then
	tt_log "ok: test_pg: $(grep -c '^\[       OK' "$TT_DIR/test_pg.log") tests"
else
	tt_fail "test_pg: $(grep -E 'FAILED|ERROR|DIFFERENT' "$TT_DIR/test_pg.log" | head -n 10)"
fi
unset TELETRACK_DB_PASSWORD

tt_prosody_start
tt_west_start

# held NAME: the events NAME's writer holds, from its status file.
held() {
	sed -n 's/.*"events_held": *\([0-9]*\).*/\1/p' \
	    "$TT_DIR/$1/teletrack.status" 2>/dev/null
}

tt_shard_conf east "$TT_PORT" east1
tt_shard_conf west "$WEST_PORT" west1
tt_shard_start east
EAST_PID=$PID
tt_shard_start west
WESTD_PID=$PID
# Both started on a new schema at once: neither may have given up.
for s in east west; do
	tt_wait_in "$TT_DIR/$s/observer.log" "connected as" && continue
	pid=$EAST_PID
	[ "$s" = west ] && pid=$WESTD_PID
	kill -0 "$pid" 2>/dev/null && continue
	tt_fail "$s exited at start: $(grep -v ' debug: ' \
	    "$TT_DIR/$s/observer.log" | tail -n 2)"
	exit 1
done

# 1. A meeting on each shard at once; PostgreSQL goes away in the middle.
for s in east west; do
	cat > "$TT_DIR/$s.jsim" <<JSIM
$(tt_jsim_focus ${s}1 30000)
connect alice anon
set alice stats-id ${s}-A
set alice identity cg-$s caregiver Dr $s
join alice ${s}1 alice01
connect bob anon
set bob stats-id ${s}-B
join bob ${s}1 bob01
sleep 500
audio alice on
send alice
chat bob before the outage
wait-file $TT_DIR/pg-down 60000
video alice on
send alice
hand bob up
send bob
hand bob down
send bob
chat alice during the outage
chat bob during it too
wait-file $TT_DIR/pg-up 90000
share alice on
send alice
sleep 300
share alice off
send alice
chat alice after
sleep 500
leave bob
leave alice
sleep 500
leave focus
sleep 300
JSIM
done
timeout 150 "$JITSIM" -p "$TT_PORT" "$TT_DIR/east.jsim" \
    >>"$TT_DIR/sim-east.log" 2>&1 &
sim_east=$!
timeout 150 "$JITSIM" -p "$WEST_PORT" "$TT_DIR/west.jsim" \
    >>"$TT_DIR/sim-west.log" 2>&1 &
sim_west=$!
SIMS="$sim_east $sim_west"

tt_wait_pgq "SELECT count(*) FROM teleconference_events e JOIN
    teleconferencesessions s ON s.id = e.teleconference_session_id
    WHERE e.event_type = 'chat_message'" 2
tt_pg_stop
touch "$TT_DIR/pg-down"
for s in east west; do
	tt_wait_in "$TT_DIR/$s/observer.log" "cannot write events"
	i=0
	while [ "$(held $s)" -lt 5 ] 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(held $s)" -ge 5 ] 2>/dev/null && tt_log "ok: $s holds $(held $s) events" ||
	    tt_fail "$s holds [$(held $s)] events during the outage, want >= 5"
done
tt_pg_restart || tt_fail "PostgreSQL did not come back"
touch "$TT_DIR/pg-up"
for s in east west; do
	tt_wait_in "$TT_DIR/$s/observer.log" "database writable again" 450
done
wait $sim_east || tt_fail "jitsim east: $(tail -n 3 "$TT_DIR/sim-east.log")"
wait $sim_west || tt_fail "jitsim west: $(tail -n 3 "$TT_DIR/sim-west.log")"
SIMS=""
tt_wait_pgq "SELECT count(*) FROM teleconferencesessions WHERE session_status
    IN ('completed', 'failed') AND jitsi_room_name IN ('east1', 'west1')" 2

for s in east west; do
	w="s.jitsi_room_name = '${s}1'"
	for pair in session_start:1 session_end:1 observer_join:1 join:2 leave:2 \
	    audio_unmute:1 video_unmute:1 hand_raise:1 hand_lower:1 \
	    chat_message:4 screenshare_start:1 screenshare_stop:1; do
		tt_eq "${pair#*:}" "$(tt_pgq "SELECT count(*) FROM
		    teleconference_events e JOIN teleconferencesessions s
		    ON s.id = e.teleconference_session_id
		    WHERE $w AND e.event_type = '${pair%%:*}'")" \
		    "$s: ${pair%%:*} events, once each"
	done
	tt_eq "$s|completed|2|2" "$(tt_pgq "SELECT s.shard || '|' ||
	    s.session_status || '|' || s.participant_count || '|' ||
	    (SELECT count(*) FROM teleconference_participant_sessions p
	    WHERE p.teleconference_session_id = s.id)
	    FROM teleconferencesessions s WHERE $w")" "$s: session row"
	tt_eq 1 "$(grep -c 'cannot write events' "$TT_DIR/$s/observer.log")" \
	    "$s: warnings for the whole outage"
	tt_eq 1 "$(grep -c 'reading the schedule' "$TT_DIR/$s/observer.log")" \
	    "$s: schedule read failures said"
done

# 2. Booked once, in a room west hosts.
"$TELETRACK" settings -c "$TT_DIR/east/teletrack.conf" set \
    allow_early_join_minutes=0.1 max_late_join_minutes=0.25 \
    auto_end_after_minutes=0.1 alert_caregiver_absent_minutes=0.05 \
    late_grace_minutes=0.05 left_early_grace_minutes=0.05 \
    >"$TT_DIR/settings.out" 2>&1 || tt_fail "settings: $(cat "$TT_DIR/settings.out")"
start_epoch=$(( $(date +%s) + 10 ))
start=$(date -u -d "@$start_epoch" +%Y-%m-%dT%H:%M:%SZ)
"$TELETRACK" schedule -c "$TT_DIR/west/teletrack.conf" add -a bk-1 -r consult \
    -s "$start" -m 0.4 -p "cg-1:caregiver:Dr Alice Smith" -p "pt-1:patient:Bob" \
    >"$TT_DIR/schedule.out" 2>&1 || tt_fail "schedule add: $(cat "$TT_DIR/schedule.out")"
cat > "$TT_DIR/booked.jsim" <<JSIM
$(tt_jsim_focus consult 30000)
connect alice anon
set alice identity cg-1 caregiver Dr Alice Smith
connect bob anon
set bob identity pt-1 patient Bob
wait-file $TT_DIR/go 30000
join alice consult alice01
sleep 1500
join bob consult bob01
sleep 1000
chat alice hello Bob
chat alice how are you
sleep 5000
leave bob
sleep 500
leave alice
sleep 3000
leave focus
JSIM
tt_sim_start "$TT_DIR/booked.jsim" 90 "$WEST_PORT" sim-west.log
while [ "$(date +%s)" -lt "$start_epoch" ]; do sleep 0.1; done
touch "$TT_DIR/go"
tt_sim_wait
tt_wait_in "$TT_DIR/west/observer.log" "appointment bk-1: active -> completed" 300
tt_wait_in "$TT_DIR/east/observer.log" "appointment bk-1 is recorded by shard west" 300
tt_wait_pgq "SELECT shard || '|' || session_status FROM teleconferencesessions
    WHERE appointmentId = 'bk-1'" "west|completed"
grep -q "room consult@conference.meet.jitsi: not available, retry" \
    "$TT_DIR/east/observer.log" || tt_fail "east never looked for the room"
tt_eq "1|on_time|1|on_time" "$(tt_pgq "SELECT string_agg(expected || '|' ||
    attendance, '|' ORDER BY participant_id) FROM
    teleconference_participant_sessions p JOIN teleconferencesessions s
    ON s.id = p.teleconference_session_id WHERE s.appointmentId = 'bk-1'")" \
    "bk-1 attendance, from west"
tt_eq "0" "$(tt_pgq "SELECT count(*) FROM alerts a JOIN teleconferencesessions s
    ON s.id = a.teleconference_session_id WHERE s.appointmentId = 'bk-1'")" \
    "alerts east's tracker raised about bk-1 (it saw nobody)"
tt_eq "1" "$(tt_pgq "SELECT count(*) FROM teleconferencesessions
    WHERE appointmentId = 'bk-1'")" "rows of bk-1"
tt_eq "1" "$(tt_pgq "SELECT count(*) FROM teleconference_events e JOIN
    teleconferencesessions s ON s.id = e.teleconference_session_id
    WHERE s.appointmentId = 'bk-1' AND e.event_type = 'observer_join'")" \
    "observer_join events of bk-1"
tt_eq "0" "$(tt_pgq "SELECT count(*) FROM teleconference_events e JOIN
    teleconferencesessions s ON s.id = e.teleconference_session_id
    WHERE s.appointmentId = 'bk-1' AND e.event_data LIKE '%no_show%'")" \
    "no-show events of bk-1"

# 3. Reports across shards, on the one database.
conf="$TT_DIR/east/teletrack.conf"
"$TELETRACK" report -c "$conf" -f csv sessions >"$TT_DIR/sessions.csv" 2>&1 ||
    tt_fail "report sessions: $(cat "$TT_DIR/sessions.csv")"
tt_eq "3" "$(tr -d '\r' < "$TT_DIR/sessions.csv" | grep -c -E ',(east|west)$')" \
    "sessions of both shards in one report"
"$TELETRACK" report -c "$conf" -f json summary -s west1 \
    >"$TT_DIR/summary.json" 2>&1 || tt_fail "summary -s west1"
grep -q '"value": "west"' "$TT_DIR/summary.json" ||
    tt_fail "summary by room across shards: $(head -c 300 "$TT_DIR/summary.json")"
"$TELETRACK" report -c "$conf" participants -s bk-1 >"$TT_DIR/parts.txt" 2>&1 ||
    tt_fail "participants -s bk-1 (by appointment)"
grep -q "Dr Alice Smith" "$TT_DIR/parts.txt" || tt_fail "participants of bk-1"
TELETRACK_DB_PASSWORD="$TT_PG_PASSWORD" "$TELETRACK" report \
    -d "${TT_PG_URL%%\?*}?sslmode=require&options=-csearch_path%3Dteletrack" \
    sessions >"$TT_DIR/tls.out" 2>&1 &&
    tt_fail "sslmode=require on a server without TLS worked"
grep -q "SSL" "$TT_DIR/tls.out" || tt_fail "sslmode=require: $(cat "$TT_DIR/tls.out")"
sport=$(tt_free_port)
"$TELETRACK" serve -c "$conf" -l "127.0.0.1:$sport" >>"$TT_DIR/serve.log" 2>&1 &
TT_SERVE_PID=$!
tt_listening "$sport" "$TT_SERVE_PID" || tt_fail "serve did not listen"
curl -s "http://127.0.0.1:$sport/api/sessions" >"$TT_DIR/api.json" ||
    tt_fail "GET /api/sessions"
tt_eq "3" "$(grep -c '"shard":' "$TT_DIR/api.json")" "sessions in the API"
tt_serve_stop

# The scheduling app's tables beside teletrack's schema, and the users'
# queries exactly as written.
tt_psql <<'SQL' || tt_fail "creating the app's tables"
CREATE TABLE public.users (id INTEGER PRIMARY KEY, firstName TEXT, lastName TEXT);
CREATE TABLE public.caregivers (id TEXT PRIMARY KEY, userId INTEGER REFERENCES public.users (id));
CREATE TABLE public.appointments (id TEXT PRIMARY KEY, patient TEXT);
INSERT INTO public.users VALUES (1, 'Alice', 'Smith'), (2, 'Carl', 'East');
INSERT INTO public.caregivers VALUES ('cg-1', 1), ('cg-east', 2);
INSERT INTO public.appointments VALUES ('bk-1', 'Bob'), ('bk-9', 'Nobody');
GRANT SELECT ON ALL TABLES IN SCHEMA public TO teletrack;
SQL
cat > "$TT_DIR/billing.sql" <<'SQL'
SELECT a.id, ts.session_status, ts.total_duration_seconds / 60 AS duration_minutes,
       ts.connection_quality, COUNT(tps.id) AS participant_count
FROM appointments a
JOIN teleconferencesessions ts ON ts.appointmentId = a.id
LEFT JOIN teleconference_participant_sessions tps ON tps.teleconference_session_id = ts.id
WHERE ts.session_status = 'completed' GROUP BY a.id, ts.id;
SQL
cat > "$TT_DIR/caregivers.sql" <<'SQL'
SELECT c.id, u.firstName, u.lastName, COUNT(tps.id) AS total_sessions,
       AVG(tps.session_duration_seconds) AS avg_duration, AVG(tps.spoke_time_seconds) AS avg_speaking_time,
       SUM(tps.messages_sent) AS total_chat_messages, AVG(tps.disconnection_count) AS avg_disconnections
FROM caregivers c JOIN users u ON u.id = c.userId
JOIN teleconference_participant_sessions tps ON tps.participant_id = c.id AND tps.participant_role = 'caregiver'
GROUP BY c.id, u.firstName, u.lastName;
SQL
uq() {
	PGPASSWORD="$TT_PG_PASSWORD" psql -X -q -t -A -F '|' -v ON_ERROR_STOP=1 \
	    "$TT_PG_URL" -c "SET search_path TO public, teletrack" -f "$1"
}
out=$(uq "$TT_DIR/billing.sql" 2>&1) || tt_fail "billing query: $out"
dur=$(tt_pgq "SELECT total_duration_seconds / 60 FROM teleconferencesessions
    WHERE appointmentId = 'bk-1'")
tt_eq "bk-1|completed|$dur|good|2" "$out" "the billing query, as written"
out=$(uq "$TT_DIR/caregivers.sql" 2>&1) || tt_fail "caregiver query: $out"
# (id, names, sessions, chat messages): cg-1 in bk-1, cg-east in east1.
tt_eq "cg-1|Alice|Smith|1|2 cg-east|Carl|East|1|2" "$(printf '%s\n' "$out" |
    cut -d '|' -f 1-4,7 | sort | tr '\n' ' ' | sed 's/ $//')" \
    "the caregiver query, as written"
out=$(tt_pgq "SELECT count(*) FROM problem_sessions") || tt_fail "problem_sessions"

# 4. east under a role that may only read.
tt_shard_stop "$EAST_PID" east
EAST_PID=""
tt_psql <<SQL || tt_fail "creating the read-only role"
CREATE ROLE teletrack_ro LOGIN PASSWORD 'ro-$TT_PG_PASSWORD';
GRANT USAGE ON SCHEMA teletrack TO teletrack_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA teletrack TO teletrack_ro;
SQL
printf 'ro-%s\n' "$TT_PG_PASSWORD" > "$TT_DIR/pgpass-ro"
chmod 600 "$TT_DIR/pgpass-ro"
tt_shard_conf east "$TT_PORT" east2 \
    "postgresql://teletrack_ro@127.0.0.1:$TT_PG_PORT/teletrack?sslmode=disable" \
    "$TT_DIR/pgpass-ro"
: > "$TT_DIR/east/observer.log"
tt_shard_start east
EAST_PID=$PID
tt_wait_in "$TT_DIR/east/observer.log" "connected as"
cat > "$TT_DIR/east2.jsim" <<JSIM
$(tt_jsim_focus east2 30000)
connect carl anon
join carl east2 carl01
sleep 500
chat carl held until granted
wait-file $TT_DIR/granted 60000
sleep 300
leave carl
sleep 300
leave focus
JSIM
tt_sim_start "$TT_DIR/east2.jsim" 90 "$TT_PORT" sim-east.log
tt_wait_in "$TT_DIR/east/observer.log" "cannot write events: .*permission denied"
i=0
while [ "$(held east)" -lt 3 ] 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
tt_eq 0 "$(tt_pgq "SELECT count(*) FROM teleconferencesessions
    WHERE jitsi_room_name = 'east2'")" "rows the read-only role wrote"
tt_psql -c "GRANT INSERT, UPDATE ON ALL TABLES IN SCHEMA teletrack TO teletrack_ro" \
    -c "GRANT USAGE ON ALL SEQUENCES IN SCHEMA teletrack TO teletrack_ro" ||
    tt_fail "granting"
touch "$TT_DIR/granted"
tt_wait_in "$TT_DIR/east/observer.log" "database writable again" 450
tt_sim_wait
tt_wait_pgq "SELECT shard || '|' || session_status FROM teleconferencesessions
    WHERE jitsi_room_name = 'east2'" "east|failed"
tt_eq "1|1|1" "$(tt_pgq "SELECT (SELECT count(*) FROM teleconference_events e
    WHERE e.teleconference_session_id = s.id AND e.event_type = 'join') || '|' ||
    (SELECT count(*) FROM teleconference_events e WHERE
    e.teleconference_session_id = s.id AND e.event_type = 'chat_message')
    || '|' || (SELECT count(*) FROM teleconference_events e WHERE
    e.teleconference_session_id = s.id AND e.event_type = 'session_end')
    FROM teleconferencesessions s WHERE s.jitsi_room_name = 'east2'")" \
    "east2's held events, written once"
tt_eq 1 "$(grep -c 'cannot write events' "$TT_DIR/east/observer.log")" \
    "east: warnings while it could not write"

tt_shard_stop "$EAST_PID" east
EAST_PID=""
tt_shard_stop "$WESTD_PID" west
WESTD_PID=""
grep -F "$TT_PG_PASSWORD" "$TT_DIR"/*/observer.log "$TT_DIR"/*.log &&
    tt_fail "a database password in a log"
trap - EXIT INT TERM
pg_cleanup
exit "$TT_FAILED"
