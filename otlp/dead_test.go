package otlp_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/otlp"
)

// A collector that is down (nothing listens) or hung (accepts, never
// answers) changes nothing for the client: more calls than the exporter's
// queue holds all complete promptly, while the spans are dropped, counted
// and said (a notice while it happens, the report at the end).
func TestDeadCollectorChangesNothingForTheClient(t *testing.T) {
	for _, tc := range []struct {
		name      string
		collector func(t *testing.T) string
		request   time.Duration // how long the exporter waits for an answer
		overflows bool          // a refused connection fails a batch at once: the queue keeps up
	}{
		{"closed port", deadPort, time.Second, false},
		{"never answers", silentCollector, 5 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer otlp.ShortTimings(tc.request)()
			var mu sync.Mutex
			var notices []string
			notice := func(s string) { mu.Lock(); notices = append(notices, s); mu.Unlock() }
			noticed := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), notices...) }

			up := mcptest.StartUpstream(t, mcpserver.Stateful)
			_, endpoint, stop := startProxy(t, up, otlp.Options{Endpoint: tc.collector(t), Notice: notice})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			sess, _ := mcptest.Connect(t, ctx, mcpserver.Stateful, endpoint, mcptest.ClientOptions{})
			calls := 2 * otlp.MaxQueueSize // more than the queue and the batch in export hold
			var slowest time.Duration
			start := time.Now()
			for i := range calls {
				t0 := time.Now()
				res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}, Meta: mcp.Meta{"traceparent": traceparent}})
				if err != nil || res.IsError {
					t.Fatalf("call %d: %v %+v", i, err, res)
				}
				slowest = max(slowest, time.Since(t0))
			}
			// Generous: a call through the proxy takes about a millisecond;
			// a proxy waiting on the hung collector would take its request
			// timeout (5 s) at least once.
			if slowest > 3*time.Second {
				t.Errorf("slowest of %d calls took %v (all: %v): the collector slowed the client", calls, slowest, time.Since(start))
			}
			said := func(what string) bool {
				return slices.ContainsFunc(noticed(), func(n string) bool { return strings.Contains(n, what) })
			}
			for deadline := time.Now().Add(15 * time.Second); !said("not accepted by") && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond)
			}
			if !said("not accepted by") {
				t.Errorf("no notice of the failing collector: %q", noticed())
			}
			sess.Close()
			t0 := time.Now()
			r := stop()
			if d := time.Since(t0); d > 8*time.Second {
				t.Errorf("stopping took %v: the shutdown must give up on the collector", d)
			}
			t.Logf("report: %s", r)
			if r.Spans < int64(calls) || r.Sent != 0 || r.Failed == 0 || r.Failed+r.Queue != r.Spans || !r.Lost() {
				t.Errorf("report %+v: want every span counted as failed or dropped, some failed", r)
			}
			if tc.overflows && !said("dropped unsent so far") {
				t.Errorf("no notice of the spans dropped unsent: %q", noticed())
			}
			if tc.overflows && r.Queue == 0 {
				t.Errorf("report %+v: %d spans in a burst must overflow a queue of %d while the collector is dead", r, r.Spans, otlp.MaxQueueSize)
			}
		})
	}
}
