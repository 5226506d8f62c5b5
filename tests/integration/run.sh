#!/bin/sh
# Run every integration scenario (sc_*.sh) against a real Prosody on
# loopback.  Each gets its own Prosody, temp dir and time limit; output is
# kept only for failures.  A scenario exiting 77 is skipped (with its
# reason).  The last line is "N passed, M failed, K skipped".
cd "$(dirname "$0")" || exit 1
[ -x "$TELETRACK" ] || { echo "run.sh: TELETRACK binary missing: $TELETRACK"; exit 1; }
[ -x "$JITSIM" ] || { echo "run.sh: JITSIM binary missing: $JITSIM"; exit 1; }
export TELETRACK JITSIM
pass=0
fail=0
skip=0
out=$(mktemp)
for sc in sc_*.sh; do
	name=${sc%.sh}
	timeout 300 sh "./$sc" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS $name"
		pass=$((pass + 1))
	elif [ $rc -eq 77 ]; then
		echo "SKIP $name: $(tail -n 1 "$out")"
		skip=$((skip + 1))
	else
		echo "FAIL $name"
		grep -v ' teletrack debug: ' "$out" | tail -n 80
		fail=$((fail + 1))
	fi
done
rm -f "$out"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
