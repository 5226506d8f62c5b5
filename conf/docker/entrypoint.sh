#!/bin/sh
# teletrack's container entrypoint.
#
# The configuration file stays the reference: when one is mounted at
# $TELETRACK_CONF (/etc/teletrack/teletrack.conf) it is used as it is.
# Otherwise one is rendered from environment variables named the way
# docker-jitsi-meet names its own (XMPP_DOMAIN, XMPP_HIDDEN_DOMAIN,
# XMPP_MUC_DOMAIN, XMPP_SERVER, XMPP_PORT), plus TELETRACK_* for what is
# ours.  The password never goes into the file: teletrack reads
# $TELETRACK_XMPP_PASSWORD itself, or the file named by
# $TELETRACK_XMPP_PASSWORD_FILE (a Docker secret, say).
#
#   run                      (default) render if needed, check, run
#   render-config            print the configuration it would render
#   install-prosody-module [DIR]
#                            copy the companion module into DIR
#                            (/prosody-plugins-custom)
#   anything else            passed to teletrack (status, report, ...)
set -eu

CONF=${TELETRACK_CONF:-/etc/teletrack/teletrack.conf}
RENDERED=${TELETRACK_RENDERED_CONF:-/tmp/teletrack.conf}

die() {
	echo "teletrack-entrypoint: $*" >&2
	exit 2
}

# Every variable that reaches the file must be one line, without a
# comment character that would cut it short.  (Checked here, up front:
# a check inside $(...) could only leave the subshell.)
check_env() {
	for v in XMPP_DOMAIN XMPP_HIDDEN_DOMAIN XMPP_MUC_DOMAIN XMPP_SERVER \
	    XMPP_PORT TELETRACK_XMPP_USER TELETRACK_XMPP_PASSWORD_FILE \
	    TELETRACK_ROOMS TELETRACK_TLS TELETRACK_CA_FILE TELETRACK_NICK \
	    TELETRACK_ROLE_FIELD TELETRACK_IP_MODE TELETRACK_ALERT_JIDS \
	    TELETRACK_LOG_LEVEL TELETRACK_DATABASE TELETRACK_DB_URL \
	    TELETRACK_DB_PASSWORD_FILE TELETRACK_DB_SCHEMA TELETRACK_SHARD; do
		eval "x=\${$v:-}"
		case $x in
		*'
'*)		die "$v must be a single line" ;;
		*" ;"* | *" #"*)	die "$v must not hold \" ;\" or \" #\"" ;;
		esac
	done
}

render() {
	check_env
	domain=${XMPP_DOMAIN:-meet.jitsi}
	hidden=${XMPP_HIDDEN_DOMAIN:-hidden.$domain}
	user=${TELETRACK_XMPP_USER:-teletrack}
	ca=${TELETRACK_CA_FILE:-}
	[ -z "$ca" ] && [ -r /etc/teletrack/prosody.crt ] &&
	    ca=/etc/teletrack/prosody.crt
	echo "; rendered by teletrack-entrypoint from the environment"
	echo "[xmpp]"
	echo "jid = $user@$hidden"
	if [ -n "${TELETRACK_XMPP_PASSWORD_FILE:-}" ]; then
		echo "password_file = $TELETRACK_XMPP_PASSWORD_FILE"
	elif [ -z "${TELETRACK_XMPP_PASSWORD:-}" ]; then
		die "set TELETRACK_XMPP_PASSWORD (or TELETRACK_XMPP_PASSWORD_FILE)"
	fi
	echo "server = ${XMPP_SERVER:-xmpp.$domain}"
	echo "port = ${XMPP_PORT:-5222}"
	echo "tls = ${TELETRACK_TLS:-required}"
	[ -n "$ca" ] && echo "ca_file = $ca"
	echo "muc_domain = ${XMPP_MUC_DOMAIN:-muc.$domain}"
	echo "hidden_domain = $hidden"
	[ -n "${TELETRACK_NICK:-}" ] && echo "nick = $TELETRACK_NICK"
	[ -n "${TELETRACK_SHARD:-}" ] && echo "shard = $TELETRACK_SHARD"
	echo "[rooms]"
	[ -n "${TELETRACK_ROOMS:-}" ] && echo "join = $TELETRACK_ROOMS"
	echo "[storage]"
	# PostgreSQL when a URL is given (its password: the file, else
	# $TELETRACK_DB_PASSWORD, which the daemon reads itself).
	if [ -n "${TELETRACK_DB_URL:-}" ]; then
		echo "url = $TELETRACK_DB_URL"
		[ -n "${TELETRACK_DB_PASSWORD_FILE:-}" ] &&
		    echo "password_file = $TELETRACK_DB_PASSWORD_FILE"
		[ -n "${TELETRACK_DB_SCHEMA:-}" ] &&
		    echo "schema = $TELETRACK_DB_SCHEMA"
	else
		echo "database = ${TELETRACK_DATABASE:-/var/lib/teletrack/teletrack.db}"
	fi
	echo "[tracking]"
	[ -n "${TELETRACK_ROLE_FIELD:-}" ] &&
	    echo "role_field = $TELETRACK_ROLE_FIELD"
	[ -n "${TELETRACK_IP_MODE:-}" ] && echo "ip_mode = $TELETRACK_IP_MODE"
	echo "[alerts]"
	[ -n "${TELETRACK_ALERT_JIDS:-}" ] &&
	    echo "admin_jids = $TELETRACK_ALERT_JIDS"
	echo "[log]"
	echo "level = ${TELETRACK_LOG_LEVEL:-info}"
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case $cmd in
run)
	if [ ! -f "$CONF" ]; then
		( umask 077 && render > "$RENDERED.tmp" ) || exit 2
		mv "$RENDERED.tmp" "$RENDERED"
		echo "teletrack-entrypoint: no $CONF: rendered $RENDERED" \
		    "from the environment" >&2
		CONF=$RENDERED
	fi
	exec teletrack run -c "$CONF" "$@"
	;;
render-config)
	render
	;;
install-prosody-module)
	dir=${1:-/prosody-plugins-custom}
	[ -d "$dir" ] || die "$dir: no such directory (mount docker-jitsi-meet's prosody-plugins-custom there)"
	for m in "${TELETRACK_SHARE:-/usr/share/teletrack}"/prosody/*.lua; do
		cp "$m" "$dir/" && echo "installed $dir/$(basename "$m")"
	done
	;;
*)
	exec teletrack "$cmd" "$@"
	;;
esac
