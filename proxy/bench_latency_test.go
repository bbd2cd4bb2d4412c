package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

const (
	latencyInterval = time.Millisecond // 1000 events/s
	latencyWarmup   = 50               // events read before measuring
	latencySize     = 256
)

// tickingUpstream serves GET /tick: an endless stream of latencySize-byte
// events, one per latencyInterval, each carrying its send time
// ("ts":<unix ns>) taken just before its Write.
func tickingUpstream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTicker(latencyInterval)
		defer t.Stop()
		writeStamped(w, r, t.C)
	})
}

// writeStamped writes a stamped latencySize-byte event each time beat
// delivers, until beat closes or the request ends.
func writeStamped(w http.ResponseWriter, r *http.Request, beat <-chan time.Time) {
	f := startSSE(w)
	buf := make([]byte, 0, latencySize)
	ts := make([]byte, 0, 32)
	for i := int64(0); ; i++ {
		select {
		case _, ok := <-beat:
			if !ok {
				return
			}
		case <-r.Context().Done():
			return
		}
		ts = strconv.AppendInt(append(ts[:0], `,"ts":`...), time.Now().UnixNano(), 10)
		buf = appendProgress(buf[:0], i, latencySize, ts)
		if _, err := w.Write(buf); err != nil {
			return
		}
		f.Flush()
	}
}

// BenchmarkLatency measures the delay from the upstream's Write to the
// client reading the event's last line, at a steady 1000 events/s on one
// stream. One op is one event (so -benchtime=2s reads about 2 s of
// events); ns/op is the pacing, not a speed.
//
// Metrics: p50-µs and p99-µs, and for the proxies added-p50-µs and
// added-p99-µs (the route's minus direct's).
func BenchmarkLatency(b *testing.B) {
	for _, route := range routes {
		b.Run("rate=1000/s/route="+route, func(b *testing.B) {
			benchLatency(b, route)
		})
	}
}

func benchLatency(b *testing.B, route string) {
	r := newRig(b, route, tickingUpstream())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := r.get(ctx, "/tick")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	next := func() time.Duration {
		var sent int64
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				b.Fatalf("reading stream: %v", err)
			}
			if len(line) == 1 { // the blank line: the event is complete
				if sent == 0 {
					b.Fatal("event without a timestamp")
				}
				return time.Duration(time.Now().UnixNano() - sent)
			}
			if v, ok := stampOf(line); ok {
				sent = v
			}
		}
	}
	for range latencyWarmup {
		next()
	}
	var samples []time.Duration
	for b.Loop() {
		samples = append(samples, next())
	}
	slices.Sort(samples)
	at := func(q float64) float64 {
		return float64(samples[int(q*float64(len(samples)-1))].Nanoseconds()) / 1e3
	}
	p50, p99 := at(0.50), at(0.99)
	b.ReportMetric(p50, "p50-µs")
	b.ReportMetric(p99, "p99-µs")
	if route == "direct" {
		setBaseline("latency/p50", p50)
		setBaseline("latency/p99", p99)
	} else {
		reportOverDirect(b, "latency/p50", p50, "added-p50-µs")
		reportOverDirect(b, "latency/p99", p99, "added-p99-µs")
	}
	cancel()
}

// stampOf returns the send time an event line carries ("ts":<unix ns>).
func stampOf(line []byte) (int64, bool) {
	i := bytes.Index(line, []byte(`"ts":`))
	if i < 0 {
		return 0, false
	}
	j := i + len(`"ts":`)
	k := j
	for k < len(line) && line[k] >= '0' && line[k] <= '9' {
		k++
	}
	v, err := strconv.ParseInt(string(line[j:k]), 10, 64)
	return v, err == nil
}
