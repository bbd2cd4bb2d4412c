package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mcpscope/proxy"
)

// TestDisplayQueueHoldsABurst: a burst of 20 000 small messages (about
// 13 MiB of observations) waits whole for a TUI or a printer that falls
// behind; none is dropped.
func TestDisplayQueueHoldsABurst(t *testing.T) {
	for _, tui := range []bool{false, true} {
		b := proxy.NewBus()
		sub := subscribeDisplay(b, tui)
		const burst = 20000
		for i := range burst {
			body := fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t-1","progress":%d,"total":20000,"message":"step %d of the work, going on"}}`, i, i)
			b.Publish(&proxy.Observation{Type: proxy.TypeMessage, Session: "s-1", Stream: "st-1", Method: "notifications/progress", Body: body})
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		got, err := sub.Next(ctx)
		cancel()
		if err != nil || len(got) == 0 {
			t.Fatalf("tui %v: Next: %d observations, %v", tui, len(got), err)
		}
		if got[0].Type == proxy.TypeDropped || len(got) != burst {
			t.Errorf("tui %v: the display got %d of a burst of %d (dropped %d)", tui, len(got), burst, got[0].Dropped)
		}
		sub.Close()
		sub.Release()
		b.Close()
	}
}
