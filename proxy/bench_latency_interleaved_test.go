package proxy_test

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkLatencyInterleaved measures the same delay as BenchmarkLatency
// (upstream Write to the client reading the event) for the three routes at
// once, each at a steady 1000 events/s, their events staggered by a third
// of a millisecond so they never overlap. Whatever else the machine does
// (and this VM is shared) hits the three routes alike, where the
// sequential BenchmarkLatency compares tails taken seconds apart. One op is
// one round of three events.
//
// Metrics per route: <route>-p50-µs and <route>-p99-µs; for the proxies
// <route>-added-p50-µs and <route>-added-p99-µs (minus direct's).
func BenchmarkLatencyInterleaved(b *testing.B) {
	latencyInterleaved(b, func(b *testing.B, route string, h http.Handler) *rig { return newRig(b, route, h) })
}

// BenchmarkLatencyProcess is BenchmarkLatencyInterleaved with each proxy
// in a process of its own (see newProcessRig), as mcpscope runs in use:
// the proxies' runtimes do not share the benchmark's scheduler and
// collector.
func BenchmarkLatencyProcess(b *testing.B) {
	latencyInterleaved(b, func(b *testing.B, route string, h http.Handler) *rig {
		if route == "direct" {
			return newRig(b, route, h)
		}
		r, _ := newProcessRig(b, route, h)
		return r
	})
}

// latencyInterleaved runs the interleaved latency benchmark over the
// routes newRoute starts.
func latencyInterleaved(b *testing.B, newRoute func(b *testing.B, route string, h http.Handler) *rig) {
	ticks := make([]chan time.Time, len(routes))
	samples := make([][]time.Duration, len(routes))
	var readers sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, route := range routes {
		ticks[i] = make(chan time.Time, 1)
		r := newRoute(b, route, metronomeUpstream(ticks[i]))
		resp, err := r.get(ctx, "/tick")
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		arrivals := make(chan time.Duration, 1024)
		readers.Go(func() { readStamped(bufio.NewReader(resp.Body), arrivals) })
		readers.Go(func() {
			for d := range arrivals {
				samples[i] = append(samples[i], d)
			}
		})
	}
	step := latencyInterval / time.Duration(len(routes))
	tick := time.NewTicker(step)
	defer tick.Stop()
	beat := func() {
		for i := range routes {
			<-tick.C
			ticks[i] <- time.Time{}
		}
	}
	for range latencyWarmup {
		beat()
	}
	b.ResetTimer()
	for b.Loop() {
		beat()
	}
	b.StopTimer()
	time.Sleep(10 * latencyInterval) // the last events arrive
	cancel()
	for i := range ticks {
		close(ticks[i])
	}
	readers.Wait()
	var direct [2]float64
	for i, route := range routes {
		s := samples[i][min(latencyWarmup, len(samples[i])):]
		if len(s) == 0 {
			b.Fatalf("%s: no events arrived", route)
		}
		slices.Sort(s)
		at := func(q float64) float64 { return float64(s[int(q*float64(len(s)-1))].Nanoseconds()) / 1e3 }
		p50, p99 := at(0.50), at(0.99)
		b.ReportMetric(p50, route+"-p50-µs")
		b.ReportMetric(p99, route+"-p99-µs")
		if route == "direct" {
			direct = [2]float64{p50, p99}
		} else {
			b.ReportMetric(p50-direct[0], route+"-added-p50-µs")
			b.ReportMetric(p99-direct[1], route+"-added-p99-µs")
		}
	}
}

// metronomeUpstream serves GET /tick: a stamped event each time beat
// delivers (see writeStamped).
func metronomeUpstream(beat <-chan time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeStamped(w, r, beat) })
}

// readStamped sends the delay of every stamped event read from br until
// the stream ends, then closes out.
func readStamped(br *bufio.Reader, out chan<- time.Duration) {
	defer close(out)
	var sent int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case len(line) == 1 && sent != 0:
			out <- time.Duration(time.Now().UnixNano() - sent)
			sent = 0
		default:
			if v, ok := stampOf(line); ok {
				sent = v
			}
		}
	}
}
