package stats

import (
	"math"
	"time"
)

// histogram keeps latencies in log-scale buckets: bucket i holds the
// values in (γ^(i-1), γ^i] nanoseconds, with γ = 1.01. A percentile is the
// upper edge of the bucket its rank falls in, clamped to the largest value
// seen, so it is never below the exact value at that rank and at most 1%
// above it (see Percentile).
//
// Why buckets and not an exact reservoir: the count of latencies is
// unbounded (a live proxy runs for days), and a bounded reservoir gives
// exact answers only while it is not full, after which p99 rests on a
// sample. Buckets give every percentile within 1% for any count, in
// memory that grows only with the range of latencies (the slice covers
// the buckets between the smallest and the largest index seen: about 130
// buckets, 520 bytes, for latencies between 40 and 150 ms; at most 3 400,
// 14 KiB, from 1 ns to days).
type histogram struct {
	counts   []uint32 // counts[j] is bucket lo+j
	lo       int      // the index of counts[0]
	n        int64
	min, max time.Duration
	sum      time.Duration
}

// gamma is the ratio of a bucket's upper edge to its lower edge.
const gamma = 1.01

var logGamma = math.Log(gamma)

// maxBucket bounds the index (γ^3400 ns is about 5 days); longer
// latencies share the last bucket (and Percentile clamps to max, so a
// percentile there is still never below its exact value).
const maxBucket = 3400

// bucketOf is the index i with γ^(i-1) < d ≤ γ^i (d below 1 ns counts as 1 ns).
func bucketOf(d time.Duration) int {
	v := float64(max(d, 1))
	i := int(math.Ceil(math.Log(v) / logGamma))
	for i > 0 && upperEdge(i-1) >= v { // floating-point rounding, either way
		i--
	}
	for upperEdge(i) < v {
		i++
	}
	return min(max(i, 0), maxBucket)
}

func upperEdge(i int) float64 { return math.Pow(gamma, float64(i)) }

// add counts one latency.
func (h *histogram) add(d time.Duration) {
	d = max(d, 0)
	i := bucketOf(d)
	switch {
	case h.counts == nil:
		h.counts, h.lo = make([]uint32, 1, 8), i
	case i < h.lo:
		grown := make([]uint32, h.lo-i+len(h.counts))
		copy(grown[h.lo-i:], h.counts)
		h.counts, h.lo = grown, i
	case i >= h.lo+len(h.counts):
		h.counts = append(h.counts, make([]uint32, i-h.lo-len(h.counts)+1)...)
	}
	if h.counts[i-h.lo] < math.MaxUint32 {
		h.counts[i-h.lo]++
	}
	if h.n == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.n++
	h.sum += d
}

// Percentile returns the latency at quantile q (0 < q ≤ 1) by nearest
// rank: the value at rank ⌈q·n⌉ of the n latencies sorted. The answer v
// satisfies exact ≤ v ≤ exact·1.01 (and never exceeds the largest
// latency seen); 0 when nothing was counted.
func (h *histogram) percentile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for j, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			if h.lo+j == maxBucket { // the last bucket is open-ended
				return h.max
			}
			v := time.Duration(math.Ceil(upperEdge(h.lo + j)))
			return min(max(v, h.min), h.max)
		}
	}
	return h.max // counts saturated at MaxUint32: only the largest is sure
}
