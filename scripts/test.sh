#!/usr/bin/env bash
# Runs every test the project has: formatting, vet, the whole suite with the
# race detector, and a short run of each fuzz target. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}

echo "== go: $(go version)"

echo "== gofmt"
unformatted=$(git ls-files -co --exclude-standard '*.go' | xargs -r gofmt -l)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"
	echo "$unformatted"
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 ./...

echo "== fuzz ($fuzztime each)"
for target in FuzzDecoder FuzzParse; do
	go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" ./internal/twc
done

echo "== all tests passed"
