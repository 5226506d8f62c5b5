#!/bin/sh
# conf/systemd/teletrack.service: `systemd-analyze verify` passes on the
# installed unit (binary and man pages from a DESTDIR install), and
# `systemd-analyze security` rates it OK or better.  Neither needs systemd
# running as PID 1 (--offline).  Also checks the promises the README and
# the daemon rely on: Type=notify with a watchdog, reload by SIGHUP, a
# dedicated user, the state and configuration directories, hardening.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
command -v systemd-analyze >/dev/null || td_skip "no systemd-analyze"
UNIT=conf/systemd/teletrack.service
D=$(mktemp -d /tmp/teletrack-unit.XXXXXX)
trap 'rm -rf "$D"' EXIT INT TERM

for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=[1-9]' \
    'ExecReload=/bin/kill -HUP \$MAINPID' 'User=teletrack' \
    'StateDirectory=teletrack' 'ConfigurationDirectory=teletrack' \
    'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
    'SystemCallFilter=@system-service' \
    'ExecStart=/usr/local/bin/teletrack run -c /etc/teletrack/teletrack.conf'
do
	td_grep "$UNIT" "^$line"
done
grep -q '^u teletrack ' conf/systemd/teletrack.sysusers &&
    td_ok "sysusers.d creates the teletrack user" ||
    td_fail "teletrack.sysusers does not create the user"

# verify resolves ExecStart= and the man: links, so point it at a
# DESTDIR install: the unit with its paths there, MANPATH for the pages.
make -s --no-print-directory install DESTDIR="$D" PROG="$TELETRACK" \
    >/dev/null || td_fail "make install"
sed "s,/usr/local/bin/,$D/usr/local/bin/,g" "$UNIT" > "$D/teletrack.service"
if out=$(MANPATH=$D/usr/local/share/man systemd-analyze verify \
    "$D/teletrack.service" 2>&1) && [ -z "$out" ]; then
	td_ok "systemd-analyze verify: clean"
else
	td_fail "systemd-analyze verify: $out"
fi

out=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1)
line=$(printf '%s\n' "$out" | grep 'Overall exposure level')
printf '%s\n' "$out" | grep '✗' || true
case $line in
*" SAFE "* | *" OK "*)
	td_ok "systemd-analyze security: ${line#*: }" ;;
*)	td_fail "systemd-analyze security: ${line:-no rating}" ;;
esac
td_exit
