package proxy_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) {
	if route := os.Getenv(benchChildEnv); route != "" { // a proxy for BenchmarkCPUProcess
		os.Exit(runBenchChild(route, os.Getenv(benchChildUpstreamEnv)))
	}
	goleak.VerifyTestMain(m)
}

// harness is a proxy in front of an upstream, both on loopback, with a
// client whose connections are closed when the test ends.
type harness struct {
	Proxy    *proxy.Proxy
	Seen     *observed // everything the proxy published
	URL      string    // the proxy's base URL
	Client   *http.Client
	Upstream *httptest.Server
}

// startProxy starts a proxy for upstream (a base URL) and registers its
// cleanup. configure, if not nil, adjusts the proxy before it serves.
func startProxy(t testing.TB, upstream string, configure func(*proxy.Proxy)) *harness {
	t.Helper()
	return startProxyKeeping(t, upstream, configure, nil)
}

// startProxyKeeping is startProxy whose observer keeps only what keep
// accepts (everything if keep is nil), for tests that measure memory.
func startProxyKeeping(t testing.TB, upstream string, configure func(*proxy.Proxy), keep func(*proxy.Observation) bool) *harness {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := proxy.New(u)
	tr := proxy.NewTransport(10 * time.Second)
	p.Transport = tr
	if configure != nil {
		configure(p)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seen := observe(p.Bus, keep)
	srv := p.NewServer()
	go srv.Serve(ln)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		srv.Close()
		tr.CloseIdleConnections()
		p.Bus.Close()
		<-seen.done
	})
	return &harness{Proxy: p, Seen: seen, URL: "http://" + ln.Addr().String(), Client: client}
}

// startUpstream starts a loopback upstream serving h, closed at cleanup
// (registered before the proxy's, so it runs after it).
func startUpstream(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// through starts an upstream serving h and a proxy in front of it.
func through(t testing.TB, h http.Handler, configure func(*proxy.Proxy)) *harness {
	t.Helper()
	up := startUpstream(t, h)
	hs := startProxy(t, up.URL, configure)
	hs.Upstream = up
	return hs
}

// observed collects what a bus publishes, as a UI would.
type observed struct {
	mu   sync.Mutex
	all  []*proxy.Observation
	done chan struct{}
	sub  *proxy.Subscription
}

// caughtUp reports whether the observer has taken everything published so
// far (memory tests measure once it has, or they count its queue).
func (o *observed) caughtUp() bool { return o.sub.Queued() == 0 }

func observe(bus *proxy.Bus, keep func(*proxy.Observation) bool) *observed {
	o := &observed{done: make(chan struct{})}
	sub := bus.Subscribe(1<<20, proxy.MaxBytes(256<<20)) // tests count on seeing everything: far past the default byte bound
	o.sub = sub
	go func() {
		defer close(o.done)
		for {
			batch, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			o.mu.Lock()
			for _, x := range batch {
				if keep == nil || keep(x) {
					o.all = append(o.all, x)
				}
			}
			o.mu.Unlock()
		}
	}()
	return o
}

// Matching returns the observations for which keep is true.
func (o *observed) Matching(keep func(*proxy.Observation) bool) []*proxy.Observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*proxy.Observation
	for _, x := range o.all {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// Await waits (up to 10 s) until at least n observations match keep, and
// returns all that match: the observer runs on its own goroutine, so what
// the proxy published may reach it a moment after the client saw the
// traffic.
func (o *observed) Await(t testing.TB, n int, keep func(*proxy.Observation) bool) []*proxy.Observation {
	t.Helper()
	var got []*proxy.Observation
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got = o.Matching(keep); len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}
