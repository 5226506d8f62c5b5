#!/bin/sh
# Run the deployment checks (packages, systemd unit, install and man
# pages, container entrypoint, status and logging, README steps).  Same
# shape as tests/integration/run.sh: output kept only for failures, exit
# 77 is a skip, the last line is "N passed, M failed, K skipped".
# Arguments name the checks to run (default: all of d_*.sh).
cd "$(dirname "$0")" || exit 1
[ -x "$TELETRACK" ] || { echo "run.sh: TELETRACK binary missing: $TELETRACK"; exit 1; }
export TELETRACK
pass=0
fail=0
skip=0
out=$(mktemp)
[ $# -gt 0 ] || set -- d_*.sh
for t in "$@"; do
	name=${t%.sh}
	timeout 1200 sh "./$t" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS $name"
		pass=$((pass + 1))
	elif [ $rc -eq 77 ]; then
		echo "SKIP $name: $(tail -n 1 "$out")"
		skip=$((skip + 1))
	else
		echo "FAIL $name"
		tail -n 80 "$out"
		fail=$((fail + 1))
	fi
done
rm -f "$out"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
