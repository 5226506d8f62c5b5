#!/bin/sh
# make install into a DESTDIR (with PREFIX=/usr): the exact file list and
# modes, both man pages render without a warning (mandoc -T lint and
# groff through man -l), every command of main.c is in teletrack(8),
# every key of config.c in teletrack.conf(5); make uninstall leaves
# nothing behind.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
D=$(mktemp -d /tmp/teletrack-install.XXXXXX)
R=$(mktemp)
trap 'rm -rf "$D" "$R"' EXIT INT TERM

make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr \
    PROG="$TELETRACK" >"$D.log" 2>&1 || { cat "$D.log"; td_fail "make install"; }
rm -f "$D.log"
got=$(cd "$D" && find . -type f -printf '%m %p\n' | sort)
want=$(printf '%s\n' \
    "755 ./usr/bin/teletrack" \
    "644 ./usr/lib/systemd/system/teletrack.service" \
    "644 ./usr/lib/sysusers.d/teletrack.conf" \
    "644 ./usr/share/man/man5/teletrack.conf.5" \
    "644 ./usr/share/man/man8/teletrack.8" \
    "644 ./usr/share/teletrack/teletrack.conf.example"
    for m in conf/prosody/*.lua; do
	echo "644 ./usr/share/teletrack/prosody/$(basename "$m")"
    done
    for g in conf/grafana/*.json; do
	echo "644 ./usr/share/teletrack/grafana/$(basename "$g")"
    done)
want=$(printf '%s\n' "$want" | sort)
td_eq "$want" "$got" "installed files"
grep -q '^ExecStart=/usr/bin/teletrack run ' \
    "$D/usr/lib/systemd/system/teletrack.service" &&
    td_ok "unit's ExecStart follows BINDIR" ||
    td_fail "unit's ExecStart not rewritten for PREFIX=/usr"
"$D/usr/bin/teletrack" version | grep -q '^teletrack ' &&
    td_ok "installed binary runs" || td_fail "installed binary"

for page in man8/teletrack.8 man5/teletrack.conf.5; do
	f=$D/usr/share/man/$page
	lint=$(mandoc -T lint -W warning "$f" 2>&1)
	[ -z "$lint" ] && td_ok "mandoc -T lint $page: clean" ||
	    td_fail "mandoc -T lint $page: $lint"
	warn=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >"$R")
	[ -z "$warn" ] && td_ok "man -l $page: no warning" ||
	    td_fail "man -l $page: $warn"
	[ "$(wc -l <"$R")" -gt 50 ] &&
	    td_ok "man -l $page: $(wc -l <"$R") lines" ||
	    td_fail "man -l $page rendered almost nothing"
done

# Every command and subcommand of main.c's table has its entry in
# teletrack(8): ".It Cm schedule add ...", a report as ".It Cm NAME" in the
# list of reports, a default subcommand as ".It Cm settings Op Cm show".
main=$(find bot -name main.c | head -n 1)
cmds=$(sed -n '/cmd_table\[\] = {/,/^};/s/^[[:space:]]*{ "\([a-z -]*\)",.*/\1/p' \
    "$main" | tr ' ' '_')
[ -n "$cmds" ] || td_fail "no command table found in $main"
for c in $cmds help; do
	c=$(printf '%s' "$c" | tr '_' ' ')
	w1=${c%% *}
	w2=${c#* }
	if [ "$c" = "$w1" ]; then
		re="^\.It Cm $c( |\$)"
	elif [ "$w1" = report ]; then
		re="^\.It Cm ($w1 )?$w2( |\$)"
	else
		re="^\.It Cm $w1 (Op Cm )?$w2( |\$)"
	fi
	grep -qE "$re" conf/man/teletrack.8 &&
	    td_ok "teletrack(8) documents $c" ||
	    td_fail "teletrack(8) lacks an entry for $c"
done

# Every long option of main.c's option tables, as "Fl Fl NAME".
for o in $(sed -n '/^static const struct option/,/^};/s/^[[:space:]]*{ "\([a-z-]*\)",.*/\1/p' "$main"); do
	grep -q "Fl Fl $o\b" conf/man/teletrack.8 &&
	    td_ok "teletrack(8) documents --$o" ||
	    td_fail "teletrack(8) lacks --$o"
done

# Every section.key of config.c's table in teletrack.conf(5), under its
# section, and in the example config.
cfg=$(find bot -name config.c | head -n 1)
keys=$(sed -n 's/^[[:space:]]*{ "\([a-z_]*\.[a-z_]*\)",.*/\1/p' "$cfg")
[ -n "$keys" ] || td_fail "no key table found in $cfg"
documented=$(awk '/^\.Ss \[/ { s = $2; gsub(/[][]/, "", s) }
	/^\.It Cm [a-z_]+ No =/ { print s "." $3 }' conf/man/teletrack.conf.5)
for k in $keys; do
	printf '%s\n' "$documented" | grep -qx "$k" &&
	    td_ok "teletrack.conf(5) documents $k" ||
	    td_fail "teletrack.conf(5) lacks $k"
	grep -q "^;*${k#*.} =" conf/teletrack.conf.example ||
	    td_fail "teletrack.conf.example lacks $k"
done

make -s --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr
left=$(cd "$D" && find . -type f)
td_eq "" "$left" "files left after make uninstall"
td_exit
