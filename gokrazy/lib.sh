# shellcheck shell=bash
# Shared by scripts/build-image.sh, scripts/image-test.sh and scripts/update.sh.
# Source it from bash (set -euo pipefail); it runs nothing by itself.

gk_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gk_instance_dir="$gk_repo/gokrazy"

# The program's package, as listed in gokrazy/config.json.
# shellcheck disable=SC2034 # used by the scripts that source this
gk_pkg=github.com/twcmanager/twcmanager/cmd/twcmanager

# shellcheck disable=SC2034 # used by scripts/image-test.sh
# Pinned kernel for the emulator variant (the Pi's are pinned in
# gokrazy/builddir and config.json).
gk_amd64_kernel=github.com/gokrazy/kernel.amd64

# Size of the image file: the smallest SD card it fits. /perm takes what is
# left after the boot (100 MB) and two root (500 MB each) partitions.
gk_image_bytes=$((2 * 1024 * 1024 * 1024))

gk_log() { printf '== %s\n' "$*" >&2; }
gk_die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# gok at the version pinned by the tool directive in tools/go.mod. Relative
# paths in its arguments are taken from the repository root.
gok() { (cd "$gk_repo" && go tool -modfile=tools/go.mod gok "$@"); }

# gk_need COMMAND DEBIAN-PACKAGE: installs the package when the command is
# missing; only root (or password-less sudo) can, others get told what to do.
gk_apt_updated=
gk_need() {
	if command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; then
		return 0
	fi
	local apt_get
	if [ "$(id -u)" = 0 ]; then
		apt_get=(apt-get)
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		apt_get=(sudo apt-get)
	else
		gk_die "$1 is missing and only root can install it: apt-get install $2"
	fi
	gk_log "installing $2"
	if [ -z "$gk_apt_updated" ]; then
		"${apt_get[@]}" update -qq
		gk_apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends "$2" >/dev/null
}

# gk_sbin NAME: path of an e2fsprogs tool, which may live outside a user's PATH.
gk_sbin() {
	local p
	for p in "$(command -v "$1" 2>/dev/null || true)" "/usr/sbin/$1" "/sbin/$1"; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	gk_die "$1 not found (Debian package e2fsprogs)"
}

# gk_le FILE OFFSET BYTES: the little-endian unsigned integer at OFFSET.
gk_le() {
	od -An -v --endian=little -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# gk_bytes FILE OFFSET COUNT: COUNT bytes at OFFSET, NULs dropped.
gk_bytes() { dd if="$1" bs=1 skip="$2" count="$3" status=none | tr -d '\000'; }

# gk_partitions IMAGE prints one line per GPT partition: number, first byte,
# size in bytes, name. It fails unless the image has the hybrid MBR gokrazy
# writes (FAT boot partition first, for the Raspberry Pi's boot ROM) and a
# valid GPT header.
gk_partitions() {
	local img=$1
	[ "$(od -An -t x1 -j 510 -N 2 "$img" | tr -d ' \n')" = 55aa ] || gk_die "$img: no MBR boot signature"
	case "$(od -An -t x1 -j 450 -N 1 "$img" | tr -d ' \n')" in
	06 | 0b | 0c | 0e) ;;
	*) gk_die "$img: MBR partition 1 is not FAT (the Pi's boot ROM reads only that)" ;;
	esac
	[ "$(gk_bytes "$img" 512 8)" = "EFI PART" ] || gk_die "$img: no GPT header"
	local table count size i off first last name
	table=$(gk_le "$img" 584 8)
	count=$(gk_le "$img" 592 4)
	size=$(gk_le "$img" 596 4)
	for ((i = 0; i < count; i++)); do
		off=$((table * 512 + i * size))
		first=$(gk_le "$img" $((off + 32)) 8)
		last=$(gk_le "$img" $((off + 40)) 8)
		[ "$first" != 0 ] || continue
		name=$(gk_bytes "$img" $((off + 56)) 72)
		printf '%d %d %d %s\n' $((i + 1)) $((first * 512)) $(((last - first + 1) * 512)) "$name"
	done
}

# gk_overwrite PARENT INSTANCE IMAGE: builds the instance into a full image
# file, formats its /perm partition and checks the result. gok leaves /perm
# unformatted in a file; without a file system /perm stays empty and
# read-only on the device.
gk_overwrite() {
	local parent=$1 instance=$2 img=$3 log
	log=$(mktemp)
	rm -f "$img"
	if ! gok --parent_dir "$parent" -i "$instance" overwrite --full "$img" \
		--target_storage_bytes="$gk_image_bytes" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		gk_die "gok overwrite failed"
	fi
	grep -E 'Build target|Build timestamp|LBAs|PARTUUID' "$log" | sed 's/^[0-9/]* [0-9:]* /  gok: /' >&2 || true
	# gok prints the command that formats /perm, with its offset and size.
	local mkfs offset kib
	mkfs=$(grep -o 'mkfs.ext4 -F -E offset=[0-9]* [^ ]* [0-9]*' "$log" || true)
	rm -f "$log"
	[ -n "$mkfs" ] || gk_die "gok did not print the /perm mkfs command"
	offset=$(sed -E 's/.*offset=([0-9]+) .*/\1/' <<<"$mkfs")
	kib=$(awk '{print $NF}' <<<"$mkfs")
	gk_check_table "$img" "$offset" "$kib"
	"$(gk_sbin mkfs.ext4)" -q -F -L perm -E "offset=$offset" "$img" "$kib"
	gk_check_perm "$img" "$offset"
}

# gk_check_table IMAGE PERM-OFFSET PERM-KIB: the four partitions gokrazy
# writes, with /perm where gok said it would be.
gk_check_table() {
	local img=$1 offset=$2 kib=$3 parts n boot root start size
	parts=$(gk_partitions "$img")
	echo "$parts" | awk '{printf "  partition %s: offset %d MiB, %d MiB, %s\n", $1, $2/1048576, $3/1048576, substr($0, index($0,$4))}' >&2
	n=$(echo "$parts" | wc -l)
	[ "$n" = 4 ] || gk_die "$img: $n partitions, want 4 (boot, root A, root B, perm)"
	read -r _ boot _ < <(echo "$parts" | sed -n 1p)
	read -r _ root _ < <(echo "$parts" | sed -n 2p)
	# FAT12/16 name their type at byte 54 of the boot sector, FAT32 at 82.
	[[ "$(gk_bytes "$img" $((boot + 54)) 5)$(gk_bytes "$img" $((boot + 82)) 5)" == *FAT* ]] ||
		gk_die "partition 1 (boot) holds no FAT file system"
	[ "$(gk_bytes "$img" "$root" 4)" = hsqs ] || gk_die "partition 2 (root) holds no squashfs"
	read -r _ start size _ < <(echo "$parts" | sed -n 4p)
	[ "$start" = "$offset" ] && [ "$size" = $((kib * 1024)) ] ||
		gk_die "partition 4 at $start (+$size), but gok formats /perm at $offset (+$((kib * 1024)))"
}

# gk_check_perm IMAGE OFFSET: /perm holds a clean ext4 file system.
gk_check_perm() {
	local img=$1 offset=$2 stats
	stats=$("$(gk_sbin debugfs)" -R stats "$img?offset=$offset" 2>/dev/null)
	grep -q 'Filesystem magic number: *0xEF53' <<<"$stats" || gk_die "/perm: no ext4 file system"
	grep -q 'Filesystem state: *clean' <<<"$stats" || gk_die "/perm: file system not clean"
	"$(gk_sbin e2fsck)" -fn "$img?offset=$offset" >/dev/null 2>&1 || gk_die "/perm: e2fsck -n found errors"
	grep -E 'Filesystem volume name|Block count|Block size' <<<"$stats" | sed 's/^/  perm: /' >&2
}

# gk_derive SOURCE-DIR PARENT NAME JQ-FILTER [JQ-ARGS...]: a temporary
# instance PARENT/NAME whose config.json is SOURCE-DIR's changed by the
# filter. It shares the committed gokrazy/builddir, so the same pinned
# versions build.
gk_derive() {
	local src=$1 parent=$2 name=$3 filter=$4
	shift 4
	gk_need jq jq
	mkdir -p "$parent/$name"
	ln -sfn "$gk_instance_dir/builddir" "$parent/$name/builddir"
	jq "$@" "$filter" "$src/config.json" >"$parent/$name/config.json.tmp"
	mv "$parent/$name/config.json.tmp" "$parent/$name/config.json"
}

# gk_update_field INSTANCE-DIR FIELD: a field of the instance's Update
# settings: HTTPPassword (gokrazy's web interface and update password) or
# HTTPPort (its port).
gk_update_field() {
	gk_need jq jq
	jq -r --arg f "$2" '.Update[$f] // empty' "$1/config.json"
}

# gk_human BYTES
gk_human() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# gk_allocated FILE: bytes the (sparse) file takes on disk.
gk_allocated() { echo $(($(stat -c %b "$1") * $(stat -c %B "$1"))); }
