#!/bin/sh
# Install the Debian packages teletrack needs to build, test and demo.
# Does nothing when they are all present; needs root (or sudo) otherwise.
set -eu
PKGS="build-essential pkg-config prosody lua-cjson libstrophe-dev libsqlite3-dev
libexpat1-dev libssl-dev libinih-dev libjansson-dev libcmocka-dev sqlite3 openssl
procps valgrind libcsv-dev libical-dev libsystemd-dev libmicrohttpd-dev libcrypt-dev
xxd chromium fonts-dejavu-core python3 curl"
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
