package checks_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rig is a proxy with the checks running, and an observer that keeps
// everything the bus carries (findings included).
type rig struct {
	URL    string
	Proxy  *proxy.Proxy
	mu     sync.Mutex
	all    []*proxy.Observation
	stop   func()
	closed chan struct{}
}

// startChecked starts a proxy to upstream on loopback with checks.Start
// attached, as mcpscope runs it; t.Cleanup stops everything.
func startChecked(t testing.TB, upstream string, opts checks.Options) *rig {
	t.Helper()
	return startCheckedWith(t, upstream, opts, nil)
}

// startCheckedWith is startChecked with configure applied to the proxy
// first (rules, say).
func startCheckedWith(t testing.TB, upstream string, opts checks.Options, configure func(*proxy.Proxy)) *rig {
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
	r := &rig{Proxy: p, closed: make(chan struct{})}
	sub := p.Bus.Subscribe(1<<20, proxy.MaxBytes(256<<20))
	go func() {
		defer close(r.closed)
		for {
			batch, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			r.mu.Lock()
			r.all = append(r.all, batch...)
			r.mu.Unlock()
		}
	}()
	r.stop = checks.Start(p.Bus, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := p.NewServer()
	go srv.Serve(ln)
	r.URL = "http://" + ln.Addr().String()
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
		r.stop()
		p.Bus.Close()
		<-r.closed
	})
	return r
}

// findings returns the findings published so far.
func (r *rig) findings() []*proxy.Observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*proxy.Observation
	for _, o := range r.all {
		if o.Type == proxy.TypeFinding {
			out = append(out, o)
		}
	}
	return out
}

// count returns how many observations were published so far.
func (r *rig) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all)
}

// observation returns the observation with seq.
func (r *rig) observation(seq uint64) *proxy.Observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.all {
		if o.Seq == seq {
			return o
		}
	}
	return nil
}

// settle waits until the checks have had time to judge what waits on
// time (the grace, a tick), then a little more.
func settle(d time.Duration) { time.Sleep(d + 600*time.Millisecond) }

// describe lists findings for a failure message.
func describe(fs []*proxy.Observation) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s [%s] %s (about #%d, %s %s)", f.Finding.Rule, f.Finding.Revision, f.Finding.Message, f.Finding.About, f.Finding.Section, f.Finding.URL)
	}
	return b.String()
}

var _ = http.MethodPost
