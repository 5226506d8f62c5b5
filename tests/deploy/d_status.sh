#!/bin/sh
# `teletrack status` as a probe runs it: a fresh status file (written
# now) is healthy, exit 0; stale or disconnected is 1; no file is 2; the
# file is found by -s, by -c (next to the database), by $TELETRACK_STATUS.
. "$(dirname "$0")/lib.sh"
W=$(mktemp -d /tmp/teletrack-status.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM

now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
old=$(date -u -d '-30 seconds' +%Y-%m-%dT%H:%M:%S.000Z)
cat > "$W/teletrack.status" <<JSON
{"version": 1, "pid": $$, "started": "$old", "updated": "$now",
 "connected": true, "connected_since": "$old", "disconnected_since": null,
 "mode": "basic", "rooms_watched": 1, "rooms_joined": 1, "sessions_open": 0,
 "participants_present": 0, "writer_queue": 0, "events_held": 0,
 "events_dropped": 0, "events_written": 7, "last_commit": "$now",
 "alerts_open": 0}
JSON
out=$("$TELETRACK" status -s "$W/teletrack.status")
td_eq 0 $? "fresh and connected: exit"
printf '%s\n' "$out" | head -n 1 | grep -qx 'teletrack: healthy' &&
    td_ok "says healthy" || td_fail "first line: $out"
printf '%s\n' "$out" | grep -q '^  connected      yes, since .*(30 s ago)$' &&
    td_ok "connected since 30 s" || td_fail "connected line: $out"
"$TELETRACK" status -f json -s "$W/teletrack.status" |
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin);
sys.exit(0 if d["healthy"] is True and d["status"]["events_written"] == 7 else 1)' &&
    td_ok "-f json" || td_fail "-f json output"
TELETRACK_STATUS=$W/teletrack.status "$TELETRACK" status -q
td_eq 0 $? "\$TELETRACK_STATUS"
printf '[xmpp]\njid = t@h.example\npassword = x\nmuc_domain = c.example\n[storage]\ndatabase = %s/teletrack.db\n' \
    "$W" > "$W/c.conf"
chmod 600 "$W/c.conf"
"$TELETRACK" status -q -c "$W/c.conf" 2>/dev/null
td_eq 0 $? "-c finds teletrack.status next to the database"

sed "s/\"updated\": \"$now\"/\"updated\": \"$old\"/" "$W/teletrack.status" > "$W/stale"
out=$("$TELETRACK" status -s "$W/stale")
td_eq 1 $? "stale: exit"
printf '%s\n' "$out" | grep -q 'unhealthy: stale' && td_ok "says stale" ||
    td_fail "stale: $out"
sed 's/"connected": true/"connected": false/' "$W/teletrack.status" > "$W/down"
"$TELETRACK" status -q -s "$W/down"
td_eq 1 $? "disconnected: exit"
"$TELETRACK" status -q -s "$W/none" 2>/dev/null
td_eq 2 $? "no file: exit"
"$TELETRACK" status --bogus 2>/dev/null
td_eq 2 $? "usage: exit"
td_exit
