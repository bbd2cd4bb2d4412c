package otlp_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/mcpscope/mcpscope/internal/mcptest"
	"github.com/mcpscope/mcpscope/otlp"
	"github.com/mcpscope/mcpscope/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// collector is an OTLP/HTTP receiver on loopback that decodes what it is
// sent with the official OTLP definitions: protobuf, or OTLP JSON.
type collector struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	requests []*coltracepb.ExportTraceServiceRequest
	bodies   int
	errs     []string
}

func startCollector(t *testing.T) *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	c.URL = c.srv.URL
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	req := &coltracepb.ExportTraceServiceRequest{}
	if err == nil {
		if r.URL.Path != "/v1/traces" {
			err = &url.Error{Op: "path", URL: r.URL.Path, Err: io.EOF}
		} else if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			err = otlp.UnmarshalJSON(body, req)
		} else {
			err = proto.Unmarshal(body, req)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bodies++
	if err != nil {
		c.errs = append(c.errs, err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.requests = append(c.requests, req)
	w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
	w.WriteHeader(http.StatusOK) // an empty ExportTraceServiceResponse
}

// spans returns every span received so far, failing t if a request did
// not decode.
func (c *collector) spans(t *testing.T) []*tracepb.Span {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		t.Fatalf("the collector could not decode what it was sent: %v", c.errs)
	}
	return spansOf(c.requests...)
}

func spansOf(reqs ...*coltracepb.ExportTraceServiceRequest) []*tracepb.Span {
	var out []*tracepb.Span
	for _, r := range reqs {
		for _, rs := range r.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				out = append(out, ss.Spans...)
			}
		}
	}
	return out
}

// attr returns the string form of a span's (or event's) attribute, and
// whether it is set.
func attr(kvs []*commonpb.KeyValue, key string) (string, bool) {
	for _, kv := range kvs {
		if kv.Key != key {
			continue
		}
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			return v.StringValue, true
		case *commonpb.AnyValue_IntValue:
			return strconv.FormatInt(v.IntValue, 10), true
		case *commonpb.AnyValue_DoubleValue:
			return strconv.FormatFloat(v.DoubleValue, 'g', -1, 64), true
		}
		return kv.Value.String(), true
	}
	return "", false
}

// named returns the spans called name.
func named(spans []*tracepb.Span, name string) []*tracepb.Span {
	var out []*tracepb.Span
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

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

// deadPort returns a loopback address where nothing listens.
func deadPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// silentCollector accepts connections and reads requests but never
// answers; closing it (at cleanup) drops them.
func silentCollector(t *testing.T) string {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}
