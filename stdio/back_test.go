package stdio

import (
	"bufio"
	"fmt"
	"os"
	"testing"

	"mcpscope/internal/mcptest"
	"mcpscope/rules"
)

// askFloodRequests is how many sampling requests the ask-flood server
// writes before it reads: their mocked answers (≈ 100 B each) are several
// times a pipe's 64 KiB.
const askFloodRequests = 3000

func init() { mcptest.RegisterStdioMode("ask-flood", serveAskFlood) }

// serveAskFlood is a single-threaded server that writes askFloodRequests
// sampling requests without reading its stdin, then reads the answers and
// says how many came.
func serveAskFlood() int {
	out := bufio.NewWriter(os.Stdout)
	for i := 1; i <= askFloodRequests; i++ {
		fmt.Fprintf(out, `{"jsonrpc":"2.0","id":%d,"method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}}`+"\n", i)
	}
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	n := 0
	for n < askFloodRequests && in.Scan() {
		n++
	}
	fmt.Printf(`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"answers %d"}}`+"\n", n)
	return 0
}

// TestMockedServerRequestsDoNotDeadlock: a rule answers a server's
// requests in the client's place, and the server writes many of them
// before it reads a line (as a single-threaded server may). The answers
// must not wait on the server's stdin while its stdout waits on wrap: the
// server gets every answer and wrap relays its last line.
func TestMockedServerRequestsDoNotDeadlock(t *testing.T) {
	e := newEngine(t)
	set, err := rules.Parse([]byte("rules:\n  - name: answer sampling\n    match: method:sampling/createMessage\n    action: mock\n    result: {role: assistant, content: {type: text, text: mocked answer to a sampling request}, model: m}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.p.SetRules(set)
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("ask-flood"), Judge: NewLocal(e.p, "ask-flood", 64<<10), Window: 64 << 10})
	want := fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"answers %d"}}`, askFloodRequests)
	if got := x.line(t); got != want {
		t.Fatalf("the client got %.120q, want the server's count of answers: %s", got, want)
	}
	x.stdin.Close()
	if s := x.exit(t); s != 0 {
		t.Errorf("exit status %d", s)
	}
}
