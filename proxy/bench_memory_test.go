package proxy_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

const (
	idleStreams   = 500
	idleEventSize = 256
)

// idleUpstream serves GET /idle: headers, one event, then nothing until the
// client leaves — an open MCP stream waiting for notifications.
func idleUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := startSSE(w)
		if _, err := w.Write(appendProgress(nil, 0, idleEventSize, nil)); err != nil {
			return
		}
		f.Flush()
		<-r.Context().Done()
	})
}

// BenchmarkIdleStreamMemory measures the memory an idle open stream holds:
// live heap plus goroutine stacks after a full GC, before and after opening
// idleStreams streams (each has delivered its first event), divided by
// idleStreams. One op opens, measures and closes them all.
//
// The upstream and the client run in the process too, so bytes/stream
// counts them; proxy-bytes/stream (the route's minus direct's) is the
// proxy's own cost: its client and upstream connections, goroutines and
// buffers. The heap-… and stack-… metrics split both.
func BenchmarkIdleStreamMemory(b *testing.B) {
	for _, route := range routes {
		b.Run("streams=500/route="+route, func(b *testing.B) {
			benchIdle(b, route)
		})
	}
}

func benchIdle(b *testing.B, route string) {
	r := newRig(b, route, idleUpstream())
	var heap, stack float64 // per stream, summed over ops
	ops := 0
	first := make([]byte, idleEventSize)
	for b.Loop() {
		goroutines := runtime.NumGoroutine()
		heap0, stack0 := liveMemory()
		type open struct {
			cancel context.CancelFunc
			body   io.Closer
		}
		streams := make([]open, 0, idleStreams)
		for range idleStreams {
			ctx, cancel := context.WithCancel(context.Background())
			resp, err := r.get(ctx, "/idle")
			if err != nil {
				cancel()
				b.Fatal(err)
			}
			streams = append(streams, open{cancel, resp.Body})
			if _, err := io.ReadFull(resp.Body, first); err != nil {
				b.Fatalf("reading the first event: %v", err)
			}
		}
		heap1, stack1 := liveMemory()
		heap += float64(heap1-heap0) / idleStreams
		stack += float64(stack1-stack0) / idleStreams
		ops++
		for _, s := range streams {
			s.cancel()
			s.body.Close()
		}
		waitGoroutines(b, goroutines)
	}
	heap, stack = heap/float64(ops), stack/float64(ops)
	for _, m := range []struct {
		unit  string
		value float64
	}{{"bytes/stream", heap + stack}, {"heap-bytes/stream", heap}, {"stack-bytes/stream", stack}} {
		b.ReportMetric(m.value, m.unit)
		if route == "direct" {
			setBaseline("idle/"+m.unit, m.value)
		} else {
			reportOverDirect(b, "idle/"+m.unit, m.value, "proxy-"+m.unit)
		}
	}
}

// waitGoroutines waits until the goroutines the streams started are gone,
// so the next measurement starts from the same state.
func waitGoroutines(b *testing.B, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			b.Fatalf("%d goroutines still running 10 s after closing the streams, want %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
