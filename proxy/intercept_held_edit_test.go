package proxy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestEditedRequestAnswerCarriesEditedMethod is issue 14: when a
// breakpoint edit changed a request's method, its answer was labelled with
// the method the client sent, not the one the upstream answered.
func TestEditedRequestAnswerCarriesEditedMethod(t *testing.T) {
	_, hs, cs, _ := sdkThrough(t, mcpserver.Stateful, `
- name: hold ping
  match: method:ping kind:request
  action: breakpoint
  timeout: 20s
`)
	done := make(chan error, 1)
	go func() { done <- cs.Ping(t.Context(), nil) }()
	var held []proxy.HeldInfo
	waitFor(t, func() bool { held = hs.Proxy.Held(); return len(held) == 1 })
	edited := strings.Replace(held[0].Message, `"ping"`, `"tools/list"`, 1)
	if edited == held[0].Message {
		t.Fatalf("no method to edit in %s", held[0].Message)
	}
	if err := hs.Proxy.ResumeHeld(held[0].ID, edited, "test"); err != nil {
		t.Fatal(err)
	}
	<-done // the client gets the tools/list result as its ping's answer: whatever it makes of it
	answers := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Direction == proxy.ServerToClient && o.Kind == proxy.KindResult && o.RequestSeq == held[0].Seq
	})
	if answers[0].Method != "tools/list" {
		t.Errorf("the answer to the edited request is labelled %q, want tools/list", answers[0].Method)
	}
}

// TestRuleBreakpointTimeoutApplies: when a breakpoint's timeout passes,
// its on_timeout applies (here: the rule's error answers the call).
func TestRuleBreakpointTimeoutApplies(t *testing.T) {
	up, _, cs, _ := sdkThrough(t, mcpserver.Stateful, `
- name: hold echo
  match: tool:echo
  action: breakpoint
  timeout: 100ms
  on_timeout: error
  error: {code: -32042, message: "held too long"}
`)
	start := time.Now()
	_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != -32042 {
		t.Errorf("the held call returned %v, want the rule's error once the timeout passed", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("the call returned after %v, before the timeout", took)
	}
	if n := up.Methods()["tools/call"]; n != 0 {
		t.Errorf("the timed-out call reached the upstream %d times", n)
	}
}
