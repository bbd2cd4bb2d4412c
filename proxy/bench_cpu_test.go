package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// pacedUpstream serves GET /paced?n=<count>&size=<bytes>&every=<duration>:
// count events of exactly size bytes, one every interval (Write and Flush
// each), starting at once.
func pacedUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n, _ := strconv.ParseInt(q.Get("n"), 10, 64)
		size, _ := strconv.Atoi(q.Get("size"))
		every, _ := time.ParseDuration(q.Get("every"))
		f := startSSE(w)
		t := time.NewTicker(every)
		defer t.Stop()
		buf := make([]byte, 0, size)
		for i := range n {
			if i > 0 {
				select {
				case <-t.C:
				case <-r.Context().Done():
					return
				}
			}
			buf = appendProgress(buf[:0], i, size, nil)
			if _, err := w.Write(buf); err != nil {
				return
			}
			f.Flush()
		}
	})
}

// cpuStreams and cpuInterval set BenchmarkCPU's steady load: 16 streams of
// one event per millisecond, 16,000 events/s in all, well under what any
// route saturates at on two cores.
const (
	cpuStreams  = 16
	cpuInterval = time.Millisecond
)

// BenchmarkCPU measures CPU per event under a steady load no route
// saturates, so every route sees the same traffic pattern (one event per
// read, as MCP servers' sparse notifications arrive) and no route gets
// cheaper per event by falling behind and batching reads (which is what
// BenchmarkSSE's saturated cpu-ns/event also shows). One op is one event;
// ns/op is the wall time per event of the paced load, not a speed.
//
// Metrics: cpu-ns/event (the whole process: upstream, route and client)
// and proxy-cpu-ns/event (that minus direct's).
func BenchmarkCPU(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		for _, route := range routes {
			key := fmt.Sprintf("cpu/%d", size)
			b.Run(fmt.Sprintf("size=%s/route=%s", sizeName(size), route), func(b *testing.B) {
				benchCPU(b, route, key, size)
			})
		}
	}
}

func benchCPU(b *testing.B, route, key string, size int) {
	r := newRig(b, route, pacedUpstream())
	cpu0 := cpuTime()
	b.ResetTimer()
	runPaced(b, r, size)
	b.StopTimer()
	cpu := float64(cpuTime()-cpu0) / float64(b.N)
	reportCPU(b, route, key, cpu)
	r.reportObserved(b, cpuStreams, b.N)
}

// runPaced sends b.N events of size bytes through r's route as
// cpuStreams paced streams, and reads them all.
func runPaced(b *testing.B, r *rig, size int) {
	var wg sync.WaitGroup
	for i := range cpuStreams {
		n := b.N / cpuStreams
		if i < b.N%cpuStreams {
			n++
		}
		wg.Go(func() {
			resp, err := r.get(context.Background(), fmt.Sprintf("/paced?n=%d&size=%d&every=%s", n, size, cpuInterval))
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
}
