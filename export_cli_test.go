package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const exportSample = "record/testdata/sample.jsonl" // a hand-written recording

// runCLI runs mcpscope's subcommand sub with args in process, as main
// does, and returns its exit status and output.
func runCLI(sub string, args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(context.Background(), append([]string{sub}, args...), &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestExportFormats(t *testing.T) {
	status, out, errOut := runCLI("export", exportSample, "--format", "har")
	if status != 0 {
		t.Fatalf("export --format har: %d %s", status, errOut)
	}
	var har struct {
		Log struct {
			Version string
			Creator struct{ Name, Version string }
			Entries []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &har); err != nil || har.Log.Version != "1.2" || har.Log.Creator.Name != "mcpscope" || har.Log.Creator.Version != version || len(har.Log.Entries) != 9 {
		t.Errorf("HAR on stdout: %v, %+v", err, har.Log.Creator)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("the HAR holds a credential")
	}

	status, out, errOut = runCLI("export", exportSample, "-f", "md", "-o", "-")
	if status != 0 || !strings.HasPrefix(out, "# mcpscope transcript") || !strings.Contains(out, "Source: `sample.jsonl`") {
		t.Errorf("export -f md -o -: %d %q %s", status, out[:min(len(out), 200)], errOut)
	}

	status, out, _ = runCLI("export", exportSample) // har by default
	if status != 0 || !strings.Contains(out, `"version": "1.2"`) {
		t.Errorf("export without --format: %d, want HAR", status)
	}
}

func TestExportToFileAndSession(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "one.jsonl")
	// the format follows the extension; a session by a unique prefix
	if status, stdout, errOut := runCLI("export", exportSample, "-o", out, "--session", "SESSION"); status != 0 || stdout != "" {
		t.Fatalf("export -o %s --session SESSION: %d stdout %q stderr %s", out, status, stdout, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if !strings.HasPrefix(lines[0], `{"format":"mcpscope-recording","version":1`) {
		t.Errorf("first line %s, want the recording header", lines[0])
	}
	sessions := map[string]int{}
	for _, l := range lines[1:] {
		var o struct {
			Type    string
			Session string
		}
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		sessions[o.Session]++
	}
	// SESSIONAAAA's observations, and its initialize exchange (conn-1).
	if sessions["SESSIONAAAA"] == 0 || sessions["conn-1"] != 3 || sessions[""] != 0 {
		t.Errorf("sessions exported: %v", sessions)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left in the output directory: %v", entries)
	}

	md := filepath.Join(dir, "bug.md")
	if status, _, errOut := runCLI("export", exportSample, "-o", md); status != 0 {
		t.Fatalf("export -o bug.md: %d %s", status, errOut)
	}
	if data, _ := os.ReadFile(md); !strings.HasPrefix(string(data), "# mcpscope transcript") {
		t.Errorf("-o bug.md did not write Markdown: %.100s", data)
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.jsonl")
	writeFile(t, broken, "{\"seq\":1,\"type\":\"message\",\"time\":\"2026-01-15T10:00:00Z\"}\nnot json\n{\"seq\":2,\"type\":\"message\",\"time\":\"2026-01-15T10:00:00Z\"}\n")
	existing := filepath.Join(dir, "keep.har")
	writeFile(t, existing, "keep me")
	cases := []struct {
		args   []string
		status int
		errOut string
	}{
		{[]string{exportSample, "--format", "pdf"}, 2, `unknown export format "pdf" (want one of: har, jsonl, markdown)`},
		{[]string{filepath.Join(dir, "missing.jsonl")}, 1, "reading recording: open"},
		{[]string{broken, "-o", existing}, 1, "broken.jsonl: line 2:"},
		{nil, 2, "want one recording FILE"},
		{[]string{exportSample, "extra"}, 2, "want one recording FILE, got 2"},
		{[]string{exportSample, "--session", "nope"}, 1, `no session "nope"; the recording has: conn-1, SESSIONAAAA`},
		{[]string{exportSample, "-o", filepath.Join(dir, "no", "such", "dir", "x.har")}, 1, "writing " + filepath.Join(dir, "no", "such", "dir", "x.har")},
		{[]string{exportSample, "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"--help"}, 0, "mcpscope export FILE"},
	}
	for _, c := range cases {
		status, out, errOut := runCLI("export", c.args...)
		if c.status == 0 { // --help, on stdout
			errOut = out
		}
		if status != c.status || !strings.Contains(errOut, c.errOut) {
			t.Errorf("export %v: status %d, stderr %q; want %d and %q", c.args, status, errOut, c.status, c.errOut)
		}
	}
	if data, _ := os.ReadFile(existing); string(data) != "keep me" {
		t.Errorf("a failed export overwrote its output: %q", data)
	}
}
