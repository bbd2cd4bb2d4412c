package proxy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"mcpscope/internal/benchrules"
	"mcpscope/proxy"
	"mcpscope/record"
	"mcpscope/rules"
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
// plain, with 50 rules that never match, and with recording on (256 B and
// 16 KiB events, one stream). Goals: both ≥ 0.9× plain.
func BenchmarkOptions(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		for _, route := range []string{"mcpscope-bare", "mcpscope", "mcpscope+rules50", "mcpscope+record"} {
			key := fmt.Sprintf("options/%d", size)
			b.Run(fmt.Sprintf("size=%s/route=%s", sizeName(size), route), func(b *testing.B) {
				benchSSE(b, route, key, size, 1)
			})
		}
	}
}
