package bridge

import (
	"fmt"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/rules"
)

// TestBridgeMockedServerRequestsDoNotDeadlock: a rule answers a child's
// sampling requests in the client's place, and the child writes thousands
// before it reads a line. The bridge's reader must not wait on the child's
// stdin while the child waits on its stdout: the child gets every answer.
func TestBridgeMockedServerRequestsDoNotDeadlock(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("ask-flood"), nil)
	set, err := rules.Parse([]byte("rules:\n  - name: answer sampling\n    match: method:sampling/createMessage\n    action: mock\n    result: {role: assistant, content: {type: text, text: mocked answer to a sampling request}, model: m}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r.p.SetRules(set)
	cs, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, r.url, mcptest.ClientOptions{ProtocolVersion: "2025-06-18"})
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask"})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("answers %d", mcptest.AskFloodRequests)
	if got := res.Content[0].(*mcp.TextContent).Text; got != want {
		t.Errorf("the child said %q, want %q", got, want)
	}
}
