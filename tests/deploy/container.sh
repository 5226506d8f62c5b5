#!/bin/sh
# The Dockerfile, built and run for real without a Docker engine.
#
# There is no Docker daemon on our machines, and no registry to pull
# debian:bookworm-slim from, so:
#  - the base image is a Debian 12 minbase made by debootstrap from the
#    Debian mirror apt uses and imported into podman (the official
#    bookworm-slim is made the same way, by debuerreotype from a
#    debootstrap minbase); it is cached in podman's store between runs;
#  - podman builds the unchanged Dockerfile (both stages, every RUN step)
#    with DEBIAN_IMAGE pointing at that base, keeping no intermediate
#    layers (several of us share the machine's image store; the image,
#    tagged by our pid, is removed at the end).  It runs with runc (crun
#    refuses this machine's hybrid cgroups), explicit ulimits (podman's
#    defaults exceed the hard limits here) and the host network (RUN steps
#    reach the mirror; the container reaches the test Prosody on
#    127.0.0.1 only);
#  - the image runs the way docker-compose.yml runs it (the same
#    environment names, /etc/teletrack read-only, the database on a
#    volume) against a throw-away Prosody on loopback, a scripted meeting
#    is recorded into the volume, the HEALTHCHECK command is run, and the
#    container stops cleanly on SIGTERM.
# Skips (77) when podman, runc or debootstrap is missing.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/integration/lib.sh"
for t in podman runc debootstrap; do
	command -v $t >/dev/null || td_skip "no $t (sh tests/install-deps.sh container)"
done

IMG=localhost/teletrack:test-$$
BASE=localhost/teletrack-base:bookworm
MIRROR=${TELETRACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NAME=teletrack-test-$$
VOL=teletrack-test-data-$$
RUNC="--runtime runc"
LIMITS="--ulimit nofile=4096:4096 --ulimit nproc=4096:4096"
W=$(mktemp -d /tmp/teletrack-container.XXXXXX)

cleanup() {
	podman rm -f -t 2 "$NAME" >/dev/null 2>&1
	podman volume rm -f "$VOL" >/dev/null 2>&1
	podman rmi -f "$IMG" >/dev/null 2>&1
	rm -rf "$W"
	tt_cleanup
}

# 1. A Debian 12 base, made once.
if podman image exists "$BASE"; then
	td_ok "base image $BASE cached"
else
	debootstrap --variant=minbase bookworm "$W/rootfs" "$MIRROR" \
	    >"$W/debootstrap.log" 2>&1 ||
	    { tail -n 20 "$W/debootstrap.log"; td_fail "debootstrap"; cleanup; exit 1; }
	tar -C "$W/rootfs" -c . | podman import -q - "$BASE" >/dev/null ||
	    { td_fail "podman import"; cleanup; exit 1; }
	rm -rf "$W/rootfs"
	td_ok "base image $BASE made by debootstrap from $MIRROR"
fi

# 2. The Dockerfile as it is, both stages.
trap cleanup EXIT INT TERM
if podman build $RUNC --network host $LIMITS --format docker --pull=never \
    --layers=false \
    --build-arg DEBIAN_IMAGE="$BASE" -t "$IMG" "$TOP" >"$W/build.log" 2>&1
then
	td_ok "podman build: $(grep -c 'STEP' "$W/build.log") steps"
else
	tail -n 40 "$W/build.log"
	td_fail "podman build"
	cleanup
	exit 1
fi

# 3. What the image promises.
insp() { podman image inspect --format "$1" "$IMG"; }
td_eq teletrack "$(insp '{{.Config.User}}')" "image user"
insp '{{json .Config.Volumes}}' | grep -q '"/var/lib/teletrack"' &&
    td_ok "volume /var/lib/teletrack" || td_fail "no volume /var/lib/teletrack"
hc=$(podman image inspect --format '{{json .Healthcheck}}' "$IMG" 2>/dev/null)
[ -n "$hc" ] && [ "$hc" != null ] || hc=$(insp '{{json .Config.Healthcheck}}')
case $hc in
*'"teletrack","status","-q"'*) td_ok "HEALTHCHECK runs teletrack status" ;;
*)	td_fail "HEALTHCHECK: $hc" ;;
esac
R="podman run --rm $RUNC --network host $LIMITS"
$R "$IMG" version | grep -q '^teletrack ' && td_ok "image runs teletrack" ||
    td_fail "teletrack version in the image"
td_eq 0 "$($R --entrypoint /bin/sh "$IMG" -c \
    'ldd /usr/bin/teletrack | grep -c "not found"')" "libraries not found"
td_eq "" "$($R --entrypoint /bin/sh "$IMG" -c \
    'command -v cc gcc make pkg-config' 2>/dev/null)" \
    "build tools in the runtime stage"
td_eq "uid=999(teletrack)" "$($R --entrypoint /usr/bin/id "$IMG" | cut -d' ' -f1)" \
    "runtime user"
td_eq 2 "$($R "$IMG" status -q 2>/dev/null; echo $?)" \
    "teletrack status with no daemon (exit)"

# 4. The compose service's environment and mounts, against a Prosody on
# loopback.  Every variable set here must be one the compose file passes.
tt_setup
trap cleanup EXIT INT TERM
tt_prosody_start
mkdir -p "$W/etc"
cp "$TT_DIR/certs/meet.jitsi.crt" "$W/etc/prosody.crt"
chmod -R a+rX "$W/etc" "$W"
set -- XMPP_DOMAIN=meet.jitsi XMPP_SERVER=127.0.0.1 XMPP_PORT="$TT_PORT" \
    XMPP_MUC_DOMAIN=conference.meet.jitsi TELETRACK_XMPP_PASSWORD=observerpw \
    TELETRACK_ROOMS=room1 TELETRACK_LOG_LEVEL=debug
envs=""
for kv in "$@"; do
	k=${kv%%=*}
	grep -q "^      - $k\$" "$TOP/docker-compose.yml" ||
	    td_fail "docker-compose.yml does not pass $k"
	envs="$envs -e $kv"
done
grep -q '/teletrack:/etc/teletrack:ro$' "$TOP/docker-compose.yml" &&
    grep -q 'teletrack-data:/var/lib/teletrack$' "$TOP/docker-compose.yml" &&
    td_ok "compose mounts /etc/teletrack and the data volume as here" ||
    td_fail "docker-compose.yml mounts differ from this test's"
# shellcheck disable=SC2086
podman run -d --name "$NAME" $RUNC --network host $LIMITS $envs \
    -v "$W/etc:/etc/teletrack:ro" -v "$VOL:/var/lib/teletrack" "$IMG" \
    >/dev/null 2>"$W/run.err" || { cat "$W/run.err"; td_fail "podman run"; }

clog() { podman logs "$NAME" 2>&1; }
wait_clog() {
	i=0
	while [ $i -lt 300 ]; do
		clog | grep -q -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	td_fail "container log never showed: $1"
	clog | tail -n 30
	return 1
}
wait_clog "rendered /tmp/teletrack.conf from the environment"
wait_clog "connected as teletrack@hidden.meet.jitsi"
wait_clog "room room1@conference.meet.jitsi: not available"

cat > "$W/meeting.jsim" <<JSIM
$(tt_jsim_focus room1 20000)
connect alice anon
set alice stats-id A-1
set alice name Alice
join alice room1 alice01
connect bob anon
set bob stats-id B-1
join bob room1 bob01
sleep 1500
leave bob
leave alice
sleep 500
leave focus
JSIM
tt_sim "$W/meeting.jsim"

# The meeting is in the volume, written by uid 999.
db=$(podman volume inspect --format '{{.Mountpoint}}' "$VOL")/teletrack.db
i=0
while [ $i -lt 100 ]; do
	n=$(sqlite3 -readonly "file:$db?mode=ro" \
	    "SELECT count(*) FROM teleconference_participant_sessions" 2>/dev/null)
	[ "${n:-0}" -ge 2 ] && break
	sleep 0.2
	i=$((i + 1))
done
td_eq 2 "${n:-none}" "participants recorded in the volume"
td_eq 999 "$(stat -c %u "$db")" "database owner uid"
podman exec "$NAME" teletrack report sessions >"$W/report" 2>&1 &&
    grep -q room1 "$W/report" && td_ok "teletrack report inside the container" ||
    { cat "$W/report"; td_fail "report sessions in the container"; }

# The HEALTHCHECK command.  The daemon's status file (teletrack(8),
# STATUS FILE) comes with the lead's daemon work: with it the check must
# say healthy; without it, unhealthy (exit 2), which is also correct.
podman healthcheck run "$NAME" >/dev/null 2>&1
hrc=$?
status=$(dirname "$db")/teletrack.status
if [ -f "$status" ]; then
	td_eq 0 "$hrc" "healthcheck with the daemon's status file"
else
	td_ok "no status file written yet (daemon side pending): healthcheck says unhealthy ($hrc)"
	[ "$hrc" -ne 0 ] || td_fail "healthcheck healthy without a status file"
fi

podman stop -t 20 "$NAME" >/dev/null 2>&1
td_eq 0 "$(podman inspect --format '{{.State.ExitCode}}' "$NAME")" \
    "exit code after SIGTERM"
clog | grep -q "stopped" && td_ok "daemon logged its clean stop" ||
    td_fail "no clean stop in the log"
grep -q 'password' "$W/run.err" 2>/dev/null && td_fail "password in podman's output"
clog | grep -q observerpw && td_fail "the password reached the log"

trap - EXIT INT TERM
cleanup
td_exit
