#!/bin/sh
# docker-compose.yml without a Docker engine: Debian's docker-compose
# validates it against the Compose schema and resolves it with a
# docker-jitsi-meet .env (docker-compose config needs no daemon); then
# the resolved file is checked: the service joins docker-jitsi-meet's
# network, passes exactly the variables the image's entrypoint reads,
# mounts the config folder read-only and the database on a volume, and
# the one-shot module service writes into Jitsi's custom plugin folder.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
command -v docker-compose >/dev/null || td_skip "no docker-compose (Debian package)"
W=$(mktemp -d /tmp/teletrack-compose.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM
cp docker-compose.yml Dockerfile "$W/"
# As in the README: docker-jitsi-meet's .env beside it.
cat > "$W/.env" <<'ENV'
CONFIG=/srv/jitsi-meet-cfg
XMPP_DOMAIN=meet.jitsi
XMPP_MUC_DOMAIN=muc.meet.jitsi
XMPP_HIDDEN_DOMAIN=hidden.meet.jitsi
TELETRACK_XMPP_PASSWORD=s3cret
ENV
if (cd "$W" && docker-compose config >resolved.yml 2>err.txt); then
	td_ok "docker-compose config: valid"
else
	td_fail "docker-compose config: $(cat "$W/err.txt")"
	td_exit
fi
(cd "$W" && docker-compose --profile setup config --services) >"$W/services"
td_eq "teletrack teletrack-prosody-module" "$(sort "$W/services" | tr '\n' ' ' |
    sed 's/ $//')" "services"

/usr/bin/python3 - "$W/resolved.yml" conf/docker/entrypoint.sh <<'PY'
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
ep = open(sys.argv[2]).read()
bad = 0
def check(cond, what):
    global bad
    print(("ok: " if cond else "FAIL: ") + what)
    bad |= not cond
svc = doc["services"]["teletrack"]
net = doc["networks"]["meet.jitsi"]
check(list(svc["networks"]) == ["meet.jitsi"], "teletrack is on meet.jitsi")
check(net.get("external") is True and net.get("name") ==
      "docker-jitsi-meet_meet.jitsi", "meet.jitsi is docker-jitsi-meet's network")
env = set(svc["environment"])
read = set(re.findall(r"\$\{?((?:XMPP|TELETRACK)_[A-Z_]+)", ep))
read.discard("TELETRACK_CONF")
read.discard("TELETRACK_RENDERED_CONF")
read.discard("TELETRACK_SHARE")
read.discard("TELETRACK_DATABASE")	# compose keeps it on the volume
read.add("TELETRACK_XMPP_PASSWORD")	# read by teletrack itself
read.add("TZ")
check(env == read, "environment = what the entrypoint reads "
      "(extra %s, missing %s)" % (sorted(env - read), sorted(read - env)))
check(svc["environment"]["TELETRACK_XMPP_PASSWORD"] == "s3cret",
      "TELETRACK_XMPP_PASSWORD comes from .env")
vols = svc["volumes"]
check("/srv/jitsi-meet-cfg/teletrack:/etc/teletrack:ro" in vols,
      "config folder mounted read-only from ${CONFIG}")
check("teletrack-data:/var/lib/teletrack:rw" in vols or
      "teletrack-data:/var/lib/teletrack" in vols, "database on a volume")
check("teletrack-data" in doc["volumes"], "teletrack-data declared")
check("context" in svc["build"] and "image" in svc,
      "built from this checkout")
mod = doc["services"]["teletrack-prosody-module"]
check(mod["command"][0] == "install-prosody-module", "module service command")
check("/srv/jitsi-meet-cfg/prosody/prosody-plugins-custom:"
      "/prosody-plugins-custom:rw" in mod["volumes"] or
      "/srv/jitsi-meet-cfg/prosody/prosody-plugins-custom:"
      "/prosody-plugins-custom" in mod["volumes"],
      "module goes to ${CONFIG}/prosody/prosody-plugins-custom")
check(mod.get("profiles") == ["setup"], "module service only on demand")
sys.exit(bad)
PY
[ $? -eq 0 ] || TD_FAILED=1
td_exit
