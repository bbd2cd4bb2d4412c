package bridge

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"mcpscope/internal/mcpserver"
	"mcpscope/internal/mcptest"
	"mcpscope/rules"
)

// askFloodRequests is how many sampling requests bridge-ask-flood writes
// before it reads: their mocked answers are several pipes' worth.
const askFloodRequests = 3000

func init() { mcptest.RegisterStdioMode("bridge-ask-flood", serveAskFlood) }

// serveAskFlood answers initialize; at a tools/call it writes
// askFloodRequests sampling requests without reading its stdin (a
// single-threaded server), then reads their answers and answers the call
// with how many came.
func serveAskFlood() int {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(in.Bytes(), &m) != nil || m.ID == nil {
			continue
		}
		switch m.Method {
		case "initialize":
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"ask-flood","version":"1"}}}`+"\n", m.ID)
		case "tools/call":
			for i := 1; i <= askFloodRequests; i++ {
				fmt.Fprintf(out, `{"jsonrpc":"2.0","id":"s%d","method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}}`+"\n", i)
			}
			out.Flush()
			n := 0
			for n < askFloodRequests && in.Scan() {
				if strings.HasPrefix(in.Text(), `{"jsonrpc":"2.0","id":"s`) {
					n++
				}
			}
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"answers %d"}]}}`+"\n", m.ID, n)
		default:
			fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%s,"result":{}}`+"\n", m.ID)
		}
		out.Flush()
	}
	return 0
}

// TestBridgeMockedServerRequestsDoNotDeadlock: a rule answers a child's
// sampling requests in the client's place, and the child writes thousands
// before it reads a line. The bridge's reader must not wait on the child's
// stdin while the child waits on its stdout: the child gets every answer.
func TestBridgeMockedServerRequestsDoNotDeadlock(t *testing.T) {
	ctx := t.Context()
	r := newRig(t, mcptest.StdioServerCommand("bridge-ask-flood"), nil)
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
	want := fmt.Sprintf("answers %d", askFloodRequests)
	if got := res.Content[0].(*mcp.TextContent).Text; got != want {
		t.Errorf("the child said %q, want %q", got, want)
	}
}
