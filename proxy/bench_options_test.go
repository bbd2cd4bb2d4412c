package proxy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpscope/mcpscope/checks"
	"github.com/mcpscope/mcpscope/internal/benchrules"
	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/record"
	"github.com/mcpscope/mcpscope/rules"
)

// configureRoute sets up the variants of the mcpscope route that measure
// what an option costs: 50 rules of which none matches (issue 5), and
// recording every observation to a file (issue 6). closers gets what to
// undo at the end.
func configureRoute(b testing.TB, route string, p *proxy.Proxy, closers *[]func()) {
	switch route {
	case "mcpscope+rules50":
		set, err := rules.Parse([]byte(benchrules.NoneMatching(50)), "bench.yaml")
		if err != nil {
			b.Fatal(err)
		}
		p.SetRules(set)
	case "mcpscope+checks":
		stop := checks.Start(p.Bus, checks.Options{}) // as mcpscope runs by default
		*closers = append(*closers, stop)
	case "mcpscope+record":
		f, err := os.Create(filepath.Join(b.TempDir(), "bench.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		sub := p.Bus.SubscribeLossless(record.LosslessBuffer) // as mcpscope --record subscribes
		done := make(chan error, 1)
		go func() {
			done <- record.Record(context.Background(), sub, f, record.NewHeader("bench", true), record.NewRedactor(nil))
		}()
		*closers = append(*closers, func() {
			sub.Close()
			if err := <-done; err != nil {
				// The recorder is lossless and bounded: when it cannot keep
				// up it stops, and the proxy does not slow down. Say so.
				b.Logf("recording stopped: %v", err)
			}
			f.Close()
		})
	}
}

// BenchmarkOptions compares, in one run, SSE throughput through mcpscope
// plain, with 50 rules that never match, with recording on, and with the
// protocol checks on (256 B and 16 KiB events, one stream). Goals: rules
// and recording ≥ 0.9× plain, checks ≥ 0.95×.
func BenchmarkOptions(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		for _, route := range []string{"mcpscope-bare", "mcpscope", "mcpscope+rules50", "mcpscope+record", "mcpscope+checks"} {
			key := fmt.Sprintf("options/%d", size)
			b.Run(fmt.Sprintf("size=%s/route=%s", sizeName(size), route), func(b *testing.B) {
				benchSSE(b, route, key, size, 1)
			})
		}
	}
}

// BenchmarkChecks compares SSE throughput through mcpscope with the
// protocol checks off and on (checks.Start, as mcpscope runs by default),
// 256 B events, one and 16 streams. Goal: on ≥ 0.95× off. (Every event is
// a progress notification for a token no request offered: the checker
// decodes each, and reports the first few.)
func BenchmarkChecks(b *testing.B) {
	for _, streams := range []int{1, 16} {
		for _, route := range []string{"mcpscope", "mcpscope+checks"} {
			key := fmt.Sprintf("checks/%d", streams)
			b.Run(fmt.Sprintf("size=256B/streams=%d/route=%s", streams, route), func(b *testing.B) {
				benchSSE(b, route, key, 256, streams)
			})
		}
	}
}
