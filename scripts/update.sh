#!/usr/bin/env bash
# Updates a running appliance over the network: builds the gokrazy/ instance
# (as scripts/build-image.sh does) and sends it with gok update to gokrazy's
# update API, which writes the inactive root partition, switches to it and
# reboots. /perm (settings, history, password) is kept.
#
#	scripts/update.sh [HOST[:PORT]] [GOK-UPDATE-FLAGS...]
#
# HOST is the appliance's name or address (default twcmanager.local; an IPv6
# address goes in brackets). PORT is gokrazy's update port as reached from
# here (default: Update.HTTPPort of the instance, 8888), e.g. a forwarded
# port. The password is the instance's Update.HTTPPassword. Flags such as
# --testboot are passed on to gok update. GOKRAZY_INSTANCE_DIR builds another
# instance directory instead of gokrazy/ (the emulator test sends its amd64
# variant this way).
set -euo pipefail
# shellcheck source=../gokrazy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../gokrazy/lib.sh"

target=${1:-twcmanager.local}
[ $# -eq 0 ] || shift
case $target in
-h | --help)
	sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
\[*\]:*) host=${target%:*} port=${target##*:} ;;
\[*\]) host=$target port= ;;
*:*:*) host="[$target]" port= ;; # a bare IPv6 address
*:*) host=${target%:*} port=${target##*:} ;;
*) host=$target port= ;;
esac

src=${GOKRAZY_INSTANCE_DIR:-$gk_instance_dir}
src=$(cd "$src" && pwd)
[ -f "$src/config.json" ] || gk_die "no config.json in $src"
pw=$(gk_update_field "$src" HTTPPassword)
[ -n "$pw" ] || gk_die "$src/config.json has no Update.HTTPPassword"
[ -n "$port" ] || port=$(gk_update_field "$src" HTTPPort)
[ -n "$port" ] || port=80
base="http://$host:$port/"

# Ask gokrazy first, for a clear message when it cannot be reached.
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -u "gokrazy:$pw" "$base" || true)
case $code in
200) ;;
401) gk_die "gokrazy at $base refused the password of $src/config.json" ;;
000) gk_die "nothing answers at $base: is the appliance on, and is $host its name or address?" ;;
*) gk_die "gokrazy at $base answered HTTP $code" ;;
esac
status() {
	curl -s -m 10 -u "gokrazy:$pw" -H 'Accept: application/json' "$base" | jq -r '.BuildTimestamp // "?"'
}
before=$(status)

# A temporary instance that differs only in where the update goes; what is
# built (and the port gokrazy listens on) stays the same.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gk_derive "$src" "$tmp" update '.InternalCompatibilityFlags = {Update: $url}' --arg url "http://gokrazy:$pw@$host:$port/"

gk_log "updating $host (gokrazy on port $port, running build $before)"
log=$tmp/update.log
# gok's own output is long; its full log is shown when it fails.
gok --parent_dir "$tmp" -i update update "$@" 2>&1 | tee "$log" |
	grep --line-buffered -E 'Build timestamp|Transferred|Triggering reboot|Device ready' |
	sed -u 's/^[0-9/]* [0-9:]* /  gok: /' || true
if ! grep -q 'Device ready to use' "$log"; then
	tail -n 30 "$log" >&2
	gk_die "gok update did not finish"
fi
gk_log "$host now runs build $(status) (was $before)"
