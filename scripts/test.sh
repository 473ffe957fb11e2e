#!/usr/bin/env bash
# Runs every test the project has: formatting, vet, the whole suite with the
# race detector, and a short run of each fuzz target. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}

echo "== go: $(go version)"

# Tests that need a real part start it themselves; this installs the parts.
# Under CI=true a part that cannot be installed fails the run here, and the
# tests that need it fail rather than skip.
need_pkg() { # command package
	if command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; then
		return 0
	fi
	echo "== installing $2"
	if [ "$(id -u)" = 0 ]; then
		apt_get="apt-get"
	elif command -v sudo >/dev/null 2>&1; then
		apt_get="sudo apt-get"
	else
		echo "cannot install $2: not root and no sudo" >&2
		[ "${CI:-}" = true ] && exit 1
		return 0
	fi
	if ! { $apt_get update -qq && DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends "$2" >/dev/null; }; then
		echo "installing $2 failed" >&2
		[ "${CI:-}" = true ] && exit 1
	fi
	return 0
}
need_pkg mosquitto mosquitto
need_pkg chromium chromium

echo "== gofmt"
unformatted=$(git ls-files -co --exclude-standard '*.go' | xargs -r gofmt -l)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"
	echo "$unformatted"
	exit 1
fi

echo "== templ generate (generated code must be committed)"
go tool templ generate >/dev/null
if [ -n "$(git status --porcelain -- '*_templ.go')" ]; then
	echo "templ generate changed these; run 'go tool templ generate' and commit:"
	git status --porcelain -- '*_templ.go'
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
