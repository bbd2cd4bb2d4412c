package proxy_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkChecksAB compares SSE throughput through mcpscope with the
// protocol checks off and on, both rigs up at once, in alternating slices
// of 20 000 events of 256 B (the order flipped every pair), so that what
// else the shared machine does hits both alike. One op is one pair of
// slices. Metrics: on/off-median (throughput with checks on over off,
// the median of the pairs' ratios; goal ≥ 0.95), on/off-min and
// on/off-max, each route's events/s, and each route's CPU per event (the
// process's user+system time over its slices, upstream and client
// included: less moved by other processes than wall time), medians.
func BenchmarkChecksAB(b *testing.B) {
	for _, streams := range []int{1, 16} {
		b.Run(fmt.Sprintf("size=256B/streams=%d", streams), func(b *testing.B) {
			off := newRig(b, "mcpscope", sseUpstream())
			on := newRig(b, "mcpscope+checks", sseUpstream())
			const slice = 20000
			var ratios, offRates, onRates, offCPU, onCPU []float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var tOff, tOn time.Duration
				var cOff, cOn int64
				if i%2 == 0 {
					tOff, cOff = sseSlice(b, off, slice, streams)
					tOn, cOn = sseSlice(b, on, slice, streams)
				} else {
					tOn, cOn = sseSlice(b, on, slice, streams)
					tOff, cOff = sseSlice(b, off, slice, streams)
				}
				offCPU = append(offCPU, float64(cOff)/slice)
				onCPU = append(onCPU, float64(cOn)/slice)
				ratios = append(ratios, tOff.Seconds()/tOn.Seconds())
				offRates = append(offRates, slice/tOff.Seconds())
				onRates = append(onRates, slice/tOn.Seconds())
			}
			b.StopTimer()
			b.ReportMetric(median(ratios), "on/off-median")
			b.ReportMetric(slices.Min(ratios), "on/off-min")
			b.ReportMetric(slices.Max(ratios), "on/off-max")
			b.ReportMetric(median(offRates), "off-events/s")
			b.ReportMetric(median(onRates), "on-events/s")
			b.ReportMetric(median(offCPU), "off-cpu-ns/event")
			b.ReportMetric(median(onCPU), "on-cpu-ns/event")
		})
	}
}

// sseSlice streams n events of 256 B through r over the streams and
// returns the wall time and the process's CPU time (ns) it took.
func sseSlice(b *testing.B, r *rig, n, streams int) (time.Duration, int64) {
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	for i := range streams {
		share := n / streams
		if i < n%streams {
			share++
		}
		wg.Go(func() {
			resp, err := r.get(context.Background(), "/events?n="+strconv.Itoa(share)+"&size=256")
			if err != nil {
				b.Error(err)
				return
			}
			defer resp.Body.Close()
			if got, err := readAll(resp.Body, make([]byte, 32<<10)); err != nil || got != int64(share*256) {
				b.Errorf("stream read %d bytes, want %d (err %v)", got, share*256, err)
			}
		})
	}
	wg.Wait()
	return time.Since(start), int64(cpuTime() - cpu0)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
