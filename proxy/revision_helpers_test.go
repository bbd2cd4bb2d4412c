package proxy_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
)

// wireTap is a client transport that keeps what the client sent (method
// and headers) and the bytes of every response body it read, so tests can
// look at the wire under a go-sdk client.
type wireTap struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []*http.Request // clones without bodies
	body bytes.Buffer    // every response body read, in order of reading
}

// tappedClient returns a client sending through a new wireTap, whose idle
// connections are closed at cleanup.
func tappedClient(t *testing.T) (*http.Client, *wireTap) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	tap := &wireTap{next: tr}
	return &http.Client{Transport: tap}, tap
}

func (w *wireTap) RoundTrip(r *http.Request) (*http.Response, error) {
	w.mu.Lock()
	w.reqs = append(w.reqs, r.Clone(r.Context()))
	w.mu.Unlock()
	resp, err := w.next.RoundTrip(r)
	if err == nil {
		resp.Body = &tappedBody{ReadCloser: resp.Body, tap: w}
	}
	return resp, err
}

type tappedBody struct {
	io.ReadCloser
	tap *wireTap
}

func (b *tappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.tap.mu.Lock()
	b.tap.body.Write(p[:n])
	b.tap.mu.Unlock()
	return n, err
}

// received returns every response byte the client read.
func (w *wireTap) received() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.body.String()
}

// idLines returns the SSE id fields the client received.
func (w *wireTap) idLines() []string {
	var ids []string
	for _, line := range strings.Split(strings.ReplaceAll(w.received(), "\r\n", "\n"), "\n") {
		if strings.HasPrefix(line, "id:") {
			ids = append(ids, line)
		}
	}
	return ids
}

// sent counts the requests the client sent with method, and those of them
// that carried Last-Event-ID.
func (w *wireTap) sent(method string) (n, resuming int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.reqs {
		if r.Method == method {
			n++
			if r.Header.Get("Last-Event-ID") != "" {
				resuming++
			}
		}
	}
	return n, resuming
}

// revisionRig is a go-sdk Stateless upstream, and a go-sdk client on
// version connected to it directly (hs nil) or through mcpscope configured
// by configure, its wire tapped.
type revisionRig struct {
	up  *mcptest.Upstream
	hs  *harness
	cs  *mcp.ClientSession
	rec *mcptest.ClientRecorder
	tap *wireTap
}

// routes are the two ways a client reaches the upstream in these tests.
var bothRoutes = []string{"direct", "mcpscope"}

func startRevisionRig(t *testing.T, route, version string, configure func(*proxy.Proxy), before func(up *mcptest.Upstream)) *revisionRig {
	t.Helper()
	rig := &revisionRig{up: mcptest.StartUpstream(t, mcpserver.Stateless)}
	if before != nil {
		before(rig.up)
	}
	endpoint := rig.up.URL
	if route == "mcpscope" {
		rig.hs = startProxy(t, rig.up.URL, configure)
		endpoint = rig.hs.URL + "/mcp"
	}
	client, tap := tappedClient(t)
	rig.tap = tap
	rig.cs, rig.rec = mcptest.Connect(t, t.Context(), mcpserver.Stateless, endpoint, mcptest.ClientOptions{ProtocolVersion: version, HTTPClient: client})
	if got := rig.cs.InitializeResult().ProtocolVersion; got != version {
		t.Fatalf("negotiated %q, want %q", got, version)
	}
	return rig
}

// combine applies each configuration in turn.
func combine(fs ...func(*proxy.Proxy)) func(*proxy.Proxy) {
	return func(p *proxy.Proxy) {
		for _, f := range fs {
			if f != nil {
				f(p)
			}
		}
	}
}

// snapshot returns everything observed so far.
func (o *observed) snapshot() []*proxy.Observation {
	return o.Matching(func(*proxy.Observation) bool { return true })
}
