#!/bin/sh
# sc_schedule.sh with the observer under valgrind: the scheduling path
# (appointment trackers, schedule reads, alert delivery by XMPP and by
# command) must not leak or misuse memory either.  Skipped only for a
# sanitizer build, where valgrind cannot run.
case "$TELETRACK" in
*build-san*) echo "valgrind cannot run an ASan binary; the plain run covers it"; exit 77 ;;
esac
command -v valgrind >/dev/null 2>&1 || { echo "valgrind missing"; exit 1; }
TT_VALGRIND=1 exec sh "$(dirname "$0")/sc_schedule.sh"
