package bridge

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) {
	mcptest.RunStdioServerIfAsked()
	goleak.VerifyTestMain(m)
}

const timeout = 10 * time.Second

// rig is a bridge in front of argv, served on loopback, with the engine
// it passes every line through. Cleanup closes the bridge (every child
// stopped and reaped), then the server.
type rig struct {
	p   *proxy.Proxy
	b   *Bridge
	url string // the MCP endpoint
}

func newRig(t *testing.T, argv []string, tweak func(*Bridge)) *rig {
	t.Helper()
	p := proxy.New(&url.URL{Scheme: "stdio", Opaque: "test"})
	b := &Bridge{Proxy: p, Command: argv, StopGrace: 5 * time.Second, Stderr: testWriter{t}}
	if tweak != nil {
		tweak(b)
	}
	srv := httptest.NewServer(b)
	t.Cleanup(func() {
		b.Close()
		srv.Close()
		p.Bus.Close()
	})
	return &rig{p: p, b: b, url: srv.URL + "/mcp"}
}

// child returns the process serving a session.
func (r *rig) child(t *testing.T, id string) *child {
	t.Helper()
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	s := r.b.sessions[id]
	if s == nil {
		t.Fatalf("no session %q in the bridge", id)
	}
	return s.child
}

// testWriter logs a child's stderr in the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("child stderr: %s", b)
	return len(b), nil
}
