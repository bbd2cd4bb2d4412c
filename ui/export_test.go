package ui

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestExportKeyWritesHAR: E writes the selected row's session as a HAR
// file into the export directory the options name (created 0700 when
// missing), never into the current directory, and the notice gives the
// file's full path.
func TestExportKeyWritesHAR(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	dir := filepath.Join(t.TempDir(), "nested", "exports")
	m := New(newFakeEngine(), Options{TickInterval: time.Hour, ExportDir: dir})
	m.Init()
	m.Update(observationsMsg(traffic()))
	press(m, "E")
	matches, _ := filepath.Glob(filepath.Join(dir, "mcpscope-s-1-*.har"))
	if len(matches) != 1 {
		t.Fatalf("E wrote %v; status: %s", matches, m.notice)
	}
	data, _ := os.ReadFile(matches[0])
	if !strings.Contains(string(data), `"version": "1.2"`) && !strings.Contains(string(data), `"version":"1.2"`) {
		t.Errorf("the export is not a HAR 1.2 file: %.200s", data)
	}
	if !strings.Contains(m.notice, "exported to "+matches[0]+" (") {
		t.Errorf("the notice does not give the full path %s: %q", matches[0], m.notice)
	}
	if st, err := os.Stat(dir); err != nil || runtime.GOOS != "windows" && st.Mode().Perm() != 0o700 {
		t.Errorf("the export directory: %v, %v; want it created with mode 0700", st.Mode(), err)
	}
	if left, _ := os.ReadDir(cwd); len(left) != 0 {
		t.Errorf("E wrote into the current directory: %v", left)
	}
}

// TestExportDefaultDir: with no directory in the options, exports go
// under $XDG_DATA_HOME, else (on Linux) ~/.local/share.
func TestExportDefaultDir(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	m := New(newFakeEngine(), Options{TickInterval: time.Hour})
	m.Init()
	m.Update(observationsMsg(traffic()))
	press(m, "E")
	if matches, _ := filepath.Glob(filepath.Join(data, "mcpscope", "exports", "mcpscope-s-1-*.har")); len(matches) != 1 {
		t.Fatalf("E with XDG_DATA_HOME=%s wrote %v; status: %s", data, matches, m.notice)
	}
	if runtime.GOOS != "linux" { // macOS and Windows fall back to their own (DefaultExportDir)
		return
	}
	home := t.TempDir()
	t.Setenv("XDG_DATA_HOME", "relative/ignored") // the XDG spec: a relative path is invalid
	t.Setenv("HOME", home)
	got, err := DefaultExportDir()
	if want := filepath.Join(home, ".local", "share", "mcpscope", "exports"); err != nil || got != want {
		t.Errorf("DefaultExportDir() = %q, %v; want %q", got, err, want)
	}
}

// TestExportFailureIsSaid: an export directory that cannot be created
// (a file is in the way) is said in the status bar, and nothing panics.
func TestExportFailureIsSaid(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m := New(newFakeEngine(), Options{TickInterval: time.Hour, ExportDir: filepath.Join(blocker, "exports")})
	m.Init()
	m.Update(observationsMsg(traffic()))
	press(m, "E")
	if !strings.HasPrefix(m.notice, "export failed: ") {
		t.Errorf("notice %q, want the failure", m.notice)
	}
}
