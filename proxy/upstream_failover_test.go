package proxy_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestFailoverToTheNextUpstream: two go-sdk servers behind one mcpscope.
// The first goes away; the client's next call through mcpscope succeeds on
// the second with the same proxy session (mcpscope re-ran the recorded
// initialize there), reaches it exactly once, and new sessions start there.
func TestFailoverToTheNextUpstream(t *testing.T) {
	first := mcptest.StartUpstream(t, mcpserver.Stateful)
	second := mcptest.StartUpstream(t, mcpserver.Stateful)
	hs := startProxy(t, first.URL, func(p *proxy.Proxy) {
		u, err := url.Parse(second.URL)
		if err != nil {
			t.Fatal(err)
		}
		p.Fallbacks = []*url.URL{u}
	})
	cs, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	before := cs.ID()
	echo := func(cs *mcp.ClientSession, text string) string {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
		if err != nil {
			t.Fatalf("echo %q: %v", text, err)
		}
		return res.Content[0].(*mcp.TextContent).Text
	}
	echo(cs, "on the first")
	first.Close()
	if got := echo(cs, "on the second"); got != "on the second" {
		t.Errorf("after the first upstream went away echo = %q", got)
	}
	if cs.ID() != before {
		t.Errorf("the client's session changed from %s to %s", before, cs.ID())
	}
	if n := second.Methods()["tools/call"]; n != 1 || len(second.Duplicates()) > 0 {
		t.Errorf("the second upstream got %d tool calls (duplicates %v), want exactly 1", n, second.Duplicates())
	}
	if n := second.Methods()["initialize"]; n != 1 {
		t.Errorf("the second upstream saw %d initialize, want mcpscope's repeat of the client's", n)
	}
	moved := hs.Seen.Await(t, 1, func(o *proxy.Observation) bool {
		return o.Type == proxy.TypeSession && strings.HasPrefix(o.Reason, "re-initialized on")
	})
	if len(moved) != 1 || moved[0].Session != before {
		t.Errorf("failover observations: %v", moved)
	} else if !strings.Contains(moved[0].Reason, "refused the connection") && !strings.Contains(moved[0].Reason, "closed the connection") {
		t.Errorf("failover reason %q does not say what happened to the first upstream", moved[0].Reason)
	}
	// A new client starts on the second upstream directly.
	cs2, _ := mcptest.Connect(t, t.Context(), mcpserver.Stateful, hs.URL+"/mcp", mcptest.ClientOptions{DisableStandaloneSSE: true})
	echo(cs2, "new session")
	if n := second.Methods()["initialize"]; n != 2 {
		t.Errorf("the second upstream saw %d initialize after a new client came, want 2", n)
	}
}
