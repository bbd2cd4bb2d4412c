package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEditHeldInEditor runs the edit path with a real editor: a script
// that changes the file as a person would. The message comes back compact
// and changed, and the temporary file is gone; an editor that fails, or
// leaves invalid JSON, resumes nothing.
func TestEditHeldInEditor(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to play the editor")
	}
	dir := t.TempDir()
	editor := filepath.Join(dir, "editor.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/\"progress\": 3/\"progress\": 30/' \"$1\"\n"), 0o755)
	cmd, path, err := editorCommand(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":3}}`, editor)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "\n  \"params\"") {
		t.Errorf("the editor opens %q; want the message indented", b)
	}
	got := readEdited("h-1", path, cmd.Run())
	if got.err != nil || got.message != `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":30}}` {
		t.Errorf("edited = %+v", got)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the temporary file %s is left behind", path)
	}

	broken := filepath.Join(dir, "broken.sh")
	os.WriteFile(broken, []byte("#!/bin/sh\necho '{not json' > \"$1\"\n"), 0o755)
	cmd, path, _ = editorCommand(`{"a":1}`, broken)
	if got := readEdited("h-2", path, cmd.Run()); got.err == nil {
		t.Errorf("invalid JSON from the editor resumed as %q", got.message)
	}
	cmd, path, _ = editorCommand(`{"a":1}`, "false")
	if got := readEdited("h-3", path, cmd.Run()); got.err == nil || !strings.Contains(got.err.Error(), "editor failed") {
		t.Errorf("a failing editor gave %+v", got)
	}
}
