#!/bin/sh
# The whole basic meeting again with the observer under valgrind: any
# definite or indirect leak, or memory error, makes the observer exit 99,
# which tt_observer_stop reports as a failure.  Skipped (exit 77) only for
# a sanitizer build, where valgrind cannot run; the plain run covers it.
case "$TELETRACK" in
*build-san*) echo "valgrind cannot run an ASan binary; the plain run covers it"; exit 77 ;;
esac
command -v valgrind >/dev/null 2>&1 || { echo "valgrind missing"; exit 1; }
TT_VALGRIND=1 exec sh "$(dirname "$0")/sc_basic.sh"
