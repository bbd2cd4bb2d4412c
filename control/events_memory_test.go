package control_test

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcpscope/mcpscope/proxy"
)

// TestStalledEventsReaderCostsAFewMiB: an /api/events client that stops
// reading while 1 MiB events are published costs the proxy a few MiB (its
// queue's byte bound, the batch being written, the socket's buffers), not
// every event its queue's count bound would admit.
func TestStalledEventsReaderCostsAFewMiB(t *testing.T) {
	r := start(t)
	req, _ := http.NewRequest("GET", r.api+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.client.Do(req) // headers only: the body is never read
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	before := liveHeap()
	const events, size = 200, 1 << 20
	for i := range events {
		r.p.Bus.Publish(&proxy.Observation{Type: proxy.TypeSSEEvent, Raw: strings.Repeat(string(rune('a'+i%26)), size)})
	}
	time.Sleep(100 * time.Millisecond) // the handler writes until the socket is full
	if held := liveHeap() - before; held > 32<<20 {
		t.Fatalf("the stalled reader holds %d MiB of the %d MiB published, want a few", held>>20, events*size>>20)
	}
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
