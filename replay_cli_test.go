package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestRecordThenReplayCLI records a session with --record, replays the
// file with `mcpscope replay`, and runs the same calls against it.
func TestRecordThenReplayCLI(t *testing.T) {
	file := filepath.Join(t.TempDir(), "session.jsonl")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", file}, `listening on http://(\S+)`)
	calls := func(endpoint string) []string {
		cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, endpoint, mcptest.ClientOptions{})
		defer cs.Close()
		var out []string
		for _, p := range []*mcp.CallToolParams{
			{Name: "echo", Arguments: map[string]any{"text": "one"}},
			{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 1}},
			{Name: "echo", Arguments: map[string]any{"text": "two"}},
		} {
			res, err := cs.CallTool(t.Context(), p)
			if err != nil {
				t.Fatalf("%s via %s: %v", p.Name, endpoint, err)
			}
			out = append(out, res.Content[0].(*mcp.TextContent).Text)
		}
		return out
	}
	live := calls("http://" + addrs[0] + "/mcp")
	stop()
	replayAddrs, _, stopReplay := startCLIStoppable(t, []string{"replay", file, "-l", "127.0.0.1:0", "--speed", "0"}, `listening on http://(\S+)`)
	defer stopReplay()
	replayed := calls("http://" + replayAddrs[0] + "/mcp")
	if len(replayed) != len(live) {
		t.Fatalf("replayed %v, live %v", replayed, live)
	}
	for i := range live {
		if replayed[i] != live[i] {
			t.Errorf("call %d: replay answered %q, live %q", i, replayed[i], live[i])
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
}

// TestReplayRefusesLegacyRecording records a session over the legacy
// HTTP+SSE transport, whose answers come on the /sse stream, not on the
// POSTs: replay cannot serve it, and must say so at start and exit
// non-zero (it once served the POSTs' empty 202s, and the client hung).
func TestReplayRefusesLegacyRecording(t *testing.T) {
	file := filepath.Join(t.TempDir(), "legacy.jsonl")
	up := mcptest.StartUpstream(t, mcpserver.LegacySSE)
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", file}, `listening on http://(\S+)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.LegacySSE, "http://"+addrs[0]+"/sse", mcptest.ClientOptions{})
	if _, err := cs.ListTools(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	cs.Close()
	stop()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	stderr := &syncBuffer{}
	status := run(ctx, []string{"replay", file, "-l", "127.0.0.1:0", "--speed", "0"}, io.Discard, stderr)
	if ctx.Err() != nil {
		t.Fatalf("replay served the legacy recording (until the test stopped it); stderr:\n%s", stderr.String())
	}
	if status == 0 || !strings.Contains(stderr.String(), "legacy HTTP+SSE") {
		t.Errorf("replay of a legacy recording: status %d, stderr %q; want a non-zero exit saying it cannot replay the legacy transport", status, stderr.String())
	}
}
