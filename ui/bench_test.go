package ui_test

// Issue 4: "The UI must not slow the proxy: with the TUI attached, SSE
// throughput stays at least 0.9× of --headless and added latency does not
// double."
//
// Both benchmarks stream SSE through a real proxy.Proxy on 127.0.0.1, from
// a hand-written upstream (one Write and one Flush per 256-byte
// notifications/progress event) to a client in the same process (one
// sessionless POST whose answer is the stream), with one observer on the
// proxy's bus, as the CLI wires it (display.go):
//
//   - display=none:     no subscriber (the bus is inactive, observations
//     are not even built); a reference, not a mode of the CLI
//   - display=headless: record.WriteJSONLines to io.Discard, as --headless
//     does (minus the write to stdout)
//   - display=tui:      the real ui.Run (bridge, Bubble Tea program,
//     renderer at 60 fps) on *proxy.Proxy as its engine, 120×40, output to
//     a writer that discards it
//
// Both observers get a bus queue of 1<<16, as in the CLI. Both are lossy
// for events when they fall behind; "dropped-%" reports the share of
// events the observer missed (the status bar's count for the TUI, the
// dropped observations for headless).
//
// BenchmarkTUIThroughput: one op is one event; one stream carries b.N
// events as fast as the route takes them. Metrics: events/s; cpu-ns/event,
// the process's user+system CPU time per event (upstream, proxy, observer
// and client together); and on tui "x-headless", its events/s over the
// median of headless's runs.
//
// BenchmarkTUILatency: one op is one event at a steady 1000 events/s;
// latency is from the upstream's Write to the client's read of the event,
// p50 and p99 in µs. display=direct is the client reading the upstream
// with no proxy; the others report "added-p50-µs" and "added-p99-µs" over
// it (its median), and tui reports its added latency over headless's
// (median) as "added-p50-x-headless" and "added-p99-x-headless".
//
// Results and the commands: docs/BENCHMARKS.md.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/ui"
)

const benchEventSize = 256

func BenchmarkTUIThroughput(b *testing.B) {
	for _, display := range []string{"none", "headless", "tui"} {
		b.Run("display="+display, func(b *testing.B) {
			r := newBenchRig(b, display)
			b.SetBytes(benchEventSize)
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			resp, err := r.open("/firehose?n=" + strconv.Itoa(b.N))
			if err != nil {
				b.Fatal(err)
			}
			got, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			b.StopTimer()
			if err != nil || got != int64(b.N)*benchEventSize {
				b.Fatalf("read %d bytes, want %d (err %v)", got, b.N*benchEventSize, err)
			}
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "events/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
			r.reportDropped(b, b.N)
			switch display {
			case "headless":
				baselines.add(b.N, "throughput/headless", rate)
			case "tui":
				if h, ok := baselines.median("throughput/headless"); ok {
					b.ReportMetric(rate/h, "x-headless")
				}
			}
		})
	}
}

func BenchmarkTUILatency(b *testing.B) {
	const rate = 1000
	for _, display := range []string{"direct", "none", "headless", "tui"} {
		b.Run("display="+display, func(b *testing.B) {
			r := newBenchRig(b, display)
			b.ResetTimer()
			resp, err := r.open("/paced?n=" + strconv.Itoa(b.N) + "&rate=" + strconv.Itoa(rate))
			if err != nil {
				b.Fatal(err)
			}
			lat, err := readLatencies(resp.Body, b.N)
			resp.Body.Close()
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			slices.Sort(lat)
			p50, p99 := percentile(lat, 50), percentile(lat, 99)
			b.ReportMetric(float64(p50)/1e3, "p50-µs")
			b.ReportMetric(float64(p99)/1e3, "p99-µs")
			r.reportDropped(b, b.N)
			if display == "direct" {
				baselines.add(b.N, "latency/direct/p50", float64(p50))
				baselines.add(b.N, "latency/direct/p99", float64(p99))
				return
			}
			d50, ok50 := baselines.median("latency/direct/p50")
			d99, ok99 := baselines.median("latency/direct/p99")
			if !ok50 || !ok99 {
				return
			}
			added50, added99 := float64(p50)-d50, float64(p99)-d99
			b.ReportMetric(added50/1e3, "added-p50-µs")
			b.ReportMetric(added99/1e3, "added-p99-µs")
			switch display {
			case "headless":
				baselines.add(b.N, "latency/headless/p50", added50)
				baselines.add(b.N, "latency/headless/p99", added99)
			case "tui":
				if h, ok := baselines.median("latency/headless/p50"); ok {
					b.ReportMetric(added50/h, "added-p50-x-headless")
				}
				if h, ok := baselines.median("latency/headless/p99"); ok {
					b.ReportMetric(added99/h, "added-p99-x-headless")
				}
			}
		})
	}
}

// baselines keeps the figures of every direct and headless run in this
// process, which run before tui's, for the ratios. With -count=N a
// sub-benchmark runs N times in a row, so ratios are taken over the
// median of all the baseline's runs, not just the last. Runs of fewer
// than 100 events (the testing package probing b.N) are left out.
var baselines = &medians{runs: map[string][]float64{}}

type medians struct {
	mu   sync.Mutex
	runs map[string][]float64
}

func (m *medians) add(events int, key string, v float64) {
	if events < 100 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs[key] = append(m.runs[key], v)
}

func (m *medians) median(key string) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := slices.Sorted(slices.Values(m.runs[key]))
	switch n := len(vs); {
	case n == 0:
		return 0, false
	case n%2 == 1:
		return vs[n/2], true
	default:
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
}

// benchRig is an upstream, and unless display is direct a proxy in front
// of it with the display's observer.
type benchRig struct {
	url     string
	client  *http.Client
	dropped atomic.Int64 // events the observer missed, as it was told
	closers []func()
}

func newBenchRig(b *testing.B, display string) *benchRig {
	b.Helper()
	r := &benchRig{client: &http.Client{Transport: &http.Transport{DisableCompression: true}}}
	b.Cleanup(r.close)
	upURL := r.serve(b, &http.Server{Handler: benchUpstream(), ErrorLog: log.New(io.Discard, "", 0)})
	if display == "direct" {
		r.url = upURL
		return r
	}
	u, err := url.Parse(upURL)
	if err != nil {
		b.Fatal(err)
	}
	tr := proxy.NewTransport(0)
	p := proxy.New(u)
	p.Transport = tr
	r.closers = append(r.closers, tr.CloseIdleConnections)

	ctx, cancel := context.WithCancel(context.Background())
	var observer sync.WaitGroup
	switch display {
	case "none":
	case "headless":
		sub := p.Bus.Subscribe(uiBuffer)
		observer.Go(func() { record.WriteJSONLines(ctx, sub, &jsonDropCounter{n: &r.dropped}, record.NewRedactor(nil)) })
		r.closers = append(r.closers, func() { cancel(); observer.Wait(); sub.Close() })
	case "tui":
		realisticColours(b)
		sub := p.Bus.Subscribe(uiBuffer)
		keys, typing := io.Pipe()
		out := &statusDropCounter{n: &r.dropped}
		observer.Go(func() {
			err := ui.Run(ctx, p, sub, ui.Options{Info: ui.Info{Listen: "127.0.0.1:7331", Upstream: upURL}},
				tea.WithInput(keys), tea.WithOutput(out), tea.WithoutSignalHandler(), windowSize(120, 40))
			if err != nil {
				b.Errorf("ui.Run: %v", err)
			}
		})
		r.closers = append(r.closers, func() { cancel(); observer.Wait(); typing.Close(); sub.Close() })
		// Wait for the first frame, so the program runs before the clock does.
		deadline := time.Now().Add(10 * time.Second)
		for out.frames.Load() == 0 {
			if time.Now().After(deadline) {
				b.Fatal("the TUI drew no frame within 10 s")
			}
			time.Sleep(time.Millisecond)
		}
	default:
		cancel()
		b.Fatalf("unknown display %q", display)
	}
	r.url = r.serve(b, p.NewServer())
	r.closers = append(r.closers, cancel)
	return r
}

// serve serves srv on a fresh loopback port; close shuts it.
func (r *benchRig) serve(b *testing.B, srv *http.Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	r.closers = append(r.closers, func() { srv.Close(); <-served })
	return "http://" + ln.Addr().String()
}

// close tears down in reverse order: the proxy's front server first, the
// upstream last.
func (r *benchRig) close() {
	r.client.CloseIdleConnections()
	for _, c := range slices.Backward(r.closers) {
		c()
	}
}

// open POSTs a tools/call without a session (as a sessionless client
// does, so no session needs setting up through the proxy first); the
// upstream answers every request with an SSE stream.
func (r *benchRig) open(path string) (*http.Response, error) {
	body := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bench","arguments":{}}}`)
	req, err := http.NewRequest(http.MethodPost, r.url+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := r.client.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, errors.New("POST " + path + ": " + resp.Status)
	}
	return resp, err
}

// reportDropped reports the share of events the observer said it missed.
// The count arrives with the observer's next batch (headless) or the next
// frame (tui), so it may lag the end of the run slightly.
func (r *benchRig) reportDropped(b *testing.B, events int) {
	time.Sleep(100 * time.Millisecond)
	b.ReportMetric(100*float64(r.dropped.Load())/float64(events), "dropped-%")
}

// benchUpstream answers any request (the body is read and ignored) on
//
//   - /firehose?n=N: with N progress events of benchEventSize bytes, as
//     fast as the connection takes them;
//   - /paced?n=N&rate=R: with N such events at R a second, each carrying
//     the time it was written ("sent") in its params.
//
// Each event is one Write and one Flush.
func benchUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		rate, _ := strconv.Atoi(r.URL.Query().Get("rate"))
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		f.Flush()
		buf := make([]byte, 0, benchEventSize)
		start := time.Now()
		for i := range n {
			var sent int64
			if rate > 0 {
				if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
					time.Sleep(wait)
				}
				sent = time.Now().UnixNano()
			}
			buf = appendBenchEvent(buf[:0], i, sent)
			if _, err := w.Write(buf); err != nil {
				return
			}
			f.Flush()
		}
	})
}

// appendBenchEvent appends event i, padded to benchEventSize bytes.
func appendBenchEvent(dst []byte, i int, sent int64) []byte {
	dst = append(dst, "event: message\nid: "...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, "\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"bench\",\"progress\":"...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, ",\"sent\":"...)
	dst = strconv.AppendInt(dst, sent, 10)
	dst = append(dst, ",\"message\":\""...)
	const tail = "\"}}\n\n"
	for len(dst) < benchEventSize-len(tail) {
		dst = append(dst, 'x')
	}
	return append(dst, tail...)
}

var sentRE = regexp.MustCompile(`"sent":(\d+)`)

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readLatencies reads n events and returns, for each, the time from its
// "sent" stamp to its arrival.
func readLatencies(body io.Reader, n int) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	br := bufio.NewReaderSize(body, 64<<10)
	for len(lat) < n {
		line, err := br.ReadSlice('\n')
		now := time.Now()
		if bytes.HasPrefix(line, []byte("data: ")) {
			m := sentRE.FindSubmatch(line)
			if m == nil {
				return lat, errors.New("event without a sent stamp: " + string(line))
			}
			sent, _ := strconv.ParseInt(string(m[1]), 10, 64)
			lat = append(lat, now.Sub(time.Unix(0, sent)))
		}
		if err != nil {
			return lat, errors.New("reading events: " + err.Error() + " after " + strconv.Itoa(len(lat)))
		}
	}
	return lat, nil
}

// jsonDropCounter discards the headless output, adding up the "dropped"
// observations in it.
type jsonDropCounter struct{ n *atomic.Int64 }

var droppedJSON = regexp.MustCompile(`"type":"dropped".*"dropped":(\d+)`)

func (w *jsonDropCounter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(`"type":"dropped"`)) {
		for _, line := range bytes.Split(p, []byte("\n")) {
			if m := droppedJSON.FindSubmatch(line); m != nil {
				d, _ := strconv.ParseInt(string(m[1]), 10, 64)
				w.n.Add(d)
			}
		}
	}
	return len(p), nil
}

// statusDropCounter discards the TUI's frames, keeping the dropped count
// its status bar shows (a running total).
type statusDropCounter struct {
	n      *atomic.Int64
	frames atomic.Int64
}

func (w *statusDropCounter) Write(p []byte) (int, error) {
	w.frames.Add(1)
	if bytes.Contains(p, []byte(" dropped")) {
		if m := droppedRE.FindSubmatch(p); m != nil {
			d, _ := strconv.ParseInt(string(m[1]), 10, 64)
			w.n.Store(d)
		}
	}
	return len(p), nil
}
