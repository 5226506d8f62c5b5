# The test runners' loop (tests/integration/run.sh, tests/deploy/run.sh),
# sourced after they cd to their folder.  run_one LIMIT SCRIPT runs one
# script with a time limit in seconds and prints PASS, SKIP (the script
# exited 77: its last line says why) or FAIL with its failed checks, then
# the last 80 other lines of its output (teletrack's debug lines left
# out); the output is kept only for a failure.  run_summary prints "N
# passed, M failed, K skipped" and fails when one did.
pass=0
fail=0
skip=0
out=$(mktemp)

run_one() {
	name=${2%.sh}
	start=$(date +%s)
	timeout "$1" sh "./$2" >"$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		echo "PASS $name (${secs} s)"
		pass=$((pass + 1))
	elif [ $rc -eq 77 ]; then
		echo "SKIP $name: $(tail -n 1 "$out")"
		skip=$((skip + 1))
	else
		echo "FAIL $name (${secs} s)"
		# Its failed checks first: the tail may be all logs.
		grep '^FAIL: ' "$out"
		grep -v -e ' teletrack debug: ' -e '^FAIL: ' "$out" | tail -n 80
		fail=$((fail + 1))
	fi
}

run_summary() {
	rm -f "$out"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}
