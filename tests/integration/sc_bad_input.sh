#!/bin/sh
# Bad input while a meeting is recorded: a hostile SQL-looking nick and a
# 1000-byte nick are stored verbatim; a participant sends the observer a
# forged teletrack notification (ignored and logged); the database is
# locked by another process for three seconds mid-meeting (events are held
# and written afterwards, nothing lost); a second room the observer does not
# watch changes nothing.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start
tt_observer_conf room3
tt_observer_start
LONG=$(printf 'n%.0s' $(seq 1 1000))
EVIL="x');DROP_TABLE_teleconference_events;--"

cat > "$TT_DIR/a.jsim" <<JSIM
connect focus focus@auth.meet.jitsi focuspw
join focus room3 focus
connect focus2 focus@auth.meet.jitsi focuspw
join focus2 other focus
wait-presence focus teletrack 15000
connect evil anon
set evil stats-id E-3
join evil room3 $EVIL
connect long anon
join long room3 $LONG
spoof evil teletrack
connect x anon
set x stats-id X-3
join x room3 chatty
chat x one
chat x two
chat x three
sleep 5000
chat x four
sleep 300
leave x
leave evil
leave long
sleep 300
JSIM
timeout 60 "$JITSIM" -p "$TT_PORT" "$TT_DIR/a.jsim" >>"$TT_DIR/jitsim.log" 2>&1 &
SIM=$!
i=0
until [ "$(tt_count chat_message 2>/dev/null)" = "3" ] || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
# Hold a write lock for 3 s while the chat goes on.
(echo "BEGIN IMMEDIATE;"; sleep 3; echo "COMMIT;") |
    sqlite3 "$TT_DIR/teletrack.db" >/dev/null 2>&1
wait "$SIM" || tt_fail "jitsim failed: $(tail -n 3 "$TT_DIR/jitsim.log")"
sleep 1
tt_observer_stop

tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE nick = '$(printf '%s' "$EVIL" | sed "s/'/''/g")'")" \
    "SQL-looking nick stored verbatim"
tt_eq 1 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE nick = '$LONG'")" "1000-byte nick stored verbatim"
tt_eq 3 "$(tt_sql "SELECT count(*) FROM teleconference_participant_sessions")" \
    "participants (focus not counted)"
tt_eq "" "$(tt_sql "SELECT ip_address FROM teleconference_participant_sessions
    WHERE stats_id = 'E-3'")" "forged notification ignored"
grep -q "untrusted sender" "$TT_DIR/observer.log" || tt_fail "forgery not logged"
tt_eq 4 "$(tt_count chat_message)" "every chat counted across the lock"
tt_eq 4 "$(tt_sql "SELECT messages_sent FROM teleconference_participant_sessions
    WHERE stats_id = 'X-3'")" "messages_sent"
grep -q "database is locked" "$TT_DIR/observer.log" || tt_fail "lock not logged"
grep -q "flushed .* held event" "$TT_DIR/observer.log" || tt_fail "no recovery logged"
tt_eq "ok" "$(tt_sql "PRAGMA integrity_check")" "database integrity"
tt_done
