package proxy_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/proxy"
)

// panicAfterFirst passes a GET stream's first read through, then waits for
// trigger and panics with value: a fault on the way from the upstream's
// body to the client, in a stream handed over to a goroutine of its own.
type panicAfterFirst struct {
	io.ReadCloser
	reads   int
	trigger <-chan struct{}
	value   any
}

func (b *panicAfterFirst) Read(p []byte) (int, error) {
	if b.reads++; b.reads == 1 {
		return b.ReadCloser.Read(p)
	}
	<-b.trigger
	panic(b.value)
}

// panickingGETs wraps the proxy's transport so GET streams' bodies panic
// (panicAfterFirst) once trigger is closed.
type panickingGETs struct {
	next    http.RoundTripper
	trigger chan struct{}
	value   any
}

func (t *panickingGETs) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodGet {
		resp.Body = &panicAfterFirst{ReadCloser: resp.Body, trigger: t.trigger, value: t.value}
	}
	return resp, err
}

// logSink is a log destination a logger and a test share.
type logSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHandedOverStreamPanicIsRecovered: a panic in a stream handed over
// (handover.go), which net/http no longer recovers, is logged with its
// stack, resets the client's connection, ends the upstream request and
// the stream's goroutine, and the proxy goes on serving. A panic with
// http.ErrAbortHandler is a quiet abort: not logged.
func TestHandedOverStreamPanicIsRecovered(t *testing.T) {
	for _, tc := range []struct {
		name   string
		value  any
		logged bool
	}{{"panic", "a refcount bug", true}, {"abort", http.ErrAbortHandler, false}} {
		t.Run(tc.name, func(t *testing.T) {
			upstreamDone := make(chan time.Time, 2)
			trigger := make(chan struct{})
			var log logSink
			hs := through(t, idleUntilGone(upstreamDone), func(p *proxy.Proxy) {
				p.Transport = &panickingGETs{next: p.Transport, trigger: trigger, value: tc.value}
				p.Logger = slog.New(slog.NewTextHandler(&log, nil))
			})
			c := openIdleGET(t, hs.URL)
			defer c.Close()
			close(trigger)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, c); err == nil {
				t.Error("the client's connection ended cleanly, want a reset")
			}
			select {
			case <-upstreamDone:
			case <-time.After(5 * time.Second):
				t.Fatal("upstream request still open 5s after the stream panicked")
			}
			waitFor(t, func() bool { return hs.Proxy.Settled() && hs.Proxy.Drain(t.Context()) == nil })
			got := log.String()
			if logged := strings.Contains(got, "a refcount bug") && strings.Contains(got, "goroutine"); logged != tc.logged {
				t.Errorf("panic logged with its stack: %v, want %v; log:\n%s", logged, tc.logged, got)
			}
			if !tc.logged && strings.Contains(got, "panic") {
				t.Errorf("a quiet abort was logged:\n%s", got)
			}
			resp, err := hs.Client.Post(hs.URL+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
			if err != nil {
				t.Fatalf("the proxy stopped serving after the panic: %v", err)
			}
			resp.Body.Close()
		})
	}
	goleak.VerifyNone(t)
}
