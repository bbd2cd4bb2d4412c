package proxy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// The one-stream-per-call pattern of Streamable HTTP: every tools/call is a
// POST answered with a short SSE stream (progress notifications, then the
// result) that ends with the call.
const (
	postWorkers   = 16
	postStreams   = 200 // per worker and op
	postEvents    = 50  // per stream: 49 progress notifications and the result
	postEventSize = 256
)

// postUpstream answers every POST with postEvents events of postEventSize
// bytes, the last one the result for the request's id.
func postUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := requestID(body)
		f := startSSE(w)
		buf := make([]byte, 0, postEventSize)
		for i := range int64(postEvents) {
			if i < postEvents-1 {
				buf = appendProgress(buf[:0], i, postEventSize, nil)
			} else {
				buf = appendResult(buf[:0], i, id, postEventSize)
			}
			if _, err := w.Write(buf); err != nil {
				return
			}
			f.Flush()
		}
	})
}

// requestID returns the numeric id of the request the benchmark sends.
func requestID(body []byte) string {
	i := bytes.Index(body, []byte(`"id":`))
	if i < 0 {
		return "null"
	}
	i += len(`"id":`)
	j := i
	for j < len(body) && body[j] >= '0' && body[j] <= '9' {
		j++
	}
	return string(body[i:j])
}

// BenchmarkPOSTStreams measures many short POST streams: one op is
// postWorkers workers each making postStreams calls in turn, each call a
// POST whose answer is a stream of postEvents events.
//
// Metrics: streams/s and events/s (wall clock), cpu-ns/event and
// proxy-cpu-ns/event as in BenchmarkSSE, and cut-streams: answers that
// ended early. httputil.ReverseProxy once cut one stream in about 19,000
// here, and in its own process (BenchmarkPOSTStreamsProcess) about one in
// 10,000, some before their first event (likely golang/go#40747: it
// streams the request body upstream, and net/http's HTTP/1 server cannot
// read a request body once the response has begun), so for it a cut is
// counted, with its error log printed, instead of failing the run; direct
// and mcpscope must cut none.
func BenchmarkPOSTStreams(b *testing.B) {
	for _, route := range routes {
		b.Run("route="+route, func(b *testing.B) {
			benchPOST(b, route)
		})
	}
}

func benchPOST(b *testing.B, route string) {
	r := newRig(b, route, postUpstream())
	load := newPOSTLoad(r, route)
	b.ReportAllocs()
	cpu0 := cpuTime()
	ops := 0
	for b.Loop() {
		load.run(b)
		ops++
	}
	streams := float64(ops * postWorkers * postStreams)
	events := streams * postEvents
	cpu := float64(cpuTime()-cpu0) / events
	b.ReportMetric(streams/b.Elapsed().Seconds(), "streams/s")
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, route, "post", cpu)
	b.ReportMetric(float64(load.cut.Load()), "cut-streams")
	if load.cut.Load() > 0 {
		b.Logf("reverseproxy cut %d of %.0f streams; its error log: %s", load.cut.Load(), streams, r.ProxyLog())
	}
	r.reportObserved(b, int(streams), int(events))
}

// postLoad makes the benchmark's tools/call POSTs through one rig.
type postLoad struct {
	r        *rig
	route    string
	ids, cut atomic.Int64
}

func newPOSTLoad(r *rig, route string) *postLoad { return &postLoad{r: r, route: route} }

// run is one op: postWorkers workers each making postStreams calls in turn.
func (l *postLoad) run(b *testing.B) {
	var wg sync.WaitGroup
	for range postWorkers {
		wg.Go(func() {
			buf := make([]byte, 32<<10)
			for range postStreams {
				if err := l.call(buf); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// call makes one tools/call and reads its whole stream. A stream that
// ReverseProxy cut is counted (see BenchmarkPOSTStreams), any other
// shortfall is an error.
func (l *postLoad) call(buf []byte) error {
	id := l.ids.Add(1)
	body := `{"jsonrpc":"2.0","id":` + strconv.FormatInt(id, 10) + `,"method":"tools/call","params":{"name":"bench","arguments":{},"_meta":{"progressToken":` + strconv.FormatInt(id, 10) + `}}}`
	req, err := http.NewRequest(http.MethodPost, l.r.URL+"/mcp", bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", l.r.Session)
	resp, err := l.r.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := readAll(resp.Body, buf)
	if err != nil || got != postEvents*postEventSize {
		if l.route == "reverseproxy" && errors.Is(err, io.ErrUnexpectedEOF) { // cut, after its headers, with or without events
			l.cut.Add(1)
			return nil
		}
		return fmt.Errorf("%s: stream read %d bytes, want %d (err %v)", l.route, got, postEvents*postEventSize, err)
	}
	return nil
}
