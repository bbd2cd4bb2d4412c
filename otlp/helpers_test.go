package otlp_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/internal/otlptest"
	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Aliases of the shared fixture (internal/otlptest).
type collector = otlptest.Collector

var (
	startCollector  = otlptest.Start
	spansOf         = otlptest.SpansOf
	attr            = otlptest.Attr
	named           = otlptest.Named
	deadPort        = func(t *testing.T) string { return otlptest.DeadURL(t) }
	silentCollector = func(t *testing.T) string { return otlptest.Silent(t) }
)

// startProxy runs a proxy in front of up with a live exporter to
// endpoint; stop stops the exporter (once) and returns its report. The
// proxy and the exporter end with the test.
func startProxy(t *testing.T, up *mcptest.Upstream, opts otlp.Options) (p *proxy.Proxy, endpoint string, stop func() otlp.Report) {
	t.Helper()
	u, _ := url.Parse(up.URL)
	p = proxy.New(u)
	tr := proxy.NewTransport(0)
	p.Transport = tr
	if opts.Version == "" {
		opts.Version = "test"
	}
	if opts.Propagator != nil {
		p.Propagate = opts.Propagator.Rewrite
	}
	live, err := otlp.Start(p.Bus, opts)
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	var once sync.Once
	var report otlp.Report
	stop = func() otlp.Report {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			report = live.Stop(ctx)
		})
		return report
	}
	t.Cleanup(func() {
		ps.CloseClientConnections()
		ps.Close()
		tr.CloseIdleConnections()
		stop()
		p.Bus.Close()
	})
	return p, ps.URL + u.Path, stop
}
