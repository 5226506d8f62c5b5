# Turn the debug log of `teletrack run -v` (an integration scenario's
# observer.log, kept with TT_KEEP_LOGS=DIR) into a seed for fuzz_flow:
# every presence and message received, in order, with the time between
# them (T), the observer's joins (W: the fuzzer's clock runs until the
# observer sends one, whatever its retry jitter), the answers to the observer's disco queries (D), and the
# connection lost (L) and back (C).  See tests/fuzz_flow.c for the format.
#
#   awk -f tests/fuzz/seed_from_log.awk DIR/observer.log > tests/fuzz/flow/NAME
function ms(stamp,    t, s) {
	# 2026-12-02T00:30:37.575Z -> ms since midnight (a scenario is short)
	split(substr(stamp, 12, 12), t, ":")
	return (t[1] * 3600 + t[2] * 60) * 1000 + t[3] * 1000
}
function step(stamp,    now) {
	now = ms(stamp)
	if (last != "" && now - last >= 1)
		printf "T %d\n", now - last
	last = now
}
/ connection to .* lost/ { step($1); print "L"; lost = 1; next }
/ info: connected as / { if (lost) { step($1); print "C" }; next }
/ SENT: <presence / && !/type="unavailable"/ { step($1); print "W"; next }
/ RECV: <(presence|message)[ >]/ {
	step($1)
	sub(/^.* RECV: /, "")
	print
	next
}
/ RECV: <iq / && /id="tt-disco-/ && /type="(result|error)"/ {
	step($1)
	line = "D"
	if ($0 ~ /type="error"/)
		line = line " !"
	if ($0 ~ /var="urn:teletrack:1"/)
		line = line " +"
	if (match($0, /muc#roominfo_meetingId"[^>]*><value>[^<]*/)) {
		v = substr($0, RSTART, RLENGTH)
		sub(/.*<value>/, "", v)
		line = line " " v
	}
	s = $0
	while (match(s, /<item [^>]*jid="[^"]*"/)) {
		v = substr(s, RSTART, RLENGTH)
		s = substr(s, RSTART + RLENGTH)
		sub(/.*jid="/, "", v)
		sub(/"$/, "", v)
		line = line " " v
	}
	print line
}
