package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/linkrec"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
)

// writeRecording writes obs to a recording file in the test's directory.
func writeRecording(t *testing.T, name string, obs []*proxy.Observation) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := (record.Exporter{}).WriteJSONL(f, obs); err != nil {
		t.Fatal(err)
	}
	return file
}

// stdioObservations is a recording of a go-sdk stdio session (initialize,
// linkrec.Script) relayed through a Link named "node server.js".
func stdioObservations(t *testing.T) []*proxy.Observation {
	return linkrec.Record(t, "node server.js", "2025-11-25", func(ctx context.Context, cs *mcp.ClientSession) { linkrec.Script(t, ctx, cs) })
}

// TestExportStdioRecording: a recording of a stdio session exports as
// Markdown (headed with its command) and JSONL (the session alone, by
// id); as HAR it is refused with a clear error and a non-zero status, and
// nothing on stdout.
func TestExportStdioRecording(t *testing.T) {
	obs := stdioObservations(t)
	file := writeRecording(t, "stdio.jsonl", obs)
	status, out, errOut := runCLI("export", file, "--format", "markdown")
	if status != 0 || !strings.Contains(out, "## Session `stdio-1` · stdio `node server.js`") || !strings.Contains(out, "0 HTTP exchanges") {
		t.Errorf("export --format markdown: %d %s\n%s", status, errOut, out)
	}
	status, out, errOut = runCLI("export", file, "--format", "jsonl", "--session", "stdio")
	if lines := strings.Count(out, "\n"); status != 0 || lines != len(obs)+1 {
		t.Errorf("export --format jsonl --session stdio: %d, %d lines (want a header and %d); %s", status, lines, len(obs), errOut)
	}
	status, out, errOut = runCLI("export", file, "--format", "har")
	_, messages := record.StdioTraffic(obs)
	if status == 0 || out != "" || !strings.Contains(errOut, "holds only stdio traffic, 1 stdio session (") || !strings.Contains(errOut, "--format markdown or --format jsonl") {
		t.Errorf("export --format har of stdio only: status %d, stdout %q, stderr %q; want an error naming the stdio session and the formats to use", status, out, errOut)
	}
	if !strings.Contains(errOut, "("+strconv.Itoa(messages)+" messages)") {
		t.Errorf("stderr %q does not count the %d messages", errOut, messages)
	}
}

// TestExportHARWithStdio: a recording holding HTTP and stdio sessions
// exports its HTTP exchanges as HAR and says on stderr what it left out.
func TestExportHARWithStdio(t *testing.T) {
	var obs []*proxy.Observation
	if err := record.ReadFile(exportSample, func(o *record.Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	stdio := stdioObservations(t)
	for _, o := range stdio {
		o.Seq += 1000
	}
	_, messages := record.StdioTraffic(stdio)
	file := writeRecording(t, "mixed.jsonl", append(obs, stdio...))
	status, out, errOut := runCLI("export", file, "--format", "har")
	var har struct{ Log struct{ Entries []any } }
	if err := json.Unmarshal([]byte(out), &har); status != 0 || err != nil || len(har.Log.Entries) != 9 {
		t.Fatalf("export --format har: status %d, %v, %d entries (want the sample's 9); %s", status, err, len(har.Log.Entries), errOut)
	}
	want := "the HAR leaves out 1 stdio session (" + strconv.Itoa(messages) + " messages)"
	if !strings.Contains(errOut, want) || !strings.Contains(errOut, "--format markdown") {
		t.Errorf("stderr %q; want %q and the formats to use", errOut, want)
	}
}
