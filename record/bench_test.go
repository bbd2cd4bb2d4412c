package record

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// BenchmarkRecorder writes progress-event observations (the bulk of a real
// recording: raw SSE bytes, the message, ids) to a file through the
// lossless subscription, with the default redaction on, and reports
// observations per second.
func BenchmarkRecorder(b *testing.B) {
	body := `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":7,"total":100,"message":"step 7 of 100"}}`
	benchRecorder(b, "event: message\nid: STREAM_7\ndata: ", body, proxy.KindNotification, "notifications/progress")
}

// BenchmarkRecorder16KiB is BenchmarkRecorder with 16 KiB tool results
// whose text is JSON (a quote every few bytes); MB/s counts the events'
// bytes.
func BenchmarkRecorder16KiB(b *testing.B) {
	text := strings.Repeat(`{\"k\":\"v\",\"n\":12}, `, 16<<10/20)
	body := `{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"` + text[:16<<10-100] + `"}]}}`
	benchRecorder(b, "event: message\nid: STREAM_7\ndata: ", body, proxy.KindResult, "tools/call")
}

func benchRecorder(b *testing.B, prefix, body string, kind proxy.MessageKind, method string) {
	raw := prefix + body + "\n\n"
	at := time.Now()
	obs := &proxy.Observation{Type: proxy.TypeSSEEvent, Time: at, Session: "3f2a9c0d5e7b41a6b8c9d0e1f2a3b4c5", Stream: "st-12", Exchange: "ex-40",
		Direction: proxy.ServerToClient, Kind: kind, Method: method, Body: raw[len(prefix) : len(prefix)+len(body)], Raw: raw,
		EventID: "STREAM_7", HasID: true, EventType: "message", Size: len(raw), Gap: 3 * time.Millisecond}
	f, err := os.Create(filepath.Join(b.TempDir(), "bench.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	bus := proxy.NewBus()
	sub := bus.SubscribeLossless(LosslessBuffer)
	done := make(chan error, 1)
	go func() { done <- Record(context.Background(), sub, f, NewHeader("http://u", true), NewRedactor(nil)) }()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		o := *obs
		bus.Publish(&o)
		if i%4096 == 0 {
			for sub.Backlog() > 1<<20 { // do not let the benchmark measure the overflow
				time.Sleep(time.Millisecond)
			}
		}
	}
	sub.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "observations/s")
	st, _ := f.Stat()
	b.ReportMetric(float64(st.Size())/float64(b.N), "bytes/observation")
}

// BenchmarkLine encodes one SSE event observation (raw bytes and the body
// they carry, shared as the proxy shares them) per op: encoding/json as
// before, the line encoder writing the body again, writing it once
// (body_at, as recordings do), and writing it as a JSON value (headless). MB/s counts the event's bytes. text=plain is
// the benchmarks' padding (nothing to escape); text=json is a tool result
// whose text is itself JSON (a quote every few bytes).
func BenchmarkLine(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		for _, text := range []string{"plain", "json"} {
			fill := strings.Repeat("x", size)
			if text == "json" {
				fill = strings.Repeat(`{\"k\":\"v\",\"n\":12}, `, size/20+1)
			}
			prefix := `event: message` + "\n" + `id: 7` + "\n" + `data: `
			body := `{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"` + fill[:size-100] + `"}]}}`
			raw := prefix + body + "\n\n"
			o := &proxy.Observation{Seq: 9, Type: proxy.TypeSSEEvent, Time: time.Now(), Session: "3f2a9c0d5e7b41a6", Stream: "st-1", Exchange: "ex-4",
				Direction: proxy.ServerToClient, Kind: proxy.KindResult, Method: "tools/call", ID: "3", Body: raw[len(prefix) : len(prefix)+len(body)],
				Raw: raw, EventID: "7", HasID: true, EventType: "message", Size: len(raw)}
			name := func(enc string) string { return fmt.Sprintf("size=%d/text=%s/%s", size, text, enc) }
			b.Run(name("encoding-json"), func(b *testing.B) {
				enc := json.NewEncoder(io.Discard)
				enc.SetEscapeHTML(false)
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					if err := enc.Encode(o); err != nil {
						b.Fatal(err)
					}
				}
			})
			for _, mode := range []string{"line", "line-body_at", "line-headless"} {
				b.Run(name(mode), func(b *testing.B) {
					e := newLineEncoder(mode == "line-body_at")
					e.bodyValue = mode == "line-headless"
					var buf []byte
					b.SetBytes(int64(len(raw)))
					for b.Loop() {
						var err error
						if buf, err = e.appendLine(buf[:0], o); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkEncodeEvent is the work each output does per SSE event, in
// process: the default redaction, then the line — the headless printer's
// (body as a JSON value), the recorder's (body_at), or both, as
// --headless --record does (two subscribers, each redacting and encoding
// every event). The difference between both and one output bounds what
// redacting and encoding once for both could save. text=plain is
// internal/benchproc's padding; text=json a tool result whose text is
// JSON (a ':' and a quote every few bytes).
func BenchmarkEncodeEvent(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		for _, text := range []string{"plain", "json"} {
			fill := strings.Repeat("x", size)
			if text == "json" {
				fill = strings.Repeat(`{\"k\":\"v\",\"n\":12}, `, size/20+1)
			}
			prefix := "event: message\nid: 7\ndata: "
			body := `{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"` + fill[:size-100] + `"}]}}`
			raw := prefix + body + "\n\n"
			o := &proxy.Observation{Seq: 9, Type: proxy.TypeSSEEvent, Time: time.Now(), Session: "3f2a9c0d5e7b41a6", Stream: "st-1", Exchange: "ex-4",
				Direction: proxy.ServerToClient, Kind: proxy.KindResult, Method: "tools/call", ID: "3", Body: raw[len(prefix) : len(prefix)+len(body)],
				Raw: raw, EventID: "7", HasID: true, EventType: "message", Size: len(raw)}
			for _, out := range []string{"headless", "recording", "both"} {
				b.Run(fmt.Sprintf("size=%d/text=%s/out=%s", size, text, out), func(b *testing.B) {
					r := NewRedactor(nil)
					var encs []*lineEncoder
					if out != "recording" {
						encs = append(encs, newHeadlessEncoder())
					}
					if out != "headless" {
						encs = append(encs, newLineEncoder(true))
					}
					var buf []byte
					b.SetBytes(int64(len(raw)))
					for b.Loop() {
						for _, e := range encs {
							var err error
							if buf, err = e.appendLine(buf[:0], r.Apply(o)); err != nil {
								b.Fatal(err)
							}
						}
					}
				})
			}
		}
	}
}
