#!/bin/sh
# The dashboard in a real browser.  A booked appointment is recorded with
# the companion module (speaking, a resumed interruption): a caregiver, a
# patient whose JWT name is "<img src=x onerror=alert(1)>" and a guest
# whose display name is "\"><script>alert(2)</script>", who drops and comes
# back, while `teletrack serve` runs on a free loopback port beside the
# daemon (/metrics shows it up and connected).  Then Debian's headless
# Chromium (browser.py, the DevTools protocol over a pipe) checks
# every view: one timeline lane per participant row, figures as stored,
# the hostile names as text, no console error, no request leaving the
# server, the Now view updating itself, the session page complete with
# JavaScript off; screenshots go to $ARTIFACTS/dashboard/.  Then the
# robustness test (http_robust.py: malformed requests, huge query
# strings, 40 concurrent clients), /metrics against the database, the
# refusal to listen off loopback without authentication, a token and a
# password file, and `teletrack report html`.
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null 2>&1 || { echo "chromium is not installed"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "python3 is not installed"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
ART="${ARTIFACTS:-$HERE/../../build/artifacts}/dashboard"
mkdir -p "$ART"

TT_MODULES='"teletrack"'
TT_VHOST_MODULES='"smacks"; "teletrack"'
tt_setup
tt_prosody_start
tt_observer_conf "" "$TT_PORT" "[schedule]" "poll_s = 1"
tt_observer_start
tt_wait_log "companion module found"
db="$TT_DIR/teletrack.db"
"$TELETRACK" settings -d "$db" set allow_early_join_minutes=0.1 \
    auto_end_after_minutes=0.1 late_grace_minutes=0.05 \
    left_early_grace_minutes=0.05 enable_screen_share=0 \
    >"$TT_DIR/settings.out" 2>&1 || tt_fail "settings: $(cat "$TT_DIR/settings.out")"
start_epoch=$(( $(date +%s) + 9 ))
start=$(date -u -d "@$start_epoch" +%Y-%m-%dT%H:%M:%SZ)
"$TELETRACK" schedule -d "$db" add -a apt-dash -r clinic-9 -s "$start" -m 0.4 \
    -p "cg-1:caregiver:Dr. Ada" -p "pt-1:patient:Pat" \
    >"$TT_DIR/schedule.out" 2>&1 || tt_fail "schedule add: $(cat "$TT_DIR/schedule.out")"

# The dashboard runs beside the daemon (read-only: it never blocks it);
# /metrics carries the daemon's live figures from its status file.
sport=$(tt_free_port)
tt_serve_start "$sport"
i=0
# (The file is rewritten every second: wait for one after the disco.)
until curl -sf "http://127.0.0.1:$sport/metrics" 2>/dev/null |
    grep -q '^teletrack_mode_info{mode="full"} 1$' || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
curl -sf "http://127.0.0.1:$sport/metrics" >"$TT_DIR/metrics.txt"
tt_eq "teletrack_up 1|teletrack_xmpp_connected 1|teletrack_mode_info{mode=\"full\"} 1" \
    "$(grep -E '^teletrack_(up|xmpp_connected|mode_info)' "$TT_DIR/metrics.txt" | paste -sd'|')" \
    "the running daemon in /metrics"

cat > "$TT_DIR/dash.jsim" <<JSIM
connect focus focus@auth.meet.jitsi focuspw
join focus clinic-9 focus
connect dr anon
set dr stats-id DR-1
set dr identity cg-1 caregiver Dr. Ada Lovelace
audio dr on
video dr on
connect-sm pt carol@auth.meet.jitsi carolpw
set pt stats-id PT-1
set pt identity pt-1 patient <img src=x onerror=alert(1)>
connect x anon
set x stats-id X-1
set x name "><script>alert(2)</script>
wait-file $TT_DIR/go 30000
join dr clinic-9 dr01
sleep 600
join pt clinic-9 pt01
recording focus on file rec-1
speak dr
sleep 700
audio pt on
send pt
share dr on
send dr
speak pt
sleep 700
share dr off
send dr
drop pt
sleep 1200
resume pt
sleep 400
join x clinic-9 x01
speak dr
sleep 700
drop x
wait-gone dr x01
connect x2 anon
set x2 stats-id X-1
set x2 name "><script>alert(2)</script>
join x2 clinic-9 x02
sleep 700
recording focus off file rec-1
leave x2
leave pt
sleep 400
leave dr
sleep 300
leave focus
JSIM
"$JITSIM" -p "$TT_PORT" "$TT_DIR/dash.jsim" >>"$TT_DIR/jitsim.log" 2>&1 &
sim=$!
tt_wait_log "appointment apt-dash: window open" 150
while [ "$(date +%s)" -lt "$start_epoch" ]; do sleep 0.1; done
touch "$TT_DIR/go"
wait $sim || tt_fail "jitsim: $(tail -n 3 "$TT_DIR/jitsim.log")"
tt_wait_log "appointment apt-dash: active -> " 200
tt_observer_stop

sid=$(tt_sql "SELECT id FROM teleconferencesessions WHERE appointmentId = 'apt-dash'")
tt_eq 3 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE teleconference_session_id = $sid")" "participant rows"
# Both drops are stream-management sessions (as lib-jitsi-meet's are):
# two interruptions, one resumed.
tt_eq 2 "$(tt_count connection_interrupted)" "interruptions"
tt_eq 1 "$(tt_count connection_restored)" "a resumed interruption"

# The browser, on the dashboard started above.
field() {
	tt_sql "SELECT $1 FROM teleconferencesessions WHERE id = $sid"
}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat > "$TT_DIR/spec.json" <<SPEC
{"base": "http://127.0.0.1:$sport", "artifacts": "$ART",
 "session": $sid,
 "lanes": $(tt_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE teleconference_session_id = $sid"),
 "participants": $(tt_sql "SELECT count(*) FROM
    teleconference_participant_sessions WHERE teleconference_session_id = $sid"),
 "sessions": $(( $(tt_sql "SELECT count(*) FROM teleconferencesessions") + 1 )),
 "total_duration_seconds": "$(field total_duration_seconds)",
 "billable_seconds": "$(field billable_seconds)",
 "participant_count": "$(field participant_count)",
 "total_disconnections": "$(field total_disconnections)",
 "hostile": ["<img src=x onerror=alert(1)>", "\"><script>alert(2)</script>"],
 "live_cmd": ["$TELETRACK", "schedule", "-d", "$db", "add", "-a", "apt-live",
    "-r", "live-room", "-s", "$now", "-m", "30"],
 "live_text": "apt-live"}
SPEC
# The robustness test runs beside the browser: one of its requests waits
# out libmicrohttpd's 15 s idle timeout, and the pages must stay right
# under its load.
timeout 120 "$PY" "$HERE/http_robust.py" 127.0.0.1 "$sport" "$sid" \
    >"$TT_DIR/robust.out" 2>&1 &
robust=$!
timeout 150 "$PY" "$HERE/browser.py" "$TT_DIR/spec.json" >"$TT_DIR/browser.out" 2>&1 ||
    tt_fail "browser checks failed"
cat "$TT_DIR/browser.out" >&2
ls "$ART"/*.png >/dev/null 2>&1 || tt_fail "no screenshots in $ART"
wait $robust || tt_fail "robustness test failed"
cat "$TT_DIR/robust.out" >&2
kill -0 "$TT_SERVE_PID" 2>/dev/null || tt_fail "serve died"

# /metrics: the database's figures (the daemon stopped and removed its
# status file: teletrack_up 0).
curl -sf "http://127.0.0.1:$sport/metrics" >"$TT_DIR/metrics.txt" ||
    tt_fail "GET /metrics"
tt_eq "teletrack_up 0" "$(grep '^teletrack_up ' "$TT_DIR/metrics.txt")" "no daemon: up 0"
tt_eq "$(tt_count join)" "$(sed -n 's/^teletrack_events_recorded_total{type="join"} //p' \
    "$TT_DIR/metrics.txt")" "joins in /metrics"
tt_eq "$(tt_sql "SELECT count(*) FROM teleconferencesessions
    WHERE session_status = 'scheduled'")" \
    "$(sed -n 's/^teletrack_sessions{status="scheduled"} //p' "$TT_DIR/metrics.txt")" \
    "scheduled sessions in /metrics"
# A fresh status file as the daemon writes it (every key of the contract).
t=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
cat >"$TT_DIR/teletrack.status" <<STATUS
{"version": 1, "pid": 1, "started": "$t", "updated": "$t", "connected": true,
 "connected_since": "$t", "disconnected_since": null, "mode": "full",
 "rooms_watched": 1, "rooms_joined": 1, "sessions_open": 0,
 "participants_present": 0, "writer_queue": 3, "events_held": 0,
 "events_dropped": 0, "events_written": 9, "events_by_type":
 {"join": 9}, "last_commit": "$t", "alerts_open": 0}
STATUS
curl -sf "http://127.0.0.1:$sport/metrics" >"$TT_DIR/metrics.txt"
tt_eq "teletrack_up 1|teletrack_writer_queue_depth 3" \
    "$(grep -E '^teletrack_(up|writer_queue_depth) ' "$TT_DIR/metrics.txt" | paste -sd'|')" \
    "a fresh status file: up, queue depth"
# Every metric the Grafana dashboard reads is exported.
for m in $(grep -o 'teletrack_[a-z_]*' "$HERE/../../conf/grafana/teletrack-dashboard.json" | sort -u); do
	grep -q "^# TYPE $m " "$TT_DIR/metrics.txt" || tt_fail "Grafana reads $m, /metrics lacks it"
done
tt_eq "405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$sport/")" \
    "POST refused"
csp=$(curl -sI "http://127.0.0.1:$sport/" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //Ip')
case "$csp" in
"default-src 'none'; script-src 'self';"*) tt_log "ok: CSP $csp" ;;
*) tt_fail "CSP header: [$csp]" ;;
esac
tt_serve_stop

# Off loopback: refused without authentication (nothing is bound).
"$TELETRACK" serve -d "$db" -l "0.0.0.0:$sport" >"$TT_DIR/refuse.out" 2>&1
tt_eq 2 "$?" "0.0.0.0 without authentication refused"
# A token and a password file (on loopback here).
openssl rand -hex 32 >"$TT_DIR/token"
printf 'admin:%s\n' "$(openssl passwd -6 -salt dashsalt 's3cret pw')" >"$TT_DIR/passwd"
tt_serve_start "$sport" --token-file "$TT_DIR/token" --password-file "$TT_DIR/passwd"
u="http://127.0.0.1:$sport/api/now"
tt_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' "$u")" "no credentials"
tt_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -u admin:wrong "$u")" "wrong password"
tt_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' -u 'admin:s3cret pw' "$u")" "password"
tt_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $(cat "$TT_DIR/token")" "$u")" "bearer token"
tt_serve_stop

# The same pages as one file.
"$TELETRACK" report -d "$db" html -o "$ART/report.html" --from "${start%%T*}" ||
    tt_fail "report html"
"$TELETRACK" report -d "$db" html -o "$ART/session.html" -s "$sid" ||
    tt_fail "report html -s"
grep -q '&lt;img src=x onerror=alert(1)&gt;' "$ART/session.html" ||
    tt_fail "report html lacks the escaped name"
tt_eq 0 "$(grep -c '<script\|<img' "$ART/session.html")" "report html: no script, no img"
tt_eq 3 "$(grep -o '<g class="lane"' "$ART/session.html" | wc -l | tr -d ' ')" \
    "report html: three lanes"
tt_done
