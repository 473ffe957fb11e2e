#!/usr/bin/env bash
# Emulator boot test of the appliance image. Builds the amd64 variant of the
# gokrazy/ instance (same program, flags and pinned gokrazy; the amd64
# kernel, a serial console on ttyS0 and -port /dev/ttyS1), boots it in QEMU
# without KVM, puts simulated chargers (cmd/twcsim) on the guest's ttyS1 and
# checks through the web UI and GET /api/v1/state that they linked and get
# their heartbeats. Then it stores a password through the setup wizard, which
# lands in /perm, updates the VM over the network with gok update, and checks
# that the new build runs and the password survived.
#
#	scripts/image-test.sh            (temporary files in out/image-test/)
#
# BOOT_TIMEOUT (seconds, default 180) bounds each boot; a failed first boot
# is tried once more.
set -euo pipefail
# shellcheck source=../gokrazy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../gokrazy/lib.sh"

boot_timeout=${BOOT_TIMEOUT:-180}
work=$gk_repo/out/image-test
instances=$work/instances
name=twcmanager-vm
password=image-test-password-$RANDOM$RANDOM # the web UI's admin password
t0=$(date +%s)

gk_need qemu-system-x86_64 qemu-system-x86
gk_need curl curl
gk_need jq jq
gk_need mkfs.ext4 e2fsprogs
gk_need debugfs e2fsprogs

rm -rf "$work"
mkdir -p "$work" "$instances"
# A unix socket path must stay short (108 bytes), whatever the checkout's path.
sockdir=$(mktemp -d /tmp/twcmanager-vm.XXXXXX)
sock=$sockdir/ttyS1.sock

qemu_pid='' twcsim_pid=''
stop_vm() {
	local pid
	for pid in "$twcsim_pid" "$qemu_pid"; do
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	qemu_pid='' twcsim_pid=''
}
cleanup() {
	stop_vm
	rm -rf "$sockdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Checks that passed, for the closing line.
passed=0
pass() { passed=$((passed + 1)); }

fail() {
	echo >&2
	echo "FAIL: $*" >&2
	if [ -s "$work/console.log" ]; then
		echo "--- last lines of the VM's serial console ($work/console.log):" >&2
		tail -n 40 "$work/console.log" | tr -d '\r' >&2
	fi
	if [ -s "$work/twcsim.log" ]; then
		echo "--- last lines of twcsim ($work/twcsim.log):" >&2
		tail -n 10 "$work/twcsim.log" >&2
	fi
	echo "image-test: $passed passed, 1 failed"
	exit 1
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}
ui_port=$(free_port)
update_port=$(free_port)
while [ "$update_port" = "$ui_port" ]; do update_port=$(free_port); done
ui=http://127.0.0.1:$ui_port
gk_pw=$(gk_update_field "$gk_instance_dir" HTTPPassword)
gk_port=$(gk_update_field "$gk_instance_dir" HTTPPort)
[ -n "$gk_pw" ] && [ -n "$gk_port" ] || gk_die "gokrazy/config.json lacks Update.HTTPPassword or Update.HTTPPort"
gokrazy_ui=http://127.0.0.1:$update_port

# The TWCManager-compatible API on 8080, once the program has it.
compat_port=
if jq -e --arg pkg "$gk_pkg" '.PackageConfig[$pkg].CommandLineFlags | index("-compat-listen")' \
	"$gk_instance_dir/config.json" >/dev/null; then
	compat_port=$(free_port)
fi

gk_log "building the amd64 image and twcsim"
# The amd64 variant of gokrazy/config.json: same program, flags and gokrazy,
# the emulator's kernel, a console on ttyS0 and the bus on ttyS1.
gk_derive "$gk_instance_dir" "$instances" "$name" '
	.Environment = ([.Environment[] | select(startswith("GOARCH=") | not)] + ["GOARCH=amd64"])
	| .KernelPackage = $kernel | .FirmwarePackage = "" | .EEPROMPackage = ""
	| .SerialConsole = "ttyS0,115200" | .KernelExtraArgs = ["rootdelay=0"]
	| .PackageConfig[$pkg].CommandLineFlags += ["-port", "/dev/ttyS1"]' \
	--arg kernel "$gk_amd64_kernel" --arg pkg "$gk_pkg"
img=$work/twcmanager-amd64.img
gk_overwrite "$instances" "$name" "$img"
pass
(cd "$gk_repo" && go build -o "$work/twcsim" ./cmd/twcsim)
ovmf=$(cd "$gk_repo" && go list -modfile=tools/go.mod -m -f '{{.Dir}}' github.com/gokrazy/tools)/third_party/edk2-2024.11-4
[ -f "$ovmf/OVMF_CODE_4M.fd" ] || gk_die "no OVMF firmware in $ovmf"
build_s=$(($(date +%s) - t0))

# http_code URL [CURL-ARGS...]: the status code, 000 when nothing answers.
http_code() {
	local url=$1
	shift
	curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url" || true
}

# wait_ui SECONDS: until the web UI answers (200, or a redirect to /setup or
# /login) or QEMU is gone.
wait_ui() {
	local deadline=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		case "$(http_code "$ui/")" in
		200 | 302 | 303) return 0 ;;
		esac
		kill -0 "$qemu_pid" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

# boot: starts QEMU on a fresh copy of the image, and twcsim on its ttyS1.
boot() {
	stop_vm
	rm -f "$sock"
	cp --sparse=always "$img" "$work/disk.img"
	cp "$ovmf/OVMF_VARS_4M.fd" "$work/OVMF_VARS.fd"
	chmod u+w "$work/OVMF_VARS.fd"
	local fwd="hostfwd=tcp:127.0.0.1:$ui_port-:80,hostfwd=tcp:127.0.0.1:$update_port-:$gk_port"
	[ -z "$compat_port" ] || fwd+=",hostfwd=tcp:127.0.0.1:$compat_port-:8080"
	# restrict=on: the guest reaches nothing beyond the forwarded ports (its
	# NTP and mDNS stay inside).
	qemu-system-x86_64 -name "$name" -accel tcg -m 1024 -smp 2 \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.fd" \
		-drive "if=pflash,format=raw,unit=1,file=$work/OVMF_VARS.fd" \
		-drive "file=$work/disk.img,format=raw" \
		-device e1000,netdev=n -netdev "user,id=n,restrict=on,$fwd" \
		-display none -monitor none \
		-serial "file:$work/console.log" \
		-chardev "socket,id=s1,path=$sock,server=on,wait=off" -serial chardev:s1 \
		>"$work/qemu.log" 2>&1 &
	qemu_pid=$!
	"$work/twcsim" -socket "$sock" -chargers 2 >"$work/twcsim.log" 2>&1 &
	twcsim_pid=$!
}

# state_ok: every charger linked with heartbeats and no gap over 1.5 s. With
# MIN, waits for that many heartbeats per charger (default 1).
state_ok() {
	curl -s -m 5 "$ui/api/v1/state" >"$work/state.json" 2>/dev/null || return 1
	jq -e --argjson min "${1:-1}" '
		.connected == true and (.chargers | length) >= 2
		and all(.chargers[]; .linked == true and .heartbeats >= $min and .max_heartbeat_gap_ms <= 1500)' \
		"$work/state.json" >/dev/null 2>&1
}

# check_state SECONDS: waits for state_ok with 5 heartbeats each, fails on
# a gap over 1.5 s.
check_state() {
	local deadline=$(($(date +%s) + $1))
	until state_ok 5; do
		if jq -e 'any(.chargers[]?; .max_heartbeat_gap_ms > 1500)' "$work/state.json" >/dev/null 2>&1; then
			fail "a charger went more than 1.5 s without a heartbeat: $(cat "$work/state.json")"
		fi
		[ "$(date +%s)" -lt "$deadline" ] || fail "the chargers did not link with heartbeats within $1 s: $(cat "$work/state.json" 2>/dev/null)"
		sleep 2
	done
	jq -r '.chargers[] | "  charger \(.id): linked, \(.heartbeats) heartbeats, longest gap \(.max_heartbeat_gap_ms) ms"' "$work/state.json"
	pass
}

# gokrazy_status FIELD: a field of gokrazy's own status (JSON, behind its password).
gokrazy_status() {
	curl -s -m 10 -u "gokrazy:$gk_pw" -H 'Accept: application/json' "$gokrazy_ui/" | jq -r ".$1"
}

# csrf PATH: the CSRF token of the form at PATH, keeping the session cookie.
csrf() {
	curl -s -m 10 -c "$work/cookies" -b "$work/cookies" "$ui$1" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1
}

gk_log "booting in qemu-system-x86_64 (TCG), UI on $ui, gokrazy on $gokrazy_ui"
ready_s=
for attempt in 1 2; do
	boot_start=$(date +%s)
	boot
	if wait_ui "$boot_timeout"; then
		ready_s=$(($(date +%s) - boot_start))
		break
	fi
	echo "boot $attempt: no web UI within $boot_timeout s" >&2
	tail -n 15 "$work/console.log" 2>/dev/null | tr -d '\r' >&2 || true
	cp "$work/console.log" "$work/console-boot$attempt.log" 2>/dev/null || true
done
[ -n "$ready_s" ] || fail "the web UI did not come up in two boots"
echo "  boot to web UI: $ready_s s (attempt $attempt)"
pass

gk_log "checking the simulated chargers through GET /api/v1/state"
check_state 120
if [ -n "$compat_port" ]; then
	# What the Home Assistant integration asks first, then polls.
	uuid=$(curl -fsS --max-time 10 "http://127.0.0.1:$compat_port/api/getUUID") ||
		fail "GET /api/getUUID on port 8080 failed"
	[[ "$uuid" =~ ^[0-9]+$ ]] || fail "getUUID on port 8080 is not a number: $uuid"
	slaves=$(curl -fsS --max-time 10 "http://127.0.0.1:$compat_port/api/getSlaveTWCs") ||
		fail "GET /api/getSlaveTWCs on port 8080 failed"
	n=$(jq -r '[keys[] | select(test("^[0-9A-F]{4}$"))] | length' <<<"$slaves")
	[ "$n" -ge 2 ] && jq -e '.total.lifetimekWh | numbers' <<<"$slaves" >/dev/null ||
		fail "getSlaveTWCs on port 8080 lists $n chargers: $slaves"
	echo "  TWCManager API on 8080: getUUID $uuid, getSlaveTWCs lists $n chargers and total"
	pass
fi

gk_log "storing a password in /perm through the setup wizard"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{redirect_url}' "$ui/")
[[ "$code" == "303 "*/setup ]] || fail "GET / answered '$code', want a redirect to /setup on first boot"
pass
rm -f "$work/cookies"
token=$(csrf /setup)
[ -n "$token" ] || fail "no CSRF token on /setup"
code=$(curl -s -m 30 -o /dev/null -w '%{http_code} %{redirect_url}' -c "$work/cookies" -b "$work/cookies" \
	--data-urlencode "csrf=$token" --data-urlencode "password=$password" --data-urlencode "repeat=$password" "$ui/setup")
[[ "$code" == "303 "*/setup/* ]] || fail "POST /setup answered '$code', want a redirect to the next step"
pass
code=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{redirect_url}' "$ui/")
[[ "$code" == "303 "*/login* ]] || fail "after setup GET / answered '$code', want a redirect to /login"
pass
old_build=$(gokrazy_status BuildTimestamp)
[ -n "$old_build" ] && [ "$old_build" != null ] || fail "gokrazy's status on port $gk_port did not answer"
echo "  password set; running build $old_build; /perm used: $(gokrazy_status PermUsed) bytes"

gk_log "updating the VM over the network (scripts/update.sh, gok update)"
sleep 1 # a new build timestamp, so the update is a different build
update_start=$(date +%s)
if ! GOKRAZY_INSTANCE_DIR=$instances/$name "$gk_repo/scripts/update.sh" "127.0.0.1:$update_port" >"$work/update.log" 2>&1; then
	tail -n 30 "$work/update.log" >&2
	fail "scripts/update.sh failed"
fi
new_build=$(sed -n 's/.*Build timestamp: //p' "$work/update.log" | head -1)
grep -E 'Transferred|Device ready' "$work/update.log" | tr -d '\r'
wait_ui "$boot_timeout" || fail "the web UI did not come back after the update"
update_s=$(($(date +%s) - update_start))
running=$(gokrazy_status BuildTimestamp)
[ "$running" = "$new_build" ] && [ "$running" != "$old_build" ] ||
	fail "after the update gokrazy runs build '$running', want the new '$new_build' (was '$old_build')"
pass
echo "  update: $update_s s from gok update to the web UI; now running build $running"

gk_log "checking /perm kept the password across the update"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{redirect_url}' "$ui/")
[[ "$code" == "303 "*/login* ]] || fail "after the update GET / answered '$code', want a redirect to /login (the password in /perm)"
pass
rm -f "$work/cookies"
token=$(csrf /login)
code=$(curl -s -m 30 -o /dev/null -w '%{http_code} %{redirect_url}' -c "$work/cookies" -b "$work/cookies" \
	--data-urlencode "csrf=$token" --data-urlencode user=admin --data-urlencode "password=$password" "$ui/login")
[[ "$code" == "303 "* && "$code" != *"/login"* ]] || fail "logging in with the password set before the update answered '$code'"
pass
echo "  GET / redirects to /login; the password set before the update logs in"
check_state 120

stop_vm
pi=$gk_repo/out/twcmanager-rpi.img
cat <<EOF

Image test passed in $(($(date +%s) - t0)) s (build $build_s s, boot to web UI $ready_s s, update to web UI $update_s s)
  amd64 image: $(gk_human "$(stat -c %s "$img")"), $(gk_human "$(gk_allocated "$img")") allocated
EOF
if [ -f "$pi" ]; then
	echo "  Pi image ($pi): $(gk_human "$(stat -c %s "$pi")"), $(gk_human "$(gk_allocated "$pi")") allocated"
fi
echo "image-test: $passed passed, 0 failed"
