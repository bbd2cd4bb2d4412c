package bridge

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
)

// TestBridgePauseHoldsChild: a session paused in the engine reads nothing
// more from its child: a server that floods (2 MiB, far more than a pipe
// holds) blocks in its writes, nothing reaches the client; on resume
// every message arrives, in order, and the call returns.
func TestBridgePauseHoldsChild(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("bridge-flood"), nil)
	cs, rec := mcptest.Connect(t, ctx, mcpserver.Stateful, r.url, mcptest.ClientOptions{ProtocolVersion: "2025-06-18"})
	if err := r.p.PauseSession(cs.ID(), "test"); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "flood"})
		done <- answer{res, err}
	}()
	c := r.child(t, cs.ID())
	time.Sleep(500 * time.Millisecond)
	select {
	case a := <-done:
		t.Fatalf("the call returned while the session was paused: %+v", a)
	default:
	}
	if n := len(rec.Events(mcptest.MethodLog)); n != 0 {
		t.Errorf("%d messages reached the client while paused, want 0", n)
	}
	if last := c.lastStderrLine(); last == "flood written" {
		t.Error("the child wrote its whole flood while paused: nothing held it")
	}
	if err := r.p.ResumeSession(cs.ID(), "test"); err != nil {
		t.Fatal(err)
	}
	var a answer
	select {
	case a = <-done:
	case <-time.After(timeout):
		t.Fatal("the call did not return after resume")
	}
	if a.err != nil || a.res.Content[0].(*mcp.TextContent).Text != "flooded" {
		t.Fatalf("the call after resume: %+v %v", a.res, a.err)
	}
	logs, err := rec.Wait(mcptest.MethodLog, floodLines, timeout)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range logs {
		data, _ := e.Params.(*mcp.LoggingMessageParams).Data.(string)
		if !strings.HasPrefix(data, fmt.Sprint(i)+" ") {
			t.Fatalf("message %d after resume is %.20q…, want number %d: out of order", i, data, i)
		}
	}
}
