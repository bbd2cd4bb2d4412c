package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/recdiff"
)

// recordDiffRun records one go-sdk session through mcpscope --record: a
// fresh demo upstream of the kind, changed first by change (if not nil), and the
// client's usual steps, with between (if not nil) run between its two
// tools/list. It returns the recording's path.
func recordDiffRun(t *testing.T, kind mcpserver.Kind, name string, change func(*mcp.Server), between func(*mcp.Server, *mcptest.ClientRecorder)) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name+".jsonl")
	up := mcptest.StartUpstream(t, kind)
	if change != nil {
		change(up.Server)
	}
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", file}, `listening on http://(\S+)`)
	cs, rec := mcptest.Connect(t, t.Context(), kind, "http://"+addrs[0]+kind.Path(), mcptest.ClientOptions{})
	ctx := t.Context()
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if between != nil {
		between(up.Server, rec)
	}
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.ListPrompts(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); err != nil {
			t.Fatal(err)
		}
	}
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 2, "interval_ms": 1}}
	p.SetProgressToken(name) // a different token each run: _meta is ignored
	if _, err := cs.CallTool(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "Ada"}}); err != nil {
		t.Fatal(err)
	}
	cs.Close()
	stop()
	return file
}

// changedServer adds a tool, changes the input schema of log and makes
// echo answer differently.
func changedServer(s *mcp.Server) {
	mcp.AddTool(s, &mcp.Tool{Name: "added", Description: "New in B."}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{}, nil, nil
	})
	type logArgs struct {
		Count int    `json:"count" jsonschema:"number of log messages to send"`
		Level string `json:"level,omitempty"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "log", Description: "Send count log messages, then return."}, func(context.Context, *mcp.CallToolRequest, logArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Return text."}, func(_ context.Context, _ *mcp.CallToolRequest, in mcpserver.EchoArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.ToUpper(in.Text)}}}, nil, nil
	})
}

// addLater adds a tool mid-session and waits until the client heard of
// it (notifications/tools/list_changed).
func addLater(s *mcp.Server, rec *mcptest.ClientRecorder) {
	mcp.AddTool(s, &mcp.Tool{Name: "later", Description: "Added mid-session."}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{}, nil, nil
	})
	if _, err := rec.Wait(mcptest.MethodToolListChanged, 1, 10*time.Second); err != nil {
		panic(err) // a test helper without t: the test fails loudly
	}
}

// TestDiffSameSessionShape: two runs of the same session (progress
// tokens, session ids and timings differ) show no difference, exit 0, on
// every transport and the revision its client negotiates.
func TestDiffSameSessionShape(t *testing.T) {
	for _, kind := range mcpserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			a := recordDiffRun(t, kind, "a", nil, nil)
			b := recordDiffRun(t, kind, "b", nil, nil)
			status, out, errOut := runCLI("diff", a, b)
			if status != 0 || !strings.Contains(out, "no differences") || !strings.Contains(out, "tools: 6 in A, 6 in B, the same") ||
				!strings.Contains(out, "0 answered differently, 0 only in A, 0 only in B") {
				t.Errorf("diff of two runs: status %d, stderr %q\n%s", status, errOut, out)
			}
		})
	}
	a := recordDiffRun(t, mcpserver.Stateful, "a", nil, nil)
	b := recordDiffRun(t, mcpserver.Stateful, "b", nil, nil)
	status, out, errOut := runCLI("diff", a, b)
	if status != 0 || !strings.Contains(out, "no differences") || !strings.Contains(out, "tools: 6 in A, 6 in B, the same") ||
		!strings.Contains(out, "calls: 7 matched, 0 answered differently, 0 only in A, 0 only in B") || !strings.Contains(out, "tools/call echo") {
		t.Errorf("diff of two runs of one session shape: status %d, stderr %q\n%s", status, errOut, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour written to a buffer, not a terminal")
	}
}

// TestDiffReportsChanges: a tool added, an input schema changed and a
// result changed are each reported, exit 1; --ignore drops the result.
func TestDiffReportsChanges(t *testing.T) {
	a := recordDiffRun(t, mcpserver.Stateful, "a", nil, nil)
	b := recordDiffRun(t, mcpserver.Stateful, "b", changedServer, nil)
	status, out, errOut := runCLI("diff", a, b)
	for _, want := range []string{
		"tools: 6 in A, 7 in B",
		"  + added",
		"  ~ log: inputSchema",
		"inputSchema.properties.level: (none) → {\"type\":\"string\"}",
		"calls: 7 matched, 2 answered differently",
		`  ~ tools/call echo {"text":"hi"}`,
		`  ~ tools/call echo {"text":"hi"} (#2)`,
		`result.content.0.text: "hi" → "HI"`,
		"A and B differ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q", want)
		}
	}
	if status != 1 {
		t.Errorf("status %d, want 1; stderr %q", status, errOut)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line wider than 80 columns: %q", l)
		}
	}

	status, out, _ = runCLI("diff", a, b, "--ignore", "result.content.#.text")
	if status != 1 || !strings.Contains(out, "7 matched, 0 answered differently") {
		t.Errorf("--ignore result.content.#.text: status %d (want 1: the tools still differ)\n%s", status, out)
	}

	status, out, _ = runCLI("diff", a, b, "--format", "json")
	var r recdiff.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || status != 1 {
		t.Fatalf("--format json: status %d, %v\n%s", status, err, out)
	}
	if r.Calls.CountDiffer != 2 || len(r.Calls.Differ) != 2 || r.Calls.Differ[0].Details[0] != (recdiff.Difference{Path: "result.content.0.text", Before: `"hi"`, After: `"HI"`}) {
		t.Errorf("json calls = %+v", r.Calls)
	}
	if len(r.Lists) == 0 || r.Lists[0].List != recdiff.ListTools || len(r.Lists[0].Changes) != 2 {
		t.Errorf("json lists = %+v", r.Lists)
	}
	if status, out, _ := runCLI("diff", a, b, "-q"); status != 1 || out != "" {
		t.Errorf("-q: status %d, output %q", status, out)
	}
}

// TestDiffDriftWithinSession: a tool added mid-session (the server sends
// tools/list_changed, the client lists again) is drift, reported; the
// same drift in both recordings is no difference.
func TestDiffDriftWithinSession(t *testing.T) {
	a := recordDiffRun(t, mcpserver.Stateful, "a", nil, nil)
	b := recordDiffRun(t, mcpserver.Stateful, "b", nil, addLater)
	status, out, _ := runCLI("diff", a, b)
	if status != 1 || !strings.Contains(out, "drift within a session: not the same in A and B") ||
		!strings.Contains(out, "tools changed, after list_changed") || !strings.Contains(out, "    + later") {
		t.Errorf("drift in B only: status %d\n%s", status, out)
	}
	if !strings.Contains(out, "tools: 6 in A, 6 in B, the same") {
		t.Errorf("the first listings are the same; output:\n%s", out)
	}
	c := recordDiffRun(t, mcpserver.Stateful, "c", nil, addLater)
	status, out, _ = runCLI("diff", b, c)
	if status != 0 || !strings.Contains(out, "drift within a session: the same in A and B") {
		t.Errorf("the same drift in A and B: status %d\n%s", status, out)
	}
}

func TestDiffHelpAndErrors(t *testing.T) {
	dir := t.TempDir()
	good := exportSample
	broken := filepath.Join(dir, "broken.jsonl")
	writeFile(t, broken, "{\"seq\":1,\"type\":\"message\",\"time\":\"2026-01-15T10:00:00Z\"}\nnot json\n")
	cases := []struct {
		args        []string
		status      int
		out, errOut string
	}{
		{[]string{"--help"}, 0, "mcpscope diff A B", ""},
		{[]string{good}, 2, "", "want two recordings A and B, got 1"},
		{[]string{good, filepath.Join(dir, "missing.jsonl")}, 2, "", "reading recording: open"},
		{[]string{good, broken}, 2, "", "broken.jsonl: line 2:"},
		{[]string{good, good, "--ignore", "a..b"}, 2, "", `--ignore: ignore path "a..b" has an empty segment`},
		{[]string{good, good, "--format", "xml"}, 2, "", `unknown format "xml"`},
		{[]string{good, good, "--bogus"}, 2, "", "unknown flag: --bogus"},
		{[]string{good, good}, 0, "no differences", ""},
	}
	for _, c := range cases {
		status, out, errOut := runCLI("diff", c.args...)
		if status != c.status || !strings.Contains(out, c.out) || !strings.Contains(errOut, c.errOut) {
			t.Errorf("diff %v: status %d, stdout %.200q, stderr %q; want %d, %q, %q", c.args, status, out, errOut, c.status, c.out, c.errOut)
		}
	}
	if _, out, _ := runCLI("diff", "--help"); !strings.Contains(out, "Examples:") || !strings.Contains(out, "--ignore") {
		t.Errorf("--help lacks examples or flags:\n%s", out)
	}
}

// TestDiffStdioRecordings: two recordings of the same go-sdk stdio session
// (relayed through a Link, a server→client sampling request included)
// show no difference.
func TestDiffStdioRecordings(t *testing.T) {
	a := writeRecording(t, "a.jsonl", stdioObservations(t))
	b := writeRecording(t, "b.jsonl", stdioObservations(t))
	status, out, errOut := runCLI("diff", a, b)
	if status != 0 || !strings.Contains(out, "tools: 6 in A, 6 in B, the same") || !strings.Contains(out, "calls: 5 matched, 0 answered differently") ||
		!strings.Contains(out, "sampling/createMessage") || !strings.Contains(out, "no differences") {
		t.Errorf("diff of two stdio recordings: status %d, stderr %q\n%s", status, errOut, out)
	}
}
