package recdiff

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

const (
	// maxLatencyKeys bounds the methods and tools timed; answers of
	// others count under otherKey.
	maxLatencyKeys = 256
	// maxSamples bounds the latencies kept per method or tool.
	maxSamples = 100_000
	otherKey   = "(other methods)"
)

// latencies are answer latencies by method, and by tool for tools/call
// ("tools/call echo"), in order of first answer.
type latencies struct {
	by    map[string][]time.Duration
	order []string
	count map[string]int // answers, also those past maxSamples
}

func newLatencies() *latencies {
	return &latencies{by: map[string][]time.Duration{}, count: map[string]int{}}
}

// add times an answer under its method and, for a tools/call, its tool.
func (l *latencies) add(o *proxy.Observation, tool string) {
	l.sample(cut(o.Method, maxLabel), o.Latency)
	if tool != "" {
		l.sample("tools/call "+tool, o.Latency)
	}
}

func (l *latencies) sample(key string, d time.Duration) {
	if _, ok := l.by[key]; !ok {
		if len(l.order) >= maxLatencyKeys {
			key = otherKey
		}
		if _, ok := l.by[key]; !ok {
			l.order = append(l.order, key)
			l.by[key] = nil
		}
	}
	l.count[key]++
	if len(l.by[key]) < maxSamples {
		l.by[key] = append(l.by[key], d)
	}
}

// LatencyStats are the latencies of one method's (or tool's) answers.
type LatencyStats struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
}

// stats computes the nearest-rank percentiles of key's samples.
func (l *latencies) stats(key string) LatencyStats {
	s := slices.Clone(l.by[key])
	if len(s) == 0 {
		return LatencyStats{}
	}
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[max(i, 0)]
	}
	return LatencyStats{Count: l.count[key], P50: rank(0.50), P95: rank(0.95)}
}

// sampled says whether key's percentiles rest on part of its answers.
func (l *latencies) sampled(key string) string {
	if n := l.count[key]; n > maxSamples {
		return fmt.Sprintf("latencies of %s: percentiles of the first %d of %d answers", key, maxSamples, n)
	}
	return ""
}
