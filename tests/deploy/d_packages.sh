#!/bin/sh
# conf/debian-packages is the one package list, and it is complete:
#  - every consumer (.ci/run, the Makefile's deps, the Dockerfile's two
#    stages, the README) reads it through tests/install-deps.sh and none
#    carries a list of its own (no "apt-get install NAME", no -dev name);
#  - every library the Makefile links (pkg-config modules and plain -l
#    flags) comes from a package of [build];
#  - every shared library the built binary needs comes from a package of
#    [runtime] (libc and libgcc come with any Debian), also those the
#    sources open themselves (dlopen: libpq, libmicrohttpd, ...).
# Needs TELETRACK (the built binary) and a Debian with dpkg.
. "$(dirname "$0")/lib.sh"
: "${TELETRACK:?TELETRACK must point at the built binary}"
cd "$TOP" || exit 1

DEPS=tests/install-deps.sh
build=$(sh $DEPS --list build) || { td_fail "no [build] section"; exit 1; }
runtime=$(sh $DEPS --list runtime) || { td_fail "no [runtime]"; exit 1; }
sh $DEPS --list test >/dev/null || td_fail "no [test] section"
sh $DEPS --list container >/dev/null || td_fail "no [container] section"

in_list() {	# in_list PKG LIST
	printf '%s\n' "$2" | grep -qx "$1"
}

# 1. The consumers use the list.
td_grep .ci/run 'install-deps\.sh build runtime test container'
td_grep Makefile 'sh tests/install-deps\.sh'
td_grep Dockerfile 'install-deps\.sh build$'
td_grep Dockerfile 'install-deps\.sh runtime '
td_grep README.md 'install-deps\.sh --list build runtime'
td_grep README.md 'conf/debian-packages'
for f in .ci/run Makefile Dockerfile docker-compose.yml README.md \
    conf/docker/entrypoint.sh; do
	# An apt-get install line must take its names from the list.
	bad=$(grep -n 'apt-get install\|apt install' "$f" |
	    grep -v 'install-deps\.sh\|\$missing' || true)
	[ -z "$bad" ] || td_fail "$f installs its own packages: $bad"
	bad=$(grep -noE '\blib[a-z0-9.+]+-dev\b' "$f" || true)
	[ -z "$bad" ] || td_fail "$f names a -dev package: $bad"
done

# 2. [build] provides every library the Makefile links.
pcs=$(make -s --no-print-directory --eval='print-%: ; @echo $($*)' \
    print-PCS)
extra=$(make -s --no-print-directory --eval='print-%: ; @echo $($*)' \
    print-CSV_LIBS)
[ -n "$pcs" ] || td_fail "Makefile: PCS is empty"
for pc in $pcs; do
	f=$(pkg-config --variable=pcfiledir "$pc")/$pc.pc
	owner=$(dpkg -S "$f" 2>/dev/null | sed 's/:.*//' | head -n 1)
	if [ -z "$owner" ]; then
		td_fail "pkg-config $pc: $f belongs to no package"
	elif in_list "$owner" "$build"; then
		td_ok "pkg-config $pc from $owner"
	else
		td_fail "pkg-config $pc comes from $owner, not in [build]"
	fi
done
for flag in $(pkg-config --libs $pcs) $extra; do
	case $flag in -l*) ;; *) continue ;; esac
	so=$(cc -print-file-name="lib${flag#-l}.so")
	[ -e "$so" ] || { td_fail "$flag: no lib${flag#-l}.so"; continue; }
	# The unversioned symlink belongs to the -dev package.
	so=$(cd "$(dirname "$so")" && pwd -P)/$(basename "$so")
	owner=$(dpkg -S "$so" 2>/dev/null | sed 's/:.*//' | head -n 1)
	case $owner in
	libc6-dev) td_ok "$flag from libc6-dev (build-essential)" ;;
	*)	if in_list "$owner" "$build"; then
			td_ok "$flag from $owner"
		else
			td_fail "$flag comes from ${owner:-no package}, not in [build]"
		fi ;;
	esac
done

# 3. [runtime] provides every shared library the binary needs.
needed=$(LC_ALL=C objdump -p "$TELETRACK" | awk '$1 == "NEEDED" { print $2 }')
[ -n "$needed" ] || td_fail "objdump found no NEEDED entry in $TELETRACK"
for so in $needed; do
	path=$(ldd "$TELETRACK" | awk -v so="$so" '$1 == so { print $3 }')
	[ -n "$path" ] || { td_fail "$so: not found by ldd"; continue; }
	owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null |
	    sed 's/:.*//' | head -n 1)
	[ -n "$owner" ] || owner=$(dpkg -S "$path" 2>/dev/null |
	    sed 's/:.*//' | head -n 1)
	case $owner in
	libc6|libgcc-s1) td_ok "$so from $owner (essential)" ;;
	*)	if in_list "$owner" "$runtime"; then
			td_ok "$so from $owner"
		else
			td_fail "$so comes from ${owner:-no package}, not in [runtime]"
		fi ;;
	esac
done
# 4. ... and so does every library the sources open at run time: each
# through dlsyms_load(&handle, "soname", ...) (bot/core/dlsyms.h).
opened=$(grep -rhoE 'dlsyms_load\([^,]+, "[^"]+"' bot storage |
    sed 's/.*, "//; s/"$//' | sort -u)
[ -n "$opened" ] || td_fail "no dlsyms_load() found in bot/ and storage/"
for f in $(grep -rlE --include='*.c' '\<dlopen\([a-zA-Z"]' bot storage); do
	[ "$f" = bot/core/dlsyms.c ] ||
	    td_fail "$f: dlopen() outside dlsyms_load(), unchecked here"
done
for so in $opened; do
	owner=$(dpkg -S "*/$so" 2>/dev/null | sed 's/:.*//' | head -n 1)
	if [ -n "$owner" ] && in_list "$owner" "$runtime"; then
		td_ok "$so (dlopen) from $owner"
	else
		td_fail "$so (dlopen) comes from ${owner:-no package}, not in [runtime]"
	fi
done
in_list ca-certificates "$runtime" || td_fail "[runtime] lacks ca-certificates"

td_exit
