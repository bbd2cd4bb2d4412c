package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// sseUpstream serves GET /events?n=<count>&size=<bytes>: count
// notifications/progress events of exactly size bytes, one Write and one
// Flush per event, as MCP servers write them.
func sseUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		f := startSSE(w)
		buf := make([]byte, 0, size)
		for i := range n {
			buf = appendProgress(buf[:0], i, size, nil)
			if _, err := w.Write(buf); err != nil {
				return
			}
			f.Flush()
		}
	})
}

// BenchmarkSSE measures SSE throughput and CPU per event. One op is one
// event; b.N events are spread over the concurrent streams, each one GET
// whose upstream writes its share as fast as the route takes them.
//
// Metrics: events/s and MB/s (wall clock); cpu-ns/event, the process's
// user+system CPU time (upstream, route and client together) per event;
// proxy-cpu-ns/event, that minus direct's, the route's own cost;
// allocs/op, the whole process's allocations per event; for mcpscope,
// observed-%, the share of events the counting subscriber received.
func BenchmarkSSE(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		for _, streams := range []int{1, 16} {
			for _, route := range routes {
				key := fmt.Sprintf("sse/%d/%d", size, streams)
				b.Run(fmt.Sprintf("size=%s/streams=%d/route=%s", sizeName(size), streams, route), func(b *testing.B) {
					benchSSE(b, route, key, size, streams)
				})
			}
		}
	}
}

func benchSSE(b *testing.B, route, key string, size, streams int) {
	r := newRig(b, route, sseUpstream())
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	reads0, writes0, _ := ioSyscalls()
	b.ResetTimer()
	for i := range streams {
		n := b.N / streams
		if i < b.N%streams {
			n++
		}
		wg.Go(func() {
			resp, err := r.get(context.Background(), "/events?n="+strconv.Itoa(n)+"&size="+strconv.Itoa(size))
			if err != nil {
				b.Error(err)
				return
			}
			defer resp.Body.Close()
			got, err := readAll(resp.Body, make([]byte, 32<<10))
			if err != nil || got != int64(n*size) {
				b.Errorf("stream read %d bytes, want %d (err %v)", got, n*size, err)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	cpu := float64(cpuTime()-cpu0) / float64(b.N)
	if reads, writes, ok := ioSyscalls(); ok {
		b.ReportMetric(float64(reads-reads0)/float64(b.N), "reads/event")
		b.ReportMetric(float64(writes-writes0)/float64(b.N), "writes/event")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, route, key, cpu)
	r.reportObserved(b, streams, b.N)
}
