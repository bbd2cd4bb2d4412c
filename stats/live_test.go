package stats_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/internal/mcpserver"
	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/stats"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The known delays of the tools the upstream serves.
const (
	fastDelay = 40 * time.Millisecond
	slowDelay = 150 * time.Millisecond
	calls     = 20 // p95 is then the 19th of 20: one outlier of a loaded machine does not move it
	// slack is the generous upper bound on what a loaded machine adds to
	// a delay (scheduling, the proxy, HTTP, -race): p50, then p95. The
	// lower bound is the delay itself.
	slack50 = 100 * time.Millisecond
	slack95 = 300 * time.Millisecond
)

// liveTable is a table fed from a proxy's bus by a goroutine, as the TUI
// feeds its own.
type liveTable struct {
	mu sync.Mutex
	t  *stats.Table
}

func (l *liveTable) do(f func(t *stats.Table)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.t)
}

// startProxy runs a proxy in front of up, and a table fed by its bus until
// the test ends.
func startProxy(t *testing.T, up *mcptest.Upstream, opts stats.Options) (endpoint string, lt *liveTable) {
	u, _ := url.Parse(up.URL)
	p := proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	sub := p.Bus.SubscribeLossless(64 << 20)
	lt = &liveTable{t: stats.New(opts)}
	ctx, cancel := context.WithCancel(context.Background())
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for {
			batch, err := sub.Next(ctx)
			if err != nil {
				return
			}
			lt.do(func(t *stats.Table) {
				for _, o := range batch {
					t.Observe(o)
				}
			})
		}
	}()
	ps := httptest.NewServer(p)
	t.Cleanup(func() {
		ps.CloseClientConnections()
		ps.Close()
		tr.CloseIdleConnections()
		cancel()
		<-fed
		sub.Close()
		p.Bus.Close()
	})
	return ps.URL + up.Kind.Path(), lt
}

// calling returns the calls that are not open streams (a sessionless
// client's subscriptions/listen stays open for the session).
func calling(pending []stats.Call) []stats.Call {
	var out []stats.Call
	for _, c := range pending {
		if !c.Stream {
			out = append(out, c)
		}
	}
	return out
}

// waitFor polls cond (under the table's lock) for up to 10 s.
func waitFor(t *testing.T, lt *liveTable, what string, cond func(t *stats.Table) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ok := false
		lt.do(func(t *stats.Table) { ok = cond(t) })
		if ok {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestLatencyOfKnownDelays calls two go-sdk tools of known delays through
// the proxy, for each kind of server (SSE answers, JSON answers,
// sessionless): each tool's count and percentiles match its delay (never
// below it), the tools/call row counts both, a slow call that reports
// progress is pending but not hung, and a call that never returns shows
// as pending with a growing age, hung past HungAfter.
func TestLatencyOfKnownDelays(t *testing.T) {
	for _, kind := range []mcpserver.Kind{mcpserver.Stateful, mcpserver.StatefulJSON, mcpserver.Stateless} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			up := mcptest.StartUpstream(t, kind)
			mcptest.AddDelayTool(up.Server, "fast", fastDelay)
			mcptest.AddDelayTool(up.Server, "slow", slowDelay)
			release := mcptest.AddHangTool(up.Server, "hang")
			t.Cleanup(release)
			endpoint, lt := startProxy(t, up, stats.Options{HungAfter: 300 * time.Millisecond})
			cs, _ := mcptest.Connect(t, t.Context(), kind, endpoint, mcptest.ClientOptions{})

			var wg sync.WaitGroup
			for _, tool := range []string{"fast", "slow"} {
				wg.Go(func() {
					for range calls {
						if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool}); err != nil {
							t.Errorf("calling %s: %v", tool, err)
						}
					}
				})
			}
			wg.Wait()
			waitFor(t, lt, "every call answered", func(t *stats.Table) bool {
				r, _ := t.Row("tools/call")
				return r.Answered == 2*calls
			})
			lt.do(func(tb *stats.Table) {
				for _, c := range []struct {
					key   string
					delay time.Duration
				}{{"tools/call:fast", fastDelay}, {"tools/call:slow", slowDelay}} {
					r, ok := tb.Row(c.key)
					if !ok || r.Count != calls || r.Answered != calls || r.Errors != 0 || r.Pending != 0 {
						t.Errorf("%s: %+v, want %d calls answered without error", c.key, r, calls)
					}
					t.Logf("%s: p50 %v, p95 %v, p99 %v (delay %v)", c.key, r.P50, r.P95, r.P99, c.delay)
					for q, slack := range map[float64]time.Duration{0.5: slack50, 0.95: slack95} {
						p, ok := tb.Percentile(c.key, q)
						if !ok || p < c.delay || p > c.delay+slack {
							t.Errorf("%s p%.0f = %v, want within [%v, %v]", c.key, q*100, p, c.delay, c.delay+slack)
						}
					}
					if r.ReqBytes == 0 || r.RespBytes == 0 {
						t.Errorf("%s: bytes %d in, %d out", c.key, r.ReqBytes, r.RespBytes)
					}
				}
				if p, _ := tb.Percentile("tools/call", 0.95); p < slowDelay {
					t.Errorf("tools/call p95 = %v, want at least the slow tool's %v", p, slowDelay)
				}
				if p, _ := tb.Percentile("tools/call", 0.25); p < fastDelay || p > fastDelay+slack50 {
					t.Errorf("tools/call p25 = %v, want the fast tool's %v", p, fastDelay)
				}
			})

			// A slow call that reports progress is alive, not hung.
			progressed := make(chan error, 1)
			go func() {
				p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{"count": 8, "interval_ms": 100}}
				p.SetProgressToken("tok")
				_, err := cs.CallTool(t.Context(), p)
				progressed <- err
			}()
			var alive stats.Call
			waitFor(t, lt, "the progress call 450 ms old", func(t *stats.Table) bool {
				for _, c := range t.Pending(time.Now()) {
					if c.Key == "tools/call:progress" && c.Age >= 450*time.Millisecond {
						alive = c
						return true
					}
				}
				return false
			})
			if alive.Hung || alive.Progress < 2 || alive.Idle >= alive.Age {
				t.Errorf("a call reporting progress every 100 ms: %+v; want not hung (HungAfter 300 ms), its progress counted", alive)
			}
			if err := <-progressed; err != nil {
				t.Fatal(err)
			}
			waitFor(t, lt, "the progress call answered", func(t *stats.Table) bool {
				r, _ := t.Row("tools/call:progress")
				return r.Answered == 1
			})

			hung := make(chan *mcp.CallToolResult, 1)
			go func() {
				res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "hang"})
				if err != nil {
					t.Errorf("the hung call, released: %v", err)
				}
				hung <- res
			}()
			var first stats.Call
			waitFor(t, lt, "the hung call pending", func(t *stats.Table) bool {
				p := calling(t.Pending(time.Now()))
				if len(p) == 1 {
					first = p[0]
				}
				return len(p) == 1
			})
			if first.Key != "tools/call:hang" {
				t.Errorf("pending %+v, want the call of hang", first)
			}
			time.Sleep(400 * time.Millisecond)
			lt.do(func(tb *stats.Table) {
				all := tb.Snapshot(time.Now()).Pending
				for _, c := range all {
					if c.Stream && (c.Hung || c.Key != "subscriptions/listen") {
						t.Errorf("pending %+v: an open stream is never hung, and only subscriptions/listen is one", c)
					}
				}
				pending := calling(all)
				if len(pending) != 1 {
					t.Fatalf("pending %+v, want the call of hang", pending)
				}
				c := pending[0]
				if c.Age < first.Age+400*time.Millisecond || !c.Hung || c.Ended != "" {
					t.Errorf("pending call %+v, then %+v: want its age grown by the 400 ms slept, hung, not ended", first, c)
				}
				if r, _ := tb.Row("tools/call:hang"); r.Pending != 1 || r.Answered != 0 {
					t.Errorf("hang row %+v, want 1 pending", r)
				}
			})
			release()
			if res := <-hung; res == nil || !res.IsError {
				t.Errorf("the hung call returned %+v, want the tool's error once released", res)
			}
			waitFor(t, lt, "the released call answered", func(t *stats.Table) bool {
				r, _ := t.Row("tools/call:hang")
				return r.Answered == 1
			})
			lt.do(func(tb *stats.Table) {
				if r, _ := tb.Row("tools/call:hang"); r.Pending != 0 || r.ToolErrors != 1 || r.Errors != 0 {
					t.Errorf("hang row %+v, want answered with a tool error (isError), not pending", r)
				}
			})
		})
	}
}
