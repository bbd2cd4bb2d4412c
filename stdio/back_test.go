package stdio

import (
	"fmt"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/rules"
)

// TestMockedServerRequestsDoNotDeadlock: a rule answers a server's
// requests in the client's place, and the server writes thousands of them
// before it reads a line (as a single-threaded server may). The answers
// must not wait on the server's stdin while its stdout waits on wrap: the
// server gets every answer. (A 64 KiB window keeps the test small: wrap's
// reader stops after a window, as it would after 1 MiB.)
func TestMockedServerRequestsDoNotDeadlock(t *testing.T) {
	e := newEngine(t)
	set, err := rules.Parse([]byte("rules:\n  - name: answer sampling\n    match: method:sampling/createMessage\n    action: mock\n    result: {role: assistant, content: {type: text, text: mocked answer to a sampling request}, model: m}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.p.SetRules(set)
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("ask-flood"), Judge: NewLocal(e.p, "ask-flood", 64<<10), Window: 64 << 10})
	x.send(t, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ask"}}`)
	want := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"answers %d"}]}}`, mcptest.AskFloodRequests)
	if got := x.line(t); got != want {
		t.Fatalf("the client got %.120q, want the server's count of answers: %s", got, want)
	}
	x.stdin.Close()
	if s := x.exit(t); s != 0 {
		t.Errorf("exit status %d", s)
	}
}
