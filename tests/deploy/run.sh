#!/bin/sh
# Run the deployment checks (packages, systemd unit, install and man
# pages, container entrypoint, status and logging, README steps) with the
# loop of tests/integration/run.sh (../runlib.sh): output kept only for
# failures, exit 77 is a skip, the last line is "N passed, M failed, K
# skipped".
# Arguments name the checks to run (default: all of d_*.sh).
cd "$(dirname "$0")" || exit 1
[ -x "$TELETRACK" ] || { echo "run.sh: TELETRACK binary missing: $TELETRACK"; exit 1; }
export TELETRACK
. ../runlib.sh
[ $# -gt 0 ] || set -- d_*.sh
for t in "$@"; do
	run_one 1200 "$t"
done
run_summary
