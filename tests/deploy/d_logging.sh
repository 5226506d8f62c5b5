#!/bin/sh
# Logs the way a service manager wants them: with JOURNAL_STREAM naming
# stderr (as systemd sets it) lines carry "<N>" syslog priorities and no
# timestamp; otherwise timestamps and no prefix; [log] level drops lines
# below it, -v still means debug.
. "$(dirname "$0")/lib.sh"
W=$(mktemp -d /tmp/teletrack-log.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$W"' EXIT INT TERM

# A config with a warning in it (an unknown key), checked.
printf '[xmpp]\njid = t@h.example\npassword = x\nmuc_domain = c.example\nbogus = 1\n' \
    > "$W/bad.conf"
: > "$W/err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$W/err") \
    "$TELETRACK" check-config -c "$W/bad.conf" 2>>"$W/err"
first=$(head -n 1 "$W/err")
case $first in
"<4>warning: $W/bad.conf:5: unknown key \"xmpp.bogus\"") td_ok "journal: $first" ;;
*)	td_fail "journal line: $first" ;;
esac
: > "$W/err2"
JOURNAL_STREAM=1:1 "$TELETRACK" check-config -c "$W/bad.conf" 2>>"$W/err2"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z teletrack warning: ' "$W/err2" &&
    td_ok "JOURNAL_STREAM of another file: timestamps" ||
    td_fail "not a journal: $(head -n 1 "$W/err2")"

# [log] level on a daemon that cannot connect (a closed loopback port):
# warning drops the info lines from the "starting" line on (the config is
# read before its level is known); debug shows debug lines.
port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
for lvl in warning debug; do
	printf '[xmpp]\njid = t@h.example\npassword = x\nmuc_domain = c.example\nserver = 127.0.0.1\nport = %s\ntls = off\n[storage]\ndatabase = %s/%s.db\n[log]\nlevel = %s\n' \
	    "$port" "$W" "$lvl" "$lvl" > "$W/$lvl.conf"
	chmod 600 "$W/$lvl.conf"
	"$TELETRACK" run -c "$W/$lvl.conf" 2>"$W/$lvl.log" &
	pid=$!
	PIDS="$PIDS $pid"
	i=0
	while [ $i -lt 100 ] && ! grep -q 'connection to 127.0.0.1 lost' \
	    "$W/$lvl.log" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	kill -TERM $pid; wait $pid
done
grep -q ' warning: connection to 127.0.0.1 lost' "$W/warning.log" &&
    td_ok "level = warning: warnings shown" || td_fail "no warning line"
info=$(sed -n '/ info: .*rooms.join lists no room/d; / info: /p' "$W/warning.log")
[ -z "$info" ] && td_ok "level = warning: no info line after the config" ||
    td_fail "level = warning printed info: $info"
grep -q ' debug: ' "$W/debug.log" && td_ok "level = debug: debug lines" ||
    td_fail "level = debug printed no debug line"
td_exit
