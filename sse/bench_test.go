package sse

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// mcpEvent builds one event of exactly size bytes in the shape the MCP go-sdk
// writes (mcp/event.go): "event: message\nid: <n>\ndata: <json>\n\n".
func mcpEvent(n, size int) string {
	head := "event: message\nid: " + strconv.Itoa(n) + "\ndata: "
	json := fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":%d,"message":"`, n)
	tail := `"}}` + "\n\n"
	pad := size - len(head) - len(json) - len(tail)
	if pad < 0 {
		panic("event size too small")
	}
	return head + json + strings.Repeat("x", pad) + tail
}

// mcpStream returns about 1 MiB of events of the given size and their count.
// A keepalive comment goes first so that event boundaries do not line up
// with the 32 KiB chunks (both sizes divide 32 KiB): every chunk then ends
// inside an event, whose head the parser must carry over.
func mcpStream(size int) ([]byte, int) {
	var sb strings.Builder
	sb.WriteString(": keepalive\n\n")
	n := 0
	for ; sb.Len() < 1<<20; n++ {
		sb.WriteString(mcpEvent(n, size))
	}
	return []byte(sb.String()), n
}

// BenchmarkParser feeds about 1 MiB of go-sdk-shaped events per iteration in
// 32 KiB chunks, as a proxy reading a response body would. Targets: at most
// one allocation per event, and at least 500 MB/s on 256 B events.
func BenchmarkParser(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		name := fmt.Sprintf("%dB", size)
		if size >= 1<<10 {
			name = fmt.Sprintf("%dKiB", size>>10)
		}
		b.Run(name, func(b *testing.B) {
			stream, events := mcpStream(size)
			chunks := chunksOf(stream, 32<<10)
			p := NewParser(0)
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			iters, dispatched, dataBytes := 0, 0, 0
			for b.Loop() {
				p.Reset()
				for _, c := range chunks {
					p.Feed(c)
					for blk, ok := p.Next(); ok; blk, ok = p.Next() {
						if blk.Dispatch {
							dispatched++
							dataBytes += len(blk.Data)
						}
					}
				}
				p.End()
				iters++
			}
			runtime.ReadMemStats(&after)
			if dispatched != iters*events || dataBytes == 0 {
				b.Fatalf("dispatched %d events, want %d", dispatched, iters*events)
			}
			total := float64(iters * events)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/event")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/event")
		})
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	for _, tc := range []struct {
		name string
		data string
	}{
		{"256B", mcpEvent(1, 256)[len("event: message\nid: 1\ndata: ") : 256-2]},
		{"multiline", strings.Repeat(`{"k":"v"}`+"\n", 24)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := Event{ID: "12345", HasID: true, Event: "message", Data: tc.data}
			dst := AppendEvent(nil, e)
			b.SetBytes(int64(len(dst)))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendEvent(dst[:0], e)
			}
		})
	}
}
