package otlp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/otlp"
)

// bodyRecorder records the bodies of the requests a client sends.
type bodyRecorder struct {
	mu     sync.Mutex
	bodies []string
	next   http.RoundTripper
}

func (r *bodyRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	return r.next.RoundTrip(req)
}

// Exporting spans changes nothing on the wire: the request carrying the
// client's traceparent reaches the server byte for byte as the client sent
// it (mcpscope reads the trace context, it does not write one).
func TestSpansLeaveTheWireUntouched(t *testing.T) {
	col := startCollector(t)
	up := mcptest.StartUpstream(t, mcpserver.Stateful)
	_, endpoint, stop := startProxy(t, up, otlp.Options{Endpoint: col.URL})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	rec := &bodyRecorder{next: tr}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, endpoint, mcptest.ClientOptions{HTTPClient: &http.Client{Transport: rec}})
	callWithTrace(t, ctx, sess, 1)
	sess.Close()
	if r := stop(); r.Sent == 0 || r.Lost() {
		t.Fatalf("report %s", r)
	}

	traced := func(bodies []string) []string {
		var out []string
		for _, b := range bodies {
			if strings.Contains(b, "traceparent") {
				out = append(out, b)
			}
		}
		return out
	}
	rec.mu.Lock()
	sent := traced(rec.bodies)
	rec.mu.Unlock()
	var upBodies []string
	for _, r := range up.Requests() {
		upBodies = append(upBodies, r.Body)
	}
	got := traced(upBodies)
	if len(sent) != 1 || len(got) != 1 {
		t.Fatalf("want one traced request each way: client sent %q, server got %q", sent, got)
	}
	if got[0] != sent[0] {
		t.Errorf("the server got\n%s\nthe client sent\n%s", got[0], sent[0])
	}
	if len(named(col.Spans(t), "tools/call progress")) != 1 {
		t.Errorf("no span for the call")
	}
}
