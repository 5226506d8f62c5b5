#!/bin/sh
# Install the Debian packages of conf/debian-packages, the one list.
#
#   sh tests/install-deps.sh                      build, runtime and test
#   sh tests/install-deps.sh build runtime ...    those sections
#   sh tests/install-deps.sh --list SECTION...    print them, install nothing
#
# Installs only what is missing (nothing at all when everything is there);
# needs root (or sudo) then.  .ci/run, `make deps`, the Dockerfile and the
# README all go through here, so no other file carries a package list.
set -eu
LIST=${TELETRACK_PACKAGES:-$(dirname "$0")/../conf/debian-packages}
[ -r "$LIST" ] || { echo "install-deps: cannot read $LIST" >&2; exit 2; }

list=0
if [ "${1:-}" = "--list" ]; then
	list=1
	shift
fi
[ $# -gt 0 ] || set -- build runtime test

# Print the packages of the sections named in $@, in file order.
packages() {
	awk -v want=" $* " '
		/^[ \t]*\[/ { sec = $0; gsub(/[][ \t]/, "", sec); next }
		{ sub(/#.*/, ""); gsub(/[ \t]/, "") }
		$0 != "" && index(want, " " sec " ") { print }
	' "$LIST"
}

for s in "$@"; do
	grep -q "^\[$s\]" "$LIST" ||
		{ echo "install-deps: no section [$s] in $LIST" >&2; exit 2; }
done
PKGS=$(packages "$@")
if [ $list -eq 1 ]; then
	printf '%s\n' "$PKGS"
	exit 0
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
