#!/bin/sh
# Bad input while a meeting is recorded: a hostile SQL-looking nick and a
# 1000-byte nick are stored verbatim; a participant sends the observer a
# forged teletrack notification (ignored and logged); another process
# takes the database's write lock mid-meeting and holds it until the
# daemon says it is holding events back (then they are written, nothing
# lost); a second room the observer does not watch changes nothing.
. "$(dirname "$0")/lib.sh"
tt_setup
tt_prosody_start
tt_observer_conf room3
tt_observer_start
LONG=$(printf 'n%.0s' $(seq 1 1000))
EVIL="x');DROP_TABLE_teleconference_events;--"

cat > "$TT_DIR/a.jsim" <<JSIM
# Everyone logs in first (slow on a busy machine); then the room is never
# without a participant long enough for the observer to leave it.
connect focus focus@auth.meet.jitsi focuspw
connect focus2 focus@auth.meet.jitsi focuspw
connect evil anon
set evil stats-id E-3
connect long anon
connect x anon
set x stats-id X-3
join focus room3 focus
join focus2 other focus
join evil room3 $EVIL
join long room3 $LONG
wait-presence evil teletrack 60000
spoof evil teletrack
join x room3 chatty
chat x one
chat x two
chat x three
# The rest happens while the test holds the database's write lock.
wait-file $TT_DIR/locked 60000
chat x four
leave x
leave evil
leave long
JSIM
tt_sim_start "$TT_DIR/a.jsim"
tt_wait_sql "SELECT count(*) FROM teleconference_events
    WHERE event_type = 'chat_message'" 3

# Another process takes the write lock (sqlite3 reading a FIFO: it holds
# the transaction open until told to commit) ...
mkfifo "$TT_DIR/lock.fifo"
sqlite3 "$TT_DIR/teletrack.db" <"$TT_DIR/lock.fifo" >"$TT_DIR/lock.out" 2>&1 &
LOCKER=$!
exec 3>"$TT_DIR/lock.fifo"
printf '.timeout 10000\nBEGIN IMMEDIATE;\nSELECT '"'"'locked'"'"';\n' >&3
i=0
until grep -q '^locked$' "$TT_DIR/lock.out" 2>/dev/null || [ $i -ge 300 ]; do
	sleep 0.1; i=$((i + 1))
done
grep -q '^locked$' "$TT_DIR/lock.out" || tt_fail "could not take the lock: $(cat "$TT_DIR/lock.out")"
# ... while the chat goes on, until the daemon says it holds events back.
touch "$TT_DIR/locked"
tt_wait_log "cannot write events: .*database is locked.*holding"
printf 'COMMIT;\n' >&3
exec 3>&-
wait "$LOCKER" || tt_fail "the lock holder failed: $(cat "$TT_DIR/lock.out")"
tt_wait_log "database writable again: flushed .* held event"
tt_sim_wait
# Everything the meeting did is on record: every chat, everyone left.
tt_wait_sql "SELECT count(*) FROM teleconference_events
    WHERE event_type = 'chat_message'" 4
tt_wait_sql "SELECT count(*) FROM teleconference_participant_sessions
    WHERE session_status = 'left'" 3
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
tt_eq "ok" "$(tt_sql "PRAGMA integrity_check")" "database integrity"
tt_done
