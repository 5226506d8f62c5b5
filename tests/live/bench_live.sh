#!/bin/sh
# make bench, live: teletrack against a real Prosody on loopback, under a
# bounded load from tests/live/loadgen (C, libstrophe, many connections).
#
# One Prosody, started like the integration tests (tests/integration/
# lib.sh: its own temp dir, a free 127.0.0.1 port, configured like Jitsi)
# with the companion module loaded as for sc_module, but logging warnings
# only: Prosody's debug log would be counted as Prosody's work.  Each case
# gets a fresh teletrack (default settings, its rooms from join_file) and
# database:
#
#   sat-K    one room, K participants updating presence as fast as Prosody
#            delivers (each sends its next update when its last one comes
#            back), LIVE_SAT_S seconds;
#   scale    LIVE_ROOMS rooms of 3, everyone joins, LIVE_IDLE_S seconds of
#            nobody changing anything, everyone leaves;
#   pace     LIVE_PACE_ROOMS rooms of 3, every person updating 0.2 times a
#            second (a telehealth pace), LIVE_PACE_S seconds.
#
# Every case checks, after teletrack stopped, that the rows per type
# (join, leave, disconnect, audio/video mute/unmute) equal what the
# driver saw Prosody deliver, and prints teletrack's CPU time as a share
# of Prosody's over the same interval (/proc/PID/stat utime+stime; the
# "exact" figure is /proc/PID/schedstat), the commit latency teletrack
# measured (status file: from each event's arrival to its COMMIT) and
# the RSS per occupant.  Exit 1 when a row is missing or a case failed;
# the goals (share <= 10%, p99 <= 250 ms) are printed, not enforced: the
# machine is shared.
#
# Needs TELETRACK and LOADGEN (paths); LIVE_CASES picks cases
# ("sat-10 sat-20 sat-40 scale pace" by default).
: "${LOADGEN:?LOADGEN must point at the loadgen binary}"
TT_HERE=$(cd "$(dirname "$0")/../integration" && pwd)
export JITSIM="${JITSIM:-/bin/false}"	# lib.sh wants one; unused here
. "$TT_HERE/lib.sh"

LIVE_CASES=${LIVE_CASES:-"sat-10 sat-20 sat-40 scale pace"}
LIVE_SAT_S=${LIVE_SAT_S:-20}
LIVE_ROOMS=${LIVE_ROOMS:-1000}
LIVE_IDLE_S=${LIVE_IDLE_S:-30}
LIVE_PACE_ROOMS=${LIVE_PACE_ROOMS:-200}
LIVE_PACE_S=${LIVE_PACE_S:-30}

TT_VHOST_MODULES='"smacks"; "teletrack"'
# As Jitsi's: with Prosody's default (100), rooms beyond it are evicted
# to disk and restored, which takes most of its time at 1,000 rooms.
TT_EXTRA_CFG='log = { warn = "*console" }
muc_room_cache_size = 1000'
LG_PID=""

bl_cleanup() {
	[ -n "$LG_PID" ] && kill "$LG_PID" 2>/dev/null
	# LIVE_KEEP=DIR keeps every file of the run (logs, databases) there.
	if [ -n "${LIVE_KEEP:-}" ] && [ -n "$TT_DIR" ]; then
		mkdir -p "$LIVE_KEEP" && cp -r "$TT_DIR"/. "$LIVE_KEEP"/
	fi
	tt_cleanup
}

# live_conf DIR: teletrack's configuration, defaults but for the rooms.
live_conf() {
	tt_xmpp_ini "$TT_PORT" > "$1/teletrack.conf"
	cat >> "$1/teletrack.conf" <<CFG
[rooms]
join_file = $1/rooms
[storage]
database = $1/teletrack.db
CFG
}

# live_case NAME MODE ROOMS PER_ROOM [loadgen options...]
live_case() {
	name=$1 mode=$2 rooms=$3 per=$4
	shift 4
	d="$TT_DIR/$name"
	mkdir -p "$d"
	live_conf "$d"
	"$LOADGEN" -p "$TT_PORT" -m "$mode" -r "$rooms" -k "$per" \
	    -P "$TT_PROSODY_PID" -D "$d/teletrack.db" -j "$d/rooms" \
	    -g "$d/go" -x "$name-" "$@" >"$d/out" 2>"$d/err" &
	LG_PID=$!
	i=0
	while ! grep -q '^READY' "$d/out" 2>/dev/null; do
		if ! kill -0 "$LG_PID" 2>/dev/null || [ $i -ge 3000 ]; then
			tt_fail "$name: loadgen never got ready: $(tail -n 3 "$d/err")"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	"$TELETRACK" run -c "$d/teletrack.conf" 2>"$d/observer.log" &
	TT_OBSERVER_PID=$!
	echo "$TT_OBSERVER_PID" > "$d/go.tmp" && mv "$d/go.tmp" "$d/go"
	wait "$LG_PID"
	lg_rc=$?	# (tt_observer_stop sets rc)
	LG_PID=""
	tt_observer_stop
	grep '^PHASE' "$d/out" | sed "s/^PHASE /$name: /" >&2
	if [ "$lg_rc" -ne 0 ]; then
		tt_fail "$name: loadgen exited $lg_rc: $(tail -n 5 "$d/err")"
		grep -v ' debug: ' "$d/observer.log" | tail -n 20 >&2
	fi
	live_verify "$name" "$d"
}

# After teletrack stopped: rows per type = the driver's EXPECT line.
live_verify() {
	exp=$(grep '^EXPECT' "$2/out")
	[ -n "$exp" ] || { tt_fail "$1: no EXPECT line"; return 1; }
	got=$(sqlite3 -batch -noheader "$2/teletrack.db" "SELECT event_type ||
	    '=' || count(*) FROM teleconference_events WHERE event_type IN
	    ('join', 'leave', 'disconnect', 'audio_mute', 'audio_unmute',
	    'video_mute', 'video_unmute') GROUP BY event_type")
	for kv in ${exp#EXPECT }; do
		k=${kv%%=*}
		want=${kv#*=}
		have=$(printf '%s\n' "$got" | sed -n "s/^$k=//p")
		tt_eq "$want" "${have:-0}" "$1: $k rows"
	done
}

# kv CASE PHASE KEY: a figure from a case's PHASE line.
kv() {
	awk -v p="$2" -v k="$3" '$1 == "PHASE" && $2 == p {
		for (i = 3; i <= NF; i++)
			if (index($i, k "=") == 1) {
				print substr($i, length(k) + 2)
				exit
			}
	}' "$TT_DIR/$1/out"
}

# RSS per occupant over a baseline: teletrack with one small room (the
# first sat-K case), "-" without one.
per_occupant() {
	[ -n "$BASE_RSS" ] || { echo -; return; }
	awk -v r="$1" -v n="$2" -v br="$BASE_RSS" -v bn="$BASE_ROWS" \
	    'BEGIN { printf "%.1f KB", (r - br) / (n - bn) }'
}

# The figures, one line per case, after its rows were checked.
live_summary() {
	c=$1
	[ -f "$TT_DIR/$c/out" ] || return 0
	case $c in
	sat-*|pace)
		m=saturate
		[ "$c" = pace ] && m=pace
		printf '%-7s %5s people %4s updates/s  teletrack/Prosody CPU %6s  commit p50/p99/max %s/%s/%s ms\n' \
		    "$c" "$(kv "$c" "$m" participants)" \
		    "$(kv "$c" "$m" updates_per_s)" "$(kv "$c" "$m" share)" \
		    "$(kv "$c" "$m" lat_p50)" "$(kv "$c" "$m" lat_p99)" \
		    "$(kv "$c" "$m" lat_max)"
		if [ "$c" = pace ]; then
			printf '%-7s RSS %s kB, %s per occupant\n' "" \
			    "$(kv "$c" observer_joined rss_kb)" \
			    "$(per_occupant "$(kv "$c" observer_joined rss_kb)" \
			    "$(kv "$c" observer_joined rows)")"
		elif [ -z "$BASE_RSS" ]; then
			BASE_RSS=$(kv "$c" observer_joined rss_kb)
			BASE_ROWS=$(kv "$c" observer_joined rows)
		fi
		;;
	scale)
		printf '%-7s %s rooms, %s people: all recorded %ss after start; CPU share %s; commit p50/p99/max %s/%s/%s ms; RSS %s kB, %s per occupant\n' \
		    "$c" "$(kv "$c" observer_joined rooms)" \
		    "$(kv "$c" observer_joined rows)" \
		    "$(kv "$c" observer_joined secs)" \
		    "$(kv "$c" observer_joined share)" \
		    "$(kv "$c" observer_joined lat_p50)" \
		    "$(kv "$c" observer_joined lat_p99)" \
		    "$(kv "$c" observer_joined lat_max)" \
		    "$(kv "$c" observer_joined rss_kb)" \
		    "$(per_occupant "$(kv "$c" observer_joined rss_kb)" \
		    "$(kv "$c" observer_joined rows)")"
		printf '%-7s idle %ss: teletrack %s ms CPU/s (Prosody %s s in all)\n' \
		    "" "$(kv "$c" idle secs)" "$(kv "$c" idle tt_cpu_ms_per_s)" \
		    "$(kv "$c" idle prosody_cpu)"
		printf '%-7s all left: recorded in %ss; CPU share %s; commit p50/p99/max %s/%s/%s ms (whole run)\n' \
		    "" "$(kv "$c" leave_committed secs)" \
		    "$(kv "$c" leave_committed share)" \
		    "$(kv "$c" leave_committed lat_p50)" \
		    "$(kv "$c" leave_committed lat_p99)" \
		    "$(kv "$c" leave_committed lat_max)"
		;;
	esac
}

tt_setup
trap bl_cleanup EXIT INT TERM
tt_prosody_start || exit 1
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
tt_log "live bench: Prosody pid $TT_PROSODY_PID on 127.0.0.1:$TT_PORT; cases: $LIVE_CASES"
for c in $LIVE_CASES; do
	case $c in
	sat-*)
		live_case "$c" saturate 1 "${c#sat-}" -t "$LIVE_SAT_S" ;;
	scale)
		live_case scale scale "$LIVE_ROOMS" 3 -i "$LIVE_IDLE_S" ;;
	pace)
		live_case pace pace "$LIVE_PACE_ROOMS" 3 -u 0.2 \
		    -t "$LIVE_PACE_S" ;;
	none)
		;;
	*)
		tt_fail "unknown case $c" ;;
	esac
done
echo "live: teletrack against Prosody $(dpkg-query -W -f '${Version}' prosody \
    2>/dev/null) on 127.0.0.1, $(nproc) CPUs, load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) now"
echo "goals: CPU share <= 10%, commit p99 <= 250 ms, every row (checked above)"
BASE_RSS="" BASE_ROWS=""
for c in $LIVE_CASES; do
	live_summary "$c"
done
trap - EXIT INT TERM
bl_cleanup
exit "$TT_FAILED"
