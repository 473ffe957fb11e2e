#!/usr/bin/env bash
# Builds the SD-card image for Raspberry Pi 3, 4, 5 and Zero 2 W (arm64) from
# the gokrazy/ instance: twcmanager-rpi.img with /perm already formatted, and
# a compressed copy of it. Versions come from gokrazy/builddir (the gokrazy
# packages, kernel, firmware, EEPROM) and tools/go.mod (gok).
#
#	scripts/build-image.sh [OUTPUT-DIR]     (default: out/ in the repository)
set -euo pipefail
# shellcheck source=../gokrazy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../gokrazy/lib.sh"

out=${1:-$gk_repo/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
img=$out/twcmanager-rpi.img

gk_need mkfs.ext4 e2fsprogs
gk_need debugfs e2fsprogs
# The compressed copy: zstd where it can be had, else xz, else gzip.
if ! command -v zstd >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	gk_need zstd zstd || true
fi

start=$(date +%s)
gk_log "gok $(gok version 2>/dev/null | head -1) building $img"
gk_overwrite "$gk_repo" gokrazy "$img"

gk_log "compressing"
rm -f "$img".zst "$img".xz "$img".gz
if command -v zstd >/dev/null 2>&1; then
	zstd -q -T0 -10 -f "$img" -o "$img.zst"
	packed=$img.zst
elif command -v xz >/dev/null 2>&1; then
	xz -T0 -6 -k -f "$img"
	packed=$img.xz
else
	gzip -6 -k -f "$img"
	packed=$img.gz
fi

size=$(stat -c %s "$img")
cat <<EOF

Built in $(($(date +%s) - start)) s:
  $img
      $(gk_human "$size") ($size bytes; $(gk_human "$(gk_allocated "$img")") allocated: the rest is empty space)
  $packed
      $(gk_human "$(stat -c %s "$packed")")

Next, write it to a microSD card (2 GB or larger) for a Raspberry Pi 3, 4, 5 or Zero 2 W:
  - Raspberry Pi Imager: "Choose OS" > "Use custom", pick $(basename "$packed")
    (or the .img); skip its OS customisation, the image has its own settings.
  - or dd, after checking which device is the card (lsblk); this erases it:
      sudo dd if=$img of=/dev/sdX bs=4M conv=fsync status=progress
Put the card in the Pi, connect Ethernet and the USB–RS485 adapter, power it up,
then open http://twcmanager.local/ (or the address your router gave
"twcmanager") and follow the setup wizard. Later versions go over the
network: scripts/update.sh [ADDRESS]
EOF
