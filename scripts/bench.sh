#!/usr/bin/env bash
# Runs every benchmark and rewrites docs/benchmarks.md: the simulated solar
# days (a test, because a day passes in seconds only inside a synctest
# bubble), the bus timing under load, the footprint of twcmanager -demo with
# three chargers, and the binary and image sizes. The footprint run takes
# real time and runs in the background while the rest runs.
#
#	scripts/bench.sh                              the full run, about 12 minutes
#	FOOTPRINT=60s BUSTIME=60s scripts/bench.sh    shorter real-time parts
#	BENCH_IMAGE=1 scripts/bench.sh                build the SD-card image first
#	                                              (scripts/build-image.sh, minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

footprint=${FOOTPRINT:-10m}
bustime=${BUSTIME:-5m}
start=$(date +%s)
work=$(mktemp -d)
fp=
cleanup() {
	# Only the footprint run can still be going: end it (it stops its
	# twcmanager) before its files go.
	if [ -n "$fp" ] && kill -0 "$fp" 2>/dev/null; then
		kill "$fp" 2>/dev/null || true
		wait "$fp" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

command="scripts/bench.sh"
[ -n "${FOOTPRINT:-}" ] && command="FOOTPRINT=$FOOTPRINT $command"
[ -n "${BUSTIME:-}" ] && command="BUSTIME=$BUSTIME $command"
[ -n "${BENCH_IMAGE:-}" ] && command="BENCH_IMAGE=$BENCH_IMAGE $command"

echo "== go: $(go version)"
echo "== build"
host="$(go env GOOS)/$(go env GOARCH)"
go build -o "$work/twcmanager" ./cmd/twcmanager
go build -trimpath -ldflags="-s -w" -o "$work/twcmanager-stripped" ./cmd/twcmanager
# The SD-card image is for arm64 Raspberry Pis.
GOOS=linux GOARCH=arm64 go build -o "$work/twcmanager-arm64" ./cmd/twcmanager
GOOS=linux GOARCH=arm64 go build -trimpath -ldflags="-s -w" -o "$work/twcmanager-arm64-stripped" ./cmd/twcmanager
go build -o "$work/twcbench" ./cmd/twcbench

if [ "${BENCH_IMAGE:-}" = 1 ]; then
	echo "== SD-card image"
	scripts/build-image.sh
fi

echo "== footprint: twcmanager -demo -demo-chargers 3 for $footprint, in the background"
"$work/twcbench" footprint -bin "$work/twcmanager" -duration "$footprint" -out "$work/footprint.json" &
fp=$!

echo "== solar days: every profile with every controller"
go test -count=1 -run '^TestDayProfiles$' ./internal/bench -args -bench.days="$work/days.json"

echo "== bus timing under load for $bustime"
"$work/twcbench" bus -duration "$bustime" -out "$work/bus.json"

echo "== waiting for the footprint run to end"
wait "$fp"
fp=

sizes=(
	-size "twcmanager, $host=$work/twcmanager"
	-size "twcmanager, $host, stripped (-s -w)=$work/twcmanager-stripped"
	-size "twcmanager, linux/arm64 (the Pi)=$work/twcmanager-arm64"
	-size "twcmanager, linux/arm64, stripped (-s -w)=$work/twcmanager-arm64-stripped"
)
image_note=""
found=
for f in out/twcmanager-rpi.img out/twcmanager-rpi.img.zst out/twcmanager-rpi.img.xz out/twcmanager-rpi.img.gz; do
	if [ -f "$f" ]; then
		sizes+=(-size "SD-card image $(basename "$f"), built $(date -u -r "$f" +%F)=$f")
		found=1
	fi
done
if [ -z "$found" ]; then
	image_note="No SD-card image in out/: build one with scripts/build-image.sh (or run BENCH_IMAGE=1 scripts/bench.sh) to have its size here."
elif [ "${BENCH_IMAGE:-}" != 1 ]; then
	image_note="The image sizes are of the files in out/ as last built by scripts/build-image.sh (dates above), not rebuilt by this run."
fi

"$work/twcbench" report -days "$work/days.json" -bus "$work/bus.json" -footprint "$work/footprint.json" \
	"${sizes[@]}" -image-note "$image_note" -command "$command" \
	-elapsed "$(($(date +%s) - start))s" -o docs/benchmarks.md
echo "== docs/benchmarks.md written in $(($(date +%s) - start)) s"
