# tt_free_port: a TCP port from 20000 to 59999 that nothing listens on
# now (POSIX sh, sourced by tests/integration/lib.sh and tests/bench_pg.sh
# for tests/pg.sh).  Another run may take it meanwhile: the caller checks
# that its server got it.
tt_free_port() {
	i=0
	while [ $i -lt 50 ]; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		if ! ss -ltn 2>/dev/null | awk '{print $4}' | grep -q ":$p\$"; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}
