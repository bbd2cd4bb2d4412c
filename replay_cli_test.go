package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mcpscope/internal/mcpserver"
	"mcpscope/internal/mcptest"
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
