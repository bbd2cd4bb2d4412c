package main

import "runtime/debug"

// version is set at build time with -ldflags "-X main.version=..."; when it
// is not, init fills it in from what the Go toolchain stamped into the
// binary (see versionOf).
var version = ""

func init() {
	if version == "" {
		info, _ := debug.ReadBuildInfo()
		version = versionOf(info)
	}
}

// versionOf names a build for bug reports: the module version of an
// installed release (go install github.com/mcpscope/mcpscope@v1.2.3), else "dev" with the
// commit a checkout was built from ("+dirty" when it had changes), else
// plain "dev" (go run and go test stamp no commit).
func versionOf(info *debug.BuildInfo) string {
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	revision, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if revision == "" {
		return "dev"
	}
	v := "dev+" + revision[:min(12, len(revision))]
	if dirty {
		v += "+dirty"
	}
	return v
}
