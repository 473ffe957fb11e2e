// Package version tells which build of twcmanager is running, from the Go
// build information: the module version, or the VCS revision and time.
package version

import (
	"runtime/debug"
	"strings"
)

// String is a short version for people: "v1.2.3", "3f2a1c9 (2026-11-21)",
// or "dev" when the build carries no information.
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at, _, _ = strings.Cut(s.Value, "T")
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	out := rev[:min(7, len(rev))]
	if dirty {
		out += "+changes"
	}
	if at != "" {
		out += " (" + at + ")"
	}
	return out
}
