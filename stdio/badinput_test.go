package stdio

import (
	"bufio"
	"crypto/sha256"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestNotJSONLineRelayedAsIs: a server line that is not JSON reaches the
// client byte for byte, and the engine flags it.
func TestNotJSONLineRelayedAsIs(t *testing.T) {
	e := newEngine(t)
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("notjson"), Judge: NewLocal(e.p, "notjson", 0)})
	x.send(t, `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	if got := x.line(t); got != mcptest.NotJSONLine {
		t.Errorf("first line %q, want %q", got, mcptest.NotJSONLine)
	}
	if got := x.line(t); got != `{"jsonrpc":"2.0","id":1,"result":{}}` {
		t.Errorf("answer %q", got)
	}
	bad := e.await(t, 1, func(o *proxy.Observation) bool { return o.Type == proxy.TypeMessage && o.Body == mcptest.NotJSONLine })
	if !bad[0].Has("invalid_json") {
		t.Errorf("the non-JSON line was observed with flags %v, want invalid_json", bad[0].Flags)
	}
	x.stdin.Close()
	if s := x.exit(t); s != 0 {
		t.Errorf("exit status %d, want 0", s)
	}
}

// TestHugeLineStreamsThrough: a 50 MiB line reaches the client byte for
// byte, streamed (wrap allocates far less than the line), followed by the
// next line; the engine is told its size, flagged oversized.
func TestHugeLineStreamsThrough(t *testing.T) {
	e := newEngine(t)
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("huge"), Judge: NewLocal(e.p, "huge", 0)})
	want := sha256.New()
	mcptest.WriteHugeLine(want, "7")
	want.Write([]byte("\n"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x.send(t, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"huge"}}`)
	got := sha256.New()
	n, err := copyLine(got, x.stdout)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("reading the huge line: %v after %d bytes", err, n)
	}
	if n != mcptest.HugeSize+1 || string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Errorf("the huge line arrived as %d bytes (want %d) with a different hash: not byte for byte", n, mcptest.HugeSize+1)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("relaying a 50 MiB line allocated %d MiB: buffered, not streamed", alloc>>20)
	}
	if next := x.line(t); !strings.Contains(next, `"after"`) {
		t.Errorf("the line after the huge one: %q", next)
	}
	big := e.await(t, 1, func(o *proxy.Observation) bool { return o.Has("oversized") })
	if big[0].Size != mcptest.HugeSize || big[0].Direction != proxy.ServerToClient || !strings.HasPrefix(big[0].Body, `{"jsonrpc":"2.0","id":7`) {
		t.Errorf("oversized observation: size %d (want %d), %s, body %.40q", big[0].Size, mcptest.HugeSize, big[0].Direction, big[0].Body)
	}
}

// copyLine copies one line from r to w through a small buffer.
func copyLine(w io.Writer, r *bufio.Reader) (int, error) {
	n := 0
	for {
		frag, err := r.ReadSlice('\n')
		w.Write(frag)
		n += len(frag)
		if err != bufio.ErrBufferFull {
			return n, err
		}
	}
}

// TestServerExitsMidCall: a server that exits with a request pending:
// the client gets a JSON-RPC error for it, and wrap exits with the
// server's status, though the client's stdin is still open.
func TestServerExitsMidCall(t *testing.T) {
	x := startWrap(t, &Wrap{Command: mcptest.StdioServerCommand("exit-mid-call")})
	x.send(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)
	if got := x.line(t); !strings.Contains(got, `"id":1,"result"`) {
		t.Fatalf("initialize answered %q", got)
	}
	x.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	x.send(t, `{"jsonrpc":"2.0","id":"call-2","method":"tools/call","params":{"name":"echo"}}`)
	got := x.line(t)
	if !strings.Contains(got, `"id":"call-2","error"`) || !strings.Contains(got, "mcpscope wrap: the server exited (status 3) before answering") {
		t.Errorf("pending request answered %q, want a JSON-RPC error saying the server exited (status 3)", got)
	}
	if s := x.exit(t); s != 3 {
		t.Errorf("exit status %d, want the server's 3", s)
	}
}

// TestCommandNotFound: a command that cannot start: stderr says so, each
// request is answered with a JSON-RPC error naming the command, and wrap
// exits 127 once stdin closes.
func TestCommandNotFound(t *testing.T) {
	x := startWrap(t, &Wrap{Command: []string{"/nonexistent/mcp-server", "--flag"}})
	x.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	x.send(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)
	got := x.line(t)
	if !strings.Contains(got, `"id":1,"error"`) || !strings.Contains(got, `cannot start \"/nonexistent/mcp-server --flag\"`) || !strings.Contains(got, "no such file") {
		t.Errorf("the request was answered %q, want an error naming the command and why", got)
	}
	x.stdin.Close()
	if s := x.exit(t); s != 127 {
		t.Errorf("exit status %d, want 127", s)
	}
	if !strings.Contains(x.stderr.String(), `mcpscope wrap: cannot start "/nonexistent/mcp-server --flag"`) {
		t.Errorf("stderr: %q", x.stderr.String())
	}
}
