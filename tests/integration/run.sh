#!/bin/sh
# Run every integration scenario (sc_*.sh) against a real Prosody on
# loopback.  Each gets its own Prosody, temp dir and time limit; output is
# kept only for failures.  A scenario exiting 77 is skipped (with its
# reason).  The last line is "N passed, M failed, K skipped".
#
# TT_STRESS=N runs N busy loops beside the scenarios (N=2 keeps both CPUs
# of a 2-core machine busy), to check that no scenario depends on timing:
# they wait on conditions, never on fixed sleeps.  The loops are bounded
# (timeout) and killed when the run ends.  TT_ONLY=NAME runs the
# scenarios whose name contains NAME.
cd "$(dirname "$0")" || exit 1
[ -x "$TELETRACK" ] || { echo "run.sh: TELETRACK binary missing: $TELETRACK"; exit 1; }
[ -x "$JITSIM" ] || { echo "run.sh: JITSIM binary missing: $JITSIM"; exit 1; }
export TELETRACK JITSIM
. ../runlib.sh
busy=""
stop_busy() {
	for p in $busy; do kill "$p" 2>/dev/null; done
	for p in $busy; do wait "$p" 2>/dev/null; done
	busy=""
}
trap 'stop_busy; rm -f "$out"' EXIT
trap 'exit 1' INT TERM
if [ "${TT_STRESS:-0}" -gt 0 ]; then
	i=0
	while [ $i -lt "$TT_STRESS" ]; do
		timeout 3600 sh -c 'while :; do :; done' &
		busy="$busy $!"
		i=$((i + 1))
	done
	echo "stress: $TT_STRESS busy loop(s) running beside the scenarios"
fi
for sc in sc_*.sh; do
	case "${sc%.sh}" in *"${TT_ONLY:-}"*) ;; *) continue ;; esac
	run_one 300 "$sc"
done
run_summary
