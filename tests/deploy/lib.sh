# Shared helpers for the deployment checks (POSIX sh, sourced).  Each
# check prints "ok: ..." or "FAIL: ..." lines and ends with td_exit.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TD_FAILED=0

td_ok() { printf 'ok: %s\n' "$*"; }

td_fail() {
	printf 'FAIL: %s\n' "$*"
	TD_FAILED=1
}

# td_eq EXPECTED ACTUAL WHAT
td_eq() {
	if [ "$1" = "$2" ]; then
		td_ok "$3 = $2"
	else
		td_fail "$3: expected [$1], got [$2]"
	fi
}

# td_grep FILE REGEX: FILE has a line matching REGEX (grep -E).
td_grep() {
	if grep -qE -- "$2" "$1"; then
		td_ok "$1 has /$2/"
	else
		td_fail "$1 lacks /$2/"
	fi
}

td_skip() {
	printf '%s\n' "$*"
	exit 77
}

td_exit() {
	exit $TD_FAILED
}
