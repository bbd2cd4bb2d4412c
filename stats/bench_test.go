package stats_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
	"github.com/mcpscope/mcpscope/stats"
)

// BenchmarkObserve is what the TUI's stats table costs per observation,
// on the UI's goroutine (never the data path's): a 256-byte progress
// notification (the bulk of SSE traffic), and a tools/call request with
// its 1 KiB result (a pending call made, then answered).
func BenchmarkObserve(b *testing.B) {
	progress := &proxy.Observation{Seq: 1, Type: proxy.TypeSSEEvent, Session: "s", Direction: proxy.ServerToClient,
		Kind: proxy.KindNotification, Method: "notifications/progress",
		Body: `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1,"message":"` + strings.Repeat("x", 180) + `"}}`}
	b.Run("notification", func(b *testing.B) {
		t := stats.New(stats.Options{})
		b.ReportAllocs()
		for b.Loop() {
			t.Observe(progress)
		}
	})
	b.Run("call+result", func(b *testing.B) {
		t := stats.New(stats.Options{})
		call := req(1, "e", "1", "tools/call", `{"name":"search","arguments":{"q":"mcp"}}`)
		result := answer(2, 1, "tools/call", proxy.KindResult,
			`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"`+strings.Repeat("y", 1000)+`"}],"isError":false}}`, 40*time.Millisecond)
		b.ReportAllocs()
		seq := uint64(0)
		for b.Loop() {
			seq += 2
			call.Seq, result.Seq, result.RequestSeq = seq, seq+1, seq
			t.Observe(call)
			t.Observe(result)
		}
	})
}
