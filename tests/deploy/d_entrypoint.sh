#!/bin/sh
# conf/docker/entrypoint.sh without a container: the configuration it
# renders from docker-jitsi-meet-style variables passes check-config with
# the built binary; the password stays out of the file; a mounted config
# is used as it is; bad values are refused; the module is installed.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
EP=$TOP/conf/docker/entrypoint.sh
W=$(mktemp -d /tmp/teletrack-ep.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM
# A stand-in for the installed binary, on PATH: the real one, except
# that "run" only prints what it was given.
mkdir -p "$W/bin"
cat > "$W/bin/teletrack" <<STUB
#!/bin/sh
[ "\$1" = run ] && { echo "RUN \$*"; exit 0; }
exec "$TELETRACK" "\$@"
STUB
chmod +x "$W/bin/teletrack"
export PATH="$W/bin:$PATH"
unset XMPP_DOMAIN XMPP_HIDDEN_DOMAIN XMPP_MUC_DOMAIN XMPP_SERVER XMPP_PORT \
    TELETRACK_XMPP_USER TELETRACK_XMPP_PASSWORD TELETRACK_XMPP_PASSWORD_FILE \
    TELETRACK_ROOMS TELETRACK_TLS TELETRACK_CA_FILE TELETRACK_NICK \
    TELETRACK_ROLE_FIELD TELETRACK_IP_MODE TELETRACK_ALERT_JIDS \
    TELETRACK_LOG_LEVEL TELETRACK_DATABASE TELETRACK_DB_URL \
    TELETRACK_DB_PASSWORD_FILE TELETRACK_DB_SCHEMA TELETRACK_SHARD

# docker-jitsi-meet's defaults: only the password is set.
TELETRACK_XMPP_PASSWORD=s3cret sh "$EP" render-config > "$W/a.conf" ||
    td_fail "render-config with defaults"
for l in 'jid = teletrack@hidden.meet.jitsi' 'server = xmpp.meet.jitsi' \
    'port = 5222' 'tls = required' 'muc_domain = muc.meet.jitsi' \
    'hidden_domain = hidden.meet.jitsi' \
    'database = /var/lib/teletrack/teletrack.db' 'level = info'; do
	grep -qx "$l" "$W/a.conf" && td_ok "default: $l" ||
	    td_fail "default rendering lacks \"$l\""
done
grep -q s3cret "$W/a.conf" && td_fail "the password was written to the file"
TELETRACK_XMPP_PASSWORD=s3cret teletrack check-config -c "$W/a.conf" \
    >/dev/null 2>&1 && td_ok "check-config accepts the defaults" ||
    td_fail "check-config refuses the default rendering"

# Every variable.
env XMPP_DOMAIN=example.org XMPP_HIDDEN_DOMAIN=rec.example.org \
    XMPP_MUC_DOMAIN=conference.example.org XMPP_SERVER=10.0.0.5 \
    XMPP_PORT=5223 TELETRACK_XMPP_USER=watcher \
    TELETRACK_XMPP_PASSWORD_FILE=/run/secrets/pw TELETRACK_ROOMS='a, b' \
    TELETRACK_TLS=optional TELETRACK_CA_FILE=/etc/ssl/x.pem \
    TELETRACK_NICK=watch TELETRACK_ROLE_FIELD=user/role \
    TELETRACK_IP_MODE=none TELETRACK_ALERT_JIDS=ops@example.org \
    TELETRACK_LOG_LEVEL=warning TELETRACK_DATABASE=/data/t.db \
    sh "$EP" render-config > "$W/b.conf" || td_fail "render-config, all set"
echo s3cret > "$W/pw"
sed "s,/run/secrets/pw,$W/pw," "$W/b.conf" > "$W/b2.conf"
out=$(teletrack check-config -v -c "$W/b2.conf" 2>&1) ||
    td_fail "check-config refuses the full rendering: $out"
for l in 'jid = watcher@rec.example.org' 'server = 10.0.0.5' 'port = 5223' \
    'tls = optional' 'ca_file = /etc/ssl/x.pem' \
    'muc_domain = conference.example.org' 'nick = watch' \
    'hidden_domain = rec.example.org' 'join = a, b' 'database = /data/t.db' \
    'role_field = user/role' 'ip_mode = none' 'admin_jids = ops@example.org' \
    'level = warning'; do
	printf '%s\n' "$out" | grep -qx "$l" && td_ok "effective: $l" ||
	    td_fail "effective config lacks \"$l\""
done

# One PostgreSQL for many shards: the URL replaces the SQLite file.
env TELETRACK_XMPP_PASSWORD=x TELETRACK_SHARD=east \
    TELETRACK_DB_URL=postgresql://tt@db.example.org/telehealth \
    TELETRACK_DB_PASSWORD_FILE=/run/secrets/db TELETRACK_DB_SCHEMA=teletrack \
    sh "$EP" render-config > "$W/c.conf" || td_fail "render-config, PostgreSQL"
for l in 'shard = east' 'url = postgresql://tt@db.example.org/telehealth' \
    'password_file = /run/secrets/db' 'schema = teletrack'; do
	grep -qx "$l" "$W/c.conf" && td_ok "PostgreSQL: $l" ||
	    td_fail "PostgreSQL rendering lacks \"$l\""
done
grep -q '^database = ' "$W/c.conf" && td_fail "a database file beside the URL"

# Refused: no password at all, a value that would add a line.
TELETRACK_XMPP_PASSWORD= sh "$EP" render-config >/dev/null 2>"$W/err"
td_eq 2 $? "exit without a password"
grep -q TELETRACK_XMPP_PASSWORD "$W/err" && td_ok "says which variable" ||
    td_fail "no hint at TELETRACK_XMPP_PASSWORD"
TELETRACK_XMPP_PASSWORD=x TELETRACK_ROOMS='a
[alerts]
command = rm -rf /' sh "$EP" render-config >/dev/null 2>&1
td_eq 2 $? "exit for a multi-line value"

# run: renders when no file is mounted, else uses the mounted one.
out=$(TELETRACK_CONF=$W/none TELETRACK_RENDERED_CONF=$W/r.conf \
    TELETRACK_XMPP_PASSWORD=x sh "$EP" 2>/dev/null)
td_eq "RUN run -c $W/r.conf" "$out" "run renders and runs"
td_eq 600 "$(stat -c %a "$W/r.conf")" "rendered file mode"
cp "$W/a.conf" "$W/mounted.conf"
out=$(TELETRACK_CONF=$W/mounted.conf sh "$EP" run -v 2>/dev/null)
td_eq "RUN run -c $W/mounted.conf -v" "$out" "a mounted config is used as is"
case $(sh "$EP" version) in
"teletrack "[0-9]*) td_ok "other commands reach teletrack" ;;
*)	td_fail "entrypoint version: $(sh "$EP" version 2>&1)" ;;
esac

# install-prosody-module
mkdir -p "$W/share/prosody" "$W/plugins"
cp conf/prosody/*.lua "$W/share/prosody/"
TELETRACK_SHARE=$W/share sh "$EP" install-prosody-module "$W/plugins" \
    >/dev/null && cmp -s conf/prosody/mod_teletrack.lua \
    "$W/plugins/mod_teletrack.lua" && td_ok "module installed" ||
    td_fail "install-prosody-module"
sh "$EP" install-prosody-module "$W/nope" >/dev/null 2>&1
td_eq 2 $? "exit for a missing plugin folder"
td_exit
