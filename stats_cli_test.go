package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/stats"
)

// TestStatsOfARecording records a go-sdk session through the CLI
// (--record): tools of known delays, a tools/list and a call that never
// returns. mcpscope stats FILE gives each tool's count and percentiles
// (never below the delay), the hung call with the time it had waited
// when the recording ended, and the tools' context cost, as text and JSON.
func TestStatsOfARecording(t *testing.T) {
	file := filepath.Join(t.TempDir(), "session.jsonl")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	mcptest.AddDelayTool(up.Server, "fast", 40*time.Millisecond)
	mcptest.AddDelayTool(up.Server, "slow", 150*time.Millisecond)
	t.Cleanup(mcptest.AddHangTool(up.Server, "hang"))
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", file}, `listening on http://(\S+)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+addrs[0]+"/mcp", mcptest.ClientOptions{})
	if _, err := cs.ListTools(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"fast", "slow", "fast", "slow", "fast", "slow"} {
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	hung := make(chan struct{})
	go func() {
		defer close(hung)
		cs.CallTool(ctx, &mcp.CallToolParams{Name: "hang"})
	}()
	time.Sleep(1200 * time.Millisecond)
	// Something after the wait, so the recording ends 1.2 s after the hung call began.
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "still here"}}); err != nil {
		t.Fatal(err)
	}
	stop()
	cancel()
	<-hung

	status, out, errOut := runCLI("stats", file, "--hung-after", "1s")
	if status != 0 {
		t.Fatalf("stats: %d %s", status, errOut)
	}
	for _, want := range []string{"METHOD / TOOL", "tools/call", "  fast", "  slow", "PENDING (1; hung after 1s)", "HUNG", "tools/call:hang", "CONTEXT COST", "bytes/4"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats text lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if w := len([]rune(line)); w > 80 {
			t.Errorf("a line of %d columns (want ≤ 80): %q", w, line)
		}
	}

	status, out, errOut = runCLI("stats", file, "--format", "json", "--hung-after", "1s")
	if status != 0 {
		t.Fatalf("stats --format json: %d %s", status, errOut)
	}
	var snap stats.Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatalf("stats --format json: %v\n%s", err, out)
	}
	rows := map[string]stats.Row{}
	for _, r := range snap.Rows {
		rows[r.Key] = r
	}
	for key, delay := range map[string]time.Duration{"tools/call:fast": 40 * time.Millisecond, "tools/call:slow": 150 * time.Millisecond} {
		r := rows[key]
		if r.Count != 3 || r.Answered != 3 || r.P50 < delay || r.P95 < delay || r.P95 > delay+300*time.Millisecond {
			t.Errorf("%s: %+v, want 3 calls with p50 and p95 in [%v, %v]", key, r, delay, delay+300*time.Millisecond)
		}
	}
	if r := rows["tools/call"]; r.Count != 8 || r.Pending != 1 {
		t.Errorf("tools/call: %+v, want 8 calls, 1 pending", r)
	}
	if len(snap.Pending) != 1 || snap.Pending[0].Key != "tools/call:hang" || !snap.Pending[0].Hung || snap.Pending[0].Age < 1200*time.Millisecond {
		t.Errorf("pending %+v, want the call of hang, hung, at least 1.2 s old", snap.Pending)
	}
	var fast *stats.ToolCost
	for i, tc := range snap.Context.Tools {
		if tc.Name == "fast" {
			fast = &snap.Context.Tools[i]
		}
	}
	if snap.Context.Lists < 1 || fast == nil || fast.DefinitionBytes == 0 || fast.DescriptionBytes != len("Sleep 40ms, then return.") || fast.Results != 3 {
		t.Errorf("context cost %+v (fast: %+v)", snap.Context, fast)
	}
}

// TestStatsCLIUsageAndErrors: --help on stdout with examples; a missing
// file, a bad line, a bad format say what is wrong and exit non-zero.
func TestStatsCLIUsageAndErrors(t *testing.T) {
	status, out, _ := runCLI("stats", "--help")
	if status != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--hung-after") {
		t.Errorf("stats --help: %d %q", status, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"seq":1,"type":"message"}`+"\n{oops\n"+`{"seq":3,"type":"message"}`+"\n"), 0o600)
	for _, c := range []struct {
		args   []string
		status int
		want   string
	}{
		{nil, 2, "want one recording FILE"},
		{[]string{"/nonexistent/rec.jsonl"}, 1, "/nonexistent/rec.jsonl"},
		{[]string{bad}, 1, "bad.jsonl: line 2"},
		{[]string{exportSample, "--format", "xml"}, 2, `unknown format "xml"`},
		{[]string{exportSample, "--hung-after", "0s"}, 2, "--hung-after must be positive"},
	} {
		status, _, errOut := runCLI("stats", c.args...)
		if status != c.status || !strings.Contains(errOut, c.want) {
			t.Errorf("stats %v: %d %q, want %d and %q", c.args, status, errOut, c.status, c.want)
		}
	}
	if status, out, errOut := runCLI("stats", exportSample); status != 0 || !strings.Contains(out, "METHOD / TOOL") {
		t.Errorf("stats of the sample: %d %q %q", status, out, errOut)
	}
}

// TestStatsOfAWrappedStdioSession: the figures come from a stdio session
// as well (mcpscope wrap --record, a go-sdk stdio server): the progress
// tool, sleeping 2 × 50 ms between its 3 notifications, answers in no less
// than 100 ms, and the tools/list result gives the context cost.
func TestStatsOfAWrappedStdioSession(t *testing.T) {
	file := filepath.Join(t.TempDir(), "wrap.jsonl")
	argv := mcpscopeCommand(append([]string{"wrap", "--hub", "off", "--record", file, "--"}, mcptest.StdioServerCommand("sdk")...)...)
	cs, cmd := launch(t, argv)
	if _, err := cs.ListTools(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 3, "interval_ms": 50}}); err != nil {
			t.Fatal(err)
		}
	}
	closeAndReap(t, cs, cmd)

	status, out, errOut := runCLI("stats", file, "--format", "json")
	if status != 0 {
		t.Fatalf("stats: %d %s", status, errOut)
	}
	var snap stats.Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	var progress *stats.Row
	for i, r := range snap.Rows {
		if r.Key == "tools/call:progress" {
			progress = &snap.Rows[i]
		}
	}
	if progress == nil || progress.Count != 2 || progress.Answered != 2 || progress.P50 < 100*time.Millisecond || progress.P50 > 400*time.Millisecond {
		t.Errorf("tools/call:progress = %+v, want 2 calls answered in [100, 400] ms", progress)
	}
	if len(snap.Pending) != 0 || snap.Context.Lists != 1 || snap.Context.DefinitionBytes == 0 {
		t.Errorf("pending %+v, context %+v: want none pending, one tools/list with definitions", snap.Pending, snap.Context)
	}
}
