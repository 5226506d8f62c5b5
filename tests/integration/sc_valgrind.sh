#!/bin/sh
# The whole basic meeting again with the observer under valgrind: any
# definite or indirect leak, or memory error, makes the observer exit 99,
# which tt_observer_stop reports as a failure.  Skipped (counted as a pass
# with a note) only under a sanitizer build, where valgrind cannot run.
case "$TELETRACK" in
*build-san*) echo "valgrind: not with a sanitizer build (ASan checks this run)"; exit 0 ;;
esac
command -v valgrind >/dev/null 2>&1 || { echo "valgrind missing"; exit 1; }
TT_VALGRIND=1 exec sh "$(dirname "$0")/sc_basic.sh"
