package checks_test

import (
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/rules"
)

// TestResumedStreamHasNoFindings: a rule cuts a go-sdk server's progress
// stream; the go-sdk client resumes it with Last-Event-ID and the server
// redelivers from there. Nothing of that is a finding: what a resumed
// stream carries may have been seen before.
func TestResumedStreamHasNoFindings(t *testing.T) {
	set, err := rules.Parse([]byte(`
- name: flaky
  match: method:notifications/progress
  action: cut
  after: 6
`), "cut.yaml")
	if err != nil {
		t.Fatal(err)
	}
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	r := startCheckedWith(t, up.URL, checks.Options{Grace: 200 * time.Millisecond}, func(p *proxy.Proxy) { p.SetRules(set) })
	cs := connect(t, mcpserver.Stateful, r.URL+"/mcp", "2025-11-25")
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 12, "interval_ms": 5}}
	p.SetProgressToken("tok")
	if res, err := cs.CallTool(t.Context(), p); err != nil || res.Content[0].(*mcp.TextContent).Text != "done 12" {
		t.Fatalf("progress through a cut: %+v %v", res, err)
	}
	cs.Close()
	settle(200 * time.Millisecond)
	cut := false
	r.mu.Lock()
	for _, o := range r.all {
		cut = cut || o.Type == proxy.TypeStreamClosed && len(o.Reason) > 10 && o.Reason[:10] == "cut by rul"
	}
	r.mu.Unlock()
	if !cut {
		t.Fatal("no stream was cut: the test did not resume anything")
	}
	if fs := r.findings(); len(fs) > 0 {
		t.Errorf("a resumed session has findings:%s", describe(fs))
	}
}
