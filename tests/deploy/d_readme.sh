#!/bin/sh
# The README's "Deploying beside Jitsi" steps, run as far as this machine
# allows.  The blocks after <!-- deploy: debian -->, <!-- deploy: prosody -->
# and <!-- deploy: docker --> are taken from README.md as they are.
#
# debian: run with `bash -e` (root's shell) in a scratch root: absolute /etc, /usr/local and
#   /var/lib paths are moved under it; apt-get only checks that every
#   package it names is installed (make deps did that); make builds nothing
#   new (make test just did) and make install gets DESTDIR; systemd-sysusers
#   gets --root; chown resolves names in the scratch root; prosodyctl and
#   systemctl are recorded (no Prosody of ours to change, no systemd as PID
#   1): "enable --now" runs systemd-analyze verify on the installed unit.
# prosody: the Lua lines compile, and the plugin path they add holds the
#   module after make install.
# docker: run in a scratch HOME with a docker-jitsi-meet .env; `docker
#   compose` is a stand-in that resolves this checkout's compose file with
#   Debian's docker-compose (no engine here; make test-container builds
#   and runs the image with podman), renders the configuration the image
#   would render from the resolved environment and checks it with the
#   built binary, and records the Jitsi-side commands.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
W=$(mktemp -d /tmp/teletrack-readme.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM

block() {	# block NAME: the fenced block after <!-- deploy: NAME -->
	awk -v m="<!-- deploy: $1 -->" '
		$0 == m { want = 1; next }
		want && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' README.md
}

# ---- debian -------------------------------------------------------------
ROOT=$W/root
mkdir -p "$ROOT/etc" "$W/bin"
block debian > "$W/debian.sh"
[ -s "$W/debian.sh" ] || td_fail "README: no debian block"
sed -i -e "s#\\([ '=:(>]\\|^\\)/\\(etc\\|usr/local\\|var/lib\\)/#\\1$ROOT/\\2/#g" \
    "$W/debian.sh"
cat > "$W/debian-env.sh" <<EOF
ROOT=$ROOT
W=$W
EOF
cat >> "$W/debian-env.sh" <<'EOF'
apt-get() {
	for p in "$@"; do
		case $p in -*|install) continue ;; esac
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "ok installed" || { echo "not installed: $p"; return 1; }
		echo "$p" >> "$W/apt.txt"
	done
}
make() {
	case "$*" in
	"")		return 0 ;;
	install)	command make -s --no-print-directory install \
			    DESTDIR="$ROOT" PROG="$TELETRACK" ;;
	*)		echo "unexpected: make $*"; return 1 ;;
	esac
}
systemd-sysusers() { command systemd-sysusers --root="$ROOT" "$@"; }
chown() {	# chown OWNER:GROUP FILE, names from the scratch root
	u=$(awk -F: -v n="${1%%:*}" '$1 == n { print $3 }' "$ROOT/etc/passwd")
	g=$(awk -F: -v n="${1#*:}" '$1 == n { print $3 }' "$ROOT/etc/group")
	[ "${1%%:*}" = root ] && u=0
	[ -n "$u" ] && [ -n "$g" ] || { echo "chown: unknown $1"; return 1; }
	command chown "$u:$g" "$2"
}
prosodyctl() { echo "$*" >> "$W/prosodyctl.txt"; }
systemctl() {
	echo "$*" >> "$W/systemctl.txt"
	[ "$1" = enable ] || return 0
	unit=$ROOT/usr/local/lib/systemd/system/teletrack.service
	sed "s,/usr/local/bin/,$ROOT/usr/local/bin/,g" "$unit" > "$W/unit.service"
	MANPATH=$ROOT/usr/local/share/man systemd-analyze verify "$W/unit.service"
}
PATH=$ROOT/usr/local/bin:$PATH
EOF
if (cd "$TOP" && TELETRACK=$TELETRACK bash -e -c ". '$W/debian-env.sh'; . '$W/debian.sh'") \
    >"$W/debian.out" 2>&1; then
	td_ok "debian block ran ($(wc -l < "$W/debian.sh") lines)"
else
	cat "$W/debian.out"
	td_fail "debian block failed"
fi
td_eq "$(sh tests/install-deps.sh --list build runtime | sort)" \
    "$(sort "$W/apt.txt" 2>/dev/null)" "packages the block installs"
[ -x "$ROOT/usr/local/bin/teletrack" ] && td_ok "binary installed" ||
    td_fail "no binary"
grep -q '^teletrack:x:[0-9]*:[0-9]*:' "$ROOT/etc/passwd" &&
    td_ok "user teletrack created" || td_fail "no user teletrack"
gid=$(awk -F: '$1 == "teletrack" { print $3 }' "$ROOT/etc/group")
td_eq "640 0:$gid" "$(stat -c '%a %u:%g' "$ROOT/etc/teletrack/password" 2>&1)" \
    "password file mode and owner"
td_eq "register teletrack recorder.meet.example.org PASSWORD" \
    "$(cat "$W/prosodyctl.txt" 2>&1)" "prosodyctl register"
grep -qx 'enable --now teletrack' "$W/systemctl.txt" 2>/dev/null &&
    td_ok "systemctl enable --now teletrack (unit verified)" ||
    td_fail "no systemctl enable --now teletrack"
grep -q 'configuration OK' "$W/debian.out" && td_ok "check-config OK" ||
    td_fail "check-config did not say OK"

# ---- prosody ------------------------------------------------------------
block prosody > "$W/prosody.lua"
if command -v luac5.4 >/dev/null; then
	luac5.4 -p "$W/prosody.lua" && td_ok "Prosody lines compile" ||
	    td_fail "Prosody lines do not compile"
fi
dir=$(sed -n 's/^plugin_paths = .*"\(\/usr\/local\/[^"]*\)".*/\1/p' "$W/prosody.lua")
[ -f "$ROOT$dir/mod_teletrack.lua" ] &&
    td_ok "plugin path $dir holds mod_teletrack.lua" ||
    td_fail "plugin path \"$dir\" has no mod_teletrack.lua after make install"
grep -q 'teletrack_observers = { "teletrack@recorder.meet.example.org" }' \
    "$W/prosody.lua" && grep -q "jid = teletrack@recorder.meet.example.org" \
    "$W/debian.sh" && td_ok "observer JID agrees with the config" ||
    td_fail "teletrack_observers and jid disagree"

# ---- docker -------------------------------------------------------------
command -v docker-compose >/dev/null || { td_fail "no docker-compose"; td_exit; }
mkdir -p "$W/home" "$W/docker-jitsi-meet" "$W/teletrack"
cp -r docker-compose.yml Dockerfile conf tests "$W/teletrack/"
# docker-jitsi-meet's own .env (env.example's relevant lines).
cat > "$W/docker-jitsi-meet/.env" <<'EOF'
CONFIG=~/.jitsi-meet-cfg
HTTP_PORT=8000
HTTPS_PORT=8443
TZ=UTC
PUBLIC_URL=https://meet.example.com
EOF
block docker > "$W/docker.sh"
cat > "$W/docker-env.sh" <<EOF
W=$W
TELETRACK=$TELETRACK
EP=$TOP/conf/docker/entrypoint.sh
HOME=$W/home
EOF
cat >> "$W/docker-env.sh" <<'EOF'
docker() {
	[ "$1" = compose ] || { echo "unexpected: docker $*"; return 1; }
	shift
	where=$(basename "$PWD")
	echo "$where: $*" >> "$W/docker.txt"
	case "$where: $1" in
	"docker-jitsi-meet: cp")
		: > "$3" ;;	# the certificate, as docker compose cp would
	"teletrack: build")
		docker-compose config -q ;;
	"teletrack: up")
		docker-compose config > "$W/resolved.yml" || return 1
		# What the entrypoint renders from the resolved environment.
		/usr/bin/python3 -c 'import sys, yaml, shlex
d = yaml.safe_load(open(sys.argv[1]))["services"]["teletrack"]
for k, v in d["environment"].items():
    if v is not None: print("export %s=%s" % (k, shlex.quote(str(v))))
for v in d["volumes"]:
    if v.endswith(":/etc/teletrack:ro"): print("ETC=" + v.split(":")[0])
' "$W/resolved.yml" > "$W/container-env.sh" || return 1
		( . "$W/container-env.sh"
		  TELETRACK_CA_FILE=${TELETRACK_CA_FILE:-$ETC/prosody.crt}
		  export TELETRACK_CA_FILE
		  [ -f "$ETC/prosody.crt" ] || { echo "no prosody.crt in $ETC"; exit 1; }
		  sh "$EP" render-config > "$W/rendered.conf" &&
		  "$TELETRACK" check-config -v -c "$W/rendered.conf" > "$W/effective.txt" ) ;;
	esac
}
EOF
if (cd "$W/docker-jitsi-meet" && bash -e -c ". '$W/docker-env.sh'; . '$W/docker.sh'") \
    >"$W/docker.out" 2>&1; then
	td_ok "docker block ran ($(wc -l < "$W/docker.sh") lines)"
else
	cat "$W/docker.out"
	td_fail "docker block failed"
fi
cmp -s conf/prosody/mod_teletrack.lua \
    "$W/home/.jitsi-meet-cfg/prosody/prosody-plugins-custom/mod_teletrack.lua" &&
    td_ok "module in docker-jitsi-meet's prosody-plugins-custom" ||
    td_fail "module not in prosody-plugins-custom"
for l in XMPP_MODULES=teletrack ENABLE_RECORDING=1; do
	grep -qx "$l" "$W/docker-jitsi-meet/.env" && td_ok ".env: $l" ||
	    td_fail ".env lacks $l"
done
# Loaded once, on the VirtualHost: it reaches the MUC components itself
# (conf/prosody/mod_teletrack.lua).
grep -q '^XMPP_MUC_MODULES=.*teletrack' "$W/docker-jitsi-meet/.env" &&
    td_fail ".env loads the module on the MUC component too" ||
    td_ok ".env: not in XMPP_MUC_MODULES"
# GLOBAL_CONFIG: docker-jitsi-meet splits it at a literal \n into Lua lines.
sed -n 's/^GLOBAL_CONFIG=//p' "$W/docker-jitsi-meet/.env" |
    sed 's/\\n/\n/g' > "$W/global.lua"
if command -v luac5.4 >/dev/null; then
	luac5.4 -p "$W/global.lua" && td_ok "GLOBAL_CONFIG compiles as Lua" ||
	    td_fail "GLOBAL_CONFIG is not valid Lua"
fi
grep -q 'teletrack_muc_component = "muc.meet.jitsi"' "$W/global.lua" &&
    td_ok "GLOBAL_CONFIG names the MUC component" ||
    td_fail "GLOBAL_CONFIG lacks teletrack_muc_component"
grep -q '^docker-jitsi-meet: exec prosody prosodyctl .* register teletrack hidden.meet.jitsi PASSWORD$' \
    "$W/docker.txt" && td_ok "account registered in the Prosody container" ||
    td_fail "no prosodyctl register in the Prosody container"
for l in 'jid = teletrack@hidden.meet.jitsi' 'server = xmpp.meet.jitsi' \
    'muc_domain = muc.meet.jitsi' 'join = all' 'tls = required'; do
	grep -qx "$l" "$W/effective.txt" 2>/dev/null &&
	    td_ok "container config: $l" || td_fail "container config lacks $l"
done
grep -q '^ca_file = .*/teletrack/prosody.crt$' "$W/effective.txt" 2>/dev/null &&
    td_ok "container config trusts the copied certificate" ||
    td_fail "container config does not use prosody.crt"
grep -q '^teletrack: exec teletrack teletrack status$' "$W/docker.txt" &&
    td_ok "ends with teletrack status" || td_fail "no status step"
td_exit
