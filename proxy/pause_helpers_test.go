package proxy_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/sse"
)

// firehose is an upstream that writes events numbered from 0 as fast as
// the connection takes them (one Write and Flush each), until it has sent
// total events or the request ends. written counts the bytes its writes
// returned from.
type firehose struct {
	total   int
	padding string
	written atomic.Int64
}

func newFirehose(total, eventSize int) *firehose {
	return &firehose{total: total, padding: strings.Repeat("x", eventSize-40)}
}

func (f *firehose) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	for i := 0; i < f.total; i++ {
		n, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", i, f.padding)
		f.written.Add(int64(n))
		if err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
}

// eventReader reads an SSE response, checking that event ids run 0, 1, 2…
// with no gap and no duplicate.
type eventReader struct {
	events atomic.Int64
	bytes  atomic.Int64
	delay  atomic.Int64 // slept after every event (a slow client)
	mu     sync.Mutex
	err    error
	done   chan struct{}
}

// readEvents starts reading resp's body; delay, if set, is slept after
// every event (a slow client) until er.delay changes.
func readEvents(resp *http.Response, delay time.Duration) *eventReader {
	er := &eventReader{done: make(chan struct{})}
	er.delay.Store(int64(delay))
	go func() {
		defer close(er.done)
		defer resp.Body.Close()
		var p sse.Parser
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			er.bytes.Add(int64(n))
			p.Feed(buf[:n])
			for {
				b, ok := p.Next()
				if !ok {
					break
				}
				if !b.Dispatch {
					continue
				}
				want := er.events.Load()
				if got, _ := strconv.ParseInt(string(b.ID), 10, 64); got != want {
					er.fail(fmt.Errorf("event id %s arrived where %d was due", b.ID, want))
					return
				}
				er.events.Add(1)
				if d := time.Duration(er.delay.Load()); d > 0 {
					time.Sleep(d)
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return er
}

func (er *eventReader) fail(err error) {
	er.mu.Lock()
	defer er.mu.Unlock()
	er.err = err
}

func (er *eventReader) Err() error {
	er.mu.Lock()
	defer er.mu.Unlock()
	return er.err
}

// waitEvents waits until n events arrived (or fails the test).
func (er *eventReader) waitEvents(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for er.events.Load() < n {
		if err := er.Err(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events after %v, want %d", er.events.Load(), within, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// openStream GETs an SSE stream through the proxy.
func openStream(t *testing.T, hs *harness) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", hs.URL+"/mcp", nil)
	resp, err := hs.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// onlyStream returns the proxy's one open stream.
func onlyStream(t *testing.T, p *proxy.Proxy) proxy.StreamInfo {
	t.Helper()
	var streams []proxy.StreamInfo
	waitFor(t, func() bool { streams = p.Streams(); return len(streams) == 1 })
	return streams[0]
}

// waitState waits until the stream is in state.
func waitState(t *testing.T, p *proxy.Proxy, id, state string) {
	t.Helper()
	waitFor(t, func() bool {
		for _, s := range p.Streams() {
			if s.ID == id {
				return s.State == state
			}
		}
		return false
	})
}

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC() // the second empties sync.Pool's victim caches, which other tests filled
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// onlyGates keeps gate observations, so memory tests measure the proxy,
// not a test observer holding every event.
func onlyGates(o *proxy.Observation) bool { return o.Type == proxy.TypeGate }
