package proxy_test

// The benchmarks of issue 2 compare three routes in one run, all on
// 127.0.0.1, with the same hand-written upstream and the same client:
//
//   - direct:       client → upstream
//   - reverseproxy: client → httputil.ReverseProxy (FlushInterval -1, a
//     proxy.NewTransport transport) → upstream
//   - mcpscope:     client → proxy.Proxy, with a bus subscriber that drains
//     and counts every observation → upstream
//
// Every route's numbers include the upstream and the client, which run in
// the same process; the proxy's own share is the route's number minus
// direct's, reported as "proxy-…" metrics. direct runs first in every
// benchmark so the subtraction can use it (see baseline). Results and the
// command that produced them: docs/BENCHMARKS.md.

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

var routes = []string{"direct", "reverseproxy", "mcpscope"}

// rig is one route in front of an upstream, with a client. Close tears it
// all down: streams must have ended (or their bodies been closed) first.
type rig struct {
	URL     string // where the client sends requests
	Client  *http.Client
	Session string // the Mcp-Session-Id the route issued at initialize

	mcpscope bool         // the route is mcpscope: the counters below count
	Observed atomic.Int64 // SSE event observations the subscriber received
	Closed   atomic.Int64 // stream_closed observations the subscriber received

	proxyLog lockedBuffer   // what httputil.ReverseProxy logged
	handlers sync.WaitGroup // upstream handlers running
	closers  []func()
}

// newRig starts an upstream serving h and, unless route is direct, a
// proxy of that kind in front of it. Its teardown is registered with
// b.Cleanup.
func newRig(b testing.TB, route string, h http.Handler) *rig {
	b.Helper()
	r := &rig{}
	upURL, closeUpstream := serve(b, &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			r.handlers.Add(1)
			defer r.handlers.Done()
			if req.URL.Path == initPath {
				initialize(w, req)
				return
			}
			h.ServeHTTP(w, req)
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	})
	u, err := url.Parse(upURL)
	if err != nil {
		b.Fatal(err)
	}
	// Teardown order: the front server (its streams end, cancelling theirs
	// upstream), the proxy's transport, the bus and its subscriber, then
	// the upstream, waiting for its handlers.
	switch route {
	case "direct":
		r.URL = upURL
	case "reverseproxy":
		tr := proxy.NewTransport(0)
		rp := &httputil.ReverseProxy{
			Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
			FlushInterval: -1,
			Transport:     tr,
			ErrorLog:      log.New(&r.proxyLog, "", 0),
		}
		var closeFront func()
		r.URL, closeFront = serve(b, &http.Server{Handler: rp, ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(io.Discard, "", 0)})
		r.closers = append(r.closers, closeFront, tr.CloseIdleConnections)
	case "mcpscope-bare":
		tr := proxy.NewTransport(0)
		p := proxy.New(u)
		p.Transport = tr
		var closeFront func()
		r.URL, closeFront = serve(b, p.NewServer())
		r.closers = append(r.closers, closeFront, tr.CloseIdleConnections)
	case "mcpscope", "mcpscope+rules50", "mcpscope+record", "mcpscope+checks":
		tr := proxy.NewTransport(0)
		p := proxy.New(u)
		p.Transport = tr
		configureRoute(b, route, p, &r.closers)
		r.mcpscope = true
		done := r.drain(p.Bus)
		var closeFront func()
		r.URL, closeFront = serve(b, p.NewServer())
		r.closers = append(r.closers, closeFront, tr.CloseIdleConnections, p.Bus.Close, func() { <-done })
	default:
		closeUpstream()
		b.Fatalf("unknown route %q", route)
	}
	r.closers = append(r.closers, closeUpstream, r.handlers.Wait)
	r.Client = &http.Client{Transport: &http.Transport{
		DisableCompression:  true,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
	}}
	b.Cleanup(r.close)
	r.initialize(b)
	return r
}

// initPath is where the benchmarks initialize their session; the upstream
// answers it (see initialize) whatever handler it serves.
const initPath = "/init"

// initialize answers an initialize request as a Streamable HTTP server
// does: a JSON result and a new session id.
func initialize(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Mcp-Session-Id", "upstream-session-1")
	io.WriteString(w, `{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"bench","version":"1"}}}`)
}

// initialize opens the MCP session every request of the benchmark then
// names: mcpscope answers unknown session ids with 404, and maps the one it
// issues here to the upstream's.
func (r *rig) initialize(b testing.TB) {
	body := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`
	req, err := http.NewRequest(http.MethodPost, r.URL+initPath, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := r.Client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r.Session = resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || r.Session == "" {
		b.Fatalf("initialize: status %d, session id %q", resp.StatusCode, r.Session)
	}
}

// ProxyLog returns the last lines httputil.ReverseProxy logged (at most
// 1 KiB).
func (r *rig) ProxyLog() string { return r.proxyLog.String() }

// lockedBuffer keeps the last KiB written to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) > 1<<10 {
		l.buf = append(l.buf[:0], l.buf[len(l.buf)-1<<10:]...)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// serve serves srv on a fresh loopback port. It returns the base URL and
// a func that closes the server and waits for Serve to return.
func serve(b testing.TB, srv *http.Server) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { srv.Close(); <-served }
}

// drain subscribes a headless consumer that counts what it reads and does
// no I/O. The returned channel closes when the bus does.
func (r *rig) drain(bus *proxy.Bus) <-chan struct{} {
	sub := bus.Subscribe(0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		countObservations(sub, &r.Observed, &r.Closed)
	}()
	return done
}

// countObservations counts the SSE event and stream_closed observations sub
// delivers until it closes. It borrows (NextBorrowed): it reads each batch
// once, as the recorder and the headless printer do.
func countObservations(sub *proxy.Subscription, events, closed *atomic.Int64) {
	count := func(batch []*proxy.Observation) error {
		for _, o := range batch {
			switch o.Type {
			case proxy.TypeSSEEvent:
				events.Add(1)
			case proxy.TypeStreamClosed:
				closed.Add(1)
			}
		}
		return nil
	}
	for sub.NextBorrowed(context.Background(), count) == nil {
	}
}

// reportObserved reports, for mcpscope, the share of events the
// subscriber received ("observed-%"): the bus is lossy for events when a
// subscriber falls behind. It first waits for the streams' stream_closed
// observations, which come after their events.
func (r *rig) reportObserved(b *testing.B, streams, events int) {
	if !r.mcpscope {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Closed.Load() < int64(streams) {
		if time.Now().After(deadline) {
			b.Fatalf("saw %d stream_closed observations after 10 s, want %d", r.Closed.Load(), streams)
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(100*float64(r.Observed.Load())/float64(events), "observed-%")
}

func (r *rig) close() {
	r.Client.CloseIdleConnections()
	for _, c := range r.closers {
		c()
	}
}

// get opens a GET stream as a Streamable HTTP client opens its standalone
// stream (with a session id, so mcpscope files it as a GET stream).
func (r *rig) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", r.Session)
	return r.Client.Do(req)
}

// readAll reads body to its end with a 32 KiB buffer and returns how many
// bytes came.
func readAll(body io.Reader, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := body.Read(buf)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ioSyscalls is the process's read and write system calls so far (from
// /proc/self/io), or ok false where the kernel does not tell.
func ioSyscalls() (reads, writes int64, ok bool) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	for line := range strings.Lines(string(data)) {
		name, value, _ := strings.Cut(strings.TrimSpace(line), ": ")
		n, _ := strconv.ParseInt(value, 10, 64)
		switch name {
		case "syscr":
			reads = n
		case "syscw":
			writes = n
		}
	}
	return reads, writes, true
}

// baseline remembers direct's result per benchmark so the proxy routes,
// which run after it in the same benchmark function, can subtract it.
var baseline sync.Map // key string → float64

func setBaseline(key string, v float64) { baseline.Store(key, v) }

// reportCPU reports cpu (ns per event) as cpu-ns/event and, for a proxy,
// minus direct's under key as proxy-cpu-ns/event; direct's becomes the
// baseline.
func reportCPU(b *testing.B, route, key string, cpu float64) {
	b.ReportMetric(cpu, "cpu-ns/event")
	if route == "direct" {
		setBaseline(key, cpu)
	} else {
		reportOverDirect(b, key, cpu, "proxy-cpu-ns/event")
	}
}

func reportOverDirect(b *testing.B, key string, v float64, unit string) {
	if d, ok := baseline.Load(key); ok {
		b.ReportMetric(v-d.(float64), unit)
	}
}

// liveMemory returns the live heap and the goroutine stacks in use after
// a full collection.
func liveMemory() (heap, stack int64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc), int64(ms.StackInuse)
}

// sizeName names an event size as the issue does: 256B, 16KiB.
func sizeName(size int) string {
	if size >= 1<<10 && size%(1<<10) == 0 {
		return strconv.Itoa(size>>10) + "KiB"
	}
	return strconv.Itoa(size) + "B"
}
