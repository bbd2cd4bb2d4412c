package record

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mcpscope/proxy"
)

// BenchmarkRecorder writes progress-event observations (the bulk of a real
// recording: raw SSE bytes, the message, ids) to a file through the
// lossless subscription, with the default redaction on, and reports
// observations per second.
func BenchmarkRecorder(b *testing.B) {
	body := `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":7,"total":100,"message":"step 7 of 100"}}`
	raw := "event: message\nid: STREAM_7\ndata: " + body + "\n\n"
	at := time.Now()
	obs := &proxy.Observation{Type: proxy.TypeSSEEvent, Time: at, Session: "3f2a9c0d5e7b41a6b8c9d0e1f2a3b4c5", Stream: "st-12", Exchange: "ex-40",
		Direction: proxy.ServerToClient, Kind: proxy.KindNotification, Method: "notifications/progress", Body: body, Raw: raw,
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
