package stats

import (
	"math"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestPercentileWithinOnePercentAbove checks the histogram against the
// exact nearest-rank percentiles of random latencies: never below, at most
// 1% (plus the nanosecond of rounding up) above.
func TestPercentileWithinOnePercentAbove(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Latencies spread over orders of magnitude (1 ns to ~15 min),
		// with repeats, as real ones cluster.
		exps := rapid.SliceOfN(rapid.Float64Range(0, 12), 1, 2000).Draw(t, "log10")
		var h histogram
		values := make([]time.Duration, len(exps))
		for i, e := range exps {
			values[i] = time.Duration(math.Pow(10, e))
			h.add(values[i])
		}
		slices.Sort(values)
		for _, q := range []float64{0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
			rank := int(math.Ceil(q * float64(len(values))))
			exact := values[max(rank, 1)-1]
			got := h.percentile(q)
			if got < exact || float64(got) > float64(exact)*gamma+1 {
				t.Fatalf("p%v of %d values = %v, exact %v: want within [exact, exact×%v]", q*100, len(values), got, exact, gamma)
			}
		}
		if h.min != values[0] || h.max != values[len(values)-1] {
			t.Fatalf("min, max = %v, %v; want %v, %v", h.min, h.max, values[0], values[len(values)-1])
		}
	})
}

// TestBucketEdges checks that each latency lies in its bucket: above the
// previous bucket's upper edge, at most its own.
func TestBucketEdges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, "d"))
		i := bucketOf(d)
		if float64(d) > upperEdge(i) || (i > 0 && float64(d) <= upperEdge(i-1)) {
			t.Fatalf("%d ns in bucket %d: (%v, %v]", d, i, upperEdge(i-1), upperEdge(i))
		}
	})
}

// TestHistogramMemoryFollowsRange checks that the buckets kept cover only
// the range of latencies seen.
func TestHistogramMemoryFollowsRange(t *testing.T) {
	var h histogram
	for d := 40 * time.Millisecond; d <= 150*time.Millisecond; d += time.Millisecond {
		h.add(d)
	}
	if n := len(h.counts); n > 140 {
		t.Errorf("%d buckets for 40..150 ms; want about 133", n)
	}
	h.add(0)
	h.add(1 << 62)
	if n := len(h.counts); n > maxBucket+1 {
		t.Errorf("%d buckets; want at most %d", n, maxBucket+1)
	}
	if got := h.percentile(1); got != 1<<62 {
		t.Errorf("p100 = %v, want the largest latency", got)
	}
}
