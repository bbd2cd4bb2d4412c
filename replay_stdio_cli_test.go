package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/linkrec"
	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// replayStdioClient launches `mcpscope replay FILE --stdio` as a client
// launches its server (mcp.CommandTransport), runs linkrec.Script and a
// call the recording cannot answer, closes, and returns what the script
// saw, the progress notifications, the unanswerable call's error, and
// mcpscope's stderr. It fails t unless the process exited 0 on its own
// when the client closed its stdin.
func replayStdioClient(t *testing.T, file, version string) (seen []string, progress int64, unanswered error, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	argv := mcpscopeCommand("replay", file, "--stdio", "--speed", "0")
	cmd := exec.Command(argv[0], argv[1:]...)
	var errOut syncBuffer
	cmd.Stderr = &errOut
	var n atomic.Int64
	cs, err := linkrec.Client(&n).Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 10 * time.Second}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connecting to mcpscope replay --stdio: %v; stderr:\n%s", err, errOut.String())
	}
	seen = linkrec.Script(t, ctx, cs)
	_, unanswered = cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "never recorded"}})
	if err := cs.Close(); err != nil {
		t.Errorf("closing the client: %v", err)
	}
	if st := cmd.ProcessState; st == nil || !st.Exited() || st.ExitCode() != 0 {
		t.Errorf("mcpscope replay --stdio after the client closed stdin: %v, want exit status 0 (not a signal); stderr:\n%s", st, errOut.String())
	}
	return seen, n.Load(), unanswered, errOut.String()
}

// checkReplayed compares what a client saw of the replay with the live
// session.
func checkReplayed(t *testing.T, live, replayed []string, progress int64, unanswered error, stderr string) {
	t.Helper()
	if strings.Join(replayed, "|") != strings.Join(live, "|") {
		t.Errorf("replayed over stdio %q, live %q", replayed, live)
	}
	if !strings.Contains(live[0], "echo") || live[1] != "echo: one" {
		t.Errorf("the live session was not what the test expects: %q", live)
	}
	if progress != 3 {
		t.Errorf("the replay sent %d progress notifications, want the 3 recorded", progress)
	}
	if unanswered == nil || !strings.Contains(unanswered.Error(), "no recorded request matches tools/call") {
		t.Errorf("a call the recording cannot answer ended with %v, want a JSON-RPC error naming it", unanswered)
	}
	if !strings.Contains(stderr, "answering on stdin/stdout") {
		t.Errorf("stderr %q: want the replay to say what it serves", stderr)
	}
}

// TestReplayStdioCLIStdioRecording: a recording of a go-sdk stdio session
// (relayed through a proxy.Link, as wrap records) answers a go-sdk client
// that launches `mcpscope replay FILE --stdio`.
func TestReplayStdioCLIStdioRecording(t *testing.T) {
	var live []string
	obs := linkrec.Record(t, "node server.js", "", func(ctx context.Context, cs *mcp.ClientSession) { live = linkrec.Script(t, ctx, cs) })
	file := writeRecording(t, "stdio.jsonl", obs)
	replayed, progress, unanswered, stderr := replayStdioClient(t, file, "")
	checkReplayed(t, live, replayed, progress, unanswered, stderr)

	var errOut syncBuffer
	if status := run(t.Context(), []string{"replay", file, "--stdio", "-l", "127.0.0.1:0"}, &errOut, &errOut); status != 2 || !strings.Contains(errOut.String(), "--listen is for HTTP") {
		t.Errorf("replay --stdio -l: status %d, output %q; want 2 and why", status, errOut.String())
	}
}

// TestReplayStdioCLIHTTPRecording: a recording made over Streamable HTTP
// with --record answers over stdio too: progress from the POST's SSE
// stream comes before the answer.
func TestReplayStdioCLIHTTPRecording(t *testing.T) {
	file := filepath.Join(t.TempDir(), "http.jsonl")
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	addrs, _, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--record", file}, `listening on http://(\S+)`)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cs, err := linkrec.Client(nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://" + addrs[0] + "/mcp"}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	live := linkrec.Script(t, ctx, cs)
	cs.Close()
	stop()
	replayed, progress, unanswered, stderr := replayStdioClient(t, file, "")
	checkReplayed(t, live, replayed, progress, unanswered, stderr)
}
