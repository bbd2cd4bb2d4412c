package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// modulePath is mcpscope's module path, what go install takes.
const modulePath = "github.com/mcpscope/mcpscope"

// TestGoInstall installs mcpscope as a user does, go install
// github.com/mcpscope/mcpscope@VERSION, into an empty module cache: this
// checkout is served as that version by a module proxy in a directory
// (GOPROXY=file://...), its dependencies from the local module cache's
// downloads, so it needs no network. The installed binary must report the
// version. It catches a module path go cannot install (the old "mcpscope"
// was one), files a module zip may not hold, and a go.mod that does not
// build outside this checkout (a replace directive, a missing require).
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: installs mcpscope with go install into an empty module cache (20 s with a warm build cache, a few minutes cold)")
	}
	const version = "v0.0.1"
	work := t.TempDir()
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	serveModule(t, filepath.Join(work, "proxy"), repo, version)

	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	downloads := filepath.Join(goEnv("GOMODCACHE"), "cache", "download")
	modCache, bin := filepath.Join(work, "modcache"), filepath.Join(work, "bin")
	env := append(os.Environ(),
		"GOMODCACHE="+modCache, "GOBIN="+bin, "GOFLAGS=-trimpath", "GOSUMDB=off", "GOTOOLCHAIN=local",
		"GOPROXY="+fileURL(filepath.Join(work, "proxy"))+","+fileURL(downloads))
	t.Cleanup(func() { // the module cache's files are read-only
		clean := exec.Command("go", "clean", "-modcache")
		clean.Env = env
		clean.Run()
	})
	install := exec.Command("go", "install", modulePath+"@"+version)
	install.Env, install.Dir = env, work
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install %s@%s: %v\n%s", modulePath, version, err, out)
	}
	out, err := exec.Command(filepath.Join(bin, "mcpscope"), "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "mcpscope "+version {
		t.Fatalf("the installed mcpscope --version: %v, %q; want %q", err, out, "mcpscope "+version)
	}
}

// serveModule lays out, under dir, what a module proxy serves for the
// module in repo at version (the GOPROXY protocol: list, .info, .mod, .zip).
func serveModule(t *testing.T, dir, repo, version string) {
	t.Helper()
	at := filepath.Join(dir, modulePath, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]any{"Version": version, "Time": time.Now().UTC().Format(time.RFC3339)})
	for name, data := range map[string][]byte{"list": []byte(version + "\n"), version + ".info": info, version + ".mod": goMod} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zip, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zip.Close()
	if err := modzip.CreateFromDir(zip, module.Version{Path: modulePath, Version: version}, repo); err != nil {
		t.Fatalf("making the module zip of %s: %v", repo, err)
	}
}

// fileURL is a GOPROXY entry for a directory.
func fileURL(dir string) string {
	if runtime.GOOS == "windows" {
		return "file:///" + filepath.ToSlash(dir)
	}
	return "file://" + dir
}
