package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestQuitAnswersHeldRequests: a go-sdk client's tools/call is held at a
// breakpoint when mcpscope is stopped (as SIGTERM stops it, or q in the
// UI: both end in the same shutdown). The client's CallTool returns the
// JSON-RPC error mcpscope gives it, with the call's id, not a transport
// failure; and the shutdown does not wait for the breakpoint's timeout.
func TestQuitAnswersHeldRequests(t *testing.T) {
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, rulesFile, "- name: stop echo\n  match: tool:echo\n  action: breakpoint\n  timeout: 1h\n")
	found, stdout, stop := startCLIStoppable(t, []string{"-u", up.URL, "--headless", "-l", "127.0.0.1:0", "--rules", rulesFile}, `listening on http://(\S+)`)
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, "http://"+found[0]+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	called := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
		called <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "held at breakpoint h-1") {
		if time.Now().After(deadline) {
			t.Fatalf("the call was not held:\n%.3000s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	stop()
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("stopping took %v with a request held", took)
	}
	var err error
	select {
	case err = <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("CallTool did not return after mcpscope stopped")
	}
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != proxy.StoppedCode || rpcErr.Message != proxy.StoppedMessage {
		t.Fatalf("CallTool returned %v (%T), want the JSON-RPC error %d %q", err, err, proxy.StoppedCode, proxy.StoppedMessage)
	}
	if !strings.Contains(stdout.String(), "h-1: stopped by shutdown") {
		t.Errorf("the output does not record how the breakpoint ended:\n%.3000s", stdout.String())
	}
}
